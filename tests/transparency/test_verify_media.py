"""Public verification of audio and text: a re-encoded clip of a licensed song, or a lightly
edited passage of a licensed story, finds the work with its running licenses; unrelated audio
or prose finds nothing; a private work reads as no work; bad input is a 400 with a code, a
missing fingerprinter a 503; nothing the visitor sends is stored."""

from __future__ import annotations

import functools
import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from licensing.services.offers import offer_withdraw
from licensing.terms import PRESETS
from moderation.services.screening import work_screen
from tests.factories import CONTEXT, BuyerFactory, StaffFactory, WorkFactory
from tests.uploads.sounds import decode, encode, encode_long, reencode, song
from tests.uploads.texts import story
from tests.uploads.works import upload_work
from uploads.audio.processing import audio_processed
from uploads.audio.validation import sniff_audio, validate_audio
from uploads.errors import UploadRefused
from uploads.models import Work, WorkKind, WorkStatus
from uploads.services.works import work_review_decide
from uploads.text.processing import text_processed

from .factories import creator, grant, offer_on

pytestmark = pytest.mark.django_db

URL = "/api/v1/verify/"
SONG_SEED, STORY_SEED = 2024, 31


@pytest.fixture(autouse=True)
def _fresh_media_indexes():
    """The per-process audio and text indexes hold ids of other tests' rows otherwise."""
    from moderation.neardup.audio import audio_index_reset
    from moderation.neardup.text import text_index_reset

    audio_index_reset()
    text_index_reset()
    yield
    audio_index_reset()
    text_index_reset()


@functools.cache
def song_flac() -> bytes:
    return encode(song(seconds=60, seed=SONG_SEED), 44100, "flac")


@functools.cache
def song_fingerprint() -> bytes:
    """The song's fingerprint as processing stores it."""
    return audio_processed(song_flac(), "audio/flac").fields["audio_fingerprint"]


@functools.cache
def story_text() -> str:
    return story(words=1200, seed=STORY_SEED)


def team(name: str):
    return BuyerFactory(membership__organization__name=name).memberships.first().organization


def listed_work(owner, data: bytes, *, name: str, title: str) -> Work:
    """Through intake, processing and screening, as a creator's upload goes; then on sale."""
    work = upload_work(owner, data, name=name, title=title)
    work_screen(work_id=work.id)
    work.refresh_from_db()
    assert work.status == WorkStatus.LISTED, work.status
    offer_on(work)
    return work


def held_then_approved(owner, data: bytes, *, name: str, title: str) -> Work:
    """Held by screening (copies of it came first), approved by staff, then on sale."""
    work = upload_work(owner, data, name=name, title=title)
    work_screen(work_id=work.id)
    work.refresh_from_db()
    assert work.status == WorkStatus.PENDING_REVIEW, work.status
    work_review_decide(work=work, approve=True, reason="", actor=StaffFactory())
    offer_on(work)
    return work


@pytest.fixture
def licensed_song():
    owner = creator(named=True, name="Mara Quill")
    work = listed_work(owner, song_flac(), name="harbour.flac", title="Harbour song")
    assert work.kind == WorkKind.AUDIO and work.audio_fingerprint
    return work, grant(team("Orbit Lab"), [work])


@pytest.fixture
def licensed_story():
    owner = creator(named=True, name="Ines Rowe")
    data = story_text().encode()
    work = listed_work(owner, data, name="the-crossing.txt", title="The crossing")
    assert work.kind == WorkKind.TEXT and work.text_minhash
    return work, grant(team("Quill Lab"), [work])


def clip(data: bytes, name: str = "clip.mp3") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def twenty_seconds_from_25s() -> bytes:
    """What a visitor has: 20 s from 0:25 of the song, re-encoded to MP3 a little quieter."""
    return reencode(song_flac(), "mp3", gain=0.8, trim_seconds=25, keep_seconds=20)


def passage(words: int = 100, start: int = 400, changed: int = 4) -> str:
    """`words` words of the story from word `start`, a few of them replaced."""
    tokens = story_text().split()[start : start + words]
    for i in range(changed):
        tokens[10 + i * 20] = "lantern"
    return " ".join(tokens)


def only_works(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "query"}


# --- Audio ----------------------------------------------------------------------------------


def test_a_reencoded_clip_finds_the_song_with_its_license(api_client, licensed_song):
    work, running = licensed_song
    response = api_client.post(URL, {"file": clip(twenty_seconds_from_25s())}, format="multipart")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["matched"] is True
    assert body["query"]["kind"] == "audio" and body["query"]["near_search"] is True
    assert body["query"]["clip_seconds"] == pytest.approx(20, abs=0.2)
    assert body["query"]["seconds_checked"] == body["query"]["clip_seconds"]
    [found] = body["works"]
    assert (found["id"], found["kind"], found["title"], found["creator"]) == (
        str(work.uuid),
        "audio",
        "Harbour song",
        "Mara Quill",
    )
    assert found["match"] == "near" and found["distance"] is None
    assert 0.8 <= found["score"] < 1
    # The clip was cut at 0:25: the answer says where it sits in the work.
    assert found["offset_seconds"] == pytest.approx(25, abs=1)
    assert found["offset"] in ("0:24", "0:25", "0:26")
    assert found["thumbnail_url"].endswith(f"/catalog/works/{work.id}/thumbnail/")
    assert found["preview_url"].endswith(f"/catalog/works/{work.id}/preview/")
    [license_] = found["active_licenses"]
    assert (license_["license"], license_["team"]) == (str(running.uuid), "Orbit Lab")
    assert license_["terms"] == PRESETS["generative-commercial-3y"].terms.canonical()
    assert license_["url"].endswith(f"/public/licenses/{running.uuid}/")


def test_a_long_recording_is_checked_by_its_first_two_minutes_only(api_client, licensed_song):
    """A visitor's 3-minute recording whose song runs its first minute, damaged past 2:30:
    verification decodes only the opening it checks (it must not spend a 20-minute decode on
    every request), so the damage after it is no reason to refuse, and the song is found.
    The same file as an upload is refused: a work must be whole."""
    work, _running = licensed_song
    samples, rate = decode(song_flac())
    mono = samples.mean(axis=1)
    long = np.concatenate([mono, song(seconds=120, seed=SONG_SEED + 7, sample_rate=rate)[:, 0]])
    data = bytearray(encode_long(long, rate, "flac"))
    damaged_at = int(len(data) * 0.9)  # about 2:42 of 3:00
    data[damaged_at : damaged_at + 4000] = bytes(range(256)) * 15 + bytes(160)
    data = bytes(data)
    with pytest.raises(UploadRefused) as refused:
        validate_audio(io.BytesIO(data), len(data), sniff_audio(data[:64]))
    assert refused.value.code == "corrupt_audio"

    response = api_client.post(URL, {"file": clip(data, "set.flac")}, format="multipart")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["query"]["clip_seconds"] == pytest.approx(180, abs=0.5)
    assert body["query"]["seconds_checked"] == 120
    [found] = body["works"]
    assert (found["id"], found["match"]) == (str(work.uuid), "near")
    assert found["offset_seconds"] == pytest.approx(0, abs=1)


def test_dozens_of_rejected_copies_uploaded_first_do_not_hide_the_licensed_song(api_client):
    """Scammers uploaded the song 40 times before its creator did; staff rejected every copy.
    The index finds all 41 alike, and verification answers only public works: it asks the
    index for enough matches that the creator's own is among them."""
    copies = [
        WorkFactory(kind=WorkKind.AUDIO, status=WorkStatus.REJECTED, audio_fingerprint=fingerprint)
        for fingerprint in [song_fingerprint()] * 40
    ]
    owner = creator(named=True, name="Mara Quill")
    work = held_then_approved(owner, song_flac(), name="harbour.flac", title="Harbour song")
    assert work.id > max(c.id for c in copies)

    response = api_client.post(URL, {"file": clip(twenty_seconds_from_25s())}, format="multipart")

    assert response.status_code == 200, response.json()
    assert [w["id"] for w in response.json()["works"]] == [str(work.uuid)]


def test_dozens_of_rejected_copies_uploaded_first_do_not_hide_the_licensed_story(api_client):
    owner = creator(named=True, name="Ines Rowe")
    data = story_text().encode()
    copies = [
        WorkFactory(
            kind=WorkKind.TEXT,
            status=WorkStatus.REJECTED,
            text_minhash=text_processed(data, "text/plain", title="x").fields["text_minhash"],
        )
        for _ in range(15)
    ]
    work = held_then_approved(owner, data, name="the-crossing.txt", title="The crossing")
    assert work.id > max(c.id for c in copies)

    response = api_client.post(URL, {"text": passage()}, format="json")

    assert response.status_code == 200, response.json()
    assert [w["id"] for w in response.json()["works"]] == [str(work.uuid)]


def test_the_original_file_is_an_exact_match(api_client, licensed_song):
    work, _running = licensed_song
    body = api_client.post(URL, {"file": clip(song_flac(), "a.flac")}, format="multipart").json()
    [found] = body["works"]
    assert (found["id"], found["match"], found["score"]) == (str(work.uuid), "exact", 1.0)
    assert found["offset"] is None and found["distance"] is None


def test_an_unrelated_clip_finds_nothing(api_client, licensed_song):
    other = encode(song(seconds=20, seed=SONG_SEED + 1), 44100, "ogg")
    response = api_client.post(URL, {"file": clip(other, "x.ogg")}, format="multipart")
    assert response.status_code == 200
    assert only_works(response.json()) == {"matched": False, "works": []}
    assert response.json()["query"]["kind"] == "audio"


@pytest.mark.parametrize("hide", ["held", "withdrawn"])
def test_a_clip_of_a_private_song_answers_exactly_like_no_match(api_client, hide):
    owner = creator(named=True, name="Hidden Singer")
    work = upload_work(owner, song_flac(), name="s.flac", title="Private song")
    if hide == "withdrawn":
        work_screen(work_id=work.id)  # listed, and then consent is withdrawn
    offer_on(work)  # (held: on offer, but never screened, so pending review)
    grant(team("Orbit Lab"), [work])
    if hide == "withdrawn":
        offer_withdraw(offer=work.offers.get(), actor=owner, context=CONTEXT)
    assert Work.objects.get(id=work.id).status == (
        WorkStatus.LISTED if hide == "withdrawn" else WorkStatus.PENDING_REVIEW
    )

    response = api_client.post(URL, {"file": clip(twenty_seconds_from_25s())}, format="multipart")
    assert response.status_code == 200
    assert only_works(response.json()) == {"matched": False, "works": []}
    text = response.content.decode()
    assert "Private song" not in text and "Hidden Singer" not in text and "Orbit Lab" not in text


# --- Text -----------------------------------------------------------------------------------


def test_a_passage_with_a_few_words_changed_finds_the_story(api_client, licensed_story):
    work, running = licensed_story
    response = api_client.post(URL, {"text": passage()}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["matched"] is True
    assert body["query"]["kind"] == "text" and body["query"]["words"] == 100
    assert body["query"]["sha256"] is None and body["query"]["pdq"] is None
    [found] = body["works"]
    assert (found["id"], found["kind"], found["title"], found["creator"]) == (
        str(work.uuid),
        "text",
        "The crossing",
        "Ines Rowe",
    )
    assert found["match"] == "near" and 0 < found["score"] < 1
    assert found["distance"] is None and found["offset"] is None
    assert found["offset_seconds"] is None
    assert found["thumbnail_url"].endswith(f"/catalog/works/{work.id}/thumbnail/")
    assert found["preview_url"] is None  # a text has its excerpt, no preview file
    [license_] = found["active_licenses"]
    assert (license_["license"], license_["team"]) == (str(running.uuid), "Quill Lab")


def test_the_whole_text_pasted_is_an_exact_match(api_client, licensed_story):
    work, _running = licensed_story
    recased = story_text().upper().replace("\n\n", "\n")  # layout and case do not matter
    body = api_client.post(URL, {"text": recased}, format="json").json()
    assert [(w["id"], w["match"], w["score"]) for w in body["works"]] == [
        (str(work.uuid), "exact", 1.0)
    ]


def test_an_unrelated_passage_finds_nothing(api_client, licensed_story):
    other = story(words=100, seed=STORY_SEED + 50)
    response = api_client.post(URL, {"text": other}, format="multipart")
    assert response.status_code == 200
    assert only_works(response.json()) == {"matched": False, "works": []}


def test_a_passage_of_a_withdrawn_story_answers_exactly_like_no_match(api_client):
    owner = creator(named=True, name="Quiet Writer")
    work = listed_work(owner, story_text().encode(), name="s.txt", title="Withdrawn story")
    grant(team("Quill Lab"), [work])
    offer_withdraw(offer=work.offers.get(), actor=owner, context=CONTEXT)
    response = api_client.post(URL, {"text": passage()}, format="json")
    assert only_works(response.json()) == {"matched": False, "works": []}
    assert "Withdrawn story" not in response.content.decode()


# --- Refusals -------------------------------------------------------------------------------


def _short_clip(seconds: float) -> bytes:
    return encode(song(seconds=seconds, seed=5), 44100, "wav")


@pytest.mark.parametrize(
    ("payload", "fmt", "code"),
    [
        ({"text": "   \n  "}, "json", "missing_input"),
        ({"text": ""}, "multipart", "missing_input"),
        ({"text": {"words": 1}}, "json", "invalid_text"),
        ({"text": "word " * 49}, "json", "too_few_words"),
        ({"text": "!!! ??? ... " * 40}, "json", "too_few_words"),
        ({"text": "x" * 20_001}, "json", "text_too_long"),
        ({"text": "word " * 60, "pdq": "ab" * 32}, "json", "too_many_inputs"),
        ({"text": "word " * 60, "file": "clip"}, "multipart", "too_many_inputs"),
        ({"file": "short"}, "multipart", "too_short"),
        ({"file": "cut"}, "multipart", "corrupt_audio"),
        ({"file": "story"}, "multipart", "unsupported_type"),
        ({"file": b"fLaC" + b"\x07" * 3000}, "multipart", "corrupt_audio"),
    ],
)
def test_bad_input_is_a_400_with_a_code(api_client, payload, fmt, code):
    data = dict(payload)
    files = {
        "clip": lambda: twenty_seconds_from_25s(),
        "short": lambda: _short_clip(4),
        "cut": lambda: song_flac()[: len(song_flac()) // 2],
        "story": lambda: story_text().encode(),
    }
    if "file" in data:
        raw = data["file"]
        data["file"] = clip(files[raw]() if isinstance(raw, str) else raw, "x.bin")
    response = api_client.post(URL, data, format=fmt)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code and response.json()["message"]


def test_the_refusals_say_what_to_do(api_client):
    few = api_client.post(URL, {"text": "word " * 12}, format="json").json()
    assert few["message"].startswith("The passage has 12 words; paste at least 50")
    long = api_client.post(URL, {"text": "x" * 25_000}, format="json").json()
    assert long["message"] == "The passage is 25,000 characters long; paste at most 20,000."
    short = api_client.post(URL, {"file": clip(_short_clip(4), "s.wav")}, format="multipart")
    assert "at least 10 seconds" in short.json()["message"]
    text_file = api_client.post(URL, {"file": clip(b"notes " * 100, "n.txt")}, format="multipart")
    assert "paste a passage" in text_file.json()["message"]


def test_a_form_passage_at_the_limit_counts_line_breaks_once(api_client, licensed_story):
    # Browsers send a textarea's line breaks as CRLF but count each as one character.
    at_limit = ("word " * 199 + "word\n") * 20  # 20 lines of 1,000 characters
    assert len(at_limit) == 20_000
    response = api_client.post(URL, {"text": at_limit.replace("\n", "\r\n")}, format="multipart")
    assert response.status_code == 200, response.json()


def test_without_the_fingerprinter_a_clip_is_a_503_and_the_rest_still_works(
    api_client, licensed_story, monkeypatch, tmp_path
):
    # fpcalc is installed here; a PATH without it is how a server without Chromaprint looks.
    monkeypatch.setenv("PATH", str(tmp_path))
    response = api_client.post(URL, {"file": clip(twenty_seconds_from_25s())}, format="multipart")
    assert response.status_code == 503
    assert response.json()["code"] == "fingerprint_unavailable"
    assert "Images and text can still be checked" in response.json()["message"]
    assert api_client.post(URL, {"text": passage()}, format="json").json()["matched"] is True
    page = api_client.post("/verify/", {"file": clip(twenty_seconds_from_25s())})
    assert page.status_code == 503
    assert 'data-code="fingerprint_unavailable"' in page.content.decode()


def test_nothing_the_visitor_sends_is_stored(api_client, licensed_song, licensed_story, media_root):
    files_before = sorted(p for p in media_root.rglob("*") if p.is_file())
    works_before = Work.objects.count()
    api_client.post(URL, {"file": clip(twenty_seconds_from_25s())}, format="multipart")
    api_client.post(URL, {"text": passage()}, format="json")
    api_client.post(URL, {"text": "word " * 10}, format="json")
    assert sorted(p for p in media_root.rglob("*") if p.is_file()) == files_before
    assert Work.objects.count() == works_before


# --- The page -------------------------------------------------------------------------------


def test_the_form_offers_images_and_recordings_and_a_text_box(client):
    html = client.get("/verify/").content.decode()
    accept = html.split('id="verify-file" name="file" accept="', 1)[1].split('"', 1)[0]
    kinds = accept.split(",")
    assert {"image/jpeg", "image/png", "image/webp", "audio/mpeg", "audio/flac"} <= set(kinds)
    assert "audio/wav" in kinds and "audio/ogg" in kinds
    assert not [k for k in kinds if k.startswith("text/") or "epub" in k or k == ".md"]
    assert '<textarea class="form-control" id="verify-text" name="text"' in html
    assert 'maxlength="20000"' in html and "At least 50 words" in html


def test_the_page_shows_the_song_a_clip_comes_from(client, licensed_song):
    work, running = licensed_song
    page = client.post("/verify/", {"file": clip(twenty_seconds_from_25s())})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-matched="true"' in html and "Harbour song" in html and "Mara Quill" in html
    assert "the clip matches from 0:2" in html and 'data-kind="audio"' in html
    assert f'src="/catalog/works/{work.id}/preview/"' in html and "<audio" in html
    assert "Orbit Lab" in html and f"/public/licenses/{running.uuid}/" in html


def test_the_page_shows_the_story_a_passage_comes_from(client, licensed_story):
    _work, running = licensed_story
    page = client.post("/verify/", {"text": passage(), "hash": "", "hash_kind": "pdq"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-matched="true"' in html and "The crossing" in html and "Ines Rowe" in html
    assert "the passage is in this text" in html and 'data-kind="text"' in html
    assert "Quill Lab" in html and f"/public/licenses/{running.uuid}/" in html
    none = client.post("/verify/", {"text": story(words=100, seed=999)})
    assert 'data-matched="false"' in none.content.decode()
    assert "This passage does not match" in none.content.decode()


def test_the_page_explains_a_short_passage_and_keeps_it(client):
    typed = "The river was quiet in the morning and she walked to the old house."
    page = client.post("/verify/", {"text": typed})
    html = page.content.decode()
    assert page.status_code == 400 and 'data-code="too_few_words"' in html
    assert "paste at least 50" in html and typed in html
