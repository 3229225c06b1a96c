"""The moderation API: review cases and decisions, bans, rights claims."""
