"""The staff moderation pages and API: only staff with two-factor may open or act on any of
them; the queue, the case page (evidence side by side, the account's history, the creator's
answer), decisions and bans through the pages and the API; the queue's query count does not grow
with its length. Cases and signals are made directly with the models."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services.tokens import api_token_create
from moderation.models import (
    AccountBan,
    CaseKind,
    CaseStatus,
    Decision,
    DecisionAction,
    ReviewCase,
    ScreeningSignal,
    SignalKind,
)
from tests.factories import CreatorFactory
from tests.fixtures.moderation import near_duplicate_signal, open_screening_case
from tests.helpers import DEFAULT_PASSWORD, totp_code
from tests.marketplace.factories import listed_work
from uploads import registry
from uploads.models import Work, WorkStatus
from uploads.services.history import work_status_set

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def held(creator=None, *, risk: int = 60, title: str | None = None, match=True) -> ReviewCase:
    work = listed_work(
        creator,
        status=WorkStatus.PENDING_REVIEW,
        title=title,
        metadata={"exif": {"Artist": "Someone Else"}},
    )
    work_status_set(work=work, status=WorkStatus.PENDING_REVIEW, reason="Held for review")
    work.save()
    if match:
        other = listed_work(title=f"Original of {work.title}")
        near_duplicate_signal(work, other, distance=7, variant="rotate90")
        ScreeningSignal.objects.create(
            work=work,
            kind=SignalKind.AUTHOR_MISMATCH,
            weight=20,
            summary="EXIF Artist names someone else",
            evidence={"exif_artist": "Someone Else"},
        )
    return open_screening_case(work, risk=risk)


@pytest.fixture
def case():
    return held()


@pytest.fixture
def staff_client(client, staff_with_totp):
    client.force_login(staff_with_totp)
    return client


# --- who may open what -------------------------------------------------------------------------

PAGES = [
    ("GET", "/staff/review/"),
    ("GET", "/staff/review/?kind=screening"),
    ("GET", "/staff/review/{case}/"),
    ("GET", "/staff/review/log/"),
    ("GET", "/staff/review/count/"),
    ("POST", "/staff/review/bulk/"),
    ("POST", "/staff/review/{case}/decide/"),
    ("POST", "/staff/accounts/{owner}/ban/"),
    ("POST", "/staff/accounts/{owner}/unban/"),
]
ENDPOINTS = [
    ("GET", "/api/v1/staff/cases/"),
    ("GET", "/api/v1/staff/cases/{case}/"),
    ("POST", "/api/v1/staff/cases/{case}/decision/"),
    ("POST", "/api/v1/staff/accounts/{owner}/ban/"),
]


def _url(path: str, case: ReviewCase) -> str:
    return path.format(case=case.id, owner=case.work.owner_id)


def _body(case: ReviewCase) -> dict:
    return {"action": "reject", "reason": "Stolen", "case_ids": [case.id]}


def _nothing_changed(case: ReviewCase) -> None:
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert not Decision.objects.exists() and not AccountBan.objects.exists()
    assert Work.objects.get(id=case.work_id).status == WorkStatus.PENDING_REVIEW


@pytest.mark.parametrize("method, path", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, case, method, path):
    response = getattr(client, method.lower())(_url(path, case), _body(case))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    _nothing_changed(case)


@pytest.mark.parametrize("role", ["creator", "buyer"])
@pytest.mark.parametrize("method, path", PAGES)
def test_creators_and_buyers_are_refused_every_page(client, request, case, role, method, path):
    user = case.work.owner if role == "creator" else request.getfixturevalue("buyer")
    client.force_login(user)
    response = getattr(client, method.lower())(_url(path, case), _body(case))
    assert response.status_code == 403
    _nothing_changed(case)


@pytest.mark.parametrize("method, path", PAGES)
def test_staff_without_two_factor_are_sent_to_set_it_up(client, staff, case, method, path):
    client.force_login(staff)
    response = getattr(client, method.lower())(_url(path, case), _body(case))
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_activate_totp"))
    _nothing_changed(case)


@pytest.mark.parametrize("path", [p for m, p in PAGES if m == "GET"])
def test_staff_with_two_factor_open_every_page(staff_client, case, path):
    assert staff_client.get(_url(path, case)).status_code == 200


def _token_client(user) -> APIClient:
    api = APIClient()
    _, key = api_token_create(user=user, name="script")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_the_api_refuses_everyone_but_staff_with_two_factor(
    client, case, buyer, staff, method, path
):
    body = {"action": "reject", "reason": "Stolen"}
    anonymous = getattr(APIClient(), method.lower())(_url(path, case), body, format="json")
    assert anonymous.status_code == 401
    for user in (case.work.owner, buyer):
        response = getattr(_token_client(user), method.lower())(
            _url(path, case), body, format="json"
        )
        assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    # A staff session without two-factor set up (staff tokens cannot be had without it).
    session = APIClient()
    session.force_login(staff)
    assert (
        getattr(session, method.lower())(_url(path, case), body, format="json").status_code == 403
    )
    _nothing_changed(case)


# --- the queue ---------------------------------------------------------------------------------


def test_the_queue_lists_open_cases_riskiest_first_and_filters_by_kind(staff_client):
    low, high = held(risk=20, title="Low"), held(risk=90, title="High")
    decided = held(title="Decided")
    ReviewCase.objects.filter(id=decided.id).update(status=CaseStatus.DECIDED)
    banned = listed_work(title="Licensed")
    ReviewCase.objects.create(
        work=banned, kind=CaseKind.BANNED_ACCOUNT, risk_score=100, reason="Account banned"
    )

    html = staff_client.get("/staff/review/?kind=screening").content.decode()
    assert html.index(f'data-case="{high.id}"') < html.index(f'data-case="{low.id}"')
    assert f'data-case="{decided.id}"' not in html and 'data-kind="banned_account"' not in html

    html = staff_client.get("/staff/review/").content.decode()
    assert 'data-kind="banned_account"' in html
    assert 'hx-get="/staff/review/count/"' in html  # the nav asks for the open count
    badge = staff_client.get("/staff/review/count/").content.decode()
    assert 'data-testid="review-count">3<' in badge


@pytest.mark.parametrize("cases", [1, 50])
def test_the_queue_costs_the_same_queries_for_1_and_50_cases(
    staff_client, django_assert_max_num_queries, cases
):
    creator = CreatorFactory()
    for _ in range(cases):
        held(creator)
    with django_assert_max_num_queries(7):
        response = staff_client.get("/staff/review/")
    assert response.content.decode().count("data-case=") == cases


def test_bulk_rejecting_a_flood_from_the_queue(staff_client, staff_with_totp):
    creator = CreatorFactory()
    flood = [held(creator) for _ in range(3)]
    spared = held()

    response = staff_client.post(
        "/staff/review/bulk/",
        {
            "case_ids": [c.id for c in flood],
            "action": "reject",
            "reason": "One image, 3 crops",
        },
    )

    assert response.status_code == 302
    assert set(Work.objects.filter(owner=creator).values_list("status", flat=True)) == {"rejected"}
    batches = set(Decision.objects.values_list("batch", flat=True))
    assert len(batches) == 1 and None not in batches
    spared.refresh_from_db()
    assert spared.status == CaseStatus.OPEN
    page = staff_client.get(response.url).content.decode()
    assert "Rejected 3 cases" in page

    # Without a reason nothing is decided.
    staff_client.post("/staff/review/bulk/", {"case_ids": [spared.id], "action": "approve"})
    spared.refresh_from_db()
    assert spared.status == CaseStatus.OPEN


# --- the case page -----------------------------------------------------------------------------


def test_the_case_page_shows_the_match_side_by_side_with_evidence_and_history(staff_client):
    creator = CreatorFactory()
    earlier = held(creator, title="Earlier upload")
    staff_client.post(
        f"/staff/review/{earlier.id}/decide/",
        {"action": "reject", "reason": "Scraped from a portfolio"},
    )
    case = held(creator, title="Suspicious")
    match = case.work.signals.get(kind=SignalKind.NEAR_DUPLICATE).related_work

    html = staff_client.get(f"/staff/review/{case.id}/").content.decode()

    assert 'data-testid="comparison"' in html and f'data-related="{match.id}"' in html
    assert 'data-testid="distance">7<' in html
    assert "EXIF Artist names someone else" in html and "rotate90" in html
    assert "&quot;Artist&quot;: &quot;Someone Else&quot;" in html  # the metadata, pretty
    assert "Earlier upload" in html and "Scraped from a portfolio" in html  # account history
    assert creator.email in html and "No answer yet." in html


def test_a_case_decided_on_its_page_with_a_reason(staff_client, case):
    response = staff_client.post(f"/staff/review/{case.id}/decide/", {"action": "approve"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN  # no reason, no decision

    response = staff_client.post(
        f"/staff/review/{case.id}/decide/", {"action": "reject", "reason": "Stock photo"}
    )
    assert response.url == "/staff/review/"
    assert Work.objects.get(id=case.work_id).status_reason == "Stock photo"

    staff_client.post(f"/staff/review/{case.id}/decide/", {"action": "approve", "reason": "x"})
    assert Decision.objects.count() == 1
    html = staff_client.get(f"/staff/review/{case.id}/", follow=True).content.decode()
    assert "Stock photo" in html and 'id="decision-form"' not in html


def test_banning_from_the_case_page(staff_client, case):
    owner = case.work.owner
    response = staff_client.post(
        f"/staff/accounts/{owner.id}/ban/",
        {"reason": "Scraper", "next": f"/staff/review/{case.id}/"},
    )
    assert response.url == f"/staff/review/{case.id}/"
    assert AccountBan.objects.filter(user=owner, lifted_at=None).exists()
    html = staff_client.get(response.url).content.decode()
    assert 'data-testid="active-ban"' in html and "Scraper" in html

    staff_client.post(f"/staff/accounts/{owner.id}/unban/", {"reason": "Verified identity"})
    assert not AccountBan.objects.filter(user=owner, lifted_at=None).exists()


def test_the_log_lists_every_decision_and_filters(staff_client, staff_with_totp):
    a, b = held(title="A"), held(title="B")
    staff_client.post(f"/staff/review/{a.id}/decide/", {"action": "approve", "reason": "Fine"})
    staff_client.post(f"/staff/accounts/{b.work.owner_id}/ban/", {"reason": "Scraper"})

    html = staff_client.get("/staff/review/log/").content.decode()
    assert 'data-action="approve"' in html and 'data-action="ban"' in html

    html = staff_client.get("/staff/review/log/", {"action": "ban"}).content.decode()
    assert 'data-action="approve"' not in html and "Scraper" in html
    html = staff_client.get("/staff/review/log/", {"account": b.work.owner_id}).content.decode()
    assert 'data-action="ban"' in html and 'data-action="approve"' not in html
    batch = Decision.objects.get(action=DecisionAction.BAN).batch
    html = staff_client.get("/staff/review/log/", {"batch": str(batch)}).content.decode()
    assert html.count("data-decision=") == Decision.objects.filter(batch=batch).count()


@pytest.mark.parametrize("value", ["²", "٣", "99999999999999999999", "-1", "x"])
def test_the_log_ignores_a_filter_that_is_not_an_id(staff_client, value):
    for name in ("actor", "account", "work"):
        assert staff_client.get("/staff/review/log/", {name: value}).status_code == 200


@pytest.mark.parametrize("value", ["²", "99999999999999999999"])
def test_bulk_deciding_an_id_that_is_not_a_case_changes_nothing(staff_client, case, value):
    response = staff_client.post(
        "/staff/review/bulk/", {"case_ids": [value], "action": "reject", "reason": "Spam"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and not Decision.objects.exists()


# --- the creator's answer ----------------------------------------------------------------------


def test_the_creator_answers_once_on_the_work_page_and_staff_read_it(client, staff_with_totp):
    from moderation.views.cases import work_case_section

    assert work_case_section in registry.work_page_sections, "moderation/apps.py must register it"
    case = held()
    creator = case.work.owner
    client.force_login(creator)
    page = f"/studio/works/{case.work_id}/"
    html = client.get(page).content.decode()
    assert 'data-testid="review-section"' in html and "answer once" in html

    client.post(f"/studio/works/{case.work_id}/review-answer/", {"text": "I painted it in 2019."})
    html = client.get(page).content.decode()
    assert 'data-testid="your-answer"' in html and "review-answer" not in html
    client.post(f"/studio/works/{case.work_id}/review-answer/", {"text": "Second try"})
    case.refresh_from_db()
    assert case.creator_answer == "I painted it in 2019."

    # Someone else's work: not found.
    client.force_login(CreatorFactory())
    assert (
        client.post(f"/studio/works/{case.work_id}/review-answer/", {"text": "x"}).status_code
        == 404
    )

    client.force_login(staff_with_totp)
    html = client.get(f"/staff/review/{case.id}/").content.decode()
    assert "I painted it in 2019." in html


# --- the API -----------------------------------------------------------------------------------


def _staff_api(staff) -> APIClient:
    """Staff get a token only with their TOTP code; that token is what they call with."""
    api = APIClient()
    response = api.post(
        "/api/v1/auth/token/",
        {
            "email": staff.email,
            "password": DEFAULT_PASSWORD,
            "otp": totp_code(staff.totp_secret),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['key']}")
    return api


def test_the_api_lists_shows_decides_and_bans(staff_with_totp):
    api = _staff_api(staff_with_totp)
    low, high = held(risk=10), held(risk=80)

    body = api.get("/api/v1/staff/cases/").json()
    assert [c["id"] for c in body["results"]] == [high.id, low.id]
    assert body["results"][0]["signal_count"] == 2

    detail = api.get(f"/api/v1/staff/cases/{high.id}/").json()
    near = next(s for s in detail["signals"] if s["kind"] == "near_duplicate")
    assert near["distance"] == 7 and near["related_work"]["id"] and near["evidence"]["variant"]
    assert detail["metadata"]["exif"]["Artist"] == "Someone Else"
    assert detail["account"]["email"] == high.work.owner.email

    url = f"/api/v1/staff/cases/{high.id}/decision/"
    refused = api.post(url, {"action": "reject"}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()["fields"]
    decided = api.post(url, {"action": "reject", "reason": "Stolen"}, format="json")
    assert decided.status_code == 200 and decided.json()["status"] == "decided"
    assert decided.json()["work"]["status"] == "rejected"
    again = api.post(url, {"action": "approve", "reason": "Oops"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "case_decided")

    banned = api.post(
        f"/api/v1/staff/accounts/{low.work.owner_id}/ban/", {"reason": "Scraper"}, format="json"
    )
    assert banned.status_code == 201 and banned.json()["user_id"] == low.work.owner_id
    assert Work.objects.get(id=low.work_id).status == WorkStatus.REMOVED
    assert api.get("/api/v1/staff/cases/", {"status": "decided"}).json()["count"] == 2
    assert api.get("/api/v1/staff/cases/9999999/").status_code == 404


def test_staff_home_says_what_waits_for_a_person_with_links(
    staff_client, django_assert_max_num_queries
):
    """Not "review queues are coming": each area with its count and where to go."""
    empty = staff_client.get("/staff/").content.decode()
    assert "Nothing waits for a person right now." in empty
    assert "No upload is waiting for review." in empty and "coming" not in empty

    held(title="Harbour copy")
    held(title="Dunes copy")
    with django_assert_max_num_queries(20):
        page = staff_client.get("/staff/")
    html = page.content.decode()
    assert "2 things wait for a person." in html
    assert "2 held uploads and flagged works." in html
    assert 'href="/staff/review/"' in html and 'href="/staff/claims/"' in html
