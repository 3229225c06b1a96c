"""Collectives: services."""
