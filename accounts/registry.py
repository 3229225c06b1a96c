"""Hooks for higher apps. accounts sits below every other app, yet the team page must show what
they know about the team (a destruction attestation due) and the studio how many works the
creator has; they register here in their AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable

# Sections a higher app adds to the top of a team's page: each gets (request, organization)
# and returns HTML (rendered from its own template), or "" when it has nothing to say.
team_page_sections: list[Callable[[object, object], str]] = []

# The studio's "Your works" card: each is called as hook(owner=user) and returns {work status:
# number of the creator's works}; uploads registers its count. With none, the card shows links.
studio_work_counts: list[Callable[..., dict[str, int]]] = []


def work_counts(user) -> dict[str, int] | None:
    if not studio_work_counts:
        return None
    counts: dict[str, int] = {}
    for hook in studio_work_counts:
        for status, number in hook(owner=user).items():
            counts[status] = counts.get(status, 0) + number
    return counts
