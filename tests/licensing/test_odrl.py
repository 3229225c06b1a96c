"""A license as an ODRL 2.2 policy (licensing.documents.odrl_policy): an Agreement from Assent to
the team, one permission per item until its expiry, and a `delete` duty with its dates where the
terms say destroy-models."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from licensing.documents import odrl_policy
from tests.factories import team_of
from tests.licensing.lifecycle_helpers import DESTROY, STOP, grant_for
from tests.marketplace.factories import listed_work

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(media_root):
    return media_root


def zulu(value):
    return value.isoformat().replace("+00:00", "Z")


def test_policy_is_json_ld_with_a_delete_duty_and_its_dates(buyer, settings):
    destroy = listed_work(preset=DESTROY)
    stop = listed_work(preset=STOP)
    grant = grant_for(buyer, [destroy, stop], starts_at=timezone.now())
    policy = json.loads(json.dumps(odrl_policy(grant, base_url="https://assent.example/")))

    assert policy["@context"][0] == "http://www.w3.org/ns/odrl.jsonld"
    assert policy["@type"] == "Agreement"
    assert policy["uid"] == f"https://assent.example/public/licenses/{grant.uuid}/"
    assert policy["assignee"]["vcard:fn"] == team_of(buyer).name
    assert "Assent" in policy["assigner"]["vcard:fn"]
    by_target = {p["target"]: p for p in policy["permission"]}
    assert set(by_target) == {f"urn:uuid:{destroy.uuid}", f"urn:uuid:{stop.uuid}"}

    destroy_item = grant.items.get(work=destroy)
    permission = by_target[f"urn:uuid:{destroy.uuid}"]
    assert "assent:ai-train-generative" in permission["action"]
    assert {
        "leftOperand": "dateTime",
        "operator": "lteq",
        "rightOperand": {"@value": zulu(destroy_item.expires_at), "@type": "xsd:dateTime"},
    } in permission["constraint"]
    [duty] = [d for d in permission["duty"] if d["action"] == "delete"]
    dates = {c["operator"]: c["rightOperand"]["@value"] for c in duty["constraint"]}
    assert all(c["leftOperand"] == "dateTime" for c in duty["constraint"])
    deadline = destroy_item.expires_at + timedelta(days=settings.LICENSE_DESTRUCTION_GRACE_DAYS)
    assert dates == {"gteq": zulu(destroy_item.expires_at), "lteq": zulu(deadline)}

    # Stop-training terms: no duty; non-commercial terms say so.
    stop_permission = by_target[f"urn:uuid:{stop.uuid}"]
    assert "duty" not in stop_permission
    assert {"leftOperand": "purpose", "operator": "neq", "rightOperand": "assent:commercial"} in (
        stop_permission["constraint"]
    )


def test_policy_names_no_creator(buyer):
    work = listed_work(preset=DESTROY)
    grant = grant_for(buyer, [work], starts_at=timezone.now())
    text = json.dumps(odrl_policy(grant, base_url="https://assent.example"))
    assert work.owner.email not in text
    assert work.owner.creator_profile.display_name not in text


@pytest.mark.parametrize("works", [1, 12])
def test_the_policy_costs_the_same_few_queries_for_any_number_of_items(
    buyer, works, django_assert_max_num_queries
):
    grant = grant_for(
        buyer, [listed_work(preset=DESTROY) for _ in range(works)], starts_at=timezone.now()
    )
    grant = type(grant).objects.get(id=grant.id)
    with django_assert_max_num_queries(3):
        policy = odrl_policy(grant, base_url="https://assent.example/")
    assert len(policy["permission"]) == works
