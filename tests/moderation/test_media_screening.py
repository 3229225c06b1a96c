"""Screening audio and text works, and the staff case page that shows the evidence side by side.

Recordings are made here (tests/uploads/sounds.py) and processed as the worker does
(uploads.audio.processing: real decode, real fpcalc, real preview and tags); texts come from
tests/uploads/texts.py with the fingerprints uploads.text.fingerprint computes. The works are
then created directly, waiting for screening, as processing leaves them."""

from __future__ import annotations

import io
import uuid

import pytest
from django.urls import reverse
from mutagen.flac import FLAC

from moderation.models import CaseStatus, ReviewCase, ScreeningSignal, SignalKind
from moderation.neardup.audio import audio_index_reset
from moderation.neardup.text import text_index_reset
from moderation.services.screening import work_screen
from tests.factories import CreatorFactory, WorkFactory
from tests.uploads.sounds import encode, reencode, song
from tests.uploads.texts import edit, story
from uploads import storage
from uploads.audio.fingerprint import MATCH_SCORE
from uploads.audio.processing import audio_processed
from uploads.models import Work, WorkKind, WorkStatus
from uploads.text.fingerprint import MATCH_SIMILARITY
from uploads.text.metadata import TDM_RESERVED
from uploads.text.processing import text_processed

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("media_root", "fresh_near_index", "fresh_media_indexes"),
]

SONG = encode(song(40.0, seed=21), 44100, "flac")
STORY = story(1200, seed=21)


@pytest.fixture
def fresh_media_indexes():
    """The per-process audio and text indexes must not carry ids over from another test."""
    audio_index_reset()
    text_index_reset()
    yield
    audio_index_reset()
    text_index_reset()


def tagged(data: bytes, **tags: str) -> bytes:
    """A FLAC with these Vorbis comments (e.g. ARTIST, ENCODER), as a tagging tool writes them."""
    out = io.BytesIO(data)
    flac = FLAC(out)
    for name, value in tags.items():
        flac[name] = value
    out.seek(0)
    flac.save(out)
    return out.getvalue()


def _store(prefix: str, content: bytes, extension: str) -> str:
    return storage.store(f"{prefix}/test/{uuid.uuid4().hex}.{extension}", content)


def audio_work(owner, data: bytes, *, media_type: str = "audio/flac", **fields) -> Work:
    """An audio work as processing leaves it: fingerprint, tags, waveform and preview."""
    processed = audio_processed(data, media_type)
    extension = {"audio/flac": "flac", "audio/mpeg": "mp3", "audio/ogg": "ogg"}[media_type]
    renditions = {
        name: _store("renditions", content, ext)
        for name, (content, ext) in processed.renditions.items()
    }
    summary = processed.summary
    defaults = {
        "kind": WorkKind.AUDIO,
        "data": data,
        "media_type": media_type,
        "original": _store("originals", data, extension),
        "width": 0,
        "height": 0,
        "duration_ms": 40_000,
        "metadata": summary.data,
        "metadata_creator": summary.creator,
        "status": WorkStatus.PENDING_REVIEW,
        **renditions,
        **processed.fields,
    }
    return WorkFactory(owner=owner, **{**defaults, **fields})


TEXT_EXTENSIONS = {"text/plain": "txt", "text/markdown": "md"}


def text_work(owner, text: str, *, media_type: str = "text/plain", **fields) -> Work:
    """A text work as processing leaves it: excerpt, cover card, language, front matter and
    generator hints, MinHash signature and normalized SHA-256."""
    data = text.encode()
    processed = text_processed(data, media_type, title=fields.get("title", "A story"))
    renditions = {
        name: _store("renditions", content, ext)
        for name, (content, ext) in processed.renditions.items()
    }
    defaults = {
        "kind": WorkKind.TEXT,
        "data": data,
        "media_type": media_type,
        "original": _store("originals", data, TEXT_EXTENSIONS[media_type]),
        "width": 0,
        "height": 0,
        "word_count": len(text.split()),
        "metadata": processed.summary.data,
        "metadata_creator": processed.summary.creator,
        "status": WorkStatus.PENDING_REVIEW,
        **renditions,
        **processed.fields,
    }
    return WorkFactory(owner=owner, **{**defaults, **fields})


def screened(work: Work) -> Work:
    work_screen(work_id=work.id)
    work.refresh_from_db()
    return work


def signals(work: Work, kind: str) -> list[ScreeningSignal]:
    return list(ScreeningSignal.objects.filter(work=work, kind=kind))


def open_case(work: Work) -> ReviewCase | None:
    return ReviewCase.objects.filter(work=work, status=CaseStatus.OPEN).first()


# --- Audio --------------------------------------------------------------------------------------


@pytest.fixture
def song_copied():
    """A's song, listed; B's copy of it with the first 5 s cut, quieter, as MP3."""
    owner, copier = CreatorFactory(), CreatorFactory()
    original = screened(audio_work(owner, SONG, title="Harbour Lights"))
    copy = reencode(SONG, "mp3", trim_seconds=5.0, gain=0.6)
    copied = screened(audio_work(copier, copy, media_type="audio/mpeg", title="My song"))
    return original, copied


def test_another_accounts_reencoded_trimmed_copy_of_a_song_is_held(song_copied):
    original, copy = song_copied
    assert original.status == WorkStatus.LISTED

    assert copy.status == WorkStatus.PENDING_REVIEW
    assert copy.status_reason.startswith(
        "Held for review because: It sounds like a recording another account uploaded earlier"
    )
    [signal] = signals(copy, SignalKind.NEAR_DUPLICATE)
    assert signal.related_work_id == original.id and signal.weight == 50
    evidence = signal.evidence
    assert evidence["score"] >= MATCH_SCORE
    assert evidence["offset_seconds"] == pytest.approx(5.0, abs=0.5)
    assert (evidence["other_work_id"], evidence["other_title"]) == (original.id, "Harbour Lights")
    assert evidence["other_owner"] == original.owner.email
    assert open_case(copy).risk_score == 50


def test_the_original_is_not_held_for_the_later_copy(song_copied):
    original, copy = song_copied
    original = screened(original)  # screened again, now that the copy exists
    assert original.status == WorkStatus.LISTED
    [signal] = signals(original, SignalKind.NEAR_DUPLICATE)
    assert signal.related_work_id == copy.id and signal.weight == 10  # shown, not decisive
    assert open_case(original) is None


def test_a_different_song_is_not_a_copy(song_copied):
    other_song = screened(
        audio_work(CreatorFactory(), encode(song(30.0, seed=22), 44100, "flac"), title="Other")
    )
    assert other_song.status == WorkStatus.LISTED
    assert not signals(other_song, SignalKind.NEAR_DUPLICATE)


def test_the_owners_own_radio_edit_is_not_a_copy():
    original = screened(audio_work(CreatorFactory(), SONG, title="Harbour Lights"))
    shorter = reencode(SONG, "ogg", keep_seconds=30.0)
    own = screened(audio_work(original.owner, shorter, media_type="audio/ogg", title="Radio edit"))
    assert own.status == WorkStatus.LISTED
    assert not signals(own, SignalKind.NEAR_DUPLICATE)


def test_an_artist_tag_naming_someone_else_is_a_signal():
    creator = CreatorFactory(email="jane.doe@example.org")
    data = encode(song(12.0, seed=23), 44100, "flac")
    theirs = screened(audio_work(creator, tagged(data, ARTIST="The Famous Band"), title="Cover"))
    [signal] = signals(theirs, SignalKind.AUTHOR_MISMATCH)
    assert signal.evidence["fields"] == {"Artist tag": "The Famous Band"}
    assert theirs.status == WorkStatus.PENDING_REVIEW  # 30: held for a person

    own = screened(audio_work(creator, tagged(data, ARTIST="Jane Doe"), rights_holder="Jane Doe"))
    assert not signals(own, SignalKind.AUTHOR_MISMATCH)


def test_a_suno_encoder_tag_against_a_no_ai_declaration_is_a_signal():
    data = tagged(encode(song(12.0, seed=24), 44100, "flac"), ENCODER="Suno v3.5")
    work = screened(audio_work(CreatorFactory(), data, ai_involvement="none"))
    [signal] = signals(work, SignalKind.AI_UNDECLARED)
    assert any("Suno" in hint for hint in signal.evidence["generated"])
    assert work.status == WorkStatus.PENDING_REVIEW
    assert "declared as made without AI, but its tags say" in work.status_reason

    declared = screened(audio_work(CreatorFactory(), data, ai_involvement="generated"))
    assert not signals(declared, SignalKind.AI_UNDECLARED)


def test_a_recording_that_could_not_be_fingerprinted_is_held(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")  # fpcalc is not installed on this worker
    work = screened(audio_work(CreatorFactory(), encode(song(12.0, seed=25), 44100, "flac")))
    monkeypatch.undo()

    assert work.audio_fingerprint == b""
    [signal] = signals(work, SignalKind.UNCHECKED)
    assert "not installed" in signal.evidence["error"]
    assert work.status == WorkStatus.PENDING_REVIEW
    assert "could not be checked for copies" in work.status_reason
    assert open_case(work) is not None


def test_picture_checks_leave_recordings_alone_and_recording_checks_leave_pictures_alone():
    song_work = screened(audio_work(CreatorFactory(), SONG))
    picture = screened(WorkFactory(status=WorkStatus.PENDING_REVIEW, pdq_hash="0" * 64))
    assert song_work.status == picture.status == WorkStatus.LISTED
    assert not ScreeningSignal.objects.filter(work__in=[song_work, picture]).exists()


# --- Text ---------------------------------------------------------------------------------------


@pytest.fixture
def story_copied():
    owner, copier = CreatorFactory(), CreatorFactory()
    original = screened(text_work(owner, STORY, title="The Lighthouse"))
    copied = screened(text_work(copier, edit(STORY, 0.1, seed=3), title="My story"))
    return original, copied


def test_another_accounts_lightly_edited_copy_of_a_story_is_held(story_copied):
    original, copy = story_copied
    assert original.status == WorkStatus.LISTED
    assert copy.status == WorkStatus.PENDING_REVIEW
    assert "Most of its text is in a work another account uploaded earlier" in copy.status_reason
    [signal] = signals(copy, SignalKind.NEAR_DUPLICATE)
    assert signal.related_work_id == original.id and signal.weight == 50
    assert signal.evidence["similarity"] >= MATCH_SIMILARITY
    assert signal.evidence["other_title"] == "The Lighthouse"
    assert open_case(copy) is not None

    original = screened(original)
    assert original.status == WorkStatus.LISTED  # the earlier upload is presumed the original


def test_the_same_text_rewrapped_and_recased_is_an_exact_copy(story_copied):
    original, _ = story_copied
    same_words = STORY.upper().replace("\n\n", "\n")
    copy = screened(text_work(CreatorFactory(), same_words))
    [signal] = signals(copy, SignalKind.EXACT_DUPLICATE)
    assert signal.related_work_id == original.id
    assert signal.evidence["matched_by"] == "normalized text"
    # As for the same bytes: an exact copy of a listed work is refused outright.
    assert copy.status == WorkStatus.REJECTED
    assert "exact copy of a work another account has listed" in copy.status_reason


def test_a_different_story_is_not_matched(story_copied):
    other = screened(text_work(CreatorFactory(), story(1200, seed=22)))
    assert other.status == WorkStatus.LISTED
    assert not ScreeningSignal.objects.filter(work=other).exists()


def test_an_epub_creator_other_than_the_rights_holder_is_a_signal():
    work = screened(
        text_work(
            CreatorFactory(),
            story(300, seed=26),
            # What uploads.text.metadata records of an EPUB's OPF <dc:creator>.
            metadata={"dublin_core": {"creator": "Virginia Woolf"}, "generator_hints": []},
            metadata_creator="Virginia Woolf",
        )
    )
    [signal] = signals(work, SignalKind.AUTHOR_MISMATCH)
    assert signal.evidence["fields"] == {"EPUB dc:creator": "Virginia Woolf"}


def test_an_epub_reserving_text_and_data_mining_is_a_rights_signal():
    """A publisher's ebook carries TDMRep's reservation (uploads.text.metadata records it as
    the work's data-mining mark): staff see it with the policy link to follow."""
    policy = "https://harbour-press.example/tdm-policy.json"
    reserved = screened(
        text_work(
            CreatorFactory(),
            story(300, seed=31),
            metadata={
                "dublin_core": {
                    "tdm_reservation": "1",
                    "tdm_policy": policy,
                    "publisher": "Small Harbour Press",
                },
                "generator_hints": [],
            },
            data_mining=TDM_RESERVED,
        )
    )
    [signal] = signals(reserved, SignalKind.RIGHTS_MARK)
    assert signal.subject == "tdm:reservation"
    assert signal.evidence["tdm_policy"] == policy
    assert signal.evidence["publisher"] == "Small Harbour Press"
    assert "reserves text and data mining" in signal.summary

    # No reservation, no signal.
    plain = screened(text_work(CreatorFactory(), story(300, seed=32)))
    assert signals(plain, SignalKind.RIGHTS_MARK) == []


def test_a_front_matter_author_other_than_the_rights_holder_is_a_signal():
    text = "---\nauthor: Virginia Woolf\n---\n\n" + story(300, seed=29)
    work = screened(text_work(CreatorFactory(), text, media_type="text/markdown"))
    [signal] = signals(work, SignalKind.AUTHOR_MISMATCH)
    assert signal.evidence["fields"] == {"Front matter author": "Virginia Woolf"}


def test_a_text_giving_itself_away_against_a_no_ai_declaration_is_a_signal():
    text = story(300, seed=27) + "\n\nAs an AI language model, I cannot finish this story.\n"
    work = screened(text_work(CreatorFactory(), text, ai_involvement="none"))
    [signal] = signals(work, SignalKind.AI_UNDECLARED)
    assert any("As an AI language model" in hint for hint in signal.evidence["generated"])
    assert "its text or metadata says" in signal.summary
    assert work.status == WorkStatus.PENDING_REVIEW


# --- The staff case page -----------------------------------------------------------------------


@pytest.fixture
def staff_client(client, staff_with_totp):
    client.force_login(staff_with_totp)
    return client


def test_staff_hear_both_recordings_side_by_side_with_score_and_offset(staff_client, song_copied):
    original, copy = song_copied
    html = staff_client.get(f"/staff/review/{open_case(copy).id}/").content.decode()

    players = html.count('<audio controls preload="none"')
    assert players == 2
    for work in (copy, original):
        assert f'src="/works/{work.id}/files/preview/"' in html
    assert 'data-medium="audio"' in html
    assert "Matches from 0:05 in the other track" in html
    score = ScreeningSignal.objects.get(work=copy, kind=SignalKind.NEAR_DUPLICATE).evidence["score"]
    assert f">{round(100 * score)}%<" in html

    preview = staff_client.get(f"/works/{original.id}/files/preview/")
    assert preview.status_code == 200 and preview["Content-Type"] == "audio/ogg"
    assert b"".join(preview.streaming_content)[:4] == b"OggS"


def test_staff_read_a_word_diff_of_the_two_stories(staff_client, story_copied):
    _, copy = story_copied
    html = staff_client.get(f"/staff/review/{open_case(copy).id}/").content.decode()

    assert 'data-testid="text-diff"' in html
    copy_side = html.split('data-testid="diff-copy">', 1)[1].split("</div>", 1)[0]
    original_side = html.split('data-testid="diff-original">', 1)[1].split("</div>", 1)[0]
    assert "<ins>" in copy_side and "<del>" not in copy_side
    assert "<del>" in original_side and "<ins>" not in original_side
    similarity = ScreeningSignal.objects.get(work=copy, kind=SignalKind.NEAR_DUPLICATE).evidence[
        "similarity"
    ]
    assert f">{round(100 * similarity)}%<" in html
    # The openings: about 300 words of each, not the whole story.
    assert 250 <= len(original_side.replace("<del>", "").replace("</del>", "").split()) <= 300


def test_a_text_with_markup_is_shown_escaped(staff_client):
    owner, copier = CreatorFactory(), CreatorFactory()
    text = '<script>alert("x")</script> <img src=x onerror=alert(1)>\n\n' + story(400, seed=28)
    screened(text_work(owner, text))
    copy = screened(text_work(copier, edit(text, 0.1, seed=5)))
    html = staff_client.get(f"/staff/review/{open_case(copy).id}/").content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html


@pytest.mark.parametrize("role", ["creator", "buyer"])
def test_only_staff_open_a_media_case(client, request, story_copied, song_copied, role):
    for copy in (story_copied[1], song_copied[1]):
        user = copy.owner if role == "creator" else request.getfixturevalue("buyer")
        client.force_login(user)
        assert client.get(f"/staff/review/{open_case(copy).id}/").status_code == 403
    client.logout()
    response = client.get(f"/staff/review/{open_case(song_copied[1]).id}/")
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    # Nor can a buyer fetch either recording's preview.
    client.force_login(request.getfixturevalue("buyer"))
    assert client.get(f"/works/{song_copied[0].id}/files/preview/").status_code == 404
