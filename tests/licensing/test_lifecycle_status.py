"""Where a declared model and its team stand: the one definition the pages, the API, checkout
and downloads all read (licensing/selectors/status.py)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from licensing.models import GrantStatus, LicenseGrantItem
from licensing.selectors.status import (
    ModelStatus,
    declaration_state,
    team_is_restricted,
    team_overdue_declarations,
)
from licensing.services.grants import months_after
from tests.factories import BuyerFactory
from tests.licensing.lifecycle_helpers import (
    DESTROY,
    STOP,
    attestation_on_file,
    declare,
    grant_for,
)
from tests.marketplace.factories import listed_work

pytestmark = pytest.mark.django_db


def _attest(declaration, user):
    return attestation_on_file(
        declaration, user, destroyed_on=date(2026, 1, 1), method="deleted", signature="x" * 64
    )


@pytest.fixture
def start():
    return timezone.now() - timedelta(days=10)


def test_a_model_on_running_items_is_active_and_the_team_not_restricted(buyer, start):
    grant = grant_for(buyer, [listed_work(preset=DESTROY)], starts_at=start)
    declaration = declare(buyer, grant.items.all())
    assert declaration_state(declaration).status == ModelStatus.ACTIVE
    assert not team_is_restricted(grant.organization)


def test_stop_training_items_end_as_expired_with_no_duty(buyer, start):
    grant = grant_for(buyer, [listed_work(preset=STOP)], starts_at=start)
    declaration = declare(buyer, grant.items.all())
    after = months_after(start, 60) + timedelta(days=400)
    state = declaration_state(declaration, now=after)
    assert state.status == ModelStatus.EXPIRED and state.deadline is None
    assert not team_is_restricted(grant.organization, now=after)


def test_destroy_models_items_make_the_model_due_then_overdue_then_destroyed(buyer, start):
    grant = grant_for(buyer, [listed_work(preset=DESTROY)], starts_at=start)
    item = grant.items.get()
    declaration = declare(buyer, [item])
    deadline = item.expires_at + timedelta(days=30)

    due = declaration_state(declaration, now=item.expires_at + timedelta(days=1))
    assert due.status == ModelStatus.DESTRUCTION_DUE
    assert due.deadline == deadline and due.due_items == (item,)
    assert not team_is_restricted(grant.organization, now=deadline)

    late = deadline + timedelta(minutes=1)
    assert declaration_state(declaration, now=late).status == ModelStatus.OVERDUE
    assert team_overdue_declarations(grant.organization, now=late) == [declaration]
    assert team_is_restricted(grant.organization, now=late)

    _attest(declaration, buyer)
    assert declaration_state(declaration, now=late).status == ModelStatus.DESTROYED
    assert not team_is_restricted(grant.organization, now=late)


def test_one_expired_destroy_item_is_enough_even_while_others_run(buyer, creator, start):
    short = listed_work(preset="fine-tune-commercial-2y")  # 24 months, destroy-models
    long = listed_work(preset=STOP)
    grant = grant_for(buyer, [short, long], starts_at=start)
    declaration = declare(buyer, grant.items.all())
    when = months_after(start, 24) + timedelta(days=1)
    state = declaration_state(declaration, now=when)
    assert state.status == ModelStatus.DESTRUCTION_DUE
    assert [i.work_id for i in state.due_items] == [short.id]


def test_grace_period_is_a_setting(buyer, start, settings):
    settings.LICENSE_DESTRUCTION_GRACE_DAYS = 5
    grant = grant_for(buyer, [listed_work(preset=DESTROY)], starts_at=start)
    declaration = declare(buyer, grant.items.all())
    when = grant.items.get().expires_at + timedelta(days=6)
    assert declaration_state(declaration, now=when).status == ModelStatus.OVERDUE


def test_renewing_the_work_in_time_carries_the_model_on(buyer, start):
    work = listed_work(preset=DESTROY)
    old = grant_for(buyer, [work], starts_at=start).items.get()
    declaration = declare(buyer, [old])
    # The renewal starts within the grace period and runs on.
    grant_for(buyer, [work], starts_at=old.expires_at + timedelta(days=3))
    when = old.expires_at + timedelta(days=60)
    assert declaration_state(declaration, now=when).status == ModelStatus.ACTIVE
    assert not team_is_restricted(old.grant.organization, now=when)


def test_a_renewal_after_the_grace_period_does_not_excuse_the_overdue_model(buyer, start):
    work = listed_work(preset=DESTROY)
    old = grant_for(buyer, [work], starts_at=start).items.get()
    declaration = declare(buyer, [old])
    grant_for(buyer, [work], starts_at=old.expires_at + timedelta(days=45))
    when = old.expires_at + timedelta(days=60)
    assert declaration_state(declaration, now=when).status == ModelStatus.OVERDUE


def test_revoked_items_are_left_to_staff(buyer, start):
    grant = grant_for(buyer, [listed_work(preset=DESTROY)], starts_at=start)
    declaration = declare(buyer, grant.items.all())
    LicenseGrantItem.objects.update(status=GrantStatus.REVOKED)
    when = grant.items.get().expires_at + timedelta(days=90)
    assert declaration_state(declaration, now=when).status == ModelStatus.EXPIRED
    assert not team_is_restricted(grant.organization, now=when)


def test_other_teams_overdue_models_do_not_restrict_this_team(buyer, start):
    other = BuyerFactory()
    grant = grant_for(other, [listed_work(preset=DESTROY)], starts_at=start)
    declare(other, grant.items.all())
    when = grant.items.get().expires_at + timedelta(days=31)
    assert team_is_restricted(grant.organization, now=when)
    assert not team_is_restricted(buyer.memberships.get().organization, now=when)
