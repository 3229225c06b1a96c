"""Screening signals (evidence found on an upload), review cases and the staff decisions on them
(an append-only audit log), account bans, rights claims, and the registry of known stolen works
whose fingerprints are refused on upload."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from uploads.models import Work


class SignalKind(models.TextChoices):
    EXACT_DUPLICATE = "exact_duplicate", "Exact copy of another account's work"
    NEAR_DUPLICATE = "near_duplicate", "Near copy of another work"
    KNOWN_STOLEN = "known_stolen", "Matches a known stolen work"
    AI_UNDECLARED = "ai_undeclared", "AI-generation evidence against the declaration"
    RIGHTS_MARK = "rights_mark", "Embedded do-not-train or rights mark"
    AUTHOR_MISMATCH = "author_mismatch", "Metadata names another author"
    VELOCITY = "velocity", "Unusual upload rate"
    FLOOD = "flood", "Many near-identical uploads in one account"
    LINKED_ACCOUNT = "linked_account", "Shares identifiers with another account"
    UNCHECKED = "unchecked", "Could not be checked for copies"


class ScreeningSignal(models.Model):
    """One piece of evidence about a work, with its weight in the risk score. Re-screening
    replaces a signal of the same kind and subject rather than adding a second."""

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="signals")
    kind = models.CharField(max_length=24, choices=SignalKind.choices)
    # What the signal is about beyond the work (e.g. "work:42", "stolen:7", "account:9"), so the
    # same evidence found twice is one row.
    subject = models.CharField(max_length=100, blank=True)
    weight = models.PositiveSmallIntegerField()
    summary = models.CharField(max_length=500, help_text="In plain words, for staff.")
    evidence = models.JSONField(default=dict, blank=True)
    related_work = models.ForeignKey(
        Work, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    distance = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-weight", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["work", "kind", "subject"], name="signal_once_per_work_kind_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.work_id} ({self.weight})"


class Outcome(models.TextChoices):
    LIST = "list", "Listed"
    HOLD = "hold", "Held for review"
    REJECT = "reject", "Rejected"


class Screening(models.Model):
    """Each time the policy judged a work: the score, the outcome and the policy's version."""

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="screenings")
    score = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    reasons = models.JSONField(default=list, blank=True)
    policy_version = models.CharField(max_length=20)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.outcome} {self.work_id} ({self.score})"


class CaseKind(models.TextChoices):
    SCREENING = "screening", "Held by screening"
    CLAIM = "claim", "Rights claim"
    BANNED_ACCOUNT = "banned_account", "Licensed work of a banned account"
    # About a team, not a work: models it must attest destroyed are past their deadline.
    DESTRUCTION_OVERDUE = "destruction-overdue", "Team overdue on model destruction"


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    DECIDED = "decided", "Decided"


class ReviewCase(models.Model):
    """A question for staff about a work (screening, claims, banned accounts) or, for
    `destruction-overdue`, about a team (`organization`; no work)."""

    work = models.ForeignKey(
        Work, on_delete=models.CASCADE, null=True, blank=True, related_name="review_cases"
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="review_cases",
    )
    kind = models.CharField(max_length=24, choices=CaseKind.choices)
    status = models.CharField(
        max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPEN, db_index=True
    )
    risk_score = models.PositiveSmallIntegerField(default=0, db_index=True)
    reason = models.CharField(max_length=500, help_text="Why it was opened, in plain words.")
    # The creator may answer once.
    creator_answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-risk_score", "opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["work", "kind"],
                condition=Q(status="open"),
                name="case_one_open_per_work_kind",
            ),
            models.UniqueConstraint(
                fields=["organization", "kind"],
                condition=Q(status="open", organization__isnull=False),
                name="case_one_open_per_team_kind",
            ),
            models.CheckConstraint(
                condition=Q(work__isnull=False) | Q(organization__isnull=False),
                name="case_about_a_work_or_a_team",
            ),
        ]

    def __str__(self) -> str:
        subject = f"work {self.work_id}" if self.work_id else f"team {self.organization_id}"
        return f"Case {self.id} ({self.kind}) on {subject}"

    @property
    def is_team_case(self) -> bool:
        return self.work_id is None and self.organization_id is not None


class DecisionAction(models.TextChoices):
    APPROVE = "approve", "Approved"
    REJECT = "reject", "Rejected"
    BAN = "ban", "Banned the account"
    UNBAN = "unban", "Lifted the ban"
    UPHOLD_CLAIM = "uphold_claim", "Upheld the claim"
    DISMISS_CLAIM = "dismiss_claim", "Dismissed the claim"
    CLOSE = "close", "Closed the case"


class DecisionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The decision log is append-only.")

    def delete(self):
        raise PermissionError("The decision log is append-only.")


class Decision(models.Model):
    """The audit log: every staff decision, who, when, why, on what. Append-only."""

    case = models.ForeignKey(
        ReviewCase, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    work = models.ForeignKey(
        Work,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=16, choices=DecisionAction.choices)
    reason = models.TextField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Decisions made together (a flood handled at once) share one id.
    batch = models.UUIDField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The decision log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The decision log is append-only.")


class AccountBan(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bans"
    )
    reason = models.TextField()
    banned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(lifted_at__isnull=True), name="ban_one_active_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"Ban of {self.user_id}"


class ClaimStatus(models.TextChoices):
    OPEN = "open", "Open"
    UPHELD = "upheld", "Upheld"
    DISMISSED = "dismissed", "Dismissed"


class RightsClaim(models.Model):
    """Someone says a listed work is theirs. While open the work does not sell and its earnings
    are frozen; the uploader may answer once; staff uphold or dismiss it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    work = models.ForeignKey(Work, on_delete=models.PROTECT, related_name="rights_claims")
    claimant_name = models.CharField(max_length=200)
    claimant_email = models.EmailField()
    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    identity = models.TextField(help_text="Who the claimant is and how they relate to the work.")
    evidence = models.TextField()
    links = models.JSONField(default=list, blank=True)
    sworn = models.BooleanField(help_text="The claimant swore the statement is true.")
    status = models.CharField(
        max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.OPEN, db_index=True
    )
    uploader_answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    case = models.OneToOneField(
        ReviewCase, on_delete=models.PROTECT, null=True, blank=True, related_name="claim"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Claim on {self.work_id} by {self.claimant_email}"


class KnownStolenWork(models.Model):
    """A fingerprint refused on upload: the work of an upheld claim, or one staff registered."""

    pdq_hash = models.CharField(max_length=64, db_index=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    title = models.CharField(max_length=200, blank=True)
    source_claim = models.ForeignKey(
        RightsClaim, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    added_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Known stolen {self.id}"
