"""Screening end to end: a file goes through intake and processing, the after-processing hook
queues the screening task (eager here; a worker in production), and the work comes out listed,
held with a case, or rejected, with reasons the creator can read. These tests commit for real
(transaction=True) so the on-commit hook runs as it does in production."""

from __future__ import annotations

import pytest
from PIL import Image

from accounts.models import Notification
from licensing.selectors.offers import sellable_offers
from licensing.services.offers import offer_create
from licensing.terms import PRESETS
from moderation.models import (
    CaseKind,
    CaseStatus,
    KnownStolenWork,
    Outcome,
    ReviewCase,
    Screening,
    ScreeningSignal,
    SignalKind,
)
from moderation.policy import POLICY_VERSION
from moderation.services.screening import known_stolen_rescreen, work_screen, works_rescreen
from tests.factories import CONTEXT, CreatorFactory, StaffFactory
from tests.uploads.images import jpeg_bytes, photo, with_xmp
from tests.uploads.works import upload_work
from uploads.models import Work, WorkStatus
from uploads.services.works import work_review_decide

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_near_index")]

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def ai_tagged(seed: int) -> bytes:
    return with_xmp(jpeg_bytes(photo(seed=seed)), {"Xmp.iptcExt.DigitalSourceType": TRAINED})


def offer_on(work: Work):
    return offer_create(
        work=work,
        actor=work.owner,
        terms=PRESETS["generative-commercial-3y"].terms,
        preset="generative-commercial-3y",
        price_amount=1500,
        currency="USD",
        consent=True,
        context=CONTEXT,
    )


def test_clean_upload_is_listed_by_screening(media_root):
    work = upload_work(CreatorFactory(), jpeg_bytes(photo(seed=40)))

    assert work.status == WorkStatus.LISTED
    assert work.status_reason == "Checked on upload; nothing needed a person to look."
    [screening] = Screening.objects.filter(work=work)
    assert (screening.outcome, screening.score, screening.policy_version) == (
        Outcome.LIST,
        0,
        POLICY_VERSION,
    )
    assert list(work.status_changes.values_list("to_status", flat=True))[-2:] == [
        WorkStatus.PENDING_REVIEW,
        WorkStatus.LISTED,
    ]
    assert not ReviewCase.objects.filter(work=work).exists()


def test_undeclared_ai_is_held_with_a_case_and_a_plain_reason(media_root):
    creator = CreatorFactory()
    work = upload_work(creator, ai_tagged(41))

    assert work.status == WorkStatus.PENDING_REVIEW
    assert work.status_reason.startswith(
        "Held for review because: It was declared as made without AI"
    )
    case = ReviewCase.objects.get(work=work)
    assert (case.kind, case.status, case.risk_score) == (CaseKind.SCREENING, CaseStatus.OPEN, 55)
    assert "declared as made without AI" in case.reason
    assert (
        Notification.objects.filter(user=creator, subject__contains="held for review").count() == 1
    )
    # Held works cannot be licensed: an offer on it is not for sale.
    offer = offer_on(work)
    assert not sellable_offers().filter(id=offer.id).exists()


def test_exact_copy_of_a_listed_work_is_rejected(media_root):
    owner, copier = CreatorFactory(), CreatorFactory()
    data = jpeg_bytes(photo(seed=42))
    original = upload_work(owner, data)
    assert original.status == WorkStatus.LISTED
    copy = upload_work(copier, data)

    assert copy.status == WorkStatus.REJECTED
    assert copy.status_reason.startswith(
        "Rejected on upload because: It is an exact copy of a work another account has listed."
    )
    assert Screening.objects.get(work=copy).outcome == Outcome.REJECT
    assert not ReviewCase.objects.filter(work=copy).exists()
    assert Work.objects.get(id=original.id).status == WorkStatus.LISTED  # the original is untouched


def test_flipped_copy_of_a_listed_work_is_held_not_listed(media_root):
    original = upload_work(CreatorFactory(), jpeg_bytes(photo(seed=43)))
    flipped = photo(seed=43).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    copy = upload_work(CreatorFactory(), jpeg_bytes(flipped))

    assert copy.status == WorkStatus.PENDING_REVIEW
    signal = ScreeningSignal.objects.get(work=copy, kind=SignalKind.NEAR_DUPLICATE)
    assert signal.related_work_id == original.id
    assert ReviewCase.objects.get(work=copy, status=CaseStatus.OPEN).risk_score == signal.weight


def test_rescreen_is_idempotent(media_root):
    work = upload_work(CreatorFactory(), ai_tagged(44))
    for _ in range(3):
        work_screen(work_id=work.id)
    assert Screening.objects.filter(work=work).count() == 1
    assert ReviewCase.objects.filter(work=work).count() == 1
    assert ScreeningSignal.objects.filter(work=work).count() == 1
    assert (
        work.status_changes.filter(to_status=WorkStatus.PENDING_REVIEW).count() == 2
    )  # processing, hold


def test_new_known_stolen_entry_takes_a_listed_work_off_sale(media_root):
    work = upload_work(CreatorFactory(), jpeg_bytes(photo(seed=45)))
    offer = offer_on(work)
    assert sellable_offers().filter(id=offer.id).exists()

    entry = KnownStolenWork.objects.create(pdq_hash=work.pdq_hash, title="Reported")
    assert known_stolen_rescreen(known_stolen_id=entry.id) == 1

    work.refresh_from_db()
    # A live work is never rejected by a machine: it goes back to a person with a case.
    assert work.status == WorkStatus.PENDING_REVIEW
    assert "registered as stolen" in work.status_reason
    assert ReviewCase.objects.get(work=work, status=CaseStatus.OPEN).risk_score == 100
    assert not sellable_offers().filter(id=offer.id).exists()


def test_known_stolen_copy_is_rejected_on_upload(media_root):
    KnownStolenWork.objects.create(
        pdq_hash=upload_work(CreatorFactory(), jpeg_bytes(photo(seed=46))).pdq_hash
    )
    copy = upload_work(CreatorFactory(), jpeg_bytes(photo(seed=46).resize((320, 240))))
    assert copy.status == WorkStatus.REJECTED
    assert "registered as stolen" in copy.status_reason


def test_staff_decision_is_never_overridden(media_root):
    staff = StaffFactory()
    held = upload_work(CreatorFactory(), ai_tagged(47))
    approved = work_review_decide(
        work=held, approve=True, reason="Checked with the artist", actor=staff
    )
    assert approved.status == WorkStatus.LISTED

    works_rescreen(work_ids=[held.id])  # same evidence: staff's approval stands
    held.refresh_from_db()
    assert held.status == WorkStatus.LISTED
    assert held.status_reason == "Checked with the artist"

    rejected = upload_work(CreatorFactory(), jpeg_bytes(photo(seed=48)))
    work_review_decide(work=rejected, approve=False, reason="Not the uploader's work", actor=staff)
    work_screen(work_id=rejected.id)  # nothing against it now, still not listed by a machine
    rejected.refresh_from_db()
    assert rejected.status == WorkStatus.REJECTED


def test_open_case_keeps_a_pending_work_from_auto_listing(media_root):
    work = upload_work(CreatorFactory(), ai_tagged(49))
    ScreeningSignal.objects.filter(work=work).delete()
    Work.objects.filter(id=work.id).update(digital_source_type="", metadata={})
    work_screen(work_id=work.id)
    work.refresh_from_db()
    assert work.status == WorkStatus.PENDING_REVIEW  # the open case waits for staff
