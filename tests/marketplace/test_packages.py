"""Packages: what a paid order delivers, loaded the way teams load it (webdataset, pyarrow,
mlcroissant), with the license inside every image and the pixels untouched; a build that
crashes midway resumes without duplicating or losing a sample; downloads by signed link."""

from __future__ import annotations

import hashlib
import io
import json
import time
from urllib.parse import parse_qs, urlparse

import mlcroissant as mlc
import numpy as np
import pyarrow.parquet as pq
import pytest
import webdataset as wds
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import TestCase

from accounts.models import Notification
from licensing.documents import DMI_SEE_CONSTRAINT
from licensing.models import GrantStatus, LicenseGrantItem
from licensing.services.grants import license_items_revoke
from marketplace.models import DownloadLog, PackageFile, PackageItem, PackageStatus
from marketplace.packages import builder
from marketplace.services.delivery import download_url, package_request
from tests.factories import BuyerFactory, CreatorFactory, MembershipFactory
from tests.uploads.images import jpeg_bytes, photo, png_bytes
from uploads.metadata.xmp_iptc import read_xmp_iptc

from .factories import listed_work
from .packages import local_copy, paid, pixels, stored

pytestmark = pytest.mark.django_db


def webp_bytes(image) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", lossless=True)
    return out.getvalue()


@pytest.fixture
def buyer():
    return BuyerFactory()


@pytest.fixture
def works():
    ada = CreatorFactory()
    return [
        listed_work(ada, data=jpeg_bytes(photo(120, 80, seed=1)), title="Harbour"),
        listed_work(ada, data=png_bytes(photo(90, 60, seed=2)), media_type="image/png"),
        listed_work(ada, data=webp_bytes(photo(70, 50, seed=3)), media_type="image/webp"),
    ]


def test_a_paid_order_gets_a_package_teams_can_load(buyer, works, settings, tmp_path):
    order = paid(buyer, works, settings, shard_bytes=1)  # one sample per shard
    package = order.packages.get()
    assert package.status == PackageStatus.READY and package.percent == 100
    assert Notification.objects.filter(user=buyer, subject__contains="package").count() == 1
    names = sorted(package.files.values_list("name", flat=True))
    license_ref = order.license_grant.uuid.hex[:10].upper()
    shards = [f"assent-{license_ref}-{i:06d}.tar" for i in range(3)]
    assert names == sorted(
        [*shards, "LICENSE.md", "croissant.json", "index.parquet", "manifest.json", "odrl.json"]
    )
    paths = local_copy(package, tmp_path)

    # The manifest lists every other file with its real size and checksum.
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["items"] == 3
    for entry in manifest["files"]:
        data = (tmp_path / entry["name"]).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["size"], entry["sha256"])

    # webdataset: every sample has its image and its record; the image carries the license.
    originals = {w.uuid.hex: stored(w.original.name) for w in works}
    url = str(tmp_path / f"assent-{license_ref}-{{000000..000002}}.tar")
    samples = list(wds.WebDataset(url, shardshuffle=False))
    assert sorted(s["__key__"] for s in samples) == sorted(originals)
    for sample in samples:
        image_field = next(k for k in ("jpg", "png", "webp") if k in sample)
        record = json.loads(sample["json"])
        delivered = sample[image_field]
        assert record["license_id"] == license_ref and record["work_id"] in {w.id for w in works}
        assert record["delivered_sha256"] == hashlib.sha256(delivered).hexdigest()
        assert record["original_sha256"] == hashlib.sha256(originals[sample["__key__"]]).hexdigest()
        xmp, _ = read_xmp_iptc(delivered)
        assert xmp["data_mining"] == DMI_SEE_CONSTRAINT
        assert license_ref in xmp["other_constraints"]
        assert xmp["web_statement"].endswith(f"/licenses/{order.license_grant.uuid}/")
        assert delivered != originals[sample["__key__"]]
        assert np.array_equal(pixels(delivered), pixels(originals[sample["__key__"]]))

    # pyarrow: one row per item with its terms and provenance.
    table = pq.read_table(paths["index.parquet"]).to_pylist()
    assert sorted(r["work_id"] for r in table) == sorted(w.id for w in works)
    harbour = next(r for r in table if r["title"] == "Harbour")
    assert (
        harbour["uses"]
        == "ai-evaluate,ai-fine-tune,ai-input,ai-train-generative,ai-train-nongenerative"
    )
    assert harbour["commercial"] is True and harbour["term_months"] == 36
    assert harbour["on_expiry"] == "destroy-models" and harbour["member"].endswith(".jpg")
    assert harbour["creator"] and harbour["expires_at"].startswith(str(order.paid_at.year + 3))

    # Croissant: valid for mlcroissant, and its record set reads the index.
    dataset = mlc.Dataset(jsonld=paths["croissant.json"])
    records = list(dataset.records(record_set="items"))
    assert len(records) == 3
    summary = (tmp_path / "LICENSE.md").read_text()
    assert license_ref in summary and order.organization.name in summary
    assert "every model trained on these items must be destroyed" in summary


def test_a_build_that_crashes_midway_resumes_without_duplicates(
    buyer, works, settings, monkeypatch
):
    settings.PACKAGE_SHARD_TARGET_BYTES = 1
    settings.CELERY_TASK_ALWAYS_EAGER = False  # build by hand, step by step
    monkeypatch.setattr("marketplace.services.delivery.package_build_enqueue", lambda _id: None)
    order = paid(buyer, works, settings)
    package = order.packages.get()

    builder.package_build_step(package_id=package.id, max_shards=1)
    real_insert = builder._insert_items

    def crash(*args, **kwargs):
        raise SystemExit("worker killed after storing shard 2, before recording it")

    monkeypatch.setattr(builder, "_insert_items", crash)
    with pytest.raises(SystemExit):
        builder.package_build_step(package_id=package.id, max_shards=1)
    monkeypatch.setattr(builder, "_insert_items", real_insert)
    package.refresh_from_db()
    assert package.status == PackageStatus.BUILDING and package.done_items == 1

    package = builder.package_build_step(package_id=package.id)
    assert package.status == PackageStatus.READY
    items = list(PackageItem.objects.filter(package=package))
    assert sorted(i.order_item.work_id for i in items) == sorted(w.id for w in works)
    assert PackageFile.objects.filter(package=package, kind="shard").count() == 3
    # The shard stored before the crash was replaced, not kept beside a renamed copy.
    listed = default_storage.listdir(package.storage_prefix.rstrip("/"))[1]
    assert sorted(listed) == sorted(package.files.values_list("name", flat=True))


def _link_params(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def test_download_links_are_signed_expire_and_are_logged(client, buyer, works, settings):
    order = paid(buyer, works, settings)
    index = order.packages.get().files.get(name="index.parquet")
    member = MembershipFactory(
        organization=order.organization, user=BuyerFactory(membership=None)
    ).user

    before = time.time()
    url = download_url(package_file=index, user=member)
    params = _link_params(url)
    assert (
        int(before) + settings.PACKAGE_LINK_MAX_AGE
        <= int(params["expires"])
        <= time.time() + settings.PACKAGE_LINK_MAX_AGE + 1
    )

    path = urlparse(url).path + "?" + urlparse(url).query
    response = client.get(path, HTTP_USER_AGENT="curl/8", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == stored(index.storage_key)
    log = DownloadLog.objects.get()
    assert (log.user, log.package_file, log.ip_address, log.user_agent) == (
        member,
        index,
        "10.1.2.3",
        "curl/8",
    )

    tampered = path.replace(f"user={member.id}", f"user={buyer.id}")
    assert client.get(tampered).status_code == 403
    expired = download_url(
        package_file=index, user=member, now=time.time() - settings.PACKAGE_LINK_MAX_AGE - 5
    )
    assert client.get(urlparse(expired).path + "?" + urlparse(expired).query).status_code == 410
    # A bearer link: no session needed, but it dies with the membership it was made out to.
    order.organization.memberships.filter(user=member).delete()
    assert client.get(path).status_code in (403, 404)
    outsider = BuyerFactory()  # another team: a link made out to them opens nothing
    foreign = download_url(package_file=index, user=outsider)
    assert client.get(urlparse(foreign).path + "?" + urlparse(foreign).query).status_code == 404
    assert DownloadLog.objects.count() == 1


@pytest.mark.parametrize("how", ["expired", "refunded"])
def test_after_an_items_license_ends_its_shard_stops_and_a_rebuild_leaves_it_out(
    client, buyer, works, settings, how
):
    order = paid(buyer, works, settings, shard_bytes=1)
    first = order.packages.get()
    ended = order.items.get(work=works[0])
    if how == "refunded":
        license_items_revoke(item_refs=[ended.item_ref], reason="Refunded")
    else:  # its term ran out (the lifecycle task of issue 10 sets this status)
        LicenseGrantItem.objects.filter(item_ref=ended.item_ref).update(status=GrantStatus.EXPIRED)
    shard = PackageItem.objects.get(package=first, order_item=ended).shard
    url = download_url(package_file=shard, user=buyer)
    response = client.get(urlparse(url).path + "?" + urlparse(url).query)
    assert response.status_code == 410 and "no longer licensed" in response.json()["message"]

    with TestCase.captureOnCommitCallbacks(execute=True):
        second = package_request(order=order, user=buyer)
    second.refresh_from_db()
    assert second.version == 2 and second.status == PackageStatus.READY
    assert sorted(i.order_item_id for i in second.items.all()) == sorted(
        i.id for i in order.items.exclude(id=ended.id)
    )
    old = first.files.get(name="index.parquet")
    old_url = download_url(package_file=old, user=buyer)
    assert client.get(urlparse(old_url).path + "?" + urlparse(old_url).query).status_code == 410


def test_the_license_api_lists_the_package_files_with_working_links(
    client, api_client, buyer, works, settings
):
    order = paid(buyer, works, settings)
    api_client.force_authenticate(buyer)
    response = api_client.get(f"/api/v1/licenses/{order.license_grant.uuid}/")
    assert response.status_code == 200
    package = response.json()["package"]
    assert package["status"] == "ready" and package["version"] == 1
    files = {f["name"]: f for f in package["files"]}
    assert {"index.parquet", "croissant.json", "manifest.json", "LICENSE.md"} <= set(files)
    link = urlparse(files["manifest.json"]["url"])
    download = client.get(f"{link.path}?{link.query}")
    assert download.status_code == 200
    assert (
        hashlib.sha256(b"".join(download.streaming_content)).hexdigest()
        == files["manifest.json"]["sha256"]
    )

    outsider = BuyerFactory()
    api_client.force_authenticate(outsider)
    assert api_client.get(f"/api/v1/licenses/{order.license_grant.uuid}/").status_code == 404
    assert (
        api_client.post(f"/api/v1/licenses/{order.license_grant.uuid}/package/").status_code == 404
    )

    api_client.force_authenticate(buyer)
    with TestCase.captureOnCommitCallbacks(execute=True):
        rebuilt = api_client.post(f"/api/v1/licenses/{order.license_grant.uuid}/package/")
    assert rebuilt.status_code == 202 and rebuilt.json()["version"] == 2
    assert order.packages.count() == 2


def test_the_license_page_shows_the_package_with_links_and_rebuilds_on_request(
    client, buyer, works, settings
):
    order = paid(buyer, works, settings)
    client.force_login(buyer)
    page = client.get(f"/licenses/{order.license_grant.uuid}/").content.decode()
    assert "Download package" in page and "index.parquet" in page and "croissant.json" in page
    assert "/downloads/" in page and "signature=" in page
    # What the link is, said as it is (issue 21: the page said "only for members").
    assert "anyone holding it can use it until then" in page and "only for members" not in page
    assert f"/licenses/{order.license_grant.uuid}/package/urls.txt" in page  # download all

    with TestCase.captureOnCommitCallbacks(execute=False):  # queued, not built yet
        response = client.post(f"/licenses/{order.license_grant.uuid}/package/")
    assert response.status_code == 302
    page = client.get(f"/licenses/{order.license_grant.uuid}/").content.decode()
    assert "Building your package" in page and 'role="progressbar"' in page
    assert order.packages.count() == 2

    outsider = BuyerFactory()
    client.force_login(outsider)
    assert client.post(f"/licenses/{order.license_grant.uuid}/package/").status_code == 404
    assert order.packages.count() == 2


def test_on_s3_the_package_is_stored_privately_and_downloads_redirect_to_a_short_lived_url(
    client, buyer, works, settings, s3_server
):
    import urllib.request

    local = {w.id: stored(w.original.name) for w in works}  # the factory stored them locally
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_server.storage_options(querystring_expire=120),
        },
    }
    settings.SIGNED_URL_MAX_AGE = 120
    for work in works:  # the originals move to S3 too
        assert (
            default_storage.save(work.original.name, ContentFile(local[work.id]))
            == work.original.name
        )
    order = paid(buyer, works, settings)
    package = order.packages.get()
    assert package.status == PackageStatus.READY
    manifest = package.files.get(name="manifest.json")
    assert manifest.storage_key.startswith(f"packages/{package.uuid.hex}/")

    link = urlparse(download_url(package_file=manifest, user=buyer))
    response = client.get(f"{link.path}?{link.query}")
    assert response.status_code == 302
    presigned = urlparse(response["Location"])
    query = {k: v[0] for k, v in parse_qs(presigned.query).items()}
    assert query["X-Amz-Expires"] == "120"  # expiry read from the signed URL itself
    assert "attachment" in query["response-content-disposition"]
    with urllib.request.urlopen(response["Location"], timeout=10) as fetched:
        assert hashlib.sha256(fetched.read()).hexdigest() == manifest.sha256
    assert DownloadLog.objects.filter(package_file=manifest, user=buyer).count() == 1


def test_download_all_is_a_list_of_fresh_links_a_tool_can_fetch(client, buyer, works, settings):
    """Issue 21: one "download all": the package's files as signed links, one per line, for
    `wget -i` (each link then works as any other, and is logged when used)."""
    order = paid(buyer, works, settings)
    client.force_login(buyer)
    response = client.get(f"/licenses/{order.license_grant.uuid}/package/urls.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/uri-list")
    urls = response.content.decode().split()
    names = {f.name for f in order.packages.get().files.all()}
    assert len(urls) == len(names) and all("/downloads/" in u and "signature=" in u for u in urls)

    client.logout()  # a tool fetching them has no session
    fetched = [client.get(urlparse(u).path + "?" + urlparse(u).query) for u in urls]
    assert {r.status_code for r in fetched} == {200}
    assert DownloadLog.objects.count() == len(names)

    client.force_login(BuyerFactory())  # another team's list is not theirs to read
    assert client.get(f"/licenses/{order.license_grant.uuid}/package/urls.txt").status_code == 404
