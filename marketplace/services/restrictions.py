"""A team overdue on a destruction attestation may not buy or download until it attests. Whether
it is overdue is licensing's one definition (`licensing.selectors.status`); this module turns it
into the refusal the marketplace gives and the banner its pages show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from config.errors import ApplicationError
from licensing.selectors.status import declaration_state, team_overdue_declarations


@dataclass(frozen=True)
class OverdueModel:
    uuid: str
    name: str
    version: str
    deadline: datetime | None
    attest_url: str

    def as_dict(self) -> dict:
        return {
            "uuid": self.uuid,
            "name": self.name,
            "version": self.version,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "attest_url": self.attest_url,
        }


@dataclass(frozen=True)
class TeamRestriction:
    organization: object
    models: tuple[OverdueModel, ...]

    @property
    def message(self) -> str:
        names = ", ".join(f"{m.name} {m.version} ({m.attest_url})" for m in self.models)
        count = len(self.models)
        return (
            f"{self.organization.name} is restricted: {count} declared "
            f"model{'s are' if count != 1 else ' is'} overdue for a destruction attestation "
            f"({names}). Until a team owner attests "
            f"{'each model' if count != 1 else 'it'} destroyed, the team cannot buy or "
            "download licensed data."
        )

    @property
    def downloads_paused(self) -> str:
        """The short form, where the overdue models are listed beside it."""
        return (
            f"Downloads are paused: {self.organization.name} is restricted until its overdue "
            "models are attested destroyed."
        )


def team_restriction(*, organization, now: datetime | None = None) -> TeamRestriction | None:
    """The team's restriction with the overdue models and where to attest them, or None."""
    overdue = team_overdue_declarations(organization, now=now)
    if not overdue:
        return None
    models = tuple(
        OverdueModel(
            uuid=str(d.uuid),
            name=d.name,
            version=d.version,
            deadline=declaration_state(d, now=now).deadline,
            attest_url=f"/team/models/{d.uuid}/attest/",
        )
        for d in overdue
    )
    return TeamRestriction(organization=organization, models=models)


def teams_restrictions(*, organizations, now: datetime | None = None) -> list[TeamRestriction]:
    found = (team_restriction(organization=o, now=now) for o in organizations)
    return [r for r in found if r is not None]


def team_restriction_check(*, organization, now: datetime | None = None) -> None:
    """Raise `team_restricted` (403) if the team is overdue on a destruction attestation."""
    restriction = team_restriction(organization=organization, now=now)
    if restriction is not None:
        raise ApplicationError(
            restriction.message,
            code="team_restricted",
            status=403,
            extra={"overdue_models": [m.as_dict() for m in restriction.models]},
        )
