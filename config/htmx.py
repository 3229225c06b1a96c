"""htmx swaps what a request answers into the page, and the browser follows a redirect before
htmx sees it: a fragment request that is redirected (to sign in, to set up two-factor) would
put a whole page, itself holding fragments, inside the current one, and load again, and again.
So a redirect answered to htmx becomes a 204 with `HX-Redirect` (htmx then changes the whole
page), or a bare 204 when the redirect leads where the browser already is."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpResponse


class HtmxRedirectMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.headers.get("HX-Request") != "true" or not 300 <= response.status_code < 400:
            return response
        location = response.get("Location", "")
        answer = HttpResponse(status=204)
        here = urlsplit(request.headers.get("HX-Current-URL", ""))
        there = urlsplit(location)
        if (there.path, there.query) != (here.path, here.query) and location:
            answer["HX-Redirect"] = location
        return answer
