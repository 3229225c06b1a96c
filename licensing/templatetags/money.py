"""`{{ amount|money:currency }}`: minor units shown as a person reads them ($12.50, ¥3,000)."""

from django import template

from common.money import format_money

register = template.Library()


@register.filter
def money(amount, currency="USD"):
    if amount is None:
        return ""
    return format_money(int(amount), str(currency or "USD"))
