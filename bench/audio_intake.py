"""Audio intake benchmark: Assent's pipeline for a 3-minute track against a naive one, one core.

    .venv/bin/python bench/audio_intake.py [--tracks N] [--seconds S]

Generates (once, seeded, cached in the temp dir) N music-like stereo 44.1 kHz tracks of S seconds
(default 3 minutes) encoded as FLAC, MP3 and WAV, then times per track, alternating the two
pipelines on the same file, excluding the preview encode as the issue asks:

* assent: exactly Assent's functions in Assent's order: ``sha256_of_chunks`` and
  ``validate_upload`` at the door (header caps, container checks, one bounded block decode that
  proves the stream intact), then in the worker ``decode_mono`` (one decode, float32 mono),
  ``read_audio_metadata``, ``fingerprint_pcm`` (Chromaprint fed 16-bit PCM, up to
  ``WORK_SECONDS``: the whole track) and
  ``waveform_image``;
* naive: the same SHA-256 and tags, but ``soundfile.read`` of the whole file as float64 stereo
  at the door and again in the worker, ``fpcalc`` run on the file itself (it decodes it again
  with FFmpeg), and the waveform drawn from every sample with Pillow's line drawing.

Wall time is what a core spends: fpcalc is a child process, so its CPU is in the wall figure
(the benchmark runs one track at a time). Exits 0 whatever the figures; a report, not a test.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import django  # noqa: E402

django.setup()

import argparse  # noqa: E402
import io  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import soundfile  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from tests.uploads import sounds  # noqa: E402
from uploads.audio.fingerprint import WORK_SECONDS, fingerprint_pcm  # noqa: E402
from uploads.audio.metadata import read_audio_metadata  # noqa: E402
from uploads.audio.renditions import waveform_image  # noqa: E402
from uploads.audio.validation import decode_mono  # noqa: E402
from uploads.fingerprints import sha256_of_chunks  # noqa: E402
from uploads.media import validate_upload  # noqa: E402

FORMATS = ("flac", "mp3", "wav")
MEDIA_TYPES = {"flac": "audio/flac", "mp3": "audio/mpeg", "wav": "audio/wav"}


def _chunks(data: bytes, size: int = 64 * 1024):
    for start in range(0, len(data), size):
        yield data[start : start + size]


def assent(data: bytes, fmt: str) -> None:
    sha256_of_chunks(_chunks(data))
    validate_upload(io.BytesIO(data), len(data), f"track.{fmt}")
    samples, rate = decode_mono(data, max_seconds=1200)
    read_audio_metadata(data, MEDIA_TYPES[fmt])
    fingerprint_pcm(samples, rate, max_seconds=WORK_SECONDS)
    waveform_image(samples, rate)


def naive(data: bytes, fmt: str, path: Path) -> None:
    sha256_of_chunks(_chunks(data))
    soundfile.read(io.BytesIO(data), dtype="float64")  # the door's "is it intact" read
    samples, _rate = soundfile.read(io.BytesIO(data), dtype="float64")
    read_audio_metadata(data, MEDIA_TYPES[fmt])
    done = subprocess.run(
        ["fpcalc", "-raw", "-json", "-length", str(WORK_SECONDS), str(path)],
        check=False,
        capture_output=True,
    )
    # 3: "fingerprint computed" with a warning, as when the track ends before -length.
    assert done.returncode in (0, 3) and done.stdout, done.stderr
    mono = samples.mean(axis=1)
    image = Image.new("RGB", (400, 160), "white")
    draw = ImageDraw.Draw(image)
    step = len(mono) / 400
    for i, value in enumerate(mono[:: max(1, int(step / 50))]):
        x = i * 400 / (len(mono) / max(1, int(step / 50)))
        draw.line([(x, 80 - value * 78), (x, 80 + value * 78)], fill=(18, 113, 95))
    image.save(io.BytesIO(), "JPEG")


def _tracks(count: int, seconds: float) -> dict[str, list[Path]]:
    cache = Path(tempfile.gettempdir()) / f"assent-bench-audio-{int(seconds)}s"
    cache.mkdir(exist_ok=True)
    out: dict[str, list[Path]] = {fmt: [] for fmt in FORMATS}
    for seed in range(count):
        samples = None
        for fmt in FORMATS:
            path = cache / f"track-{seed}.{fmt}"
            if not path.exists():
                if samples is None:
                    samples = sounds.song(seconds, seed=seed)
                path.write_bytes(sounds.encode(samples, 44100, fmt))
            out[fmt].append(path)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(
        f"audio intake: {args.tracks} tracks x {args.seconds:.0f} s, stereo 44.1 kHz, "
        f"one core ({platform.processor() or platform.machine()}), preview encode excluded"
    )
    tracks = _tracks(args.tracks, args.seconds)
    print(
        f"{'format':<6} {'size':>8} {'assent ms':>10} {'naive ms':>9} {'tracks/s':>9} {'ratio':>6}"
    )
    for fmt in FORMATS:
        ours, theirs = [], []
        for _ in range(args.rounds):
            for path in tracks[fmt]:
                data = path.read_bytes()
                start = time.perf_counter()
                assent(data, fmt)
                ours.append(time.perf_counter() - start)
                start = time.perf_counter()
                naive(data, fmt, path)
                theirs.append(time.perf_counter() - start)
        size = np.mean([p.stat().st_size for p in tracks[fmt]]) / 2**20
        a, b = statistics.median(ours) * 1000, statistics.median(theirs) * 1000
        print(f"{fmt:<6} {size:>6.1f}MB {a:>10.0f} {b:>9.0f} {1000 / a:>9.1f} {b / a:>5.1f}x")
    # Where the time goes, for the first FLAC and MP3 track.
    for fmt in ("flac", "mp3"):
        data = tracks[fmt][0].read_bytes()
        steps = {}
        start = time.perf_counter()
        validate_upload(io.BytesIO(data), len(data), f"track.{fmt}")
        steps["door (validate, full bounded decode)"] = time.perf_counter() - start
        start = time.perf_counter()
        samples, rate = decode_mono(data, max_seconds=1200)
        steps["worker decode_mono"] = time.perf_counter() - start
        start = time.perf_counter()
        fingerprint_pcm(samples, rate, max_seconds=WORK_SECONDS)
        steps["Chromaprint (whole track)"] = time.perf_counter() - start
        start = time.perf_counter()
        waveform_image(samples, rate)
        steps["waveform"] = time.perf_counter() - start
        print(f"  {fmt}: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in steps.items()))


if __name__ == "__main__":
    main()
