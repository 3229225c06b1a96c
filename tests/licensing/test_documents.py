"""The same terms for people and for machines: RSL XML, the CAWG training-and-mining assertion,
the XMP packet delivered files carry (read back by our own intake), and the public pages."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import numpy as np
import pyexiv2
import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from PIL import Image

from licensing import documents
from licensing.consent import ConsentContext
from licensing.models import Offer
from licensing.services.offers import offer_create, offer_withdraw
from licensing.terms import PRESETS, LicenseTerms, OnExpiry, Use
from tests.factories import BuyerFactory, CreatorFactory, StaffFactory
from tests.uploads.images import jpeg_bytes, photo, png_bytes
from tests.uploads.works import upload_work
from uploads.metadata.extract import extract_metadata
from uploads.metadata.xmp_iptc import read_xmp_iptc
from uploads.services.works import work_review_decide

RSL = "{https://rslstandard.org/rsl}"
CAWG_USES = {"allowed", "notAllowed", "constrained"}
CAWG_ENTRIES = {
    "cawg.ai_generative_training",
    "cawg.ai_training",
    "cawg.ai_inference",
    "cawg.data_mining",
}


class FakeOffer:
    """What rsl_xml reads from an offer."""

    def __init__(self, terms: LicenseTerms, price_amount: int, currency: str):
        self.terms, self.price_amount, self.currency = terms, price_amount, currency


def rsl(terms, price_amount=1250, currency="USD", **kw) -> str:
    args = {
        "content_url": "https://assent.example/offers/x/",
        "license_url": "https://assent.example/licenses/terms/abc/",
        "copyright_holder": "Ada Okafor",
        **kw,
    }
    return documents.rsl_xml(FakeOffer(terms, price_amount, currency), **args)


def usage(root, tag: str, kind: str) -> set[str]:
    tokens = set()
    for el in root.iter(f"{RSL}{tag}"):
        if el.get("type") == kind:
            tokens |= set((el.text or "").split())
    return tokens


# --- RSL ---------------------------------------------------------------------------------------


def test_rsl_is_xml_in_the_rsl_namespace_without_prefixes():
    text = rsl(PRESETS["generative-commercial-3y"].terms)
    root = ET.fromstring(text.encode())
    assert root.tag == f"{RSL}rsl"
    assert '<rsl xmlns="https://rslstandard.org/rsl">' in text
    assert "ns0:" not in text and "xmlns:ns0" not in text
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    content = root.find(f"{RSL}content")
    assert content.get("url") == "https://assent.example/offers/x/"
    assert root.find(f"{RSL}content/{RSL}copyright").text == "Ada Okafor"
    assert (
        root.find(f"{RSL}content/{RSL}license/{RSL}legal").text
        == "https://assent.example/licenses/terms/abc/"
    )


def test_rsl_permits_training_for_generative_commercial_terms():
    root = ET.fromstring(rsl(PRESETS["generative-commercial-3y"].terms))
    assert "ai-train" in usage(root, "permits", "usage")
    assert usage(root, "permits", "user") == {"commercial", "non-commercial"}
    assert usage(root, "prohibits", "user") == set()


def test_rsl_prohibits_commercial_use_for_non_commercial_terms():
    root = ET.fromstring(rsl(PRESETS["nongenerative-research-5y"].terms))
    assert usage(root, "permits", "user") == {"non-commercial"}
    prohibits = [el for el in root.iter(f"{RSL}prohibits") if el.get("type") == "user"]
    assert [el.text for el in prohibits] == ["commercial"]


def test_rsl_evaluation_only_does_not_permit_training():
    root = ET.fromstring(rsl(PRESETS["evaluation-1y"].terms))
    assert "ai-train" not in usage(root, "permits", "usage")
    assert "ai-train" in usage(root, "prohibits", "usage")
    assert usage(root, "permits", "usage") == {"ai-input"}


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (1250, "USD", "12.50"),
        (3000, "JPY", "3000"),
        (200, "EUR", "2.00"),
        (5, "GBP", "0.05"),
        (123456789, "USD", "1234567.89"),
    ],
)
def test_rsl_payment_matches_the_offer(amount, currency, text):
    root = ET.fromstring(rsl(PRESETS["evaluation-1y"].terms, amount, currency))
    payment = root.find(f"{RSL}content/{RSL}license/{RSL}payment")
    assert payment.get("type") == "training"
    amount_el = payment.find(f"{RSL}amount")
    assert (amount_el.get("currency"), amount_el.text) == (currency, text)


names = st.text(
    alphabet=st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters="\x85"),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip())


@hsettings(max_examples=100)
@given(names)
def test_rsl_escapes_any_rights_holder(holder):
    root = ET.fromstring(rsl(PRESETS["evaluation-1y"].terms, copyright_holder=holder))
    assert root.find(f"{RSL}content/{RSL}copyright").text == holder


# --- CAWG --------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(PRESETS))
def test_cawg_assertion_shape(key):
    assertion = documents.cawg_training_mining(PRESETS[key].terms, license_url="https://l/")
    assert assertion["label"] == "cawg.training-mining"
    entries = assertion["data"]["entries"]
    assert set(entries) == CAWG_ENTRIES
    for entry in entries.values():
        assert entry["use"] in CAWG_USES
        if entry["use"] == "constrained":
            assert "https://l/" in entry["constraints_info"]
    json.dumps(assertion)  # it is JSON as it stands


def test_cawg_evaluation_only_forbids_training():
    entries = documents.cawg_training_mining(PRESETS["evaluation-1y"].terms, license_url="u")[
        "data"
    ]["entries"]
    assert entries["cawg.ai_generative_training"]["use"] == "notAllowed"
    assert entries["cawg.ai_training"]["use"] == "notAllowed"
    assert entries["cawg.ai_inference"]["use"] == "constrained"
    assert entries["cawg.data_mining"]["use"] == "notAllowed"


def test_cawg_generative_terms_allow_generative_training_only_under_the_license():
    entries = documents.cawg_training_mining(
        PRESETS["generative-commercial-3y"].terms, license_url="u"
    )["data"]["entries"]
    assert entries["cawg.ai_generative_training"]["use"] == "constrained"
    assert entries["cawg.ai_training"]["use"] == "constrained"
    # Nothing is ever allowed outright: every use goes through a license.
    assert all(e["use"] != "allowed" for e in entries.values())


@given(st.frozensets(st.sampled_from(list(Use)), min_size=1))
def test_cawg_never_allows_more_than_the_terms(uses):
    terms = LicenseTerms(uses, False, 12, OnExpiry.STOP_TRAINING)
    entries = documents.cawg_training_mining(terms, license_url="u")["data"]["entries"]
    assert (entries["cawg.ai_generative_training"]["use"] == "constrained") == (
        Use.GENERATIVE in uses
    )
    trains = {Use.GENERATIVE, Use.NONGENERATIVE, Use.FINE_TUNE}
    assert (entries["cawg.ai_training"]["use"] == "constrained") == bool(uses & trains)
    assert entries["cawg.data_mining"]["use"] == "notAllowed"


# --- XMP for delivered copies --------------------------------------------------------------------

LICENSE_URL = "https://assent.example/licenses/terms/abc/?v=1&lang=en"
EXPIRES = datetime(2029, 11, 30, 12, 0, tzinfo=UTC)
SMALL_JPEG = jpeg_bytes(photo(64, 64, seed=11))


def packet(**kw) -> str:
    args = {
        "license_id": "LIC-7f3a",
        "terms": PRESETS["nongenerative-research-5y"].terms,
        "expires_at": EXPIRES,
        "license_url": LICENSE_URL,
        "creator": "Ada Okafor",
        "rights_holder": "Okafor Studio & Co",
    }
    return documents.xmp_packet(**{**args, **kw})


def embed(data: bytes, xmp: str) -> bytes:
    image = pyexiv2.ImageData(data)
    try:
        image.modify_raw_xmp(xmp)
        return image.get_bytes()
    finally:
        image.close()


def test_the_xmp_packet_is_xml():
    text = packet()
    start, end = text.index("<x:xmpmeta"), text.index("</x:xmpmeta>") + len("</x:xmpmeta>")
    root = ET.fromstring(text[start:end])
    rdf = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
    description = root.find(f"{rdf}RDF/{rdf}Description")
    mining = description.find(f"{{{documents.PLUS_NS}}}DataMining")
    assert mining.text == "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-SEECONSTRAINT"


def test_the_xmp_packet_reads_back_through_our_intake():
    original = jpeg_bytes(photo(320, 240, seed=7))
    marked = embed(original, packet())
    xmp, _iptc = read_xmp_iptc(marked)
    assert xmp["data_mining"] == "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-SEECONSTRAINT"
    assert xmp["rights"] == f"© Okafor Studio & Co. Licensed for AI training under {LICENSE_URL}"
    assert xmp["creator"] == ["Ada Okafor"]
    assert xmp["web_statement"] == LICENSE_URL
    assert "LIC-7f3a" in xmp["other_constraints"]
    assert "2029-11-30" in xmp["other_constraints"]
    assert "non-commercial" in xmp["other_constraints"]
    assert "stop-training" in xmp["other_constraints"]
    assert xmp["rights_marked"] in ("True", True)

    # The whole intake reader sees a licensed copy for what it is.
    summary = extract_metadata(marked, Image.open(io.BytesIO(marked)), "image/jpeg")
    assert summary.data["errors"] == {}
    assert summary.data_mining == documents.DMI_SEE_CONSTRAINT
    assert summary.creator == "Ada Okafor"
    assert summary.data["xmp"]["web_statement"] == LICENSE_URL


def decoded(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


@pytest.mark.parametrize(
    "make",
    [
        lambda: jpeg_bytes(photo(320, 240, seed=8)),
        lambda: jpeg_bytes(photo(320, 240, seed=9), progressive=True),
        lambda: png_bytes(photo(96, 64, seed=10)),
    ],
)
def test_embedding_the_packet_leaves_the_pixels_alone(make):
    """Buyers train on the delivered file: the license must travel without touching a pixel."""
    original = make()
    marked = embed(original, packet())
    assert marked != original
    assert np.array_equal(decoded(original), decoded(marked))
    assert read_xmp_iptc(marked)[0]["data_mining"] == documents.DMI_SEE_CONSTRAINT


@hsettings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(creator=names, holder=names)
def test_any_names_survive_the_round_trip(creator, holder):
    xmp, _ = read_xmp_iptc(embed(SMALL_JPEG, packet(creator=creator, rights_holder=holder)))
    assert xmp["creator"] == [creator.strip()]
    assert xmp["rights"].startswith(f"© {holder}".strip())


@pytest.mark.parametrize("name", ["Ada\x01Okafor", "Ada\x0bOkafor", "Ada\x1fOkafor"])
def test_a_control_character_in_a_name_does_not_break_the_packet(name):
    """Display names and rights holders are typed by people; a stray control character must not
    make every delivered copy of their works carry broken XMP."""
    text = packet(creator=name, rights_holder=name)
    start, end = text.index("<x:xmpmeta"), text.index("</x:xmpmeta>") + len("</x:xmpmeta>")
    ET.fromstring(text[start:end])
    xmp, _ = read_xmp_iptc(embed(SMALL_JPEG, text))
    assert xmp["data_mining"] == documents.DMI_SEE_CONSTRAINT


@pytest.mark.parametrize("name", ["Ada\x01Okafor", "Ada\x1fOkafor"])
def test_a_control_character_in_the_rights_holder_does_not_break_rsl(name):
    ET.fromstring(rsl(PRESETS["evaluation-1y"].terms, copyright_holder=name))


# --- Public pages --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_terms_page_is_public_for_a_preset(client):
    terms = PRESETS["generative-commercial-3y"].terms
    page = client.get(f"/licenses/terms/{terms.hash}/")
    assert page.status_code == 200
    content = page.content.decode()
    assert terms.hash in content
    assert documents.text_hash(documents.license_text(terms)) in content
    plain = client.get(f"/licenses/terms/{terms.hash}/", {"format": "txt"})
    assert plain.status_code == 200
    assert plain["Content-Type"].startswith("text/plain")
    assert plain.content.decode() == documents.license_text(terms)
    assert plain.content.decode().startswith(
        f"ASSENT AI TRAINING LICENSE — text version {django_settings.LICENSE_TEXT_VERSION}"
    )


@pytest.mark.django_db
def test_an_unknown_terms_hash_is_not_found(client):
    assert client.get(f"/licenses/terms/{'0' * 64}/").status_code == 404
    assert client.get("/licenses/terms/not-a-hash/").status_code == 404


def offer_on(work, terms_key="evaluation-1y", price=3000, currency="JPY") -> Offer:
    return offer_create(
        work=work,
        actor=work.owner,
        terms=PRESETS[terms_key].terms,
        price_amount=price,
        currency=currency,
        consent=True,
        context=ConsentContext(ip_address="127.0.0.1"),
        preset=terms_key,
    )


@pytest.mark.django_db
def test_custom_terms_get_a_public_page_once_offered(client, creator, media_root):
    work = upload_work(creator, jpeg_bytes(photo(160, 120, seed=12)))
    terms = LicenseTerms(frozenset({Use.INPUT}), False, 7, OnExpiry.STOP_TRAINING)
    assert client.get(f"/licenses/terms/{terms.hash}/").status_code == 404
    offer_create(
        work=work,
        actor=creator,
        terms=terms,
        price_amount=900,
        currency="USD",
        consent=True,
        context=ConsentContext(),
    )
    plain = client.get(f"/licenses/terms/{terms.hash}/", {"format": "txt"})
    assert plain.status_code == 200
    assert plain.content.decode() == documents.license_text(terms)
    assert work.title not in plain.content.decode()  # the terms page names no work


@pytest.mark.django_db
def test_machine_readable_offers_are_public_only_while_on_sale(client, creator, media_root):
    work = upload_work(creator, jpeg_bytes(photo(160, 120, seed=13)), rights_holder="Mori Ltd")
    offer = offer_on(work)
    urls = [f"/offers/{offer.uuid}/rsl.xml", f"/offers/{offer.uuid}/cawg.json"]

    def statuses(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return [client.get(url).status_code for url in urls]

    # Waiting for review: only its creator (and staff) see it.
    assert statuses(None) == [404, 404]
    assert statuses(CreatorFactory()) == [404, 404]
    assert statuses(BuyerFactory()) == [404, 404]
    assert statuses(creator) == [200, 200]
    # Approved: anyone.
    work_review_decide(work=work, approve=True, reason="", actor=StaffFactory())
    assert statuses(None) == [200, 200]
    assert statuses(BuyerFactory()) == [200, 200]

    client.logout()
    response = client.get(urls[0])
    assert response["Content-Type"].startswith("application/rsl+xml")
    root = ET.fromstring(response.content)
    license_url = f"{django_settings.SITE_URL}/licenses/terms/{offer.terms_hash}/"
    amount = root.find(f"{RSL}content/{RSL}license/{RSL}payment/{RSL}amount")
    assert (amount.get("currency"), amount.text) == ("JPY", "3000")
    assert root.find(f"{RSL}content/{RSL}copyright").text == "Mori Ltd"
    assert root.find(f"{RSL}content/{RSL}terms").text == license_url
    assert root.find(f"{RSL}content").get("url").endswith(f"/offers/{offer.uuid}/")
    assert usage(root, "permits", "usage") == {"ai-input"}

    cawg = client.get(urls[1]).json()
    assert cawg["label"] == "cawg.training-mining"
    assert cawg["data"]["entries"]["cawg.ai_generative_training"]["use"] == "notAllowed"
    assert license_url in cawg["data"]["entries"]["cawg.ai_inference"]["constraints_info"]

    # Withdrawn: gone from public view again.
    offer_withdraw(offer=offer, actor=creator, context=ConsentContext())
    assert statuses(None) == [404, 404]
    assert statuses(creator) == [200, 200]


@pytest.mark.django_db
def test_a_retired_offer_is_not_public_but_its_replacement_is(client, creator, media_root):
    work = upload_work(creator, jpeg_bytes(photo(160, 120, seed=14)))
    work_review_decide(work=work, approve=True, reason="", actor=StaffFactory())
    old = offer_on(work, price=3000)
    new = offer_on(work, price=3500)
    assert client.get(f"/offers/{old.uuid}/rsl.xml").status_code == 404
    response = client.get(f"/offers/{new.uuid}/rsl.xml")
    assert response.status_code == 200
    amount = ET.fromstring(response.content).find(
        f"{RSL}content/{RSL}license/{RSL}payment/{RSL}amount"
    )
    assert amount.text == "3500"


@pytest.mark.django_db
def test_unknown_offers_are_not_found(client):
    assert client.get("/offers/00000000-0000-0000-0000-000000000000/rsl.xml").status_code == 404
    assert client.get("/offers/00000000-0000-0000-0000-000000000000/cawg.json").status_code == 404
