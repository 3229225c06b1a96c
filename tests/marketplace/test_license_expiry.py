"""Downloads stop at expiry. A shard holding an item that is no longer licensed stops (a rebuild
delivers the rest); once nothing in the license runs, the whole package stops and the pages say
"this license expired on …; renew to download again". An item past its expiry counts as
expired at once, before the hourly sweep records it. The license API shows every item's status
and expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from licensing.models import GrantStatus, LicenseGrantItem
from marketplace.models import DownloadLog, PackageItem
from marketplace.serializers.licenses import package_data
from marketplace.services.delivery import current_package, download_url, package_request
from tests.factories import BuyerFactory, CreatorFactory

from .factories import listed_work
from .lifecycle import declare, expire, get_path, paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(media_root, settings):
    settings.PACKAGE_SHARD_TARGET_BYTES = 1  # one sample per shard
    return media_root


@pytest.fixture
def buyer():
    return BuyerFactory()


@pytest.fixture
def order(buyer):
    ada = CreatorFactory()
    return paid_order(buyer, [listed_work(ada, title=f"Harbour {i}") for i in range(3)])


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_item_past_its_expiry_stops_its_shard_before_the_sweep_marks_it(client, buyer, order):
    package = order.packages.get()
    ended = order.items.all()[0]
    LicenseGrantItem.objects.filter(item_ref=ended.item_ref).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )  # still `active` in the database: the hourly sweep has not run
    shard = PackageItem.objects.get(package=package, order_item=ended).shard
    other = PackageItem.objects.exclude(order_item=ended).filter(package=package).first().shard

    response = get_path(client, download_url(package_file=shard, user=buyer))
    assert response.status_code == 410 and "no longer licensed" in response.json()["message"]
    assert "renew" in response.json()["message"]
    assert get_path(client, download_url(package_file=other, user=buyer)).status_code == 200

    items = api(buyer).get(f"/api/v1/licenses/{order.license_grant.uuid}/").json()["items"]
    by_work = {i["work_id"]: i for i in items}
    assert by_work[ended.work_id]["status"] == "expired"
    assert by_work[ended.work_id]["is_running"] is False
    assert sum(i["is_running"] for i in items) == 2
    assert all(i["expires_at"] and i["starts_at"] for i in items)


def test_once_nothing_runs_the_whole_package_stops_and_the_page_says_renew(client, buyer, order):
    package = order.packages.get()
    expire(order.license_grant, minutes_ago=5)
    last = LicenseGrantItem.objects.filter(grant=order.license_grant).first().expires_at
    expected_date = f"{timezone.localtime(last):%-d %b %Y}"

    for package_file in package.files.all():
        response = get_path(client, download_url(package_file=package_file, user=buyer))
        assert response.status_code == 410, package_file.name
        assert response.json()["message"] == (
            f"This license expired on {expected_date}; renew to download again."
        )
    assert not DownloadLog.objects.exists()

    detail = api(buyer).get(f"/api/v1/licenses/{order.license_grant.uuid}/").json()
    assert {i["status"] for i in detail["items"]} == {"expired"}
    assert detail["running_items"] == 0 and detail["items_count"] == 3
    assert detail["package"]["unavailable_reason"].startswith("This license expired on")
    assert all(f["url"] is None for f in detail["package"]["files"])
    listed = api(buyer).get("/api/v1/licenses/").json()["results"][0]
    assert listed["running_items"] == 0 and listed["expires_at"]

    rebuild = api(buyer).post(f"/api/v1/licenses/{order.license_grant.uuid}/package/")
    assert (rebuild.status_code, rebuild.json()["code"]) == (409, "license_ended")
    assert order.packages.count() == 1

    client.force_login(buyer)
    page = client.get(f"/licenses/{order.license_grant.uuid}/").content.decode()
    assert f"This license expired on {expected_date}." in page
    assert 'data-testid="package-blocked"' in page and "renew to download again" in page
    assert 'data-status="expired"' in page
    listing = client.get("/licenses/").content.decode()
    assert f"expired {expected_date}" in listing


def test_the_sweeps_statuses_stop_downloads_too(client, buyer, order):
    for status in [GrantStatus.DESTRUCTION_DUE, GrantStatus.DESTROYED, GrantStatus.BREACHED]:
        LicenseGrantItem.objects.filter(grant=order.license_grant).update(status=status)
        index = order.packages.get().files.get(kind="index")
        response = get_path(client, download_url(package_file=index, user=buyer))
        assert response.status_code == 410, status


def test_a_rebuild_after_one_item_expired_delivers_the_rest(client, buyer, order):
    ended = order.items.all()[0]
    LicenseGrantItem.objects.filter(item_ref=ended.item_ref).update(status=GrantStatus.EXPIRED)
    with TestCase.captureOnCommitCallbacks(execute=True):
        second = api(buyer).post(f"/api/v1/licenses/{order.license_grant.uuid}/package/")
    assert second.status_code == 202
    package = order.packages.get(version=2)
    assert sorted(i.order_item_id for i in package.items.all()) == sorted(
        order.items.exclude(id=ended.id).values_list("id", flat=True)
    )
    files = api(buyer).get(f"/api/v1/licenses/{order.license_grant.uuid}/").json()["package"]
    assert files["version"] == 2 and all(f["url"] for f in files["files"])


def test_the_license_page_lists_declared_models_and_the_machine_readable_forms(
    client, buyer, order
):
    model = declare(buyer, list(order.license_grant.items.all()[:2]), name="painter")
    client.force_login(buyer)
    page = client.get(f"/licenses/{order.license_grant.uuid}/").content.decode()
    assert 'data-testid="declared-models"' in page
    assert f"/team/models/{model.uuid}/" in page and "painter" in page
    assert "2 works from this license" in page and 'href="/team/models/"' in page
    assert f"/public/licenses/{order.license_grant.uuid}/odrl.json" in page
    assert "/rsl.xml" in page

    detail = api(buyer).get(f"/api/v1/licenses/{order.license_grant.uuid}/").json()
    assert detail["declared_models"] == [
        {
            "uuid": str(model.uuid),
            "name": "painter",
            "version": "1.0",
            "status": "active",
            "deadline": None,
            "items_in_license": 2,
        }
    ]
    assert detail["odrl_url"] == f"/public/licenses/{order.license_grant.uuid}/odrl.json"


def test_a_package_being_built_is_not_blocked_by_the_license_check(buyer, order):
    with TestCase.captureOnCommitCallbacks(execute=False):
        package = package_request(order=order, user=buyer)
    detail = api(buyer).get(f"/api/v1/licenses/{order.license_grant.uuid}/").json()
    assert detail["package"]["uuid"] == str(package.uuid)
    assert detail["package"]["status"] == "queued" and detail["package"]["files"] == []


@pytest.mark.parametrize("rows", [1, 50])
def test_query_count_of_the_license_list_does_not_grow_with_licenses(
    client, rows, django_assert_max_num_queries
):
    buyer, ada = BuyerFactory(), CreatorFactory()
    for _ in range(rows):
        paid_order(buyer, [listed_work(ada)], build=False)
    client.force_login(buyer)
    with django_assert_max_num_queries(12):
        page = client.get("/licenses/").content.decode()
    assert page.count("/licenses/") >= rows


def test_the_package_panel_checks_the_license_once_per_package_not_per_file(buyer):
    """One shard per item here: the panel's queries must not grow with the shards."""
    ada = CreatorFactory()
    counts = []
    for size in (1, 6):
        order = paid_order(buyer, [listed_work(ada) for _ in range(size)])
        package = current_package(order)
        with CaptureQueriesContext(connection) as queries:
            data = package_data(package, buyer)
        assert sum(f["kind"] == "shard" for f in data["files"]) == size
        assert all(f["is_available"] for f in data["files"])
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_a_package_replaced_by_a_newer_ready_version_is_no_longer_offered(buyer, order):
    old = current_package(order)
    with TestCase.captureOnCommitCallbacks(execute=True):
        package_request(order=order, user=buyer)
    new = current_package(order)
    assert new.version == old.version + 1 and new.status == "ready"
    stale = package_data(old, buyer)["files"]
    assert stale and not any(f["is_available"] for f in stale)
    assert all("newer version" in f["unavailable_reason"] for f in stale)
    assert all(f["is_available"] for f in package_data(new, buyer)["files"])


def test_the_team_page_says_which_models_must_be_attested_destroyed_and_by_when(client, buyer):
    """Issue 21: nothing on the team page said a destruction attestation was due."""
    from accounts.models import MembershipRole
    from tests.factories import MembershipFactory, UserFactory

    from .factories import listed_work
    from .lifecycle import declare, expire, paid_order

    client.force_login(buyer)
    assert 'data-testid="destruction-due"' not in client.get("/team/").content.decode()

    order = paid_order(buyer, [listed_work(preset="generative-commercial-3y")], build=False)
    declare(buyer, list(order.license_grant.items.all()), name="Orbit Diffusion")
    expire(order.license_grant, days_ago=2)

    html = client.get("/team/").content.decode()
    assert 'data-testid="destruction-due"' in html
    assert "1 model must be attested destroyed" in html and "Orbit Diffusion" in html
    assert "/attest/" in html  # the owner gets the link to sign

    member = UserFactory(role="buyer")
    MembershipFactory(user=member, organization=order.organization, role=MembershipRole.MEMBER)
    client.force_login(member)
    html = client.get("/team/").content.decode()
    assert "Orbit Diffusion" in html and "/attest/" not in html
