"""Bulk apply: one consent on the web, then the worker gives every selected work its own offer
and its own consent record, never touches anyone else's work, reports what it could not offer,
and never offers a work twice (or again after the creator withdrew it)."""

from __future__ import annotations

import html
import re

import pytest

from licensing import documents
from licensing.consent import ConsentContext
from licensing.models import BulkOfferJob, ConsentRecord, Offer
from licensing.services import offers as services
from licensing.services.offers import bulk_offer_job_run
from licensing.terms import PRESETS
from tests.factories import CreatorFactory, StaffFactory, WorkFactory
from tests.uploads.images import jpeg_bytes, photo
from tests.uploads.works import upload_work
from uploads.models import UploadBatch, Work, WorkStatus
from uploads.services.works import work_review_decide

pytestmark = pytest.mark.django_db

PRESET = "nongenerative-research-5y"
FORM = {"preset": PRESET, "price": "9.50", "currency": "USD"}


@pytest.fixture
def works(creator, media_root):
    return [
        WorkFactory(
            owner=creator, seed=seed, title=f"Work {seed}", status=WorkStatus.PENDING_REVIEW
        )
        for seed in range(3)
    ]


@pytest.fixture
def creator_client(client, creator):
    client.force_login(creator)
    return client


def confirm(client, captured, **data):
    body = {**FORM, "step": "confirm", "consent": "yes", **data}
    with captured(execute=True):
        response = client.post("/studio/offers/bulk/", body, HTTP_USER_AGENT="BulkBrowser/2")
    return response


def the_job(response) -> BulkOfferJob:
    assert response.status_code == 302, response.content[:500]
    job_id = int(re.search(r"/studio/offers/bulk/(\d+)/", response["Location"]).group(1))
    return BulkOfferJob.objects.get(id=job_id)


def test_bulk_apply_gives_each_work_its_own_offer_and_consent(
    creator_client, creator, works, django_capture_on_commit_callbacks
):
    job = the_job(
        confirm(creator_client, django_capture_on_commit_callbacks, works=[w.id for w in works])
    )
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.skipped) == ("done", 3, 3, [])
    assert job.finished_at is not None and job.percent == 100
    terms = PRESETS[PRESET].terms
    for work in works:
        offer = Offer.objects.get(work=work)
        assert offer.status == "active" and offer.terms == terms and offer.preset == PRESET
        assert (offer.price_amount, offer.currency) == (950, "USD")
        record = ConsentRecord.objects.get(work_id=work.id)
        assert (record.offer_id, record.action, record.user_id) == (offer.id, "given", creator.id)
        assert record.terms == terms.canonical() and record.terms_hash == terms.hash
        assert record.work_title == work.title
        assert (record.ip_address, record.user_agent) == ("127.0.0.1", "BulkBrowser/2")
    assert ConsentRecord.objects.count() == 3

    page = creator_client.get(f"/studio/offers/bulk/{job.id}/")
    assert page.status_code == 200
    assert 'data-status="done"' in page.content.decode()
    fragment = creator_client.get(f"/studio/offers/bulk/{job.id}/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert "hx-trigger" not in fragment.content.decode()  # finished: polling stops


def test_bulk_apply_never_offers_another_creators_work(
    creator_client, works, media_root, django_capture_on_commit_callbacks
):
    someone = CreatorFactory()
    theirs = WorkFactory(
        owner=someone, seed=40, title="Not yours", status=WorkStatus.PENDING_REVIEW
    )
    job = the_job(
        confirm(creator_client, django_capture_on_commit_callbacks, works=[works[0].id, theirs.id])
    )
    job.refresh_from_db()
    assert job.work_ids == [works[0].id] and job.total == 1 and job.done == 1
    assert not Offer.objects.filter(work=theirs).exists()
    assert not ConsentRecord.objects.filter(work_id=theirs.id).exists()
    assert "Not yours" not in str(job.skipped)  # not even named back to this creator
    # Only someone else's works: nothing at all.
    page = creator_client.post(
        "/studio/offers/bulk/", {**FORM, "step": "confirm", "consent": "yes", "works": [theirs.id]}
    )
    assert page.status_code == 200
    assert BulkOfferJob.objects.count() == 1
    assert not Offer.objects.filter(work=theirs).exists()


def test_bulk_apply_without_consent_offers_nothing(
    creator_client, works, django_capture_on_commit_callbacks
):
    ids = [w.id for w in works]
    review = creator_client.post("/studio/offers/bulk/", {**FORM, "step": "review", "works": ids})
    assert review.status_code == 200
    for consent in ({}, {"consent": "on"}, {"consent": ""}):
        with django_capture_on_commit_callbacks(execute=True):
            page = creator_client.post(
                "/studio/offers/bulk/", {**FORM, "step": "confirm", "works": ids, **consent}
            )
        assert page.status_code == 400
    assert not BulkOfferJob.objects.exists()
    assert not Offer.objects.exists() and not ConsentRecord.objects.exists()


def test_works_that_cannot_be_offered_are_left_out_before_consent(
    creator_client, creator, works, django_capture_on_commit_callbacks
):
    """A work still processing is not listed on the consent page, so the consent (and the job)
    covers exactly the works shown."""
    processing = upload_work(
        creator, jpeg_bytes(photo(160, 120, seed=30)), title="Still busy", process=False
    )
    ids = [works[0].id, processing.id]
    review = creator_client.post("/studio/offers/bulk/", {**FORM, "step": "review", "works": ids})
    listed = [int(i) for i in re.findall(r'name="works" value="(\d+)"', review.content.decode())]
    assert listed == [works[0].id]
    job = the_job(confirm(creator_client, django_capture_on_commit_callbacks, works=ids))
    job.refresh_from_db()
    assert job.work_ids == [works[0].id]
    assert not Offer.objects.filter(work=processing).exists()


def test_works_that_stop_being_offerable_before_the_worker_runs_are_reported(
    creator_client, works, django_capture_on_commit_callbacks
):
    """Rejected or deleted between the consent and the worker: skipped, with the reason."""
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = creator_client.post(
            "/studio/offers/bulk/",
            {**FORM, "step": "confirm", "consent": "yes", "works": [w.id for w in works]},
        )
    job = the_job(response)
    work_review_decide(work=works[1], approve=False, reason="Not yours", actor=StaffFactory())
    Work.objects.filter(id=works[2].id).delete()
    for callback in queued:
        callback()
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("done", 3, 3)
    skipped = {s["work_id"]: s for s in job.skipped}
    assert set(skipped) == {works[1].id, works[2].id}
    assert skipped[works[1].id]["title"] == "Work 1"
    assert all(s["reason"] for s in skipped.values())
    assert list(Offer.objects.values_list("work_id", flat=True)) == [works[0].id]
    assert ConsentRecord.objects.count() == 1
    page = creator_client.get(f"/studio/offers/bulk/{job.id}/").content.decode()
    assert "Work 1" in page


def test_the_service_reports_a_processing_work_in_skipped(creator, works, media_root):
    processing = upload_work(
        creator, jpeg_bytes(photo(160, 120, seed=31)), title="Busy", process=False
    )
    job = services.bulk_offer_job_create(
        owner=creator,
        work_ids=[works[0].id, processing.id],
        terms=PRESETS[PRESET].terms,
        preset=PRESET,
        price_amount=950,
        currency="USD",
        consent=True,
        context=ConsentContext(ip_address="127.0.0.1"),
    )
    job = bulk_offer_job_run(job_id=job.id)
    assert (job.status, job.done, job.total) == ("done", 2, 2)
    assert [(s["work_id"], s["title"]) for s in job.skipped] == [(processing.id, "Busy")]
    assert not Offer.objects.filter(work=processing).exists()


def test_progress_is_saved_chunk_by_chunk(
    creator_client, creator, works, media_root, settings, django_capture_on_commit_callbacks
):
    settings.BULK_OFFER_CHUNK = 2
    more = [
        WorkFactory(
            owner=creator, seed=seed, title=f"Work {seed}", status=WorkStatus.PENDING_REVIEW
        )
        for seed in range(3, 6)
    ]
    job = the_job(
        confirm(
            creator_client, django_capture_on_commit_callbacks, works=[w.id for w in works + more]
        )
    )
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("done", 6, 6)
    assert Offer.objects.filter(status="active").count() == 6
    assert ConsentRecord.objects.count() == 6


def test_running_a_finished_job_again_changes_nothing(
    creator_client, works, django_capture_on_commit_callbacks
):
    job = the_job(
        confirm(creator_client, django_capture_on_commit_callbacks, works=[w.id for w in works])
    )
    offers = list(Offer.objects.order_by("id").values())
    records = list(ConsentRecord.objects.order_by("id").values())
    finished = BulkOfferJob.objects.get(id=job.id)
    for _ in range(2):
        bulk_offer_job_run(job_id=job.id)
        from licensing.tasks import bulk_offer_job_run_task

        bulk_offer_job_run_task.delay(job.id)
    assert list(Offer.objects.order_by("id").values()) == offers
    assert list(ConsentRecord.objects.order_by("id").values()) == records
    again = BulkOfferJob.objects.get(id=job.id)
    assert (again.done, again.status, again.finished_at) == (3, "done", finished.finished_at)
    assert bulk_offer_job_run(job_id=10**9) is None  # a job deleted meanwhile


def _crash_after(monkeypatch, n: int):
    """The worker dies (or the database drops) after `n` works of a chunk were offered."""
    real = services.offer_create
    calls = {"n": 0}

    def flaky(**kwargs):
        if calls["n"] == n:
            raise RuntimeError("worker lost")
        calls["n"] += 1
        return real(**kwargs)

    monkeypatch.setattr(services, "offer_create", flaky)
    return lambda: monkeypatch.setattr(services, "offer_create", real)


def _queued_job(client, captured, works) -> BulkOfferJob:
    with captured(execute=False):
        response = client.post(
            "/studio/offers/bulk/",
            {**FORM, "step": "confirm", "consent": "yes", "works": [w.id for w in works]},
        )
    return the_job(response)


def test_a_redelivered_job_does_not_offer_a_work_twice(
    creator_client, works, monkeypatch, django_capture_on_commit_callbacks
):
    """acks_late: a worker lost mid-chunk gets the job again. Works it had already offered keep
    their one offer and their one consent record."""
    job = _queued_job(creator_client, django_capture_on_commit_callbacks, works)
    restore = _crash_after(monkeypatch, 2)
    with pytest.raises(RuntimeError):
        bulk_offer_job_run(job_id=job.id)
    restore()
    first_offers = set(Offer.objects.values_list("id", flat=True))
    assert len(first_offers) == 2
    bulk_offer_job_run(job_id=job.id)  # the redelivery
    job.refresh_from_db()
    assert (job.status, job.done) == ("done", 3)
    assert Offer.objects.count() == 3
    assert first_offers <= set(Offer.objects.filter(status="active").values_list("id", flat=True))
    for work in works:
        assert ConsentRecord.objects.filter(work_id=work.id, action="given").count() == 1


def test_a_redelivered_job_never_undoes_a_withdrawal(
    creator_client, works, monkeypatch, django_capture_on_commit_callbacks
):
    job = _queued_job(creator_client, django_capture_on_commit_callbacks, works)
    restore = _crash_after(monkeypatch, 1)
    with pytest.raises(RuntimeError):
        bulk_offer_job_run(job_id=job.id)
    restore()
    offered = Offer.objects.get()
    # Meanwhile the creator sees the offer and withdraws it.
    assert (
        creator_client.post(
            f"/studio/works/{offered.work_id}/offers/{offered.id}/withdraw/"
        ).status_code
        == 302
    )
    bulk_offer_job_run(job_id=job.id)  # the redelivery
    assert not Offer.objects.filter(work_id=offered.work_id, status="active").exists()
    assert [
        r.action for r in ConsentRecord.objects.filter(work_id=offered.work_id).order_by("id")
    ] == ["given", "withdrawn"]


def test_a_job_that_breaks_says_so_instead_of_running_forever(
    creator_client, works, monkeypatch, django_capture_on_commit_callbacks
):
    job = _queued_job(creator_client, django_capture_on_commit_callbacks, works)
    _crash_after(monkeypatch, 1)
    with pytest.raises(RuntimeError):
        bulk_offer_job_run(job_id=job.id)
    job.refresh_from_db()
    assert job.status == "failed"
    fragment = creator_client.get(f"/studio/offers/bulk/{job.id}/", HTTP_HX_REQUEST="true")
    assert "hx-trigger" not in fragment.content.decode()


def test_bulk_apply_by_upload_batch(
    creator_client, creator, works, media_root, django_capture_on_commit_callbacks
):
    batch = UploadBatch.objects.create(owner=creator, expected_files=2)
    in_batch = [
        WorkFactory(
            owner=creator,
            seed=seed,
            title=f"Batch {seed}",
            batch=batch,
            status=WorkStatus.PENDING_REVIEW,
        )
        for seed in (20, 21)
    ]
    form = creator_client.get("/studio/offers/bulk/", {"batch": batch.id})
    assert form.status_code == 200
    assert "Batch 20" in form.content.decode() and "Work 0" not in form.content.decode()
    job = the_job(confirm(creator_client, django_capture_on_commit_callbacks, batch=batch.id))
    job.refresh_from_db()
    assert sorted(job.work_ids) == sorted(w.id for w in in_batch)
    assert sorted(Offer.objects.values_list("work_id", flat=True)) == sorted(w.id for w in in_batch)
    assert not Offer.objects.filter(work__in=works).exists()
    # Someone else's batch is not found.
    theirs = UploadBatch.objects.create(owner=CreatorFactory(), expected_files=1)
    assert creator_client.get("/studio/offers/bulk/", {"batch": theirs.id}).status_code == 404


def test_the_bulk_job_page_is_its_owners(
    client, creator_client, works, django_capture_on_commit_callbacks
):
    job = the_job(confirm(creator_client, django_capture_on_commit_callbacks, works=[works[0].id]))
    client.force_login(CreatorFactory())
    assert client.get(f"/studio/offers/bulk/{job.id}/").status_code == 404


def _license_text_shown(page: str) -> str:
    match = re.search(r'<pre class="license-text[^"]*"[^>]*>(.*?)</pre>', page, re.S)
    assert match, "the consent page shows the license text"
    return html.unescape(match.group(1))


@pytest.mark.parametrize("how_many", [1, 3])
def test_each_consent_record_fingerprints_the_license_text_the_creator_read(
    creator_client, works, how_many, django_capture_on_commit_callbacks
):
    """The consent page promises: "We keep a record of this consent: ... the fingerprint of the
    license text above"."""
    ids = [w.id for w in works[:how_many]]
    review = creator_client.post("/studio/offers/bulk/", {**FORM, "step": "review", "works": ids})
    shown = documents.text_hash(_license_text_shown(review.content.decode()))
    confirm(creator_client, django_capture_on_commit_callbacks, works=ids)
    hashes = set(ConsentRecord.objects.values_list("license_text_hash", flat=True))
    assert hashes == {shown}


def test_the_single_offer_consent_fingerprints_the_text_shown(client, creator, media_root):
    work = WorkFactory(
        owner=creator, seed=50, rights_holder="Okafor Studio Ltd", status=WorkStatus.PENDING_REVIEW
    )
    client.force_login(creator)
    url = f"/studio/works/{work.id}/offers/new/"
    review = client.post(url, {**FORM, "step": "review"})
    shown = documents.text_hash(_license_text_shown(review.content.decode()))
    assert client.post(url, {**FORM, "step": "confirm", "consent": "yes"}).status_code == 302
    assert ConsentRecord.objects.get().license_text_hash == shown


def test_a_bulk_offer_for_works_held_for_someone_else_fingerprints_the_text_shown(
    creator_client, creator, media_root, django_capture_on_commit_callbacks
):
    work = WorkFactory(
        owner=creator, seed=51, rights_holder="Okafor Studio Ltd", status=WorkStatus.PENDING_REVIEW
    )
    review = creator_client.post(
        "/studio/offers/bulk/", {**FORM, "step": "review", "works": [work.id]}
    )
    shown = _license_text_shown(review.content.decode())
    confirm(creator_client, django_capture_on_commit_callbacks, works=[work.id])
    assert ConsentRecord.objects.get().license_text_hash == documents.text_hash(shown)


def test_the_works_list_selection_opens_the_bulk_form(creator_client, creator, works, media_root):
    """The works page sends ?work=<id>&work=<id>; only offerable works of this creator show."""
    processing = upload_work(
        creator, jpeg_bytes(photo(160, 120, seed=32)), title="Busy", process=False
    )
    theirs = WorkFactory(
        owner=CreatorFactory(), seed=33, title="Not yours", status=WorkStatus.PENDING_REVIEW
    )
    page = creator_client.get(
        "/studio/offers/bulk/", {"work": [works[0].id, works[2].id, processing.id, theirs.id]}
    )
    assert page.status_code == 200
    listed = [int(i) for i in re.findall(r'name="works" value="(\d+)"', page.content.decode())]
    assert listed == [works[0].id, works[2].id]
    assert "Not yours" not in page.content.decode()
    assert not Offer.objects.exists()


def test_a_broker_outage_leaves_the_job_queued_and_the_sweep_runs_it(
    creator_client, works, django_capture_on_commit_callbacks, broker_down, caplog
):
    """The broker is down when the creator confirms: they reach the job's page (not a 500),
    which shows it queued; the sweep hands it on once the broker is back, once."""
    from datetime import timedelta

    from django.utils import timezone

    from licensing.tasks import bulk_offer_jobs_resume_task

    with broker_down():
        job = the_job(
            confirm(creator_client, django_capture_on_commit_callbacks, works=[w.id for w in works])
        )
    assert (
        "Could not queue licensing.tasks.bulk_offer_job_run_task" in caplog.text
    )  # the broker really refused
    job.refresh_from_db()
    assert job.status == "queued" and not Offer.objects.exists()
    page = creator_client.get(f"/studio/offers/bulk/{job.id}/").content.decode()
    assert 'data-status="queued"' in page

    assert bulk_offer_jobs_resume_task() == 0  # not yet: it may still be on its way
    BulkOfferJob.objects.filter(id=job.id).update(created_at=timezone.now() - timedelta(minutes=11))
    assert bulk_offer_jobs_resume_task() == 1
    job.refresh_from_db()
    assert (job.status, job.done) == ("done", 3)
    assert Offer.objects.count() == 3
    assert bulk_offer_jobs_resume_task() == 0
