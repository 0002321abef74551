"""The release step: public schema, platform rows, template, then every workspace."""

import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tenants.actions import ensure_platform_rows
from tenants.migration_executors import migrate_exactly
from tenants.migration_status import schemas_behind
from tenants.models import Workspace

# Below this many schemas to migrate, one at a time is faster than starting a pool.
PARALLEL_FROM = 8


class Command(BaseCommand):
    help = (
        "Migrate the public schema, create the public site and template rows if missing, "
        "migrate the template, then every workspace that is behind (in parallel)."
    )

    def handle(self, *args: object, **options: object) -> None:
        started = time.perf_counter()
        verbosity = int(options.get("verbosity", 1))  # type: ignore[call-overload]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        ensure_platform_rows()
        # The template first: signups during the release clone an up-to-date schema.
        call_command(
            "migrate_schemas",
            schema_name=settings.TENANT_BASE_SCHEMA,
            interactive=False,
            verbosity=verbosity,
        )
        workspaces = list(
            Workspace.objects.filter(kind=Workspace.Kind.CUSTOMER).values_list(
                "schema_name", flat=True
            )
        )
        behind = schemas_behind(workspaces)
        if behind:
            migrate_exactly(
                behind,
                codename="multiprocessing" if len(behind) >= PARALLEL_FROM else "standard",
                verbosity=verbosity,
            )
        self.stdout.write(
            f"release: {len(workspaces)} workspaces, {len(behind)} migrated, "
            f"{time.perf_counter() - started:.1f}s"
        )
