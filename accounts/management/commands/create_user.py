"""manage.py create_user --email E --password P --role creator|buyer|staff [--org NAME]"""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role
from accounts.services.users import user_create
from config.errors import ApplicationError


class Command(BaseCommand):
    help = "Create a ready-to-use account (email already verified)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--org", default="", help="AI team to create or join (buyers).")
        parser.add_argument("--name", default="", help="Public display name (creators).")

    def handle(self, *args, email, password, role, org, name, **options):
        try:
            validate_password(password)
            user = user_create(
                email=email, password=password, role=role, organization_name=org, display_name=name
            )
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from exc
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"Created {user.role} {user.email}"))
