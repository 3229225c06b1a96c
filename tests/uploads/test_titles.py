"""Each upload's title: the one the creator typed for that file, or, left empty, its file name
without the extension and with underscores and dashes as spaces. A title too long for a work
refuses that file alone, with its own code, and its batch still finishes (issue 21)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from uploads.models import UploadBatch, UploadRefusal, Work
from uploads.services.intake import title_from_filename

from .conftest import stored_files
from .images import jpeg_bytes, photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root):
    return media_root


def _post(api_client, name: str, seed: int, batch=None, **fields):
    body = {
        "file": SimpleUploadedFile(name, jpeg_bytes(photo(seed=seed)), content_type="image/jpeg"),
        "ai_involvement": "none",
        "rights_confirmed": "true",
        **fields,
    }
    url = "/api/v1/works/"
    if batch is not None:
        body["batch"] = batch.id
        url += f"?batch={batch.id}"
    with TestCase.captureOnCommitCallbacks(execute=True):
        return api_client.post(url, body, format="multipart")


@pytest.mark.parametrize(
    ("filename", "title"),
    [
        ("dusk_over-the_bay.jpg", "dusk over the bay"),
        ("Sunrise over the bay.jpg", "Sunrise over the bay"),
        ("portrait__03--final.png", "portrait 03 final"),
        ("archive.v2.webp", "archive.v2"),
        ("no-extension", "no extension"),
        ("C:\\photos\\old_mill.jpeg", "old mill"),
        ("___.jpg", "___.jpg"),  # nothing but separators: the file name as it is
        ("a" * 250 + ".jpg", "a" * 200),
    ],
)
def test_the_title_from_a_file_name(filename, title):
    assert title_from_filename(filename) == title


def test_the_typed_title_is_stored_on_the_work(api_client, creator):
    api_client.force_authenticate(creator)

    response = _post(api_client, "IMG_0042.jpg", 1, title="  Harbour at first light ")

    assert response.status_code == 201, response.json()
    assert response.json()["title"] == "Harbour at first light"
    work = Work.objects.get()
    assert (work.title, work.original_filename) == ("Harbour at first light", "IMG_0042.jpg")


@pytest.mark.parametrize(
    "fields", [{}, {"title": ""}, {"title": "   "}], ids=["none", "empty", "blank"]
)
def test_no_title_falls_back_to_the_file_name(fields, api_client, creator):
    api_client.force_authenticate(creator)

    response = _post(api_client, "dusk_over-the_bay.jpg", 2, **fields)

    assert response.status_code == 201, response.json()
    assert Work.objects.get().title == "dusk over the bay"


def test_a_title_of_200_characters_is_kept_whole(api_client, creator):
    api_client.force_authenticate(creator)

    response = _post(api_client, "long.jpg", 3, title="t" * 200)

    assert response.status_code == 201, response.json()
    assert Work.objects.get().title == "t" * 200


def test_an_overlong_title_refuses_that_file_alone_and_the_batch_finishes(api_client, creator):
    api_client.force_authenticate(creator)
    batch = UploadBatch.objects.create(owner=creator, expected_files=2)

    refused = _post(api_client, "river.jpg", 4, batch=batch, title="r" * 201)
    accepted = _post(api_client, "forest.jpg", 5, batch=batch, title="Forest in fog")

    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "title_too_long"
    assert body["message"] == (
        "The title of river.jpg is 201 characters long; a title has at most 200."
    )
    assert list(body["fields"]) == ["title"]
    # Never cut short behind the creator's back, and the other file of the batch went in.
    assert accepted.status_code == 201
    assert list(Work.objects.values_list("title", flat=True)) == ["Forest in fog"]
    assert list(UploadRefusal.objects.values_list("filename", "code")) == [
        ("river.jpg", "title_too_long")
    ]
    progress = api_client.get(f"/api/v1/uploads/batches/{batch.id}/").json()
    assert progress["finished"] is True and progress["done"] == progress["total"] == 2
    assert progress["refusals"][0]["message"] == body["message"]


def test_an_overlong_title_stores_no_file(api_client, creator, media_root):
    api_client.force_authenticate(creator)

    assert _post(api_client, "river.jpg", 6, title="r" * 500).status_code == 400

    assert not Work.objects.exists() and stored_files(media_root) == []
