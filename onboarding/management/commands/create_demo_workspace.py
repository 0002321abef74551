"""`make run`: make sure a demo workspace and an operator exist, and say how to log in."""

from django.core.management.base import BaseCommand, CommandParser

from tenants.actions import create_workspace
from tenants.members.models import User
from tenants.models import Workspace
from tenants.selectors import public_site_url, workspace_url

DEMO_SUBDOMAIN = "demo"
DEMO_OWNER_EMAIL = "owner@demo.example.com"
DEMO_PASSWORD = "kartoteka-demo"  # noqa: S105 - a local demo's published password
OPERATOR_EMAIL = "operator@example.com"


class Command(BaseCommand):
    help = "Create the demo workspace and a platform operator if missing (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, *args: object, **options: object) -> None:
        password = str(options["password"])
        workspace = Workspace.objects.filter(subdomain=DEMO_SUBDOMAIN).first()
        if workspace is None:
            workspace = create_workspace(
                name="Demo",
                subdomain=DEMO_SUBDOMAIN,
                owner_email=DEMO_OWNER_EMAIL,
                owner_password=password,
                language="ru",
            ).workspace
        if not User.objects.filter(email__iexact=OPERATOR_EMAIL).exists():
            User.objects.create_superuser(OPERATOR_EMAIL, password)
        self.stdout.write(
            "\n".join(
                [
                    f"Public site:      {public_site_url('/')}",
                    f"Demo workspace:   {workspace_url(workspace)}",
                    f"  log in as       {DEMO_OWNER_EMAIL} / {password}",
                    f"Operator console: {public_site_url('/admin/')}",
                    f"  log in as       {OPERATOR_EMAIL} / {password}",
                ]
            )
        )
