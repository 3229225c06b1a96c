"""The public license page: team, terms grouped in plain words, dates, the creators who chose
to be named (the others counted), declared models and their status, revoked and expired
licenses; nothing a creator kept private, no prices, no emails; fixed query count."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from licensing.services.grants import license_items_revoke
from tests.factories import BuyerFactory, ModelDeclarationFactory
from tests.licensing.lifecycle_helpers import attestation_on_file
from tests.marketplace.factories import listed_work
from uploads.models import WorkStatus

from .factories import creator, grant

pytestmark = pytest.mark.django_db


def team(name: str = "Orbit Lab"):
    owner = BuyerFactory(membership__organization__name=name)
    return owner, owner.memberships.first().organization


def declare(owner, organization, items, *, name: str, version: str = "1.0"):
    return ModelDeclarationFactory(
        declared_by=owner,
        organization=organization,
        items=items,
        name=name,
        version=version,
        purpose="Internal purpose text, not for the public page.",
    )


def page(client, license_grant):
    response = client.get(f"/public/licenses/{license_grant.uuid}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def mixed_license():
    named = creator(named=True, name="Ada Lovelace")
    shy = creator(named=False, name="Shy Person")
    other_shy = creator(named=False, name="Other Shy")
    works = [
        listed_work(named, title="Harbour at dawn", price=4321),
        listed_work(named, title="Held sketch", status=WorkStatus.PENDING_REVIEW, price=4321),
        listed_work(shy, title="Shy sunset", price=4321),
        listed_work(other_shy, title="Other shy", preset="nongenerative-research-5y", price=4321),
    ]
    owner, organization = team()
    return grant(organization, works), works, owner, organization


def test_the_page_shows_the_public_facts(client, mixed_license):
    license_grant, works, _owner, _organization = mixed_license
    html = page(client, license_grant)

    assert "Licensed to Orbit Lab" in html
    assert "4 works for AI training" in html
    # Terms grouped: 3 works on one preset, 1 on another, in plain words, linked to the text.
    assert "<strong>3 works</strong> on these terms" in html
    assert "<strong>1 work</strong> on these terms" in html
    assert "Non-commercial use only." in html and "Commercial use is allowed." in html
    [item] = [i for i in license_grant.items.all() if i.work_id == works[0].id]
    assert f"/licenses/terms/{item.terms_hash}/" in html
    # Dates: the grant's start and its items' expiries (3 and 5 years).
    assert license_grant.starts_at.strftime("%-d %b %Y") in html
    # Creators: the named one by name; the others only counted.
    assert "Ada Lovelace" in html
    assert "And 2 creators chose not to be named." in html
    # The named creator's public work is shown; the held one is not.
    assert "Harbour at dawn" in html
    assert f"/public/licenses/{license_grant.uuid}/odrl.json" in html


def test_the_page_shows_nothing_a_creator_kept_private(client, mixed_license):
    license_grant, works, owner, _organization = mixed_license
    html = page(client, license_grant)
    for private in (
        "Shy Person",
        "Other Shy",  # creators who did not choose to be named
        "Shy sunset",
        "Other shy",  # their works, even though listed
        "Held sketch",  # a named creator's work the catalog does not show
        "43.21",
        "4321",
        "$",  # prices
        "@",  # emails of anyone
        "Internal purpose text",  # the team's own description of its model
        license_grant.source_reference,  # the order behind it
    ):
        assert private not in html, private
    for work in works:
        assert work.owner.email not in html
    assert owner.email not in html


def test_declared_models_and_their_status(client):
    named = creator(named=True)
    works = [listed_work(named) for _ in range(3)]
    owner, organization = team()
    running = grant(organization, works[:1])
    long_ago = timezone.now() - timedelta(days=3 * 365 + 60)  # 3-year terms, expired 2 months
    old = grant(organization, works[1:], starts_at=long_ago)
    declare(owner, organization, running.items.all(), name="Atlas")
    declare(owner, organization, old.items.all()[:1], name="Borealis")
    destroyed = declare(owner, organization, old.items.all()[1:], name="Cirrus")
    attestation_on_file(
        destroyed,
        owner,
        destroyed_on=date(2026, 3, 14),
        method="Weights deleted.",
        statement="We destroyed Cirrus.",
    )

    running_html = page(client, running)
    assert "Atlas" in running_html and 'data-status="active"' in running_html
    assert "Borealis" not in running_html  # declared on another license

    old_html = page(client, old)
    assert "This license has <strong>expired</strong>" in old_html
    assert "Borealis" in old_html and 'data-status="overdue"' in old_html
    assert "Cirrus" in old_html and 'data-status="destroyed"' in old_html
    assert "Attested destroyed" in old_html and "14 Mar 2026" in old_html


def test_destruction_due_within_the_grace_period(client):
    works = [listed_work(creator(named=False))]
    owner, organization = team()
    just_expired = timezone.now() - timedelta(days=3 * 366 + 5)
    license_grant = grant(organization, works, starts_at=just_expired)
    declare(owner, organization, license_grant.items.all(), name="Delta")
    html = page(client, license_grant)
    assert 'data-status="destruction-due"' in html and "attest by" in html


def test_a_revoked_license_says_revoked(client):
    works = [listed_work(creator(named=True, name="Ada"))]
    _, organization = team()
    license_grant = grant(organization, works)
    license_items_revoke(item_refs=[i.item_ref for i in license_grant.items.all()], reason="x")
    html = page(client, license_grant)
    assert 'data-status="revoked"' in html and "was <strong>revoked</strong>" in html
    assert "1 work for AI training" in html


def test_unknown_license_is_404(client):
    assert client.get("/public/licenses/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/public/licenses/not-a-uuid/").status_code == 404


@pytest.mark.parametrize("size", [1, 50])
def test_query_count_does_not_grow_with_items(client, django_assert_num_queries, size):
    creators = [creator(named=n % 2 == 0) for n in range(size)]
    works = [listed_work(c) for c in creators]
    owner, organization = team()
    license_grant = grant(organization, works)
    declare(owner, organization, license_grant.items.all(), name="Atlas")
    # The grant, its items, the named creators, their public works, the declarations, their
    # items and their attestations: 7 queries for 1 item or 50.
    with django_assert_num_queries(7):
        html = page(client, license_grant)
    assert f"{size} work{'s' if size > 1 else ''} for AI training" in html


# --- ODRL -------------------------------------------------------------------------------------


def test_the_odrl_policy_is_public_and_private_free(client, mixed_license):
    from licensing import documents

    if not hasattr(documents, "odrl_policy"):
        pytest.skip("licensing.documents.odrl_policy is not in place yet")
    license_grant, works, owner, _organization = mixed_license
    response = client.get(f"/public/licenses/{license_grant.uuid}/odrl.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    body = response.json()
    assert isinstance(body, dict) and str(license_grant.uuid) in response.content.decode()
    text = response.content.decode()
    for private in ("Shy Person", "Other Shy", "Held sketch", "4321", "43.21", owner.email):
        assert private not in text, private
    # Only the named creator's public work is named by its uuid (the catalog's claim link
    # carries uuids, so any other uuid would lead back to a title or a creator's name).
    public, held, shy, other_shy = works
    assert f"urn:uuid:{public.uuid}" in text
    for hidden in (held, shy, other_shy):
        assert str(hidden.uuid) not in text
    assert len(body["permission"]) == 4
    assert f"/public/licenses/{license_grant.uuid}/#item-2" in text


def test_the_odrl_policy_of_an_unknown_license_is_404(client):
    assert (
        client.get("/public/licenses/00000000-0000-0000-0000-000000000000/odrl.json").status_code
        == 404
    )
