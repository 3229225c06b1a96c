"""The OpenAPI schema generates without warnings and its docs page needs no CDN."""

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings_and_validates(tmp_path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn turns any drf-spectacular warning (an unresolvable serializer, a missing
    # type hint) into a failure; --validate checks it against the OpenAPI 3 JSON schema.
    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")
    text = out.read_text()
    assert "/api/v1/auth/token/" in text
    assert "/api/v1/me/" in text


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/auth/tokens/{token_id}/" in schema.json()["paths"]

    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    external = re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", html)
    assert external == [], f"docs page loads assets from elsewhere: {external}"
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html


def test_unknown_api_paths_answer_json_404(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_failed_csrf_check_answers_json_under_the_api_and_our_page_elsewhere(creator):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(creator)

    page = browser.post("/studio/offers/bulk/", {"works": ["1"]})
    assert page.status_code == 403
    assert "Reload the page and try again" in page.content.decode()

    # An unknown API path (not a DRF view) still answers the JSON 404, CSRF token or not.
    api = browser.delete("/api/v1/auth/tokens/not-a-number/")
    assert api.status_code == 404 and api.json()["code"] == "not_found"


def test_every_operation_documents_its_errors_with_the_one_error_body(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = [
        (path, method, op)
        for path, item in paths["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "responses" in op
    ]
    assert len(operations) > 50
    for path, method, op in operations:
        errors = {s: r for s, r in op["responses"].items() if s[0] in "45"}
        assert {"429", "503"} <= set(errors), (method, path)
        for status, response in errors.items():
            assert "application/json" in response.get("content", {}), (method, path, status)
    upload = paths["paths"]["/api/v1/works/"]["post"]["responses"]
    assert {"400", "401", "403", "409", "413"} <= set(upload)
    assert "404" in paths["paths"]["/api/v1/works/{work_id}/"]["get"]["responses"]
