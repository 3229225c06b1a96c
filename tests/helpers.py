"""Test helpers that stand for a person's devices: an authenticator app, an inbox, a browser
tab signed in."""

from __future__ import annotations

import re
import time

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core import mail

DEFAULT_PASSWORD = "Correct-Horse-Battery-9"
TOTP_STEP_SECONDS = 30
TOTP_FRESH_SECONDS = 3  # a browser journey types the code and submits within this


def totp_code(secret: str, *, at: float | None = None) -> str:
    """What an authenticator app shows right now for `secret` (RFC 6238, 30 s steps).

    Without `at`, a code about to expire is not handed out: like a person who sees the app's
    countdown run out, the helper waits for the next code. Otherwise a request sent in a step's
    last moments is checked in the next step and refused (allauth accepts no earlier step), and
    a test fails about once in every few hundred sign-ins."""
    if at is None:
        left = TOTP_STEP_SECONDS - time.time() % TOTP_STEP_SECONDS
        if left < TOTP_FRESH_SECONDS:
            time.sleep(left + 0.05)
    counter = int((at if at is not None else time.time()) // TOTP_STEP_SECONDS)
    return format_hotp_value(hotp_value(secret, counter))


def totp_enable(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    return secret


def links_in_last_email(to: str) -> list[str]:
    messages = [m for m in mail.outbox if to in m.to]
    assert messages, f"no email was sent to {to}"
    return re.findall(r"https?://[^\s>\"]+", messages[-1].body)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def signed_in_tab(browser, live_server, user):
    """(context, tab): a Chromium tab on the live server, signed in as `user` (the sign-in
    journey itself is tested in tests/accounts and tests/e2e). Close the context when done."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    return context, tab
