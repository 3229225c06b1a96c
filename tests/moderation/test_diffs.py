"""The word-level diff staff read between a held text and the work it matched."""

from __future__ import annotations

from moderation.diffs import opening, word_diff
from tests.uploads.texts import edit, story


def test_changed_words_are_marked_on_each_side():
    diff = word_diff(
        "The old house stood by the river.\n\nShe waited.",
        "The new house stood by the River!\n\nShe waited long.",
    )
    assert diff.original_html == "The <del>old</del> house stood by the river.\n\nShe waited."
    assert (
        diff.copy_html
        == "The <ins>new</ins> house stood by the River!\n\nShe waited <ins>long.</ins>"
    )
    assert (diff.same_words, diff.original_words, diff.copy_words) == (8, 9, 10)
    assert diff.same_share == 0.8


def test_identical_texts_have_nothing_marked():
    text = story(200, seed=1)
    diff = word_diff(text, text.replace("\n\n", "\n\n  "))
    assert "<ins>" not in diff.copy_html and "<del>" not in diff.original_html
    assert diff.same_share == 1.0


def test_a_run_of_changes_is_one_mark_and_stops_at_a_paragraph_break():
    diff = word_diff("a b c\n\nd e", "a x y\n\nz e")
    assert diff.copy_html == "a <ins>x y</ins>\n\n<ins>z</ins> e"
    assert diff.original_html == "a <del>b c</del>\n\n<del>d</del> e"


def test_markup_in_a_text_is_escaped_never_rendered():
    diff = word_diff("Hello <b>world</b>", 'Hello <script>alert("x")</script> & <b>world</b>')
    assert "<script>" not in diff.copy_html and "<b>" not in diff.copy_html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in diff.copy_html
    assert "&amp;" in diff.copy_html
    assert diff.original_html == "Hello &lt;b&gt;world&lt;/b&gt;"


def test_a_ten_percent_edit_keeps_most_words_in_place():
    text = story(300, seed=2)
    diff = word_diff(text, edit(text, 0.1, seed=3))
    assert 0.8 < diff.same_share < 0.95
    assert diff.copy_html.count("<ins>") == diff.original_html.count("<del>") > 10


def test_the_opening_is_the_first_words_with_their_breaks():
    text = "One two\n\nthree four five"
    assert opening(text, 3) == "One two\n\nthree"
    assert opening(text, 10) == text
    assert len(opening(story(1000, seed=4)).split()) == 300
    assert opening("") == ""
