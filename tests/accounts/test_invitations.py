"""Organization invitations: owners invite, the invited address joins, nobody else can."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from accounts.models import Invitation, Membership, MembershipRole
from accounts.services.teams import invitation_create
from tests.factories import BuyerFactory, MembershipFactory
from tests.helpers import DEFAULT_PASSWORD, links_in_last_email, path_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(buyer):
    return buyer.memberships.get().organization


def _invite(**kwargs):
    """Create an invitation and run what waits for the commit (sending its email)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return invitation_create(**kwargs)


def _invite_url(email):
    return next(u for u in links_in_last_email(email) if "/invitations/" in u)


def test_owner_invites_by_email_and_the_invitee_joins_after_signing_up(
    client, buyer, team, django_capture_on_commit_callbacks
):
    client.force_login(buyer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/team/{team.slug}/invite/", {"email": "Bo@Lab.ai", "role": "member"}
        )
    assert response.status_code == 302
    url = _invite_url("bo@lab.ai")
    assert "Orbit Lab" in mail.outbox[-1].body
    client.logout()

    # The invitee opens the link, signs up as an AI team member with the invited address...
    assert client.get(path_of(url)).status_code == 200
    client.post(
        "/accounts/signup/",
        {
            "email": "bo@lab.ai",
            "password1": DEFAULT_PASSWORD,
            "password2": DEFAULT_PASSWORD,
            "role": "buyer",
        },
    )
    confirm = next(u for u in links_in_last_email("bo@lab.ai") if "confirm-email" in u)
    client.post(path_of(confirm))
    # ...and accepts.
    response = client.post(path_of(url))
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="bo@lab.ai")
    assert membership.organization == team
    assert membership.role == MembershipRole.MEMBER
    # The link is spent.
    assert client.get(path_of(url)).status_code == 404


def test_invitation_cannot_be_used_by_another_account(client, team, buyer):
    _invite(organization=team, invited_by=buyer, email="bo@lab.ai")
    url = _invite_url("bo@lab.ai")
    intruder = BuyerFactory(email="eve@evil.example")
    client.force_login(intruder)

    response = client.post(path_of(url), follow=True)

    assert "was sent to bo@lab.ai" in response.content.decode()
    assert not Membership.objects.filter(user=intruder, organization=team).exists()


def test_members_cannot_invite_only_owners_can(api_client, team):
    member = MembershipFactory(organization=team, user=BuyerFactory(membership=None)).user
    api_client.force_authenticate(member)

    response = api_client.post(
        f"/api/v1/organizations/{team.slug}/invitations/", {"email": "x@lab.ai"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "not_team_owner"
    assert not Invitation.objects.exists()


def test_the_invitation_role_is_taken_in_any_case_and_a_wrong_one_named(
    api_client, client, buyer, team
):
    api_client.force_authenticate(buyer)
    url = f"/api/v1/organizations/{team.slug}/invitations/"
    response = api_client.post(url, {"email": "cy@lab.ai", "role": "Owner"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["role"] == "owner"
    assert Invitation.objects.get(email="cy@lab.ai").role == MembershipRole.OWNER

    refused = api_client.post(url, {"email": "di@lab.ai", "role": "boss"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["fields"]["role"] == ['"boss" is not one of: owner, member.']
    assert not Invitation.objects.filter(email="di@lab.ai").exists()

    client.force_login(buyer)
    page = client.post(f"/team/{team.slug}/invite/", {"email": "ed@lab.ai", "role": "MEMBER"})
    assert page.status_code == 302
    assert Invitation.objects.get(email="ed@lab.ai").role == MembershipRole.MEMBER


def test_owner_invites_through_the_api(api_client, buyer, team):
    api_client.force_authenticate(buyer)
    response = api_client.post(
        f"/api/v1/organizations/{team.slug}/invitations/",
        {"email": "cy@lab.ai", "role": "owner"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["email"] == "cy@lab.ai"
    assert Invitation.objects.get(email="cy@lab.ai").role == "owner"


def test_outsiders_cannot_invite_to_a_team_they_are_not_in(api_client, team):
    outsider = BuyerFactory()
    api_client.force_authenticate(outsider)
    response = api_client.post(
        f"/api/v1/organizations/{team.slug}/invitations/", {"email": "x@lab.ai"}, format="json"
    )
    assert response.status_code == 404


def test_resending_replaces_the_old_link(client, buyer, team):
    _invite(organization=team, invited_by=buyer, email="bo@lab.ai")
    first = _invite_url("bo@lab.ai")
    _invite(organization=team, invited_by=buyer, email="bo@lab.ai")
    second = _invite_url("bo@lab.ai")

    assert first != second
    assert client.get(path_of(first)).status_code == 404
    assert client.get(path_of(second)).status_code == 200


def test_revoked_and_expired_invitations_do_not_work(client, buyer, team):
    invitation, _ = _invite(organization=team, invited_by=buyer, email="bo@lab.ai")
    url = _invite_url("bo@lab.ai")
    client.force_login(buyer)
    client.post(f"/team/invitations/{invitation.id}/revoke/")
    assert client.get(path_of(url)).status_code == 404

    _invite(organization=team, invited_by=buyer, email="cy@lab.ai")
    url = _invite_url("cy@lab.ai")
    Invitation.objects.filter(email="cy@lab.ai").update(expires_at=timezone.now() - timedelta(1))
    assert client.get(path_of(url)).status_code == 404


def test_creators_cannot_be_invited_into_a_team(api_client, buyer, team, creator):
    api_client.force_authenticate(buyer)
    response = api_client.post(
        f"/api/v1/organizations/{team.slug}/invitations/", {"email": creator.email}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_buyer"


def test_a_team_keeps_its_last_owner(client, buyer, team):
    client.force_login(buyer)
    own = Membership.objects.get(user=buyer)
    response = client.post(f"/team/members/{own.id}/remove/", follow=True)
    assert "at least one owner" in response.content.decode()
    assert Membership.objects.filter(id=own.id).exists()


def test_buyer_without_team_creates_one(client):
    lonely = BuyerFactory(membership=None)
    client.force_login(lonely)
    assert "not in a team yet" in client.get("/team/").content.decode()
    client.post("/team/new/", {"name": "New Lab"})
    assert Membership.objects.get(user=lonely).organization.name == "New Lab"


@pytest.fixture
def mail_server_down(settings):
    """Real SMTP to a port nothing listens on: the mail server is down."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


# Real commits (transaction=True): the email goes when the invitation commits, before the
# page or API answer is made, as in production.
@pytest.mark.django_db(transaction=True)
def test_a_mail_outage_keeps_the_invitation_and_tells_the_owner(
    client, api_client, buyer, team, mail_server_down
):
    client.force_login(buyer)
    response = client.post(
        f"/team/{team.slug}/invite/", {"email": "di@lab.ai", "role": "member"}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "its email could not be sent" in page and "Invitation sent" not in page
    assert Invitation.objects.filter(email="di@lab.ai", revoked_at__isnull=True).count() == 1

    api_client.force_authenticate(buyer)
    response = api_client.post(
        f"/api/v1/organizations/{team.slug}/invitations/", {"email": "di@lab.ai"}, format="json"
    )
    assert response.status_code == 201 and response.json()["email_sent"] is False
    # The resend replaced the first invitation: one open invitation for the address.
    assert Invitation.objects.filter(email="di@lab.ai", revoked_at__isnull=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_api_says_the_invitation_email_went(api_client, buyer, team):
    api_client.force_authenticate(buyer)
    response = api_client.post(
        f"/api/v1/organizations/{team.slug}/invitations/", {"email": "ed@lab.ai"}, format="json"
    )
    assert response.status_code == 201 and response.json()["email_sent"] is True
    assert mail.outbox[-1].to == ["ed@lab.ai"]
