"""Works beyond pictures in a real browser (issue 20's done-when): a creator uploads a song, a
voice clip and a short story through the web uploader; a second account's re-encoded, trimmed
copy of the song and lightly edited copy of the story are held, and staff see the evidence side
by side; a team buys a mixed dataset (the three works and a picture) on the local Stripe page,
downloads the package as `urls.txt` lists it, and loads the audio with `webdataset` and the text
with pyarrow, the license inside every file and row. Screenshots go to test-output/screenshots/.

Celery runs eagerly and the live server commits for real, so each upload is processed and
screened inside its own request, as in the upload journey; fpcalc (Chromaprint) really runs."""

from __future__ import annotations

import io
import json
import re
import shutil

import pyarrow.parquet as pq
import pytest
import soundfile
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from mutagen import File as MutagenFile
from playwright.sync_api import expect

from licensing.consent import ConsentContext
from licensing.services.offers import offer_create
from licensing.terms import PRESETS
from marketplace.models import Order
from moderation.models import ScreeningSignal
from tests.factories import BuyerFactory, CreatorFactory, StaffFactory
from tests.helpers import signed_in_tab, totp_enable
from tests.marketplace.factories import listed_work
from tests.uploads import sounds, texts
from tests.uploads.images import jpeg_bytes, photo
from uploads.models import Work, WorkKind, WorkStatus

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("fpcalc") is None, reason="needs Chromaprint's fpcalc"),
]

PRESET = "generative-commercial-3y"


def _upload(tab, screenshot, files, name: str):
    """The web uploader, as a creator uses it: pick the files, declare, send, wait."""
    tab.goto("/studio/works/upload/")
    tab.set_input_files("input[type=file]", [str(path) for path in files])
    expect(tab.locator("[data-queue] > li")).to_have_count(len(files))
    tab.check("input[name=ai_involvement][value=none]")
    tab.check("input[name=rights_confirmed]")
    if connection.vendor == "sqlite":
        # The in-memory SQLite test database locks whole tables when two requests write at
        # once (see test_upload_journeys); PostgreSQL takes the uploader's two at a time.
        tab.locator("#uploader").evaluate("form => { form.dataset.concurrency = '1'; }")
    tab.locator("[data-submit]").click()
    # With every file in, the uploader moves on to the batch page by itself.
    tab.wait_for_url(re.compile(r"/studio/batches/\d+/$"), timeout=90_000)
    progress = tab.locator("#batch-progress")
    expect(progress).to_have_attribute("data-finished", "true", timeout=30_000)
    expect(progress).to_contain_text(f"{len(files)} of {len(files)} processed")
    screenshot(tab, name)


def _offer(work):
    offer_create(
        work=work,
        actor=work.owner,
        terms=PRESETS[PRESET].terms,
        preset=PRESET,
        price_amount=2000,
        currency="USD",
        consent=True,
        context=ConsentContext(ip_address=None, user_agent="e2e"),
    )


def test_song_voice_and_story_are_screened_sold_and_loaded(
    browser, live_server, screenshot, shop, tmp_path
):
    ada = CreatorFactory(email="ada@example.com", profile__display_name="Ada Okafor")
    copier = CreatorFactory(email="copier@example.com", profile__display_name="Quick Copies")
    staff = StaffFactory(email="ops@example.com")
    totp_enable(staff)
    buyer = BuyerFactory(email="lin@orbit.example", membership__organization__name="Orbit Lab")
    picture = listed_work(ada, title="Harbour at dawn", price=1500)
    picture.thumbnail = default_storage.save(
        "renditions/media-journey/1.jpg", ContentFile(jpeg_bytes(photo(480, 360, seed=1)))
    )
    picture.save(update_fields=["thumbnail"])

    folder = tmp_path / "ada"
    folder.mkdir()
    song_bytes = sounds.encode(sounds.song(45, seed=11), 44100, "flac")
    story_text = texts.story(1200, seed=5)
    (folder / "Tidewater.flac").write_bytes(song_bytes)
    (folder / "Station announcement.wav").write_bytes(
        sounds.encode(sounds.voice(9, seed=2), 16000, "wav")
    )
    (folder / "The lighthouse.md").write_text(story_text)
    contexts = []

    def tab_for(user):
        context, tab = signed_in_tab(browser, live_server, user)
        tab.set_default_timeout(20_000)
        contexts.append(context)
        return tab

    # 1. Ada uploads a song, a voice clip and a story; all three are screened and approved.
    ada_tab = tab_for(ada)
    _upload(ada_tab, screenshot, sorted(folder.iterdir()), "1-creator-uploads-three-media")
    works = {
        w.kind + ":" + w.title: w for w in Work.objects.filter(owner=ada).exclude(id=picture.id)
    }
    assert sorted(works) == [
        "audio:Station announcement",
        "audio:Tidewater",
        "text:The lighthouse",
    ]
    assert {w.status for w in works.values()} == {WorkStatus.LISTED}, [
        (w.title, w.status, w.status_reason, w.processing_error) for w in works.values()
    ]
    song, story = works["audio:Tidewater"], works["text:The lighthouse"]
    assert song.duration_ms == 45_000 and story.word_count == 1200
    ada_tab.goto(f"/studio/works/{song.id}/")
    expect(ada_tab.locator("audio")).to_have_count(1)
    screenshot(ada_tab, "2-creator-song-page")
    for work in works.values():
        _offer(work)

    # 2. Another account uploads the song re-encoded to MP3, trimmed and quieter, and the story
    # with a tenth of its words changed: both are held, with what they match.
    copies = tmp_path / "copier"
    copies.mkdir()
    (copies / "my track.mp3").write_bytes(
        sounds.reencode(song_bytes, "mp3", gain=0.7, trim_seconds=4.0)
    )
    (copies / "my story.txt").write_text(texts.edit(story_text, 0.1, seed=9))
    copier_tab = tab_for(copier)
    _upload(copier_tab, screenshot, sorted(copies.iterdir()), "3-copier-uploads")
    held = {w.kind: w for w in Work.objects.filter(owner=copier)}
    assert {w.status for w in held.values()} == {WorkStatus.PENDING_REVIEW}
    for kind, original in ((WorkKind.AUDIO, song), (WorkKind.TEXT, story)):
        signals = ScreeningSignal.objects.filter(work=held[kind], related_work_id=original.id)
        assert signals.exists(), f"the {kind} copy names no evidence against {original.title}"

    staff_tab = tab_for(staff)
    for kind, name in (
        (WorkKind.AUDIO, "4-staff-audio-evidence"),
        (WorkKind.TEXT, "5-staff-text-diff"),
    ):
        case = held[kind].review_cases.get()
        staff_tab.goto(f"/staff/review/{case.id}/")
        if kind == WorkKind.AUDIO:
            expect(staff_tab.locator("audio")).to_have_count(2)
        else:
            expect(staff_tab.locator("del, ins").first).to_be_visible()
        screenshot(staff_tab, name)

    # 3. The team finds the audio and text works, adds them and the picture to one dataset,
    # and pays on the local Stripe page.
    orbit = tab_for(buyer)
    orbit.goto(
        "/catalog/?use=ai-train-generative&commercial=true&term_months=12&kind=audio&kind=text"
    )
    cards = orbit.locator(".catalog-card")
    expect(cards).to_have_count(3)
    screenshot(orbit, "6-catalog-audio-and-text")
    first = cards.filter(has_text="Tidewater")
    first.get_by_role("button", name="Start a dataset with this").click()
    expect(orbit.get_by_role("alert").first).to_contain_text("Started")
    for title in ("Station announcement", "The lighthouse"):
        card = orbit.locator(".catalog-card", has_text=title)
        card.get_by_role("button", name="Add to dataset").click()
        expect(card.locator(".dataset-added")).to_be_visible()
    orbit.goto("/catalog/?use=ai-train-generative&commercial=true&term_months=12&kind=image")
    orbit.locator(".catalog-card", has_text="Harbour at dawn").get_by_role(
        "button", name="Add to dataset"
    ).click()
    orbit.get_by_role("link", name="Datasets", exact=True).click()
    orbit.locator("[data-dataset] a").first.click()
    expect(orbit.locator(".dataset-items li")).to_have_count(4)
    expect(orbit.get_by_test_id("total")).to_have_text("$75.00")
    # The creators' terms ask for the models' destruction at expiry: acknowledged first.
    expect(orbit.get_by_test_id("duty-destroy")).to_contain_text("must be destroyed")
    orbit.check("#acknowledge-destruction")
    orbit.get_by_role("button", name=re.compile(r"Checkout")).click()
    orbit.wait_for_url(re.compile(re.escape(shop.public_url) + r"/pay/"))
    orbit.fill("#card_number", "4242 4242 4242 4242")
    orbit.get_by_test_id("pay").click()
    order = Order.objects.get()
    orbit.wait_for_url(re.compile(rf"/orders/{order.uuid}/\?checkout=done"))
    expect(orbit.get_by_test_id("order-status")).to_contain_text("Paid", timeout=30_000)
    screenshot(orbit, "7-order-paid")

    # 4. The package: built after payment (the page follows it to its links), then downloaded
    # as a buyer does, every URL in urls.txt with the session.
    orbit.get_by_role("link", name="View license").click()
    orbit.wait_for_url(re.compile(r"/licenses/[0-9a-f-]+/$"))
    expect(orbit.locator("#package-panel tr[data-file]").first).to_be_visible(timeout=120_000)
    screenshot(orbit, "8-license-package")
    order.refresh_from_db()
    listing = orbit.request.get(f"/licenses/{order.license_grant.uuid}/package/urls.txt")
    assert listing.ok, listing.status
    downloaded = tmp_path / "package"
    downloaded.mkdir()
    for url in listing.text().split():
        response = orbit.request.get(url)
        assert response.ok, (url, response.status)
        name = re.sub(
            r'.*filename="?([^";]+)"?.*', r"\1", response.headers.get("content-disposition", "")
        )
        (downloaded / (name or url.rstrip("/").rsplit("/", 1)[-1])).write_bytes(response.body())
    names = sorted(p.name for p in downloaded.iterdir())

    import webdataset as wds

    shards = [str(p) for p in sorted(downloaded.glob("*.tar"))]
    assert shards, names
    audio = {}
    for sample in wds.WebDataset(shards, shardshuffle=False):
        meta = json.loads(sample["json"])
        media = next((k for k in ("flac", "mp3", "ogg", "wav") if k in sample), None)
        if media:
            audio[meta.get("title") or sample["__key__"]] = (media, sample[media], meta)
    assert set(audio) == {"Tidewater", "Station announcement"}, names
    media, data, meta = audio["Tidewater"]
    samples, rate = soundfile.read(io.BytesIO(data))
    assert rate == 44100 and abs(len(samples) / rate - 45) < 0.1
    tags = MutagenFile(io.BytesIO(data))
    assert any(str(order.license_grant.uuid) in str(v) for v in tags.tags.values()), tags.tags
    assert meta["license_id"] == order.license_grant.uuid.hex[:10].upper()
    assert str(order.license_grant.uuid) in meta["license_url"] and meta["expires_at"]
    assert meta["duration_ms"] == 45_000

    parquet = [p for p in downloaded.rglob("*.parquet") if "index" not in p.name]
    rows = pq.read_table(parquet).to_pylist()
    assert [row["title"] for row in rows] == ["The lighthouse"]
    assert rows[0]["text"].split() == story_text.split()
    assert str(order.license_grant.uuid) in json.dumps(rows[0]["license"], default=str)
    for context in contexts:
        context.close()
