"""Create a workspace from the command line (the same action as the web signup)."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.actions import create_workspace
from tenants.policy import workspace_policy
from tenants.selectors import workspace_url


class Command(BaseCommand):
    help = "Create a workspace and its owner. Prints JSON with --json."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--subdomain", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument(
            "--owner-password",
            default=None,
            help="Without it the owner sets a password by 'forgot password'.",
        )
        parser.add_argument("--language", default="ru", choices=["ru", "uk", "en"])
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args: object, **options: object) -> None:
        try:
            created = create_workspace(
                name=str(options["name"]),
                subdomain=str(options["subdomain"]),
                owner_email=str(options["owner_email"]),
                owner_password=options["owner_password"],  # type: ignore[arg-type]
                language=str(options["language"]),
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        workspace = created.workspace
        result = {
            "schema": workspace.schema_name,
            "subdomain": workspace.subdomain,
            "url": workspace_url(workspace),
            "owner_email": created.owner.email,
            "seconds": round(created.seconds, 3),
            # What the policy adds (billing: trial_ends_at).
            **workspace_policy().workspace_info(workspace),
        }
        if options["as_json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(f"Workspace ready at {result['url']} ({result['seconds']}s)")
