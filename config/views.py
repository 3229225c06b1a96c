"""Site-wide pages: home and our own error pages."""

import sys

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from .api_errors import error_body
from .db_busy import database_busy_response, is_database_busy
from .request_limits import request_limit_refusal


def home(request):
    return render(request, "home.html")


def error_400(request, exception=None):
    # A body past one of Django's request limits is refused while it is parsed, before any
    # view: say which limit, in JSON under /api/.
    refusal = request_limit_refusal(exception) if exception is not None else None
    status = refusal.status if refusal else 400
    if request.path.startswith("/api/"):
        body = (
            error_body(refusal.code, refusal.message)
            if refusal
            else error_body("bad_request", "The request was malformed.")
        )
        return JsonResponse(body, status=status)
    message = refusal.message if refusal else None
    return render(request, "errors/400.html", {"message": message}, status=status)


def error_403(request, exception=None):
    message = str(exception) if exception and str(exception) else None
    return render(request, "errors/403.html", {"message": message}, status=403)


def error_404(request, exception=None):
    return render(request, "errors/404.html", status=404)


def error_500(request):
    # Also reached from outside the views (a session saved by its middleware, say), where
    # DatabaseBusyMiddleware does not see the exception: Django calls this handler while
    # handling it.
    exc = sys.exc_info()[1]
    if exc is not None and is_database_busy(exc):
        return database_busy_response(request, exc)
    return render(request, "errors/500.html", status=500)


def error_503(request):
    """The page a busy database answers with (config/db_busy.py); here to be looked at."""
    return render(request, "errors/503.html", status=503)


def csrf_failure(request, reason=""):
    """A refused CSRF check: JSON under /api/ (a program sent a session cookie without the
    token), our 403 page with what to do elsewhere."""
    message = "The form was stale or sent from elsewhere. Reload the page and try again."
    if request.path.startswith("/api/"):
        body = error_body(
            "csrf_failed",
            "CSRF check failed: send an `Authorization: Token` header, or the CSRF token "
            "with a signed-in session.",
        )
        return JsonResponse(body, status=403)
    return render(request, "errors/403.html", {"message": message}, status=403)


@csrf_exempt
def api_not_found(request):
    return JsonResponse(error_body("not_found", "No such API endpoint."), status=404)
