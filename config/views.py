"""Site-wide pages: home and our own error pages."""

from django.http import JsonResponse
from django.shortcuts import render

from .api_errors import error_body


def home(request):
    return render(request, "home.html")


def error_400(request, exception=None):
    return render(request, "errors/400.html", status=400)


def error_403(request, exception=None):
    message = str(exception) if exception and str(exception) else None
    return render(request, "errors/403.html", {"message": message}, status=403)


def error_404(request, exception=None):
    return render(request, "errors/404.html", status=404)


def error_500(request):
    return render(request, "errors/500.html", status=500)


def api_not_found(request):
    return JsonResponse(error_body("not_found", "No such API endpoint."), status=404)
