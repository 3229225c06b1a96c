"""Text fingerprints and their search: a lightly edited copy is near, a re-wrapped one is
exact, unrelated stories stay apart, a passage is found in its work, and the production index
finds Work rows (including ones committed or hashed after it was built)."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from moderation.neardup.text import (
    PassageIndex,
    TextIndex,
    TextMatch,
    exact_text_matches,
    passage_matches,
    text_index_reset,
    text_matches,
)
from tests.factories import WorkFactory
from tests.uploads.texts import edit, story
from uploads.models import Work, WorkStatus
from uploads.text.fingerprint import (
    MATCH_SIMILARITY,
    NUM_PERM,
    PASSAGE_MAX_HASHES,
    from_bytes,
    normalize,
    normalized_sha256,
    passage_from_bytes,
    passage_hashes,
    signature,
    similarity,
    text_fingerprint,
    to_bytes,
)


@pytest.fixture
def fresh_text_index():
    text_index_reset()
    yield
    text_index_reset()


def passage_of(text: str, start: int, words: int) -> str:
    return " ".join(text.split()[start : start + words])


# --- Fingerprints ---------------------------------------------------------------------------
def test_a_copy_with_a_tenth_of_its_words_changed_matches():
    for seed in range(10):
        original = story(800, seed=seed)
        score = similarity(signature(original), signature(edit(original, 0.1, seed=seed + 50)))
        assert score >= MATCH_SIMILARITY + 0.1, (seed, score)


def test_a_copy_with_a_fifth_of_its_words_changed_mostly_matches():
    """Reported, not promised: at 20% about 0.34 of the shingles are shared, close to the
    threshold, so most such copies match and some do not."""
    matched = sum(
        similarity(signature(story(800, seed=s)), signature(edit(story(800, seed=s), 0.2, s)))
        >= MATCH_SIMILARITY
        for s in range(20)
    )
    assert matched >= 14


def test_a_rewrapped_recased_copy_has_the_same_normalized_text():
    original = story(300, seed=3)
    rewrapped = textwrap.fill(original.replace("\n\n", " "), width=37).upper()
    retyped = rewrapped.replace(".", " . ").replace(" THE ", " “THE” ", 3)
    assert normalized_sha256(retyped) == normalized_sha256(original)
    assert (signature(retyped) == signature(original)).all()
    assert normalize("Don’t  STOP—the\r\nﬁnal Café.") == "dont stop the final café"


def test_twenty_unrelated_stories_do_not_match_each_other():
    sigs = [signature(story(1500, seed=100 + s)) for s in range(20)]
    index = TextIndex()
    index.add_many(range(20), np.stack(sigs))
    for i in range(20):
        assert max(similarity(sigs[i], sigs[j]) for j in range(20) if j != i) < 0.05
        assert index.search(sigs[i]) == [TextMatch(key=i, similarity=1.0)]


def test_the_index_finds_edited_copies_and_only_them():
    originals = [story(int(n), seed=200 + s) for s, n in enumerate(range(200, 3000, 140))]
    index = TextIndex(tail_max=5)  # some in the LSH tables, the last few in the scanned tail
    for key, text in enumerate(originals):
        index.add(key, signature(text))
    assert len(index.keys) and len(index.tail_keys)
    for key, text in enumerate(originals):
        found = index.search(signature(edit(text, 0.1, seed=key)))
        assert [m.key for m in found] == [key]
        assert MATCH_SIMILARITY <= found[0].similarity < 1


def test_a_text_with_no_words_matches_nothing():
    empty = signature("  ... — !! ")
    assert similarity(empty, empty) == 0.0
    index = TextIndex()
    index.add(1, empty)
    index.add(2, signature(story(100, seed=1)))
    assert index.search(empty) == [] and len(index) == 1


def test_storage_round_trip_and_bounded_size():
    book = story(100_000, seed=7)
    fingerprint = text_fingerprint(book)
    data = fingerprint.minhash_bytes
    assert len(data) == NUM_PERM * 4 + PASSAGE_MAX_HASHES * 4  # 64.5 KiB for any longer text
    assert (from_bytes(data) == signature(book)).all()
    assert (passage_from_bytes(data) == passage_hashes(book)).all()
    assert fingerprint.sha256 == normalized_sha256(book)
    short = to_bytes(signature("a few words here"))
    assert len(short) == NUM_PERM * 4 and len(passage_from_bytes(short)) == 0
    with pytest.raises(ValueError):
        from_bytes(b"\x00" * 12)


# --- Passages -------------------------------------------------------------------------------
def test_a_passage_is_found_in_its_work_and_not_elsewhere():
    works = [story(3000, seed=300 + s) for s in range(20)]
    index = PassageIndex()
    for key, text in enumerate(works):
        index.add(key, passage_hashes(text))
    for key, text in enumerate(works):
        exact = index.search(passage_hashes(passage_of(text, 1200 + key * 50, 100)))
        assert [m.key for m in exact] == [key] and exact[0].similarity == 1.0
        retyped = edit(passage_of(text, 400, 100), 0.04, seed=key)  # about 4 words changed
        assert [m.key for m in index.search(passage_hashes(retyped))] == [key]
        assert [m.key for m in index.search(passage_hashes(passage_of(text, 2000, 50)))] == [key]
    assert index.search(passage_hashes(story(100, seed=999))) == []
    assert index.search(passage_hashes("too short")) == []


def test_a_passage_of_a_book_longer_than_the_sketch_holds_is_found():
    book = story(150_000, seed=8)
    index = PassageIndex()
    index.add(1, passage_hashes(book))
    index.add(2, passage_hashes(story(3000, seed=9)))
    for start in (1000, 70_000, 140_000):
        assert [m.key for m in index.search(passage_hashes(passage_of(book, start, 150)))] == [1]


# --- Production: Work rows ------------------------------------------------------------------
def text_work(text: str, **kwargs) -> Work:
    fingerprint = text_fingerprint(text)
    return WorkFactory(
        kind="text",
        media_type="text/plain",
        original="originals/test/story.txt",
        text_minhash=fingerprint.minhash_bytes,
        text_sha256=fingerprint.sha256,
        **kwargs,
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_text_index", "media_root")
def test_text_matches_finds_the_work_row_of_an_edited_copy():
    original = story(1200, seed=400)
    work = text_work(original)
    other = text_work(story(1200, seed=401), status=WorkStatus.REJECTED)  # any status counts
    copy = signature(edit(original, 0.1, seed=5))
    [match] = text_matches(copy)
    assert match.key == work.id and match.similarity >= MATCH_SIMILARITY
    assert text_matches(copy, exclude_work_id=work.id) == []
    assert [m.key for m in text_matches(signature(story(1200, seed=401)))] == [other.id]

    # Committed after the index was built: found on the next call.
    later = text_work(story(900, seed=402))
    assert [m.key for m in text_matches(signature(edit(story(900, seed=402), 0.1, 1)))] == [
        later.id
    ]
    # Seen while processing (no signature yet), hashed afterwards: found too.
    pending = WorkFactory(
        kind="text", media_type="text/plain", original="o/p.txt", status=WorkStatus.PROCESSING
    )
    assert text_matches(signature(story(700, seed=403))) == []
    fingerprint = text_fingerprint(story(700, seed=403))
    Work.objects.filter(id=pending.id).update(
        text_minhash=fingerprint.minhash_bytes, status=WorkStatus.PENDING_REVIEW
    )
    assert [m.key for m in text_matches(signature(story(700, seed=403)))] == [pending.id]
    # Deleted: gone from the answers although still in this process's index.
    Work.objects.filter(id=later.id).delete()
    assert text_matches(signature(story(900, seed=402))) == []


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_text_index", "media_root")
def test_exact_and_passage_matches_find_the_work_row():
    original = story(3000, seed=500)
    work = text_work(original)
    text_work(story(3000, seed=501))
    rewrapped = textwrap.fill(original, width=50).upper()
    assert exact_text_matches(normalized_sha256(rewrapped)) == [TextMatch(work.id, 1.0)]
    assert exact_text_matches(normalized_sha256(rewrapped), exclude_work_id=work.id) == []
    assert exact_text_matches("") == []

    passage = edit(passage_of(original, 1500, 100), 0.03, seed=2)
    [match] = passage_matches(passage)
    assert match.key == work.id and match.similarity >= 0.5
    assert passage_matches(story(100, seed=502)) == []
