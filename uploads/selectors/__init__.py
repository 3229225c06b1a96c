"""Reads for works and upload batches."""
