"""Schemathesis over every operation of the published OpenAPI schema, as each role calls it:
no answer may be a 5xx, and every answer must be one the schema documents, with the body and
content type it documents. Bounded and derandomized (the same cases every run), in-process
through the WSGI app against the test database."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks

from accounts.models import MembershipRole, Role
from accounts.services.tokens import api_token_create
from tests.factories import BuyerFactory, CreatorFactory, MembershipFactory, UserFactory
from tests.helpers import totp_enable
from tests.payouts.factories import use_local_stripe

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())

ROLES = ["anonymous", "creator", "team_owner", "team_member", "staff"]
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI app closes the database connection when a request finishes; inside the test's
    transaction that would close it for good (PostgreSQL). Django's own test client unhooks
    the same two signals around each request."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _token(user) -> dict:
    _, key = api_token_create(user=user, name="fuzz")
    return {"Authorization": f"Token {key}"}


@pytest.fixture(params=ROLES)
def role_headers(request, db, media_root, settings, stripe_server):
    use_local_stripe(settings, stripe_server)  # payments configured, as in every deployment
    if request.param == "anonymous":
        return {}
    if request.param == "creator":
        return _token(CreatorFactory())
    owner = BuyerFactory()
    if request.param == "team_owner":
        return _token(owner)
    if request.param == "team_member":
        member = UserFactory(role=Role.BUYER)
        MembershipFactory(
            user=member,
            organization=owner.memberships.get().organization,
            role=MembershipRole.MEMBER,
        )
        return _token(member)
    staff = UserFactory(role=Role.STAFF, is_staff=True)
    totp_enable(staff)
    return _token(staff)


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_5xx_or_off_its_schema(case, role_headers):
    case.call_and_validate(headers=role_headers, checks=CHECKS)
