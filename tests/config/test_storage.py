"""File storage: local disk by default; S3 (django-storages) when a bucket is configured, with
private objects reached only through signed, expiring URLs. The S3 side talks to a real
S3-compatible server (moto_server) started on 127.0.0.1 by the `s3_server` fixture."""

from urllib.parse import parse_qs, urlparse
from urllib.request import urlopen

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from storages.backends.s3 import S3Storage


@pytest.mark.django_db
def test_local_files_are_not_served_by_path(client, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    from django.core.files.storage import storages

    storages._storages.pop("default", None)
    try:
        name = default_storage.save("originals/secret.txt", ContentFile(b"private"))
        assert (tmp_path / name).read_bytes() == b"private"
        # Originals are private: no URL serves the storage folder directly.
        assert client.get(f"/media/{name}").status_code == 404
    finally:
        storages._storages.pop("default", None)


def test_s3_storage_keeps_objects_private_and_signs_urls(s3_server):
    storage = S3Storage(**s3_server.storage_options(querystring_expire=300))
    name = storage.save("originals/test.txt", ContentFile(b"hello"))
    assert name.startswith("originals/")

    acl = storage.connection.meta.client.get_object_acl(Bucket=s3_server.bucket, Key=name)
    grantees = {g["Grantee"].get("URI") for g in acl["Grants"]}
    assert "http://acs.amazonaws.com/groups/global/AllUsers" not in grantees

    url = storage.url(name)
    query = parse_qs(urlparse(url).query)
    assert query["X-Amz-Expires"] == ["300"]
    assert "X-Amz-Signature" in query
    with urlopen(url, timeout=5) as response:
        assert response.read() == b"hello"

    storage.delete(name)
    assert not storage.exists(name)


def test_same_name_never_overwrites(s3_server):
    storage = S3Storage(**s3_server.storage_options())
    first = storage.save("originals/a.txt", ContentFile(b"one"))
    second = storage.save("originals/a.txt", ContentFile(b"two"))
    assert first != second
    assert storage.open(first).read() == b"one"


@pytest.fixture
def s3_storage_settings(settings, s3_server):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_server.storage_options(),
        },
    }
    return settings


@pytest.mark.django_db
def test_health_checks_s3_when_configured(client, s3_storage_settings):
    from django.core.files import storage as storage_module

    storage_module.storages._storages.pop("default", None)
    try:
        response = client.get("/healthz")
        assert response.json()["checks"]["storage"]["ok"] is True
    finally:
        storage_module.storages._storages.pop("default", None)
