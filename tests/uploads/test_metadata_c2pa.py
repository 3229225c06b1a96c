"""read_c2pa against files signed on the fly with a throwaway CA (see c2pa_signing)."""

from __future__ import annotations

import io
import json
import os
import struct

import pytest
from PIL import Image

from tests.uploads.c2pa_signing import DIGITAL_CAPTURE, sign_image
from uploads.metadata.c2pa import may_have_manifest, read_c2pa

AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def _image(fmt: str, size=(64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 40, 10)).save(buf, fmt)
    return buf.getvalue()


@pytest.fixture(scope="module")
def jpeg() -> bytes:
    return _image("JPEG")


@pytest.fixture(scope="module")
def signed_ai_jpeg(jpeg) -> bytes:
    return sign_image(jpeg, digital_source_type=AI, title="robot.jpg")


def test_plain_jpeg_has_no_manifest(jpeg):
    assert read_c2pa(jpeg, "image/jpeg") is None


def test_signed_jpeg_summary(signed_ai_jpeg):
    summary = read_c2pa(signed_ai_jpeg, "image/jpeg")

    assert summary["claim_generator"] == "AssentTests/1.0"
    assert summary["title"] == "robot.jpg"
    assert summary["actions"] == ["c2pa.created"]
    assert summary["digital_source_types"] == [AI]
    assert summary["training_mining"] == {}
    assert summary["signer"]["common_name"] == "Assent Test Signer"
    assert summary["signer"]["issuer"] == "Assent Tests"
    # Intact and cryptographically sound, but our test CA is in no trust list: the library
    # says "Valid" (not "Trusted") and lists the untrusted credential as its only failure.
    assert summary["validation_state"] == "Valid"
    assert summary["validation_errors"] == ["signingCredential.untrusted"]
    json.dumps(summary)  # stored as JSON on the work


def test_training_mining_is_reported(jpeg):
    wishes = {"cawg.ai_generative_training": "notAllowed", "cawg.ai_training": "notAllowed"}
    summary = read_c2pa(sign_image(jpeg, training_mining=wishes), "image/jpeg")

    assert summary["training_mining"] == wishes
    assert summary["validation_state"] == "Valid"
    assert summary["digital_source_types"] == [DIGITAL_CAPTURE]


def test_legacy_training_mining_label_is_read(jpeg):
    wishes = {"c2pa.ai_inference": "notAllowed", "c2pa.data_mining": "allowed"}
    signed = sign_image(jpeg, training_mining=wishes, training_mining_label="c2pa.training-mining")

    assert read_c2pa(signed, "image/jpeg")["training_mining"] == wishes


def test_tampered_pixels_are_detected(signed_ai_jpeg):
    tampered = bytearray(signed_ai_jpeg)
    # The manifest sits in APP11 near the start; the last bytes before EOI are scan data.
    assert tampered.find(b"\xff\xeb") < len(tampered) - 200
    for offset in (-100, -101, -102):
        tampered[offset] ^= 0xFF

    summary = read_c2pa(bytes(tampered), "image/jpeg")

    assert summary["validation_state"] == "Invalid"
    assert "assertion.dataHash.mismatch" in summary["validation_errors"]
    # The claims themselves are still readable, only no longer vouched for.
    assert summary["digital_source_types"] == [AI]


def test_damaged_manifest_is_an_error_not_an_exception(signed_ai_jpeg):
    damaged = bytearray(signed_ai_jpeg)
    start = damaged.find(b"\xff\xeb")
    (length,) = struct.unpack_from(">H", damaged, start + 2)
    damaged[start + 40 : start + 2 + length] = bytes(length - 38)

    summary = read_c2pa(bytes(damaged), "image/jpeg")

    assert set(summary) == {"error"}
    assert summary["error"]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xd8\xff",
        b"\xff\xd8\xff" + os.urandom(4000),
        b"\xff\xd8\xff\xeb\x00\x10" + b"jumbc2pa" + os.urandom(4000),  # APP11 then garbage
        b"\xff\xd8\xff\xeb\xff\xff" + b"\x00" * 10,  # APP11 claiming more than the file holds
        b"\x89PNG\r\n\x1a\n" + os.urandom(500),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\x10caBX" + os.urandom(40),
        b"RIFF\x10\x00\x00\x00WEBPC2PA\xff\xff\xff\x7f",
    ],
)
def test_garbage_never_raises(data):
    result = read_c2pa(data, "image/jpeg")
    assert result is None or set(result) == {"error"}


def test_truncated_signed_file_never_raises(signed_ai_jpeg):
    for cut in (10, 30, 200, 2000, len(signed_ai_jpeg) // 2, len(signed_ai_jpeg) - 3):
        result = read_c2pa(signed_ai_jpeg[:cut], "image/jpeg")
        assert result is None or "error" in result or "validation_state" in result


def test_remote_manifest_is_never_fetched(jpeg):
    # XMP pointing at a remote manifest; by default c2pa-rs would fetch it (an SSRF vector).
    xmp = (
        b"http://ns.adobe.com/xap/1.0/\x00"
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        b'xmlns:dcterms="http://purl.org/dc/terms/" '
        b'dcterms:provenance="http://127.0.0.1:9/manifest.c2pa"/></rdf:RDF></x:xmpmeta>'
    )
    data = jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp + jpeg[2:]

    result = read_c2pa(data, "image/jpeg")

    assert result == {
        "error": "remote manifest not fetched",
        "remote_url": "http://127.0.0.1:9/manifest.c2pa",
    }


def test_signed_png():
    summary = read_c2pa(sign_image(_image("PNG"), "image/png", digital_source_type=AI), "image/png")
    assert summary["validation_state"] == "Valid"
    assert summary["digital_source_types"] == [AI]


def test_signed_webp():
    summary = read_c2pa(sign_image(_image("WEBP"), "image/webp"), "image/webp")
    assert summary["validation_state"] == "Valid"
    assert summary["actions"] == ["c2pa.created"]


def test_plain_png_and_webp_have_no_manifest():
    assert read_c2pa(_image("PNG"), "image/png") is None
    assert read_c2pa(_image("WEBP"), "image/webp") is None


def test_declared_type_does_not_matter(signed_ai_jpeg):
    # The container is sniffed from the bytes, as the library itself does.
    assert read_c2pa(signed_ai_jpeg, "image/png")["digital_source_types"] == [AI]


def test_prefilter_skips_the_library_only_when_nothing_is_there(jpeg, signed_ai_jpeg):
    assert not may_have_manifest(jpeg, "image/jpeg")
    assert may_have_manifest(signed_ai_jpeg, "image/jpeg")
    assert not may_have_manifest(_image("PNG"), "image/png")
    assert may_have_manifest(sign_image(_image("PNG"), "image/png"), "image/png")
