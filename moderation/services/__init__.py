"""Moderation services: screening (signals → policy → outcome), staff decisions, bans, rights
claims. Each module raises config.errors.ApplicationError for refusals."""
