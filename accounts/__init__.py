"""Users (keyed by email), roles, creator profiles, AI-team organizations, API tokens."""
