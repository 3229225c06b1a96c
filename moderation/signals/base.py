"""What every signal family reads (the work, its owner, the dihedral PDQ variants and the
near-duplicate matches, computed once per screening) and what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from moderation.signals.near import dihedral_hashes, near_matches
from uploads.models import Work


@dataclass
class Finding:
    kind: str
    subject: str
    weight: int
    summary: str
    evidence: dict = field(default_factory=dict)
    related_work_id: int | None = None
    distance: int | None = None


@dataclass
class ScreeningContext:
    work: Work

    @property
    def owner(self):
        return self.work.owner

    @cached_property
    def query_hashes(self) -> list[str]:
        return dihedral_hashes(self.work)

    @cached_property
    def near_matches(self) -> list:
        if not self.query_hashes:
            return []
        return near_matches(self.query_hashes, exclude_work_id=self.work.id)
