"""Model declarations: checked against every item's terms (each kind of mismatch refused, every
offending item listed at once), stored with their items when they fit, and each creator told
once, with all of their works in the model in one notice."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core import mail

from accounts.models import MembershipRole, Notification
from config.errors import ApplicationError
from licensing.models import ModelDeclaration, ModelDeclarationItem
from licensing.services.declarations import model_declare
from licensing.services.grants import license_items_revoke
from licensing.services.notices import declaration_notices_send
from licensing.terms import LicenseTerms, OnExpiry, Use
from tests.factories import BuyerFactory, CreatorFactory, member_of, team_of
from tests.marketplace.factories import listed_work

from .lifecycle_helpers import grant_for

pytestmark = pytest.mark.django_db

START = datetime(2027, 1, 10, 12, tzinfo=UTC)
GENERATIVE = "generative-commercial-3y"  # every use, commercial, 36 months
RESEARCH = "nongenerative-research-5y"  # non-generative + evaluation, non-commercial
EVALUATION = "evaluation-1y"  # evaluation only, commercial, 12 months
FINE_TUNE = "fine-tune-commercial-2y"  # fine-tune + evaluation, commercial, 24 months


@pytest.fixture(autouse=True)
def _media(media_root):
    return media_root


def declare(buyer, *, items=(), grants=(), user=None, **overrides):
    """`user` (the buyer by default) declares a model for the buyer's team on `items` and
    whole `grants`; `overrides` replace any field, raw `item_ids` and `grant_uuids` too."""
    values = {
        "name": "Orbit",
        "version": "1.0",
        "purpose": "Text-to-image generator for our design tool",
        "is_commercial": True,
        "is_generative": True,
        "training_started_on": date(2027, 2, 1),
        "training_ended_on": date(2027, 3, 1),
        "item_ids": [i.id for i in items],
        "grant_uuids": [str(g.uuid) for g in grants],
        **overrides,
    }
    return model_declare(organization=team_of(buyer), user=user or buyer, **values)


def refusal(buyer, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        declare(buyer, **kwargs)
    assert not ModelDeclaration.objects.exists()
    return caught.value


def offending(error: ApplicationError) -> dict[int, list[str]]:
    assert error.code == "terms_mismatch"
    return {p["id"]: p["reasons"] for p in error.extra["offending_items"]}


@pytest.fixture
def buyer():
    return BuyerFactory()


def one_item(buyer, preset=GENERATIVE, *, starts_at=START, terms=None, title=None):
    work = listed_work(preset=preset, terms=terms, title=title)
    return grant_for(buyer, [work], starts_at=starts_at).items.get()


# --- Each kind of mismatch --------------------------------------------------------------------


def test_commercial_model_on_non_commercial_item_is_refused(buyer):
    research = one_item(buyer, RESEARCH)
    error = refusal(buyer, items=[research], is_generative=False)
    assert offending(error) == {
        research.id: ["Its terms are non-commercial only; this model is commercial."]
    }
    assert error.extra["offending_items"][0]["work_title"] == research.work_title


def test_generative_model_on_items_without_generative_training_is_refused(buyer):
    research, fine_tune = one_item(buyer, RESEARCH), one_item(buyer, FINE_TUNE)
    error = refusal(buyer, items=[research, fine_tune], is_commercial=False)
    assert offending(error) == {
        research.id: ["Its terms do not permit generative training."],
        fine_tune.id: ["Its terms do not permit generative training."],
    }


def test_non_generative_model_needs_a_training_use(buyer):
    """Non-generative training or fine-tuning fits; evaluation alone is not training."""
    evaluation, fine_tune = one_item(buyer, EVALUATION), one_item(buyer, FINE_TUNE)
    error = refusal(buyer, items=[evaluation, fine_tune], is_generative=False)
    assert list(offending(error)) == [evaluation.id]
    assert "permit no training" in offending(error)[evaluation.id][0]

    declaration = declare(buyer, items=[fine_tune], is_generative=False)
    assert list(declaration.items.all()) == [fine_tune]


def test_generative_only_item_does_not_cover_a_non_generative_model(buyer):
    generative_only = LicenseTerms(frozenset({Use.GENERATIVE}), True, 12, OnExpiry.STOP_TRAINING)
    item = one_item(buyer, terms=generative_only)
    error = refusal(buyer, items=[item], is_generative=False)
    assert list(offending(error)) == [item.id]


def test_training_after_expiry_is_refused(buyer):
    one_year = LicenseTerms(
        frozenset({Use.GENERATIVE}), True, 12, OnExpiry.DESTROY_MODELS
    )  # expires 10 Jan 2028
    item = one_item(buyer, terms=one_year)
    error = refusal(buyer, items=[item], training_ended_on=date(2028, 1, 11))
    assert offending(error) == {
        item.id: ["Training ends after the license expires on 10 Jan 2028."]
    }
    # The expiry day itself is still within the license.
    assert declare(buyer, items=[item], training_ended_on=date(2028, 1, 10))


def test_training_before_the_license_started_is_refused(buyer):
    item = one_item(buyer)
    error = refusal(buyer, items=[item], training_started_on=date(2027, 1, 9))
    assert offending(error) == {
        item.id: ["Training started before the license began on 10 Jan 2027."]
    }


def test_revoked_item_is_refused(buyer):
    item = one_item(buyer)
    license_items_revoke(item_refs=[item.item_ref], reason="Refunded")
    error = refusal(buyer, items=[item])
    assert offending(error) == {
        item.id: ["This license item was revoked: Refunded; the work may not be used."]
    }


def test_another_teams_items_and_licenses_are_refused_by_id(buyer):
    other = BuyerFactory()
    theirs = one_item(other)
    mine = one_item(buyer)
    with pytest.raises(ApplicationError) as caught:
        declare(buyer, items=[mine, theirs], grants=[theirs.grant])
    assert caught.value.code == "unknown_items"
    assert caught.value.extra == {
        "unknown_items": [str(theirs.id)],
        "unknown_licenses": [str(theirs.grant.uuid)],
    }
    assert not ModelDeclaration.objects.exists()


def test_garbage_ids_are_listed_not_crashed_on(buyer):
    with pytest.raises(ApplicationError) as caught:
        declare(buyer, item_ids=["abc", 999999], grant_uuids=["not-a-uuid"])
    assert caught.value.code == "unknown_items"
    assert caught.value.extra["unknown_items"] == ["abc", "999999"]
    assert caught.value.extra["unknown_licenses"] == ["not-a-uuid"]


def test_every_offending_item_is_listed_with_all_its_reasons(buyer):
    fits = one_item(buyer)
    research = one_item(buyer, RESEARCH, title="Harbour at dawn")
    late = one_item(buyer, starts_at=datetime(2027, 3, 1, tzinfo=UTC))
    revoked = one_item(buyer)
    license_items_revoke(item_refs=[revoked.item_ref], reason="Claim upheld")

    error = refusal(buyer, items=[fits, research, late, revoked])

    problems = offending(error)
    assert set(problems) == {research.id, late.id, revoked.id}
    assert problems[research.id] == [
        "Its terms are non-commercial only; this model is commercial.",
        "Its terms do not permit generative training.",
    ]
    assert problems[late.id] == ["Training started before the license began on 1 Mar 2027."]
    assert error.message.startswith("3 of 4 license items do not allow this model")
    titles = {p["work_title"] for p in error.extra["offending_items"]}
    assert "Harbour at dawn" in titles


# --- What is stored ---------------------------------------------------------------------------


def test_accepted_declaration_stores_its_items_from_ids_and_whole_licenses(buyer):
    a, b = listed_work(), listed_work()
    whole = grant_for(buyer, [a, b], starts_at=START)
    single = one_item(buyer)
    member = member_of(team_of(buyer), role=MembershipRole.MEMBER)

    declaration = declare(
        buyer,
        user=member,
        name="  Orbit ",
        version="2",
        purpose="Gen",
        training_ended_on=date(2027, 2, 1),
        item_ids=[single.id, whole.items.first().id],
        grant_uuids=[str(whole.uuid)],
    )

    assert declaration.name == "Orbit" and declaration.declared_by == member
    stored = set(
        ModelDeclarationItem.objects.filter(declaration=declaration).values_list(
            "grant_item_id", flat=True
        )
    )
    assert stored == {single.id, *whole.items.values_list("id", flat=True)}


def test_whole_license_leaves_out_its_revoked_items(buyer):
    a, b = listed_work(), listed_work()
    grant = grant_for(buyer, [a, b], starts_at=START)
    gone = grant.items.get(work=a)
    license_items_revoke(item_refs=[gone.item_ref], reason="Refunded")
    declaration = declare(buyer, grants=[grant])
    assert list(declaration.items.all()) == [grant.items.get(work=b)]


def test_same_name_and_version_twice_is_refused(buyer):
    item = one_item(buyer)
    declare(buyer, items=[item])
    with pytest.raises(ApplicationError) as caught:
        declare(buyer, items=[item], name="Orbit", version="1.0")
    assert caught.value.code == "duplicate_model" and caught.value.status == 409
    assert declare(buyer, items=[item], version="1.1")
    # Another team may use the same name.
    other = BuyerFactory()
    assert declare(other, items=[one_item(other)])


def test_outsiders_cannot_declare_for_a_team(buyer):
    item = one_item(buyer)
    stranger = BuyerFactory()
    with pytest.raises(ApplicationError) as caught:
        declare(buyer, items=[item], user=stranger)
    assert caught.value.status == 404
    assert not ModelDeclaration.objects.exists()


def test_dates_out_of_order_and_empty_fields_are_refused(buyer):
    item = one_item(buyer)
    error = refusal(
        buyer,
        items=[item],
        name=" ",
        training_started_on=date(2027, 3, 1),
        training_ended_on=date(2027, 2, 1),
    )
    assert error.code == "invalid" and set(error.fields) == {"name"}
    error = refusal(
        buyer,
        items=[item],
        training_started_on=date(2027, 3, 1),
        training_ended_on=date(2027, 2, 1),
    )
    assert set(error.fields) == {"training_ended_on"}
    assert refusal(buyer).code == "no_items"


# --- Training notices -------------------------------------------------------------------------


def test_notices_are_batched_per_creator_and_sent_once(buyer, django_capture_on_commit_callbacks):
    painter, photographer = CreatorFactory(), CreatorFactory()
    paintings = [listed_work(painter, title=f"Painting {n}") for n in range(3)]
    photo = listed_work(photographer, title="Night market")
    grant = grant_for(buyer, [*paintings, photo], starts_at=START)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        declaration = declare(buyer, grants=[grant])

    to_painter = Notification.objects.get(user=painter)
    to_photographer = Notification.objects.get(user=photographer)
    assert Notification.objects.filter(user__in=[painter, photographer]).count() == 2
    team = team_of(buyer).name
    assert to_painter.subject == f"{team} trained Orbit 1.0 on 3 of your works"
    for title in ("Painting 0", "Painting 1", "Painting 2"):
        assert title in to_painter.body
    assert "Night market" not in to_painter.body
    assert "Night market" in to_photographer.body and "Painting" not in to_photographer.body
    assert "Purpose: Text-to-image generator for our design tool" in to_painter.body
    assert "(commercial, generative)" in to_painter.body
    assert "Training: 1 February 2027 to 1 March 2027" in to_painter.body
    assert "until 10 January 2030 (the model must then be destroyed)" in to_painter.body
    assert to_painter.url == "/studio/models/"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([painter.email, photographer.email])

    # A replay (a retried task, a second on_commit) sends nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        assert declaration_notices_send(declaration_id=declaration.id) == 0
    assert Notification.objects.filter(user__in=[painter, photographer]).count() == 2
    assert len(mail.outbox) == 2


def test_a_refused_declaration_notifies_nobody(buyer, django_capture_on_commit_callbacks):
    item = one_item(buyer, RESEARCH)
    with django_capture_on_commit_callbacks(execute=True):
        refusal(buyer, items=[item])
    assert not Notification.objects.filter(user_id=item.creator_id).exists()


def test_each_declaration_notifies_again(buyer, django_capture_on_commit_callbacks):
    item = one_item(buyer)
    with django_capture_on_commit_callbacks(execute=True):
        declare(buyer, items=[item], version="1")
        declare(buyer, items=[item], version="2")
    subjects = set(
        Notification.objects.filter(user_id=item.creator_id).values_list("subject", flat=True)
    )
    team = team_of(buyer).name
    assert subjects == {
        f"{team} trained Orbit 1 on your work “{item.work_title}”",
        f"{team} trained Orbit 2 on your work “{item.work_title}”",
    }


def test_dates_far_from_now_are_fine(buyer):
    """A declaration may be made long after training, on items that have since expired."""
    item = one_item(buyer, FINE_TUNE, starts_at=datetime(2024, 10, 1, tzinfo=UTC))
    declaration = declare(
        buyer,
        items=[item],
        is_generative=False,
        training_started_on=date(2024, 11, 1),
        training_ended_on=date(2024, 12, 1),
    )
    assert list(declaration.items.all()) == [item]


def test_a_broker_outage_loses_no_training_notice(
    buyer, django_capture_on_commit_callbacks, caplog, broker_down
):
    """The broker is down when the declaration commits (nothing listens on port 1, eager mode
    off): the declaration stands and the API answers 201, not 500. The hourly lifecycle sweep
    then sends the notices that were never queued, once."""
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework.test import APIClient

    from licensing.tasks import license_lifecycle_sweep_task

    item = one_item(buyer, title="Harbour")
    api = APIClient()
    api.force_authenticate(buyer)
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/models/",
            {
                "name": "Orbit",
                "version": "1.0",
                "purpose": "Generator",
                "commercial": True,
                "generative": True,
                "training_started_on": "2027-02-01",
                "training_ended_on": "2027-03-01",
                "items": [item.id],
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    assert (
        "Could not queue licensing.tasks.declaration_notices_send_task" in caplog.text
    )  # the broker really refused
    declaration = ModelDeclaration.objects.get()
    assert declaration.notices_sent_at is None
    assert not Notification.objects.filter(user_id=item.creator_id).exists()

    # Not yet: a notice may still be on its way through a worker.
    assert license_lifecycle_sweep_task()["notices"] == 0
    ModelDeclaration.objects.filter(id=declaration.id).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )
    assert license_lifecycle_sweep_task()["notices"] == 1
    notice = Notification.objects.get(user_id=item.creator_id)
    assert "Harbour" in notice.body
    declaration.refresh_from_db()
    assert declaration.notices_sent_at is not None
    assert license_lifecycle_sweep_task()["notices"] == 0  # sent once
    assert Notification.objects.filter(user_id=item.creator_id).count() == 1
