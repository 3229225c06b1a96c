"""Writes for works: intake at the door, processing in the worker, edits and review."""
