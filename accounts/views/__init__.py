"""Pages for people and teams: the dashboard and studio, the team page, API tokens, notifications."""
