"""Intake through the API: accepted uploads, duplicates, and faults that leave nothing behind."""

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import DatabaseError

from uploads.models import Work, WorkStatus, WorkStatusChange
from uploads.services import processing
from uploads.services.processing import work_process

from .conftest import stored_files
from .images import jpeg_bytes, photo, png_bytes
from .works import upload_work

pytestmark = pytest.mark.django_db


def _post(api_client, data: bytes, name="photo.jpg", **fields):
    body = {
        "file": _file(data, name),
        "title": "Dusk",
        "ai_involvement": "none",
        "rights_confirmed": "true",
        **fields,
    }
    return api_client.post("/api/v1/works/", body, format="multipart")


def _file(data, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_upload_records_declarations_and_processes(
    api_client, creator, media_root, django_capture_on_commit_callbacks
):
    api_client.force_authenticate(creator)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            api_client,
            jpeg_bytes(),
            tags="Dusk, sea , dusk",
            rights_holder="Studio Nine Ltd",
            ai_involvement="assisted",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    work = Work.objects.get(id=body["id"])
    assert work.rights_holder == "Studio Nine Ltd" and not work.rights_holder_is_creator
    assert work.ai_involvement == "assisted"
    assert work.declared_by == creator and work.declared_at is not None
    assert work.tags == ["dusk", "sea"]
    # The on-commit hooks ran: processed, then screened and listed (nothing asked for a person).
    assert work.status == WorkStatus.LISTED
    assert work.thumbnail and work.preview and len(work.pdq_hash) == 64 and len(work.phash) == 16
    history = ["processing", "pending_review", "listed"]
    assert [c.to_status for c in work.status_changes.all()] == history
    detail = api_client.get(f"/api/v1/works/{work.id}/").json()
    assert detail["fingerprints"]["sha256"] == work.sha256
    assert [h["to_status"] for h in detail["history"]] == history


def test_rights_holder_defaults_to_the_creator(creator, media_root):
    work = upload_work(creator)
    assert work.rights_holder == creator.creator_profile.display_name
    assert work.rights_holder_is_creator


def test_same_bytes_again_return_the_existing_work(api_client, creator, media_root):
    api_client.force_authenticate(creator)
    data = jpeg_bytes(photo(seed=11))
    first = _post(api_client, data, name="a.jpg")
    files_after_first = stored_files(media_root)
    second = _post(api_client, data, name="renamed.jpg", title="Another title")

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["duplicate"] is True
    assert Work.objects.count() == 1
    assert stored_files(media_root) == files_after_first


def test_another_creator_uploading_the_same_bytes_gets_their_own_work(creator, media_root):
    from tests.factories import CreatorFactory

    data = jpeg_bytes(photo(seed=12))
    mine = upload_work(creator, data)
    theirs = upload_work(CreatorFactory(), data)
    # Separate works; whether the second is a copy is the fraud checks' question.
    assert mine.id != theirs.id and mine.sha256 == theirs.sha256


def test_storage_failure_stores_no_row(api_client, creator, media_root, monkeypatch):
    def broken_save(self, name, content, max_length=None):
        raise OSError("disk full")

    monkeypatch.setattr(FileSystemStorage, "save", broken_save)
    api_client.force_authenticate(creator)
    api_client.raise_request_exception = False
    response = _post(api_client, jpeg_bytes())

    assert response.status_code == 500
    assert Work.objects.count() == 0 and WorkStatusChange.objects.count() == 0
    assert stored_files(media_root) == []


def test_database_failure_after_storing_leaves_no_orphan_file(creator, media_root, monkeypatch):
    from uploads.services import intake

    def broken_history(**kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(intake, "work_status_set", broken_history)
    with pytest.raises(DatabaseError):
        upload_work(creator, process=False)

    assert Work.objects.count() == 0
    assert stored_files(media_root) == []


def test_processing_failure_marks_the_work_failed_keeps_no_renditions_and_can_retry(
    creator, media_root, monkeypatch
):
    real_renditions = processing.make_renditions
    monkeypatch.setattr(
        processing, "make_renditions", lambda image: (_ for _ in ()).throw(MemoryError("oom"))
    )
    work = upload_work(creator)

    assert work.status == WorkStatus.FAILED
    assert "MemoryError" in work.processing_error
    assert not work.thumbnail and not work.preview
    assert stored_files(media_root) == [work.original.name]  # only the original remains

    monkeypatch.setattr(processing, "make_renditions", real_renditions)
    from uploads.services.processing import work_retry

    work_retry(work=work, actor=creator)
    work = work_process(work_id=work.id)
    assert work.status == WorkStatus.PENDING_REVIEW
    assert [c.to_status for c in work.status_changes.all()] == [
        "processing",
        "failed",
        "processing",
        "pending_review",
    ]


def test_failure_after_renditions_are_stored_removes_them(creator, media_root, monkeypatch):
    from uploads.services import processing as module

    def broken_history(**kwargs):
        raise DatabaseError("deadlock")

    work = upload_work(creator, process=False)
    monkeypatch.setattr(module, "work_status_set", broken_history)
    with pytest.raises(DatabaseError):
        # Even marking it failed hits the broken database: nothing may be left but the original.
        work_process(work_id=work.id)
    assert stored_files(media_root) == [work.original.name]


def test_processing_twice_changes_nothing(creator, media_root):
    work = upload_work(creator)
    files = stored_files(media_root)
    again = work_process(work_id=work.id)
    assert again.status == WorkStatus.PENDING_REVIEW
    assert stored_files(media_root) == files
    assert work.status_changes.count() == 2


def test_png_upload_works_end_to_end(creator, media_root):
    work = upload_work(creator, png_bytes(photo(300, 200, seed=4)), name="art.png")
    assert work.media_type == "image/png" and work.original.name.endswith(".png")
    assert work.status == WorkStatus.PENDING_REVIEW


def test_a_file_over_the_cap_is_dropped_while_reading(api_client, creator, media_root, settings):
    # The body is under the Content-Length allowance (cap + room for form fields), so the
    # upload handler is what stops the file: it is never spooled whole.
    settings.UPLOAD_MAX_BYTES = 50_000
    api_client.force_authenticate(creator)
    big = jpeg_bytes(photo(1200, 900, seed=9))
    assert 50_000 < len(big) < 1_000_000
    response = _post(api_client, big)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert stored_files(media_root) == [] and not Work.objects.exists()


def test_refusals_before_the_body_is_read_still_count_for_the_batch(
    api_client, creator, media_root, settings
):
    from uploads.models import UploadBatch

    settings.UPLOAD_MAX_BYTES = 10_000
    api_client.force_authenticate(creator)
    batch = UploadBatch.objects.create(owner=creator, expected_files=1)
    big = jpeg_bytes(photo(1600, 1200, seed=3))
    response = api_client.post(
        f"/api/v1/works/?batch={batch.id}",
        {
            "file": _file(big, "huge.jpg"),
            "title": "x",
            "ai_involvement": "none",
            "rights_confirmed": "true",
        },
        format="multipart",
        HTTP_X_UPLOAD_FILENAME="huge%20photo.jpg",
    )
    assert response.status_code == 413
    progress = api_client.get(f"/api/v1/uploads/batches/{batch.id}/").json()
    assert progress["finished"] is True
    assert progress["refusals"] == [
        {"filename": "huge photo.jpg", "code": "too_large", "message": response.json()["message"]}
    ]


def test_a_broker_outage_neither_fails_nor_undoes_an_upload(
    api_client, creator, media_root, django_capture_on_commit_callbacks, broker_down, caplog
):
    """The broker is down when the upload commits: the creator gets their work (201, not 500),
    its original stays stored (the upload's cleanup must not delete the file of a committed
    work), and the sweep processes it once the broker is back."""
    from datetime import timedelta

    from django.utils import timezone

    from uploads.tasks import works_process_stalled_task

    api_client.force_authenticate(creator)
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = _post(api_client, jpeg_bytes())
    assert response.status_code == 201, response.content
    assert (
        "Could not queue uploads.tasks.work_process_task" in caplog.text
    )  # the broker really refused
    work = Work.objects.get(id=response.json()["id"])
    assert work.status == WorkStatus.PROCESSING
    assert (media_root / work.original.name).is_file()

    assert works_process_stalled_task() == 0  # not yet: it may still be on its way
    Work.objects.filter(id=work.id).update(updated_at=timezone.now() - timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=True):
        assert works_process_stalled_task() == 1
    work.refresh_from_db()
    assert work.status == WorkStatus.LISTED and work.thumbnail
    assert works_process_stalled_task() == 0
