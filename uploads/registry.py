"""Hooks for higher apps. uploads cannot import licensing or moderation, yet must ask them
whether a work may be deleted; they register their answer here in their AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable

# Each guard gets a work and returns a reason it must not be deleted, or None.
deletion_guards: list[Callable[[object], str | None]] = []


def deletion_blocker(work) -> str | None:
    for guard in deletion_guards:
        reason = guard(work)
        if reason:
            return reason
    return None


# Sections a higher app adds to a work's page: each gets (request, work) and returns HTML.
work_page_sections: list[Callable[[object, object], str]] = []

# Lines a higher app adds to each card of the works grid (licensing: on sale, at what price):
# each gets (request, the works on the page) and returns {work id: HTML}, reading for all of
# them at once so a page of cards costs no query per card.
work_card_sections: list[Callable[[object, list], dict[int, str]]] = []


# Called with a work id after processing committed (fingerprints and metadata stored): the
# moderation app screens the work from here.
after_processing: list[Callable[[int], None]] = []


# Each guard gets the uploading user and returns why they may not upload, or None (moderation
# refuses banned accounts). Called at the start of intake, before anything is stored.
upload_guards: list[Callable[[object], str | None]] = []


def upload_blocker(user) -> str | None:
    for guard in upload_guards:
        reason = guard(user)
        if reason:
            return reason
    return None
