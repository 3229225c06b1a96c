"""A redirect answered to an htmx request becomes a 204 with HX-Redirect (or a bare 204 when it
leads where the page already is), so htmx never swaps a whole page into a fragment."""

import pytest

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_staff_member_without_two_factor_gets_no_page_in_the_badge(client, staff):
    """Before two-factor is set up, pages go to its setup; fragments get an empty 204."""
    client.force_login(staff)
    setup = "/accounts/2fa/totp/activate/?required=1"

    on_setup_page = client.get(
        "/staff/review/count/", HTTP_HX_CURRENT_URL=f"http://testserver{setup}", **HTMX
    )
    assert on_setup_page.status_code == 204 and "HX-Redirect" not in on_setup_page
    assert on_setup_page.content == b""

    # Nor on the way there (the password check before setup): the page itself goes to setup.
    on_the_way = client.get(
        "/staff/review/count/",
        HTTP_HX_CURRENT_URL="http://testserver/accounts/reauthenticate/?next=/accounts/2fa/",
        **HTMX,
    )
    assert on_the_way.status_code == 204 and "HX-Redirect" not in on_the_way

    # A plain page request still gets the ordinary redirect.
    assert client.get("/staff/").status_code == 302


def test_an_expired_session_sends_a_polling_fragment_to_sign_in(client, creator):
    response = client.get("/studio/works/", **HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_htmx_answers_that_are_not_redirects_pass_unchanged(client, creator):
    client.force_login(creator)
    response = client.get("/studio/works/", **HTMX)
    assert response.status_code == 200
