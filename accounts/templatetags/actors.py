"""`{{ decision.actor|actor_name }}`: who did something, or "Automatic" when no person did."""

from django import template

from accounts.selectors.users import actor_name as _actor_name

register = template.Library()


@register.filter
def actor_name(user):
    return _actor_name(user)
