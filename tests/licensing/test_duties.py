"""A destroy-models item's duty and its holdback (licensing/services/duties.py, grants.py):
the outcome is recorded on the item and settled with the marketplace once, a failing hook is
retried by the next sweep, and a renewal carries the declared models on (the old item's duty is
met, the renewal's terms decide at its end)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from licensing import registry
from licensing.models import DutyOutcome, GrantStatus
from licensing.selectors.status import ModelStatus, declaration_state, team_is_restricted
from licensing.services.destruction import destruction_forfeit_sweep
from licensing.services.duties import duties_settle
from licensing.services.expiry import license_items_expire, license_items_superseded
from licensing.tasks import license_lifecycle_sweep_task
from licensing.terms import PRESETS, LicenseTerms, OnExpiry, Use
from tests.factories import team_of
from tests.licensing.lifecycle_helpers import (
    DESTROY,
    STOP,
    declare,
    grant_for,
    license_on,
    recording_hooks,
)
from tests.marketplace.factories import listed_work

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooks():
    yield from recording_hooks()


class FlakyMarketplace:
    """A marketplace hook that fails (its database write fails, say) until it recovers."""

    def __init__(self):
        self.failing = True
        self.calls: list[list[str]] = []

    def __call__(self, refs):
        self.calls.append(refs)
        if self.failing:
            raise RuntimeError("ledger unavailable")


@pytest.fixture
def flaky():
    hook = FlakyMarketplace()
    registry.destruction_met.append(hook)
    yield hook
    registry.destruction_met.remove(hook)


def test_a_failed_holdback_release_is_retried_by_the_next_sweep(
    buyer, flaky, django_capture_on_commit_callbacks
):
    # No model declared: at expiry the duty is met and the holdback released.
    item = grant_for(buyer, [listed_work(preset=DESTROY)], starts_at=timezone.now()).items.get()
    with django_capture_on_commit_callbacks(execute=True):
        license_items_expire(now=item.expires_at + timedelta(minutes=1))
    item.refresh_from_db()
    assert item.status == GrantStatus.EXPIRED
    assert flaky.calls == [[item.item_ref]]
    assert item.duty_settled_at is None  # not taken: to be retried

    assert duties_settle() == 0  # still failing: still unsettled
    flaky.failing = False
    assert duties_settle() == 1
    assert duties_settle() == 0  # settled once
    item.refresh_from_db()
    assert item.duty_outcome == DutyOutcome.MET and item.duty_settled_at is not None
    assert flaky.calls == [[item.item_ref]] * 3


def test_stop_training_items_have_no_duty_to_settle(buyer, hooks):
    item = grant_for(buyer, [listed_work(preset=STOP)], starts_at=timezone.now()).items.get()
    license_items_expire(now=item.expires_at + timedelta(minutes=1))
    assert duties_settle() == 0
    assert hooks.met == []


def test_a_forfeit_is_recorded_on_the_item_and_settled_once(buyer, hooks, settings):
    item = grant_for(buyer, [listed_work(preset=DESTROY)], starts_at=timezone.now()).items.get()
    declare(buyer, [item])
    license_items_expire(now=item.expires_at + timedelta(minutes=1))
    when = item.expires_at + timedelta(days=31 + settings.LICENSE_FORFEIT_AFTER_DAYS)
    assert destruction_forfeit_sweep(now=when) == [item.item_ref]
    item.refresh_from_db()
    assert item.duty_outcome == DutyOutcome.BREACHED
    assert destruction_forfeit_sweep(now=when + timedelta(hours=1)) == []
    duties_settle()
    assert duties_settle() == 0
    assert hooks.breached == [[item.item_ref]]


def test_a_renewal_carries_the_models_on_and_releases_the_old_holdback(
    buyer, hooks, django_capture_on_commit_callbacks
):
    work = listed_work(preset=DESTROY)
    old = grant_for(buyer, [work], starts_at=timezone.now()).items.get()
    declaration = declare(buyer, [old])
    # Expired with the model on it: destruction due ...
    with django_capture_on_commit_callbacks(execute=True):
        license_items_expire(now=old.expires_at + timedelta(minutes=1))
    old.refresh_from_db()
    assert old.status == GrantStatus.DESTRUCTION_DUE and hooks.met == []
    # ... until the team renews within the grace period: the model is declared on the renewal.
    renewal = grant_for(buyer, [work], starts_at=old.expires_at + timedelta(days=10)).items.get()
    assert list(declaration.items.order_by("id")) == [old, renewal]
    with django_capture_on_commit_callbacks(execute=True):
        assert license_items_superseded(now=old.expires_at + timedelta(days=10)) == 1
    old.refresh_from_db()
    assert old.status == GrantStatus.EXPIRED and old.duty_outcome == DutyOutcome.MET
    assert hooks.met == [[old.item_ref]]
    assert declaration_state(declaration, now=old.expires_at + timedelta(days=60)).status == (
        ModelStatus.ACTIVE
    )
    # At the renewal's end its own terms (destroy-models) decide, with its own deadline.
    later = renewal.expires_at + timedelta(days=1)
    state = declaration_state(declaration, now=later)
    assert state.status == ModelStatus.DESTRUCTION_DUE
    assert state.deadline == renewal.expires_at + timedelta(days=30)
    assert state.due_items == (renewal,)
    assert not team_is_restricted(team_of(buyer), now=later)


def test_a_renewal_on_stop_training_terms_ends_the_duty(buyer):
    work = listed_work(preset=DESTROY)
    old = grant_for(buyer, [work], starts_at=timezone.now()).items.get()
    declaration = declare(buyer, [old])
    # The creator now offers the same uses on stop-training terms; the team renews on those.
    same_uses = LicenseTerms(frozenset(Use), True, 36, OnExpiry.STOP_TRAINING)
    renewal = license_on(
        buyer, work, same_uses, starts_at=old.expires_at - timedelta(days=1), ref="stop"
    )
    assert renewal in declaration.items.all()
    after = renewal.expires_at + timedelta(days=400)
    assert declaration_state(declaration, now=after).status == ModelStatus.EXPIRED
    assert not team_is_restricted(team_of(buyer), now=after)


def test_a_later_license_for_less_does_not_carry_the_model_on(buyer):
    """An evaluation-only license of the same work, bought later, does not let a generative
    model trained under the earlier license live on."""
    work = listed_work(preset=DESTROY)
    old = grant_for(buyer, [work], starts_at=timezone.now()).items.get()
    declaration = declare(buyer, [old])
    evaluation = license_on(
        buyer,
        work,
        PRESETS["evaluation-1y"].terms,
        starts_at=old.expires_at - timedelta(days=30),
        ref="eval",
    )
    assert evaluation not in declaration.items.all()
    later = old.expires_at + timedelta(days=1)
    state = declaration_state(declaration, now=later)
    assert state.status == ModelStatus.DESTRUCTION_DUE and state.due_items == (old,)
    license_items_expire(now=later)
    old.refresh_from_db()
    assert old.status == GrantStatus.DESTRUCTION_DUE


def test_a_renewal_after_the_grace_period_carries_nothing(buyer):
    work = listed_work(preset=DESTROY)
    old = grant_for(buyer, [work], starts_at=timezone.now()).items.get()
    declaration = declare(buyer, [old])
    renewal = grant_for(buyer, [work], starts_at=old.expires_at + timedelta(days=31)).items.get()
    assert list(declaration.items.all()) == [old]
    assert renewal.declared_in.count() == 0


def test_the_hourly_sweep_runs_every_step(buyer, hooks):
    item = grant_for(buyer, [listed_work(preset=DESTROY)], starts_at=timezone.now()).items.get()
    item.expires_at = timezone.now() - timedelta(minutes=1)
    item.save(update_fields=["expires_at"])
    counts = license_lifecycle_sweep_task()
    assert counts["expired"]["expired"] == 1
    assert counts["settled"] in (0, 1)  # settled on commit already, or here
    item.refresh_from_db()
    assert item.duty_outcome == DutyOutcome.MET and item.duty_settled_at is not None
    assert hooks.met == [[item.item_ref]]


def test_a_later_license_the_model_is_not_declared_on_does_not_carry_it(buyer):
    """The team bought the work again (on terms that would allow it) before declaring the model
    on the earlier license only: the model is not declared on the later one, so the earlier
    license's duty stands."""
    work = listed_work(preset=DESTROY)
    old = grant_for(buyer, [work], starts_at=timezone.now()).items.get()
    later = grant_for(buyer, [work], starts_at=old.expires_at - timedelta(days=30)).items.get()
    declaration = declare(buyer, [old])  # declared after the later license exists
    assert later not in declaration.items.all()
    state = declaration_state(declaration, now=old.expires_at + timedelta(days=1))
    assert state.status == ModelStatus.DESTRUCTION_DUE and state.due_items == (old,)
