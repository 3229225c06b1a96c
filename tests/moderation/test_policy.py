"""The screening policy: each outcome, each hard rule and the edges of the thresholds."""

from __future__ import annotations

import pytest

from moderation.models import Outcome, SignalKind
from moderation.policy import POLICY_VERSION, WEIGHTS, SignalView, risk_score, screening_judge


def signal(kind, weight, **evidence):
    return SignalView(kind=kind, weight=weight, summary=f"{kind} found.", evidence=evidence)


def test_no_signals_lists():
    judgement = screening_judge([])
    assert (judgement.outcome, judgement.score, judgement.reasons) == (Outcome.LIST, 0, [])


def test_weak_signals_list():
    judgement = screening_judge(
        [
            signal(SignalKind.LINKED_ACCOUNT, WEIGHTS["linked_plain"]),
            signal(SignalKind.VELOCITY, WEIGHTS["velocity_established"]),
        ]
    )
    assert judgement.outcome == Outcome.LIST and judgement.score == 25


@pytest.mark.parametrize(
    "score, outcome",
    [(29, Outcome.LIST), (30, Outcome.HOLD), (89, Outcome.HOLD), (90, Outcome.REJECT)],
)
def test_threshold_edges(settings, score, outcome):
    settings.MODERATION_HOLD_SCORE, settings.MODERATION_REJECT_SCORE = 30, 90
    assert screening_judge([signal(SignalKind.RIGHTS_MARK, score)]).outcome == outcome


def test_thresholds_come_from_settings(settings):
    settings.MODERATION_HOLD_SCORE = 50
    assert screening_judge([signal(SignalKind.AUTHOR_MISMATCH, 30)]).outcome == Outcome.LIST


def test_one_kind_counts_once_at_its_strongest():
    signals = [
        signal(SignalKind.NEAR_DUPLICATE, 35),
        signal(SignalKind.NEAR_DUPLICATE, 50),
        signal(SignalKind.NEAR_DUPLICATE, 35),
    ]
    assert risk_score(signals) == 50


def test_kinds_add_up_and_cap_at_100():
    signals = [signal(SignalKind.AI_UNDECLARED, 55), signal(SignalKind.AUTHOR_MISMATCH, 30)]
    judgement = screening_judge(signals)
    assert judgement.score == 85 and judgement.outcome == Outcome.HOLD
    judgement = screening_judge([*signals, signal(SignalKind.RIGHTS_MARK, 35)])
    assert judgement.score == 100 and judgement.outcome == Outcome.REJECT
    # Strongest reason first: what the creator reads.
    assert judgement.reasons[0] == "ai_undeclared found."


def test_known_stolen_rejects():
    judgement = screening_judge([signal(SignalKind.KNOWN_STOLEN, 100)])
    assert judgement.outcome == Outcome.REJECT
    assert judgement.hard_rule == "It matches a work registered as stolen from its owner."


def test_exact_copy_of_a_listed_work_rejects_even_below_the_reject_score():
    judgement = screening_judge([signal(SignalKind.EXACT_DUPLICATE, 60, other_listed=True)])
    assert judgement.outcome == Outcome.REJECT and judgement.score >= 90
    assert "exact copy of a work another account has listed" in judgement.reasons[0]


def test_exact_copy_of_an_unlisted_work_is_held():
    judgement = screening_judge([signal(SignalKind.EXACT_DUPLICATE, 60, other_listed=False)])
    assert judgement.outcome == Outcome.HOLD and not judgement.hard_rule


def test_banned_uploader_is_rejected():
    assert screening_judge([], uploader_banned=True).outcome == Outcome.REJECT


@pytest.mark.parametrize(
    "kind, weight_name",
    [
        (SignalKind.NEAR_DUPLICATE, "near_duplicate"),
        (SignalKind.RIGHTS_MARK, "rights_prohibited"),
        (SignalKind.AI_UNDECLARED, "ai_generated_declared_assisted"),
        (SignalKind.FLOOD, "flood"),
        (SignalKind.VELOCITY, "velocity_new_account"),
        (SignalKind.AUTHOR_MISMATCH, "author_mismatch"),
    ],
)
def test_each_meaningful_signal_alone_holds(kind, weight_name):
    assert screening_judge([signal(kind, WEIGHTS[weight_name])]).outcome == Outcome.HOLD


@pytest.mark.parametrize("weight_name", ["linked_plain", "linked_rejected", "velocity_established"])
def test_context_signals_alone_never_hold(weight_name):
    assert (
        screening_judge([signal(SignalKind.LINKED_ACCOUNT, WEIGHTS[weight_name])]).outcome
        == Outcome.LIST
    )


def test_context_signals_are_not_reasons_given_to_the_creator():
    judgement = screening_judge(
        [signal(SignalKind.LINKED_ACCOUNT, 5), signal(SignalKind.FLOOD, 35)]
    )
    assert judgement.reasons == ["flood found."]


def test_policy_version_is_a_string():
    assert isinstance(POLICY_VERSION, str) and POLICY_VERSION
