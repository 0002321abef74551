"""`manage.py billing_status SUBDOMAIN [--json]`: a workspace's billing state for scripts."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.selectors import billing_status
from tenants.models import Workspace


class Command(BaseCommand):
    help = "Print a workspace's billing status (status, plan, seats, trial and period ends)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subdomain")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args: object, **options: object) -> None:
        workspace = Workspace.objects.filter(subdomain=str(options["subdomain"])).first()
        if workspace is None:
            raise CommandError(f"no workspace {options['subdomain']!r}")
        status = billing_status(workspace)
        if options["as_json"]:
            self.stdout.write(json.dumps(status))
        else:
            for key, value in status.items():
                self.stdout.write(f"{key}: {value}")
