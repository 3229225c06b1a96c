"""Audio and text works as processing leaves them, made with the factories: the original, the
medium's facts (length, sample rate, channels; word count, language, excerpt) and renditions
stored through uploads.storage as processing stores them: a waveform JPEG and a 30 s Ogg Vorbis
preview for audio, a cover card JPEG (and no preview) for text. Pass `factory=` a
ListedWorkFactory for a work on sale."""

from __future__ import annotations

import itertools
import uuid

import numpy as np

from tests.factories import WorkFactory
from tests.uploads.images import jpeg_bytes, photo
from tests.uploads.sounds import encode, song
from tests.uploads.texts import story
from uploads import storage
from uploads.models import Work

# A short real recording and real JPEGs: what the rendition views serve must be what it says.
OGG = encode(song(1.0, seed=3), 22050, "ogg")
WAVEFORM = jpeg_bytes(photo(200, 60, seed=4))
CARD = jpeg_bytes(photo(120, 160, seed=5))
_seeds = itertools.count(1)


def _key(folder: str, extension: str) -> str:
    return f"{folder}/test/{uuid.uuid4().hex}.{extension}"


def audio_work(
    *,
    factory=WorkFactory,
    duration_ms: int = 192_400,
    media_type: str = "audio/flac",
    preview: bool = True,
    **fields,
) -> Work:
    """A recording of 3:12 by default, 44.1 kHz stereo, with its waveform and preview."""
    seed = next(_seeds)
    # Short songs of different seeds can start on the same note: a seeded hiss keeps every
    # file's bytes (and so its SHA-256, unique per owner) different.
    clip = song(0.5, seed=seed)
    clip += np.random.default_rng(seed).normal(0, 0.01, clip.shape).astype(np.float32)
    data = encode(clip, 22050, "flac")
    values = {
        "kind": "audio",
        "media_type": media_type,
        "data": data,
        "original": storage.store(_key("originals", "flac"), data),
        "width": 0,
        "height": 0,
        "duration_ms": duration_ms,
        "sample_rate": 44100,
        "channels": 2,
        "thumbnail": storage.store(_key("renditions", "jpg"), WAVEFORM),
        "preview": storage.store(_key("renditions", "ogg"), OGG) if preview else "",
    }
    return factory(**{**values, **fields})


def text_work(
    *,
    factory=WorkFactory,
    word_count: int = 4210,
    language: str = "en",
    excerpt: str | None = None,
    media_type: str = "text/plain",
    **fields,
) -> Work:
    """A text of 4,210 words in English by default, with its cover card and excerpt."""
    data = story(300, seed=next(_seeds)).encode()
    values = {
        "kind": "text",
        "media_type": media_type,
        "data": data,
        "original": storage.store(_key("originals", "txt"), data),
        "width": 0,
        "height": 0,
        "word_count": word_count,
        "language": language,
        "excerpt": excerpt if excerpt is not None else story(60, seed=1),
        "thumbnail": storage.store(_key("renditions", "jpg"), CARD),
    }
    return factory(**{**values, **fields})
