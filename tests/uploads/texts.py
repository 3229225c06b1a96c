"""Texts made in the tests: prose from a fixed vocabulary, different per seed, and the light
edits a copier makes (a share of words replaced), so every case says what the file holds."""

from __future__ import annotations

import numpy as np

_VOCABULARY = (
    "the a of and to in was she he it that her his with as for on at by from they we old new "
    "river house night morning window light long small road winter summer letter mother father "
    "child garden sea city train bread voice silence door hand face memory storm field stone "
    "walked said looked waited remembered opened closed carried heard watched turned followed "
    "slowly quietly again never always almost still only once every other last first bright "
    "dark cold warm quiet heavy empty green grey blue golden wooden broken distant hidden"
)
_WORDS = _VOCABULARY.split()


def story(words: int = 800, seed: int = 0) -> str:
    """Sentences of 6-18 words, in paragraphs of 3-6 sentences."""
    rng = np.random.default_rng(seed)
    paragraphs, sentences, count = [], [], 0
    while count < words:
        n = int(min(rng.integers(6, 19), words - count))
        picked = [_WORDS[i] for i in rng.integers(0, len(_WORDS), n)]
        sentences.append(" ".join(picked).capitalize() + ".")
        count += n
        if len(sentences) >= rng.integers(3, 7):
            paragraphs.append(" ".join(sentences))
            sentences = []
    if sentences:
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs) + "\n"


def edit(text: str, share: float = 0.1, seed: int = 1) -> str:
    """Replace `share` of the words with others from the vocabulary, keeping the layout."""
    rng = np.random.default_rng(seed)
    paragraphs = []
    for paragraph in text.split("\n\n"):
        tokens = paragraph.split(" ")
        for i in range(len(tokens)):
            if tokens[i] and rng.random() < share:
                tokens[i] = _WORDS[int(rng.integers(0, len(_WORDS)))]
        paragraphs.append(" ".join(tokens))
    return "\n\n".join(paragraphs)
