"""Collectives: apis."""
