"""Works take their declarations and filters in any case and keep the canonical value; a wrong
value is refused naming the valid ones; ids no table holds are a 400 or ignored, never a 500."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from uploads.models import AiInvolvement, UploadBatch, UploadRefusal, Work, WorkStatus

from .images import jpeg_bytes, photo
from .works import upload_work

pytestmark = pytest.mark.django_db

STATUSES = "processing, failed, pending_review, listed, rejected, removed"


def _post(api_client, url="/api/v1/works/", **fields):
    body = {
        "file": SimpleUploadedFile("photo.jpg", jpeg_bytes(photo(seed=5))),
        "title": "Dusk",
        "ai_involvement": "none",
        "rights_confirmed": "true",
        **fields,
    }
    return api_client.post(url, body, format="multipart")


def test_the_ai_declaration_is_taken_in_any_case_and_stored_lower_case(
    api_client, creator, media_root
):
    api_client.force_authenticate(creator)
    response = _post(api_client, ai_involvement=" Generated")
    assert response.status_code == 201, response.json()
    assert response.json()["ai_involvement"] == "generated"
    assert Work.objects.get().ai_involvement == AiInvolvement.GENERATED


def test_a_wrong_ai_declaration_is_refused_naming_the_valid_ones(api_client, creator, media_root):
    api_client.force_authenticate(creator)
    response = _post(api_client, ai_involvement="robot")
    assert response.status_code == 400
    assert response.json()["fields"]["ai_involvement"] == [
        '"robot" is not one of: none, assisted, generated.'
    ]
    assert not Work.objects.exists()


def test_an_upload_naming_a_batch_id_no_table_holds_is_a_400(api_client, creator, media_root):
    api_client.force_authenticate(creator)
    response = _post(api_client, batch=str(10**30))
    assert response.status_code == 400
    assert response.json()["fields"]["batch"] == [
        "Ensure this value is less than or equal to 9223372036854775807."
    ]
    assert not Work.objects.exists()


@pytest.mark.parametrize("batch", ["²", str(10**30), "-1"])
def test_a_refused_upload_with_a_junk_batch_in_the_query_is_a_clean_refusal(
    api_client, creator, media_root, batch
):
    api_client.force_authenticate(creator)
    UploadBatch.objects.create(owner=creator, expected_files=1)
    response = api_client.post(f"/api/v1/works/?batch={batch}", {"title": "x"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "file_missing"
    assert not UploadRefusal.objects.exists()


def test_the_works_list_takes_a_status_in_any_case_and_refuses_a_wrong_one(
    api_client, client, creator, media_root
):
    upload_work(creator, jpeg_bytes(photo(seed=1)), title="Dusk")
    upload_work(creator, jpeg_bytes(photo(seed=2)), title="Forest", process=False)
    api_client.force_authenticate(creator)

    response = api_client.get("/api/v1/works/", {"status": "Processing "})
    assert response.status_code == 200
    assert [w["title"] for w in response.json()["results"]] == ["Forest"]
    refused = api_client.get("/api/v1/works/", {"status": "Bogus"})
    assert refused.status_code == 400
    assert refused.json()["fields"]["status"] == [f'"Bogus" is not one of: {STATUSES}.']

    # The page keeps ignoring junk (it shows every work) and takes any case too.
    client.force_login(creator)
    page = client.get("/studio/works/", {"status": "PENDING_REVIEW"}).content.decode()
    assert "Dusk" in page and "Forest" not in page
    junk = client.get("/studio/works/", {"status": "Bogus"})
    assert junk.status_code == 200
    assert "Dusk" in junk.content.decode() and "Forest" in junk.content.decode()
    assert Work.objects.filter(status=WorkStatus.PROCESSING).count() == 1
