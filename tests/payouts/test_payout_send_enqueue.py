"""`payout_send_enqueue`: "Run payouts now" hands each payout to a worker through
`enqueue_or_log`; a broker that is down leaves the payout pending and the staff page says so,
and pressing again queues it. The broker is the one edge patched here."""

from __future__ import annotations

import pytest

from payouts import tasks
from payouts.models import Payout, PayoutStatus
from payouts.services.events import hold_release
from payouts.services.payout_runs import payout_send_enqueue
from tests.factories import CreatorFactory, PayoutAccountFactory
from tests.payouts.factories import sell

# Committed for real, as in production: the queueing runs on commit, inside the request, so
# what it says reaches the page.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def payable_creator():
    creator = CreatorFactory()
    hold_release(item_ref=sell(creator, 1500))
    PayoutAccountFactory(creator=creator, payouts_enabled=True)
    return creator


@pytest.fixture
def broker(monkeypatch):
    """The broker: `down` refuses every task; while up, the ids it was handed are kept."""

    class Broker:
        def __init__(self):
            self.down = False
            self.queued: list[int] = []

        def delay(self, payout_id):
            if self.down:
                raise ConnectionError("broker unreachable")
            self.queued.append(payout_id)

    fake = Broker()
    monkeypatch.setattr(tasks.payout_send_task, "delay", fake.delay)
    return fake


def run_payouts(client) -> str:
    return client.post("/staff/ledger/payout-run/", follow=True).content.decode()


def test_a_broker_that_is_down_leaves_the_payout_pending_and_says_so(
    client, staff_with_totp, payable_creator, broker
):
    client.force_login(staff_with_totp)
    broker.down = True

    html = run_payouts(client)

    (payout,) = Payout.objects.all()
    assert payout.status == PayoutStatus.PENDING and broker.queued == []
    assert "1 of 1 payout(s) could not be queued for sending; they stay pending." in html

    broker.down = False
    html = run_payouts(client)

    assert broker.queued == [payout.id] and Payout.objects.count() == 1
    assert "could not be queued" not in html and "1 payout(s) queued" in html
    assert payout_send_enqueue(payout_ids=[payout.id]) == []
    broker.down = True
    assert payout_send_enqueue(payout_ids=[payout.id]) == [payout.id]
