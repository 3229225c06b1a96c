"""manage.py seed_demo: demo accounts for trying Assent locally. Safe to run again."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role, User
from accounts.services import invitation_create, user_create

DEMO_PASSWORD = "assent-demo-2026"

DEMO_USERS = [
    {"email": "ada@demo.assent.local", "role": Role.CREATOR, "display_name": "Ada Okafor"},
    {"email": "kenji@demo.assent.local", "role": Role.CREATOR, "display_name": "Kenji Mori"},
    {"email": "lead@orbitlab.demo", "role": Role.BUYER, "organization_name": "Orbit Lab"},
    {"email": "sam@orbitlab.demo", "role": Role.BUYER, "organization_name": "Orbit Lab"},
    {"email": "staff@demo.assent.local", "role": Role.STAFF},
]


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
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({len(created)} new accounts). Sign in with password "
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

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")
