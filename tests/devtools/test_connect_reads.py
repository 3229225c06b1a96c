"""What an Express platform reads from the local Stripe server after onboarding, through the
official library: login links to the Express dashboard (a single-use hosted test page),
capabilities, external accounts and balance transactions; and the lists embedded in charges
and transfers, shaped as Stripe shapes them."""

from __future__ import annotations

import pytest
import stripe

from .helpers import control, fetch
from .test_payments import paid_session


@pytest.fixture
def account(stripe_server, stripe_client) -> stripe.Account:
    created = stripe_client.v1.accounts.create(
        {
            "type": "express",
            "email": "creator@example.com",
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
        }
    )
    control(stripe_server, f"accounts/{created.id}", {"state": "complete"})
    return stripe_client.v1.accounts.retrieve(created.id)


def test_a_login_link_opens_the_test_express_dashboard_once(stripe_server, stripe_client, account):
    control(stripe_server, "balance/topup", {"amount": 10000, "currency": "usd"})
    stripe_client.v1.transfers.create(
        {"amount": 1234, "currency": "usd", "destination": account.id}
    )

    link = stripe_client.v1.accounts.login_links.create(account.id)

    assert link.object == "login_link"
    assert link.url.startswith(f"{stripe_server.public_url}/express/{account.id}/")
    status, _, html = fetch(link.url)
    assert status == 200
    assert "TEST MODE" in html
    assert account.id in html
    assert "$12.34" in html
    status, _, html = fetch(link.url)
    assert status == 410
    assert "single-use" in html


def test_no_login_link_before_onboarding(stripe_client):
    fresh = stripe_client.v1.accounts.create({"type": "express"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.accounts.login_links.create(fresh.id)
    assert "has not completed onboarding" in caught.value.user_message


def test_capabilities_are_listed_and_read_one_by_one(stripe_client, account):
    listed = stripe_client.v1.accounts.capabilities.list(account.id)

    assert [c.id for c in listed.data] == ["card_payments", "transfers"]
    assert {c.status for c in listed.data} == {"active"}
    assert listed.data[0].account == account.id
    assert listed.url == f"/v1/accounts/{account.id}/capabilities"
    transfers = stripe_client.v1.accounts.capabilities.retrieve(account.id, "transfers")
    assert (transfers.object, transfers.requested, transfers.status) == (
        "capability",
        True,
        "active",
    )
    never = stripe_client.v1.accounts.capabilities.retrieve(account.id, "klarna_payments")
    assert (never.requested, never.status, never.requested_at) == (False, "unrequested", None)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.accounts.capabilities.retrieve(account.id, "teleportation")
    assert caught.value.code == "resource_missing"


def test_external_accounts_are_listed_filtered_and_read(stripe_client, account):
    banks = stripe_client.v1.accounts.external_accounts.list(account.id)

    assert [b.last4 for b in banks.data] == ["6789"]
    bank = banks.data[0]
    assert (bank.object, bank.account, bank.status) == ("bank_account", account.id, "new")
    assert stripe_client.v1.accounts.external_accounts.retrieve(account.id, bank.id).id == bank.id
    cards = stripe_client.v1.accounts.external_accounts.list(account.id, params={"object": "card"})
    assert cards.data == []
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.accounts.external_accounts.retrieve(account.id, "ba_nope")
    assert caught.value.http_status == 404


def test_balance_transactions_of_the_platform_and_of_a_connected_account(
    stripe_server, stripe_client, account
):
    _, _, charge = paid_session(stripe_client, "4000000000000077")
    transfer = stripe_client.v1.transfers.create(
        {"amount": 1500, "currency": "usd", "destination": account.id}
    )
    stripe_client.v1.transfers.reversals.create(transfer.id, params={"amount": 500})

    platform = stripe_client.v1.balance_transactions.list()
    assert [t.type for t in platform.data] == ["transfer_refund", "transfer", "charge"]
    assert [t.amount for t in platform.data] == [500, -1500, 5000]
    by_source = stripe_client.v1.balance_transactions.list(params={"source": charge.id})
    assert [t.id for t in by_source.data] == [charge.balance_transaction]
    transfers = stripe_client.v1.balance_transactions.list(params={"type": "transfer"})
    assert [t.source for t in transfers.data] == [transfer.id]
    expanded = stripe_client.v1.balance_transactions.retrieve(
        charge.balance_transaction, params={"expand": ["source"]}
    )
    assert expanded.source.id == charge.id

    theirs = stripe_client.v1.balance_transactions.list(options={"stripe_account": account.id})
    assert [(t.type, t.amount) for t in theirs.data] == [
        ("payment_refund", -500),
        ("payment", 1500),
    ]
    assert theirs.data[1].source == transfer.destination_payment
    with pytest.raises(stripe.InvalidRequestError):  # not the platform's
        stripe_client.v1.balance_transactions.retrieve(theirs.data[0].id)
    with pytest.raises(stripe.InvalidRequestError) as caught:  # no payouts are made here
        stripe_client.v1.balance_transactions.list(params={"payout": "po_123"})
    assert (caught.value.code, caught.value.param) == ("resource_missing", "payout")


def test_a_charge_lists_its_refunds_newest_first(stripe_client):
    _, _, charge = paid_session(stripe_client)
    assert charge.refunds.to_dict() == {
        "object": "list",
        "data": [],
        "has_more": False,
        "url": f"/v1/charges/{charge.id}/refunds",
    }
    first = stripe_client.v1.refunds.create(params={"charge": charge.id, "amount": 1000})
    second = stripe_client.v1.refunds.create(params={"charge": charge.id, "amount": 500})
    stripe_client.v1.refunds.update(first.id, params={"metadata": {"noted": "1"}})

    charge = stripe_client.v1.charges.retrieve(charge.id)
    assert [r.id for r in charge.refunds.data] == [second.id, first.id]
    assert charge.refunds.data[1].metadata.to_dict() == {"noted": "1"}
    # Stripe leaves out what has no value yet on a refund, and names no transfer on a charge.
    assert "failure_reason" not in first and "description" not in first
    assert "transfer" not in charge
    assert first.payment_method == charge.payment_method
