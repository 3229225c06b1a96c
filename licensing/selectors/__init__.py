"""Reads for licensing: offers and what is on sale, model declarations, where a declared model and a team stand (`status`)."""
