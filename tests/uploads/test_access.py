"""Who may see a work and fetch its files: the creator and staff; nobody else, by any route."""

import pytest

from tests.factories import BuyerFactory, CreatorFactory

from .works import upload_work

pytestmark = pytest.mark.django_db

FILE_KINDS = ["original", "thumbnail", "preview"]


@pytest.fixture
def work(creator, media_root):
    return upload_work(creator)


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_creator_fetches_their_files_with_the_right_headers(client, creator, work, kind):
    client.force_login(creator)
    response = client.get(f"/works/{work.id}/files/{kind}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    body = b"".join(response.streaming_content)
    assert body[:3] == b"\xff\xd8\xff"
    if kind == "original":
        assert response["Content-Disposition"].startswith("attachment")
        assert work.original_filename not in response["Content-Disposition"]


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_other_creators_and_teams_get_404(client, work, kind):
    for stranger in (CreatorFactory(), BuyerFactory()):
        client.force_login(stranger)
        assert client.get(f"/works/{work.id}/files/{kind}/").status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, work):
    response = client.get(f"/works/{work.id}/files/original/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_staff_may_fetch_originals_for_review(client, staff_with_totp, work):
    client.force_login(staff_with_totp)
    assert client.get(f"/works/{work.id}/files/original/").status_code == 200


def test_unknown_file_kind_is_404(client, creator, work):
    client.force_login(creator)
    assert client.get(f"/works/{work.id}/files/../../etc/").status_code == 404
    assert client.get(f"/works/{work.id}/files/metadata/").status_code == 404


def test_api_is_scoped_to_the_owner(api_client, work):
    other = CreatorFactory()
    api_client.force_authenticate(other)
    assert api_client.get(f"/api/v1/works/{work.id}/").status_code == 404
    assert (
        api_client.patch(
            f"/api/v1/works/{work.id}/", {"title": "Mine now"}, format="json"
        ).status_code
        == 404
    )
    assert api_client.delete(f"/api/v1/works/{work.id}/").status_code == 404
    assert api_client.get(f"/api/v1/works/{work.id}/files/original/").status_code == 404
    assert api_client.get("/api/v1/works/").json()["results"] == []
    work.refresh_from_db()
    assert work.title == "A work"


def test_api_works_endpoints_refuse_teams_and_anonymous(api_client, work):
    assert api_client.get("/api/v1/works/").status_code == 401
    api_client.force_authenticate(BuyerFactory())
    assert api_client.get("/api/v1/works/").status_code == 403
    assert api_client.post("/api/v1/uploads/batches/", {}, format="json").status_code == 403


def test_creator_pages_are_scoped(client, work):
    client.force_login(CreatorFactory())
    assert client.get(f"/studio/works/{work.id}/").status_code == 404
    assert client.post(f"/studio/works/{work.id}/delete/").status_code == 404
    client.force_login(BuyerFactory())
    assert client.get("/studio/works/").status_code == 403


def test_batches_are_private(api_client, creator, client):
    api_client.force_authenticate(creator)
    batch_id = api_client.post(
        "/api/v1/uploads/batches/", {"expected_files": 2}, format="json"
    ).json()["id"]
    api_client.force_authenticate(CreatorFactory())
    assert api_client.get(f"/api/v1/uploads/batches/{batch_id}/").status_code == 404
    client.force_login(CreatorFactory())
    assert client.get(f"/studio/batches/{batch_id}/").status_code == 404


def test_s3_originals_are_private_and_handed_out_as_signed_urls(
    client, creator, settings, s3_server
):
    from urllib.parse import parse_qs, urlparse

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_server.storage_options(querystring_expire=120),
        },
    }
    work = upload_work(creator)
    assert work.status == "pending_review"
    client.force_login(creator)
    response = client.get(f"/works/{work.id}/files/original/")
    assert response.status_code == 302
    query = parse_qs(urlparse(response.url).query)
    assert "X-Amz-Signature" in query
    assert query["response-content-disposition"][0].startswith("attachment")
    import urllib.request

    unsigned = response.url.split("?")[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned, timeout=5)
    assert refused.value.code == 403
