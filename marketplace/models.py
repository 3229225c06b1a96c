"""Datasets (a team's selection with its quote), orders (a dataset checked out through Stripe)
and refunds. What a paid order gives is a licensing.LicenseGrant; its money is in the ledger."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from licensing.models import LicenseGrant, Offer
from licensing.terms import IntendedUse
from uploads.models import Work


class DatasetStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    CHECKING_OUT = "checking_out", "Awaiting payment"
    PURCHASED = "purchased", "Purchased"


class Dataset(models.Model):
    """A team's selection of works for one intended use, resolved to one compatible offer per
    work (the cheapest). Editable while a draft; frozen into an order at checkout."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="datasets"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=120)
    # The intended use every item must be licensed for.
    uses = models.JSONField()
    commercial = models.BooleanField()
    months_needed = models.PositiveSmallIntegerField()
    can_destroy_models = models.BooleanField(default=True)
    currency = models.CharField(max_length=3, default="USD")
    # The catalog filter the works were added by, if any (kept so the page can say so).
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=DatasetStatus.choices, default=DatasetStatus.DRAFT, db_index=True
    )
    # What changed in the quote on its own (a work withdrawn, re-priced) since the team last
    # looked: shown until they acknowledge it, so nothing changes silently.
    notices = models.JSONField(default=list, blank=True)
    # Set when the dataset renews a license: its items start when the old ones end (when
    # bought before they do), so no time is lost.
    renews = models.ForeignKey(
        LicenseGrant, on_delete=models.PROTECT, null=True, blank=True, related_name="renewals"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def intended_use(self) -> IntendedUse:
        return IntendedUse(
            uses=frozenset(self.uses),
            commercial=self.commercial,
            months_needed=self.months_needed,
            can_destroy_models=self.can_destroy_models,
        )

    @property
    def is_draft(self) -> bool:
        return self.status == DatasetStatus.DRAFT


class DatasetItem(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="items")
    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="+")
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="+")
    # The price when the item was added, so a later change is reported, not silently applied.
    quoted_amount = models.BigIntegerField()
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "work"], name="dataset_item_one_per_work"),
        ]

    def __str__(self) -> str:
        return f"{self.work_id} in dataset {self.dataset_id}"


class OrderStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", "Awaiting payment"
    PAID = "paid", "Paid"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"
    DISPUTED = "disputed", "Disputed"
    EXPIRED = "expired", "Checkout expired"
    FAILED = "failed", "Payment failed"


class Order(models.Model):
    """A dataset checked out: its items, offers, prices and terms frozen, paid through one Stripe
    Checkout Session. Only a verified webhook moves it to paid."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="orders")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="orders")
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20,
        choices=OrderStatus.choices,
        default=OrderStatus.AWAITING_PAYMENT,
        db_index=True,
    )
    currency = models.CharField(max_length=3)
    total_amount = models.BigIntegerField()
    fee_amount = models.BigIntegerField()
    fee_bps = models.PositiveIntegerField()
    # The frozen intended use (IntendedUse fields).
    intended_use = models.JSONField()
    # NULL until Stripe answers (unique among those set).
    stripe_checkout_session_id = models.CharField(
        max_length=255, unique=True, null=True, blank=True
    )
    checkout_url = models.URLField(max_length=2000, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    license_grant = models.OneToOneField(
        LicenseGrant, on_delete=models.PROTECT, null=True, blank=True, related_name="order"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total_amount__gt=0), name="order_total_positive"),
            # One open checkout per dataset at a time.
            models.UniqueConstraint(
                fields=["dataset"],
                condition=Q(status="awaiting_payment"),
                name="order_one_open_per_dataset",
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.number}"

    @property
    def number(self) -> str:
        """What people read and quote: short, stable, not guessable from the id."""
        return self.uuid.hex[:10].upper()

    @property
    def reference(self) -> str:
        return f"order:{self.uuid}"

    @property
    def is_paid(self) -> bool:
        return self.status in PAID_STATUSES


PAID_STATUSES = {
    OrderStatus.PAID,
    OrderStatus.PARTIALLY_REFUNDED,
    OrderStatus.REFUNDED,
    OrderStatus.DISPUTED,
}


class OrderItem(models.Model):
    """One work as sold: the offer it was sold on and a snapshot of its terms and price."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="items")
    work = models.ForeignKey(Work, on_delete=models.PROTECT, related_name="+")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="+")
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    work_title = models.CharField(max_length=200)
    terms = models.JSONField()
    terms_hash = models.CharField(max_length=64)
    price_amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    creator_share = models.BigIntegerField()
    fee_amount = models.BigIntegerField()
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "work"], name="order_item_one_per_work"),
            models.CheckConstraint(
                condition=Q(creator_share__gte=0, fee_amount__gte=0)
                & Q(price_amount=models.F("creator_share") + models.F("fee_amount")),
                name="order_item_split_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work_title} in order {self.order_id}"

    @property
    def item_ref(self) -> str:
        """This item's money in the ledger."""
        return f"order_item:{self.id}"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Refunded"
    FAILED = "failed", "Failed"


class Refund(models.Model):
    """Money given back for chosen items of an order: by staff here, or seen in a
    `charge.refunded` webhook when done in Stripe's dashboard. Its Stripe idempotency key comes
    from this row."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    items = models.ManyToManyField(OrderItem, related_name="refunds")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=RefundStatus.choices, default="pending")
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")
        ]

    def __str__(self) -> str:
        return f"Refund {self.id} of order {self.order_id}"

    @property
    def idempotency_key(self) -> str:
        return f"assent-refund-{self.id}"


# --- delivery -----------------------------------------------------------------------------------


class PackageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    BUILDING = "building", "Building"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Package(models.Model):
    """The files a paid order delivers: WebDataset shards, a Parquet index, Croissant metadata,
    a manifest and the license summary. Built by a worker in steps that survive a crash; a
    rebuild (after a refund removed items) is a new version, the old one kept for the record."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="packages")
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=10, choices=PackageStatus.choices, default=PackageStatus.QUEUED, db_index=True
    )
    total_items = models.PositiveIntegerField(default=0)
    done_items = models.PositiveIntegerField(default=0)
    shard_target_bytes = models.BigIntegerField()
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["order", "version"], name="package_version_unique"),
        ]

    def __str__(self) -> str:
        return f"Package v{self.version} of order {self.order_id}"

    @property
    def percent(self) -> int:
        if self.status == PackageStatus.READY:
            return 100
        return int(100 * self.done_items / self.total_items) if self.total_items else 0

    @property
    def storage_prefix(self) -> str:
        """Under a generated key: the path says nothing about the team or the works."""
        return f"packages/{self.uuid.hex}/"


class PackageFileKind(models.TextChoices):
    SHARD = "shard", "WebDataset shard"
    INDEX = "index", "Parquet index"
    CROISSANT = "croissant", "Croissant metadata"
    MANIFEST = "manifest", "Manifest"
    LICENSE = "license", "License summary"
    ODRL = "odrl", "ODRL policy"
    # The texts, one row per work (the tar shards hold images and recordings). Numbered like
    # shards, and blocked like them when one of its items' licenses ends.
    TEXT = "text", "Text Parquet file"


class PackageFile(models.Model):
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=10, choices=PackageFileKind.choices)
    name = models.CharField(max_length=200)
    storage_key = models.CharField(max_length=400)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    # Shards only: the order items they hold, so a shard stops being downloadable when one of
    # its items' licenses ends, and a resumed build starts after the last one written.
    shard_index = models.PositiveIntegerField(null=True, blank=True)
    item_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "shard_index", "name"]
        constraints = [
            models.UniqueConstraint(fields=["package", "name"], name="package_file_name_unique"),
            models.UniqueConstraint(
                fields=["package", "shard_index"],
                condition=Q(kind="shard"),
                name="package_shard_index_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PackageItem(models.Model):
    """One delivered sample: which order item, in which shard under which key, and the hashes
    of the original and of the delivered (license-marked) file."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="items")
    order_item = models.ForeignKey(OrderItem, on_delete=models.PROTECT, related_name="+")
    shard = models.ForeignKey(PackageFile, on_delete=models.CASCADE, related_name="samples")
    key = models.CharField(max_length=100)
    member = models.CharField(max_length=200)
    original_sha256 = models.CharField(max_length=64)
    delivered_sha256 = models.CharField(max_length=64)
    delivered_size = models.BigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["package", "order_item"], name="package_item_once_per_package"
            ),
            models.UniqueConstraint(fields=["package", "key"], name="package_item_key_unique"),
        ]

    def __str__(self) -> str:
        return self.member


class DownloadLog(models.Model):
    """Every download of a package file: who, what, when, from where."""

    package_file = models.ForeignKey(
        PackageFile, on_delete=models.PROTECT, related_name="downloads"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} downloaded {self.package_file_id}"


# --- data requests ------------------------------------------------------------------------------


class DataRequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class DataRequest(models.Model):
    """A team's call for works: what it needs (description, tags, minimum size, how many), the
    intended use in the catalog's terms, a price per work or a budget, and a deadline. Signed-in
    creators see it and offer works into it; the team accepts some and checks them out."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="data_requests"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=5000)
    # Every tag must be on a work (the catalog's rule), in uploads' normal form.
    tags = models.JSONField(default=list, blank=True)
    # The catalog's size: the shorter side decides, so width and height separately (0: any).
    min_width = models.PositiveIntegerField(default=0)
    min_height = models.PositiveIntegerField(default=0)
    accepts_ai_generated = models.BooleanField(default=False)
    count_wanted = models.PositiveIntegerField()
    # The intended use (IntendedUse fields, as a dataset states it).
    uses = models.JSONField()
    commercial = models.BooleanField()
    months_needed = models.PositiveSmallIntegerField()
    can_destroy_models = models.BooleanField(default=True)
    # Exactly one of the two: a fixed price per work, or a budget creators price within.
    price_amount = models.BigIntegerField(null=True, blank=True)
    budget_amount = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    deadline = models.DateTimeField(db_index=True)
    show_team_name = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10,
        choices=DataRequestStatus.choices,
        default=DataRequestStatus.OPEN,
        db_index=True,
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_amount__gt=0, budget_amount__isnull=True)
                | Q(price_amount__isnull=True, budget_amount__gt=0),
                name="data_request_price_or_budget",
            ),
            models.CheckConstraint(
                condition=Q(count_wanted__gte=1), name="data_request_count_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def intended_use(self) -> IntendedUse:
        return IntendedUse(
            uses=frozenset(self.uses),
            commercial=self.commercial,
            months_needed=self.months_needed,
            can_destroy_models=self.can_destroy_models,
        )

    @property
    def is_budget(self) -> bool:
        return self.budget_amount is not None

    @property
    def is_open(self) -> bool:
        return self.status == DataRequestStatus.OPEN and self.deadline > timezone.now()

    @property
    def team_label(self) -> str:
        """What creators are told of who asks: the team's name only if it chose to show it."""
        return self.organization.name if self.show_team_name else "An AI team"


class DataRequestResponseStatus(models.TextChoices):
    OFFERED = "offered", "Offered"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class DataRequestResponse(models.Model):
    """A creator's work offered into a request, with their consent: the exact plain-language
    text they confirmed, its hash, when and from where. The license rests on the creator's own
    offer (`offer`, whose terms cover the request's use) at the price named here. Append-only
    but for its status, who decided it and the dataset it was checked out in."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(DataRequest, on_delete=models.PROTECT, related_name="responses")
    work = models.ForeignKey(Work, on_delete=models.PROTECT, related_name="+")
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="+")
    terms = models.JSONField()
    terms_hash = models.CharField(max_length=64)
    price_amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    consent_text = models.TextField(help_text="The plain-language text the creator confirmed.")
    consent_hash = models.CharField(max_length=64)
    consented_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    status = models.CharField(
        max_length=10,
        choices=DataRequestResponseStatus.choices,
        default=DataRequestResponseStatus.OFFERED,
        db_index=True,
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The dataset the accepted work was checked out in (a deleted draft just lets go of it).
    dataset = models.ForeignKey(
        Dataset, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # Only these change after creation; the rest is what the creator consented to.
    MUTABLE_FIELDS = frozenset({"status", "decided_at", "decided_by", "dataset"})

    class Meta:
        ordering = ["consented_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "work"], name="data_request_response_one_per_work"
            ),
            models.CheckConstraint(
                condition=Q(price_amount__gt=0), name="data_request_response_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Work {self.work_id} into request {self.request_id} ({self.status})"

    def save(self, *args, **kwargs):
        fields = kwargs.get("update_fields")
        if self.pk is not None and (fields is None or set(fields) - self.MUTABLE_FIELDS):
            raise PermissionError("A response's consent cannot change; only its status can.")
        super().save(*args, **kwargs)
