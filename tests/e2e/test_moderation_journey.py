"""Journey in a real browser: staff open the review queue, open a held upload that is a flipped
copy of another account's work, compare the two side by side, and reject it with a reason; the
uploader reads that reason on their work's page.

Both works are uploaded through the real intake and processing (so the previews are real); the
case and its signal are made directly with the models, as screening would leave them."""

from __future__ import annotations

import re

import pytest
from PIL import ImageOps
from playwright.sync_api import expect

from moderation.models import CaseKind, CaseStatus, ReviewCase, ScreeningSignal, SignalKind
from tests.factories import CreatorFactory
from tests.helpers import signed_in_tab
from tests.uploads.images import jpeg_bytes, photo
from tests.uploads.works import upload_work
from uploads.models import Work, WorkStatus
from uploads.services.history import work_status_set

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root):
    return media_root


def _tab(browser, live_server, client, settings, user):
    return signed_in_tab(browser, live_server, user)


def _held_copy():
    original_owner, copier = CreatorFactory(), CreatorFactory()
    picture = photo(640, 480, seed=7)
    original = upload_work(original_owner, jpeg_bytes(picture), title="Harbour at dawn")
    copy = upload_work(
        copier, jpeg_bytes(ImageOps.mirror(picture)), name="my_photo.jpg", title="My harbour"
    )
    copy = Work.objects.get(id=copy.id)
    if copy.status != WorkStatus.PENDING_REVIEW:
        work_status_set(work=copy, status=WorkStatus.PENDING_REVIEW, reason="Held for review")
        copy.save()
    ScreeningSignal.objects.update_or_create(
        work=copy,
        kind=SignalKind.NEAR_DUPLICATE,
        subject=f"work:{original.id}",
        defaults={
            "weight": 60,
            "summary": "A flipped copy of another account's work",
            "related_work": original,
            "distance": 4,
            "evidence": {"pdq_distance": 4, "variant": "mirror"},
        },
    )
    case, _ = ReviewCase.objects.get_or_create(
        work=copy,
        kind=CaseKind.SCREENING,
        status=CaseStatus.OPEN,
        defaults={"risk_score": 75, "reason": "Near copy of another account's listed work"},
    )
    return case, original, copy


def _image_loaded(locator) -> bool:
    return locator.evaluate("img => img.complete && img.naturalWidth > 0")


def test_staff_reject_a_near_duplicate_seen_side_by_side(
    browser, live_server, client, settings, staff_with_totp, screenshot
):
    case, _original, copy = _held_copy()
    context, staff = _tab(browser, live_server, client, settings, staff_with_totp)

    # The queue, from the staff nav.
    staff.goto("/staff/")
    expect(staff.get_by_test_id("review-count")).to_contain_text(
        str(ReviewCase.objects.filter(status="open").count())
    )
    staff.get_by_test_id("review-link").click()
    staff.wait_for_url(re.compile(r"/staff/review/$"))
    row = staff.locator(f"tr[data-case='{case.id}']")
    expect(row).to_contain_text("My harbour")
    expect(row.get_by_test_id("risk")).to_have_text(str(case.risk_score))
    screenshot(staff, "1-queue")

    # The case: the upload and the work it copies, side by side, with the distance.
    row.get_by_role("link", name="My harbour").click()
    staff.wait_for_url(re.compile(rf"/staff/review/{case.id}/$"))
    comparison = staff.get_by_test_id("comparison")
    expect(comparison.get_by_test_id("case-work")).to_contain_text("My harbour")
    expect(comparison.get_by_test_id("matched-work")).to_contain_text("Harbour at dawn")
    expect(comparison.get_by_test_id("distance")).to_have_text("4")
    for side in ("case-work", "matched-work"):
        image = comparison.get_by_test_id(side).locator("img")
        expect(image).to_be_visible()
        staff.wait_for_function("img => img.complete", arg=image.element_handle())
        assert _image_loaded(image), f"the {side} preview did not load"
    left = comparison.get_by_test_id("case-work").bounding_box()
    right = comparison.get_by_test_id("matched-work").bounding_box()
    assert abs(left["y"] - right["y"]) < 2 and left["x"] + left["width"] <= right["x"]
    expect(staff.locator("[data-signal=near_duplicate]")).to_contain_text("mirror")
    screenshot(staff, "2-case-side-by-side")

    # Reject without a reason: the browser asks for one; with it, the case is decided.
    form = staff.locator("#decision-form")
    form.get_by_role("button", name="Reject").click()
    expect(staff).to_have_url(re.compile(rf"/staff/review/{case.id}/$"))
    form.get_by_label("Reason").fill("A mirrored copy of Harbour at dawn by another creator.")
    form.get_by_role("button", name="Reject").click()
    staff.wait_for_url(re.compile(r"/staff/review/$"))
    expect(staff.get_by_role("alert")).to_contain_text("rejected")
    expect(staff.locator(f"tr[data-case='{case.id}']")).to_have_count(0)
    screenshot(staff, "3-queue-after")
    case.refresh_from_db()
    assert case.status == CaseStatus.DECIDED
    context.close()

    # The uploader reads why.
    context, creator = _tab(browser, live_server, client, settings, copy.owner)
    creator.goto(f"/studio/works/{copy.id}/")
    expect(creator.locator("body")).to_contain_text("A mirrored copy of Harbour at dawn")
    screenshot(creator, "4-creator-reads-why")
    context.close()
