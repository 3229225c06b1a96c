"""An upload batch finishes however its files ended: processed, refused, already uploaded
before (a duplicate), or never answered (the uploader reports those). Issue 21: a batch with a
duplicate or a failed file said "4 of 5 processed, 80%" forever."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from tests.factories import CreatorFactory
from uploads.models import UploadBatch, UploadRefusal

from .images import jpeg_bytes, photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root):
    return media_root


def _upload(api_client, batch, data: bytes, name: str):
    # Processing is queued after the upload commits (eagerly in tests): run it, as a worker.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return api_client.post(
            f"/api/v1/works/?batch={batch.id}",
            {
                "file": SimpleUploadedFile(name, data, content_type="image/jpeg"),
                "title": name,
                "ai_involvement": "none",
                "rights_confirmed": "true",
                "batch": batch.id,
            },
            format="multipart",
        )


def _progress(api_client, batch) -> dict:
    return api_client.get(f"/api/v1/uploads/batches/{batch.id}/").json()


def test_a_file_uploaded_before_counts_as_done_and_says_where_the_work_is(
    api_client, creator, media_root
):
    api_client.force_authenticate(creator)
    earlier = UploadBatch.objects.create(owner=creator, expected_files=1)
    same = jpeg_bytes(photo(seed=4))
    assert _upload(api_client, earlier, same, "harbour.jpg").status_code == 201

    batch = UploadBatch.objects.create(owner=creator, expected_files=2)
    assert _upload(api_client, batch, jpeg_bytes(photo(seed=5)), "new.jpg").status_code == 201
    again = _upload(api_client, batch, same, "harbour copy.jpg")
    assert again.status_code == 200 and again.json()["duplicate"] is True

    progress = _progress(api_client, batch)
    assert progress["finished"] is True and progress["done"] == progress["total"] == 2
    assert progress["refusals"] == [
        {
            "filename": "harbour copy.jpg",
            "code": "duplicate",
            "message": "Already in your works as “harbour.jpg”; nothing new was added.",
        }
    ]


def test_the_same_file_twice_in_one_batch_finishes_it(api_client, creator, media_root):
    api_client.force_authenticate(creator)
    batch = UploadBatch.objects.create(owner=creator, expected_files=2)
    same = jpeg_bytes(photo(seed=6))
    _upload(api_client, batch, same, "a.jpg")
    _upload(api_client, batch, same, "a (1).jpg")
    assert _progress(api_client, batch)["finished"] is True


def test_files_the_uploader_got_no_answer_for_are_reported_and_finish_the_batch(
    api_client, creator, media_root, client
):
    api_client.force_authenticate(creator)
    batch = UploadBatch.objects.create(owner=creator, expected_files=3)
    _upload(api_client, batch, jpeg_bytes(photo(seed=7)), "ok.jpg")
    assert _progress(api_client, batch)["finished"] is False

    response = api_client.post(
        f"/api/v1/uploads/batches/{batch.id}/",
        {"not_received": ["lost 1.jpg", "../../etc/lost 2.jpg", "one too many.jpg"]},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["finished"] is True and body["done"] == body["total"] == 3
    # Never more lines than the batch expects; names are shown, never used as paths.
    assert [(r["filename"], r["code"]) for r in body["refusals"]] == [
        ("lost 1.jpg", "not_received"),
        ("lost 2.jpg", "not_received"),
    ]
    client.force_login(creator)
    page = client.get(f"/studio/batches/{batch.id}/").content.decode()
    assert "Finished: 3 of 3 processed" in page and "did not reach us" in page


def test_only_the_batch_owner_may_report_on_it(api_client, creator):
    batch = UploadBatch.objects.create(owner=creator, expected_files=2)
    api_client.force_authenticate(CreatorFactory())
    response = api_client.post(
        f"/api/v1/uploads/batches/{batch.id}/", {"not_received": ["x.jpg"]}, format="json"
    )
    assert response.status_code == 404
    assert not UploadRefusal.objects.exists()

    api_client.force_authenticate(None)
    response = api_client.post(
        f"/api/v1/uploads/batches/{batch.id}/", {"not_received": ["x.jpg"]}, format="json"
    )
    assert response.status_code == 401
    assert not UploadRefusal.objects.exists()
