"""The catalog's "Add to dataset" buttons need the team's current draft: looked up once per
request, however many cards the page shows."""

from django import template

from accounts.permissions import has_role
from marketplace.models import DatasetStatus
from marketplace.selectors.datasets import datasets_for_member

register = template.Library()


@register.simple_tag(takes_context=True)
def current_dataset(context):
    """The signed-in team member's most recently changed draft dataset, or None."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not has_role(user, "buyer"):
        return None
    if not hasattr(request, "_current_dataset"):
        request._current_dataset = (
            datasets_for_member(user=user).filter(status=DatasetStatus.DRAFT).first()
        )
    return request._current_dataset
