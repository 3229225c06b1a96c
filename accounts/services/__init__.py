"""Writes for people and teams: users, teams and invitations, API tokens, notifications."""
