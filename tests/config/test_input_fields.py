"""The shared input fields: any case in, one canonical value out, a wrong value refused naming
every valid one, and whole numbers held to what their column can store."""

from __future__ import annotations

import pytest
from django import forms
from rest_framework import serializers

from common.money import CURRENCY_EXPONENTS
from config.input_fields import (
    BIGINT_MAX,
    CanonicalChoiceField,
    CanonicalChoiceFormField,
    CanonicalMultipleChoiceField,
    CanonicalMultipleChoiceFormField,
    CurrencyField,
    CurrencyFormField,
    canonical_choice,
    id_list,
    parse_id,
)
from licensing.terms import Use

USES = [u.value for u in Use]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("usd", "USD"),
        (" Usd ", "USD"),
        ("USD", "USD"),
        ("AI-Train-Generative", "ai-train-generative"),
        ("bogus", None),
        ("", None),
        (None, None),
        (True, None),
        (["usd"], None),
    ],
)
def test_canonical_choice_ignores_case_and_whitespace_only(typed, meant):
    assert canonical_choice(typed, [*CURRENCY_EXPONENTS, *USES]) == meant


def test_choices_differing_only_in_case_are_never_guessed_between():
    assert canonical_choice("ab", ["AB", "ab"]) == "ab"
    assert canonical_choice("Ab", ["AB", "ab"]) is None


@pytest.mark.parametrize(
    ("typed", "id_"),
    [
        ("7", 7),
        (" 42 ", 42),
        (str(BIGINT_MAX), BIGINT_MAX),
        (12, 12),
        (str(BIGINT_MAX + 1), None),
        ("10" * 20, None),
        ("0", None),
        ("-3", None),
        ("²", None),
        ("١٢", None),
        ("1.5", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_id_takes_only_ids_a_table_can_hold(typed, id_):
    assert parse_id(typed) == id_


class Shape(serializers.Serializer):
    use = CanonicalChoiceField(choices=USES)
    uses = CanonicalMultipleChoiceField(choices=USES, required=False)
    currency = CurrencyField(default="USD")
    ids = id_list(required=False)


def test_api_fields_return_the_canonical_values():
    shape = Shape(
        data={
            "use": " AI-EVALUATE",
            "uses": ["ai-input", "AI-Input", "Ai-Fine-Tune"],
            "currency": "eur",
            "ids": [1, "2"],
        }
    )
    assert shape.is_valid(), shape.errors
    assert shape.validated_data == {
        "use": "ai-evaluate",
        "uses": ["ai-input", "ai-fine-tune"],
        "currency": "EUR",
        "ids": [1, 2],
    }
    assert Shape(data={"use": "ai-input"}).is_valid()


def test_api_fields_refuse_naming_every_valid_value():
    shape = Shape(
        data={
            "use": "Bogus",
            "uses": ["ai-input", "nope"],
            "currency": "btc",
            "ids": [3, 10**30, "x"],
        }
    )
    assert not shape.is_valid()
    errors = {name: [str(m) for m in messages] for name, messages in shape.errors.items()}
    assert errors["use"] == [f'"Bogus" is not one of: {", ".join(USES)}.']
    # Item errors are plain strings, as the one error body shows them (not a nested mapping).
    assert errors["uses"] == [f'Item 2: "nope" is not one of: {", ".join(USES)}.']
    assert errors["currency"] == [f'"btc" is not one of: {", ".join(sorted(CURRENCY_EXPONENTS))}.']
    assert errors["ids"] == [
        f"Item 2: Ensure this value is less than or equal to {BIGINT_MAX}.",
        "Item 3: A valid integer is required.",
    ]


class OfferForm(forms.Form):
    use = CanonicalChoiceFormField(choices=[(u, u) for u in USES])
    uses = CanonicalMultipleChoiceFormField(choices=[(u, u) for u in USES], required=False)
    currency = CurrencyFormField()


def test_form_fields_return_the_canonical_values():
    form = OfferForm(
        data={"use": "AI-Input ", "uses": ["AI-EVALUATE", "ai-evaluate"], "currency": "jpy"}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"use": "ai-input", "uses": ["ai-evaluate"], "currency": "JPY"}


def test_form_fields_refuse_naming_every_valid_value():
    form = OfferForm(data={"use": "Bogus", "uses": ["nope"], "currency": "BTC"})
    assert not form.is_valid()
    assert form.errors["use"] == [f'"Bogus" is not one of: {", ".join(USES)}.']
    assert form.errors["uses"] == [f'"nope" is not one of: {", ".join(USES)}.']
    assert form.errors["currency"] == [
        f'"BTC" is not one of: {", ".join(sorted(CURRENCY_EXPONENTS))}.'
    ]


def test_an_api_answer_with_one_wrong_field_names_it_in_the_message(api_client, creator):
    """The top-level message says the one problem, valid values included, not just "Some
    fields are invalid."."""
    from tests.marketplace.factories import listed_work

    work = listed_work(creator)
    api_client.force_authenticate(creator)
    response = api_client.post(
        f"/api/v1/works/{work.id}/offers/",
        {"preset": "evaluation-1y", "price": 900, "currency": "btc", "consent": True},
        format="json",
    )
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("Currency: ") and "USD" in message and "EUR" in message
