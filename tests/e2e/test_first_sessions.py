"""The first session of every role on the stack `bin/run` starts (issue 21), in a real browser:
the public, a creator who signs up, an AI team that signs up and buys, the demo staff member
who sets up two-factor, and the demo creator reading her earnings.

One stack for the module (migrate, seed_demo, the web server, a Celery worker on the filesystem
broker and the local Stripe server, as real unpatched processes: tests/e2e/embedded_stack.py);
each role in a fresh browser context at 1280x900. Every response the page sees must be below
500 and no process may log a traceback."""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass, field

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.helpers import totp_code
from tests.uploads.images import photo

from .embedded_stack import DEMO_PASSWORD, EmbeddedStack

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

PASSWORD = "Correct-Horse-Battery-9"
GENERATIVE = "use=ai-train-generative&commercial=true&term_months=12"
# What a person should never read in a notification or in a work's metadata: ISO timestamps,
# EXIF's colon dates and the terms' slugs.
RAW_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
RAW_EXIF_DATE = re.compile(r"\d{4}:\d{2}:\d{2} \d{2}:\d{2}")
SLUG = re.compile(r"\bai-(?:train|fine|evaluate|nongen)[a-z-]*")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with EmbeddedStack(tmp_path_factory.mktemp("first-sessions") / "var", stripe=True) as running:
        yield running


@dataclass
class Session:
    """One role's browser context: its tab, every response it saw, and where the stack's logs
    stood when it began (so each test answers for its own tracebacks)."""

    page: Page
    stack: EmbeddedStack
    responses: list[tuple[int, str]] = field(default_factory=list)
    log_offsets: dict[str, int] = field(default_factory=dict)

    def new_log(self, name: str) -> str:
        return self.stack.log(name)[self.log_offsets.get(name, 0) :]


@pytest.fixture
def session(browser, stack):
    context = browser.new_context(base_url=stack.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    current = Session(page, stack, log_offsets={n: len(t) for n, t in stack.logs().items()})
    page.on("response", lambda r: current.responses.append((r.status, r.url)))
    yield current
    context.close()
    failed = [(status, url) for status, url in current.responses if status >= 500]
    assert failed == [], f"the pages answered 5xx: {failed}"
    for name in stack.processes:
        text = current.new_log(name)
        assert "Traceback" not in text, f"{name} log:\n{text[-6000:]}"
    assert stack.is_alive("web") and stack.is_alive("worker")


# --- What every role's pages share -------------------------------------------------------------


def assert_navigation_on_one_line(page: Page) -> None:
    """At 1280 px the bar holds every link on one row, inside the page's column (the creator's
    bar once ran 67 px past it, to the window's edge) and needs no sideways scrolling."""
    nav = page.locator("nav.site-nav")
    link_height = page.locator("nav.site-nav .nav-link").first.bounding_box()["height"]
    assert nav.bounding_box()["height"] < 2 * link_height + 24, nav.bounding_box()
    items = [b for b in (el.bounding_box() for el in nav.locator(".navbar-nav > li").all()) if b]
    tops = [round(box["y"]) for box in items]
    assert tops and max(tops) - min(tops) < link_height, tops
    column_right = nav.locator(".container").evaluate(
        "c => c.getBoundingClientRect().right - parseFloat(getComputedStyle(c).paddingRight)"
    )
    assert max(box["x"] + box["width"] for box in items) <= column_right + 1, column_right
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


def wait_for_images(page: Page, selector: str) -> int:
    """Scrolls each image into view (they load lazily) and waits until it has pixels; returns
    how many there are."""
    images = page.locator(selector)
    for image in images.all():
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
    page.evaluate("window.scrollTo(0, 0)")
    return images.count()


def assert_human_words(text: str) -> None:
    for pattern in (RAW_ISO, RAW_EXIF_DATE, SLUG):
        assert not pattern.search(text), f"{pattern.pattern!r} in: {text[:3000]}"


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("form:has([name='login']) [type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def sign_up(page: Page, session: Session, *, email: str, role: str, name: str = "") -> str:
    """Signs up through the form and opens the verification link from the email the stack
    printed; returns that email's text."""
    page.goto("/")
    page.get_by_role("link", name=re.compile("sign up", re.I)).first.click()
    page.check(f"input[name=role][value={role}]")
    page.fill("input[name=email]", email)
    if role == "creator":
        page.fill("input[name=display_name]", name)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("form:has([name='password1']) [type=submit]").first.click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    mail = _wait_for(lambda: _verification_mail(session, email), timeout=30)
    assert mail, f"no verification email to {email} in the web log"
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail).group(0)
    page.goto(link)
    page.locator("form [type=submit]").last.click()
    page.wait_for_url(lambda url: "/confirm-email/" not in url)
    return mail


def _verification_mail(session: Session, email: str) -> str:
    """The last message to `email` that the console email backend printed (web or worker)."""
    for name in ("web", "worker"):
        messages = [
            m
            for m in session.new_log(name).split("-" * 79)
            if f"To: {email}" in m and "Subject:" in m
        ]
        if messages:
            return messages[-1]
    return ""


def _wait_for(check, *, timeout: float, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def exif_jpeg(path, *, seed: int, taken: str) -> None:
    """A photo whose EXIF says when it was taken (EXIF's own "YYYY:MM:DD HH:MM:SS")."""
    exif = Image.Exif()
    exif[0x0132] = taken  # DateTime
    out = io.BytesIO()
    photo(640, 480, seed=seed).save(out, "JPEG", quality=90, exif=exif)
    path.write_bytes(out.getvalue())


# --- The roles ---------------------------------------------------------------------------------


def test_the_public_reads_home_catalog_a_work_verify_and_the_api_docs(session, screenshot):
    page = session.page
    page.goto("/")
    assert_navigation_on_one_line(page)
    screenshot(page, "1-home")

    page.get_by_role("link", name="Catalog", exact=True).first.click()
    page.wait_for_url(re.compile(r"/catalog/"))
    cards = page.locator(".catalog-card")
    assert cards.count() >= 4, "the demo catalog has works on sale"
    assert wait_for_images(page, ".catalog-card img") == cards.count()
    assert_navigation_on_one_line(page)
    screenshot(page, "2-catalog")

    card = cards.filter(has_text="Harbour at dawn")
    card.get_by_role("link", name="Harbour at dawn").first.click()
    page.wait_for_url(re.compile(r"/catalog/works/\d+/"))
    expect(page.get_by_role("heading", name="Harbour at dawn", level=1)).to_be_visible()
    preview = page.get_by_role("img", name=re.compile("Watermarked preview"))
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=preview.element_handle()
    )
    expect(page.get_by_test_id("creator")).to_have_text("Ada Okafor")
    expect(page.locator(".work-offer").first.locator(".offer-price")).to_contain_text("$")
    screenshot(page, "3-catalog-work")

    page.goto("/verify/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_navigation_on_one_line(page)
    screenshot(page, "4-verify")

    page.goto("/")
    page.get_by_role("link", name="API docs").first.click()
    page.wait_for_url(re.compile(r"/api/docs/"))
    page.locator(".swagger-ui .opblock").first.wait_for()
    screenshot(page, "5-api-docs")


def test_a_new_creator_signs_up_uploads_two_titled_images_and_offers_one(
    session, screenshot, tmp_path
):
    page, stack = session.page, session.stack
    mail = sign_up(page, session, email="mira@studio.example", role="creator", name="Mira Sol")
    # The verification email names this site, not Django's example.com.
    assert "example.com" not in mail and stack.url in mail, mail
    page.goto("/studio/")
    assert_navigation_on_one_line(page)
    screenshot(page, "1-studio")

    exif_jpeg(tmp_path / "IMG_0412.jpg", seed=41, taken="2026:03:10 17:22:10")
    exif_jpeg(tmp_path / "IMG_0413.jpg", seed=42, taken="2026:03:11 08:05:00")
    page.goto("/studio/works/upload/")
    page.set_input_files(
        "input[type=file]", [str(tmp_path / "IMG_0412.jpg"), str(tmp_path / "IMG_0413.jpg")]
    )
    first = page.get_by_label("Title for IMG_0412.jpg")
    expect(first).to_have_value("IMG 0412")
    first.fill("Tide pools at dusk")
    page.get_by_label("Title for IMG_0413.jpg").fill("Morning ferry")
    page.check("input[name=ai_involvement][value=none]")
    page.check("input[name=rights_confirmed]")
    screenshot(page, "2-uploader-titles")
    page.locator("[data-submit]").click()
    expect(page.locator("[data-done]")).to_contain_text("All 2 files are uploaded", timeout=60_000)

    # The uploader opens the batch page, which htmx polls until the worker has processed both.
    page.wait_for_url(re.compile(r"/studio/batches/\d+/$"))
    progress = page.locator("#batch-progress")
    expect(progress).to_have_attribute("data-finished", "true", timeout=120_000)
    expect(progress.locator("[data-progress-label]")).to_contain_text("Finished: 2 of 2 processed")
    expect(progress).to_contain_text("Tide pools at dusk")
    expect(progress).to_contain_text("Morning ferry")
    screenshot(page, "3-batch-finished")

    # The work's page: its metadata's date in words.
    page.goto("/studio/works/")
    card = page.locator(".work-card", has_text="Tide pools at dusk")
    expect(card.locator(".work-card-sale")).to_contain_text("Not on sale")
    card.get_by_role("link", name="Tide pools at dusk").first.click()
    page.wait_for_url(re.compile(r"/studio/works/\d+/$"))
    main = page.locator("main")
    expect(main).to_contain_text("10 March 2026, 17:22")  # EXIF's "2026:03:10 17:22:10"
    assert_human_words(main.inner_text())
    screenshot(page, "4-work-detail")

    # The price form says what she nets; she consents and the work is on sale.
    page.goto("/studio/works/")
    card.get_by_role("link", name=re.compile("Make an offer")).click()
    page.wait_for_url(re.compile(r"/offers/new/$"))
    price = page.locator("#id_price")
    price.fill("")
    price.press_sequentially("40.00", delay=30)
    net = page.locator("[data-offer-net]")
    expect(net).to_contain_text(re.compile(r"A team pays\s*\$40\.00"))
    fee_percent = int(re.search(r"fee \((\d+)%\)", net.inner_text()).group(1))
    you_net = f"${40 * (100 - fee_percent) / 100:.2f}"
    expect(net.locator("[data-net-amount]")).to_have_text(you_net)
    screenshot(page, "5-price-form-net")
    page.get_by_role("button", name=re.compile("Review and consent")).click()
    expect(page.locator("[data-consent-net]")).to_contain_text(f"you net {you_net}")
    page.get_by_label("I consent to offering this work on these terms").check()
    page.get_by_role("button", name="Consent and offer").click()
    page.wait_for_url(re.compile(r"/studio/works/\d+/$"))

    page.goto("/studio/works/")
    expect(card.locator(".work-card-sale")).to_contain_text("On sale")
    expect(card.locator("[data-sale-price]")).to_have_text("$40.00")
    other = page.locator(".work-card", has_text="Morning ferry")
    expect(other.locator(".work-card-sale")).to_contain_text("Not on sale")
    screenshot(page, "6-works-grid-on-sale")

    page.goto("/notifications/")
    assert_human_words(page.locator("main").inner_text())
    screenshot(page, "7-notifications")


def test_a_new_ai_team_signs_up_builds_a_dataset_and_pays_on_stripes_page(session, screenshot):
    page, stack = session.page, session.stack
    mail = sign_up(page, session, email="noor@kestrel.example", role="buyer")
    assert "example.com" not in mail and stack.url in mail, mail

    page.goto("/team/")
    expect(page.get_by_role("heading", name="You're not in a team yet")).to_be_visible()
    page.locator("form[action='/team/new/'] input[name=name]").fill("Kestrel AI")
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", name="Kestrel AI", level=1)).to_be_visible()
    assert_navigation_on_one_line(page)
    screenshot(page, "1-team")

    # The catalog for generative training; a work's page starts the dataset.
    page.goto(f"/catalog/?{GENERATIVE}")
    wait_for_images(page, ".catalog-card img")
    screenshot(page, "2-catalog")
    page.locator(".catalog-card", has_text="Terraces").get_by_role(
        "link", name="Terraces"
    ).first.click()
    page.wait_for_url(re.compile(r"/catalog/works/\d+/"))
    expect(page.get_by_role("heading", name="Terraces", level=1)).to_be_visible()
    screenshot(page, "3-catalog-work")
    page.get_by_role("button", name="Start a dataset with this").click()
    expect(page.get_by_role("alert").first).to_contain_text("Started")
    page.reload()
    in_dataset = page.get_by_test_id("in-dataset")
    expect(in_dataset).to_contain_text("In dataset")
    expect(in_dataset).not_to_contain_text(re.compile(r"\b0\d [A-Z][a-z]{2} "))  # "07 Dec"
    expect(page.get_by_role("button", name="Add to dataset")).to_have_count(0)
    screenshot(page, "4-in-dataset-after-reload")

    page.goto(f"/catalog/?{GENERATIVE}")
    kiso = page.locator(".catalog-card", has_text="Kiso valley")
    kiso.get_by_role("button", name="Add to dataset").click()
    expect(kiso.locator(".dataset-added")).to_contain_text("2 works")
    page.reload()
    expect(kiso.get_by_test_id("in-dataset")).to_be_visible()

    # The builder: rename, the destruction duty before paying, acknowledged.
    page.get_by_role("link", name="Datasets", exact=True).click()
    page.locator("[data-dataset] a").first.click()
    page.wait_for_url(re.compile(r"/datasets/[0-9a-f-]+/$"))
    page.get_by_role("button", name="Rename").click()
    page.fill("#dataset-name", "Kestrel landscapes v1")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_role("heading", name="Kestrel landscapes v1", level=1)).to_be_visible()
    expect(page.get_by_test_id("item-count")).to_have_text("2")
    expect(page.get_by_test_id("duty-destroy")).to_contain_text("must be destroyed")
    page.check("#acknowledge-destruction")
    screenshot(page, "5-dataset-duty")
    total = page.get_by_test_id("total").inner_text()

    page.get_by_role("button", name=re.compile(r"Checkout")).click()
    page.wait_for_url(re.compile(re.escape(stack.stripe_url) + r"/pay/"))
    expect(page.get_by_test_id("amount")).to_have_text(total)
    page.fill("#card_number", "4242 4242 4242 4242")
    screenshot(page, "6-stripe-checkout")
    page.get_by_test_id("pay").click()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]+/\?checkout=done"))
    status = page.get_by_test_id("order-status")
    expect(status).to_contain_text("Paid", timeout=60_000)  # after the signed webhook
    screenshot(page, "7-order-paid")

    page.get_by_role("link", name="View license").click()
    page.wait_for_url(re.compile(r"/licenses/[0-9a-f-]+/$"))
    expect(page.get_by_role("heading", name="Kestrel landscapes v1", level=1)).to_be_visible()
    expect(page.locator("tr[data-item]")).to_have_count(2)
    # Nothing to renew on the day of purchase.
    expect(page.get_by_test_id("renewal")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Renew"))).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Renew"))).to_have_count(0)
    # The worker builds the package; the page follows it (htmx) to its links.
    expect(page.locator("#package-panel tr[data-file]").first).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("package")).to_contain_text("without signing in")
    screenshot(page, "8-license")

    page.goto("/licenses/")
    main = page.locator("main")
    expect(main).to_contain_text("Kestrel landscapes v1")
    expect(main.get_by_role("link", name=re.compile("^Renew"))).to_have_count(0)
    screenshot(page, "9-licenses")

    page.goto("/notifications/")
    notes = page.locator("[data-notification]")
    expect(notes.filter(has_text="package for Kestrel landscapes v1")).to_contain_text(
        "2 licensed works in 1 WebDataset shard,"  # counted words, not "shard(s)"
    )
    assert_human_words(page.locator("main").inner_text())
    screenshot(page, "10-notifications")


def test_demo_staff_set_up_two_factor_and_find_queue_reconciliation_and_admin(session, screenshot):
    page = session.page
    fragments: list[str] = []
    page.on("request", lambda r: fragments.append(r.url) if r.headers.get("hx-request") else None)
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "staff@demo.assent.local")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form:has([name='login']) [type=submit]").first.click()
    page.wait_for_url(re.compile(r"/accounts/(2fa/totp/activate|reauthenticate)/"))
    if "/reauthenticate/" in page.url:
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.locator("form:has([name='password']) [type=submit]").first.click()
        page.wait_for_url(re.compile(r"/2fa/totp/activate/"))
    page.wait_for_timeout(1500)  # time for an htmx loop to show itself, were there one
    assert page.locator("main").count() == 1
    assert len(fragments) <= 2, fragments
    screenshot(page, "1-totp-setup")
    secret = page.locator("[data-totp-secret]").get_attribute("value").strip()
    page.fill("input[name=code]", totp_code(secret))
    page.locator("form:has([name='code']) [type=submit]").first.click()
    page.wait_for_url(lambda url: "/totp/activate/" not in url)

    page.goto("/staff/")
    assert page.url.endswith("/staff/")
    assert page.locator("main").count() == 1
    expect(page.locator("main")).not_to_contain_text("coming")
    expect(page.get_by_test_id("staff-summary")).to_contain_text("wait")
    assert_navigation_on_one_line(page)
    screenshot(page, "2-staff-home")

    page.goto("/staff/review/")
    cases = page.locator("tr[data-case]")
    assert cases.count() >= 1, "seed_demo holds a work of each creator for review"
    expect(page.locator("main")).to_contain_text("Blue hour")
    screenshot(page, "3-review-queue")

    page.goto("/staff/reconciliation/")
    expect(page.get_by_test_id("stripe-error")).to_have_count(0)
    expect(page.locator("[data-kind]").first).to_be_visible()
    expect(page.locator("tr[data-problem]")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Missing at Stripe")
    screenshot(page, "4-reconciliation")

    page.goto("/admin/")
    admin = page.locator("#content-main")
    expect(admin).to_contain_text("Ledger entries")
    expect(admin).to_contain_text("Upload batches")
    # One heading per app: ours is not a second "Accounts" under allauth's email addresses.
    headings = admin.locator("caption").all_inner_texts()
    assert len(headings) == len(set(headings)), headings
    screenshot(page, "5-admin")


def test_the_demo_creator_reads_when_held_money_becomes_available_and_her_history(
    session, screenshot
):
    page = session.page
    sign_in(page, "ada@demo.assent.local", DEMO_PASSWORD)
    page.goto("/studio/earnings/")
    releases = page.locator("#held-releases [data-release]")
    assert releases.count() >= 1, "the demo sale's earnings are held"
    expect(releases.first).to_contain_text(re.compile(r"available on \d{1,2} [A-Z][a-z]+ \d{4}"))
    assert_navigation_on_one_line(page)
    screenshot(page, "1-earnings")

    # The earnings export: one reference per sale, with the works' titles.
    csv = page.request.get("/studio/earnings.csv")
    assert csv.status == 200
    assert "order:order:" not in csv.text() and "Harbour at dawn" in csv.text(), csv.text()[:2000]

    # The held work's history: screening's decision is automatic, never a person.
    page.goto("/studio/works/")
    page.locator(".work-card", has_text="Blue hour").get_by_role(
        "link", name="Blue hour"
    ).first.click()
    page.wait_for_url(re.compile(r"/studio/works/\d+/$"))
    by = [text.strip("· ").strip() for text in page.get_by_test_id("change-by").all_inner_texts()]
    assert by and set(by) <= {"Automatic", "Automatic screening", "You"}, by
    assert_human_words(page.locator("main").inner_text())
    screenshot(page, "2-held-work-history")

    page.goto("/notifications/")
    assert_human_words(page.locator("main").inner_text())
    screenshot(page, "3-notifications")
