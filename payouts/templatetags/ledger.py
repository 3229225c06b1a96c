"""`{{ amount|signed_money:currency }}`: +$8.00 / −$8.00 (a true minus sign), for ledger lines
and trial balances, where the sign is the point."""

from django import template

from common.money import format_money

register = template.Library()


@register.filter
def signed_money(amount, currency="USD"):
    if amount is None:
        return ""
    amount = int(amount)
    text = format_money(abs(amount), str(currency or "USD"))
    if amount > 0:
        return f"+{text}"
    if amount < 0:
        return f"\u2212{text}"
    return text


@register.filter
def get_item(mapping, key):
    """`{{ titles|get_item:work_id }}`: a dict lookup by a variable key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None
