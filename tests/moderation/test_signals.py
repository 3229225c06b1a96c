"""Each screening signal, from files and accounts made here: copies of a picture resized,
cropped, flipped, rotated and re-encoded; files with AI and rights metadata; busy and linked
accounts. Works go through the real intake and processing (tests/uploads/works.py)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import ExifTags, Image

from licensing.services.offers import offer_create
from licensing.terms import PRESETS
from moderation.models import AccountBan, KnownStolenWork, ScreeningSignal, SignalKind
from moderation.signals import ScreeningContext, signals_compute, signals_store
from moderation.signals.near import dihedral_hashes
from moderation.signals.rights import name_tokens
from tests.factories import CONTEXT, CreatorFactory, StaffFactory
from tests.uploads.c2pa_signing import sign_image
from tests.uploads.images import jpeg_bytes, photo, png_bytes, with_xmp
from tests.uploads.works import upload_work
from uploads.models import Work, WorkStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_near_index")]

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
PROHIBITED = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED"
SEE_CONSTRAINT = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-SEECONSTRAINT"
ORIGINAL = photo(640, 480, seed=5)


def findings(work):
    return signals_compute(context=ScreeningContext(work=Work.objects.get(id=work.id)))


def of_kind(work, kind):
    return [f for f in findings(work) if f.kind == kind]


def reencode(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


# --- Duplicates -------------------------------------------------------------------------------


def test_exact_copy_of_another_accounts_listed_work(media_root):
    owner, thief = CreatorFactory(), CreatorFactory()
    data = jpeg_bytes(ORIGINAL)
    original = upload_work(owner, data)
    Work.objects.filter(id=original.id).update(status=WorkStatus.LISTED)
    copy = upload_work(thief, data)

    [signal] = of_kind(copy, SignalKind.EXACT_DUPLICATE)
    assert signal.related_work_id == original.id
    assert signal.evidence["other_listed"] is True and signal.weight == 60
    # The earlier upload is the presumed original: the later copy weighs little against it.
    [against_original] = of_kind(original, SignalKind.EXACT_DUPLICATE)
    assert against_original.evidence["other_is_earlier"] is False and against_original.weight == 10


def test_same_account_same_bytes_is_not_an_exact_duplicate_signal(media_root):
    creator = CreatorFactory()
    first = upload_work(creator, jpeg_bytes(photo(seed=11)))
    second = upload_work(creator, jpeg_bytes(photo(seed=12)))
    assert not of_kind(first, SignalKind.EXACT_DUPLICATE)
    assert not of_kind(second, SignalKind.EXACT_DUPLICATE)


def test_dihedral_hashes_start_with_the_stored_hash(media_root):
    work = upload_work(CreatorFactory(), jpeg_bytes(ORIGINAL))
    hashes = dihedral_hashes(work)
    assert len(hashes) == 8 and hashes[0] == work.pdq_hash


COPIES = {
    "resized to half": lambda im: reencode(im.resize((320, 240)), 90),
    "enlarged": lambda im: reencode(im.resize((1024, 768)), 90),
    "cropped by about 1% a side": lambda im: reencode(im.crop((8, 6, 632, 474)), 90),
    "flipped": lambda im: reencode(im.transpose(Image.Transpose.FLIP_LEFT_RIGHT), 90),
    "rotated 90°": lambda im: reencode(im.transpose(Image.Transpose.ROTATE_90), 90),
    "rotated 180°": lambda im: reencode(im.transpose(Image.Transpose.ROTATE_180), 90),
    "re-encoded at quality 40": lambda im: reencode(im, 40),
    "saved as PNG": lambda im: png_bytes(im),
}


@pytest.mark.parametrize("how", list(COPIES))
def test_near_copy_of_another_accounts_work_is_found(media_root, how):
    owner, thief = CreatorFactory(), CreatorFactory()
    original = upload_work(owner, jpeg_bytes(ORIGINAL))
    Work.objects.filter(id=original.id).update(status=WorkStatus.REJECTED)  # any status counts
    name = "copy.png" if how == "saved as PNG" else "copy.jpg"
    copy = upload_work(thief, COPIES[how](ORIGINAL), name=name)

    [signal] = of_kind(copy, SignalKind.NEAR_DUPLICATE)
    assert signal.related_work_id == original.id
    assert signal.distance <= 31
    assert signal.evidence["other_status"] == WorkStatus.REJECTED
    assert signal.weight in (35, 50)


def test_a_different_picture_is_not_a_near_copy(media_root):
    upload_work(CreatorFactory(), jpeg_bytes(ORIGINAL))
    other = upload_work(CreatorFactory(), jpeg_bytes(photo(640, 480, seed=6)))
    assert not of_kind(other, SignalKind.NEAR_DUPLICATE)
    assert not of_kind(other, SignalKind.EXACT_DUPLICATE)


def test_known_stolen_registry_matches_a_flipped_copy(media_root):
    registered = upload_work(CreatorFactory(), jpeg_bytes(ORIGINAL))
    stolen = KnownStolenWork.objects.create(pdq_hash=registered.pdq_hash, title="Stolen")
    registered.delete()
    flipped = upload_work(CreatorFactory(), COPIES["flipped"](ORIGINAL))

    [signal] = of_kind(flipped, SignalKind.KNOWN_STOLEN)
    assert signal.subject == f"stolen:{stolen.id}" and signal.weight == 100
    assert signal.evidence["matched_by"] == "pdq"


def test_known_stolen_by_sha256(media_root):
    data = jpeg_bytes(photo(seed=21))
    work = upload_work(CreatorFactory(), data)
    entry = KnownStolenWork.objects.create(pdq_hash="0" * 64, sha256=work.sha256)
    [signal] = of_kind(work, SignalKind.KNOWN_STOLEN)
    assert signal.subject == f"stolen:{entry.id}" and signal.evidence["matched_by"] == "sha256"


def test_flood_of_near_identical_uploads_in_one_account(media_root):
    creator = CreatorFactory()
    works = [
        upload_work(creator, reencode(ORIGINAL.resize((640 - 8 * i, 480 - 6 * i)), 90 - i))
        for i in range(4)
    ]
    # Three others: below MODERATION_FLOOD_MIN_SIMILAR (4), no flood yet.
    assert not of_kind(works[-1], SignalKind.FLOOD)
    works.append(upload_work(creator, reencode(ORIGINAL.resize((600, 450)), 70)))
    [flood] = of_kind(works[-1], SignalKind.FLOOD)
    assert flood.evidence["count"] == 4
    assert set(flood.evidence["similar_work_ids"]) == {w.id for w in works[:-1]}
    # Own near copies are a flood, never "another account's" near duplicate.
    assert not of_kind(works[-1], SignalKind.NEAR_DUPLICATE)


# --- AI generation against the declaration ----------------------------------------------------


def test_iptc_trained_algorithmic_media_declared_none(media_root):
    work = upload_work(
        CreatorFactory(), with_xmp(jpeg_bytes(), {"Xmp.iptcExt.DigitalSourceType": TRAINED})
    )
    [signal] = of_kind(work, SignalKind.AI_UNDECLARED)
    assert signal.weight == 55
    assert "digital source type trainedalgorithmicmedia" in signal.evidence["generated"]


def test_declared_generated_has_nothing_to_contradict(media_root):
    data = with_xmp(jpeg_bytes(), {"Xmp.iptcExt.DigitalSourceType": TRAINED})
    work = upload_work(CreatorFactory(), data, ai_involvement="generated")
    assert not of_kind(work, SignalKind.AI_UNDECLARED)


def test_composite_with_ai_fits_assisted_but_not_none(media_root):
    data = with_xmp(jpeg_bytes(), {"Xmp.iptcExt.DigitalSourceType": COMPOSITE})
    assisted = upload_work(CreatorFactory(), data, ai_involvement="assisted")
    assert not of_kind(assisted, SignalKind.AI_UNDECLARED)
    declared_none = upload_work(CreatorFactory(), data)
    [signal] = of_kind(declared_none, SignalKind.AI_UNDECLARED)
    assert signal.weight == 45


def test_a1111_parameters_chunk_declared_assisted(media_root):
    parameters = (
        "a castle\nNegative prompt: blurry\nSteps: 30, Sampler: Euler a, CFG scale: 7, Seed: 1"
    )
    work = upload_work(
        CreatorFactory(),
        png_bytes(text={"parameters": parameters}),
        name="g.png",
        ai_involvement="assisted",
    )
    [signal] = of_kind(work, SignalKind.AI_UNDECLARED)
    assert signal.weight == 40 and signal.evidence["declared"] == "assisted"


def test_comfyui_prompt_chunk_declared_none(media_root):
    data = png_bytes(text={"prompt": '{"3": {"class_type": "KSampler"}}'})
    work = upload_work(CreatorFactory(), data, name="c.png")
    [signal] = of_kind(work, SignalKind.AI_UNDECLARED)
    assert signal.weight == 55


def test_exif_software_of_a_known_generator(media_root):
    exif = Image.Exif()
    exif[ExifTags.Base.Software] = "Midjourney v6"
    work = upload_work(CreatorFactory(), jpeg_bytes(exif=exif))
    [signal] = of_kind(work, SignalKind.AI_UNDECLARED)
    assert signal.weight == 45
    assert any("Midjourney" in item for item in signal.evidence["involved"])


def test_c2pa_trained_source_type(media_root):
    signed = sign_image(
        jpeg_bytes(photo(seed=7)), digital_source_type=TRAINED, claim_generator="ImageGen/2.0"
    )
    work = upload_work(CreatorFactory(), signed)
    [signal] = of_kind(work, SignalKind.AI_UNDECLARED)
    assert signal.weight == 55


def test_camera_photo_has_no_ai_signal(media_root):
    exif = Image.Exif()
    exif[ExifTags.Base.Software] = "Adobe Lightroom 7.0"
    assert not of_kind(
        upload_work(CreatorFactory(), jpeg_bytes(exif=exif)), SignalKind.AI_UNDECLARED
    )


# --- Rights marks and authorship --------------------------------------------------------------


def test_plus_data_mining_prohibited(media_root):
    work = upload_work(
        CreatorFactory(), with_xmp(jpeg_bytes(), {"Xmp.plus.DataMining": PROHIBITED})
    )
    [signal] = of_kind(work, SignalKind.RIGHTS_MARK)
    assert signal.subject == "plus:DataMining" and signal.weight == 35


def test_reupload_of_an_assent_delivered_copy(media_root):
    data = with_xmp(
        jpeg_bytes(),
        {
            "Xmp.plus.DataMining": SEE_CONSTRAINT,
            "Xmp.plus.OtherConstraints": {
                'lang="x-default"': "Assent license 42: ai-train-generative; "
                "commercial; until 2029-01-01. See https://assent.test/l/42"
            },
        },
    )
    work = upload_work(CreatorFactory(), data)
    [signal] = of_kind(work, SignalKind.RIGHTS_MARK)
    assert signal.subject == "assent_license" and signal.weight == 70


def test_c2pa_training_not_allowed(media_root):
    signed = sign_image(
        jpeg_bytes(photo(seed=8)), training_mining={"cawg.ai_generative_training": "notAllowed"}
    )
    work = upload_work(CreatorFactory(), signed)
    [signal] = of_kind(work, SignalKind.RIGHTS_MARK)
    assert signal.subject == "c2pa:training-mining"
    assert signal.evidence["not_allowed"] == ["cawg.ai_generative_training"]


def test_exif_artist_naming_someone_else(media_root):
    creator = CreatorFactory(profile__display_name="Mara Quinn")
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = "Jane Doe"
    exif[ExifTags.Base.Copyright] = "(c) Jane Doe 2026. All rights reserved."
    work = upload_work(creator, jpeg_bytes(exif=exif), rights_holder="Mara Quinn")
    [signal] = of_kind(work, SignalKind.AUTHOR_MISMATCH)
    assert set(signal.evidence["fields"]) == {"EXIF Artist", "EXIF Copyright"}


@pytest.mark.parametrize(
    "artist, copyright_",
    [
        ("Mara Quinn", "© 2025 Mara Quinn"),
        ("QUINN, Mara", "Copyright 2024-26 Mara Quinn. All rights reserved"),  # EXIF is ASCII
        ("marquinn", ""),  # the email's local part
        ("Studio North", "(c) Studio North"),  # the declared rights holder
        ("Mara Quinn & Jane Doe", ""),  # the uploader is among those named
    ],
)
def test_names_that_are_the_uploader_or_the_rights_holder(media_root, artist, copyright_):
    creator = CreatorFactory(email="marquinn@example.org", profile__display_name="Mara Quinn")
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = artist
    if copyright_:
        exif[ExifTags.Base.Copyright] = copyright_
    work = upload_work(creator, jpeg_bytes(exif=exif), rights_holder="Studio North")
    assert not of_kind(work, SignalKind.AUTHOR_MISMATCH)


def test_xmp_creator_naming_someone_else(media_root):
    data = with_xmp(jpeg_bytes(), {"Xmp.dc.creator": ["Someone Else"]})
    work = upload_work(CreatorFactory(), data)
    [signal] = of_kind(work, SignalKind.AUTHOR_MISMATCH)
    assert signal.evidence["fields"] == {"XMP creator": "Someone Else"}


def test_name_normalisation():
    assert name_tokens("© 2024 Jane Doe. All rights reserved.") == ("jane", "doe")
    assert name_tokens("jane.doe@example.com") == ("jane", "doe")
    assert name_tokens("Zoë Ångström") == ("zoe", "angstrom")


# --- Velocity, linked accounts ----------------------------------------------------------------


def _backdate(work, **delta):
    Work.objects.filter(id=work.id).update(created_at=timezone.now() - timedelta(**delta))


def test_velocity_of_a_new_account(media_root, settings):
    settings.MODERATION_NEW_ACCOUNT_MAX_PER_HOUR = 3
    creator = CreatorFactory()
    works = [upload_work(creator, jpeg_bytes(photo(96, 96, seed=100 + i))) for i in range(4)]
    assert not of_kind(works[2], SignalKind.VELOCITY)  # three in the hour: at the limit
    [signal] = of_kind(works[3], SignalKind.VELOCITY)
    assert signal.evidence["per_hour"] == 4 and signal.evidence["new_account"] is True
    assert signal.weight == 30


def test_established_account_gets_the_higher_limits(media_root, settings):
    settings.MODERATION_NEW_ACCOUNT_MAX_PER_HOUR = 3
    settings.MODERATION_ESTABLISHED_MIN_LISTED = 2
    creator = CreatorFactory(date_joined=timezone.now() - timedelta(days=400))
    for i in range(2):
        old = upload_work(creator, jpeg_bytes(photo(96, 96, seed=200 + i)))
        Work.objects.filter(id=old.id).update(status=WorkStatus.LISTED)
        _backdate(old, days=3)
    works = [upload_work(creator, jpeg_bytes(photo(96, 96, seed=210 + i))) for i in range(4)]
    assert not of_kind(works[-1], SignalKind.VELOCITY)
    settings.MODERATION_MAX_PER_HOUR = 3
    [signal] = of_kind(works[-1], SignalKind.VELOCITY)
    assert signal.weight == 20 and signal.evidence["new_account"] is False


def test_accounts_linked_by_consent_ip_and_shared_files(media_root):
    banned, other, uploader = CreatorFactory(), CreatorFactory(), CreatorFactory()
    for creator, seed in ((banned, 300), (uploader, 301)):
        work = upload_work(creator, jpeg_bytes(photo(96, 96, seed=seed)))
        Work.objects.filter(id=work.id).update(status=WorkStatus.LISTED)
        offer_create(
            work=Work.objects.get(id=work.id),
            actor=creator,
            terms=PRESETS["generative-commercial-3y"].terms,
            preset="generative-commercial-3y",
            price_amount=1500,
            currency="USD",
            consent=True,
            context=CONTEXT,
        )
    AccountBan.objects.create(user=banned, reason="scam", banned_by=StaffFactory())
    shared = jpeg_bytes(photo(96, 96, seed=302))
    upload_work(other, shared)
    work = upload_work(uploader, shared)

    linked = {f.subject: f for f in of_kind(work, SignalKind.LINKED_ACCOUNT)}
    assert linked[f"account:{banned.id}"].weight == 40
    assert any(s.startswith("ip ") for s in linked[f"account:{banned.id}"].evidence["shared"])
    assert linked[f"account:{other.id}"].weight == 5
    assert any(s.startswith("file ") for s in linked[f"account:{other.id}"].evidence["shared"])


# --- Storage ----------------------------------------------------------------------------------


def test_rescreen_replaces_signals_never_duplicates(media_root):
    data = with_xmp(
        jpeg_bytes(), {"Xmp.plus.DataMining": PROHIBITED, "Xmp.dc.creator": ["Other Person"]}
    )
    work = upload_work(CreatorFactory(), data)
    signals_store(work=work, findings=findings(work))
    signals_store(work=work, findings=findings(work))
    kinds = sorted(ScreeningSignal.objects.filter(work=work).values_list("kind", flat=True))
    assert kinds == [SignalKind.AUTHOR_MISMATCH, SignalKind.RIGHTS_MARK]
    # Evidence that is gone is dropped on the next screening.
    signals_store(
        work=work, findings=[f for f in findings(work) if f.kind == SignalKind.RIGHTS_MARK]
    )
    assert list(ScreeningSignal.objects.filter(work=work).values_list("kind", flat=True)) == [
        SignalKind.RIGHTS_MARK
    ]


def test_stand_in_scan_agrees_with_the_index(media_root):
    """near.py keeps a brute-force scan with near_matches' signature (used when the index module
    is absent); both must find the same rows for the same dihedral queries."""
    from moderation.neardup import near_matches
    from moderation.signals.near import _brute_force_near_matches

    original = upload_work(CreatorFactory(), jpeg_bytes(ORIGINAL))
    KnownStolenWork.objects.create(pdq_hash=original.pdq_hash)
    upload_work(CreatorFactory(), jpeg_bytes(photo(640, 480, seed=9)))
    copy = upload_work(CreatorFactory(), COPIES["rotated 90°"](ORIGINAL))
    queries = dihedral_hashes(copy)
    by_index = {
        (m.source, m.id, m.distance) for m in near_matches(queries, exclude_work_id=copy.id)
    }
    by_scan = {
        (m.source, m.id, m.distance)
        for m in _brute_force_near_matches(queries, exclude_work_id=copy.id)
    }
    assert by_index == by_scan and ("work", original.id) in {(s, i) for s, i, _ in by_scan}
