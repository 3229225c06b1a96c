"""The creator's own pages for audio and text works (issue 20): a work's page plays the
creator's own preview or shows the text's excerpt, and gives the size in the medium's unit;
the works grid does too; the uploader offers every medium we take; the works API carries each
medium's facts, read-only."""

from __future__ import annotations

import re

import pytest

from tests.factories import WorkFactory
from tests.uploads.media_works import audio_work, text_work
from uploads.media import ACCEPT_ATTRIBUTE
from uploads.models import WorkStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root):
    return media_root


@pytest.fixture
def signed_in(client, creator):
    client.force_login(creator)
    return client


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def file_card(html: str) -> str:
    """The "File" card's facts on a work's page, as text."""
    match = re.search(r'<h2 class="h6 mb-0">File</h2>.*?</dl>', html, flags=re.S)
    assert match
    return text_of(match.group(0))


def test_an_audio_works_page_plays_the_creators_own_preview(signed_in, creator):
    work = audio_work(owner=creator, title="Night song", status=WorkStatus.PENDING_REVIEW)
    html = signed_in.get(f"/studio/works/{work.id}/").content.decode()

    player = re.search(r"<audio[^>]*>", html).group(0)
    assert "controls" in player
    assert f'src="/works/{work.id}/files/preview/"' in player
    assert f'src="/works/{work.id}/files/thumbnail/" alt="Waveform of Night song"' in html
    facts = file_card(html)
    assert "Type FLAC (audio/flac)" in facts
    assert "Duration 3:12" in facts and "Sample rate 44.1 kHz" in facts
    assert "Channels Stereo" in facts
    assert "Dimensions" not in facts and "MP" not in facts
    assert "30-second watermarked preview" in html

    preview = signed_in.get(f"/works/{work.id}/files/preview/")
    assert preview.status_code == 200 and preview["Content-Type"] == "audio/ogg"
    assert b"".join(preview.streaming_content)[:4] == b"OggS"


def test_a_text_works_page_shows_the_excerpt_escaped_and_its_length(signed_in, creator):
    excerpt = "It was <em>late</em> & cold.\n\nThe door <script>x()</script> opened."
    work = text_work(owner=creator, excerpt=excerpt, word_count=12_345, language="de")
    html = signed_in.get(f"/studio/works/{work.id}/").content.decode()

    block = re.search(r'data-testid="text-excerpt".*?</blockquote>', html, flags=re.S).group(0)
    assert block.count("<p>") == 2
    assert "It was &lt;em&gt;late&lt;/em&gt; &amp; cold." in block
    assert "&lt;script&gt;x()&lt;/script&gt;" in block and "<script>x()" not in html
    facts = file_card(html)
    assert "Length 12,345 words" in facts and "Language German" in facts
    assert "Type Plain text (text/plain)" in facts
    assert "<audio" not in html


def test_a_text_still_processing_says_its_language_is_coming(signed_in, creator):
    work = text_work(owner=creator, language="", excerpt="", status=WorkStatus.PROCESSING)
    facts = file_card(signed_in.get(f"/studio/works/{work.id}/").content.decode())
    assert "Language Detected while processing." in facts


def test_an_images_page_keeps_its_dimensions(signed_in, creator):
    work = WorkFactory(owner=creator)
    html = signed_in.get(f"/studio/works/{work.id}/").content.decode()
    assert f"Dimensions {work.width} × {work.height} px ({work.megapixels} MP)" in file_card(html)
    assert "<audio" not in html and "text-excerpt" not in html


def test_the_works_grid_gives_each_work_its_size_in_its_unit(signed_in, creator):
    image = WorkFactory(owner=creator, title="Harbour")
    audio_work(owner=creator, title="Night song")
    text_work(owner=creator, title="Letters", word_count=4210, language="fr")
    html = signed_in.get("/studio/works/").content.decode()
    sizes = [text_of(s) for s in re.findall(r'data-testid="work-size">(.*?)</p>', html, re.S)]
    assert sorted(sizes) == sorted(
        ["3:12", "4,210 words · French", f"{image.width} × {image.height} px"]
    )
    assert "bi-music-note-beamed" in html and "bi-file-text" in html


def test_the_upload_page_accepts_every_medium(signed_in):
    html = signed_in.get("/studio/works/upload/").content.decode()
    picker = re.search(r'<input type="file"[^>]*data-file-input>', html).group(0)
    accept = re.search(r'accept="([^"]*)"', picker).group(1)
    assert accept == ACCEPT_ATTRIBUTE
    for wanted in ("image/jpeg", "audio/flac", "audio/mpeg", "text/plain", ".md", ".epub"):
        assert wanted in accept.split(",")
    words = text_of(html)
    assert "Images: JPEG, PNG or WebP" in words
    assert "Audio: WAV, FLAC, MP3 or Ogg" in words
    assert "Text: plain text (.txt), Markdown (.md)" in words and "EPUB" in words
    assert "Drag images, recordings or texts here" in words


def test_the_works_api_carries_each_mediums_facts(api_client, creator):
    api_client.force_authenticate(creator)
    song = audio_work(owner=creator)
    text = text_work(owner=creator, excerpt="One.\n\nTwo.")
    image = WorkFactory(owner=creator)

    body = api_client.get(f"/api/v1/works/{song.id}/").json()
    assert {k: body[k] for k in ("kind", "duration_ms", "sample_rate", "channels")} == {
        "kind": "audio",
        "duration_ms": 192_400,
        "sample_rate": 44100,
        "channels": 2,
    }
    assert body["word_count"] is None and body["excerpt"] == ""
    body = api_client.get(f"/api/v1/works/{text.id}/").json()
    assert (body["kind"], body["word_count"], body["language"], body["excerpt"]) == (
        "text",
        4210,
        "en",
        "One.\n\nTwo.",
    )
    listed = {w["id"]: w for w in api_client.get("/api/v1/works/").json()["results"]}
    assert listed[image.id]["kind"] == "image" and listed[image.id]["duration_ms"] is None
    assert listed[song.id]["duration_ms"] == 192_400

    # Read-only: an edit cannot change what the file is.
    response = api_client.patch(
        f"/api/v1/works/{text.id}/",
        {"title": "Renamed", "kind": "audio", "word_count": 1, "language": "xx"},
        format="json",
    )
    assert response.status_code == 200
    text.refresh_from_db()
    assert (text.title, text.kind, text.word_count, text.language) == (
        "Renamed",
        "text",
        4210,
        "en",
    )
