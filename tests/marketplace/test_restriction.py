"""A team overdue on a destruction attestation cannot start a checkout or download (API and
pages), sees why and what lifts it, and is free again once the attestation is on file. Other
teams are not affected."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import MembershipRole
from marketplace.models import DownloadLog, Order
from marketplace.services.delivery import download_url
from tests.factories import BuyerFactory, CreatorFactory, MembershipFactory, StaffFactory, team_of

from .factories import listed_work, make_dataset
from .lifecycle import (
    DESTROY,
    STOP,
    attest,
    declare,
    expire,
    get_path,
    overdue_expiry_days,
    paid_order,
    research_use,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_stripe", "media_root")]


@pytest.fixture
def ada():
    return CreatorFactory()


@pytest.fixture
def restricted(ada):
    """A team with an expired `destroy-models` license whose declared model is past its grace
    period, a license that still runs (its package built), and a draft dataset."""
    owner = BuyerFactory()
    old = paid_order(owner, [listed_work(ada, preset=DESTROY)], build=False)
    model = declare(owner, list(old.license_grant.items.all()), name="painter")
    expire(old.license_grant, days_ago=overdue_expiry_days())
    running = paid_order(owner, [listed_work(ada, preset=STOP)], intended=research_use())
    draft = make_dataset(owner, [listed_work(ada)], name="Next")
    return {"owner": owner, "model": model, "running": running, "draft": draft}


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def index_link(order, user) -> str:
    return download_url(package_file=order.packages.get().files.get(kind="index"), user=user)


def test_an_overdue_team_cannot_check_out_until_it_attests(restricted):
    owner, model, draft = restricted["owner"], restricted["model"], restricted["draft"]
    response = api(owner).post(
        f"/api/v1/datasets/{draft.uuid}/checkout/", {"acknowledge_destruction": True}, format="json"
    )

    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "team_restricted"
    assert "painter 1.0" in body["message"]
    assert f"/team/models/{model.uuid}/attest/" in body["message"]
    assert body["overdue_models"][0]["attest_url"] == f"/team/models/{model.uuid}/attest/"
    assert not Order.objects.filter(dataset=draft).exists()

    attest(model, owner)
    response = api(owner).post(
        f"/api/v1/datasets/{draft.uuid}/checkout/", {"acknowledge_destruction": True}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert Order.objects.filter(dataset=draft, status="awaiting_payment").count() == 1


def test_every_member_of_the_team_is_refused_and_other_teams_are_not(restricted, ada):
    member = BuyerFactory(membership=None)
    MembershipFactory(
        user=member, organization=team_of(restricted["owner"]), role=MembershipRole.MEMBER
    )
    draft = restricted["draft"]
    response = api(member).post(
        f"/api/v1/datasets/{draft.uuid}/checkout/", {"acknowledge_destruction": True}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (403, "team_restricted")

    other = BuyerFactory()
    theirs = make_dataset(other, [listed_work(ada)])
    response = api(other).post(
        f"/api/v1/datasets/{theirs.uuid}/checkout/",
        {"acknowledge_destruction": True},
        format="json",
    )
    assert response.status_code == 201
    # Another team cannot reach the restricted team's dataset at all.
    assert (
        api(other)
        .post(
            f"/api/v1/datasets/{draft.uuid}/checkout/",
            {"acknowledge_destruction": True},
            format="json",
        )
        .status_code
        == 404
    )


@pytest.mark.parametrize("caller", ["anonymous", "creator", "staff"])
def test_callers_without_a_team_role_are_refused_before_any_restriction(restricted, caller):
    user = {"anonymous": None, "creator": CreatorFactory(), "staff": StaffFactory()}[caller]
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    response = client.post(
        f"/api/v1/datasets/{restricted['draft'].uuid}/checkout/",
        {"acknowledge_destruction": True},
        format="json",
    )
    assert response.status_code == (401 if caller == "anonymous" else 403)
    assert response.json()["code"] != "team_restricted"


def test_an_overdue_team_cannot_download_until_it_attests(client, restricted):
    owner, running = restricted["owner"], restricted["running"]
    link = index_link(running, owner)

    response = get_path(client, link)
    assert response.status_code == 403
    assert response.json()["code"] == "team_restricted" and "painter" in response.json()["message"]
    assert not DownloadLog.objects.exists()

    # The license API shows the package without links, and says why.
    detail = api(owner).get(f"/api/v1/licenses/{running.license_grant.uuid}/").json()
    assert detail["restriction"]["code"] == "team_restricted"
    assert detail["package"]["unavailable_reason"] == (
        f"Downloads are paused: {team_of(owner).name} is restricted until its overdue models "
        "are attested destroyed."
    )
    assert all(f["url"] is None for f in detail["package"]["files"])
    rebuild = api(owner).post(f"/api/v1/licenses/{running.license_grant.uuid}/package/")
    assert (rebuild.status_code, rebuild.json()["code"]) == (403, "team_restricted")

    attest(restricted["model"], owner)
    assert get_path(client, link).status_code == 200
    assert DownloadLog.objects.count() == 1
    detail = api(owner).get(f"/api/v1/licenses/{running.license_grant.uuid}/").json()
    assert detail["restriction"] is None and detail["package"]["unavailable_reason"] == ""
    assert all(f["url"] for f in detail["package"]["files"])


def test_the_pages_show_the_restriction_the_models_and_what_lifts_it(client, restricted):
    owner, model, draft = restricted["owner"], restricted["model"], restricted["draft"]
    client.force_login(owner)
    attest_url = f"/team/models/{model.uuid}/attest/"

    for url in ["/licenses/", f"/licenses/{restricted['running'].license_grant.uuid}/"]:
        page = client.get(url).content.decode()
        assert 'data-testid="restriction"' in page, url
        assert "no new purchases, no downloads" in page and "painter" in page
        assert attest_url in page and "What lifts it" in page

    page = client.get(f"/datasets/{draft.uuid}/").content.decode()
    assert 'data-testid="restriction"' in page and attest_url in page
    response = client.post(
        f"/datasets/{draft.uuid}/checkout/", {"acknowledge_destruction": "yes"}, follow=True
    )
    assert "cannot buy or download" in response.content.decode()
    assert not Order.objects.filter(dataset=draft).exists()

    attest(model, owner)
    assert 'data-testid="restriction"' not in client.get("/licenses/").content.decode()
    response = client.post(f"/datasets/{draft.uuid}/checkout/", {"acknowledge_destruction": "yes"})
    assert response.status_code == 302 and "/pay/" in response["Location"]


def test_a_model_still_within_its_grace_period_does_not_restrict(ada):
    owner = BuyerFactory()
    old = paid_order(owner, [listed_work(ada, preset=DESTROY)], build=False)
    declare(owner, list(old.license_grant.items.all()))
    expire(old.license_grant, days_ago=overdue_expiry_days() - 2)
    draft = make_dataset(owner, [listed_work(ada)])
    assert (
        api(owner)
        .post(
            f"/api/v1/datasets/{draft.uuid}/checkout/",
            {"acknowledge_destruction": True},
            format="json",
        )
        .status_code
        == 201
    )
