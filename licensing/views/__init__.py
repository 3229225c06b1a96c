"""Licensing pages: a creator's offers and consent, the public terms pages, model declarations, destruction attestations."""
