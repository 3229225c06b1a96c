"""Moderation pages: the staff home, the review queue and cases, bans, rights claims."""
