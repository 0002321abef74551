"""`make run`: make sure a demo workspace and an operator exist, and say how to log in.

The demo is a small Russian-language business with clients, companies and whatever the
CRM holds (filled by the CRM's own `seed_crm` once, when the workspace is created), so a
newcomer sees the product working in the first minute.
"""

from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import BaseCommand, CommandParser

from tenants.actions import create_workspace
from tenants.members.models import User
from tenants.models import Workspace
from tenants.selectors import public_site_url, workspace_url

DEMO_SUBDOMAIN = "demo"
DEMO_NAME = "Ромашка"
DEMO_OWNER_NAME = "Анна Смирнова"
# Small enough to seed in a few seconds on a laptop, big enough for lists to page.
DEMO_CONTACTS = 300
DEMO_COMPANIES = 60
# The daily work on top (seed_crm's steps, when the CRM has them): a pipeline with deals,
# months of calls, meetings and notes on the cards, and tasks for today and the days around.
DEMO_MORE = {"deals": 120, "activities": 2500, "tasks": 150}
DEMO_OWNER_EMAIL = "owner@demo.example.com"
DEMO_PASSWORD = "kartoteka-demo"  # noqa: S105 - a local demo's published password
OPERATOR_EMAIL = "operator@example.com"


class Command(BaseCommand):
    help = "Create the demo workspace and a platform operator if missing (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD)
        parser.add_argument(
            "--no-demo-data",
            action="store_true",
            help="Leave the new demo workspace empty (no clients, companies).",
        )

    def handle(self, *args: object, **options: object) -> None:
        password = str(options["password"])
        workspace = Workspace.objects.filter(subdomain=DEMO_SUBDOMAIN).first()
        if workspace is None:
            workspace = create_workspace(
                name=DEMO_NAME,
                subdomain=DEMO_SUBDOMAIN,
                owner_email=DEMO_OWNER_EMAIL,
                owner_password=password,
                owner_full_name=DEMO_OWNER_NAME,
                language="ru",
                default_country="RU",
                time_zone="Europe/Moscow",
            ).workspace
            if not options["no_demo_data"]:
                self._fill(workspace)
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

    def _fill(self, workspace: Workspace) -> None:
        """Clients, companies, deals, timelines and tasks from the CRM's seeding."""
        if "seed_crm" not in get_commands():
            self.stdout.write("The CRM's seed_crm is not installed: the demo workspace is empty.")
            return
        command = load_command_class(get_commands()["seed_crm"], "seed_crm")
        options = {
            action.dest for action in command.create_parser("manage.py", "seed_crm")._actions
        }
        call_command(
            "seed_crm",
            workspace=workspace.subdomain,
            contacts=DEMO_CONTACTS,
            companies=DEMO_COMPANIES,
            seed=2026,
            stdout=self.stdout,
            **{name: count for name, count in DEMO_MORE.items() if name in options},
        )
