"""Import a file into a workspace from the command line, with the wizard's engine."""

import json
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context

from crm.errors import CrmValidationError
from tenants.models import Workspace


class Command(BaseCommand):
    help = (
        "Import contacts or companies from a CSV/XLSX/XLS file, in this process, with the "
        "same engine as the wizard (check, duplicates, chunked writes, undo data). "
        "Prints one JSON object with --json."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The file to import.")
        parser.add_argument("--workspace", required=True, help="The workspace's subdomain.")
        parser.add_argument("--entity", required=True, choices=["contacts", "companies"])
        parser.add_argument(
            "--mapping",
            default="auto",
            help="'auto' (match columns by header) or a saved mapping's name.",
        )
        parser.add_argument(
            "--on-duplicate", default="update", choices=["update", "skip", "create"]
        )
        parser.add_argument(
            "--as", dest="as_email", default="", help="Import as this member (default: the owner)."
        )
        parser.add_argument("--encoding", default=None)
        parser.add_argument("--delimiter", default=None)
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(
            subdomain=options["workspace"], kind=Workspace.Kind.CUSTOMER
        ).first()
        if workspace is None:
            raise CommandError(f"No workspace with the subdomain {options['workspace']!r}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {str(path)!r}.")
        with tenant_context(workspace):
            try:
                result = self._import(workspace, path, options)
            except CrmValidationError as error:
                raise CommandError(
                    "; ".join(m for messages in error.field_errors.values() for m in messages)
                ) from error
            except PermissionDenied as error:
                raise CommandError(str(error)) from error
            except Exception as error:
                from onboarding.importing.reading import ImportFileError

                if isinstance(error, ImportFileError):
                    raise CommandError(str(error.message)) from error
                raise
        if options["as_json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key}: {value}")

    def _import(self, workspace: Workspace, path: Path, options: dict[str, Any]) -> dict[str, Any]:
        from onboarding.importing import actions, engine
        from onboarding.importing.models import ImportStatus, SavedMapping
        from tenants.members.models import Role, User

        if options["as_email"]:
            user = User.objects.filter(email__iexact=options["as_email"], is_active=True).first()
        else:
            user = User.objects.filter(role=Role.OWNER, is_active=True).order_by("pk").first()
        if user is None:
            raise CommandError("No such active member to import as.")
        started = time.monotonic()
        with path.open("rb") as handle:
            job = actions.upload_import(
                user,
                entity=options["entity"],
                uploaded_file=File(handle, name=path.name),
                encoding=options["encoding"],
                delimiter=options["delimiter"],
            )
        if options["mapping"] == "auto":
            mapping = {int(k): v for k, v in (job.mapping or {}).items()}
            job = actions.set_import_mapping(user, job, mapping=mapping)
        else:
            saved = SavedMapping.objects.filter(
                entity=job.entity, name__iexact=options["mapping"]
            ).first()
            if saved is None:
                raise CommandError(f"No saved mapping {options['mapping']!r}.")
            job = actions.apply_saved_mapping(user, job, saved)
        job = actions.set_import_options(
            user, job, on_duplicate=options["on_duplicate"], only_valid=True
        )
        job.status = ImportStatus.CHECKING
        job.save(update_fields=["status"])
        job = actions.run_check(job.pk)
        check_seconds = time.monotonic() - started
        if job.status == ImportStatus.CHECKED and (job.check_summary or {}).get("valid"):
            job.status = ImportStatus.QUEUED
            job.save(update_fields=["status"])
            job = engine.run_import(job.pk)
        summary = job.check_summary or {}
        return {
            "job": str(job.uuid),
            "status": job.status,
            "rows": summary.get("rows", job.rows_done),
            "created": job.created_count,
            "updated": job.updated_count,
            "skipped": job.skipped_count,
            "failed": summary.get("invalid", job.failed_count),
            "duplicates": summary.get("duplicates", {}),
            "errors": summary.get("errors", [])[:20],
            "check_seconds": round(check_seconds, 3),
            "seconds": round(time.monotonic() - started, 3),
        }
