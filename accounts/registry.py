"""Hooks for higher apps. accounts sits below every other app, yet the team page must show what
they know about the team (a destruction attestation due); they register here in their
AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable

# Sections a higher app adds to the top of a team's page: each gets (request, organization)
# and returns HTML (rendered from its own template), or "" when it has nothing to say.
team_page_sections: list[Callable[[object, object], str]] = []
