"""Metadata extraction on crafted files: what a file says about who made it, whether an AI made
it, and whether it forbids training, lands on the work."""

import io

import pytest
from PIL import ExifTags, Image

from .c2pa_signing import sign_image
from .images import jpeg_bytes, photo, png_bytes, with_xmp
from .works import upload_work

pytestmark = pytest.mark.django_db

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
PROHIBITED = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED"


def test_xmp_data_mining_and_digital_source_type(creator, media_root):
    data = with_xmp(
        jpeg_bytes(),
        {
            "Xmp.plus.DataMining": PROHIBITED,
            "Xmp.iptcExt.DigitalSourceType": TRAINED,
            "Xmp.dc.creator": ["Someone Else"],
            "Xmp.dc.rights": {'lang="x-default"': "(c) Someone Else"},
        },
        {"Iptc.Application2.Byline": ["Iptc Author"]},
    )
    work = upload_work(creator, data)

    assert work.status == "pending_review"
    assert work.data_mining == PROHIBITED
    assert work.digital_source_type == TRAINED
    assert work.metadata_creator == "Someone Else"
    assert work.metadata["xmp"]["rights"] == "(c) Someone Else"
    assert work.metadata["iptc"]["byline"] == ["Iptc Author"]


def test_exif_artist_copyright_and_generator_software(creator, media_root):
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = "Jane Doe"
    exif[ExifTags.Base.Copyright] = "(c) Jane Doe 2026"
    exif[ExifTags.Base.Software] = "Midjourney v6"
    work = upload_work(creator, jpeg_bytes(exif=exif))

    assert work.metadata["exif"]["artist"] == "Jane Doe"
    assert work.metadata["exif"]["copyright"] == "(c) Jane Doe 2026"
    assert work.metadata_creator == "Jane Doe"
    assert any("Midjourney" in hint for hint in work.metadata["generator_hints"])


def test_a1111_parameters_chunk_is_read_as_a_generator_hint(creator, media_root):
    parameters = (
        "a castle at dusk, oil painting\nNegative prompt: blurry\n"
        "Steps: 30, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Model: sd_xl_base_1.0"
    )
    work = upload_work(creator, png_bytes(text={"parameters": parameters}), name="gen.png")

    assert work.metadata["png_text"]["parameters"].startswith("a castle at dusk")
    assert "AUTOMATIC1111 / Stable Diffusion web UI parameters" in work.metadata["generator_hints"]


def test_comfyui_workflow_chunk_is_a_generator_hint(creator, media_root):
    work = upload_work(
        creator, png_bytes(text={"prompt": '{"3": {"class_type": "KSampler"}}'}), name="comfy.png"
    )
    assert "ComfyUI prompt/workflow" in work.metadata["generator_hints"]


def test_signed_c2pa_manifest_with_ai_source_and_training_refusal(creator, media_root):
    signed = sign_image(
        jpeg_bytes(photo(seed=7)),
        digital_source_type=TRAINED,
        training_mining={"cawg.ai_generative_training": "notAllowed"},
        claim_generator="ImageGen/2.0",
    )
    work = upload_work(creator, signed)

    assert work.has_c2pa
    assert work.digital_source_type == TRAINED
    c2pa = work.metadata["c2pa"]
    assert "ImageGen" in c2pa["claim_generator"]
    assert c2pa["training_mining"]["cawg.ai_generative_training"] == "notAllowed"


def test_plain_file_has_empty_metadata_and_no_errors(creator, media_root):
    work = upload_work(creator, jpeg_bytes())
    assert work.metadata["errors"] == {}
    assert not work.has_c2pa
    assert work.digital_source_type == ""
    assert work.metadata["exif"] == {} or work.metadata["exif"].get("has_gps") is False


def test_huge_exif_is_clipped(creator, media_root):
    exif = Image.Exif()
    exif[ExifTags.Base.ImageDescription] = "x" * 60000
    work = upload_work(creator, jpeg_bytes(exif=exif))
    assert len(work.metadata["exif"]["description"]) <= 500


def test_png_xmp_packet_in_itxt_is_read(creator, media_root):
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        f'Iptc4xmpExt:DigitalSourceType="{TRAINED}"/></rdf:RDF></x:xmpmeta>'
    )
    out = io.BytesIO()
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet)
    photo().save(out, "PNG", pnginfo=info)
    work = upload_work(creator, out.getvalue(), name="x.png")
    assert work.digital_source_type == TRAINED
