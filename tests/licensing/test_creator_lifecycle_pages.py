"""The team's model pages (list, declare, detail) and the creator's pages (models trained on
their work, licenses per work): empty and filled states, refusals shown item by item with the
input kept, each user seeing only their own, and query counts that do not grow with rows.
Declaring a model in a real browser is in tests/e2e/test_licensing_pages.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import MembershipRole
from licensing.models import ModelDeclaration
from tests.factories import BuyerFactory, CreatorFactory, member_of, team_of
from tests.marketplace.factories import listed_work

from .lifecycle_helpers import attestation_on_file, declare, grant_for

pytestmark = pytest.mark.django_db

START = datetime(2027, 1, 10, 12, tzinfo=UTC)
RESEARCH = "nongenerative-research-5y"


@pytest.fixture(autouse=True)
def _media(media_root):
    return media_root


def html(response) -> str:
    return response.content.decode()


def form_data(**overrides) -> dict:
    return {
        "name": "Orbit",
        "version": "2.0",
        "purpose": "Text-to-image generator",
        "is_commercial": "on",
        "is_generative": "on",
        "training_started_on": "2027-02-01",
        "training_ended_on": "2027-03-01",
        **overrides,
    }


# --- Team pages -------------------------------------------------------------------------------


def test_model_list_empty_states(client):
    buyer = BuyerFactory()
    client.force_login(buyer)
    page = html(client.get("/team/models/"))
    assert "No models declared yet" in page and 'href="/team/models/new/"' in page

    lone = BuyerFactory(membership=None)
    client.force_login(lone)
    page = html(client.get("/team/models/"))
    assert "Create a team or accept an invitation first" in page
    assert "You're not in a team yet" in html(client.get("/team/models/new/"))


def test_model_list_shows_the_teams_models_with_status(client):
    owner, other = BuyerFactory(), BuyerFactory()
    grant = grant_for(owner, [listed_work()], starts_at=START)
    mine = declare(owner, grant.items.all(), name="Orbit", version="3")
    theirs = declare(
        other, grant_for(other, [listed_work()], starts_at=START).items.all(), name="Secret"
    )
    member = member_of(team_of(owner))
    client.force_login(member)
    page = html(client.get("/team/models/"))
    assert f'data-model="{mine.uuid}"' in page and "Orbit" in page
    assert 'data-status="active"' in page
    assert str(theirs.uuid) not in page and "Secret" not in page


def test_declare_form_shows_licenses_with_terms_and_creates_the_declaration(client):
    owner = BuyerFactory()
    grant = grant_for(
        owner, [listed_work(title="Cliffs"), listed_work(title="Dunes")], starts_at=START
    )
    client.force_login(owner)
    page = html(client.get("/team/models/new/"))
    assert f'value="{grant.uuid}"' in page and "Cliffs" in page and "Dunes" in page
    assert "Generative training" in page  # the terms chips

    response = client.post("/team/models/new/", form_data(grants=[str(grant.uuid)]))
    declaration = ModelDeclaration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/team/models/{declaration.uuid}/"
    assert set(declaration.items.all()) == set(grant.items.all())
    assert declaration.is_commercial and declaration.is_generative


def test_declare_form_without_licenses_says_so(client):
    client.force_login(BuyerFactory())
    assert "No licenses to declare on" in html(client.get("/team/models/new/"))


def test_refusal_lists_every_offending_item_and_keeps_the_input(client):
    owner = BuyerFactory()
    fits = grant_for(owner, [listed_work(title="Fits")], starts_at=START).items.get()
    research = grant_for(
        owner,
        [
            listed_work(preset=RESEARCH, title="Lab notes"),
            listed_work(preset=RESEARCH, title="Field notes"),
        ],
        starts_at=START,
    )
    client.force_login(owner)
    chosen = [fits.id, *research.items.values_list("id", flat=True)]

    response = client.post("/team/models/new/", form_data(items=chosen, purpose="Keep me"))

    assert response.status_code == 400
    page = html(response)
    assert "2 of 3 license items do not allow this model" in page
    for item in research.items.all():
        assert f'data-offending="{item.id}"' in page
    assert f'data-offending="{fits.id}"' not in page
    assert "Its terms are non-commercial only; this model is commercial." in page
    assert "Its terms do not permit generative training." in page
    assert "Keep me" in page and 'value="Orbit"' in page
    for item_id in chosen:
        assert f'value="{item_id}" id="item-{item_id}" checked' in page
    assert not ModelDeclaration.objects.exists()


def test_form_errors_come_back_with_status_400(client):
    owner = BuyerFactory()
    grant_for(owner, [listed_work()], starts_at=START)
    client.force_login(owner)
    response = client.post("/team/models/new/", form_data(training_ended_on="2027-01-01"))
    assert response.status_code == 400
    page = html(response)
    assert "Training cannot end before it started." in page
    assert "Choose whole licenses or single works the model used." in page


def test_model_detail_shows_items_terms_status_and_attestations(client):
    owner = BuyerFactory()
    grant = grant_for(owner, [listed_work(title="Cliffs")], starts_at=START)
    declaration = declare(owner, grant.items.all(), name="Orbit")
    client.force_login(owner)
    page = html(client.get(f"/team/models/{declaration.uuid}/"))
    assert "Cliffs" in page and "10 Jan 2030" in page and "Models destroyed at the end" in page
    assert 'data-status="active"' in page and "No attestation yet" in page

    attestation_on_file(declaration, owner)
    page = html(client.get(f"/team/models/{declaration.uuid}/"))
    assert 'data-status="destroyed"' in page and "Destroyed on 1 May 2027" in page


def test_model_detail_asks_owners_to_attest_when_destruction_is_due(client):
    owner = BuyerFactory()
    started = timezone.now() - timedelta(days=1110)
    grant = grant_for(owner, [listed_work()], starts_at=started)  # 36 months: expired
    declaration = declare(owner, grant.items.all(), started=timezone.localdate(started))
    client.force_login(owner)
    page = html(client.get(f"/team/models/{declaration.uuid}/"))
    assert 'data-status="destruction-due"' in page and 'data-testid="deadline"' in page
    assert 'data-testid="attest-link"' in page
    assert f"/team/models/{declaration.uuid}/attest/" in page

    member = member_of(team_of(owner), role=MembershipRole.MEMBER)
    client.force_login(member)
    page = html(client.get(f"/team/models/{declaration.uuid}/"))
    assert 'data-testid="attest-link"' not in page and "A team owner signs" in page


def test_model_detail_is_not_found_for_other_teams_and_forbidden_to_creators(client):
    owner = BuyerFactory()
    declaration = declare(owner, grant_for(owner, [listed_work()], starts_at=START).items.all())
    client.force_login(BuyerFactory())
    assert client.get(f"/team/models/{declaration.uuid}/").status_code == 404
    client.force_login(CreatorFactory())
    assert client.get(f"/team/models/{declaration.uuid}/").status_code == 403
    client.logout()
    assert client.get("/team/models/").status_code == 302


# --- Creator pages ----------------------------------------------------------------------------


def test_creator_pages_empty_states(client):
    client.force_login(CreatorFactory())
    assert "No models yet" in html(client.get("/studio/models/"))
    assert "None of your works is licensed yet" in html(client.get("/studio/licenses/"))
    client.force_login(BuyerFactory())
    assert client.get("/studio/models/").status_code == 403


def test_studio_models_shows_only_the_creators_own_works(client):
    painter, other = CreatorFactory(), CreatorFactory()
    owner = BuyerFactory()
    grant = grant_for(
        owner,
        [
            listed_work(painter, title="Mine A"),
            listed_work(painter, title="Mine B"),
            listed_work(other, title="Not mine"),
        ],
        starts_at=START,
    )
    declaration = declare(owner, grant.items.all(), name="Orbit", version="7")
    unrelated = BuyerFactory()
    declare(
        unrelated,
        grant_for(unrelated, [listed_work(other)], starts_at=START).items.all(),
        name="Elsewhere",
    )

    client.force_login(painter)
    page = html(client.get("/studio/models/"))
    assert f'data-model="{declaration.uuid}"' in page
    assert "Mine A" in page and "Mine B" in page and "Not mine" not in page
    assert team_of(owner).name in page and "Image generator" in page
    assert "Elsewhere" not in page
    assert "Commercial" in page and "Generative" in page and 'data-status="active"' in page


def test_studio_licenses_per_work_with_models_and_attestations(client):
    painter, other = CreatorFactory(), CreatorFactory()
    owner = BuyerFactory()
    mine = listed_work(painter, title="Harbour")
    unsold = listed_work(painter, title="Unsold")
    grant = grant_for(owner, [mine, listed_work(other, title="Not mine")], starts_at=START)
    declaration = declare(owner, grant.items.all(), name="Orbit", version="7")
    attestation_on_file(declaration, owner)

    client.force_login(painter)
    page = html(client.get("/studio/licenses/"))
    assert f'data-work="{mine.id}"' in page and "Harbour" in page
    assert f'data-work="{unsold.id}"' not in page and "Not mine" not in page
    assert team_of(owner).name in page and "10 Jan 2030" in page
    assert "Orbit 7" in page and "Attested destroyed on 1 May 2027" in page


# --- Query counts -----------------------------------------------------------------------------


@pytest.fixture
def few_shown(monkeypatch):
    """Three works listed per license, so a license of a few works is a "large" one."""
    from licensing.selectors import declarations as selectors_models
    from licensing.views import declarations as views_models

    monkeypatch.setattr(selectors_models, "DECLARE_ITEMS_SHOWN", 3)
    monkeypatch.setattr(views_models, "DECLARE_ITEMS_SHOWN", 3)
    return 3


def test_a_large_license_lists_its_first_works_and_finds_the_others_by_title(client, few_shown):
    owner = BuyerFactory()
    titles = ["Wave 1", "Wave 2", "Wave 3", "Wave 4", "Harbour at dusk"]
    grant = grant_for(owner, [listed_work(title=t) for t in titles], starts_at=START)
    items = {i.work_title: i for i in grant.items.all()}
    client.force_login(owner)

    page = html(client.get("/team/models/new/"))
    assert "5 works" in page
    shown = [t for t in titles if f'id="item-{items[t].id}"' in page]
    assert sorted(shown) == ["Harbour at dusk", "Wave 1", "Wave 2"]  # the first three by title
    assert 'data-testid="more-works"' in page and "Showing the first 3 of 5 works" in page

    # Find, with a work already ticked and the model half described: nothing is declared,
    # nothing typed or ticked is lost, no field is marked wrong.
    response = client.post(
        "/team/models/new/",
        {
            "team": team_of(owner).slug,
            "q": "wave 4",
            "find": "1",
            "name": "Orbit",
            "is_generative": "on",
            "items": [str(items["Wave 1"].id)],
        },
    )
    assert response.status_code == 200
    page = html(response)
    assert f'value="{items["Wave 4"].id}" id="item-{items["Wave 4"].id}"' in page
    assert f'value="{items["Wave 1"].id}" id="item-{items["Wave 1"].id}" checked' in page
    assert f'id="item-{items["Wave 2"].id}"' not in page  # not a match, not ticked
    assert "1 match “wave 4”" in page
    assert 'value="Orbit"' in page and "This field is required" not in page
    assert not ModelDeclaration.objects.exists()

    # A search that matches nothing says so.
    page = html(client.post("/team/models/new/", {"q": "volcano", "find": "1"}))
    assert "No works in this license match “volcano”." in page

    # Declaring works listed by different searches.
    response = client.post(
        "/team/models/new/", form_data(declare="1", items=[items["Wave 1"].id, items["Wave 4"].id])
    )
    assert response.status_code == 302
    declaration = ModelDeclaration.objects.get()
    assert set(declaration.items.all()) == {items["Wave 1"], items["Wave 4"]}


def test_the_declare_form_refuses_another_teams_item_by_id(client):
    owner, other = BuyerFactory(), BuyerFactory()
    grant_for(owner, [listed_work()], starts_at=START)
    theirs = grant_for(other, [listed_work(title="Not yours")], starts_at=START).items.get()
    client.force_login(owner)
    for bad in (theirs.id, "x1"):
        response = client.post("/team/models/new/", form_data(declare="1", items=[bad]))
        assert response.status_code == 400
        assert "Not yours" not in html(response)
    assert not ModelDeclaration.objects.exists()


@pytest.mark.parametrize("works", [2, 9])
def test_the_declare_page_costs_the_same_queries_for_any_license_size(
    client, django_assert_max_num_queries, few_shown, works
):
    owner = BuyerFactory()
    grant_for(owner, [listed_work() for _ in range(works)], starts_at=START)
    grant_for(owner, [listed_work() for _ in range(works)], starts_at=START)
    client.force_login(owner)
    with django_assert_max_num_queries(12):
        response = client.get("/team/models/new/")
    assert html(response).count('name="items"') == 2 * min(works, few_shown)


def _fill(rows: int):
    """`rows` declarations by one team, each on its own work of one creator."""
    creator, owner = CreatorFactory(), BuyerFactory()
    works = [listed_work(creator) for _ in range(rows)]
    grant = grant_for(owner, works, starts_at=START)
    for n, item in enumerate(grant.items.all()):
        declaration = declare(owner, [item], version=str(n))
        attestation_on_file(declaration, owner, method="Deleted")
    return creator, owner


@pytest.mark.parametrize("rows", [1, 50])
@pytest.mark.parametrize(
    "path, who",
    [("/team/models/", "owner"), ("/studio/models/", "creator"), ("/studio/licenses/", "creator")],
)
def test_list_pages_query_count_does_not_grow(
    client, django_assert_max_num_queries, rows, path, who
):
    creator, owner = _fill(rows)
    client.force_login(creator if who == "creator" else owner)
    with django_assert_max_num_queries(10):
        response = client.get(path)
    assert response.status_code == 200
    assert html(response).count("data-model=") >= rows


def test_staff_read_declarations_and_attestations_in_the_admin(client, staff_with_totp):
    owner = BuyerFactory()
    declaration = declare(
        owner, grant_for(owner, [listed_work(title="Cliffs")], starts_at=START).items.all()
    )
    attestation = attestation_on_file(declaration, owner)
    client.force_login(staff_with_totp)
    base = "/admin/licensing"
    assert client.get(f"{base}/modeldeclaration/").status_code == 200
    page = client.get(f"{base}/modeldeclaration/{declaration.id}/change/")
    assert page.status_code == 200 and "Cliffs" in html(page) and "Weights deleted" in html(page)
    assert client.get(f"{base}/destructionattestation/{attestation.id}/change/").status_code == 200
    assert client.get(f"{base}/modeldeclaration/add/").status_code == 403
    assert client.post(f"{base}/modeldeclaration/{declaration.id}/delete/").status_code == 403
    changed = client.post(f"{base}/modeldeclaration/{declaration.id}/change/", {"name": "X"})
    assert changed.status_code == 403
    declaration.refresh_from_db()
    assert declaration.name == "Orbit"
