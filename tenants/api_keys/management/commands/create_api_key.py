"""Create an API key from the command line (the same action as the settings page)."""

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from tenants.api_keys.actions import create_api_key
from tenants.api_keys.models import ApiKeyScope
from tenants.members.models import Role, User
from tenants.models import Workspace

SCOPES = {
    frozenset({"read"}): ApiKeyScope.READ,
    frozenset({"read", "write"}): ApiKeyScope.READ_WRITE,
    frozenset({"write"}): ApiKeyScope.READ_WRITE,
}
EXPORT = "export"


def _scope(text: str) -> tuple[ApiKeyScope, bool]:
    """(read or read+write, whether the export scope is added) from e.g. 'read,export'."""
    words = frozenset(word.strip() for word in text.split(",") if word.strip())
    can_export = EXPORT in words
    words = words - {EXPORT} or frozenset({"read"})
    if words not in SCOPES:
        raise CommandError("--scopes must be 'read' or 'read,write', optionally with ',export'")
    return SCOPES[words], can_export


class Command(BaseCommand):
    help = (
        "Create an API key in a workspace; it acts as --created-by (default: the first "
        'active owner). Prints the key once; with --json as {"key": ..., "id": ...}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="The workspace's subdomain.")
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--scopes",
            default="read",
            help="'read' or 'read,write'; add ',export' to let the key export data.",
        )
        parser.add_argument(
            "--created-by", default=None, help="E-mail of an owner or admin to act as."
        )
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args: object, **options: object) -> None:
        scope, can_export = _scope(str(options["scopes"]))
        workspace = Workspace.objects.filter(subdomain=str(options["workspace"]).lower()).first()
        if workspace is None:
            raise CommandError(f"No workspace with the subdomain {options['workspace']!r}.")
        with schema_context(workspace.schema_name):
            creator = self._creator(options["created_by"])
            try:
                created = create_api_key(
                    acting_user=creator,
                    name=str(options["name"]),
                    scope=scope,
                    can_export=can_export,
                )
            except (ValidationError, PermissionDenied) as error:
                text = "; ".join(error.messages) if isinstance(error, ValidationError) else error
                raise CommandError(str(text)) from error
        result = {
            "key": created.secret,
            "id": created.api_key.pk,
            "name": created.api_key.name,
            "scopes": created.api_key.scopes,
            "workspace": workspace.subdomain,
        }
        if options["as_json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(
                f"API key {result['name']!r} (id {result['id']}): {result['key']}\n"
                "It is shown only once; store it now."
            )

    @staticmethod
    def _creator(email: object) -> User:
        members = User.objects.filter(is_active=True)
        if email:
            creator = members.filter(email__iexact=str(email)).first()
            if creator is None:
                raise CommandError(f"No active member {email!r} in this workspace.")
            return creator
        creator = members.filter(role=Role.OWNER).order_by("date_joined", "pk").first()
        if creator is None:
            raise CommandError("The workspace has no active owner; pass --created-by.")
        return creator
