"""The notifications page and marking notifications read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.models import Notification
from accounts.services.notifications import notifications_mark_read
from config.input_fields import parse_id


@login_required
def notifications(request):
    page = Paginator(Notification.objects.filter(user=request.user), 30).get_page(
        request.GET.get("page")
    )
    unread = sum(1 for n in page.object_list if n.read_at is None)
    return render(request, "accounts/notifications.html", {"page": page, "unread": unread})


@login_required
@require_POST
def notifications_read(request):
    """Mark one notification (`id`) or all of them read; only the user's own."""
    ids = None  # all of them
    if note_id := request.POST.get("id", ""):
        parsed = parse_id(note_id)
        ids = [parsed] if parsed is not None else []  # a malformed id ("²", 10**30): none
    notifications_mark_read(user=request.user, ids=ids)
    target = request.POST.get("url", "")
    # Only our own pages: "/\evil.example" passes a plain startswith("/") check.
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("accounts:notifications")
