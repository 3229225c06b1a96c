"""Public verification: an image (resized, re-encoded), a PDQ hash or a SHA-256 is matched
against the works the public catalog shows, with their running licenses; a private work reads
exactly as no work; bad input is a 400 with a code; the API is rate limited; nothing is stored."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from licensing.services.offers import offer_withdraw
from licensing.terms import PRESETS
from tests.factories import CONTEXT, BuyerFactory, CreatorFactory, StaffFactory
from transparency.selectors.verification import verified_works
from uploads.models import Work, WorkStatus
from uploads.services.history import work_status_set

from .factories import creator, grant, jpeg, picture, resized, uploaded_work

pytestmark = pytest.mark.django_db

URL = "/api/v1/verify/"


def team(name: str):
    return BuyerFactory(membership__organization__name=name).memberships.first().organization


@pytest.fixture
def licensed():
    """A listed work by a named creator under one running and one expired license."""
    owner = creator(named=True, name="Ada Lovelace")
    work = uploaded_work(owner, seed=101, title="Harbour at dawn")
    assert work.status == WorkStatus.LISTED and work.pdq_hash
    running = grant(team("Orbit Lab"), [work])
    expired = grant(team("Old Lab"), [work], starts_at=timezone.now() - timedelta(days=4 * 365))
    return work, running, expired


def post_image(client, data: bytes, name: str = "copy.jpg", **extra):
    upload = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return client.post(URL, {"file": upload}, format="multipart", **extra)


def without_query(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "query"}


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda im: jpeg(resized(im, 0.5)), id="half-size"),
        pytest.param(lambda im: jpeg(im, quality=60), id="jpeg-q60"),
        pytest.param(lambda im: jpeg(resized(im, 0.5), quality=60), id="half-size-q60"),
        pytest.param(
            lambda im: jpeg(im.transpose(Image.Transpose.FLIP_LEFT_RIGHT), quality=80),
            id="mirrored",
        ),
    ],
)
def test_a_resized_or_reencoded_copy_matches_with_its_running_licenses(
    api_client, licensed, transform
):
    work, running, _expired = licensed
    response = post_image(api_client, transform(picture(101)))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["matched"] is True and body["query"]["kind"] == "image"
    [found] = body["works"]
    assert (found["id"], found["title"], found["creator"]) == (
        str(work.uuid),
        "Harbour at dawn",
        "Ada Lovelace",
    )
    assert found["match"] == "near" and 0 <= found["distance"] <= 31
    assert found["thumbnail_url"].endswith(f"/catalog/works/{work.id}/thumbnail/")
    # Only the running license; the one that expired is not listed as active.
    [license_] = found["active_licenses"]
    assert license_["license"] == str(running.uuid)
    assert license_["team"] == "Orbit Lab"
    assert license_["url"].endswith(f"/public/licenses/{running.uuid}/")
    assert license_["terms"] == PRESETS["generative-commercial-3y"].terms.canonical()
    assert license_["terms_summary"][0].startswith("The team may ")
    assert "Commercial use is allowed." in license_["terms_summary"]
    assert license_["expires_at"] == running.items.get().expires_at.isoformat()
    assert "Old Lab" not in response.content.decode()


def test_an_unrelated_image_matches_nothing(api_client, licensed):
    unrelated = Image.effect_mandelbrot((640, 480), (-2.0, -1.2, 1.0, 1.2), 60).convert("RGB")
    response = post_image(api_client, jpeg(unrelated))
    assert response.status_code == 200
    assert response.json()["matched"] is False and response.json()["works"] == []


def test_exact_bytes_by_sha256_and_the_picture_by_pdq(api_client, licensed):
    work, _running, _ = licensed
    by_sha = api_client.post(URL, {"sha256": work.sha256.upper()}, format="json").json()
    assert by_sha["matched"] and by_sha["works"][0]["match"] == "exact"
    assert by_sha["works"][0]["distance"] == 0
    assert [entry["team"] for entry in by_sha["works"][0]["active_licenses"]] == ["Orbit Lab"]

    by_pdq = api_client.post(URL, {"pdq": work.pdq_hash}, format="json").json()
    assert by_pdq["matched"] and by_pdq["works"][0]["id"] == str(work.uuid)
    assert by_pdq["query"] == {
        "kind": "pdq",
        "sha256": None,
        "pdq": work.pdq_hash,
        "pdq_quality": None,
        "near_search": True,
    }

    # The uploaded original itself: an exact match, found once.
    original = api_client.post(
        URL, {"file": SimpleUploadedFile("o.jpg", jpeg(picture(101)))}, format="multipart"
    ).json()
    assert [(w["id"], w["match"]) for w in original["works"]] == [(str(work.uuid), "exact")]


def test_a_creator_who_did_not_choose_to_be_named_is_not_named(api_client):
    owner = creator(named=False, name="Secret Person")
    work = uploaded_work(owner, seed=102, title="Quiet field")
    grant(team("Orbit Lab"), [work])
    response = api_client.post(URL, {"pdq": work.pdq_hash}, format="json")
    [found] = response.json()["works"]
    assert found["creator"] is None and found["title"] == "Quiet field"
    assert "Secret Person" not in response.content.decode()
    assert owner.email not in response.content.decode()
    assert "1234" not in response.content.decode() and "12.34" not in response.content.decode()


@pytest.mark.parametrize("hide", ["held", "rejected", "removed", "withdrawn"])
def test_a_copy_of_a_private_work_answers_exactly_like_no_match(api_client, hide):
    owner = creator(named=True, name="Grace Hopper")
    work = uploaded_work(owner, seed=103, title="Private harbour", screen=hide != "held")
    grant(team("Orbit Lab"), [work])
    if hide in ("rejected", "removed"):
        work_status_set(work=work, status=hide, reason="test")
        work.save()
    elif hide == "withdrawn":
        offer_withdraw(offer=work.offers.get(), actor=owner, context=CONTEXT)
    assert (
        Work.objects.get(id=work.id).status
        == {
            "held": WorkStatus.PENDING_REVIEW,
            "rejected": "rejected",
            "removed": "removed",
            "withdrawn": WorkStatus.LISTED,
        }[hide]
    )

    copy = post_image(api_client, jpeg(resized(picture(103), 0.5), quality=60))
    nothing = post_image(api_client, jpeg(picture(9103)))
    by_pdq = api_client.post(URL, {"pdq": work.pdq_hash}, format="json")
    by_sha = api_client.post(URL, {"sha256": work.sha256}, format="json")

    for response in (copy, nothing, by_pdq, by_sha):
        assert response.status_code == 200
        assert without_query(response.json()) == {"matched": False, "works": []}
        text = response.content.decode()
        assert "Private harbour" not in text and "Grace Hopper" not in text
        assert "Orbit Lab" not in text


def test_the_lookup_does_the_same_work_for_private_public_and_no_candidates(
    django_assert_num_queries,
):
    owner = creator(named=True)
    public = uploaded_work(owner, seed=104, title="Public")
    private = uploaded_work(owner, seed=105, title="Held", screen=False)
    grant(team("Orbit Lab"), [public, private])
    for candidates in ({}, {private.id: 3}, {public.id: 3}, {private.id: 3, public.id: 5}):
        with django_assert_num_queries(2):
            found = verified_works(sha256=None, near=candidates)
        assert [w.id for w in found] == ([public.id] if public.id in candidates else [])
    for sha in (None, private.sha256, "0" * 64, public.sha256):
        with django_assert_num_queries(2):
            verified_works(sha256=sha, near={})


def test_a_private_match_costs_the_same_queries_as_no_match():
    """From the near-duplicate search through the answer: an image matching a work that may
    not be shown does the same database work as one matching nothing (no timing tells)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from transparency.verification import verification_query_parse, verification_run

    owner = creator(named=True)
    private = uploaded_work(owner, seed=106, title="Held", screen=False)
    unrelated = "".join(f"{(i * 37) % 256:02x}" for i in range(32))
    verification_run(verification_query_parse(pdq=unrelated))  # the index is built once
    counts = {}
    for label, pdq in (("private", private.pdq_hash), ("nothing", unrelated)):
        with CaptureQueriesContext(connection) as queries:
            result = verification_run(verification_query_parse(pdq=pdq))
        assert not result.is_matched
        counts[label] = len(queries)
    assert counts["private"] == counts["nothing"], counts


@pytest.mark.parametrize(
    ("payload", "fmt", "code"),
    [
        ({}, "json", "missing_input"),
        ({"pdq": ""}, "json", "missing_input"),
        ({"pdq": "ab" * 32, "sha256": "cd" * 32}, "json", "too_many_inputs"),
        ({"pdq": "zz" * 32}, "json", "invalid_hash"),
        ({"pdq": "ab" * 31}, "json", "invalid_hash"),
        ({"sha256": "ab" * 33}, "json", "invalid_hash"),
        ({"sha256": {"x": 1}}, "json", "invalid_hash"),
        ({"file": b"%PDF-1.4 not an image"}, "multipart", "unsupported_type"),
        ({"file": b"plain text, not an image at all"}, "multipart", "unsupported_type"),
        ({"file": b"\xff\xd8\xff\xe0" + b"\x00" * 200}, "multipart", "corrupt_image"),
        ({"file": b""}, "multipart", "empty_file"),
        ({"file": "tiny"}, "multipart", "too_small"),
        ({"file": "image", "pdq": "ab" * 32}, "multipart", "too_many_inputs"),
    ],
)
def test_bad_input_is_a_400_with_a_code(api_client, payload, fmt, code):
    data = dict(payload)
    if "file" in data:
        raw = data["file"]
        if raw == "tiny":
            raw = jpeg(picture(1).resize((40, 30)))
        elif raw == "image":
            raw = jpeg(picture(1))
        data["file"] = SimpleUploadedFile("x.jpg", raw)
    response = api_client.post(URL, data, format=fmt)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code and response.json()["message"]


def test_too_big_a_file_is_refused(api_client, settings):
    data = jpeg(picture(1))
    settings.UPLOAD_MAX_BYTES = len(data) - 1
    response = post_image(api_client, data)
    assert response.status_code == 400 and response.json()["code"] == "too_large"


def test_too_many_pixels_is_refused_before_decoding(api_client, settings):
    settings.UPLOAD_MAX_PIXELS = 100 * 100
    response = post_image(api_client, jpeg(picture(1)))
    assert response.status_code == 400 and response.json()["code"] == "too_many_pixels"


def test_nothing_the_visitor_sends_is_stored(api_client, licensed, media_root):
    files_before = sorted(p for p in media_root.rglob("*") if p.is_file())
    works_before = Work.objects.count()
    post_image(api_client, jpeg(resized(picture(101), 0.5)))
    post_image(api_client, jpeg(picture(555)))
    assert sorted(p for p in media_root.rglob("*") if p.is_file()) == files_before
    assert Work.objects.count() == works_before


@pytest.mark.parametrize("role", ["anonymous", "creator", "buyer", "staff"])
def test_anyone_may_verify(api_client, licensed, role):
    users = {"creator": CreatorFactory, "buyer": BuyerFactory, "staff": StaffFactory}
    if role != "anonymous":
        api_client.force_authenticate(users[role]())
    response = api_client.post(URL, {"sha256": licensed[0].sha256}, format="json")
    assert response.status_code == 200 and response.json()["matched"] is True


def test_verification_is_rate_limited(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "verify": "3/minute",
        },
    }
    codes = [
        api_client.post(URL, {"sha256": "ab" * 32}, format="json", REMOTE_ADDR="10.0.0.7")
        for _ in range(4)
    ]
    assert [r.status_code for r in codes] == [200, 200, 200, 429]
    assert codes[-1].json()["code"] == "throttled"
    # Another address has its own allowance.
    other = api_client.post(URL, {"sha256": "ab" * 32}, format="json", REMOTE_ADDR="10.0.0.8")
    assert other.status_code == 200
    # The page shares the limit with the API.
    page = api_client.post("/verify/", {"hash": "ab" * 32}, REMOTE_ADDR="10.0.0.7")
    assert page.status_code == 429 and "Too many checks" in page.content.decode()


# --- The page -------------------------------------------------------------------------------


def test_the_page_checks_an_uploaded_copy(client, licensed):
    _work, running, _ = licensed
    assert client.get("/verify/").status_code == 200
    upload = SimpleUploadedFile("copy.jpg", jpeg(resized(picture(101), 0.5), quality=60))
    page = client.post("/verify/", {"file": upload})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-matched="true"' in html and "Harbour at dawn" in html and "Ada Lovelace" in html
    assert "Orbit Lab" in html and f"/public/licenses/{running.uuid}/" in html
    assert "Old Lab" not in html


def test_the_page_checks_a_hash_and_explains_errors(client, licensed):
    work = licensed[0]
    found = client.post("/verify/", {"hash": work.sha256, "hash_kind": "sha256"})
    assert 'data-matched="true"' in found.content.decode()
    none = client.post("/verify/", {"hash": "0" * 64, "hash_kind": "pdq"})
    assert 'data-matched="false"' in none.content.decode() and "No match" in none.content.decode()
    bad = client.post("/verify/", {"hash": "nothex"})
    assert bad.status_code == 400 and 'data-code="invalid_hash"' in bad.content.decode()
    empty = client.post("/verify/", {})
    assert empty.status_code == 400 and 'data-code="missing_input"' in empty.content.decode()


def test_a_featureless_image_is_only_checked_for_an_exact_copy(api_client, licensed):
    flat = Image.new("RGB", (640, 480), (120, 120, 120))
    buffer = io.BytesIO()
    flat.save(buffer, "PNG")
    body = api_client.post(
        URL, {"file": SimpleUploadedFile("flat.png", buffer.getvalue())}, format="multipart"
    ).json()
    assert body["query"]["pdq_quality"] < 50 and body["query"]["near_search"] is False
    assert body["matched"] is False
