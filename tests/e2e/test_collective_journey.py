"""Collective bargaining in a real browser (issue 19's journey): three creators form a
collective, pool their works and vote a floor; an offer below it is refused; a team posts a
data request, members offer pooled works into it, the team accepts and pays on the local Stripe
page; the collective's page shows the sale; then a vote withholds every pooled work from that
team, and the team's next quote drops them. Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from playwright.sync_api import expect

from collectives.models import Collective, Proposal
from marketplace.models import DataRequest, Order, OrderStatus
from tests.factories import BuyerFactory, CreatorFactory, DatasetFactory
from tests.factories.accounts import team_of
from tests.helpers import signed_in_tab
from tests.marketplace.factories import listed_work
from tests.uploads.images import jpeg_bytes, photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _work(creator, title: str, seed: int):
    """A listed harbour work offered for generative commercial use, 3 years, at $30.00."""
    work = listed_work(creator, title=title, tags=["harbour", "boats"], price=3000)
    work.thumbnail = default_storage.save(
        f"renditions/collective/{seed}.jpg", ContentFile(jpeg_bytes(photo(480, 360, seed=seed)))
    )
    work.save(update_fields=["thumbnail"])
    return work


def _vote_yes(tab, slug: str, summary: str):
    tab.goto(f"/collectives/{slug}/")
    tab.reload()  # the tab may be on this very page from before the proposal
    row = tab.locator("[data-proposal]", has_text=summary)
    row.get_by_role("button", name="Yes").click()
    expect(tab.get_by_role("alert").first).to_contain_text("Your vote is recorded")


def test_three_creators_bargain_together_and_a_team_feels_it(
    browser, live_server, screenshot, shop
):
    names = ["Ada Okafor", "Kenji Mori", "Lena Berg"]
    creators = [CreatorFactory(profile__display_name=n) for n in names]
    works = [_work(c, f"Harbour {i + 1}", i + 1) for i, c in enumerate(creators)]
    owner = BuyerFactory(membership__organization__name="Orbit Lab")
    team = team_of(owner)
    refused: list[str] = []
    tabs = []

    def tab_for(user):
        context, tab = signed_in_tab(browser, live_server, user)
        tab.set_default_timeout(20_000)
        tab.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        tabs.append(context)
        return tab

    ada, kenji, lena = (tab_for(c) for c in creators)
    orbit = tab_for(owner)
    # The team had started a dataset with every pooled work, before any of this.
    draft = DatasetFactory(user=owner, works=works, name="Harbours, generative")

    # 1. Ada founds the collective; Kenji and Lena join; each pools a work with consent.
    ada.goto("/collectives/")
    ada.get_by_role("link", name="Found a collective").first.click()
    ada.fill("input[name=name]", "Harbour Photographers Guild")
    ada.fill("textarea[name=charter]", "We sell harbour photography for AI training together.")
    ada.get_by_role("button", name="Found it").click()
    expect(ada.get_by_role("heading", level=1)).to_have_text("Harbour Photographers Guild")
    slug = Collective.objects.get().slug
    for tab in (kenji, lena):
        tab.goto(f"/collectives/{slug}/")
        tab.get_by_test_id("join").click()
        expect(tab.get_by_role("alert").first).to_contain_text("You joined")
    for tab, work in zip((ada, kenji, lena), works, strict=True):
        tab.goto(f"/collectives/{slug}/pool/")
        tab.get_by_label(re.compile(work.title)).check()
        tab.get_by_role("button", name="Review and consent").click()
        expect(tab.get_by_test_id("pool-consent")).to_contain_text("Assent keeps 20%")
        tab.get_by_role("button", name=re.compile("I consent")).click()
        expect(tab.get_by_role("alert").first).to_contain_text("pooled")
    ada.goto(f"/collectives/{slug}/")
    expect(ada.get_by_test_id("collective-facts")).to_contain_text("3 members · 3 works pooled")
    screenshot(ada, "1-collective-founded")

    # 2. A floor of $20.00 for generative training, proposed by Ada; two yes votes carry it.
    ada.select_option("select[name=kind]", "floor_set")
    ada.select_option("select[name=use]", "ai-train-generative")
    ada.select_option("select[name=currency]", "USD")
    ada.fill("input[name=amount]", "20")
    ada.get_by_role("button", name="Put it to a vote").click()
    expect(ada.get_by_role("alert").first).to_contain_text("Proposed: Floor of $20.00")
    summary = "Floor of $20.00 per license to train generative models"
    _vote_yes(ada, slug, summary)
    _vote_yes(kenji, slug, summary)
    kenji.goto(f"/collectives/{slug}/")
    expect(kenji.get_by_test_id("rules")).to_contain_text("at least $20.00 to train generative")
    expect(kenji.locator("[data-proposal]").first.get_by_test_id("proposal-status")).to_have_text(
        "Passed"
    )
    screenshot(kenji, "2-floor-voted")

    # 3. Lena tries a $12.00 offer on her pooled work: refused, with the reason, before consent.
    lena.goto(f"/studio/works/{works[2].id}/offers/new/")
    lena.locator("label[for=preset-generative-commercial-3y]").click()
    lena.fill("input[name=price]", "12")
    lena.get_by_role("button", name="Review and consent").click()
    expect(lena.locator(".invalid-feedback").first).to_contain_text("Harbour Photographers Guild")
    expect(lena.locator(".invalid-feedback").first).to_contain_text("at least $20.00")
    screenshot(lena, "3-offer-below-floor")

    # 4. Orbit Lab posts a data request: harbours, generative and commercial, $25.00 a work.
    orbit.goto("/requests/")
    orbit.fill("#rq-title", "Working harbours")
    orbit.fill("#rq-description", "Harbours with boats and cranes, any light.")
    orbit.fill("#rq-tags", "harbour")
    orbit.fill("#rq-count", "5")
    orbit.check("#rq-use-ai-train-generative")
    orbit.check("#rq-commercial")
    orbit.fill("#rq-price", "25")
    orbit.fill("#rq-deadline", (timezone.localdate() + timezone.timedelta(days=14)).isoformat())
    orbit.get_by_role("button", name="Post the request").click()
    expect(orbit.get_by_role("alert").first).to_contain_text("Posted")
    data_request = DataRequest.objects.get()

    # 5. Ada and Kenji offer their pooled works into it, consenting per work.
    for tab, work in ((ada, works[0]), (kenji, works[1])):
        tab.goto(f"/studio/requests/{data_request.uuid}/")
        tab.get_by_role("link", name=f"Offer {work.title}").click()
        expect(tab.get_by_test_id("net")).to_contain_text("$20.00")
        tab.check("#consent")
        tab.get_by_role("button", name="Consent and offer").click()
        expect(tab.get_by_role("alert").first).to_contain_text("Offered")
    screenshot(kenji, "4-offered-into-request")

    # 6. The team accepts both and pays on the local Stripe page.
    orbit.goto(f"/requests/{data_request.uuid}/")
    for work in works[:2]:
        orbit.get_by_role("button", name=f"Accept {work.title}").click()
        row = orbit.locator("[data-response]", has_text=work.title)
        expect(row.locator('[data-stage="accepted"]')).to_have_count(1)
    expect(orbit.get_by_test_id("to-check-out")).to_have_text("$50.00")
    acknowledge = orbit.locator("#acknowledge-destruction")
    if acknowledge.count():
        acknowledge.check()
    orbit.get_by_role("button", name=re.compile(r"Check out 2 works")).click()
    orbit.wait_for_url(re.compile(re.escape(shop.public_url) + r"/pay/"))
    expect(orbit.get_by_test_id("amount")).to_have_text("$50.00")
    orbit.fill("#card_number", "4242 4242 4242 4242")
    orbit.get_by_test_id("pay").click()
    order = Order.objects.get(dataset__name__startswith="Request:")
    orbit.wait_for_url(re.compile(rf"/orders/{order.uuid}/"))
    expect(orbit.get_by_test_id("order-status")).to_contain_text("Paid", timeout=30_000)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

    # 7. Every member sees the sale on the collective's page: revenue, and who bought.
    lena.goto(f"/collectives/{slug}/")
    sales = lena.get_by_test_id("sales")
    expect(sales).to_contain_text("$50.00 from 2 licenses")
    expect(lena.get_by_test_id("buying-teams")).to_contain_text("Orbit Lab: 2 licenses")
    screenshot(lena, "5-collective-sale")

    # 8. A vote withholds every pooled work from Orbit Lab; its draft dataset's quote drops
    # them (Lena's offer is above the floor at $30.00, so it was on sale until now).
    orbit.goto(f"/datasets/{draft.uuid}/")
    expect(orbit.locator(".dataset-items li", has_text="Harbour 3")).not_to_contain_text(
        "no longer on sale"
    )
    lena.select_option("select[name=kind]", "strike_team")
    lena.fill("input[name=team]", team.slug)
    lena.get_by_role("button", name="Put it to a vote").click()
    expect(lena.get_by_role("alert").first).to_contain_text("Withhold every pooled work from")
    strike = "Withhold every pooled work from Orbit Lab"
    _vote_yes(lena, slug, strike)
    _vote_yes(ada, slug, strike)
    assert Proposal.objects.get(kind="strike_team").status == "passed"
    ada.goto(f"/collectives/{slug}/")
    expect(ada.get_by_test_id("strikes")).to_contain_text("From the team Orbit Lab")
    screenshot(ada, "6-strike-voted")

    orbit.goto(f"/datasets/{draft.uuid}/")
    expect(orbit.locator(".dataset-items li", has_text="Harbour 3")).to_contain_text(
        "no longer on sale"
    )
    screenshot(orbit, "7-quote-flags-withheld")
    orbit.check("#acknowledge-destruction")
    orbit.get_by_role("button", name=re.compile(r"Checkout")).click()
    expect(orbit.get_by_test_id("notices")).to_contain_text(
        "The creators' collective no longer sells this work to your team", timeout=20_000
    )
    screenshot(orbit, "8-quote-dropped")
    draft.refresh_from_db()
    assert not draft.items.filter(work__in=works).exists()

    for context in tabs:
        context.close()
    assert refused == []
