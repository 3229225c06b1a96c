"""The metadata panel of a creator's work page reads as words: EXIF dates written out, a
generator's JSON as key: value lines, codes as words; and its history never names a person for
what no person did, nor staff or a claimant by their address."""

from __future__ import annotations

import json
import re

import pytest
from PIL import ExifTags, Image

from tests.factories import CreatorFactory, StaffFactory, WorkFactory
from uploads.metadata.display import metadata_sections
from uploads.models import WorkStatus
from uploads.services.history import work_status_set

from .images import jpeg_bytes, png_bytes
from .works import upload_work

pytestmark = pytest.mark.django_db

COMFY_PROMPT = {
    "3": {
        "class_type": "KSampler",
        "inputs": {"seed": 8566257, "steps": 20, "cfg": 8, "model": ["4", 0]},
    },
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "v1-5.safetensors"}},
}
TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def panel(html: str) -> str:
    start = html.index("What the file says about itself")
    return html[start : html.index("History", start)]


def fields(metadata: dict) -> dict[str, object]:
    return {
        f.label: f.lines or f.text
        for section in metadata_sections(metadata)
        for f in section.fields
    }


def test_an_exif_date_is_written_out(creator, client, media_root):
    exif = Image.Exif()
    exif[ExifTags.Base.DateTime] = "2026:10:03 17:22:10"
    exif[ExifTags.Base.Orientation] = 6
    work = upload_work(creator, jpeg_bytes(exif=exif))
    client.force_login(creator)

    html = panel(client.get(f"/studio/works/{work.id}/").content.decode())

    assert "3 October 2026, 17:22" in html
    assert "2026:10:03" not in html
    assert "Turned a quarter right" in html


def test_a_generators_json_is_shown_as_key_value_lines(creator, client, media_root):
    data = png_bytes(text={"prompt": json.dumps(COMFY_PROMPT)})
    work = upload_work(creator, data, name="comfy.png")
    client.force_login(creator)

    html = panel(client.get(f"/studio/works/{work.id}/").content.decode())

    assert "<li>KSampler: seed 8566257, steps 20, cfg 8</li>" in html
    assert "<li>CheckpointLoaderSimple: ckpt_name v1-5.safetensors</li>" in html
    assert "class_type" not in html and "{&quot;" not in html and '{"' not in html


def test_json_cut_short_still_reads_as_lines():
    cut = json.dumps({"nodes": [{"id": 1, "type": "KSampler", "widgets_values": [1, 2]}]})[:40]
    (lines,) = fields({"png_text": {"workflow": cut}}).values()
    assert lines[0] == "id: 1" and "type: KSampler" in lines
    assert lines[-1] == "(cut short: only its start was kept)"


def test_content_credentials_read_as_words():
    shown = fields(
        {
            "xmp": {"digital_source_type": TRAINED, "keywords": ["harbour", "dawn"]},
            "c2pa": {
                "actions": ["c2pa.created", "c2pa.color_adjustments"],
                "training_mining": {"cawg.ai_generative_training": "notAllowed"},
                "signer": {"issuer": "Example CA", "time": "2026-10-03T17:22:10+00:00"},
            },
            "exif": {"has_gps": True, "datetime_original": "0000:00:00 00:00:00"},
        }
    )
    assert shown["Digital source type"] == "Trained algorithmic media"
    assert shown["Keywords"] == "harbour, dawn"
    assert shown["Actions"] == "created, color adjustments"
    assert shown["Training and mining"] == ["AI generative training: not allowed"]
    assert shown["Signed by"] == ["Issuer: Example CA", "Signed at: 3 October 2026, 17:22"]
    assert shown["GPS location"] == "Yes"
    # A camera without a clock writes zeros: not a date, so shown as it is.
    assert shown["Date taken"] == "0000:00:00 00:00:00"


def test_a1111_settings_are_one_a_line():
    parameters = "a castle\nNegative prompt: blurry\nSteps: 30, Sampler: Euler a, Seed: 12"
    assert fields({"png_text": {"parameters": parameters}})["Generation settings"] == [
        "a castle",
        "Negative prompt: blurry",
        "Steps: 30",
        "Sampler: Euler a",
        "Seed: 12",
    ]


def test_the_history_names_who_changed_the_status(client, media_root):
    creator, staff, claimant = CreatorFactory(), StaffFactory(), CreatorFactory()
    work = WorkFactory(owner=creator, status=WorkStatus.PROCESSING)
    work_status_set(work=work, status=WorkStatus.PENDING_REVIEW, reason="Being checked.")
    work_status_set(work=work, status=WorkStatus.LISTED, reason="Checked on upload.")
    work_status_set(work=work, status=WorkStatus.PENDING_REVIEW, reason="Claimed.", actor=claimant)
    work_status_set(work=work, status=WorkStatus.LISTED, reason="Dismissed.", actor=staff)
    client.force_login(creator)

    html = client.get(f"/studio/works/{work.id}/").content.decode()

    by = re.findall(r'data-testid="change-by">· ([^<]+)</span>', html)
    assert by == ["Automatic", "Automatic screening", "A rights claim", "Assent staff"]
    assert staff.email not in html and claimant.email not in html and "None" not in by
