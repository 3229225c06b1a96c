"""manage.py seed_demo: demo accounts for trying Assent locally. Safe to run again."""

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role, User
from accounts.services import invitation_create, user_create
from config.demo_images import demo_picture
from licensing.consent import ConsentContext
from licensing.services import offer_create
from licensing.terms import PRESETS
from uploads.services import work_review_decide, work_submit
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


class Command(BaseCommand):
    help = "Create demo creators, an AI team and a staff user (idempotent)."

    def handle(self, *args, **options):
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
        """A few works per demo creator, processed here (no worker needed) and mostly approved,
        so every page has something to show on the first visit."""
        staff = User.objects.get(email="staff@demo.assent.local")
        made = 0
        for offset, email in enumerate(["ada@demo.assent.local", "kenji@demo.assent.local"]):
            creator = User.objects.get(email=email)
            for n, title in enumerate(DEMO_TITLES[offset]):
                seed = offset * 100 + n
                result = work_submit(
                    owner=creator, upload=SimpleUploadedFile(f"{title}.jpg", demo_picture(seed)),
                    title=title, ai_involvement="none", rights_confirmed=True,
                    tags=DEMO_TAGS[n % len(DEMO_TAGS)],
                )  # fmt: skip
                if not result.created:
                    continue
                made += 1
                work = work_process(work_id=result.work.id)
                if work is not None and work.status == "pending_review" and n % 4 != 3:
                    work = work_review_decide(work=work, approve=True, reason="", actor=staff)
                    self._seed_offers(work, n)
        return made

    def _seed_offers(self, work, n: int) -> None:
        """Demo creators consent to one or two presets per approved work (seeded consent is
        marked as such in the record's user agent)."""
        context = ConsentContext(ip_address=None, user_agent="manage.py seed_demo")
        keys = list(PRESETS)
        for key, price in [(keys[n % len(keys)], 2500 + 500 * n), (keys[(n + 2) % len(keys)], 900)][
            : 1 + n % 2
        ]:
            offer_create(work=work, actor=work.owner, terms=PRESETS[key].terms, preset=key,
                         price_amount=price, currency="USD", consent=True, context=context)  # fmt: skip

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")
