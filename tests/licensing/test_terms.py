"""License terms: the laws of `satisfies`, and a canonical form whose hash names the terms
everywhere (offers, consent records, license pages, delivered files)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from licensing.terms import (
    MAX_TERM_MONTHS,
    MIN_TERM_MONTHS,
    PRESETS,
    IntendedUse,
    LicenseTerms,
    OnExpiry,
    TermsError,
    Use,
    satisfies,
)

ALL_USES = list(Use)

use_sets = st.frozensets(st.sampled_from(ALL_USES), min_size=1)
months = st.integers(MIN_TERM_MONTHS, MAX_TERM_MONTHS)

terms_st = st.builds(
    LicenseTerms,
    uses=use_sets,
    commercial=st.booleans(),
    term_months=months,
    on_expiry=st.sampled_from(list(OnExpiry)),
    attribution_required=st.booleans(),
)
intended_st = st.builds(
    IntendedUse,
    uses=use_sets,
    commercial=st.booleans(),
    months_needed=months,
    can_destroy_models=st.booleans(),
)


@st.composite
def stricter_pairs(draw) -> tuple[LicenseTerms, LicenseTerms]:
    """(A, B) with A ⊆ B: A allows fewer uses, commercial only if B does, a term no longer
    than B's, and destruction at expiry whenever B requires it."""
    b = draw(terms_st)
    a_uses = draw(st.frozensets(st.sampled_from(sorted(b.uses)), min_size=1))
    a_commercial = draw(st.booleans()) if b.commercial else False
    a_months = draw(st.integers(MIN_TERM_MONTHS, b.term_months))
    a_expiry = (
        OnExpiry.DESTROY_MODELS if b.requires_destruction else draw(st.sampled_from(list(OnExpiry)))
    )
    a = LicenseTerms(a_uses, a_commercial, a_months, a_expiry, draw(st.booleans()))
    return a, b


# --- Laws of satisfies ---------------------------------------------------------------------


@settings(max_examples=300)
@given(terms_st)
def test_terms_satisfy_the_intended_use_made_from_themselves(terms):
    exact = IntendedUse(
        terms.uses,
        terms.commercial,
        terms.term_months,
        can_destroy_models=terms.requires_destruction,
    )
    assert satisfies(terms, exact)
    assert satisfies(terms, replace(exact, can_destroy_models=True))


@settings(max_examples=300)
@given(stricter_pairs(), intended_st)
def test_a_stricter_offer_never_matches_more(pair, intended):
    a, b = pair
    if satisfies(a, intended):
        assert satisfies(b, intended)


@settings(max_examples=300)
@given(stricter_pairs())
def test_a_looser_offer_satisfies_what_the_stricter_one_was_made_for(pair):
    a, b = pair
    made_for_a = IntendedUse(
        a.uses, a.commercial, a.term_months, can_destroy_models=a.requires_destruction
    )
    assert satisfies(b, made_for_a)


@settings(max_examples=300)
@given(terms_st, intended_st, st.sampled_from(ALL_USES))
def test_adding_a_use_never_turns_a_non_match_into_a_match(terms, intended, extra_use):
    wider = replace(intended, uses=intended.uses | {extra_use})
    if not satisfies(terms, intended):
        assert not satisfies(terms, wider)
    if satisfies(terms, wider):
        assert satisfies(terms, intended)


@settings(max_examples=300)
@given(terms_st, intended_st, st.integers(1, MAX_TERM_MONTHS))
def test_needing_more_months_never_turns_a_non_match_into_a_match(terms, intended, more):
    assume(intended.months_needed + more <= MAX_TERM_MONTHS)
    longer = replace(intended, months_needed=intended.months_needed + more)
    if not satisfies(terms, intended):
        assert not satisfies(terms, longer)


@settings(max_examples=300)
@given(terms_st, intended_st)
def test_wanting_commercial_use_never_turns_a_non_match_into_a_match(terms, intended):
    commercial = replace(intended, commercial=True)
    if not satisfies(terms, intended):
        assert not satisfies(terms, commercial)
    if not terms.commercial:
        assert not satisfies(terms, commercial)


@settings(max_examples=300)
@given(terms_st, intended_st)
def test_a_buyer_who_cannot_destroy_models_never_matches_destroy_models_terms(terms, intended):
    cannot = replace(intended, can_destroy_models=False)
    if terms.on_expiry == OnExpiry.DESTROY_MODELS:
        assert not satisfies(terms, cannot)
    else:
        # ...and stop-training terms do not care whether the buyer could.
        assert satisfies(terms, cannot) == satisfies(
            terms, replace(intended, can_destroy_models=True)
        )


@settings(max_examples=300)
@given(terms_st, intended_st)
def test_a_use_the_terms_do_not_allow_never_matches(terms, intended):
    if not intended.uses <= terms.uses:
        assert not satisfies(terms, intended)
    if intended.months_needed > terms.term_months:
        assert not satisfies(terms, intended)


def test_examples_a_buyer_would_recognise():
    research = PRESETS["nongenerative-research-5y"].terms
    classifier = IntendedUse(frozenset({Use.NONGENERATIVE}), commercial=False, months_needed=24)
    assert satisfies(research, classifier)
    assert not satisfies(research, replace(classifier, commercial=True))
    assert not satisfies(research, replace(classifier, uses=frozenset({Use.GENERATIVE})))
    assert not satisfies(research, replace(classifier, months_needed=61))
    generative = PRESETS["generative-commercial-3y"].terms
    product = IntendedUse(frozenset({Use.GENERATIVE}), commercial=True, months_needed=36)
    assert satisfies(generative, product)
    assert not satisfies(generative, replace(product, can_destroy_models=False))


# --- Canonical form and hash -----------------------------------------------------------------


@settings(max_examples=300)
@given(terms_st, st.data())
def test_equal_terms_built_differently_have_equal_hashes(terms, data):
    order = data.draw(st.permutations(sorted(terms.uses)))
    as_strings = [str(u) for u in order]
    for uses in (order, as_strings, set(as_strings), tuple(reversed(order)), frozenset(order)):
        again = LicenseTerms(
            uses=uses,
            commercial=terms.commercial,
            term_months=terms.term_months,
            on_expiry=str(terms.on_expiry),
            attribution_required=terms.attribution_required,
        )
        assert again == terms
        assert again.hash == terms.hash
        assert again.canonical_json() == terms.canonical_json()
    # A dict in any key order is the same terms.
    shuffled = dict(reversed(list(terms.canonical().items())))
    assert LicenseTerms.from_dict(shuffled).hash == terms.hash


@settings(max_examples=300)
@given(terms_st)
def test_from_dict_of_canonical_round_trips(terms):
    assert LicenseTerms.from_dict(terms.canonical()) == terms
    # ...also through JSON, as stored in a consent record or sent by the API.
    assert LicenseTerms.from_dict(json.loads(terms.canonical_json())) == terms
    assert json.loads(terms.canonical_json()) == terms.canonical()


@settings(max_examples=300)
@given(terms_st, terms_st)
def test_different_terms_have_different_hashes(a, b):
    assert (a.hash == b.hash) == (a == b)
    assert (a.canonical_json() == b.canonical_json()) == (a == b)


@given(terms_st)
def test_the_hash_is_sha256_of_the_canonical_json(terms):
    assert terms.hash == hashlib.sha256(terms.canonical_json().encode()).hexdigest()


def test_the_canonical_form_is_stable():
    """Consent records and delivered files carry these hashes: the format must never drift."""
    terms = PRESETS["evaluation-1y"].terms
    expected = (
        '{"attribution_required":false,"commercial":true,"on_expiry":"stop-training",'
        '"term_months":12,"uses":["ai-evaluate"]}'
    )
    assert terms.canonical_json() == expected
    assert terms.hash == hashlib.sha256(expected.encode()).hexdigest()


# --- Invalid terms -----------------------------------------------------------------------------

VALID = {
    "uses": ["ai-evaluate"],
    "commercial": False,
    "term_months": 12,
    "on_expiry": "stop-training",
    "attribution_required": False,
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"uses": []}, "uses"),
        ({"uses": ["ai-dance"]}, "uses"),
        ({"uses": ["ai-evaluate", "scrape"]}, "uses"),
        ({"uses": "ai-evaluate"}, "uses"),
        ({"uses": None}, "uses"),
        ({"term_months": 0}, "term_months"),
        ({"term_months": 121}, "term_months"),
        ({"term_months": -12}, "term_months"),
        ({"term_months": True}, "term_months"),
        ({"term_months": "12"}, "term_months"),
        ({"term_months": 12.0}, "term_months"),
        ({"term_months": None}, "term_months"),
        ({"commercial": "yes"}, "commercial"),
        ({"commercial": 1}, "commercial"),
        ({"commercial": None}, "commercial"),
        ({"on_expiry": "burn-it"}, "on_expiry"),
        ({"on_expiry": None}, "on_expiry"),
        ({"attribution_required": "no"}, "attribution_required"),
    ],
)
def test_invalid_terms_raise_terms_error_naming_the_field(change, field):
    with pytest.raises(TermsError) as raised:
        LicenseTerms.from_dict({**VALID, **change})
    assert raised.value.field == field
    assert str(raised.value)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"uses": frozenset()}, "uses"),
        ({"uses": {"nope"}}, "uses"),
        ({"term_months": 0}, "term_months"),
        ({"term_months": 121}, "term_months"),
        ({"term_months": True}, "term_months"),
        ({"commercial": "true"}, "commercial"),
        ({"on_expiry": "archive"}, "on_expiry"),
    ],
)
def test_the_constructor_refuses_what_from_dict_refuses(kwargs, field):
    base = {
        "uses": {Use.EVALUATE},
        "commercial": True,
        "term_months": 12,
        "on_expiry": OnExpiry.STOP_TRAINING,
    }
    with pytest.raises(TermsError) as raised:
        LicenseTerms(**{**base, **kwargs})
    assert raised.value.field == field


@given(st.integers().filter(lambda n: not MIN_TERM_MONTHS <= n <= MAX_TERM_MONTHS))
def test_any_term_outside_1_to_120_months_is_refused(n):
    with pytest.raises(TermsError) as raised:
        LicenseTerms.from_dict({**VALID, "term_months": n})
    assert raised.value.field == "term_months"


def test_from_dict_refuses_what_is_not_an_object():
    for value in (None, [], "terms", 3):
        with pytest.raises(TermsError) as raised:
            LicenseTerms.from_dict(value)
        assert raised.value.field == "terms"


def test_intended_use_refuses_impossible_needs():
    with pytest.raises(TermsError):
        IntendedUse(frozenset(), commercial=False, months_needed=12)
    for n in (0, 121):
        with pytest.raises(TermsError):
            IntendedUse(frozenset({Use.EVALUATE}), commercial=False, months_needed=n)


# --- Presets ---------------------------------------------------------------------------------


def test_presets_are_valid_distinct_and_named_by_their_key():
    assert len(PRESETS) >= 4
    hashes = {p.terms.hash for p in PRESETS.values()}
    assert len(hashes) == len(PRESETS)
    for key, preset in PRESETS.items():
        assert preset.key == key
        assert preset.name and preset.description
        assert LicenseTerms.from_dict(preset.terms.canonical()) == preset.terms
        assert MIN_TERM_MONTHS <= preset.terms.term_months <= MAX_TERM_MONTHS
        assert preset.terms.uses and preset.terms.uses <= set(Use)


def test_presets_mean_what_their_names_say():
    generative = PRESETS["generative-commercial-3y"].terms
    assert Use.GENERATIVE in generative.uses and generative.commercial
    assert generative.term_months == 36 and generative.requires_destruction
    research = PRESETS["nongenerative-research-5y"].terms
    assert Use.GENERATIVE not in research.uses and not research.commercial
    assert research.term_months == 60 and not research.requires_destruction
    evaluation = PRESETS["evaluation-1y"].terms
    assert evaluation.uses == {Use.EVALUATE} and evaluation.term_months == 12
    fine_tune = PRESETS["fine-tune-commercial-2y"].terms
    assert Use.FINE_TUNE in fine_tune.uses and Use.GENERATIVE not in fine_tune.uses
    assert fine_tune.term_months == 24 and fine_tune.commercial


@pytest.mark.parametrize(
    ("n", "label"),
    [
        (1, "1 month"),
        (6, "6 months"),
        (12, "1 year"),
        (18, "18 months"),
        (36, "3 years"),
        (120, "10 years"),
    ],
)
def test_term_label_reads_naturally(n, label):
    assert LicenseTerms.from_dict({**VALID, "term_months": n}).term_label() == label
