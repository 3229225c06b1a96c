"""The Content-Security-Policy on every page each role sees, on redirects and on error pages;
X-Frame-Options on redirects too; the nonce only where a page uses it; the origins that follow
settings (the Stripe pages a form is redirected to, the S3 endpoint images are redirected to);
and no template carrying what the policy refuses (inline script, style or event handler).
That the pages then render without a violation in Chromium is tests/e2e/test_csp_pages.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import path

import config.urls
from tests.factories import StaffFactory
from tests.helpers import DEFAULT_PASSWORD
from tests.marketplace.factories import listed_work
from tests.marketplace.lifecycle import paid_order

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.status_code} {response.request}"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_strict(response) -> dict[str, list[str]]:
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"][0] == "'self'"
    assert all(s == "'self'" or s.startswith("'nonce-") for s in csp["script-src"])
    assert csp["style-src"] == ["'self'"]
    assert "style-src-attr" not in csp and "script-src-attr" not in csp
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"][0] == "'self'"
    assert response.headers["X-Frame-Options"] == "DENY"
    return csp


@pytest.fixture
def work(creator, media_root):
    """A creator's listed work."""
    return listed_work(creator, title="Harbour at dawn")


@pytest.fixture
def order(buyer, work):
    """A team's paid order of the work (package not built)."""
    return paid_order(buyer, [work], build=False)


PAGES = {
    "anonymous": [
        "/",
        "/catalog/",
        "/verify/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/public/licenses/{grant}/",
    ],
    "creator": [
        "/studio/",
        "/studio/works/",
        "/studio/works/upload/",
        "/studio/works/{work}/",
        "/studio/consents/",
        "/studio/sales/",
        "/studio/earnings/",
        "/studio/licenses/",
        "/studio/demand/",
        "/settings/tokens/",
        "/notifications/",
        "/accounts/2fa/",
    ],
    "buyer": [
        "/team/",
        "/datasets/",
        "/orders/",
        "/orders/{order}/",
        "/orders/{order}/receipt/",
        "/licenses/",
        "/licenses/{grant}/",
        "/team/models/",
        "/settings/tokens/",
    ],
    "staff": [
        "/staff/",
        "/staff/review/",
        "/staff/review/log/",
        "/staff/ledger/",
        "/staff/orders/",
        "/staff/orders/{order}/",
        "/staff/webhooks/",
        "/admin/",
    ],
}


@pytest.mark.parametrize(
    ("role", "url"), [(role, url) for role, urls in PAGES.items() for url in urls]
)
def test_every_page_of_every_role_carries_the_strict_policy(
    role, url, client, work, order, creator, buyer, staff_with_totp
):
    user = {"creator": creator, "buyer": buyer, "staff": staff_with_totp}.get(role)
    if role == "staff":
        staff_with_totp.is_superuser = True  # the admin index lists every model
        staff_with_totp.save(update_fields=["is_superuser"])
    if user:
        client.force_login(user)
    response = client.get(
        url.format(work=work.id, order=order.uuid, grant=order.license_grant.uuid)
    )
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("text/html")
    csp = assert_strict(response)
    assert not any(s.startswith("'nonce-") for s in csp["script-src"])  # no page uses one


def test_redirects_carry_the_policy_and_x_frame_options(client):
    response = client.get("/studio/works/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert_strict(response)

    # The added slash (CommonMiddleware answers it, outside the views).
    response = client.get("/catalog")
    assert response.status_code == 301 and response["Location"] == "/catalog/"
    assert_strict(response)

    # A redirect answered to htmx becomes a 204 with HX-Redirect (config/htmx.py).
    response = client.get("/studio/works/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and "/accounts/login/" in response["HX-Redirect"]
    assert_strict(response)

    # Staff without two-factor are sent to set it up: that redirect too.
    client.force_login(StaffFactory())
    response = client.get("/staff/")
    assert response.status_code == 302 and "/accounts/2fa/totp/activate/" in response["Location"]
    assert_strict(response)


def test_the_two_factor_setup_page_allows_its_data_uri_qr_code(client):
    client.force_login(StaffFactory())
    setup = "/accounts/2fa/totp/activate/?required=1"
    asked = client.get(setup)  # the password again first, as for any two-factor change
    assert asked.status_code == 302 and "/reauthenticate/" in asked["Location"]
    assert_strict(asked)
    assert_strict(client.get(asked["Location"]))
    client.post(asked["Location"], {"password": DEFAULT_PASSWORD})
    response = client.get(setup)
    assert response.status_code == 200
    assert 'src="data:image/svg+xml' in response.content.decode()
    assert "data:" in assert_strict(response)["img-src"]


def boom(request):
    raise RuntimeError("a bug")


def forbidden(request):
    raise PermissionDenied


urlpatterns = [
    path("_test/boom/", boom),
    path("_test/forbidden/", forbidden),
    *config.urls.urlpatterns,
]
handler400, handler403 = config.urls.handler400, config.urls.handler403
handler404, handler500 = config.urls.handler404, config.urls.handler500


@pytest.mark.urls(__name__)
def test_error_pages_carry_the_policy(client, creator):
    client.raise_request_exception = False
    for url, status in (("/no-such-page/", 404), ("/_test/forbidden/", 403), ("/_test/boom/", 500)):
        response = client.get(url)
        assert response.status_code == status
        assert "Assent" in response.content.decode()  # our page, not a bare one
        assert_strict(response)

    # A buyer-only page refused to a creator, and a refused CSRF check.
    client.force_login(creator)
    refused = client.get("/datasets/")
    assert refused.status_code == 403
    assert_strict(refused)
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/accounts/login/", {"login": "a@example.com", "password": "x"})
    assert response.status_code == 403
    assert_strict(response)


def test_swagger_ui_runs_its_start_up_script_under_a_fresh_nonce(client):
    first, second = client.get("/api/docs/"), client.get("/api/docs/")
    nonces = []
    for response in (first, second):
        assert response.status_code == 200
        csp = assert_strict(response)
        (nonce,) = [s[len("'nonce-") : -1] for s in csp["script-src"] if s.startswith("'nonce-")]
        html = response.content.decode()
        assert f'<script nonce="{nonce}">' in html
        assert "<style" not in html and "/static/css/swagger_ui.css" in html
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_form_action_allows_the_stripe_pages_checkout_and_onboarding_redirect_to(client, settings):
    settings.STRIPE_API_BASE = ""
    assert policy(client.get("/"))["form-action"] == [
        "'self'",
        "https://checkout.stripe.com",
        "https://connect.stripe.com",
    ]
    settings.STRIPE_API_BASE = "http://127.0.0.1:12111/"
    assert policy(client.get("/"))["form-action"] == ["'self'", "http://127.0.0.1:12111"]


def test_with_s3_img_src_allows_the_endpoint_presigned_previews_redirect_to(
    client, settings, order
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "assent-media",
                "endpoint_url": "http://127.0.0.1:9000",
                "access_key": "test",
                "secret_key": "test",
                "region_name": "us-east-1",
                "querystring_auth": True,
                "addressing_style": "path",
            },
        },
    }
    csp = policy(client.get("/catalog/"))
    assert csp["img-src"] == ["'self'", "data:", "http://127.0.0.1:9000"]


def test_renditions_keep_their_own_sandboxing_policy(client, creator, media_root):
    work = listed_work(creator)
    client.force_login(creator)
    response = client.get(f"/works/{work.id}/files/original/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


# --- the templates: nothing the policy refuses ------------------------------------------------

COMMENT = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.S)
REFUSED = {
    "inline <script>": re.compile(
        r"<script\b(?![^>]*\bsrc=)(?![^>]*\bnonce=)(?![^>]*type=\"application/json\")[^>]*>"
    ),
    "<style> element": re.compile(r"<style\b"),
    "on…= event handler": re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.S),
    "style= attribute": re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.S),
}


def test_no_template_has_inline_script_style_or_event_handlers():
    offending = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = COMMENT.sub("", template.read_text())
        offending += [
            f"{template.relative_to(TEMPLATES)}: {what}"
            for what, pattern in REFUSED.items()
            if pattern.search(text)
        ]
    assert offending == []
