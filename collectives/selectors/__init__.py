"""Collectives: selectors."""
