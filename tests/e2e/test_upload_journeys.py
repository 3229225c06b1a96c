"""Journeys in a real browser: a creator uploads a batch of images (one of them not an image at
all), watches the batch finish, browses their works and opens one.

Celery runs eagerly in tests and the live server commits for real, so each work is processed
(on_commit) inside its own upload request: by the time the uploader is done, so is the batch.
"""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image, ImageDraw, PngImagePlugin
from playwright.sync_api import expect

from tests.factories import CreatorFactory, StaffFactory
from tests.helpers import DEFAULT_PASSWORD
from uploads.models import UploadBatch, UploadRefusal, Work, WorkStatus
from uploads.services.history import work_status_set
from uploads.services.intake import work_submit
from uploads.services.works import work_review_decide

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


XMP_GENERATED = """<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
 Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>
</rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""


def _picture(size: tuple[int, int], background, shapes) -> Image.Image:
    """A small composed picture: a vertical gradient, a few shapes, a little noise."""
    width, height = size
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        shade = int(80 * y / height)
        draw.line([(0, y), (width, y)], fill=tuple(max(0, c - shade) for c in background))
    for kind, box, colour in shapes:
        getattr(draw, kind)(box, fill=colour)
    noise = Image.effect_noise(size, 24).convert("RGB")
    return Image.blend(image, noise, 0.08)


def _make_files(folder):
    folder.mkdir()
    sunrise = folder / "Sunrise over the bay.jpg"
    exif = Image.Exif()
    exif[0x013B] = "Ada Okafor"  # Artist
    exif[0x0131] = "Krita 5.2"  # Software
    exif[0x8298] = "(c) 2026 Ada Okafor"  # Copyright (EXIF text is ASCII)
    _picture(
        (640, 480),
        (250, 170, 90),
        [
            ("ellipse", (250, 260, 390, 400), (255, 236, 160)),
            ("rectangle", (0, 380, 640, 480), (40, 90, 140)),
        ],
    ).save(sunrise, "JPEG", quality=90, exif=exif)

    # The PNG says it was generated: an A1111 "parameters" chunk and an IPTC digital source type.
    forest = folder / "forest-study.png"
    png_info = PngImagePlugin.PngInfo()
    png_info.add_text("parameters", "a pine forest at dusk\nSteps: 30, Sampler: Euler a, Seed: 7")
    png_info.add_itxt("XML:com.adobe.xmp", XMP_GENERATED)
    _picture(
        (400, 520),
        (60, 120, 70),
        [
            ("polygon", [(200, 40), (80, 420), (320, 420)], (20, 70, 40)),
            ("rectangle", (185, 420, 215, 500), (90, 60, 30)),
        ],
    ).save(forest, "PNG", pnginfo=png_info)

    portrait = folder / "portrait_03.jpg"
    _picture(
        (300, 300),
        (200, 200, 220),
        [
            ("ellipse", (90, 50, 210, 190), (230, 190, 160)),
            ("rectangle", (70, 190, 230, 300), (60, 60, 110)),
        ],
    ).save(portrait, "JPEG", quality=88)

    fake = folder / "fake.jpg"
    fake.write_text("This is a text file wearing a .jpg name.\n")
    return [sunrise, forest, portrait, fake]


def _sign_in(page, email: str):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("form:has([name='login']) [type=submit]").first.click()
    page.wait_for_url(re.compile(r"/studio/$"))


def test_creator_uploads_a_batch_and_follows_it_to_a_work(
    page, live_server, screenshot, media_root, tmp_path
):
    creator = CreatorFactory(email="ada@example.com", profile__display_name="Ada Okafor")
    files = _make_files(tmp_path / "to-upload")
    _sign_in(page, creator.email)

    # The studio and the navigation lead to the works.
    page.get_by_role("link", name="Works", exact=True).click()
    page.wait_for_url(re.compile(r"/studio/works/$"))
    expect(page.get_by_text("You have not uploaded any works yet")).to_be_visible()
    screenshot(page, "1-no-works-yet")
    page.get_by_role("link", name="Upload your first works").click()
    page.wait_for_url(re.compile(r"/studio/works/upload/$"))

    page.set_input_files("input[type=file]", [str(path) for path in files])
    queue = page.locator("[data-queue] > li")
    expect(queue).to_have_count(4)
    expect(page.locator("[data-submit]")).to_contain_text("Upload 4 files")

    # Without the declarations nothing is sent: each missing one is named where it belongs.
    page.locator("[data-submit]").click()
    expect(page.locator("[data-error-for=ai_involvement]")).to_contain_text("AI was involved")
    expect(page.locator("[data-error-for=rights_confirmed]")).to_contain_text("hold the rights")
    screenshot(page, "2-uploader-missing-declarations")
    assert not UploadBatch.objects.exists()

    page.check("input[name=ai_involvement][value=none]")
    page.fill("input[name=tags]", "Landscape, e2e")
    page.check("input[name=rights_confirmed]")
    expect(page.locator("[data-error-for=ai_involvement]")).to_be_hidden()
    if connection.vendor == "sqlite":
        # The in-memory SQLite test database locks whole tables ("database table is locked")
        # when two requests write at once; PostgreSQL takes the uploader's two at a time.
        page.locator("#uploader").evaluate("form => { form.dataset.concurrency = '1'; }")
    screenshot(page, "3-uploader-ready")
    page.locator("[data-submit]").click()

    # Every file gets its own answer; the text file is refused with the server's message.
    done = page.locator("[data-done]")
    expect(done).to_be_visible(timeout=60_000)
    expect(done).to_contain_text("3 of 4 files uploaded")
    fake_row = queue.filter(has_text="fake.jpg")
    expect(fake_row).to_contain_text("This file is not a JPEG, PNG or WebP image.")
    expect(fake_row).to_contain_text("unsupported_type")
    expect(queue.filter(has_text="Uploaded")).to_have_count(3)
    page.wait_for_timeout(700)  # let the overall bar's CSS transition reach 100%
    screenshot(page, "4-uploader-sent")

    page.locator("[data-batch-link]").click()
    page.wait_for_url(re.compile(r"/studio/batches/\d+/$"))
    progress = page.locator("#batch-progress")
    expect(progress).to_have_attribute("data-finished", "true", timeout=30_000)
    expect(progress).to_contain_text("4 of 4 processed")
    expect(progress.locator(".batch-row")).to_have_count(3)
    refusal = progress.locator(".refusal-row")
    expect(refusal).to_have_count(1)
    expect(refusal).to_contain_text("fake.jpg")
    expect(refusal).to_contain_text("This file is not a JPEG, PNG or WebP image.")
    # Finished: the fragment no longer asks htmx to poll.
    assert progress.get_attribute("hx-trigger") is None
    screenshot(page, "5-batch-finished")

    works = Work.objects.filter(owner=creator)
    assert works.count() == 3
    # Screening ran after processing: the two clean files are listed; the PNG that says an AI
    # made it, against its "no AI" declaration, is held for a person with a plain reason.
    assert dict(works.values_list("title", "status")) == {
        "Sunrise over the bay": WorkStatus.LISTED,
        "forest study": WorkStatus.PENDING_REVIEW,
        "portrait 03": WorkStatus.LISTED,
    }
    assert works.get(title="forest study").status_reason.startswith("Held for review because")
    assert sorted(works.values_list("title", flat=True)) == [
        "Sunrise over the bay",
        "forest study",
        "portrait 03",
    ]
    assert all(w.tags == ["landscape", "e2e"] and w.ai_involvement == "none" for w in works)
    assert all(w.thumbnail and w.preview for w in works)
    batch = UploadBatch.objects.get(owner=creator)
    assert batch.expected_files == 4
    assert list(UploadRefusal.objects.values_list("filename", "code")) == [
        ("fake.jpg", "unsupported_type")
    ]

    # The grid: thumbnails, status, filters with counts, search.
    page.get_by_role("link", name=re.compile("Go to your works")).click()
    page.wait_for_url(re.compile(r"/studio/works/$"))
    cards = page.locator(".work-card")
    expect(cards).to_have_count(3)
    expect(cards.filter(has_text="forest study")).to_contain_text("Waiting for review")
    expect(cards.filter(has_text="portrait 03")).to_contain_text("Approved")
    for image in cards.locator("img").all():
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
    expect(page.locator(".status-filter .nav-link.active")).to_contain_text("All 3")
    screenshot(page, "6-work-list")

    page.fill("input[name=q]", "forest")
    page.get_by_role("button", name="Search").click()
    expect(cards).to_have_count(1)
    page.fill("input[name=q]", "no such thing")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("None of your works match")).to_be_visible()
    screenshot(page, "7-work-list-no-match")

    # A work's page: preview, declarations, file facts, fingerprints, metadata, history.
    sunrise = works.get(title="Sunrise over the bay")
    page.goto(f"/studio/works/{sunrise.id}/")
    expect(page.get_by_role("heading", name="Sunrise over the bay")).to_be_visible()
    preview = page.locator(".preview-frame img")
    expect(preview).to_have_js_property("complete", True)
    assert preview.evaluate("img => img.naturalWidth") > 0
    expect(page.locator("body")).to_contain_text(sunrise.sha256)
    expect(page.locator("body")).to_contain_text("Ada Okafor")
    expect(page.locator("body")).to_contain_text("Krita 5.2")
    expect(page.locator("body")).to_contain_text("640 × 480 px")
    expect(page.locator(".timeline-item")).to_have_count(3)  # processing, review, listed
    screenshot(page, "8-work-detail")

    # The PNG's own metadata says AI made it, against the declaration: the page points it out.
    forest = works.get(title="forest study")
    assert forest.digital_source_type.endswith("trainedAlgorithmicMedia")
    page.goto(f"/studio/works/{forest.id}/")
    expect(page.get_by_text("This file says it was made with AI")).to_be_visible()
    expect(page.get_by_text("You declared that no AI was used")).to_be_visible()
    expect(page.locator(".work-status.alert-info")).to_contain_text(
        "Held for review because: It was declared as made without AI"
    )
    screenshot(page, "9-work-detail-ai-metadata")
    page.goto(f"/studio/works/{sunrise.id}/")

    # Edit the title; the page says it saved.
    page.fill("input[name=title]", "Sunrise over the bay, study")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    sunrise.refresh_from_db()
    assert sunrise.title == "Sunrise over the bay, study"

    # Delete, after the confirm().
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url(re.compile(r"/studio/works/$"))
    expect(page.get_by_text("was deleted, with its files")).to_be_visible()
    assert not Work.objects.filter(id=sunrise.id).exists()


def _submit_work(owner, name: str, picture: Image.Image, *, batch=None) -> Work:
    """A work made through the real intake service (processed on commit, like an upload)."""
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90)
    upload = SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")
    result = work_submit(
        owner=owner,
        upload=upload,
        title=name.rsplit(".", 1)[0],
        ai_involvement="generated",
        rights_confirmed=True,
        tags=["study"],
        batch=batch,
    )
    return Work.objects.get(id=result.work.id)


def _set_status(work: Work, status: str, reason: str = "", **fields) -> None:
    work_status_set(work=work, status=status, reason=reason)
    for name, value in fields.items():
        setattr(work, name, value)
    work.save()


def test_works_in_every_state_and_a_batch_that_updates_itself(
    page, live_server, screenshot, media_root
):
    creator = CreatorFactory(email="kenji@example.com", profile__display_name="Kenji Mori")
    staff = StaffFactory()
    colours = [(200, 80, 80), (80, 160, 200), (120, 200, 120), (230, 200, 90), (150, 110, 190)]
    works = [
        _submit_work(creator, f"study-{i}.jpg", _picture((320, 240), colour, []))
        for i, colour in enumerate(colours)
    ]
    approved, rejected, failed, processing, waiting = works
    work_review_decide(work=approved, approve=True, reason="", actor=staff)
    work_review_decide(
        work=rejected,
        approve=False,
        actor=staff,
        reason="The same image is listed by another creator; send us proof that it is yours.",
    )
    _set_status(failed, WorkStatus.PROCESSING)
    _set_status(
        failed,
        WorkStatus.FAILED,
        "We could not finish processing this file. You can retry.",
        thumbnail="",
        preview="",
    )
    _set_status(processing, WorkStatus.PROCESSING, thumbnail="", preview="")
    # Screening listed the clean upload on commit; this page needs one work still waiting for a
    # person, as a held one would be.
    _set_status(waiting, WorkStatus.PENDING_REVIEW, "Waiting for a member of staff to review it.")

    _sign_in(page, creator.email)
    # The studio links to the works (and counts them when the view passes `counts`).
    expect(page.locator("main").get_by_role("link", name="Upload works")).to_be_visible()
    if page.locator(".studio-counts").count():
        expect(page.locator(".studio-counts")).to_contain_text("5")
    screenshot(page, "1-studio")

    page.goto("/studio/works/")
    expect(page.locator(".work-card")).to_have_count(5)
    expect(page.locator(".work-card").filter(has_text="study-3")).to_contain_text("Processing")
    expect(page.locator(".work-card").filter(has_text="study-2")).to_contain_text(
        "Processing failed"
    )
    screenshot(page, "2-work-list-every-state")
    page.locator(".status-filter").get_by_role("link", name=re.compile("^Rejected")).click()
    expect(page.locator(".work-card")).to_have_count(1)
    page.locator(".status-filter").get_by_role("link", name=re.compile("^Approved")).click()
    expect(page.locator(".work-card")).to_have_count(1)
    expect(page.locator(".work-card")).to_contain_text("study-0")

    # Rejected: the staff reason, prominently.
    page.goto(f"/studio/works/{rejected.id}/")
    expect(page.locator(".work-status.alert-danger")).to_contain_text("listed by another creator")
    expect(page.locator(".timeline")).to_contain_text("Assent staff")
    screenshot(page, "3-work-rejected")

    # Failed: a Retry button that processes the file again.
    page.goto(f"/studio/works/{failed.id}/")
    expect(page.locator(".work-status.alert-warning")).to_contain_text("You can retry")
    screenshot(page, "4-work-failed")
    page.get_by_role("button", name="Retry processing").click()
    expect(page.get_by_text("Processing again")).to_be_visible()
    # Processed again, then screened: nothing against it, so it is listed without waiting.
    expect(page.locator(".work-status.alert-success")).to_contain_text("Approved")
    failed.refresh_from_db()
    assert failed.status == WorkStatus.LISTED
    assert failed.status_reason == "Checked on upload; nothing needed a person to look."

    # Processing: the page refreshes itself until the work is done.
    page.goto(f"/studio/works/{processing.id}/")
    expect(page.locator("#work-status-watch")).to_have_attribute("hx-trigger", "every 2s")
    page.fill("input[name=title]", "typed while processing")  # polling must not lose this
    expect(page.locator(".work-status.alert-secondary")).to_contain_text("refreshes by itself")
    screenshot(page, "5-work-processing")
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        pass  # a poll went by...
    assert page.input_value("input[name=title]") == "typed while processing"  # ...keeping input
    _set_status(
        processing,
        WorkStatus.PENDING_REVIEW,
        "Waiting for a member of staff to review it.",
        thumbnail=waiting.thumbnail.name,
        preview=waiting.preview.name,
    )
    expect(page.locator(".work-status.alert-info")).to_contain_text(
        "Waiting for review", timeout=10_000
    )

    # A batch still in progress polls itself (htmx, every second) and stops when finished.
    batch = UploadBatch.objects.create(owner=creator, expected_files=3)
    first = _submit_work(creator, "late-1.jpg", _picture((300, 300), (40, 40, 40), []), batch=batch)
    _set_status(first, WorkStatus.PROCESSING, thumbnail="", preview="")
    page.goto(f"/studio/batches/{batch.id}/")
    progress = page.locator("#batch-progress")
    expect(progress).to_contain_text("0 of 3 processed")
    expect(progress).to_have_attribute("hx-trigger", "every 1s")
    screenshot(page, "6-batch-in-progress")

    _set_status(first, WorkStatus.PENDING_REVIEW, thumbnail=waiting.thumbnail.name)
    expect(progress).to_contain_text("1 of 3 processed", timeout=10_000)
    _submit_work(creator, "late-2.jpg", _picture((300, 300), (10, 90, 10), []), batch=batch)
    UploadRefusal.objects.create(
        batch=batch,
        filename="notes.pdf",
        code="unsupported_type",
        message="This file is a PDF. Upload a JPEG, PNG or WebP image.",
    )
    expect(progress).to_have_attribute("data-finished", "true", timeout=10_000)
    expect(progress).to_contain_text("3 of 3 processed")
    expect(progress.locator(".refusal-row")).to_contain_text("This file is a PDF.")
    assert progress.get_attribute("hx-trigger") is None
    screenshot(page, "7-batch-finished-after-polling")


def test_a_batch_with_a_duplicate_and_a_lost_file_still_finishes(
    page, live_server, screenshot, media_root, tmp_path
):
    """One file is already in the creator's works, and one never gets an answer (the
    connection is cut): both count as done, with what happened to each, and the batch page
    finishes instead of waiting at "2 of 4" forever."""
    from tests.uploads.images import jpeg_bytes, photo

    creator = CreatorFactory()
    folder = tmp_path / "batch"
    folder.mkdir()
    for name, seed in [("harbour.jpg", 21), ("terraces.jpg", 22), ("lost.jpg", 23)]:
        (folder / name).write_bytes(jpeg_bytes(photo(seed=seed)))
    (folder / "harbour again.jpg").write_bytes((folder / "harbour.jpg").read_bytes())
    _sign_in(page, creator.email)

    def cut_lost_file(route):
        if "lost.jpg" in (route.request.headers.get("x-upload-filename") or ""):
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/works/**", cut_lost_file)
    page.goto("/studio/works/upload/")
    page.set_input_files("input[type=file]", sorted(str(p) for p in folder.iterdir()))
    page.check("input[name=ai_involvement][value=none]")
    page.check("input[name=rights_confirmed]")
    # One at a time: the duplicate must arrive after the file it repeats (and see the note on
    # SQLite in the test above).
    page.locator("#uploader").evaluate("form => { form.dataset.concurrency = '1'; }")
    page.locator("[data-submit]").click()
    expect(page.locator("[data-done]")).to_be_visible(timeout=60_000)

    page.locator("[data-batch-link]").click()
    page.wait_for_url(re.compile(r"/studio/batches/\d+/$"))
    progress = page.locator("#batch-progress")
    expect(progress).to_have_attribute("data-finished", "true", timeout=30_000)
    expect(progress).to_contain_text("4 of 4 processed")
    expect(progress.locator(".batch-row")).to_have_count(2)
    expect(progress.locator(".duplicate-row")).to_contain_text("Already in your works as")
    expect(progress.locator(".refusal-row")).to_contain_text("lost.jpg")
    expect(progress.locator(".refusal-row")).to_contain_text("did not reach us")
    screenshot(page, "batch-finished-with-duplicate-and-lost-file")
