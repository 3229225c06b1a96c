"""What buyers asked the marketplace for: one append-only DemandEvent per search, quote, data
request or work sold, and its facets (each use and tag, with the figures the aggregates read)
so the 90-day figures group by tag and use in one table on PostgreSQL and SQLite alike.

The team is kept only to count distinct teams (the k-anonymity floor); no page, API or admin
shows it, and no search text is stored."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization


class DemandKind(models.TextChoices):
    SEARCH = "search", "Catalog search"
    QUOTE = "quote", "Dataset quoted"
    REQUEST = "request", "Data request"
    SALE = "sale", "Work sold"


class FacetKind(models.TextChoices):
    USE = "use", "Intended use"
    TAG = "tag", "Tag"


class DemandEvent(models.Model):
    """One thing a team asked for or bought. Never updated: a new ask is a new row."""

    kind = models.CharField(max_length=8, choices=DemandKind.choices)
    # Only for counting distinct teams; deleting a team deletes what it asked.
    team = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    # The intended use (licensing.terms.Use values); empty for a search by tag alone.
    uses = models.JSONField(default=list, blank=True)
    commercial = models.BooleanField(null=True, blank=True)
    term_months = models.PositiveSmallIntegerField(null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    # Per work, minor units of `currency`: a search's price ceiling, a quote's median item, a
    # request's budget, a sale's price. NULL when the team named none.
    price_amount = models.BigIntegerField(null=True, blank=True)
    work_count = models.PositiveIntegerField(default=1)
    # Makes recording idempotent: the sold order item, the quoted dataset items, a team's
    # identical search once a day.
    dedupe_key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_amount__isnull=True) | Q(price_amount__gte=0),
                name="demand_event_price_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M}"


class DemandFacet(models.Model):
    """One use or tag of an event, with the event's figures copied (they never change), so the
    window's aggregates read this table alone, without a join."""

    event = models.ForeignKey(DemandEvent, on_delete=models.CASCADE, related_name="facets")
    facet = models.CharField(max_length=3, choices=FacetKind.choices)
    value = models.CharField(max_length=40)
    kind = models.CharField(max_length=8, choices=DemandKind.choices)
    team_id = models.BigIntegerField()
    commercial = models.BooleanField(null=True, blank=True)
    term_months = models.PositiveSmallIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    price_amount = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            # The 90-day window of one facet kind, grouped by value.
            models.Index(fields=["facet", "created_at"], name="demand_facet_window"),
            models.Index(fields=["facet", "value", "created_at"], name="demand_facet_value"),
        ]

    def __str__(self) -> str:
        return f"{self.facet}={self.value} ({self.kind})"
