"""The catalog's "Add to dataset" buttons need the team's current draft and the works already
in it: each looked up once per request, however many cards the page shows."""

from django import template

from accounts.permissions import has_role
from marketplace.selectors.datasets import current_draft_dataset, dataset_work_ids

register = template.Library()


@register.simple_tag(takes_context=True)
def current_dataset(context):
    """The signed-in team member's most recently changed draft dataset, or None."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not has_role(user, "buyer"):
        return None
    if not hasattr(request, "_current_dataset"):
        request._current_dataset = current_draft_dataset(user=user)
    return request._current_dataset


@register.simple_tag(takes_context=True)
def in_current_dataset(context, work_id) -> bool:
    """Whether the work is already in the current draft: read from the dataset's items, so a
    card still says so after a reload (and for a teammate who added it)."""
    dataset = current_dataset(context)
    if dataset is None:
        return False
    request = context["request"]
    if getattr(request, "_current_dataset_work_ids", None) is None:
        request._current_dataset_work_ids = dataset_work_ids(dataset=dataset)
    return work_id in request._current_dataset_work_ids
