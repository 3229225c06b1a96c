"""Journeys in a real browser: sign up, verify the email, sign in, turn on two-factor."""

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail

from accounts.models import User
from tests.helpers import DEFAULT_PASSWORD, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _submit(page, field_name: str):
    page.locator(f"form:has([name='{field_name}']) [type=submit]").first.click()


def _sign_in(page, email: str):
    """Sends the sign-in form with the email and the default password (where it leads is for
    the caller to wait on)."""
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    _submit(page, "login")


def _sign_out(page):
    page.locator("form[action='/accounts/logout/'] [type=submit]").first.click()


def _confirm_link(email: str) -> str:
    message = [m for m in mail.outbox if email in m.to][-1]
    return re.search(r"https?://\S+/accounts/confirm-email/\S+", message.body).group(0)


def test_creator_signs_up_verifies_signs_in_and_enables_totp(
    page, live_server, screenshot, settings
):
    page.goto("/")
    page.get_by_role("link", name=re.compile("sign up", re.I)).first.click()
    page.fill("input[name=email]", "mira@example.com")
    page.check("input[name=role][value=creator]")
    page.fill("input[name=display_name]", "Mira Sol")
    page.fill("input[name=password1]", DEFAULT_PASSWORD)
    page.fill("input[name=password2]", DEFAULT_PASSWORD)
    screenshot(page, "1-signup")
    _submit(page, "password1")

    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    assert "mira@example.com" in page.content()
    user = User.objects.get(email="mira@example.com")
    assert user.role == "creator"

    # The verification link from the email, opened in the browser.
    link = _confirm_link("mira@example.com").replace("http://localhost:8000", live_server.url)
    page.goto(link)
    page.locator("form [type=submit]").last.click()
    page.wait_for_url(re.compile(r"/studio/$"))
    screenshot(page, "2-studio")

    # Sign out and back in with the verified address.
    _sign_out(page)
    _sign_in(page, "mira@example.com")
    page.wait_for_url(re.compile(r"/studio/$"))
    assert "Mira Sol" in page.content()

    # Turn on two-factor: confirm the password, scan (read) the secret, enter a code.
    page.goto("/accounts/2fa/totp/activate/")
    if "/reauthenticate/" in page.url:
        page.fill("input[name=password]", DEFAULT_PASSWORD)
        _submit(page, "password")
        page.wait_for_url(re.compile(r"/2fa/totp/activate/"))
    screenshot(page, "3-totp-setup")
    secret = page.locator("input[name=secret], #secret, [data-totp-secret]").first
    secret_value = secret.get_attribute("value") or secret.inner_text()
    page.fill("input[name=code]", totp_code(secret_value.strip()))
    _submit(page, "code")
    # Activation redirects away from the form; waiting for the load state alone could read the
    # database before the POST was handled (seen on a loaded CI machine).
    page.wait_for_url(lambda url: "/totp/activate/" not in url)
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    screenshot(page, "4-totp-enabled")

    # The next sign-in asks for a code after the password.
    _sign_out(page)
    _sign_in(page, "mira@example.com")
    page.wait_for_url(re.compile(r"/2fa/authenticate/"))
    screenshot(page, "5-code-prompt")
    # A code works once. Instead of waiting 30 s for the authenticator's next code, the clock is
    # moved on: the server accepts one step either side (as for a phone whose clock runs a step
    # ahead) and the test computes the code for now + 30 s.
    settings.MFA_TOTP_TOLERANCE = 1
    now = time.time()
    code = totp_code(secret_value.strip(), at=now)
    page.fill("input[name=code]", code)
    _submit(page, "code")
    page.wait_for_url(re.compile(r"/studio/$"))
    screenshot(page, "6-signed-in-with-2fa")

    # Signing in again with the same code is refused; the next step's code lets her in.
    _sign_out(page)
    _sign_in(page, "mira@example.com")
    page.wait_for_url(re.compile(r"/2fa/authenticate/"))
    page.fill("input[name=code]", code)
    _submit(page, "code")
    page.get_by_text("Incorrect code.").wait_for()  # the answer to this POST, not the old page
    assert "/2fa/authenticate/" in page.url
    next_code = totp_code(secret_value.strip(), at=now + 30)
    assert next_code != code
    page.fill("input[name=code]", next_code)
    _submit(page, "code")
    page.wait_for_url(re.compile(r"/studio/$"))
    screenshot(page, "7-signed-in-with-the-next-code")


def test_a_new_staff_member_sets_up_two_factor_in_the_browser_and_reaches_staff_home(
    page, live_server, screenshot, staff
):
    """The staff menu's review badge loads by htmx; before two-factor is set up every page
    redirects to its setup, which used to nest the setup page into itself in a loop (and made a
    new secret each time, so no code ever matched). Counted: the badge is asked for once."""
    fragment_requests = []
    page.on(
        "request",
        lambda r: fragment_requests.append(r.url) if r.headers.get("hx-request") else None,
    )
    _sign_in(page, staff.email)
    # Sent to the setup, through allauth's password check first.
    page.wait_for_url(re.compile(r"/accounts/(2fa/totp/activate|reauthenticate)/"))
    if "/reauthenticate/" in page.url:
        page.wait_for_timeout(1500)  # time for a loop to show itself, were there one
        assert page.locator("main").count() == 1
        page.fill("input[name=password]", DEFAULT_PASSWORD)
        _submit(page, "password")
        page.wait_for_url(re.compile(r"/2fa/totp/activate/"))
    page.wait_for_timeout(1500)  # time for a loop to show itself, were there one
    assert page.locator("main").count() == 1
    assert len(fragment_requests) <= 2, fragment_requests  # one badge per page shown
    secret_value = page.locator("[data-totp-secret]").get_attribute("value")
    screenshot(page, "1-staff-totp-setup")

    page.fill("input[name=code]", totp_code(secret_value.strip()))
    _submit(page, "code")
    page.wait_for_url(lambda url: "/totp/activate/" not in url)
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()

    page.goto("/staff/")
    assert page.url.endswith("/staff/")
    assert page.locator("main").count() == 1
    screenshot(page, "2-staff-home")
