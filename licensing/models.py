"""Offers (a work's terms and price), the creator's consent records, bulk-apply jobs, license
grants, and their lifecycle: model declarations and destruction attestations."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from licensing.terms import LicenseTerms, OnExpiry
from licensing.terms import uses_mask as mask_of_uses
from uploads.models import Work


class OfferStatus(models.TextChoices):
    ACTIVE = "active", "On sale"
    RETIRED = "retired", "Replaced by a newer offer"
    WITHDRAWN = "withdrawn", "Consent withdrawn"


class OfferQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if set(kwargs) - Offer.MUTABLE_FIELDS:
            raise PermissionError("An offer's terms and price cannot change; make a new offer.")
        return super().update(**kwargs)


class Offer(models.Model):
    """A work's terms with the creator's price. Created only together with the creator's
    consent, and immutable from then on (a database trigger refuses changes to its terms and
    price on PostgreSQL); changing terms or price makes a new offer and retires this one."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="offers")
    uses = models.JSONField()
    # The uses as bits (terms.USE_BITS), kept with `uses` so the catalog filters in SQL.
    uses_mask = models.PositiveSmallIntegerField(default=0, db_index=True)
    commercial = models.BooleanField()
    term_months = models.PositiveSmallIntegerField()
    on_expiry = models.CharField(max_length=20, choices=[(e.value, e.value) for e in OnExpiry])
    attribution_required = models.BooleanField(default=False)
    terms_hash = models.CharField(max_length=64, db_index=True)
    preset = models.CharField(max_length=40, blank=True)
    price_amount = models.BigIntegerField(help_text="Minor units of the currency.")
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=12, choices=OfferStatus.choices, default=OfferStatus.ACTIVE, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    # Only these change after creation; everything else is what the creator consented to.
    MUTABLE_FIELDS = frozenset({"status", "ended_at"})

    objects = OfferQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(price_amount__gt=0), name="offer_price_positive"),
            models.CheckConstraint(
                condition=Q(term_months__gte=1, term_months__lte=120), name="offer_term_range"
            ),
            # One live offer per work and terms: a new price for the same terms replaces it.
            models.UniqueConstraint(
                fields=["work", "terms_hash"],
                condition=Q(status="active"),
                name="offer_one_active_per_terms",
            ),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Offer {self.id} on {self.work_id} ({self.status})"

    def save(self, *args, **kwargs):
        fields = kwargs.get("update_fields")
        if self.pk is not None and (fields is None or set(fields) - self.MUTABLE_FIELDS):
            raise PermissionError("An offer's terms and price cannot change; make a new offer.")
        if self.pk is None:
            self.uses_mask = mask_of_uses(self.uses)
        super().save(*args, **kwargs)

    @property
    def terms(self) -> LicenseTerms:
        return LicenseTerms(
            uses=frozenset(self.uses),
            commercial=self.commercial,
            term_months=self.term_months,
            on_expiry=self.on_expiry,
            attribution_required=self.attribution_required,
        )

    @property
    def is_active(self) -> bool:
        return self.status == OfferStatus.ACTIVE


class ConsentAction(models.TextChoices):
    GIVEN = "given", "Consent given"
    WITHDRAWN = "withdrawn", "Consent withdrawn"


class ConsentQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Consent records are append-only.")

    def delete(self):
        raise PermissionError("Consent records are append-only.")


class ConsentRecord(models.Model):
    """The creator's explicit yes (or later no) to one offer: who, when, from where, the exact
    terms and the hash of the license text they were shown. Append-only: refused by save() and
    the queryset here, and by a trigger on PostgreSQL. Work and offer are kept as plain ids, so
    the record outlives a deleted work."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    work = models.ForeignKey(
        Work, on_delete=models.DO_NOTHING, db_constraint=False, related_name="consent_records"
    )
    offer = models.ForeignKey(
        Offer, on_delete=models.DO_NOTHING, db_constraint=False, related_name="consent_records"
    )
    work_title = models.CharField(max_length=200)
    action = models.CharField(max_length=12, choices=ConsentAction.choices)
    terms = models.JSONField()
    terms_hash = models.CharField(max_length=64)
    price_amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    license_text_version = models.CharField(max_length=20)
    license_text_hash = models.CharField(max_length=64)
    summary = models.TextField(help_text="The plain-language summary the creator confirmed.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    at = models.DateTimeField(default=timezone.now)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "-at"]), models.Index(fields=["work", "-at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.work_title} by {self.user_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Consent records are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Consent records are append-only.")


class BulkJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class BulkOfferJob(models.Model):
    """One creator's bulk apply: a preset or terms and a price over many works, with the consent
    context of the request that confirmed it, worked through in chunks by the worker."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    work_ids = models.JSONField()
    terms = models.JSONField()
    preset = models.CharField(max_length=40, blank=True)
    price_amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    status = models.CharField(max_length=10, choices=BulkJobStatus.choices, default="queued")
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    skipped = models.JSONField(default=list, blank=True)  # [{"work_id", "title", "reason"}]
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Bulk offer job {self.id} ({self.done}/{self.total})"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 100


class GrantStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    DESTRUCTION_DUE = "destruction-due", "Models must be destroyed"
    DESTROYED = "destroyed", "Models destroyed"
    BREACHED = "breached", "Breached"
    REVOKED = "revoked", "Revoked"


class DutyOutcome(models.TextChoices):
    MET = "met", "Met"
    BREACHED = "breached", "Breached"


class LicenseGrant(models.Model):
    """What a paid order gives a team: the right to use these works on the frozen terms of each
    item, from `starts_at` to each item's own expiry. The grant knows its source only as a
    reference (e.g. "order:<uuid>"): licensing sits below the marketplace."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="license_grants"
    )
    source_reference = models.CharField(max_length=100, unique=True)
    status = models.CharField(
        max_length=20, choices=GrantStatus.choices, default=GrantStatus.ACTIVE, db_index=True
    )
    starts_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"License {self.uuid} for {self.organization_id}"


class LicenseGrantItem(models.Model):
    """One work in a grant with the exact terms and price it was bought on (the offer may have
    been retired since), and its own expiry from its term."""

    grant = models.ForeignKey(LicenseGrant, on_delete=models.PROTECT, related_name="items")
    work = models.ForeignKey(Work, on_delete=models.PROTECT, related_name="license_items")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="license_items")
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    work_title = models.CharField(max_length=200)
    terms = models.JSONField()
    terms_hash = models.CharField(max_length=64)
    price_amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    # The sold item's reference in the ledger (e.g. "order_item:42").
    item_ref = models.CharField(max_length=100, unique=True)
    starts_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    status = models.CharField(
        max_length=20, choices=GrantStatus.choices, default=GrantStatus.ACTIVE, db_index=True
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=300, blank=True)
    # How a `destroy-models` item's duty ended (met: models destroyed, none declared, or carried
    # on by a renewal; breached: never attested, holdback forfeited) and when the marketplace
    # took that outcome (released or forfeited the holdback). Unsettled outcomes are retried.
    duty_outcome = models.CharField(max_length=10, choices=DutyOutcome.choices, blank=True)
    duty_settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["grant", "work"], name="grant_item_one_per_work"),
        ]

    def __str__(self) -> str:
        return f"{self.work_title} in grant {self.grant_id}"

    @property
    def license_terms(self) -> LicenseTerms:
        return LicenseTerms.from_dict(self.terms)


# --- Lifecycle: what a team trains on its licenses, and proof the models are gone ---------


class ModelDeclaration(models.Model):
    """A team's statement that it trained (or is training) one model on these license items.
    Checked against every item's terms when made; creators whose works are in it are told."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="model_declarations"
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=120)
    version = models.CharField(max_length=60)
    purpose = models.TextField(max_length=2000)
    is_commercial = models.BooleanField()
    is_generative = models.BooleanField()
    training_started_on = models.DateField()
    training_ended_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # When its creators were told (lifecycle/notices.py); empty while the notices wait for a
    # worker, or if they could not be queued (the hourly lifecycle sweep sends them then).
    notices_sent_at = models.DateTimeField(null=True, blank=True)
    items = models.ManyToManyField(
        LicenseGrantItem, through="ModelDeclarationItem", related_name="model_declarations"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name", "version"], name="model_declaration_one_per_version"
            ),
            models.CheckConstraint(
                condition=Q(training_ended_on__gte=models.F("training_started_on")),
                name="model_declaration_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class ModelDeclarationItem(models.Model):
    declaration = models.ForeignKey(
        ModelDeclaration, on_delete=models.CASCADE, related_name="declared_items"
    )
    grant_item = models.ForeignKey(
        LicenseGrantItem, on_delete=models.PROTECT, related_name="declared_in"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "grant_item"], name="model_declaration_item_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Item {self.grant_item_id} in declaration {self.declaration_id}"


class AttestationQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Destruction attestations are append-only.")

    def delete(self):
        raise PermissionError("Destruction attestations are append-only.")


class DestructionAttestation(models.Model):
    """A team owner's signed statement that a declared model was destroyed: who, when, how, with
    an optional evidence file. Append-only (model guards, and a trigger on PostgreSQL); the
    signature is an HMAC over the exact statement, so a later edit of the row is detectable."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    declaration = models.ForeignKey(
        ModelDeclaration, on_delete=models.PROTECT, related_name="attestations"
    )
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    attested_at = models.DateTimeField(default=timezone.now)
    destroyed_on = models.DateField()
    method = models.TextField(max_length=2000, help_text="How the model was destroyed.")
    evidence = models.FileField(max_length=255, blank=True)
    evidence_filename = models.CharField(max_length=255, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    statement = models.TextField(help_text="The exact text the owner signed.")
    signature = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)

    objects = AttestationQuerySet.as_manager()

    class Meta:
        ordering = ["-attested_at", "-id"]

    def __str__(self) -> str:
        return f"Attestation {self.uuid} for declaration {self.declaration_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Destruction attestations are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Destruction attestations are append-only.")
