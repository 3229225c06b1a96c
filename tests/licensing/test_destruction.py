"""Destruction attestations and overdue teams (licensing/services/destruction.py): only an
owner attests, evidence files are treated as hostile, the statement is signed and append-only,
items are released once every declared model is attested, overdue teams are restricted, told,
and handed to staff, and unattested holdbacks are forfeited once."""

import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import MembershipRole, Notification
from config.errors import ApplicationError
from licensing.models import DestructionAttestation, GrantStatus, ModelDeclaration
from licensing.selectors.status import team_is_restricted
from licensing.services import destruction
from licensing.services.destruction import (
    attestation_verify,
    destruction_attest,
    destruction_forfeit_sweep,
    destruction_overdue_sweep,
)
from licensing.services.expiry import license_items_expire
from tests.factories import BuyerFactory, member_of, team_of
from tests.licensing.lifecycle_helpers import DESTROY, declare, grant_for, recording_hooks
from tests.marketplace.factories import listed_work
from tests.uploads.images import jpeg_bytes, photo

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(media_root):
    return media_root


@pytest.fixture
def hooks():
    yield from recording_hooks()


@pytest.fixture
def expired(buyer):
    """A destroy-models item, a model declared on it, and the moment just after expiry."""
    grant = grant_for(
        buyer,
        [listed_work(preset=DESTROY, title="Dune")],
        starts_at=timezone.now() - timedelta(days=10),
    )
    item = grant.items.get()
    declaration = declare(buyer, [item], name="Orbit", version="2")
    when = item.expires_at + timedelta(days=1)
    license_items_expire(now=when)
    item.refresh_from_db()
    return item, declaration, when


def attest(declaration, user, when, **kw):
    kw.setdefault("destroyed_on", when.date())
    kw.setdefault("method", "Deleted every checkpoint and the weights bucket.")
    return destruction_attest(declaration=declaration, user=user, now=when, **kw)


def stored_files(root):
    return (
        sorted(p.name for p in (root / "attestations").rglob("*") if p.is_file())
        if (root / "attestations").exists()
        else []
    )


def test_owner_attests_and_the_items_are_released(
    buyer, expired, hooks, django_capture_on_commit_callbacks
):
    item, declaration, when = expired
    assert item.status == GrantStatus.DESTRUCTION_DUE
    with django_capture_on_commit_callbacks(execute=True):
        att = attest(declaration, buyer, when, ip_address="203.0.113.9", user_agent="curl")
    item.refresh_from_db()
    item.grant.refresh_from_db()
    assert item.status == item.grant.status == GrantStatus.DESTROYED
    assert hooks.met == [[item.item_ref]]
    assert attestation_verify(att)
    assert att.ip_address == "203.0.113.9"
    for fact in (
        buyer.email,
        "“Orbit” version “2”",
        str(declaration.uuid),
        when.date().isoformat(),
        "Deleted every checkpoint",
        "none attached",
    ):
        assert fact in att.statement
    creator_notice = Notification.objects.get(user=item.creator)
    assert "Orbit 2" in creator_notice.body and "“Dune”" in creator_notice.body

    # A second attestation is kept, releases nothing more and tells no one again.
    with django_capture_on_commit_callbacks(execute=True):
        attest(declaration, buyer, when + timedelta(hours=1), method="Also wiped backups.")
    assert declaration.attestations.count() == 2
    assert hooks.met == [[item.item_ref]]
    assert Notification.objects.filter(user=item.creator).count() == 1


def test_only_an_owner_of_the_team_attests(buyer, expired):
    _, declaration, when = expired
    member = member_of(team_of(buyer), role=MembershipRole.MEMBER)
    with pytest.raises(ApplicationError) as refused:
        attest(declaration, member, when)
    assert (refused.value.status, refused.value.code) == (403, "not_owner")
    outsider = BuyerFactory()  # owner of another team
    with pytest.raises(ApplicationError) as hidden:
        attest(declaration, outsider, when)
    assert hidden.value.status == 404
    assert not DestructionAttestation.objects.exists()


def test_dates_and_method_are_checked(buyer, expired):
    _, declaration, when = expired
    for destroyed_on in (when.date() + timedelta(days=3), date(2025, 12, 31)):
        with pytest.raises(ApplicationError) as refused:
            attest(declaration, buyer, when, destroyed_on=destroyed_on)
        assert "destroyed_on" in refused.value.fields
    with pytest.raises(ApplicationError) as refused:
        attest(declaration, buyer, when, method="   ")
    assert "method" in refused.value.fields


def test_evidence_is_sniffed_hashed_and_stored_privately(buyer, expired, media_root):
    _, declaration, when = expired
    upload = SimpleUploadedFile("../../etc/report.pdf", PDF, content_type="text/plain")
    att = attest(declaration, buyer, when, evidence_file=upload)
    import hashlib

    assert att.evidence_sha256 == hashlib.sha256(PDF).hexdigest()
    assert att.evidence_sha256 in att.statement and "report.pdf" in att.statement
    assert att.evidence.name == f"attestations/{declaration.uuid}/{att.uuid}.pdf"
    assert (media_root / att.evidence.name).read_bytes() == PDF
    assert att.evidence_filename == "report.pdf"
    # Images and plain text are accepted too, whatever they are called.
    for data, ext in ((jpeg_bytes(photo(32, 32, seed=1)), "jpg"), (b"wiped s3://x\n", "txt")):
        other = attest(declaration, buyer, when, evidence_file=SimpleUploadedFile("e.bin", data))
        assert other.evidence.name.endswith(f".{ext}")


@pytest.mark.parametrize(
    "data, code",
    [
        (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200), "evidence_type"),  # an executable
        (b"GIF89a" + bytes(50), "evidence_type"),
        (b"PK\x03\x04" + bytes(50), "evidence_type"),  # a zip named .pdf
        (b"", "evidence_empty"),
    ],
)
def test_hostile_evidence_is_refused_and_nothing_is_kept(buyer, expired, media_root, data, code):
    _, declaration, when = expired
    with pytest.raises(ApplicationError) as refused:
        attest(declaration, buyer, when, evidence_file=SimpleUploadedFile("proof.pdf", data))
    assert refused.value.code == code
    assert not DestructionAttestation.objects.exists()
    assert stored_files(media_root) == []


def test_evidence_over_the_cap_is_refused(buyer, expired, media_root, monkeypatch):
    _, declaration, when = expired
    monkeypatch.setattr(destruction, "EVIDENCE_MAX_BYTES", 1024)
    stream = io.BytesIO(b"a" * 1025)  # no size attribute: the read itself is capped
    stream.name = "log.txt"
    with pytest.raises(ApplicationError) as refused:
        attest(declaration, buyer, when, evidence_file=stream)
    assert refused.value.code == "evidence_too_large"
    assert stored_files(media_root) == []


def test_no_orphan_evidence_when_the_row_cannot_be_written(buyer, expired, media_root):
    _, declaration, when = expired
    # The declaration is withdrawn between the checks and the write: the stored file goes too.
    ModelDeclaration.objects.filter(id=declaration.id).delete()
    with pytest.raises(ApplicationError) as refused:
        attest(declaration, buyer, when, evidence_file=SimpleUploadedFile("p.pdf", PDF))
    assert refused.value.status == 404
    assert stored_files(media_root) == []


def test_a_tampered_statement_does_not_verify(buyer, expired):
    _, declaration, when = expired
    att = attest(declaration, buyer, when)
    att.statement = att.statement.replace("Deleted", "Archived")
    assert not attestation_verify(att)


def test_attestations_are_append_only(buyer, expired):
    _, declaration, when = expired
    att = attest(declaration, buyer, when)
    with pytest.raises(PermissionError):
        att.save()
    with pytest.raises(PermissionError):
        DestructionAttestation.objects.filter(id=att.id).update(method="x")
    if connection.vendor == "postgresql":
        with (
            pytest.raises((DatabaseError, IntegrityError)),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "UPDATE licensing_destructionattestation SET method = 'x' WHERE id = %s", [att.id]
            )
        with (
            pytest.raises((DatabaseError, IntegrityError)),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM licensing_destructionattestation WHERE id = %s", [att.id])
    att = DestructionAttestation.objects.get(id=att.id)
    assert attestation_verify(att) and att.method.startswith("Deleted")


def test_overdue_team_is_restricted_told_and_lifted_by_a_late_attestation(
    buyer, expired, hooks, django_capture_on_commit_callbacks
):
    item, declaration, _ = expired
    team = team_of(buyer)
    member = member_of(team)
    deadline = item.expires_at + timedelta(days=30)
    assert destruction_overdue_sweep(now=deadline - timedelta(hours=1)).teams == 0
    assert not team_is_restricted(team, now=deadline - timedelta(hours=1))

    late = deadline + timedelta(hours=1)
    for hour in range(3):  # the hourly sweep, three times
        with django_capture_on_commit_callbacks(execute=True):
            result = destruction_overdue_sweep(now=late + timedelta(hours=hour))
        assert result.teams == 1
    item.refresh_from_db()
    assert item.status == GrantStatus.BREACHED
    assert team_is_restricted(team, now=late)
    assert hooks.overdue[0] == (team.id, [declaration.id])  # moderation opens one case
    for user in (buyer, member):
        notices = Notification.objects.filter(user=user, dedupe_key__startswith="overdue:")
        assert notices.count() == 1
        assert notices.get().url == f"/team/models/{declaration.uuid}/attest/"
    assert (
        Notification.objects.filter(
            user=item.creator, dedupe_key__startswith="overdue-creator:"
        ).count()
        == 1
    )

    with django_capture_on_commit_callbacks(execute=True):
        attest(declaration, buyer, late + timedelta(days=2))
    item.refresh_from_db()
    assert item.status == GrantStatus.DESTROYED
    assert not team_is_restricted(team, now=late + timedelta(days=2))
    assert hooks.met == [[item.item_ref]]
    assert destruction_overdue_sweep(now=late + timedelta(days=3)).teams == 0


def test_an_unattested_holdback_is_forfeited_once(
    buyer, expired, hooks, django_capture_on_commit_callbacks, settings
):
    item, declaration, _ = expired
    forfeit_at = item.expires_at + timedelta(days=30 + settings.LICENSE_FORFEIT_AFTER_DAYS)
    with django_capture_on_commit_callbacks(execute=True):
        assert destruction_forfeit_sweep(now=forfeit_at - timedelta(hours=1)) == []
        assert destruction_forfeit_sweep(now=forfeit_at + timedelta(hours=1)) == [item.item_ref]
        assert destruction_forfeit_sweep(now=forfeit_at + timedelta(hours=2)) == []
    assert hooks.breached == [[item.item_ref]]
    assert (
        "goes to you"
        in Notification.objects.get(
            user=item.creator, dedupe_key__startswith="license-forfeit:"
        ).subject
    )
    # A very late attestation still lifts the restriction and marks the item destroyed, but
    # the forfeited holdback is not released a second time.
    with django_capture_on_commit_callbacks(execute=True):
        attest(declaration, buyer, forfeit_at + timedelta(days=1))
    item.refresh_from_db()
    assert item.status == GrantStatus.DESTROYED
    assert hooks.met == []
    assert not team_is_restricted(team_of(buyer), now=forfeit_at + timedelta(days=1))


def test_an_item_used_by_two_models_waits_for_both(
    buyer, hooks, django_capture_on_commit_callbacks
):
    grant = grant_for(buyer, [listed_work(preset=DESTROY)], starts_at=timezone.now())
    item = grant.items.get()
    first, second = declare(buyer, [item], name="A"), declare(buyer, [item], name="B")
    when = item.expires_at + timedelta(days=1)
    license_items_expire(now=when)
    with django_capture_on_commit_callbacks(execute=True):
        attest(first, buyer, when)
    item.refresh_from_db()
    assert item.status == GrantStatus.DESTRUCTION_DUE and hooks.met == []
    with django_capture_on_commit_callbacks(execute=True):
        attest(second, buyer, when)
    item.refresh_from_db()
    assert item.status == GrantStatus.DESTROYED and hooks.met == [[item.item_ref]]


def test_a_model_attested_before_expiry_releases_the_item_at_expiry(
    buyer, hooks, django_capture_on_commit_callbacks
):
    grant = grant_for(buyer, [listed_work(preset=DESTROY)], starts_at=timezone.now())
    item = grant.items.get()
    declaration = declare(buyer, [item])
    attest(declaration, buyer, timezone.now())
    item.refresh_from_db()
    assert item.status == GrantStatus.ACTIVE  # still running: nothing to release yet
    with django_capture_on_commit_callbacks(execute=True):
        license_items_expire(now=item.expires_at + timedelta(minutes=1))
    item.refresh_from_db()
    assert item.status == GrantStatus.DESTROYED and hooks.met == [[item.item_ref]]
