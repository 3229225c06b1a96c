"""Input fields every API serializer and web form shares: enum-like values taken in any case and
kept in their one canonical spelling, currencies as Stripe (usd) or ISO (USD) write them, and
whole numbers held to the range of the column they land in. A wrong value is refused naming
every valid one."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.fields import get_error_detail

from common.money import CURRENCY_EXPONENTS

# The largest value each column type holds on PostgreSQL (SQLite holds as much as a bigint; a
# Python int beyond that does not even reach it: the driver raises OverflowError).
SMALLINT_MAX = 2**15 - 1  # (Positive)SmallIntegerField
INT_MAX = 2**31 - 1  # (Positive)IntegerField
BIGINT_MAX = 2**63 - 1  # BigIntegerField, and every id (BigAutoField)

_SHOWN_INPUT = 50  # characters of a refused value quoted back


# --- Matching ---------------------------------------------------------------------------------


def canonical_choice(value, choices: Iterable) -> str | None:
    """The one spelling among `choices` that `value` means, ignoring surrounding whitespace and
    case ("USD " and "usd" mean "USD"); None when it means none of them. Two choices that differ
    only in case are matched exactly, never guessed between."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    spellings = [str(choice) for choice in choices]
    if text in spellings:
        return text
    folded: dict[str, list[str]] = {}
    for spelling in spellings:
        folded.setdefault(spelling.casefold(), []).append(spelling)
    matches = folded.get(text.casefold(), [])
    return matches[0] if len(matches) == 1 else None


def not_one_of(value, choices: Iterable) -> str:
    """'"Bogus" is not one of: a, b, c.': the message for a value outside its vocabulary."""
    shown = str(value).strip()[:_SHOWN_INPUT]
    return f'"{shown}" is not one of: {", ".join(str(c) for c in choices)}.'


def parse_id(value) -> int | None:
    """A row id typed in a query string or a form (ASCII digits, within a bigint), else None:
    "²" is a digit to str.isdigit() but not to int(), and 10**30 is no id any table holds."""
    text = str(value).strip() if isinstance(value, str | int) else ""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= BIGINT_MAX else None


def _currencies() -> list[str]:
    # The currencies offers are priced in, paid and paid out in: common.money is the one list
    # every app uses.
    return sorted(CURRENCY_EXPONENTS)


# --- API (DRF) fields ---------------------------------------------------------------------------


class CanonicalChoiceField(serializers.ChoiceField):
    """A ChoiceField that takes its values in any case and returns the canonical one; a wrong
    value answers 400 listing the valid values."""

    default_error_messages = {"invalid_choice": "{message}"}

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        spelling = canonical_choice(data, self.choice_strings_to_values)
        if spelling is None:
            self.fail("invalid_choice", message=not_one_of(data, self.choice_strings_to_values))
        return self.choice_strings_to_values[spelling]


class CurrencyField(CanonicalChoiceField):
    """An ISO 4217 code in any case, returned upper case (as every amount is stored)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "ISO 4217 code, in any case (USD or usd).")
        super().__init__(choices=_currencies(), **kwargs)


class FlatListField(serializers.ListField):
    """A ListField whose item errors read as plain messages ("Item 2: ..."), as the one error
    body (`fields` maps a field to a list of strings) shows them, not as a nested mapping."""

    def run_child_validation(self, data):
        result, errors = [], []
        for position, item in enumerate(data, start=1):
            try:
                result.append(self.child.run_validation(item))
            except serializers.ValidationError as exc:
                errors.extend(f"Item {position}: {m}" for m in _messages(exc.detail))
            except DjangoValidationError as exc:
                errors.extend(f"Item {position}: {m}" for m in _messages(get_error_detail(exc)))
        if errors:
            raise serializers.ValidationError(errors)
        return result


class NestedInput(serializers.Serializer):
    """A serializer used as another's field, whose errors read as plain "field: message"
    strings there, for the same reason as FlatListField's."""

    def run_validation(self, data=serializers.empty):
        try:
            return super().run_validation(data)
        except serializers.ValidationError as exc:
            if self.parent is None or not isinstance(exc.detail, dict):
                raise
            raise serializers.ValidationError(
                [f"{name}: {m}" for name, value in exc.detail.items() for m in _messages(value)]
            ) from exc


def _messages(detail) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _messages(value)]
    if isinstance(detail, list):
        return [m for value in detail for m in _messages(value)]
    return [str(detail)]


class CanonicalMultipleChoiceField(FlatListField):
    """A list of values from one vocabulary, each in any case, returned canonical and once."""

    def __init__(self, *, choices, **kwargs):
        super().__init__(child=CanonicalChoiceField(choices=choices), **kwargs)

    def to_internal_value(self, data):
        return list(dict.fromkeys(super().to_internal_value(data)))


class IdField(serializers.IntegerField):
    """A row id: a whole number from 1 to the largest bigint (ids are BigAutoFields)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)


def id_list(**kwargs) -> FlatListField:
    """A list of row ids."""
    return FlatListField(child=IdField(), **kwargs)


# --- Web form fields ----------------------------------------------------------------------------


class CanonicalChoiceFormField(forms.ChoiceField):
    """The form twin of CanonicalChoiceField: any case in, the canonical value out."""

    def to_python(self, value):
        text = super().to_python(value)
        return canonical_choice(text, self._values()) or text

    def validate(self, value):
        forms.Field.validate(self, value)
        if value not in self.empty_values and not self.valid_value(value):
            raise forms.ValidationError(not_one_of(value, self._values()), code="invalid_choice")

    def _values(self) -> list[str]:
        return [str(key) for key, _ in self.choices if key not in self.empty_values]


class CurrencyFormField(CanonicalChoiceFormField):
    def __init__(self, **kwargs):
        kwargs.setdefault("choices", [(c, c) for c in _currencies()])
        super().__init__(**kwargs)


class CanonicalMultipleChoiceFormField(forms.MultipleChoiceField):
    """MultipleChoiceField taking each value in any case; the canonical values, once each."""

    def to_python(self, value):
        values = super().to_python(value)
        choices = [str(key) for key, _ in self.choices]
        return list(dict.fromkeys(canonical_choice(v, choices) or v for v in values))

    def validate(self, value):
        forms.Field.validate(self, value)
        choices = [str(key) for key, _ in self.choices]
        wrong = [v for v in value if not self.valid_value(v)]
        if wrong:
            raise forms.ValidationError(not_one_of(wrong[0], choices), code="invalid_choice")
