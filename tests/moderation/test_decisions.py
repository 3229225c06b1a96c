"""Staff decisions and bans, by their effects: what the work's status becomes and what the
creator reads, whether its offers still sell, the decision log, frozen earnings, the cases a ban
opens for licensed works, refunds to licensees, and the creator's one answer. Signals and cases
are made directly with the models (screening itself is tested in test_screening.py)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from accounts.models import Notification
from config.errors import ApplicationError
from licensing.models import GrantStatus, LicenseGrantItem
from licensing.selectors.offers import is_sellable, live_licenses_for_work
from marketplace.models import OrderStatus
from marketplace.services.checkout import order_checkout_start
from moderation.models import (
    AccountBan,
    CaseKind,
    CaseStatus,
    Decision,
    DecisionAction,
    ReviewCase,
)
from moderation.services.bans import account_ban, account_unban, ban_upload_guard
from moderation.services.decisions import case_answer, case_decide, cases_decide_bulk
from payouts.services.freezes import freeze_create, is_frozen
from tests.factories import BuyerFactory, CreatorFactory
from tests.fixtures.moderation import near_duplicate_signal, open_screening_case
from tests.marketplace.factories import deliver_all, listed_work, make_dataset, pay
from tests.uploads.works import upload_work
from uploads import registry
from uploads.models import Work, WorkStatus
from uploads.services.history import work_status_set

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def held(creator=None, *, risk: int = 60, title: str | None = None) -> ReviewCase:
    """A work held for review with one near-duplicate signal, as screening leaves it."""
    work = listed_work(creator, status=WorkStatus.PENDING_REVIEW, title=title)
    work_status_set(work=work, status=WorkStatus.PENDING_REVIEW, reason="Held for review")
    work.save()
    near_duplicate_signal(work, listed_work(), distance=6, variant="flip")
    return open_screening_case(work, risk=risk)


def offer_of(work):
    return work.offers.get()


# --- one case ----------------------------------------------------------------------------------


def test_approving_lists_the_work_and_logs_the_decision(staff):
    case = held()

    case_decide(case=case, actor=staff, action="approve", reason="Same photographer, checked")

    case.refresh_from_db()
    work = Work.objects.get(id=case.work_id)
    assert work.status == WorkStatus.LISTED and is_sellable(offer_of(work))
    assert case.status == CaseStatus.DECIDED and case.decided_at is not None
    [decision] = Decision.objects.all()
    assert (
        decision.action,
        decision.reason,
        decision.actor,
        decision.case_id,
        decision.work_id,
    ) == (
        "approve",
        "Same photographer, checked",
        staff,
        case.id,
        work.id,
    )
    change = work.status_changes.latest("id")
    assert (change.from_status, change.to_status, change.actor) == (
        "pending_review",
        "listed",
        staff,
    )
    assert Notification.objects.filter(user=work.owner, subject__contains="approved").exists()


def test_rejecting_tells_the_creator_why_and_the_work_does_not_sell(staff):
    case = held()

    case_decide(case=case, actor=staff, action="reject", reason="A copy of a stock photo")

    work = Work.objects.get(id=case.work_id)
    assert work.status == WorkStatus.REJECTED
    assert work.status_reason == "A copy of a stock photo"
    assert not is_sellable(offer_of(work))
    notice = Notification.objects.get(user=work.owner)
    assert "A copy of a stock photo" in notice.body
    assert Decision.objects.get().action == DecisionAction.REJECT


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_a_decision_needs_a_reason(staff, action):
    case = held()

    with pytest.raises(ApplicationError) as refused:
        case_decide(case=case, actor=staff, action=action, reason="   ")

    assert refused.value.code == "reason_required"
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and not Decision.objects.exists()
    assert Work.objects.get(id=case.work_id).status == WorkStatus.PENDING_REVIEW


def test_deciding_a_decided_case_is_a_clear_conflict(staff):
    case = held()
    case_decide(case=case, actor=staff, action="reject", reason="Stolen")

    with pytest.raises(ApplicationError) as refused:
        case_decide(case=case, actor=staff, action="approve", reason="Changed my mind")

    assert (refused.value.code, refused.value.status) == ("case_decided", 409)
    assert Decision.objects.count() == 1
    assert Work.objects.get(id=case.work_id).status == WorkStatus.REJECTED


def test_only_staff_decide(creator, buyer):
    case = held()
    for user in (creator, buyer, case.work.owner):
        with pytest.raises(ApplicationError) as refused:
            case_decide(case=case, actor=user, action="approve", reason="Fine")
        assert refused.value.status == 403
    assert not Decision.objects.exists()


def test_the_decision_log_is_append_only(staff):
    case = held()
    case_decide(case=case, actor=staff, action="approve", reason="Fine")
    decision = Decision.objects.get()

    decision.reason = "Rewritten"
    with pytest.raises(PermissionError):
        decision.save()
    with pytest.raises(PermissionError):
        decision.delete()
    with pytest.raises(PermissionError):
        Decision.objects.filter(id=decision.id).update(reason="Rewritten")
    with pytest.raises(PermissionError):
        Decision.objects.all().delete()
    assert Decision.objects.get().reason == "Fine"


# --- floods ------------------------------------------------------------------------------------


def test_a_flood_is_decided_at_once_under_one_batch(staff):
    creator = CreatorFactory()
    cases = [held(creator) for _ in range(4)]

    batch = cases_decide_bulk(
        case_ids=[c.id for c in cases],
        actor=staff,
        action="reject",
        reason="The same image in four crops",
    )

    assert set(Work.objects.filter(owner=creator).values_list("status", flat=True)) == {"rejected"}
    decisions = Decision.objects.filter(batch=batch)
    assert decisions.count() == 4
    assert {d.case_id for d in decisions} == {c.id for c in cases}
    assert not ReviewCase.objects.filter(status=CaseStatus.OPEN, kind=CaseKind.SCREENING).exists()


def test_a_bulk_decision_is_all_or_nothing(staff):
    cases = [held() for _ in range(3)]
    case_decide(case=cases[1], actor=staff, action="approve", reason="Fine")

    with pytest.raises(ApplicationError) as refused:
        cases_decide_bulk(
            case_ids=[c.id for c in cases], actor=staff, action="reject", reason="Flood"
        )

    assert (refused.value.code, refused.value.extra["case_ids"]) == ("case_decided", [cases[1].id])
    assert Decision.objects.count() == 1  # only the earlier approval
    for case in (cases[0], cases[2]):
        case.refresh_from_db()
        assert case.status == CaseStatus.OPEN
        assert Work.objects.get(id=case.work_id).status == WorkStatus.PENDING_REVIEW

    with pytest.raises(ApplicationError) as refused:
        cases_decide_bulk(
            case_ids=[cases[0].id, 999_999], actor=staff, action="reject", reason="Flood"
        )
    assert refused.value.code == "not_found"
    assert Decision.objects.count() == 1


# --- the creator's one answer ------------------------------------------------------------------


def test_the_creator_answers_once_while_the_case_is_open(staff, creator):
    case = held(creator)

    with pytest.raises(ApplicationError) as refused:
        case_answer(case=case, creator=CreatorFactory(), text="Mine!")
    assert refused.value.code == "not_owner"

    case_answer(case=case, creator=creator, text="I shot both photos; here is the RAW file.")
    case.refresh_from_db()
    assert case.creator_answer.startswith("I shot both") and case.answered_at is not None

    with pytest.raises(ApplicationError) as refused:
        case_answer(case=case, creator=creator, text="And another thing")
    assert refused.value.code == "already_answered"

    other = held(creator)
    case_decide(case=other, actor=staff, action="reject", reason="Stolen")
    with pytest.raises(ApplicationError) as refused:
        case_answer(case=other, creator=creator, text="Too late")
    assert refused.value.code == "case_decided"


# --- bans --------------------------------------------------------------------------------------


def licensed(client, stripe_server, stripe_client, work):
    """A team buys the work through Checkout on the local Stripe server; returns the order."""
    buyer = BuyerFactory()
    order = order_checkout_start(
        dataset=make_dataset(buyer, [work]), user=buyer, destruction_acknowledged=True
    )
    assert pay(stripe_server, order) == 303
    deliver_all(client, stripe_client)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    return order


@pytest.fixture
def scammer(client, local_stripe, stripe_client):
    """A creator with a licensed listed work, an unlicensed listed work, a held work with an
    open case, and a rejected work."""
    creator = CreatorFactory()
    sold = listed_work(creator, title="Sold")
    order = licensed(client, local_stripe, stripe_client, sold)
    return {
        "creator": creator,
        "sold": sold,
        "order": order,
        "listed": listed_work(creator, title="Listed"),
        "held": held(creator, title="Held"),
        "rejected": rejected(creator),
    }


def rejected(creator):
    work = listed_work(creator, title="Rejected")
    work_status_set(work=work, status=WorkStatus.REJECTED, reason="Blurry")
    work.save()
    return work


def test_a_ban_delists_freezes_and_opens_cases_for_licensed_works(scammer, staff):
    creator = scammer["creator"]

    ban = account_ban(user=creator, actor=staff, reason="Uploads scraped portfolio images")

    assert AccountBan.objects.get(user=creator, lifted_at=None) == ban
    statuses = dict(Work.objects.filter(owner=creator).values_list("title", "status"))
    assert statuses == {
        "Sold": "removed",
        "Listed": "removed",
        "Held": "removed",
        "Rejected": "rejected",
    }
    sold = Work.objects.get(id=scammer["sold"].id)
    assert sold.status_reason == "Removed: the account was banned."
    assert not is_sellable(offer_of(sold)) and not is_sellable(offer_of(scammer["listed"]))
    assert is_frozen(creator_id=creator.id)
    # The licensee still holds its license until staff decide.
    [licensee_case] = ReviewCase.objects.filter(kind=CaseKind.BANNED_ACCOUNT)
    assert licensee_case.work_id == sold.id and licensee_case.status == CaseStatus.OPEN
    assert live_licenses_for_work(work=sold)
    # The held upload's case is closed with the ban, in the same batch as the ban.
    held_case = ReviewCase.objects.get(id=scammer["held"].id)
    assert held_case.status == CaseStatus.DECIDED
    ban_row = Decision.objects.get(action=DecisionAction.BAN)
    assert (ban_row.account, ban_row.actor, ban_row.reason) == (
        creator,
        staff,
        "Uploads scraped portfolio images",
    )
    closing = Decision.objects.get(case=held_case)
    assert closing.action == DecisionAction.REJECT and closing.batch == ban_row.batch
    assert Notification.objects.filter(user=creator, subject__contains="banned").exists()


def test_a_banned_account_cannot_upload_and_cannot_be_banned_twice(scammer, staff):
    creator = scammer["creator"]
    account_ban(user=creator, actor=staff, reason="Scam")

    assert ban_upload_guard in registry.upload_guards, "moderation/apps.py must register it"
    with pytest.raises(ApplicationError) as refused:
        upload_work(creator)
    assert (refused.value.code, refused.value.status) == ("upload_refused", 403)

    with pytest.raises(ApplicationError) as refused:
        account_ban(user=creator, actor=staff, reason="Again")
    assert refused.value.code == "already_banned"
    assert Decision.objects.filter(action=DecisionAction.BAN).count() == 1


def test_lifting_a_ban_lifts_its_freeze_and_leaves_works_removed(scammer, staff):
    creator = scammer["creator"]
    other_freeze = freeze_create(actor=staff, creator=creator, reason="Chargeback under review")
    account_ban(user=creator, actor=staff, reason="Scam")

    account_unban(user=creator, actor=staff, reason="The claimant withdrew; identity verified")

    assert not AccountBan.objects.filter(user=creator, lifted_at=None).exists()
    other_freeze.refresh_from_db()
    assert other_freeze.lifted_at is None  # a freeze for another reason stands
    assert creator.id not in {f.creator_id for f in _ban_freezes_open(creator)}
    assert Work.objects.get(id=scammer["listed"].id).status == WorkStatus.REMOVED
    assert Decision.objects.filter(action=DecisionAction.UNBAN, account=creator).exists()
    assert upload_work(creator).owner == creator  # uploads are open again

    with pytest.raises(ApplicationError) as refused:
        account_unban(user=creator, actor=staff, reason="Twice")
    assert refused.value.code == "not_banned"


def _ban_freezes_open(creator):
    from payouts.selectors.freezes import creator_freezes

    return [f for f in creator_freezes(creator=creator) if f.reason.startswith("Account banned")]


def test_staff_cannot_be_banned_and_only_staff_ban(staff, creator):
    with pytest.raises(ApplicationError):
        account_ban(user=staff, actor=staff, reason="Oops")
    with pytest.raises(ApplicationError) as refused:
        account_ban(user=creator, actor=CreatorFactory(), reason="Rival")
    assert refused.value.status == 403
    assert not AccountBan.objects.exists()


def test_keeping_a_banned_accounts_licenses_leaves_them_running(scammer, staff):
    account_ban(user=scammer["creator"], actor=staff, reason="Scam")
    case = ReviewCase.objects.get(kind=CaseKind.BANNED_ACCOUNT)

    case_decide(
        case=case, actor=staff, action="approve", reason="The licensee bought in good faith"
    )

    case.refresh_from_db()
    assert case.status == CaseStatus.DECIDED
    assert Work.objects.get(id=case.work_id).status == WorkStatus.REMOVED  # still off sale
    assert LicenseGrantItem.objects.get(work=case.work).status == GrantStatus.ACTIVE


def test_refunding_a_banned_accounts_licensees_revokes_their_items(scammer, staff):
    account_ban(user=scammer["creator"], actor=staff, reason="Scam")
    case = ReviewCase.objects.get(kind=CaseKind.BANNED_ACCOUNT)

    case_decide(case=case, actor=staff, action="reject", reason="Stolen work")

    case.refresh_from_db()
    assert case.status == CaseStatus.DECIDED
    item = LicenseGrantItem.objects.get(work=case.work)
    assert item.status == GrantStatus.REVOKED
    order = scammer["order"]
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert order.refunds.get().reason.endswith("Stolen work")
    assert Decision.objects.filter(case=case, action=DecisionAction.REJECT).exists()


def test_one_open_case_per_work_and_kind_is_kept(staff):
    case = held()
    with pytest.raises(IntegrityError):
        ReviewCase.objects.create(work=case.work, kind=CaseKind.SCREENING, reason="Again")
