"""Rights claims end to end against the local Stripe server: a work sold to two teams and partly
paid out is claimed (it stops selling, its earnings freeze, the uploader is told and answers
once), then upheld (each licensee refunded at Stripe and told, their items revoked, the
creator's share taken back or owed, the fingerprints registered as stolen) or dismissed
(everything restored). Also: bad input is a clear 400, staff pages and decisions are staff-only,
and filing is throttled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Notification
from licensing.models import GrantStatus, LicenseGrantItem, OfferStatus
from licensing.selectors.offers import sellable_offers
from marketplace.models import Order, OrderStatus
from marketplace.services.checkout import order_checkout_start
from moderation.models import (
    CaseStatus,
    ClaimStatus,
    Decision,
    DecisionAction,
    KnownStolenWork,
    RightsClaim,
)
from moderation.services.claims import claim_answer, claim_file
from payouts.models import Freeze, JournalTransaction
from payouts.selectors.ledger import creator_balances, trial_balance
from payouts.services.events import holds_release_due
from payouts.services.freezes import is_frozen
from payouts.services.payout_runs import payout_run_create, payout_send
from tests.factories import BuyerFactory, CreatorFactory, StaffFactory
from tests.marketplace.factories import deliver_all, listed_work, make_dataset, pay
from tests.payouts.factories import connected_creator, fund_platform
from uploads.models import Work, WorkStatus

pytestmark = pytest.mark.django_db(transaction=True)

CLAIMANT = "mira@example.org"


@pytest.fixture(autouse=True)
def local_stripe(local_stripe, settings, media_root):
    settings.PAYOUT_MINIMUM = 100
    return local_stripe


def balanced() -> bool:
    return all(sum(kinds.values()) == 0 for kinds in trial_balance().values())


def after_hold():
    from django.conf import settings

    return timezone.now() + timedelta(days=settings.EARNINGS_HOLD_DAYS + 1)


def paid_order(client, buyer, works, server, stripe) -> Order:
    order = order_checkout_start(
        dataset=make_dataset(buyer, works), user=buyer, destruction_acknowledged=True
    )
    assert pay(server, order) == 303
    deliver_all(client, stripe)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    return order


def claim_body(target, **overrides) -> dict:
    return {
        "work": str(target.uuid),
        "claimant_name": "Mira Okafor",
        "claimant_email": CLAIMANT,
        "identity": "I painted it; I sell prints of it on my own site.",
        "evidence": "My original layered file is dated 2019; the upload is a crop of my post.",
        "links": ["https://mira.example.org/harbour", "http://archive.example.net/post/1"],
        "sworn": True,
        **overrides,
    }


def claim_fields(work, **overrides) -> dict:
    """The service's keyword arguments (the body without the work's id)."""
    body = claim_body(work, **overrides)
    del body["work"]
    return body


def _pay_out_elsewhere(server, account: str, currency: str = "usd") -> None:
    """The connected account's own payout to its bank emptied its Stripe balance (the local
    server has no bank payouts, so the balance is taken from its state directly)."""
    server.store.move(
        account, currency, available=-server.store.balance(account, currency)["available"]
    )


def _account_of(creator) -> str:
    return creator.payout_account.stripe_account_id


@pytest.mark.parametrize("recoverable", [False, True], ids=["paid-out-owed", "paid-out-reversed"])
def test_upheld_claim_refunds_each_licensee_and_takes_the_money_back(
    client,
    api_client,
    stripe_server,
    stripe_client,
    staff_with_totp,
    recoverable,
):
    fund_platform(stripe_server, 1_000_000)
    ada = connected_creator(stripe_client, stripe_server)
    work = listed_work(ada, price=1000, title="Harbour at dawn")
    kept = listed_work(ada, price=500, title="Other work")  # its earnings must not move
    first, second = BuyerFactory(), BuyerFactory()

    # Team one buys, the hold passes and the creator is paid 800 of it.
    order1 = paid_order(client, first, [work, kept], stripe_server, stripe_client)
    holds_release_due(now=after_hold())
    payout = payout_send(payout_id=payout_run_create().payouts.get().id)
    assert payout.status == "paid" and payout.amount == 800 + 400
    if not recoverable:
        _pay_out_elsewhere(stripe_server, _account_of(ada))
    # Team two buys afterwards: that share is still held.
    order2 = paid_order(client, second, [work], stripe_server, stripe_client)
    assert creator_balances(ada).held == 800

    # Anyone, signed out, files a claim through the API.
    response = api_client.post("/api/v1/claims/", claim_body(work), format="json")
    assert response.status_code == 201, response.json()
    claim = RightsClaim.objects.get(uuid=response.json()["uuid"])
    assert response.json()["status"] == "open" and claim.claimant is None
    work.refresh_from_db()
    assert work.status == WorkStatus.PENDING_REVIEW and "claims" in work.status_reason
    assert not sellable_offers().filter(work=work).exists()
    assert work.offers.get().status == OfferStatus.ACTIVE  # consent stands, only sales stop
    assert is_frozen(work_id=work.id) and claim.case.status == CaseStatus.OPEN
    told = Notification.objects.get(user=ada, subject__contains="rights claim")
    assert "answer" in told.body and told.url.endswith("#rights-claim")
    assert any(CLAIMANT in m.to and claim.uuid.hex[:10].upper() in m.body for m in mail.outbox)
    # The claimant can follow it by reference; nothing else about it is public.
    status = api_client.get(f"/api/v1/claims/{claim.uuid}/").json()
    assert status["status"] == "open" and CLAIMANT not in str(status)

    # Frozen: the held share of the second sale is not released when its hold passes.
    holds_release_due(now=after_hold() + timedelta(days=1))
    assert creator_balances(ada).held == 800

    # The uploader sees the claim on the work's page and answers once.
    client.force_login(ada)
    page = client.get(f"/studio/works/{work.id}/").content.decode()
    assert "Mira Okafor" in page and f"/studio/claims/{claim.uuid}/answer/" in page
    client.post(f"/studio/claims/{claim.uuid}/answer/", {"text": "I bought it from Mira."})
    again = client.post(f"/studio/claims/{claim.uuid}/answer/", {"text": "Second try"}, follow=True)
    assert "already answered" in again.content.decode()
    claim.refresh_from_db()
    assert claim.uploader_answer == "I bought it from Mira." and claim.case.answered_at
    client.logout()

    # Staff uphold it on the claim page.
    client.force_login(staff_with_totp)
    staff_page = client.get(f"/staff/claims/{claim.uuid}/").content.decode()
    assert "I bought it from Mira." in staff_page and order1.number in staff_page
    response = client.post(
        f"/staff/claims/{claim.uuid}/uphold/", {"reason": "Mira's dated originals predate it."}
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    work.refresh_from_db()
    assert claim.status == ClaimStatus.UPHELD and claim.decided_by == staff_with_totp
    assert work.status == WorkStatus.REMOVED and claim.case.status == CaseStatus.DECIDED

    # Each licensee's item refunded at Stripe, one refund per item, of its price.
    for order in (order1, order2):
        refunds = stripe_client.v1.refunds.list(
            params={"payment_intent": order.stripe_payment_intent_id}
        ).data
        assert [r.amount for r in refunds] == [1000]
    order1.refresh_from_db()
    order2.refresh_from_db()
    assert order1.status == OrderStatus.PARTIALLY_REFUNDED  # the other work's item stands
    assert order2.status == OrderStatus.REFUNDED
    items = {i.work_id: i.status for i in LicenseGrantItem.objects.all()}
    assert items[kept.id] == GrantStatus.ACTIVE
    assert set(LicenseGrantItem.objects.filter(work=work).values_list("status", flat=True)) == {
        GrantStatus.REVOKED
    }
    for team in (first, second):
        notice = Notification.objects.get(user=team, subject__startswith="License revoked")
        assert "Harbour at dawn" in notice.body and "$10.00" in notice.body

    # The money: both shares taken back; what was paid out is reversed or owed.
    assert balanced()
    balances = creator_balances(ada)
    assert balances.held == 0
    transfer = stripe_client.v1.transfers.retrieve(payout.stripe_transfer_id)
    if recoverable:
        assert transfer.amount_reversed == 800 and (balances.owed, balances.paid) == (0, 400)
    else:
        assert transfer.amount_reversed == 0 and (balances.owed, balances.paid) == (800, 1200)
    assert is_frozen(work_id=work.id)  # nothing of the removed work may ever be released
    assert Notification.objects.filter(user=ada, subject__contains="was removed").exists()

    stolen = KnownStolenWork.objects.get(source_claim=claim)
    assert stolen.sha256 == work.sha256 and len(stolen.pdq_hash) == 64
    decision = Decision.objects.get(case=claim.case)
    assert decision.action == DecisionAction.UPHOLD_CLAIM and decision.actor == staff_with_totp
    assert any(CLAIMANT in m.to and "upheld" in m.subject for m in mail.outbox)

    # Stripe's charge.refunded events arrive afterwards: nothing is reversed twice.
    deliver_all(client, stripe_client, "charge.refunded")
    assert JournalTransaction.objects.filter(kind="refund").count() == 2
    assert balanced()
    # A decided claim cannot be decided again.
    response = client.post(f"/staff/claims/{claim.uuid}/dismiss/", {"reason": "Changed mind"})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.UPHELD


def test_dismissed_claim_restores_the_work_and_its_earnings(client, stripe_server, stripe_client):
    ada = CreatorFactory()
    work = listed_work(ada, price=1000, title="Quiet street")
    buyer = BuyerFactory()
    paid_order(client, buyer, [work], stripe_server, stripe_client)

    # Filed through the public form, signed out.
    response = client.post(
        f"/works/{work.uuid}/claim/",
        {**claim_body(work, links="https://mira.example.org/street"), "sworn": "on"},
    )
    assert response.status_code == 302
    claim = RightsClaim.objects.get(work=work)
    confirmation = client.get(response["Location"]).content.decode()
    assert claim.uuid.hex[:10].upper() in confirmation and "Under review" in confirmation
    assert claim.links == ["https://mira.example.org/street"]
    assert not sellable_offers().filter(work=work).exists()
    holds_release_due(now=after_hold())
    assert creator_balances(ada).held == 800 and creator_balances(ada).available == 0

    staff = StaffFactory()
    from moderation.services.claims import claim_dismiss

    claim_dismiss(claim=claim, actor=staff, reason="The uploader showed the commission contract.")
    work.refresh_from_db()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DISMISSED and claim.case.status == CaseStatus.DECIDED
    assert work.status == WorkStatus.LISTED and sellable_offers().filter(work=work).exists()
    assert not is_frozen(work_id=work.id)
    freeze = Freeze.objects.get(work_id=work.id)
    assert freeze.lifted_by == staff
    # The earnings flow again at the next hold release; the license stands.
    holds_release_due(now=after_hold())
    assert creator_balances(ada).available == 800
    assert LicenseGrantItem.objects.get(work=work).status == GrantStatus.ACTIVE
    assert not KnownStolenWork.objects.exists()
    assert Decision.objects.get(case=claim.case).action == DecisionAction.DISMISS_CLAIM
    assert Notification.objects.filter(user=ada, subject__contains="dismissed").exists()
    assert any(CLAIMANT in m.to and "dismissed" in m.subject for m in mail.outbox)
    # Listed again, it can be claimed again.
    again = claim_file(work=work, **claim_fields(work, claimant_email="other@example.org"))
    assert again.status == ClaimStatus.OPEN


@pytest.mark.parametrize(
    "overrides, code, field",
    [
        ({"sworn": False}, "not_sworn", "sworn"),
        ({"links": ["ftp://mira.example.org/x"]}, "invalid", "links"),
        ({"links": ["javascript:alert(1)"]}, "invalid", "links"),
        ({"links": [f"https://mira.example.org/{n}" for n in range(11)]}, "invalid", "links"),
        ({"links": "https://not-a-list.example.org"}, "invalid", "links"),
        ({"evidence": "   "}, "invalid", "evidence"),
        ({"claimant_email": "not-an-email"}, "invalid", "claimant_email"),
        ({"work": "not-a-uuid"}, "invalid", "work"),
    ],
)
def test_bad_claims_are_clear_400s(api_client, overrides, code, field):
    work = listed_work()
    response = api_client.post("/api/v1/claims/", claim_body(work, **overrides), format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == code and field in body["fields"] and body["message"]
    assert not RightsClaim.objects.exists()
    work.refresh_from_db()
    assert work.status == WorkStatus.LISTED and not is_frozen(work_id=work.id)


def test_only_listed_works_can_be_claimed_and_not_by_their_uploader(api_client):
    held = listed_work(status=WorkStatus.PENDING_REVIEW)
    response = api_client.post("/api/v1/claims/", claim_body(held), format="json")
    assert response.status_code == 400 and response.json()["code"] == "not_listed"
    work = listed_work()
    own = claim_body(work, claimant_email=work.owner.email)
    assert api_client.post("/api/v1/claims/", own, format="json").json()["code"] == "own_work"
    unknown = claim_body(work, work="00000000-0000-0000-0000-000000000000")
    assert api_client.post("/api/v1/claims/", unknown, format="json").status_code == 404
    garbage = api_client.post("/api/v1/claims/", "{nope", content_type="application/json")
    assert garbage.status_code == 400
    # The second claim on a work already under review is refused the same way.
    assert api_client.post("/api/v1/claims/", claim_body(work), format="json").status_code == 201
    again = api_client.post("/api/v1/claims/", claim_body(work), format="json")
    assert again.status_code == 400 and again.json()["code"] == "not_listed"


def test_the_form_shows_errors_in_place_and_refuses_unsworn_claims(client):
    work = listed_work()
    response = client.post(f"/works/{work.uuid}/claim/", claim_body(work, links="ftp://x"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Not a web address" in page or "web addresses" in page
    response = client.post(
        f"/works/{work.uuid}/claim/", {**claim_body(work, links=""), "sworn": ""}
    )
    assert response.status_code == 400
    assert "swear the statement is true" in response.content.decode()
    assert not RightsClaim.objects.exists()
    removed = listed_work()
    Work.objects.filter(id=removed.id).update(status=WorkStatus.REMOVED)
    page = client.get(f"/works/{removed.uuid}/claim/").content.decode()
    assert "cannot be claimed" in page
    # A work that is not for sale is private: its title and status are not shown to others.
    assert removed.title not in page and "(it is removed)" not in page


def test_the_uploader_answers_once_and_only_the_uploader(api_client):
    work = listed_work()
    claim = claim_file(work=work, **claim_fields(work))
    outsider = CreatorFactory()
    api_client.force_authenticate(outsider)
    response = api_client.post(f"/api/v1/claims/{claim.uuid}/answer/", {"text": "Mine"})
    assert response.status_code == 403 and response.json()["code"] == "not_owner"
    claim_answer(claim=claim, uploader=work.owner, text="It is mine: here is my RAW file.")
    api_client.force_authenticate(work.owner)
    response = api_client.post(f"/api/v1/claims/{claim.uuid}/answer/", {"text": "Again"})
    assert response.status_code == 409 and response.json()["code"] == "already_answered"
    claim.refresh_from_db()
    assert claim.uploader_answer == "It is mine: here is my RAW file."


def test_staff_pages_and_decisions_are_for_staff_only(client, api_client, staff_with_totp):
    work = listed_work()
    claim = claim_file(work=work, **claim_fields(work))
    pages = ["/staff/claims/", f"/staff/claims/{claim.uuid}/"]
    posts = [f"/staff/claims/{claim.uuid}/{action}/" for action in ("uphold", "dismiss", "refunds")]
    for url in pages + posts:
        response = client.post(url, {"reason": "x"}) if url in posts else client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for outsider in (work.owner, BuyerFactory()):
        client.force_login(outsider)
        for url in pages:
            assert client.get(url).status_code == 403
        for url in posts:
            assert client.post(url, {"reason": "x"}).status_code == 403
        api_client.force_authenticate(outsider)
        for action in ("uphold", "dismiss"):
            response = api_client.post(f"/api/v1/claims/{claim.uuid}/{action}/", {"reason": "x"})
            assert response.status_code == 403
    api_client.force_authenticate(None)
    assert api_client.post(f"/api/v1/claims/{claim.uuid}/uphold/", {"reason": "x"}).status_code in (
        401,
        403,
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OPEN and not Decision.objects.exists()

    # Staff without two-factor are sent to set it up first; with it, they see the pages.
    client.force_login(StaffFactory())
    assert "/accounts/2fa/" in client.get("/staff/claims/")["Location"]
    client.force_login(staff_with_totp)
    listing = client.get("/staff/claims/").content.decode()
    assert claim.uuid.hex[:10].upper() in listing and work.title in listing
    assert client.get(f"/staff/claims/{claim.uuid}/").status_code == 200
    # A decision needs a reason.
    client.post(f"/staff/claims/{claim.uuid}/dismiss/", {"reason": ""})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OPEN
    api_client.force_authenticate(staff_with_totp)
    response = api_client.post(f"/api/v1/claims/{claim.uuid}/dismiss/", {"reason": "No proof."})
    assert response.status_code == 200 and response.json()["status"] == "dismissed"


def test_claim_decisions_over_the_api_need_staff_with_two_factor(api_client):
    """As every other staff API: a staff session without two-factor decides nothing."""
    work = listed_work()
    claim = claim_file(work=work, **claim_fields(work))
    api_client.force_authenticate(StaffFactory())
    for action in ("uphold", "dismiss"):
        response = api_client.post(f"/api/v1/claims/{claim.uuid}/{action}/", {"reason": "x"})
        assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OPEN and not Decision.objects.exists()


@pytest.mark.parametrize("claims", [1, 50])
def test_the_staff_claim_list_costs_the_same_queries_for_1_and_50_claims(
    client, staff_with_totp, django_assert_max_num_queries, claims
):
    creator = CreatorFactory()
    for _ in range(claims):
        work = listed_work(creator)
        RightsClaim.objects.create(work=work, **claim_fields(work))
    client.force_login(staff_with_totp)
    with django_assert_max_num_queries(8):
        response = client.get("/staff/claims/")
    assert response.content.decode().count("data-claim=") == claims


def test_filing_is_throttled_per_client_and_per_email(settings, api_client):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "claims": "2/hour",
        },
    }
    works = [listed_work() for _ in range(4)]
    codes = [
        api_client.post(
            "/api/v1/claims/",
            claim_body(w, claimant_email=f"c{n}@example.org"),
            format="json",
            REMOTE_ADDR="10.0.0.1",
        ).status_code
        for n, w in enumerate(works[:3])
    ]
    assert codes == [201, 201, 429]
    # Another address, same email as before: the email's own limit holds.
    response = api_client.post(
        "/api/v1/claims/",
        claim_body(works[3], claimant_email="c0@example.org"),
        format="json",
        REMOTE_ADDR="10.0.0.2",
    )
    assert response.status_code == 201  # a fresh address, and c0 has used 1 of its 2
    response = api_client.post(
        "/api/v1/claims/",
        claim_body(works[3], claimant_email="c0@example.org"),
        format="json",
        REMOTE_ADDR="10.0.0.3",
    )
    assert response.status_code == 429 and response.json()["code"] == "throttled"


def test_after_an_upheld_claim_the_creator_sees_removed_not_on_sale(
    client, api_client, staff_with_totp
):
    """Issue 21: the work page kept its offer "On sale once approved" with "Withdraw this work
    from sale", and no banner said what had happened."""
    from moderation.services.claims import claim_uphold

    ada = CreatorFactory()
    work = listed_work(ada, price=1000, title="Harbour at dawn")
    response = api_client.post("/api/v1/claims/", claim_body(work), format="json")
    claim = RightsClaim.objects.get(uuid=response.json()["uuid"])
    claim_uphold(claim=claim, actor=staff_with_totp, reason="The claimant showed the RAW files.")

    client.force_login(ada)
    html = client.get(f"/studio/works/{work.id}/").content.decode()
    assert 'data-testid="removed-banner"' in html
    assert "a rights claim on this work was upheld" in html
    assert "Not for sale: work removed" in html
    assert "On sale once approved" not in html and "Withdraw this work from sale" not in html
