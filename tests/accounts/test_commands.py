"""Operator commands: create_user and seed_demo."""

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Membership, Organization, Role, User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["creator", "buyer", "staff"])
def test_create_user_makes_a_verified_account_of_each_role(role):
    call_command(
        "create_user",
        email="Op@Example.com",
        password="Ops-Pass-2026!",
        role=role,
        org="Ops Lab" if role == "buyer" else "",
    )
    user = User.objects.get(email="op@example.com")
    assert user.role == role
    assert user.check_password("Ops-Pass-2026!")
    assert EmailAddress.objects.get(user=user).verified
    assert user.is_staff is (role == "staff")
    if role == "buyer":
        assert Membership.objects.get(user=user).organization.name == "Ops Lab"
    if role == "creator":
        assert user.creator_profile.display_name == "op"


def test_create_user_refuses_weak_passwords_and_duplicates():
    with pytest.raises(CommandError, match="Password refused"):
        call_command("create_user", email="a@example.com", password="123", role="creator")
    call_command("create_user", email="a@example.com", password="Ops-Pass-2026!", role="creator")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_user", email="A@example.com", password="Ops-Pass-2026!", role="buyer")
    assert User.objects.count() == 1


def test_seed_demo_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (User.objects.count(), Organization.objects.count(), Membership.objects.count())
    call_command("seed_demo")
    assert (
        User.objects.count(),
        Organization.objects.count(),
        Membership.objects.count(),
    ) == counts
    assert set(User.objects.values_list("role", flat=True)) == {
        Role.CREATOR,
        Role.BUYER,
        Role.STAFF,
    }
    team = Organization.objects.get(name="Orbit Lab")
    assert team.memberships.count() == 2
    # The demo shows a license's whole life: a running one, and one that ended last week whose
    # declared model is due for a destruction attestation.
    from licensing.selectors.status import ModelStatus, declaration_state

    (declaration,) = team.model_declarations.all()
    assert declaration_state(declaration).status == ModelStatus.DESTRUCTION_DUE
    assert team.license_grants.count() == 2


def test_seed_demo_leaves_one_work_per_creator_waiting_in_the_review_queue(settings, media_root):
    """As README says: staff have something to review on a fresh install, with the evidence
    screening found (the metadata names another photographer), not an empty queue."""
    from moderation.models import ReviewCase
    from uploads.models import Work

    settings.DEBUG = True
    call_command("seed_demo")

    waiting = Work.objects.filter(status="pending_review")
    assert sorted(waiting.values_list("owner__email", flat=True)) == [
        "ada@demo.assent.local",
        "kenji@demo.assent.local",
    ]
    cases = ReviewCase.objects.filter(work__in=waiting, status="open")
    assert cases.count() == 2
    assert all("names someone else" in case.reason for case in cases)
    listed = Work.objects.filter(status="listed")
    # Ten photographs plus one work of each other medium (a song, a voice clip, a story).
    assert sorted(listed.values_list("kind", flat=True)) == ["audio"] * 2 + ["image"] * 10 + [
        "text"
    ]


def test_seed_demo_refuses_to_run_outside_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
