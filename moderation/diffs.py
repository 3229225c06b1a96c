"""Word-level differences between two texts, for staff comparing a held text with the work it
seems to copy: each side as escaped HTML, the copy's own words marked as insertions and the
original's missing words as deletions, paragraph breaks kept."""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

OPENING_WORDS = 300

_TOKEN = re.compile(r"(\s*)(\S+)")


@dataclass(frozen=True)
class WordDiff:
    original_html: SafeString  # the earlier work's words, those the copy lacks in <del>
    copy_html: SafeString  # the copy's words, those the original lacks in <ins>
    same_words: int
    original_words: int
    copy_words: int

    @property
    def same_share(self) -> float:
        """The share of the longer side's words that both sides have, in order."""
        longest = max(self.original_words, self.copy_words)
        return self.same_words / longest if longest else 1.0


def opening(text: str, words: int = OPENING_WORDS) -> str:
    """The first `words` words of a text, its line and paragraph breaks as written."""
    # finditer, not findall: a book's opening is read, not every word of it.
    tokens = itertools.islice(_TOKEN.finditer(text or ""), words)
    return "".join(match.group(1) + match.group(2) for match in tokens).strip()


def _key(word: str) -> str:
    # Compared as the fingerprints compare them (uploads.text.fingerprint.normalize): case and
    # surrounding punctuation do not make two words differ, so staff see the real edits.
    folded = unicodedata.normalize("NFKC", word).casefold()
    return "".join(c for c in folded if unicodedata.category(c)[0] in "LNM") or folded


def _tokens(text: str) -> list[tuple[str, str]]:
    """(what comes before the word: "" , " " or a paragraph break, the word)."""
    out = []
    for space, word in _TOKEN.findall(text or ""):
        if not out:
            space = ""
        elif "\n\n" in space or space.count("\n") >= 2:
            space = "\n\n"
        elif "\n" in space:
            space = "\n"
        else:
            space = " "
        out.append((space, word))
    return out


def _render(tokens: list[tuple[str, str]], changed: list[bool], tag: str) -> SafeString:
    parts, open_run = [], False
    for (space, word), is_changed in zip(tokens, changed, strict=True):
        if open_run and (not is_changed or space not in ("", " ")):
            parts.append(f"</{tag}>")  # a run ends at an unchanged word or a line break
            open_run = False
        parts.append(space)
        if is_changed and not open_run:
            parts.append(f"<{tag}>")
            open_run = True
        parts.append(escape(word))
    if open_run:
        parts.append(f"</{tag}>")
    return mark_safe("".join(parts))  # noqa: S308 - every word went through escape()


def word_diff(original: str, copy: str) -> WordDiff:
    """Align the two texts word by word (difflib, no junk heuristic: prose repeats its common
    words, and those are what an edit leaves in place) and mark what differs on each side."""
    left, right = _tokens(original), _tokens(copy)
    matcher = SequenceMatcher(
        None, [_key(w) for _, w in left], [_key(w) for _, w in right], autojunk=False
    )
    left_changed, right_changed = [True] * len(left), [True] * len(right)
    same = 0
    for block in matcher.get_matching_blocks():
        for i in range(block.size):
            left_changed[block.a + i] = right_changed[block.b + i] = False
        same += block.size
    return WordDiff(
        original_html=_render(left, left_changed, "del"),
        copy_html=_render(right, right_changed, "ins"),
        same_words=same,
        original_words=len(left),
        copy_words=len(right),
    )
