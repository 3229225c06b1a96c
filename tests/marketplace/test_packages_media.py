"""Packages of recordings and texts, loaded the way teams load them: recordings in the
WebDataset shards in their original format with the license in their tags (the audio frames
byte for byte the uploaded ones), texts as Parquet rows with their license (pyarrow, and the
Hugging Face `datasets` library, which finds the train split from the file names), every item in the index with its kind, Croissant read by mlcroissant;
images as before."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import timedelta

import mlcroissant as mlc
import numpy as np
import pyarrow.parquet as pq
import pytest
import soundfile
import webdataset as wds
from django.core.files.storage import default_storage
from django.utils import timezone
from mutagen import File as MutagenFile
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TCOP, TIT2
from mutagen.ogg import OggPage

from licensing.documents import DMI_SEE_CONSTRAINT
from licensing.models import LicenseGrantItem
from marketplace.models import Package, PackageFile, PackageItem, PackageStatus
from marketplace.packages import builder
from marketplace.packages.audio_tags import license_tagged
from marketplace.selectors.licenses import package_downloads
from tests.factories import BuyerFactory, CreatorFactory
from tests.uploads.images import jpeg_bytes, photo
from tests.uploads.sounds import decode, encode, song, voice
from tests.uploads.texts import story
from uploads import storage
from uploads.audio.containers import id3v2_end
from uploads.metadata.xmp_iptc import read_xmp_iptc

from .factories import listed_work
from .packages import local_copy, paid, pixels, stored

pytestmark = pytest.mark.django_db

LICENSE = {
    "license_id": "0123456789",
    "license_url": "https://assent.test/licenses/abc/",
    "rsl_url": "https://assent.test/offers/def/rsl.xml",
    "odrl_url": "https://assent.test/public/licenses/abc/odrl.json",
    "terms": "Assent license 0123456789: ai-input; commercial; until 2030-01-01.",
    "data_mining": DMI_SEE_CONSTRAINT,
    "copyright": "© Ada. Licensed for AI training under https://assent.test/licenses/abc/",
}
MEDIA_TYPES = {
    "wav": "audio/wav",
    "flac": "audio/flac",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
}


# --- Making works ----------------------------------------------------------------------------


def audio_work(creator, fmt: str, *, seconds: float = 2.0, seed: int = 0, title: str):
    sample_rate = 48000 if fmt == "opus" else 44100
    samples = song(seconds, seed=seed, sample_rate=sample_rate)
    data = encode(samples, sample_rate, fmt)
    info = soundfile.info(io.BytesIO(data))
    return listed_work(
        creator,
        title=title,
        kind="audio",
        media_type=MEDIA_TYPES[fmt],
        data=data,
        original=storage.store(f"originals/test/audio-{fmt}-{seed}.{fmt}", data),
        width=0,
        height=0,
        duration_ms=round(info.duration * 1000),
        sample_rate=info.samplerate,
        channels=info.channels,
    )


def text_work(creator, data: bytes, *, media_type: str, extension: str, title: str, words: int):
    return listed_work(
        creator,
        title=title,
        kind="text",
        media_type=media_type,
        data=data,
        original=storage.store(
            f"originals/test/text-{hashlib.sha256(data).hexdigest()[:12]}.{extension}", data
        ),
        width=0,
        height=0,
        word_count=words,
        language="en",
    )


def epub_bytes(title: str, chapters: list[str]) -> bytes:
    """A small EPUB 3: the container, a package document, one XHTML file per chapter."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED
        )
        archive.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container version="1.0" '
            'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
            '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>",
        )
        items = "".join(
            f'<item id="c{n}" href="c{n}.xhtml" media-type="application/xhtml+xml"/>'
            for n in range(len(chapters))
        )
        spine = "".join(f'<itemref idref="c{n}"/>' for n in range(len(chapters)))
        archive.writestr(
            "OEBPS/content.opf",
            '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
            'unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<dc:identifier id="id">urn:uuid:1</dc:identifier><dc:title>{title}</dc:title>'
            f"<dc:language>en</dc:language></metadata><manifest>{items}</manifest>"
            f"<spine>{spine}</spine></package>",
        )
        for n, chapter in enumerate(chapters):
            paragraphs = "".join(f"<p>{p}</p>" for p in chapter.split("\n\n") if p.strip())
            archive.writestr(
                f"OEBPS/c{n}.xhtml",
                '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head>'
                f"<title>{title}</title></head><body>{paragraphs}</body></html>",
            )
    return out.getvalue()


# --- Frames untouched: where each format keeps its audio ------------------------------------


def flac_frames(data: bytes) -> bytes:
    """The audio frames: what follows the last metadata block."""
    assert data[:4] == b"fLaC"
    pos = 4
    while True:
        header = data[pos]
        pos += 4 + int.from_bytes(data[pos + 1 : pos + 4], "big")
        if header & 0x80:
            return data[pos:]


def wav_sound(data: bytes) -> bytes:
    """The `data` chunk."""
    pos = 12
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        if data[pos : pos + 4] == b"data":
            return data[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size & 1)
    raise AssertionError("no data chunk")


def ogg_audio_packets(data: bytes, headers: int) -> list[bytes]:
    """The stream's packets after its codec headers (3 for Vorbis, 2 for Opus)."""
    fileobj, pages = io.BytesIO(data), []
    while fileobj.tell() < len(data):
        pages.append(OggPage(fileobj))
    return OggPage.to_packets(pages)[headers:]


def audio_payload(data: bytes, fmt: str):
    if fmt == "flac":
        return flac_frames(data)
    if fmt == "mp3":
        return data[id3v2_end(data) :]
    if fmt == "wav":
        return wav_sound(data)
    return ogg_audio_packets(data, headers=3 if fmt == "ogg" else 2)


def tags(data: bytes) -> dict[str, list[str]]:
    """Every tag as mutagen reads it back: ID3 frames by their key (TXXX by description),
    Vorbis comments by upper-case name."""
    audio = MutagenFile(io.BytesIO(data))
    if not isinstance(audio.tags, ID3):
        return {key.upper(): values for key, values in audio.tags.as_dict().items()}
    found = {}
    for frame in audio.tags.values():
        key = frame.HashKey.removeprefix("TXXX:")
        if hasattr(frame, "url"):
            found[key] = [frame.url]
        else:
            text = frame.text if isinstance(frame.text, list) else [frame.text]
            found[key] = [str(t) for t in text]
    return found


@pytest.mark.parametrize("fmt", ["flac", "mp3", "ogg", "opus", "wav"])
def test_a_recording_gets_the_license_in_its_tags_and_keeps_its_frames(fmt):
    sample_rate = 48000 if fmt == "opus" else 44100
    original = encode(voice(3.0, seed=4, sample_rate=sample_rate), sample_rate, fmt)

    tagged = license_tagged(original, MEDIA_TYPES[fmt], LICENSE)

    assert tagged != original
    before, rate_before = decode(original)
    after, rate_after = decode(tagged)
    assert rate_before == rate_after and np.array_equal(before, after)
    assert audio_payload(tagged, fmt) == audio_payload(original, fmt)
    if fmt == "flac":
        assert (
            FLAC(io.BytesIO(tagged)).info.md5_signature
            == FLAC(io.BytesIO(original)).info.md5_signature
        )
    read = tags(tagged)
    assert read["ASSENT_LICENSE_ID"] == ["0123456789"]
    assert read["RSL_LICENSE"] == [LICENSE["rsl_url"]]
    assert read["ODRL_POLICY"] == [LICENSE["odrl_url"]]
    assert read["AI_TRAINING_TERMS"] == [LICENSE["terms"]]
    assert read["DATA_MINING"] == [DMI_SEE_CONSTRAINT]
    if fmt in ("mp3", "wav"):
        assert read["LICENSE"] == [LICENSE["license_url"]]
        assert read["WCOP"] == [LICENSE["license_url"]]
        assert read["TCOP"] == [LICENSE["copyright"]]
        assert read["USER:eng"] == [LICENSE["terms"]]
        assert MutagenFile(io.BytesIO(tagged)).tags.version[:2] == (2, 4)
    else:
        assert read["LICENSE"] == [LICENSE["license_url"]]
        assert read["COPYRIGHT"] == [LICENSE["copyright"]]


@pytest.mark.parametrize("fmt", ["flac", "mp3"])
def test_tagging_again_replaces_the_license_and_keeps_the_creators_own_tags(fmt):
    buffer = io.BytesIO(encode(song(2.0, seed=5), 44100, fmt))
    if fmt == "mp3":
        id3 = ID3()
        id3.add(TIT2(encoding=3, text=["Harbour at dawn"]))
        id3.add(TCOP(encoding=3, text=["2019 Someone Else"]))
        id3.save(buffer)
    else:
        audio = FLAC(buffer)
        if audio.tags is None:
            audio.add_tags()
        audio.tags["TITLE"] = ["Harbour at dawn"]
        audio.tags["COPYRIGHT"] = ["2019 Someone Else"]
        buffer.seek(0)
        audio.save(buffer)
    original = buffer.getvalue()

    once = license_tagged(original, MEDIA_TYPES[fmt], {**LICENSE, "license_id": "FIRST00000"})
    twice = license_tagged(once, MEDIA_TYPES[fmt], LICENSE)

    read = tags(twice)
    assert read["ASSENT_LICENSE_ID"] == ["0123456789"]
    assert read["TCOP" if fmt == "mp3" else "COPYRIGHT"] == [LICENSE["copyright"]]
    assert read["TIT2" if fmt == "mp3" else "TITLE"] == ["Harbour at dawn"]
    assert audio_payload(twice, fmt) == audio_payload(original, fmt)


# --- Whole packages --------------------------------------------------------------------------


@pytest.fixture
def buyer():
    return BuyerFactory()


@pytest.fixture
def mixed_works():
    ada, bo = CreatorFactory(), CreatorFactory()
    works = {
        "image": listed_work(ada, data=jpeg_bytes(photo(90, 60, seed=7)), title="Harbour"),
        "flac": audio_work(ada, "flac", seed=1, title="Tide song"),
        "mp3": audio_work(bo, "mp3", seed=2, title="Night train"),
        "story": text_work(
            bo,
            story(300, seed=3).encode(),
            media_type="text/plain",
            extension="txt",
            title="The letter",
            words=300,
        ),
        "epub": text_work(
            ada,
            epub_bytes("Winter road", [story(120, seed=10), story(150, seed=11)]),
            media_type="application/epub+zip",
            extension="epub",
            title="Winter road",
            words=270,
        ),
    }
    return works


def hf_train_split(folder, cache, monkeypatch):
    """The folder as `datasets.load_dataset(folder)` reads it: a team's one-line load. Offline
    (nothing to fetch for a local folder, and this machine reaches no hub), cache in the test's
    folder; imported here so the offline switch is read when the library loads."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    import datasets

    loaded = datasets.load_dataset(str(folder), cache_dir=str(cache))
    assert list(loaded) == ["train"]
    return loaded["train"]


def test_a_mixed_order_delivers_audio_in_shards_and_text_in_parquet(
    buyer, mixed_works, settings, tmp_path, monkeypatch
):
    order = paid(buyer, list(mixed_works.values()), settings, shard_bytes=1)
    package = order.packages.get()
    assert package.status == PackageStatus.READY
    ref = order.license_grant.uuid.hex[:10].upper()
    texts_count = 2
    names = sorted(package.files.values_list("name", flat=True))
    assert names == sorted(
        [
            *(f"assent-{ref}-{i:06d}.tar" for i in range(3)),
            *(f"text/train-{i:05d}.parquet" for i in range(texts_count)),
            "LICENSE.md",
            "croissant.json",
            "index.parquet",
            "manifest.json",
            "odrl.json",
        ]
    )
    paths = local_copy(package, tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    for entry in manifest["files"]:
        data = (tmp_path / entry["name"]).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["size"], entry["sha256"])

    # webdataset: the image as before; each recording in its own format, decoding to the
    # uploaded samples, with the license in its tags and its facts in its record.
    url = str(tmp_path / f"assent-{ref}-{{000000..000002}}.tar")
    samples = {s["__key__"]: s for s in wds.WebDataset(url, shardshuffle=False).decode()}
    assert set(samples) == {mixed_works[k].uuid.hex for k in ("image", "flac", "mp3")}
    image = samples[mixed_works["image"].uuid.hex]
    original_image = stored(mixed_works["image"].original.name)
    assert set(image) >= {"jpg", "json"} and "kind" not in image["json"]
    assert (image["json"]["width"], image["json"]["height"]) == (90, 60)
    xmp, _ = read_xmp_iptc(image["jpg"])
    assert ref in xmp["other_constraints"]
    assert np.array_equal(pixels(image["jpg"]), pixels(original_image))
    for fmt in ("flac", "mp3"):
        work = mixed_works[fmt]
        sample = samples[work.uuid.hex]
        delivered, record = sample[fmt], sample["json"]
        original = stored(work.original.name)
        assert np.array_equal(decode(delivered)[0], decode(original)[0])
        assert audio_payload(delivered, fmt) == audio_payload(original, fmt)
        assert record["kind"] == "audio" and record["license_id"] == ref
        assert (record["duration_ms"], record["sample_rate"], record["channels"]) == (
            work.duration_ms,
            44100,
            2,
        )
        assert "width" not in record
        assert record["delivered_sha256"] == hashlib.sha256(delivered).hexdigest()
        assert record["original_sha256"] == work.sha256
        read = tags(delivered)
        assert read["ASSENT_LICENSE_ID"] == [ref]
        assert read["LICENSE"][0].endswith(f"/licenses/{order.license_grant.uuid}/")
        if fmt == "mp3":
            assert read["WCOP"] == read["LICENSE"]
        offer_uuid = order.items.get(work=work).offer.uuid
        assert read["RSL_LICENSE"][0].endswith(f"/offers/{offer_uuid}/rsl.xml")
        assert read["ODRL_POLICY"][0].endswith(
            f"/public/licenses/{order.license_grant.uuid}/odrl.json"
        )
        assert f"Assent license {ref}:" in read["AI_TRAINING_TERMS"][0]

    # pyarrow: the text folder is one table, a row per text with its license and provenance.
    table = pq.read_table(str(tmp_path / "text")).to_pylist()
    # Hugging Face datasets: the folder is the train split, the same rows and structs.
    split = hf_train_split(tmp_path / "text", tmp_path / "hf-cache", monkeypatch)
    assert sorted(split, key=lambda r: r["key"]) == sorted(table, key=lambda r: r["key"])
    assert split.features["license"]["id"].dtype == "string"
    text_works = [w for k, w in mixed_works.items() if k in ("story", "epub")]
    assert sorted(r["work_id"] for r in table) == sorted(w.id for w in text_works)
    letter = next(r for r in table if r["title"] == "The letter")
    assert letter["text"] == story(300, seed=3)
    assert letter["kind"] == "text" and letter["language"] == "en" and letter["word_count"] == 300
    assert letter["license"]["id"] == ref and letter["license"]["on_expiry"] == "destroy-models"
    assert json.loads(letter["license"]["terms"])["term_months"] == 36
    assert letter["license"]["url"].endswith(f"/licenses/{order.license_grant.uuid}/")
    provenance = letter["provenance"]
    assert provenance["original_sha256"] == mixed_works["story"].sha256
    assert provenance["text_sha256"] == hashlib.sha256(letter["text"].encode()).hexdigest()
    assert provenance["work_url"].endswith(f"/catalog/works/{mixed_works['story'].id}/")
    assert provenance["creator"] and provenance["rights_holder"]
    # The EPUB's chapters in spine order, as plain text.
    winter = next(r for r in table if r["title"] == "Winter road")
    chapters = [story(120, seed=10).strip(), story(150, seed=11).strip()]
    assert winter["text"].strip() == "\n\n".join(chapters)

    # The index lists every item with its kind; a text's row points at its file.
    index = pq.read_table(paths["index.parquet"]).to_pylist()
    kinds = {r["work_id"]: r["kind"] for r in index}
    assert kinds == {
        w.id: ("text" if k in ("story", "epub") else "audio" if k in ("flac", "mp3") else "image")
        for k, w in mixed_works.items()
    }
    letter_row = next(r for r in index if r["work_id"] == mixed_works["story"].id)
    assert letter_row["shard"].startswith("text/train-") and letter_row["member"] == letter["key"]
    assert letter_row["delivered_sha256"] == provenance["text_sha256"]
    song_row = next(r for r in index if r["work_id"] == mixed_works["flac"].id)
    assert song_row["member"].endswith(".flac") and song_row["sample_rate"] == 44100
    assert song_row["width"] is None

    # Croissant: mlcroissant reads the index and the texts record sets.
    dataset = mlc.Dataset(jsonld=paths["croissant.json"])
    assert len(list(dataset.records(record_set="items"))) == len(mixed_works)
    records = list(dataset.records(record_set="texts"))
    assert len(records) == texts_count
    first = next(r for r in records if r["texts/title"] == b"The letter")
    assert first["texts/text"].decode() == story(300, seed=3)
    assert first["texts/license"]["texts/license/id"] == ref.encode()
    meta = json.loads((tmp_path / "croissant.json").read_text())
    sets = {d["@id"]: d for d in meta["distribution"] if d["@type"] == "cr:FileSet"}
    assert set(sets) == {"images", "audio", "text-files"}
    assert "*.flac" in sets["audio"]["includes"]
    assert "recording" in meta["description"] and "text/train-" in meta["description"]

    summary = (tmp_path / "LICENSE.md").read_text()
    assert "every recording in its tags" in summary and "text/*.parquet" in summary
    assert "every model trained on these items must be destroyed" in summary


def test_a_text_only_order_has_no_shards_and_loads_in_mlcroissant(
    buyer, settings, tmp_path, monkeypatch
):
    ada = CreatorFactory()
    works = [
        text_work(
            ada,
            story(200, seed=n).encode(),
            media_type="text/markdown" if n else "text/plain",
            extension="md" if n else "txt",
            title=f"Story {n}",
            words=200,
        )
        for n in range(3)
    ]
    order = paid(buyer, works, settings, shard_bytes=1)
    package = order.packages.get()
    assert package.status == PackageStatus.READY
    paths = local_copy(package, tmp_path)
    assert not [n for n in paths if n.endswith(".tar")]
    assert sorted(n for n in paths if n.startswith("text/")) == [
        f"text/train-{i:05d}.parquet" for i in range(3)
    ]
    assert pq.read_table(str(tmp_path / "text")).num_rows == 3
    split = hf_train_split(tmp_path / "text", tmp_path / "hf-cache", monkeypatch)
    assert sorted(split["title"]) == ["Story 0", "Story 1", "Story 2"]
    assert {row["license"]["on_expiry"] for row in split} <= {"destroy-models", "stop-training"}
    dataset = mlc.Dataset(jsonld=paths["croissant.json"])
    assert len(list(dataset.records(record_set="texts"))) == 3
    assert len(list(dataset.records(record_set="items"))) == 3


def _contents(package: Package) -> dict[str, bytes]:
    return {f.name: stored(f.storage_key) for f in PackageFile.objects.filter(package=package)}


def _reset(package: Package) -> None:
    for f in PackageFile.objects.filter(package=package):
        default_storage.delete(f.storage_key)
    PackageItem.objects.filter(package=package).delete()
    PackageFile.objects.filter(package=package).delete()
    Package.objects.filter(id=package.id).update(status=PackageStatus.QUEUED, done_items=0)


def test_a_mixed_build_in_steps_or_in_parallel_writes_the_same_bytes(
    buyer, mixed_works, settings, monkeypatch
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr("marketplace.services.delivery.package_build_enqueue", lambda _id: None)
    order = paid(buyer, list(mixed_works.values()), settings, shard_bytes=1)
    package = order.packages.get()
    built = builder.package_build_step(package_id=package.id, workers=1)
    assert built.status == PackageStatus.READY
    reference = _contents(package)

    # One shard or text file per step, as a build killed after each would resume.
    _reset(package)
    steps = 0
    while builder.package_build_step(package_id=package.id, max_shards=1, workers=1).status != (
        PackageStatus.READY
    ):
        steps += 1
        assert steps < 20
    assert steps >= 3
    assert _contents(package) == reference

    # A text file lost after it was stored, before it was recorded: planned and written again.
    text_file = PackageFile.objects.get(package=package, name="text/train-00000.parquet")
    PackageItem.objects.filter(shard=text_file).delete()
    text_file.delete()
    Package.objects.filter(id=package.id).update(status=PackageStatus.BUILDING)
    builder.package_build_step(package_id=package.id, workers=1)
    assert _contents(package) == reference

    _reset(package)
    builder.package_build_step(package_id=package.id, workers=2)
    assert _contents(package) == reference
    assert PackageItem.objects.filter(package=package).count() == len(mixed_works)


def test_an_ended_text_license_stops_only_its_text_file(buyer, mixed_works, settings):
    order = paid(buyer, list(mixed_works.values()), settings, shard_bytes=1)
    package = order.packages.get()
    ended = order.items.get(work=mixed_works["story"])
    LicenseGrantItem.objects.filter(item_ref=ended.item_ref).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    states = {s.file.name: s for s in package_downloads(package=package).files}
    story_file = PackageItem.objects.get(package=package, order_item=ended).shard.name
    assert story_file.startswith("text/") and not states[story_file].is_available
    assert "no longer licensed" in states[story_file].reason
    others = [s for name, s in states.items() if name != story_file]
    assert all(s.is_available for s in others)
    kinds = [s.file.kind for s in package_downloads(package=package).files]
    assert kinds.index("index") > max(i for i, k in enumerate(kinds) if k in ("shard", "text"))
