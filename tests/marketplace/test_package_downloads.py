"""`package_downloads`: the one answer to "what of this package may the team download now, and
why not", which the license API, the license page and its "download all" list all show."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from licensing.models import LicenseGrantItem
from marketplace.models import PackageItem
from marketplace.selectors.licenses import package_downloads
from marketplace.services.delivery import current_package, package_request
from tests.factories import BuyerFactory, CreatorFactory, team_of

from .factories import listed_work
from .lifecycle import DESTROY, declare, expire, get_path, overdue_expiry_days, paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_work_per_shard(settings):
    settings.PACKAGE_SHARD_TARGET_BYTES = 1


@pytest.fixture
def buyer():
    return BuyerFactory()


@pytest.fixture
def order(buyer):
    ada = CreatorFactory()
    return paid_order(buyer, [listed_work(ada, title=f"Dune {i}") for i in range(2)])


def urls_txt(client, buyer, order) -> list[str]:
    client.force_login(buyer)
    response = client.get(f"/licenses/{order.license_grant.uuid}/package/urls.txt")
    assert response.status_code == 200
    return response.content.decode().split()


def test_a_running_license_offers_every_file_shards_first(client, buyer, order):
    downloads = package_downloads(package=current_package(order))

    assert downloads.unavailable_reason == ""
    assert all(f.is_available and f.reason == "" for f in downloads.files)
    kinds = [f.file.kind for f in downloads.files]
    assert kinds[:2] == ["shard", "shard"] and kinds.index("index") == 2
    assert len(urls_txt(client, buyer, order)) == len(downloads.downloadable_files)


def test_an_ended_item_stops_only_its_shard(client, buyer, order):
    ended = order.items.all()[0]
    LicenseGrantItem.objects.filter(item_ref=ended.item_ref).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    package = current_package(order)
    shard = PackageItem.objects.get(package=package, order_item=ended).shard

    downloads = package_downloads(package=package)

    assert downloads.unavailable_reason == ""
    (stopped,) = [f for f in downloads.files if not f.is_available]
    assert stopped.file == shard and "no longer licensed" in stopped.reason
    urls = urls_txt(client, buyer, order)
    assert len(urls) == len(downloads.files) - 1
    assert not any(f"/downloads/{shard.id}/" in u for u in urls)
    client.logout()
    assert {get_path(client, u).status_code for u in urls} == {200}


def test_once_nothing_runs_nothing_is_offered_and_the_reason_says_renew(client, buyer, order):
    expire(order.license_grant, minutes_ago=5)

    downloads = package_downloads(package=current_package(order))

    assert downloads.unavailable_reason.startswith("This license expired on")
    assert downloads.unavailable_reason.endswith("renew to download again.")
    assert downloads.downloadable_files == []
    assert urls_txt(client, buyer, order) == []
    page = client.get(f"/licenses/{order.license_grant.uuid}/").content.decode()
    assert 'data-testid="package-blocked"' in page and "/downloads/" not in page


def test_a_restricted_team_gets_no_file_and_is_told_why(client, buyer, order):
    old = paid_order(buyer, [listed_work(CreatorFactory(), preset=DESTROY)], build=False)
    declare(buyer, list(old.license_grant.items.all()), name="painter")
    expire(old.license_grant, days_ago=overdue_expiry_days())
    paused = (
        f"Downloads are paused: {team_of(buyer).name} is restricted until its overdue models "
        "are attested destroyed."
    )

    downloads = package_downloads(package=current_package(order))

    assert downloads.unavailable_reason == paused
    assert downloads.files and all(
        not f.is_available and f.reason == paused for f in downloads.files
    )
    assert urls_txt(client, buyer, order) == []
    page = client.get(f"/licenses/{order.license_grant.uuid}/").content.decode()
    assert paused in page and "/downloads/" not in page


def test_a_package_being_built_has_no_files_and_no_block(buyer, order):
    with TestCase.captureOnCommitCallbacks(execute=False):
        package = package_request(order=order, user=buyer)

    downloads = package_downloads(package=package)

    assert downloads.files == () and downloads.unavailable_reason == ""
