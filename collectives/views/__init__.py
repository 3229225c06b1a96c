"""Collectives: views."""
