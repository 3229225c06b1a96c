"""Collectives of creators: members, the works they assign, the rules the collective set by vote
(floors per use and currency, a minimum price per month of term, no generative use by commercial
buyers), strikes against one team or one use, proposals and their ballots.

Append-only where it is a record: ballots, assignment consents and decided proposals never
change; a membership or an assignment ends by a date, never by deletion, so a sale can always be
traced to the rules in force when it was made."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Collective(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    charter = models.TextField(help_text="What the collective stands for, shown on its page.")
    founder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="collectives_founded"
    )
    # How decisions are made, set at founding and changed only by a vote.
    quorum_percent = models.PositiveSmallIntegerField(default=50)
    vote_window_hours = models.PositiveIntegerField(default=72)
    leave_notice_days = models.PositiveIntegerField(default=30)
    # Rules beyond the floors (both changed only by a vote).
    no_commercial_generative = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(quorum_percent__gte=1, quorum_percent__lte=100),
                name="collective_quorum_1_100",
            ),
            models.CheckConstraint(
                condition=Q(vote_window_hours__gte=1), name="collective_window_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    """A creator in a collective. Leaving sets `leaves_at` (after the notice period); the row
    stays, so a past sale still shows who was in."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="collective_memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)
    leave_requested_at = models.DateTimeField(null=True, blank=True)
    leaves_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One open membership per creator and collective (rejoining after leaving is a new row).
            models.UniqueConstraint(
                fields=["collective", "user"],
                condition=Q(leave_requested_at__isnull=True),
                name="collective_member_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.collective}"


class Assignment(models.Model):
    """A work a member put into the collective's pool, with the consent they gave for it (the
    exact text shown, naming the collective and the published formula, and its hash). Ending
    it takes effect after the notice period, like leaving."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="assignments")
    work = models.ForeignKey("uploads.Work", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="collective_assignments"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)
    consent_text = models.TextField()
    consent_text_hash = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    end_requested_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A work is in one collective's pool at a time: two sets of floors would conflict.
            models.UniqueConstraint(
                fields=["work"],
                condition=Q(end_requested_at__isnull=True),
                name="collective_work_one_open_assignment",
            )
        ]
        indexes = [models.Index(fields=["collective", "ends_at"])]

    def __str__(self) -> str:
        return f"work {self.work_id} in {self.collective}"


class Floor(models.Model):
    """The lowest price a member's offer on an assigned work may have, for offers that allow
    this use, in this currency. `use` empty: a minimum per month of term, in this currency."""

    PER_MONTH = ""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="floors")
    use = models.CharField(max_length=40, blank=True)
    # The use's bit (licensing.terms.USE_BITS; 0 for the per-month minimum), so the sale rule
    # tests an offer's uses_mask in SQL.
    use_bit = models.PositiveSmallIntegerField(default=0)
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField(help_text="Minor units of the currency.")
    proposal = models.ForeignKey("Proposal", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["collective", "use", "currency"], name="collective_floor_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="collective_floor_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.collective}: {self.use or 'per month'} {self.amount} {self.currency}"


class Strike(models.Model):
    """A withdrawal of consent for every assigned work from one buyer team or from one use,
    decided by vote; for new sales only, from `started_at` until `ended_at`."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="strikes")
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    use = models.CharField(max_length=40, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    proposal = models.ForeignKey("Proposal", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(organization__isnull=False) & Q(use=""))
                | (Q(organization__isnull=True) & ~Q(use="")),
                name="collective_strike_team_or_use",
            )
        ]

    def __str__(self) -> str:
        return f"{self.collective} withholds from {self.organization_id or self.use}"


class ProposalKind(models.TextChoices):
    FLOOR_SET = "floor_set", "Set a floor for a use"
    MONTHLY_MINIMUM_SET = "monthly_minimum_set", "Set a minimum price per month of term"
    NO_COMMERCIAL_GENERATIVE = "no_commercial_generative", "No generative use by commercial buyers"
    STRIKE_TEAM = "strike_team", "Withhold all works from one team"
    STRIKE_USE = "strike_use", "Withhold all works from one use"
    STRIKE_END = "strike_end", "End a strike"
    RULES_SET = "rules_set", "Change quorum, vote window or notice period"


class ProposalStatus(models.TextChoices):
    OPEN = "open", "Voting"
    PASSED = "passed", "Passed"
    REJECTED = "rejected", "Rejected"
    NO_QUORUM = "no_quorum", "No quorum"


class Proposal(models.Model):
    """A rule change put to the members. It is decided once: when its window closes, or
    earlier when the remaining votes could no longer change the result."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="proposals")
    kind = models.CharField(max_length=32, choices=ProposalKind.choices)
    payload = models.JSONField(default=dict)
    summary = models.CharField(max_length=300)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closes_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    # Counted when decided; the electorate is the members who could vote at that moment.
    electorate = models.PositiveIntegerField(default=0)
    yes_count = models.PositiveIntegerField(default=0)
    no_count = models.PositiveIntegerField(default=0)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "closes_at"])]

    def __str__(self) -> str:
        return self.summary


class Ballot(models.Model):
    """One member's vote on one proposal: cast once, never changed (append-only)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="ballots")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    in_favour = models.BooleanField()
    cast_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "voter"], name="ballot_one_per_voter")
        ]

    def __str__(self) -> str:
        return f"{'yes' if self.in_favour else 'no'} on {self.proposal_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("A ballot is cast once and never changed.")
        super().save(*args, **kwargs)
