"""Intake pipeline benchmark: Assent's pipeline against a naive one, on one CPU core.

    .venv/bin/python bench/intake.py [--images N] [--seconds S]

Generates (once, seeded, cached in the temp dir) six 12-megapixel JPEGs that look like photos
to the codec (gradients, shapes, texture and grain; 2-4 MB at quality 90-92, with EXIF Artist/
Software on all, a non-upright orientation on some and an XMP packet on some), then times per
image, alternating the two pipelines on the same image:

* optimized: exactly Assent's functions, in Assent's order: ``validate_image`` and
  ``sha256_of_chunks`` at the door, then ``decode_for_processing`` (reduced JPEG decode),
  ``extract_metadata``, ``upright_rgb``, ``hash_input`` + ``pdq`` + ``phash`` and
  ``make_renditions`` in the worker;
* naive: the same SHA-256 and metadata extraction, but one full decode (no draft), EXIF
  transpose, pHash and PDQ on the full-size image, thumbnail and preview made from the full
  image with LANCZOS, and the watermark drawn for every image.

No database is touched: only the pure pipeline functions run. Exits 0 whatever the figures;
it is a report, not a test.
"""

from __future__ import annotations

import os

# One core, one thread: set before numpy (or anything that loads a BLAS/OpenMP runtime) loads.
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
import tempfile  # noqa: E402
import time  # noqa: E402

import imagehash  # noqa: E402
import numpy as np  # noqa: E402
import pdqhash  # noqa: E402
from django.conf import settings  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter, ImageOps, features  # noqa: E402

from uploads import renditions as renditions_module  # noqa: E402
from uploads.fingerprints import hash_input, pdq, phash, sha256_of_chunks  # noqa: E402
from uploads.metadata import extract_metadata  # noqa: E402
from uploads.renditions import fit_preview, make_renditions, upright_rgb  # noqa: E402
from uploads.services.processing import decode_for_processing  # noqa: E402
from uploads.validation import validate_image  # noqa: E402

WIDTH, HEIGHT = 4000, 3000
IMAGE_COUNT = 6
SEED = 20260
CACHE_VERSION = "v1"
CHUNK = 64 * 1024  # Django's UploadedFile.chunks() default
GOAL_IMAGES_PER_SECOND = 8.0
GOAL_RATIO = 3.0

OPT_STAGES = [
    ("validate", "door: validate_image (sniff + header + 1/8 decode)"),
    ("sha256", "door: sha256_of_chunks"),
    ("decode", "worker: decode_for_processing (draft)"),
    ("metadata", "worker: extract_metadata"),
    ("upright", "worker: upright_rgb + fit_preview (1200 px)"),
    ("hash_input", "worker: hash_input (box-reduced copy of the preview)"),
    ("pdq", "worker: pdq"),
    ("phash", "worker: phash"),
    ("renditions", "worker: make_renditions"),
]
NAIVE_STAGES = [
    ("sha256", "sha256_of_chunks"),
    ("decode", "full decode (no draft)"),
    ("metadata", "extract_metadata"),
    ("upright", "ImageOps.exif_transpose (full size)"),
    ("pdq", "pdqhash.compute (full size)"),
    ("phash", "imagehash.phash (full size)"),
    ("renditions", "LANCZOS fit + watermark drawn + JPEG"),
]


# ---------------------------------------------------------------------------------------------
# Test images
# ---------------------------------------------------------------------------------------------

XMP_TEMPLATE = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"
    xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmp:CreatorTool="Adobe Lightroom Classic 13.2"
    xmpRights:Marked="True"
    xmpRights:WebStatement="https://example.org/licence/{n}"
    photoshop:Credit="Bench Studio"
    plus:DataMining="http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING">
   <dc:creator><rdf:Seq><rdf:li>Bench Photographer {n}</rdf:li></rdf:Seq></dc:creator>
   <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">(c) 2026 Bench Photographer {n}</rdf:li></rdf:Alt></dc:rights>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Synthetic benchmark photo {n}</rdf:li></rdf:Alt></dc:title>
   <dc:subject><rdf:Bag><rdf:li>benchmark</rdf:li><rdf:li>synthetic</rdf:li></rdf:Bag></dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""

# (orientation, has XMP, JPEG quality, grain sigma) per image: two rotated, half with XMP.
IMAGE_PLAN = [
    (1, True, 91, 5.0),
    (6, False, 90, 6.0),
    (1, False, 92, 4.0),
    (3, True, 90, 5.0),
    (1, True, 92, 5.5),
    (8, False, 91, 4.5),
]


def _photo_like(rng: np.random.Generator, sigma: float) -> Image.Image:
    """Smooth gradient and blobs, hard-edged shapes softened by a blur, mid-scale texture and
    per-pixel grain: costs the codec what a photo does (a flat image would flatter it)."""
    h, w = 96, 128
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    c0, c1 = rng.uniform(20, 235, 3), rng.uniform(20, 235, 3)
    angle = rng.uniform(0, np.pi)
    ramp = np.cos(angle) * xx / w + np.sin(angle) * yy / h
    ramp = (ramp - ramp.min()) / (ramp.max() - ramp.min())
    base = c0 * (1 - ramp[..., None]) + c1 * ramp[..., None]
    for _ in range(8):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(8, 40)
        amp = rng.uniform(-70, 70, 3)
        base += amp * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))[..., None]
    small = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    image = small.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(25, 45))):
        kind = int(rng.integers(0, 3))
        x0, y0 = rng.uniform(-500, WIDTH), rng.uniform(-500, HEIGHT)
        sx, sy = rng.uniform(80, 1200), rng.uniform(80, 900)
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        if kind == 0:
            draw.ellipse([x0, y0, x0 + sx, y0 + sy], fill=colour)
        elif kind == 1:
            draw.rectangle([x0, y0, x0 + sx, y0 + sy], fill=colour)
        else:
            points = [
                (x0 + rng.uniform(0, sx), y0 + rng.uniform(0, sy))
                for _ in range(int(rng.integers(3, 7)))
            ]
            draw.polygon(points, fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(2.0))
    pixels = np.asarray(image).astype(np.int16)
    texture = rng.normal(0, 1, (HEIGHT // 8, WIDTH // 8)).astype(np.float32)
    texture_img = Image.fromarray(np.clip(texture * 40 + 128, 0, 255).astype(np.uint8))
    texture = np.asarray(texture_img.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC))
    texture = (texture.astype(np.int16) - 128) // 2
    grain = rng.normal(0, sigma, (HEIGHT, WIDTH, 3)).astype(np.int16)
    pixels = np.clip(pixels + texture[..., None] + grain, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels)


def _exif(n: int, orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x013B] = f"Bench Photographer {n}"  # Artist
    exif[0x0131] = "Adobe Lightroom Classic 13.2 (Macintosh)"  # Software
    exif[0x010F] = "BenchCam"  # Make
    exif[0x0110] = "BC-12"  # Model
    exif[0x0132] = "2026:01:15 10:30:00"  # DateTime
    exif[0x8298] = f"(c) 2026 Bench Photographer {n}"  # Copyright
    if orientation != 1:
        exif[0x0112] = orientation  # Orientation
    exif.get_ifd(0x8769)[0x9003] = "2026:01:15 10:29:58"  # Exif IFD: DateTimeOriginal
    return exif


def test_images() -> list[tuple[str, bytes]]:
    """(name, JPEG bytes) for each benchmark image, made once and cached in the temp dir."""
    cache = Path(tempfile.gettempdir()) / f"assent-bench-intake-{CACHE_VERSION}-{SEED}"
    cache.mkdir(parents=True, exist_ok=True)
    images = []
    for n, (orientation, with_xmp, quality, sigma) in enumerate(IMAGE_PLAN[:IMAGE_COUNT]):
        path = cache / f"photo-{n}-o{orientation}{'-xmp' if with_xmp else ''}.jpg"
        if not path.exists():
            rng = np.random.default_rng(SEED + n)
            out = io.BytesIO()
            extra = {"xmp": XMP_TEMPLATE.format(n=n).encode()} if with_xmp else {}
            _photo_like(rng, sigma).save(
                out, format="JPEG", quality=quality, exif=_exif(n, orientation), **extra
            )
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(out.getvalue())
            tmp.replace(path)  # atomic: a killed run leaves no half-written image
        images.append((path.name, path.read_bytes()))
    return images


# ---------------------------------------------------------------------------------------------
# The two pipelines
# ---------------------------------------------------------------------------------------------


def _chunks(data: bytes):
    view = memoryview(data)
    for start in range(0, len(data), CHUNK):
        yield view[start : start + CHUNK]


class _Clock:
    """Per-stage wall times (ms) of one image."""

    def __init__(self):
        self.times: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.times[stage] = (now - self._last) * 1000
        self._last = now


def run_optimized(data: bytes, media_type: str = "image/jpeg") -> dict[str, float]:
    clock = _Clock()
    validate_image(io.BytesIO(data), len(data))
    clock.lap("validate")
    sha256_of_chunks(_chunks(data))
    clock.lap("sha256")
    image = decode_for_processing(data, media_type)
    clock.lap("decode")
    extract_metadata(data, image, media_type)
    clock.lap("metadata")
    fitted = fit_preview(upright_rgb(image))  # same order as services/processing.py
    clock.lap("upright")
    small = hash_input(fitted)
    clock.lap("hash_input")
    pdq(small)
    clock.lap("pdq")
    phash(small)
    clock.lap("phash")
    make_renditions(fitted)
    clock.lap("renditions")
    return clock.times


def _naive_fit(image: Image.Image, longest: int) -> Image.Image:
    fitted = image.copy()
    fitted.thumbnail((longest, longest), Image.Resampling.LANCZOS)  # Pillow's defaults
    return fitted


def _naive_jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def run_naive(data: bytes, media_type: str = "image/jpeg") -> dict[str, float]:
    clock = _Clock()
    sha256_of_chunks(_chunks(data))
    clock.lap("sha256")
    image = Image.open(io.BytesIO(data))
    image.load()  # every pixel of the 12 megapixels; doubles as the "is it intact" check
    clock.lap("decode")
    extract_metadata(data, image, media_type)
    clock.lap("metadata")
    upright = ImageOps.exif_transpose(image).convert("RGB")
    clock.lap("upright")
    pdqhash.compute(np.asarray(upright))
    clock.lap("pdq")
    str(imagehash.phash(upright))
    clock.lap("phash")
    preview = _naive_fit(upright, settings.RENDITION_PREVIEW_PX)
    # The same tiled watermark as Assent's, but drawn afresh for every image (no cache).
    overlay = renditions_module._overlay.__wrapped__(preview.size)
    marked = preview.convert("RGBA")
    marked.alpha_composite(overlay)
    preview = marked.convert("RGB")
    thumbnail = _naive_fit(upright, settings.RENDITION_THUMBNAIL_PX)
    _naive_jpeg(thumbnail, 80), _naive_jpeg(preview, 82)
    clock.lap("renditions")
    return clock.times


# ---------------------------------------------------------------------------------------------
# Measurement and report
# ---------------------------------------------------------------------------------------------


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        first = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {first})
        return f"pinned to CPU {first}"
    return "not pinned (no sched_setaffinity on this platform)"


def _check_same_results(images) -> None:
    """Both pipelines must see the same picture: the optimized PDQ must stay close to the
    full-size one, or the comparison would be between different work."""
    for name, data in images[:2]:
        image = upright_rgb(decode_for_processing(data, "image/jpeg"))
        fast_hex, _ = pdq(hash_input(image))
        full = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
        bits, _ = pdqhash.compute(np.asarray(full))
        full_hex = np.packbits(bits.astype(np.uint8)).tobytes().hex()
        distance = (int(fast_hex, 16) ^ int(full_hex, 16)).bit_count()
        if distance > 31:
            print(f"warning: {name}: PDQ of the reduced image is {distance} bits from full size")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=60, help="images per pipeline (max)")
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="time budget for the timed rounds (max)"
    )
    args = parser.parse_args(argv)

    pinned = pin_to_one_core()
    started = time.perf_counter()
    images = test_images()
    prepared = time.perf_counter() - started
    sizes = ", ".join(f"{len(data) / 1e6:.1f}" for _, data in images)
    print(f"Intake benchmark: {len(images)} JPEGs {WIDTH}x{HEIGHT} ({sizes} MB), {pinned}")
    print(
        f"Python {platform.python_version()}, Pillow {Image.__version__}, "
        f"libjpeg-turbo {features.version('libjpeg_turbo')}, numpy {np.__version__}, "
        f"{platform.processor() or platform.machine()}; images ready in {prepared:.1f} s"
    )
    _check_same_results(images)

    # Warm-up: imports, lazy caches (fonts, the watermark overlay for each preview size).
    for _, data in images:
        run_optimized(data)
        run_naive(data)

    opt: list[dict[str, float]] = []
    naive: list[dict[str, float]] = []
    opt_cpu = naive_cpu = 0.0
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    begin = time.perf_counter()
    n = 0
    # Alternate the two pipelines image by image so that any change in machine load hits both.
    while n < max(1, args.images) and (n == 0 or time.perf_counter() - begin < args.seconds):
        data = images[n % len(images)][1]
        cpu = time.process_time()
        opt.append(run_optimized(data))
        opt_cpu += time.process_time() - cpu
        cpu = time.process_time()
        naive.append(run_naive(data))
        naive_cpu += time.process_time() - cpu
        n += 1
    elapsed = time.perf_counter() - begin
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

    def totals(runs):
        return [sum(r.values()) for r in runs]

    def median(runs, stage):
        return statistics.median(r[stage] for r in runs)

    opt_total, naive_total = totals(opt), totals(naive)
    opt_rate = 1000 * len(opt) / sum(opt_total)
    naive_rate = 1000 * len(naive) / sum(naive_total)
    ratio = opt_rate / naive_rate

    print(f"\n{n} images per pipeline in {elapsed:.1f} s (after one warm-up pass)")
    if load_before is not None:
        print(f"1-min load average: {load_before:.2f} before, {load_after:.2f} after")
    print("\nOptimized pipeline (Assent), median ms per stage:")
    for stage, label in OPT_STAGES:
        print(f"  {stage:<11} {median(opt, stage):8.1f}   {label}")
    print(f"  {'total':<11} {statistics.median(opt_total):8.1f}")
    print("\nNaive baseline, median ms per stage:")
    for stage, label in NAIVE_STAGES:
        print(f"  {stage:<11} {median(naive, stage):8.1f}   {label}")
    print(f"  {'total':<11} {statistics.median(naive_total):8.1f}")

    print("\n                     images/s per core   (by CPU time)")
    print(f"  optimized          {opt_rate:10.2f}          {len(opt) / opt_cpu:10.2f}")
    print(f"  naive              {naive_rate:10.2f}          {len(naive) / naive_cpu:10.2f}")
    print(f"  ratio opt/naive    {ratio:10.2f}x")
    cpu_rate = len(opt) / opt_cpu
    if abs(cpu_rate - opt_rate) / cpu_rate > 0.10:
        print("  note: wall and CPU rates differ by >10%: another process shares this core")

    print()
    print(
        f"goal: >= {GOAL_IMAGES_PER_SECOND:g} images/s per core: "
        f"{'PASS' if opt_rate >= GOAL_IMAGES_PER_SECOND else 'FAIL'} "
        f"({opt_rate:.2f} by wall time; {cpu_rate:.2f} by CPU time)"
    )
    print(
        f"goal: >= {GOAL_RATIO:g}x naive: "
        f"{'PASS' if ratio >= GOAL_RATIO else 'FAIL'} ({ratio:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # a report, not a test: say what broke, exit 0
        import traceback

        traceback.print_exc()
        print(f"benchmark did not complete: {type(exc).__name__}: {exc}")
    sys.exit(0)
