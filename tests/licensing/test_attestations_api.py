"""`/api/v1/models/<uuid>/attestations/`: who may attest and list, what comes back, and bad
input answered as JSON errors (never a 500); and the owner's page that signs it. The same page in
a real browser is in tests/e2e/test_licensing_pages.py."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import MembershipRole
from licensing.models import DestructionAttestation, GrantStatus
from tests.factories import BuyerFactory, member_of, team_of
from tests.licensing.lifecycle_helpers import attest_page

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(media_root):
    return media_root


def url(declaration):
    return f"/api/v1/models/{declaration.uuid}/attestations/"


BODY = {"destroyed_on": None, "method": "Wiped the weights bucket and every checkpoint."}


def body(**kw):
    return {**BODY, "destroyed_on": timezone.localdate().isoformat(), **kw}


def test_owner_attests_with_json(api_client, buyer, declaration):
    api_client.force_authenticate(buyer)
    response = api_client.post(url(declaration), body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["model"] == {"uuid": str(declaration.uuid), "name": "Orbit", "version": "3"}
    assert data["attested_by"] == buyer.email and data["signature_valid"] is True
    assert "Wiped the weights bucket" in data["statement"] and len(data["signature"]) == 64
    item = declaration.items.get()
    item.refresh_from_db()
    assert item.status == GrantStatus.DESTROYED  # it had expired: the duty is met

    listed = api_client.get(url(declaration))
    assert listed.status_code == 200 and [a["uuid"] for a in listed.json()] == [data["uuid"]]


def test_owner_attests_with_multipart_evidence(api_client, buyer, declaration):
    api_client.force_authenticate(buyer)
    evidence = SimpleUploadedFile("wipe-log.txt", b"rm -rf s3://models/orbit-3\n")
    response = api_client.post(url(declaration), body(evidence=evidence), format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["evidence_filename"] == "wipe-log.txt"
    assert response.json()["evidence_sha256"] in response.json()["statement"]


@pytest.mark.parametrize(
    "who, expected",
    [("anonymous", 401), ("creator", 403), ("member", 403), ("other_owner", 404), ("staff", 403)],
)
def test_who_may_attest(api_client, buyer, creator, staff, declaration, who, expected):
    users = {
        "creator": creator,
        "staff": staff,
        "member": member_of(team_of(buyer), role=MembershipRole.MEMBER),
        "other_owner": BuyerFactory(),
    }
    if who != "anonymous":
        api_client.force_authenticate(users[who])
    response = api_client.post(url(declaration), body(), format="json")
    assert response.status_code in ((401, 403) if who == "anonymous" else (expected,))
    assert set(response.json()) >= {"code", "message"}
    if who == "member":
        assert response.json()["code"] == "not_owner"
    assert not DestructionAttestation.objects.exists()


def test_a_member_lists_but_an_outsider_cannot(api_client, buyer, declaration):
    member = member_of(team_of(buyer), role=MembershipRole.MEMBER)
    api_client.force_authenticate(member)
    assert api_client.get(url(declaration)).json() == []
    api_client.force_authenticate(BuyerFactory())
    assert api_client.get(url(declaration)).status_code == 404


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"destroyed_on": "not a date"}, "destroyed_on"),
        ({"destroyed_on": "2999-01-01"}, "destroyed_on"),
        ({"destroyed_on": "1999-01-01"}, "destroyed_on"),
        ({"method": ""}, "method"),
        ({"method": "x" * 2001}, "method"),
    ],
)
def test_bad_input_is_a_json_400(api_client, buyer, declaration, payload, field):
    api_client.force_authenticate(buyer)
    response = api_client.post(url(declaration), body(**payload), format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_hostile_evidence_is_a_json_400(api_client, buyer, declaration):
    api_client.force_authenticate(buyer)
    evidence = SimpleUploadedFile("proof.pdf", b"MZ\x90\x00" + bytes(100))
    response = api_client.post(url(declaration), body(evidence=evidence), format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "evidence_type"


def test_unknown_model_is_404(api_client, buyer):
    api_client.force_authenticate(buyer)
    response = api_client.post(
        "/api/v1/models/00000000-0000-0000-0000-000000000000/attestations/", body(), format="json"
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"


# --- The page: /team/models/<uuid>/attest/ ----------------------------------------------------


def test_the_owner_reads_the_full_statement_and_signs(client, buyer, declaration):
    client.force_login(buyer)
    response = client.get(attest_page(declaration))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Attest that Orbit 3 was destroyed" in html and "Sign and attest" in html
    assert f"I, {buyer.email}, an owner of the team" in html and str(declaration.uuid) in html
    assert declaration.items.get().work_title in html

    evidence = SimpleUploadedFile("log.txt", b"deleted\n")
    response = client.post(
        attest_page(declaration),
        {
            "destroyed_on": timezone.localdate().isoformat(),
            "method": "Shredded the disks.",
            "evidence": evidence,
            "confirm": "on",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "is attested destroyed" in html and "Signature verified" in html
    att = DestructionAttestation.objects.get()
    assert att.statement in html.replace("&quot;", '"').replace("&#x27;", "'") or (
        "Shredded the disks." in html
    )
    assert att.evidence_filename == "log.txt"


def test_the_owner_must_tick_the_signature_and_sees_errors(client, buyer, declaration):
    client.force_login(buyer)
    response = client.post(attest_page(declaration), {"destroyed_on": "2999-01-01", "method": "x"})
    assert response.status_code == 200 and not DestructionAttestation.objects.exists()
    response = client.post(
        attest_page(declaration), {"destroyed_on": "2999-01-01", "method": "x", "confirm": "on"}
    )
    assert "cannot be in the future" in response.content.decode()
    assert not DestructionAttestation.objects.exists()


def test_a_member_sees_why_they_cannot_attest(client, buyer, declaration):
    member = member_of(team_of(buyer), role=MembershipRole.MEMBER)
    client.force_login(member)
    html = client.get(attest_page(declaration)).content.decode()
    assert "Only an owner of" in html and "Sign and attest" not in html
    client.post(
        attest_page(declaration),
        {"destroyed_on": timezone.localdate().isoformat(), "method": "x", "confirm": "on"},
    )
    assert not DestructionAttestation.objects.exists()


@pytest.mark.parametrize("who, expected", [("other_owner", 404), ("creator", 403)])
def test_others_cannot_see_the_page(client, creator, declaration, who, expected):
    client.force_login(creator if who == "creator" else BuyerFactory())
    assert client.get(attest_page(declaration)).status_code == expected


def test_anonymous_is_sent_to_login(client, declaration):
    response = client.get(attest_page(declaration))
    assert response.status_code == 302 and "login" in response["Location"]
