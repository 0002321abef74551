"""Fill a workspace with realistic Russian and Ukrainian clients (crm.seeding)."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context

from tenants.models import Workspace


class Command(BaseCommand):
    help = (
        "Add N contacts and N companies with phones, e-mails, tags, sources, consents, "
        "10 custom fields and history to a workspace. Prints JSON with --json."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="The workspace's subdomain.")
        parser.add_argument("--contacts", type=int, default=1000)
        parser.add_argument("--companies", type=int, default=200)
        from crm.seeding import SEED_STEPS

        for step in SEED_STEPS:
            parser.add_argument(f"--{step.name}", type=int, default=0, help=step.help)
        parser.add_argument("--seed", type=int, default=None, help="Repeatable data.")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args: Any, **options: Any) -> None:
        from crm.seeding import seed_workspace

        workspace = Workspace.objects.filter(
            subdomain=options["workspace"], kind=Workspace.Kind.CUSTOMER
        ).first()
        if workspace is None:
            raise CommandError(f"No workspace with the subdomain {options['workspace']!r}.")
        from crm.seeding import SEED_STEPS

        more = {step.name: options[step.name] for step in SEED_STEPS}
        if min(options["contacts"], options["companies"], *more.values()) < 0:
            raise CommandError("Counts cannot be negative.")
        with tenant_context(workspace):
            try:
                made = seed_workspace(
                    contacts=options["contacts"],
                    companies=options["companies"],
                    seed=options["seed"],
                    more=more,
                )
            except ValueError as error:
                raise CommandError(str(error)) from error
        result = {"workspace": workspace.subdomain, **made}
        if options["as_json"]:
            self.stdout.write(json.dumps(result))
        else:
            made_text = ", ".join(
                f"{count} {name}" for name, count in made.items() if name != "seconds"
            )
            self.stdout.write(f"Seeded {workspace.subdomain}: {made_text} in {made['seconds']}s")
