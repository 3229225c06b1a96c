"""A license's whole life, through the public API and the hourly sweep as users and beat drive
them (time moved by the items' dates, never by waiting): a team buys a destroy-models work,
declares the model it trained, the license expires, the team lets the grace period pass and is
restricted, then an owner attests and the holdback becomes the team's credit; the creator hears
of every step, and the public record says the model was destroyed."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import MembershipRole, Notification
from licensing.models import GrantStatus, LicenseGrantItem
from licensing.selectors.status import team_is_restricted
from licensing.tasks import license_lifecycle_sweep_task
from moderation.models import ReviewCase
from payouts.selectors.team_credit import team_credit_balances
from tests.factories import CreatorFactory, team_of
from tests.marketplace.factories import listed_work, make_dataset
from tests.marketplace.lifecycle import DESTROY, paid_order

pytestmark = pytest.mark.django_db(transaction=True)  # on-commit hooks run as in production


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def move_back(grant, *, days: float) -> None:
    """The license ended `days` ago (a year-long license, for the dates)."""
    ended = timezone.now() - timedelta(days=days)
    LicenseGrantItem.objects.filter(grant=grant).update(
        starts_at=ended - timedelta(days=365), expires_at=ended
    )


def test_a_destroy_models_license_from_sale_to_attested_destruction(
    buyer, client, settings, media_root
):
    settings.PLATFORM_FEE_BPS, settings.LICENSE_HOLDBACK_BPS = 2000, 1000
    ada = CreatorFactory()
    ada.creator_profile.is_named_publicly = True
    ada.creator_profile.save()
    team = team_of(buyer)
    buyer.memberships.update(role=MembershipRole.OWNER)
    work = listed_work(ada, preset=DESTROY, price=10_000, title="Tidal flats")
    order = paid_order(buyer, [work], build=False)
    grant = order.license_grant
    item = grant.items.get()
    assert team_credit_balances(team) == {}

    # The team declares the model it trains; the creator is told, once.
    start = item.starts_at.date()
    response = api(buyer).post(
        "/api/v1/models/",
        {
            "name": "Tide",
            "version": "1.0",
            "purpose": "Seascape generator",
            "commercial": True,
            "generative": True,
            "training_started_on": str(start),
            "training_ended_on": str(start + timedelta(days=20)),
            "grants": [str(grant.uuid)],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    model_uuid = response.json()["uuid"]
    notice = Notification.objects.get(user=ada, subject__icontains="Tide")
    assert "Tidal flats" in notice.body and team.name in notice.body

    # The license ends: the sweep marks the item due for destruction.
    move_back(grant, days=1)
    license_lifecycle_sweep_task()
    item.refresh_from_db()
    assert item.status == GrantStatus.DESTRUCTION_DUE
    detail = api(buyer).get(f"/api/v1/models/{model_uuid}/").json()
    assert detail["status"] == "destruction-due"

    # The grace period passes: the team is restricted, staff get a case, the creator is told.
    move_back(grant, days=settings.LICENSE_DESTRUCTION_GRACE_DAYS + 1)
    license_lifecycle_sweep_task()
    draft = make_dataset(buyer, [listed_work(ada)], name="Next set")
    refused = api(buyer).post(
        f"/api/v1/datasets/{draft.uuid}/checkout/", {"acknowledge_destruction": True}, format="json"
    )
    assert refused.status_code == 403 and refused.json()["code"] == "team_restricted"
    assert ReviewCase.objects.filter(organization=team, status="open").count() == 1
    assert Notification.objects.filter(user=ada, subject__icontains="not attested").exists()
    item.refresh_from_db()
    assert item.status == GrantStatus.BREACHED

    # An owner attests: the restriction lifts and the holdback becomes the team's credit.
    attested = api(buyer).post(
        f"/api/v1/models/{model_uuid}/attestations/",
        {
            "destroyed_on": str(timezone.now().date()),
            "method": "Deleted the weights, every checkpoint and the training cache.",
        },
        format="json",
    )
    assert attested.status_code == 201, attested.json()
    assert team_credit_balances(team) == {"USD": 1_000}
    item.refresh_from_db()
    assert item.status == GrantStatus.DESTROYED and item.duty_settled_at is not None
    assert not team_is_restricted(team)  # checkout and downloads open again
    assert Notification.objects.filter(user=ada, subject__icontains="destroyed").exists()
    license_lifecycle_sweep_task()  # a later sweep moves nothing twice
    assert team_credit_balances(team) == {"USD": 1_000}

    # Anyone can read the outcome on the license's public record.
    public = client.get(f"/public/licenses/{grant.uuid}/").content.decode()
    assert "Tide" in public and "Attested destroyed" in public
    assert ada.creator_profile.display_name in public
