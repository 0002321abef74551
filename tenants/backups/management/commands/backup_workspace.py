"""Back up one workspace now, for operators and scripts (the same action as an ordered backup)."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.backups import actions
from tenants.backups.models import Backup
from tenants.models import Workspace


class Command(BaseCommand):
    help = (
        "Back up a workspace (every table and file) into an encrypted archive. --json prints JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subdomain")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args: object, **options: object) -> None:
        try:
            workspace = Workspace.objects.get(
                subdomain=str(options["subdomain"]), kind=Workspace.Kind.CUSTOMER
            )
        except Workspace.DoesNotExist as error:
            raise CommandError(f"no workspace at {options['subdomain']!r}") from error
        backup = actions.request_backup(
            workspace=workspace, reason=Backup.Reason.OPERATOR, run_in_background=False
        )
        try:
            backup = actions.make_backup(backup_id=str(backup.pk))
        except Exception as error:
            raise CommandError(f"backup {backup.pk} failed: {error}") from error
        result = {
            "backup_id": str(backup.pk),
            "workspace": workspace.subdomain,
            "bytes": backup.bytes,
            "sha256": backup.sha256,
            "tables": backup.tables,
            "rows": backup.rows,
            "files": backup.files,
            "seconds": round(backup.seconds or 0, 3),
            "expires_at": backup.expires_at.isoformat() if backup.expires_at else None,
        }
        if options["as_json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(
                f"Backup {result['backup_id']}: {result['rows']} rows in "
                f"{result['tables']} tables, {result['files']} files, "
                f"{result['bytes']} bytes, {result['seconds']} s"
            )
