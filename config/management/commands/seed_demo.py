"""manage.py seed_demo: demo accounts for trying Assent locally. Safe to run again."""

from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Role, User
from accounts.services.teams import invitation_create
from accounts.services.users import user_create
from collectives.models import Collective
from collectives.services.membership import collective_found, collective_join
from collectives.services.pool import works_assign
from config.demo_images import demo_picture
from config.demo_media import DEMO_STORY, DEMO_STORY_TITLE, demo_song, demo_voice
from licensing.consent import ConsentContext
from licensing.models import LicenseGrant
from licensing.services.declarations import model_declare
from licensing.services.expiry import license_items_expire
from licensing.services.grants import months_after
from licensing.services.offers import offer_create
from licensing.terms import PRESETS
from marketplace.models import DataRequest, Dataset
from marketplace.services.checkout import order_freeze
from marketplace.services.data_requests import data_request_create
from marketplace.services.datasets import dataset_create, intended_use_parse
from marketplace.services.fulfilment import order_paid
from moderation.services.screening import work_screen
from uploads.models import Work, WorkStatus
from uploads.services.intake import work_submit
from uploads.services.processing import work_process

DEMO_PASSWORD = "assent-demo-2026"

DEMO_USERS = [
    {"email": "ada@demo.assent.local", "role": Role.CREATOR, "display_name": "Ada Okafor"},
    {"email": "kenji@demo.assent.local", "role": Role.CREATOR, "display_name": "Kenji Mori"},
    {"email": "lead@orbitlab.demo", "role": Role.BUYER, "organization_name": "Orbit Lab"},
    {"email": "sam@orbitlab.demo", "role": Role.BUYER, "organization_name": "Orbit Lab"},
    {"email": "staff@demo.assent.local", "role": Role.STAFF},
]


DEMO_TITLES = [
    ["Harbour at dawn", "Dunes", "Late summer hills", "Blue hour", "Terraces", "Night swim"],
    ["Kiso valley", "Paper lanterns", "First snow", "Rice fields", "Quiet shrine", "Ferry"],
]
DEMO_TAGS = ["landscape, illustration", "landscape, colour study", "abstract, warm"]
# The work of each creator whose metadata names someone else, so it waits for review.
HELD, HELD_ARTIST = 3, "Marta Vidal"


class Command(BaseCommand):
    help = "Create demo creators, an AI team and a staff user (idempotent)."

    def handle(self, *args, **options):
        self.stripe_state = options.get("stripe_state") or ""
        if not settings.DEBUG and not options.get("force"):
            raise CommandError("seed_demo is for local runs (DEBUG on); pass --force to insist.")
        created = []
        for spec in DEMO_USERS:
            if User.objects.filter(email=spec["email"]).exists():
                continue
            user_create(password=DEMO_PASSWORD, **spec)
            created.append(spec["email"])
        self._seed_invitation()
        works = self._seed_works()
        works += self._seed_media_works()
        self._seed_purchases()
        self._seed_lifecycle()
        self._seed_collective()
        self._seed_request()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({len(created)} new accounts, {works} new works). Sign in with password "
                f"'{DEMO_PASSWORD}' as:"
            )
        )
        for spec in DEMO_USERS:
            self.stdout.write(f"  {spec['role']:<8} {spec['email']}")
        self.stdout.write("  (staff set up two-factor authentication at first sign-in)")

    def _seed_invitation(self) -> None:
        owner = User.objects.get(email="lead@orbitlab.demo")
        team = owner.memberships.get().organization
        if not team.invitations.exists():
            invitation_create(organization=team, invited_by=owner, email="new.hire@orbitlab.demo")

    def _seed_works(self) -> int:
        """A few works per demo creator, processed and screened here as the worker would (so
        the demo needs no worker for them) and listed, so every page has something to show on
        the first visit. One work each names another photographer in its metadata: screening
        holds it, and staff find it in the review queue with the evidence."""
        made = 0
        for offset, email in enumerate(["ada@demo.assent.local", "kenji@demo.assent.local"]):
            creator = User.objects.get(email=email)
            for n, title in enumerate(DEMO_TITLES[offset]):
                picture = demo_picture(offset * 100 + n, artist=HELD_ARTIST if n == HELD else None)
                made += self._seed_work(
                    creator, f"{title}.jpg", picture, title, DEMO_TAGS[n % len(DEMO_TAGS)], n
                )
        return made

    def _seed_work(self, creator, filename: str, content: bytes, title: str, tags, n: int) -> int:
        """Submit, process and screen one work as the worker would; offers when it is listed.
        Returns 1 when the work is new (0 on a rerun, where the same bytes are refused)."""
        result = work_submit(
            owner=creator,
            upload=SimpleUploadedFile(filename, content),
            title=title,
            ai_involvement="none",
            rights_confirmed=True,
            tags=tags,
        )
        if not result.created:
            return 0
        if work_process(work_id=result.work.id) is not None:
            work_screen(work_id=result.work.id)
            work = Work.objects.get(id=result.work.id)
            if work.status == WorkStatus.LISTED:
                self._seed_offers(work, n)
        return 1

    # A song and a story by Ada, a voice clip by Kenji: one work of each medium beyond images.
    DEMO_MEDIA = [
        ("ada@demo.assent.local", "Tidewater.flac", "Tidewater", "music, ambient", demo_song),
        (
            "kenji@demo.assent.local",
            "Station announcement.wav",
            "Station announcement",
            "voice, speech",
            demo_voice,
        ),
        (
            "ada@demo.assent.local",
            "lighthouse.md",
            DEMO_STORY_TITLE,
            "fiction, short story",
            lambda: DEMO_STORY.encode(),
        ),
    ]

    def _seed_media_works(self) -> int:
        made = 0
        for n, (email, filename, title, tags, content) in enumerate(self.DEMO_MEDIA):
            creator = User.objects.get(email=email)
            made += self._seed_work(creator, filename, content(), title, tags, n)
        return made

    def _seed_offers(self, work, n: int) -> None:
        """Demo creators consent to one or two presets per approved work (seeded consent is
        marked as such in the record's user agent)."""
        context = ConsentContext(ip_address=None, user_agent="manage.py seed_demo")
        keys = list(PRESETS)
        for key, price in [(keys[n % len(keys)], 2500 + 500 * n), (keys[(n + 2) % len(keys)], 900)][
            : 1 + n % 2
        ]:
            offer_create(
                work=work,
                actor=work.owner,
                terms=PRESETS[key].terms,
                preset=key,
                price_amount=price,
                currency="USD",
                consent=True,
                context=context,
            )

    def _seed_purchases(self) -> None:
        """Orbit Lab has bought one small dataset (so earnings, sales and licenses have
        something to show) and is building another. The demo sale is marked paid here without
        a payment: real orders are paid only by Stripe's verified event."""

        lead = User.objects.get(email="lead@orbitlab.demo")
        team = lead.memberships.get().organization
        if Dataset.objects.filter(organization=team).exists():
            return
        evaluation = intended_use_parse(uses=["ai-evaluate"], commercial=True, months_needed=12)
        listed = list(Work.objects.filter(status="listed").values_list("id", flat=True))
        bought, _ = dataset_create(
            organization=team,
            user=lead,
            name="Landscape eval set",
            intended=evaluation,
            work_ids=listed[:4],
        )
        if bought.items.exists():
            self._paid(order_freeze(dataset=bought, user=lead))
        generative = intended_use_parse(
            uses=["ai-train-generative"], commercial=True, months_needed=24
        )
        dataset_create(
            organization=team,
            user=lead,
            name="Generative pre-training",
            intended=generative,
            work_ids=listed[4:],
        )

    def _seed_collective(self) -> None:
        """Ada and Kenji pool two listed works each in a collective Ada founded, with no floor
        voted yet: a creator's first look shows how pooling and votes work."""
        if Collective.objects.exists():
            return
        ada = User.objects.get(email="ada@demo.assent.local")
        kenji = User.objects.get(email="kenji@demo.assent.local")
        collective = collective_found(
            founder=ada,
            name="Open Horizon Collective",
            charter=(
                "Landscape photographers and illustrators who license together: we vote the "
                "floors under our prices and which teams and uses our work is withheld from."
            ),
        )
        collective_join(collective=collective, user=kenji)
        for creator in (ada, kenji):
            ids = list(
                Work.objects.filter(owner=creator, status=WorkStatus.LISTED)
                .order_by("id")
                .values_list("id", flat=True)[:2]
            )
            if ids:
                works_assign(
                    collective=collective,
                    user=creator,
                    work_ids=ids,
                    consent=True,
                    context=ConsentContext(ip_address="127.0.0.1", user_agent="seed_demo"),
                )

    def _seed_request(self) -> None:
        """Orbit Lab asks for landscapes to evaluate a model on: creators see an open data
        request with their works that fit it (and the collective, the pool's fit)."""
        if DataRequest.objects.exists():
            return
        lead = User.objects.get(email="lead@orbitlab.demo")
        data_request_create(
            organization=lead.memberships.get().organization,
            user=lead,
            title="Landscapes for an evaluation set",
            description=(
                "Wide landscapes, any season, to benchmark our image model on scenes it was "
                "not trained on. Photographs or illustrations."
            ),
            intended=intended_use_parse(uses=["ai-evaluate"], commercial=True, months_needed=12),
            count_wanted=20,
            deadline=timezone.now() + timedelta(days=30),
            price_amount=1500,
            tags=["landscape"],
            show_team_name=True,
        )

    def _seed_lifecycle(self) -> None:
        """Orbit Lab also bought a generative set three years ago whose terms say models must be
        destroyed at expiry: it ended last week, and the model the team declared on it is due
        for a destruction attestation (dates moved back here; real licenses start at payment)."""

        lead = User.objects.get(email="lead@orbitlab.demo")
        team = lead.memberships.get().organization
        name = "Style set 2023"
        if Dataset.objects.filter(organization=team, name=name).exists():
            return
        generative = intended_use_parse(
            uses=["ai-train-generative"], commercial=True, months_needed=12
        )
        listed = list(Work.objects.filter(status="listed").values_list("id", flat=True))
        dataset, _ = dataset_create(
            organization=team, user=lead, name=name, intended=generative, work_ids=listed
        )
        items = list(dataset.items.all())
        if not items:
            return
        order = self._paid(order_freeze(dataset=dataset, user=lead))
        grant = LicenseGrant.objects.get(source_reference=order.reference)
        ended = timezone.now() - timedelta(days=6)
        for item in grant.items.all():
            months = item.terms["term_months"]
            start = months_after(ended, -months)  # so that the term ends about `ended`
            type(item).objects.filter(id=item.id).update(
                starts_at=start, expires_at=months_after(start, months)
            )
        first = grant.items.order_by("starts_at").first()
        LicenseGrant.objects.filter(id=grant.id).update(starts_at=first.starts_at)
        started = first.starts_at.date() + timedelta(days=14)
        model_declare(
            organization=team,
            user=lead,
            name="Orbit Diffusion",
            version="0.9",
            purpose="Style adapter for our image generator",
            is_commercial=True,
            is_generative=True,
            training_started_on=started,
            training_ended_on=started + timedelta(days=30),
            grant_uuids=[grant.uuid],
        )
        license_items_expire()

    def _paid(self, order):
        """Mark a demo order paid as the verified Stripe event would, and, with the local
        Stripe server's state file, record its payment there too (a PaymentIntent and a
        succeeded Charge naming the order, as Checkout makes them), so that reconciliation
        finds the sale at "Stripe" instead of flagging it missing."""

        payment_intent = ""
        if self.stripe_state:
            # devtools is for development only: imported when a local Stripe state is given.
            from devtools.stripe_local.resources import payments
            from devtools.stripe_local.server import StripeLocal
            from devtools.stripe_local.store import Store

            server = StripeLocal(store=Store(self.stripe_state))
            metadata = {"order": str(order.uuid), "assent_reference": order.reference}
            pi = payments.create_payment_intent(
                server,
                amount=order.total_amount,
                currency=order.currency.lower(),
                account=None,
                data={"metadata": metadata},
            )
            payments.confirm_card(server, pi, payments.card_for("4242424242424242"))
            payment_intent = pi["id"]
        order_paid(order_id=order.id)
        type(order).objects.filter(id=order.id).update(
            stripe_payment_intent_id=payment_intent,
            status_reason="Demo data: seeded as paid with the local Stripe's test card."
            if payment_intent
            else "Demo data: seeded as paid without a payment.",
        )
        return order

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")
        parser.add_argument(
            "--stripe-state",
            default="",
            help="The local Stripe server's state file (bin/run's var/stripe-local.json): the "
            "demo sales are paid there too, so reconciliation matches them.",
        )
