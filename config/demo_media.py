"""A song, a voice clip and a short story for the demo data, made here so the repo ships no
media files: the song and the voice are synthesised with numpy and encoded by libsndfile."""

from __future__ import annotations

import io

import numpy as np
import soundfile

_SCALE = [0, 2, 4, 7, 9, 12, 14, 16]  # a major pentatonic over two octaves
_CHORDS = [(0, 4, 7), (9, 12, 16), (5, 9, 12), (7, 11, 14)]  # I vi IV V


def _tone(frequency: float, seconds: float, rate: int, partials: int = 4) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    envelope = np.minimum(1.0, t * 40) * np.exp(-2.2 * t)
    return envelope * sum(
        np.sin(2 * np.pi * frequency * k * t) / k**1.5 for k in range(1, partials + 1)
    )


def demo_song(seed: int = 0, seconds: float = 40.0, rate: int = 44100) -> bytes:
    """A stereo FLAC: chords on every bar, a pentatonic melody in eighths, a soft kick."""
    rng = np.random.default_rng(seed)
    total = int(seconds * rate)
    left = np.zeros(total)
    bar, eighth = 2.0, 0.25
    root = 196.0 * 2 ** (seed % 5 / 12)
    for start in np.arange(0, seconds, bar):
        i = int(start * rate)
        for step in _CHORDS[int(start / bar) % len(_CHORDS)]:
            chord = 0.18 * _tone(root / 2 * 2 ** (step / 12), bar, rate, 3)
            left[i : i + len(chord)] += chord[: total - i]
    for start in np.arange(0, seconds, eighth):
        if rng.random() < 0.2:
            continue  # a rest
        i = int(start * rate)
        note = 0.25 * _tone(
            root * 2 ** (_SCALE[rng.integers(0, len(_SCALE))] / 12), eighth * 2, rate
        )
        left[i : i + len(note)] += note[: total - i]
    kick = 0.5 * _tone(55.0, 0.15, rate, 1)
    for start in np.arange(0, seconds - 0.2, 0.5):
        i = int(start * rate)
        left[i : i + len(kick)] += kick
    left /= np.abs(left).max() / 0.85
    right = np.roll(left, 180)
    return _encode(np.stack([left, right], axis=1), rate, "FLAC")


def demo_voice(seed: int = 0, seconds: float = 9.0, rate: int = 16000) -> bytes:
    """A mono WAV: a gliding voiced tone in syllables, the rhythm of speech without words."""
    rng = np.random.default_rng(seed + 7)
    t = np.arange(int(seconds * rate)) / rate
    pitch = 150 + 25 * np.sin(2 * np.pi * 0.6 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    formants = [1.0, 0.6, 0.8, 0.3, 0.2, 0.1]
    voiced = sum(a * np.sin((k + 1) * phase) for k, a in enumerate(formants))
    syllables = (np.sin(2 * np.pi * 3.1 * t) + 0.4 * np.sin(2 * np.pi * 0.5 * t) > -0.1).astype(
        float
    )
    signal = voiced * syllables + rng.normal(0, 0.005, len(t))
    signal /= np.abs(signal).max() / 0.7
    return _encode(signal, rate, "WAV")


def _encode(samples: np.ndarray, rate: int, container: str) -> bytes:
    out = io.BytesIO()
    soundfile.write(out, samples.astype(np.float32), rate, format=container, subtype="PCM_16")
    return out.getvalue()


DEMO_STORY_TITLE = "The lighthouse keeper's daughter"
DEMO_STORY = """\
The lighthouse had not been lit for eleven years when Mira came back to the island. The lamp
room smelled of salt and old paraffin, and the brass fittings her father had polished every
Sunday were green at the seams. She set her bag down by the stairs and listened. The sea was
the same. It still came in against the rocks in long, patient breaths, as if it had all the
time in the world and meant to use it.

In the village they told her the keeper's cottage was hers if she wanted it. Nobody else did.
The ferry came twice a week in summer and once a fortnight in winter, and the young people
had gone to the mainland one by one, the way water leaves a rock pool when the tide turns.
Mira said she would take it. She did not say why, because she was not sure herself.

The first night she climbed to the lamp room with a torch and sat where her father used to sit,
with his notebook on his knee, writing down the weather. Wind north-west, force five. Swell
heavy. Two trawlers passing east before midnight. She had read those notebooks as a child
without understanding them. Now she understood that they were letters, written to no one, to
prove that someone had been awake while the rest of the world slept.

In the morning she found the notebooks in a tin trunk under the cottage stairs, forty years
of them, tied with string. The last entry was in a hand she did not know. Keeper taken ill.
Lamp extinguished by order. Nothing passing. She read it three times. Then she went down to
the harbour and asked the harbourmaster how one went about lighting a lighthouse again.

He laughed, not unkindly, and said it would take a committee, and money, and a great many
forms. She said she had time. He looked at her for a long moment, the way her father used to
look at the horizon before a storm, and then he poured her a cup of tea and took down a
folder from the shelf behind him. It was thick with letters, every one of them refused.

"People have tried," he said. "Your father tried, before he died."

She opened the folder on the table between them and began, slowly, to read.
"""
