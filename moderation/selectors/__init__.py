"""Reads for moderation: review cases, bans and account history, rights claims, the staff overview."""
