"""Restore a backup into a new workspace, or over its own workspace (operators)."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.backups import actions
from tenants.backups.engine import BackupRefusedError
from tenants.backups.models import Backup


class Command(BaseCommand):
    help = (
        "Restore a backup: --into NEW_SUBDOMAIN makes a new workspace from it; --over SUBDOMAIN "
        "replaces that workspace's data (after a safety backup; needs --yes). --json prints JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup_id")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--into", dest="into", metavar="NEW_SUBDOMAIN")
        target.add_argument("--over", dest="over", metavar="SUBDOMAIN")
        parser.add_argument("--yes", action="store_true", help="confirm a restore over a workspace")
        parser.add_argument("--operator", default="command line", help="who asked, for the record")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args: object, **options: object) -> None:
        try:
            backup = Backup.objects.select_related("workspace").get(pk=str(options["backup_id"]))
        except (Backup.DoesNotExist, ValidationError) as error:
            raise CommandError(f"no backup {options['backup_id']!r}") from error
        try:
            if options["into"]:
                restore = actions.restore_into_new_workspace(
                    backup=backup,
                    subdomain=str(options["into"]),
                    requested_by=str(options["operator"]),
                )
            else:
                if backup.workspace.subdomain != options["over"]:
                    raise CommandError(
                        f"backup {backup.pk} belongs to {backup.workspace.subdomain!r}; "
                        "a backup is only ever restored over its own workspace"
                    )
                if not options["yes"]:
                    raise CommandError(
                        f"this replaces every record of {options['over']!r} with the backup "
                        "(a safety backup is made first): add --yes to confirm"
                    )
                restore = actions.restore_over_workspace(
                    backup=backup, requested_by=str(options["operator"]), confirmed=True
                )
        except (BackupRefusedError, ValidationError) as error:
            message = "; ".join(error.messages) if isinstance(error, ValidationError) else error
            raise CommandError(f"restore refused: {message}") from error
        workspace = restore.target_workspace
        result = {
            "backup_id": str(backup.pk),
            "restore_id": str(restore.pk),
            "workspace": workspace.subdomain if workspace else None,
            "schema": workspace.schema_name if workspace else None,
            "safety_backup_id": str(restore.safety_backup_id) if restore.safety_backup_id else None,
            "bytes": backup.bytes,
            "tables": restore.tables,
            "rows": restore.rows,
            "files": restore.files,
            "verified": restore.verified,
            "seconds": round(restore.seconds or 0, 3),
        }
        if options["as_json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(
                f"Restored into {result['workspace']}: {result['rows']} rows, {result['files']} "
                f"files, verified={result['verified']} ({result['seconds']} s)"
            )
