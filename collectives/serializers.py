"""Collectives API shapes: inputs checked here for type; the services check the rules."""

from __future__ import annotations

from rest_framework import serializers

from collectives.models import ProposalKind


class CollectiveCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    charter = serializers.CharField(max_length=5000)
    quorum_percent = serializers.IntegerField(required=False, default=50)
    vote_window_hours = serializers.IntegerField(required=False, default=72)
    leave_notice_days = serializers.IntegerField(required=False, default=30)


class FloorOutput(serializers.Serializer):
    use = serializers.CharField(help_text="A use, or empty for the minimum per month of term.")
    currency = serializers.CharField()
    amount = serializers.IntegerField(help_text="Minor units.")
    text = serializers.CharField()


class StrikeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    team = serializers.CharField(allow_null=True, source="organization.slug", default=None)
    use = serializers.CharField()
    started_at = serializers.DateTimeField()


class CollectiveOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    charter = serializers.CharField()
    member_count = serializers.IntegerField()
    work_count = serializers.IntegerField()
    quorum_percent = serializers.IntegerField()
    vote_window_hours = serializers.IntegerField()
    leave_notice_days = serializers.IntegerField()
    no_commercial_generative = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class CollectiveDetailOutput(CollectiveOutput):
    floors = FloorOutput(many=True)
    strikes = StrikeOutput(many=True)
    formula = serializers.CharField(help_text="How a sale of a pooled work is split.")
    is_member = serializers.BooleanField()


class AssignInput(serializers.Serializer):
    work_ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=500)
    consent = serializers.BooleanField(
        help_text="true: you read and accept the pooling text (see `formula` on the collective)."
    )


class AssignmentOutput(serializers.Serializer):
    work_id = serializers.IntegerField()
    title = serializers.CharField(source="work.title")
    assigned_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(allow_null=True)
    consent_text_hash = serializers.CharField()


class ProposalInput(serializers.Serializer):
    kind = serializers.CharField(help_text=", ".join(ProposalKind.values))
    payload = serializers.JSONField(
        help_text="floor_set: {use, currency, amount}; monthly_minimum_set: {currency, amount}; "
        "no_commercial_generative: {enabled}; strike_team: {team}; strike_use: {use}; "
        "strike_end: {strike_id}; rules_set: {quorum_percent, vote_window_hours, "
        "leave_notice_days}. Amount 0 removes a floor."
    )


class ProposalOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    summary = serializers.CharField()
    payload = serializers.JSONField()
    status = serializers.CharField()
    opened_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    electorate = serializers.IntegerField()
    yes_count = serializers.IntegerField()
    no_count = serializers.IntegerField()
    ballots_cast = serializers.IntegerField()


class BallotInput(serializers.Serializer):
    in_favour = serializers.BooleanField()


class BallotOutput(serializers.Serializer):
    proposal_id = serializers.IntegerField()
    in_favour = serializers.BooleanField()
    cast_at = serializers.DateTimeField()
    proposal_status = serializers.CharField(source="proposal.status")


class SaleOutput(serializers.Serializer):
    work_id = serializers.IntegerField()
    work_title = serializers.CharField()
    team = serializers.CharField(source="order.organization.name")
    price_amount = serializers.IntegerField()
    creator_share = serializers.IntegerField()
    currency = serializers.CharField()
    paid_at = serializers.DateTimeField(source="order.paid_at")


class SalesOutput(serializers.Serializer):
    revenue = serializers.ListField(child=serializers.DictField())
    teams = serializers.ListField(child=serializers.DictField())
    sales = SaleOutput(many=True)
