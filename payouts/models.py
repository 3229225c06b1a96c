"""The money side: a double-entry, append-only ledger, creators' Stripe Connect accounts, payout
runs and freezes. Balances are never stored: they are sums of ledger entries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AccountKind(models.TextChoices):
    """Ledger accounts. Platform accounts exist once; creator accounts once per creator; team
    accounts (TEAM_KINDS) once per accounts.Organization.

    Sign convention: every entry is a signed amount and each transaction sums to zero per
    currency. Assets (cash, transfers out, stripe fees, creator debt) grow with positive
    entries; what we owe or earned (held, available, in transit, paid, fee revenue, refunds
    given) grows with negative entries, so those balances are shown negated."""

    PLATFORM_CASH = "platform_cash", "Platform cash (Stripe balance)"
    FEE_REVENUE = "fee_revenue", "Platform fee revenue"
    STRIPE_FEES = "stripe_fees", "Stripe fees"
    REFUNDS = "refunds", "Refunds to buyers"
    TRANSFERS_OUT = "transfers_out", "Transfers to connected accounts"
    CREATOR_HELD = "creator_held", "Creator: held"
    CREATOR_AVAILABLE = "creator_available", "Creator: available"
    CREATOR_IN_TRANSIT = "creator_in_transit", "Creator: in transit"
    CREATOR_PAID = "creator_paid", "Creator: paid"
    CREATOR_DEBT = "creator_debt", "Creator: owes us"
    # A share of the platform fee on sales whose terms require destroying trained models, kept
    # until the destruction duty is met (then team credit) or breached (then the creator's).
    HOLDBACK = "holdback", "Holdback (destruction duty)"
    TEAM_CREDIT = "team_credit", "Team: credit"


CREATOR_KINDS = {
    AccountKind.CREATOR_HELD,
    AccountKind.CREATOR_AVAILABLE,
    AccountKind.CREATOR_IN_TRANSIT,
    AccountKind.CREATOR_PAID,
    AccountKind.CREATOR_DEBT,
}
# Accounts owned by a team (an accounts.Organization).
TEAM_KINDS = {AccountKind.TEAM_CREDIT}
PLATFORM_KINDS = {k for k in AccountKind if k not in CREATOR_KINDS | TEAM_KINDS}
# Balances shown negated (see AccountKind).
CREDIT_NORMAL = {
    AccountKind.FEE_REVENUE,
    AccountKind.REFUNDS,
    AccountKind.CREATOR_HELD,
    AccountKind.CREATOR_AVAILABLE,
    AccountKind.CREATOR_IN_TRANSIT,
    AccountKind.CREATOR_PAID,
    AccountKind.HOLDBACK,
    AccountKind.TEAM_CREDIT,
}


class LedgerAccount(models.Model):
    kind = models.CharField(max_length=24, choices=AccountKind.choices)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "creator"], name="ledger_account_one_per_creator_kind"
            ),
            models.UniqueConstraint(
                fields=["kind", "organization"], name="ledger_account_one_per_team_kind"
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(creator__isnull=True, organization__isnull=True),
                name="ledger_account_one_platform_kind",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        creator__isnull=False,
                        organization__isnull=True,
                        kind__in=sorted(k.value for k in CREATOR_KINDS),
                    )
                    | Q(
                        creator__isnull=True,
                        organization__isnull=False,
                        kind__in=sorted(k.value for k in TEAM_KINDS),
                    )
                    | Q(
                        creator__isnull=True,
                        organization__isnull=True,
                        kind__in=[k.value for k in AccountKind if k in PLATFORM_KINDS],
                    )
                ),
                name="ledger_account_owner_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        owner = self.creator_id or (f"team {self.organization_id}" if self.organization_id else "")
        return f"{self.get_kind_display()}" + (f" ({owner})" if owner else "")


class JournalTransaction(models.Model):
    """One business event, posted once: its idempotency key is unique, so replaying the event
    finds the existing transaction instead of posting again."""

    idempotency_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=40)
    reference_type = models.CharField(max_length=40, blank=True)
    reference_id = models.CharField(max_length=100, blank=True)
    memo = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["reference_type", "reference_id"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"


class LedgerEntry(models.Model):
    transaction = models.ForeignKey(
        JournalTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField(help_text="Signed, in minor units of the currency.")
    currency = models.CharField(max_length=3)
    # The sold item this money belongs to (e.g. "order_item:42"), so holds, refunds, disputes
    # and freezes can find exactly its money.
    item_ref = models.CharField(max_length=100, blank=True, db_index=True)
    work_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name_plural = "ledger entries"
        indexes = [
            # A creator's balance is an index-only sum over (account, currency).
            models.Index(fields=["account", "currency"], name="ledger_entry_balance_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_amount_nonzero"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.account_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Ledger entries are append-only.")


class PayoutAccount(models.Model):
    """A creator's Stripe Connect Express account and what Stripe last told us about it."""

    creator = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_account"
    )
    stripe_account_id = models.CharField(max_length=64, unique=True)
    details_submitted = models.BooleanField(default=False)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    requirements_due = models.JSONField(default=list, blank=True)
    disabled_reason = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.creator} → {self.stripe_account_id}"


class Freeze(models.Model):
    """Staff hold on a creator's or one work's earnings: nothing frozen is released or paid."""

    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    work_id = models.BigIntegerField(null=True, blank=True)
    reason = models.TextField()
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(creator__isnull=False) | Q(work_id__isnull=False),
                name="freeze_has_a_target",
            )
        ]

    def __str__(self) -> str:
        return f"Freeze of {self.creator_id or ''}{'work ' + str(self.work_id) if self.work_id else ''}"


class PayoutStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"


class PayoutRun(models.Model):
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scheduled_for = models.DateField(unique=True, help_text="One run per day at most.")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Payout run {self.scheduled_for}"


class Payout(models.Model):
    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="payouts")
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts"
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=PayoutStatus.choices, default="pending")
    stripe_transfer_id = models.CharField(max_length=64, blank=True)
    failure_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "creator", "currency"], name="payout_one_per_creator_run"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Payout {self.id}: {self.amount} {self.currency} to {self.creator_id}"

    @property
    def idempotency_key(self) -> str:
        """Stripe's idempotency key for this payout's transfer: derived from our row, so a
        repeated run (or a redelivered task) asks Stripe for the same transfer again."""
        return f"assent-payout-{self.id}"


class StripeEvent(models.Model):
    """A Stripe webhook event as delivered (signature verified), stored once under its own id.

    `processed_at` is set in the same database transaction as the handler's writes, so a
    duplicate delivery of a processed event changes nothing; a failed handler leaves `error`
    and `attempts` here (written after its transaction rolled back) and Stripe delivers again."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    # The Stripe object the event is about (data.object.id) and when Stripe created the event,
    # so a handler can tell a late, out-of-order delivery from news.
    object_id = models.CharField(max_length=255, blank=True, db_index=True)
    created = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["type", "object_id"], name="stripe_event_type_object_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
