"""`upload_refusal_record`: the one writer of a batch's refused lines, whichever path refused the
file (at the door before the body is read, in intake, a duplicate, or never received)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import CreatorFactory
from uploads import errors
from uploads.models import UploadBatch, UploadRefusal
from uploads.services.intake import upload_refusal_record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root):
    return media_root


@pytest.fixture
def batch(creator):
    return UploadBatch.objects.create(owner=creator, expected_files=3)


def lines(batch) -> list[tuple[str, str]]:
    return list(batch.refusals.order_by("id").values_list("filename", "code"))


def test_each_file_gets_one_line_under_a_name_safe_to_show(batch):
    upload_refusal_record(
        batch=batch,
        filenames=["../../etc/passwd.jpg", "C:\\photos\\bay\x07.jpg", None],
        code=errors.NOT_RECEIVED,
        message="x" * 900,
    )

    assert lines(batch) == [
        ("passwd.jpg", "not_received"),
        ("bay.jpg", "not_received"),
        ("upload", "not_received"),
    ]
    assert {len(m) for m in batch.refusals.values_list("message", flat=True)} == {500}


def test_the_batch_page_counts_a_refused_file_as_done_and_says_why(client, creator, batch):
    upload_refusal_record(
        batch=batch, filenames=["fake.jpg"], code="unsupported_type", message="Not an image."
    )

    client.force_login(creator)
    page = client.get(f"/studio/batches/{batch.id}/").content.decode()
    assert "fake.jpg" in page and "Not an image." in page


def test_a_refusal_at_the_door_is_recorded_for_the_batch_it_names(api_client, creator, batch):
    api_client.force_authenticate(creator)
    response = api_client.post(
        f"/api/v1/works/?batch={batch.id}",
        {"title": "Bay", "ai_involvement": "none", "rights_confirmed": "true"},
        format="multipart",
        HTTP_X_UPLOAD_FILENAME=quote("baie d’été.jpg"),
    )

    assert response.status_code == 400 and response.json()["code"] == errors.FILE_MISSING
    assert lines(batch) == [("baie d’été.jpg", errors.FILE_MISSING)]


def test_a_refusal_in_intake_is_recorded_under_the_uploaded_name(api_client, creator, batch):
    api_client.force_authenticate(creator)
    response = api_client.post(
        f"/api/v1/works/?batch={batch.id}",
        {
            "file": SimpleUploadedFile("notes.jpg", b"plain text", content_type="image/jpeg"),
            "title": "Notes",
            "ai_involvement": "none",
            "rights_confirmed": "true",
            "batch": batch.id,
        },
        format="multipart",
    )

    assert response.status_code >= 400
    assert lines(batch) == [("notes.jpg", response.json()["code"])]


def test_another_owners_batch_gets_no_line(api_client, batch):
    api_client.force_authenticate(CreatorFactory())
    response = api_client.post(f"/api/v1/works/?batch={batch.id}", {}, format="multipart")

    assert response.status_code == 400
    assert not UploadRefusal.objects.exists()
