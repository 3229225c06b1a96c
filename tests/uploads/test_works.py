"""Creators manage their works; staff review them."""

import pytest
from django.urls import reverse

from uploads import registry
from uploads.models import Work, WorkStatus
from uploads.views import works as works_views

from .conftest import stored_files
from .images import jpeg_bytes, photo
from .works import upload_work

pytestmark = pytest.mark.django_db


def test_list_filters_by_status_and_searches(api_client, client, creator, media_root):
    dusk = upload_work(creator, jpeg_bytes(photo(seed=1)), title="Dusk over the bay", tags="sea")
    upload_work(creator, jpeg_bytes(photo(seed=2)), title="Forest", process=False)
    api_client.force_authenticate(creator)

    titles = lambda **q: [w["title"] for w in api_client.get("/api/v1/works/", q).json()["results"]]  # noqa: E731
    assert set(titles()) == {"Dusk over the bay", "Forest"}
    assert titles(status="processing") == ["Forest"]
    assert titles(q="bay") == ["Dusk over the bay"]
    assert titles(q="sea") == ["Dusk over the bay"]

    client.force_login(creator)
    page = client.get("/studio/works/", {"status": "pending_review"}).content.decode()
    assert "Dusk over the bay" in page and "Forest" not in page
    assert client.get(f"/studio/works/{dusk.id}/").status_code == 200


def test_creator_edits_title_description_and_tags(api_client, creator, media_root):
    work = upload_work(creator)
    api_client.force_authenticate(creator)
    response = api_client.patch(
        f"/api/v1/works/{work.id}/", {"title": "Renamed", "tags": ["a", "B", "a"]}, format="json"
    )
    assert response.status_code == 200
    work.refresh_from_db()
    assert (work.title, work.tags) == ("Renamed", ["a", "b"])
    response = api_client.patch(f"/api/v1/works/{work.id}/", {"title": "  "}, format="json")
    assert response.status_code == 400
    # Only these fields are editable: the declarations and the file are not.
    api_client.patch(f"/api/v1/works/{work.id}/", {"ai_involvement": "generated"}, format="json")
    work.refresh_from_db()
    assert work.ai_involvement == "none"


def test_delete_removes_the_row_and_every_file(
    api_client, creator, media_root, django_capture_on_commit_callbacks
):
    work = upload_work(creator)
    assert len(stored_files(media_root)) == 3
    api_client.force_authenticate(creator)
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.delete(f"/api/v1/works/{work.id}/").status_code == 204
    assert not Work.objects.exists()
    assert stored_files(media_root) == []


def test_a_work_a_higher_app_protects_cannot_be_deleted(
    api_client, creator, media_root, monkeypatch
):
    work = upload_work(creator)
    monkeypatch.setattr(registry, "deletion_guards", [lambda w: "This work is licensed."])
    api_client.force_authenticate(creator)
    response = api_client.delete(f"/api/v1/works/{work.id}/")
    assert response.status_code == 409
    assert response.json()["code"] == "work_licensed"
    assert Work.objects.filter(id=work.id).exists()


def test_staff_reject_with_a_reason_the_creator_sees(client, creator, staff_with_totp, media_root):
    work = upload_work(creator)
    client.force_login(staff_with_totp)
    changelist = reverse("admin:uploads_work_changelist")
    # Without a reason the admin asks for one and changes nothing.
    page = client.post(changelist, {"action": "reject", "_selected_action": [work.id]})
    assert page.status_code == 200 and b"reason" in page.content
    work.refresh_from_db()
    assert work.status == WorkStatus.PENDING_REVIEW

    client.post(
        changelist,
        {
            "action": "reject",
            "_selected_action": [work.id],
            "reason": "This looks like a photo by someone else.",
        },
    )
    work.refresh_from_db()
    assert work.status == WorkStatus.REJECTED
    last = work.status_changes.last()
    assert (last.actor, last.reason) == (
        staff_with_totp,
        "This looks like a photo by someone else.",
    )

    client.force_login(creator)
    assert (
        "This looks like a photo by someone else."
        in client.get(f"/studio/works/{work.id}/").content.decode()
    )


def test_staff_approve(client, creator, staff_with_totp, media_root):
    work = upload_work(creator)
    client.force_login(staff_with_totp)
    client.post(
        reverse("admin:uploads_work_changelist"),
        {"action": "approve", "_selected_action": [work.id]},
    )
    work.refresh_from_db()
    assert work.status == WorkStatus.LISTED


def test_processing_works_cannot_be_reviewed(creator, staff_with_totp, media_root):
    from config.errors import ApplicationError
    from uploads.services.works import work_review_decide

    work = upload_work(creator, process=False)
    with pytest.raises(ApplicationError):
        work_review_decide(work=work, approve=True, reason="", actor=staff_with_totp)
    with pytest.raises(ApplicationError):
        work_review_decide(work=work, approve=True, reason="", actor=creator)


def test_retry_only_for_failed_works(api_client, creator, media_root):
    work = upload_work(creator)
    api_client.force_authenticate(creator)
    response = api_client.post(f"/api/v1/works/{work.id}/retry/")
    assert response.status_code == 400 and response.json()["code"] == "not_failed"


def test_work_list_pages_keep_the_filters(client, creator, media_root, monkeypatch):
    monkeypatch.setattr(works_views, "PAGE_SIZE", 2)
    for seed in range(3):
        upload_work(creator, jpeg_bytes(photo(seed=20 + seed)), title=f"Work {seed}", process=False)
    client.force_login(creator)
    first = client.get("/studio/works/", {"status": "processing"}).content.decode()
    assert 'aria-current="page"' in first
    assert "status=processing&amp;page=2" in first
    second = client.get("/studio/works/", {"status": "processing", "page": 2}).content.decode()
    # Newest first: two on the first page, the oldest alone on the second.
    assert "Work 2" in first and "Work 1" in first and "Work 0" not in first
    assert "Work 0" in second and "Work 1" not in second and "Work 2" not in second
