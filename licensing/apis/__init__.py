"""The licensing API: offers and consent, model declarations, destruction attestations."""
