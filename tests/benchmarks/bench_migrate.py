"""`migrate_schemas` with nothing to migrate across every workspace, and the project's `release`.

Run by run_all.py in a subprocess whose DATABASE_URL points at the benchmark database.
By hand, with such a DATABASE_URL and a released, populated database:

    python -m tests.benchmarks.bench_migrate [--sample 200]

Each command is timed as an operator runs it: `python manage.py ...` in a subprocess,
wall clock from start to exit, Python start-up included.

- the plain way, django-tenants' own executors, which run Django's `migrate` in every
  schema (settings_every_schema.py): `migrate_schemas --tenant` with the standard
  executor (one schema after another) and with `--executor=multiprocessing` (a pool of
  TENANT_MULTIPROCESSING_MAX_PROCESSES, i.e. MIGRATION_PROCESSES, default 2);
- `migrate_schemas --tenant` as the project configures it (tenants.migration_executors:
  only the schemas that tenants.migration_status.schemas_behind finds behind; none here);
- `release`: public schema, platform rows, template, then the workspaces behind.

With --sample N (fewer than the schemas there are), the two plain runs migrate only the
first N schemas, in this process, through django-tenants' own executor with the options
`manage.py migrate_schemas --tenant` parses, and the figure is extrapolated linearly to
every schema; the output says so.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from tests.benchmarks import ROOT, say, setup_django, write_result

EXECUTORS = ("standard", "multiprocessing")


def _manage(*arguments: str, settings_module: str | None = None) -> tuple[float, str]:
    """Run `python manage.py ...` like an operator; (wall seconds, its output)."""
    environment = os.environ.copy()
    if settings_module:
        environment["DJANGO_SETTINGS_MODULE"] = settings_module
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{output[-4000:]}")
    return seconds, output


def _tenant_schemas() -> list[str]:
    """What `migrate_schemas --tenant` walks: every workspace row but the public one."""
    from django.conf import settings

    from tenants.models import Workspace

    return list(
        Workspace.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
        .order_by("pk")
        .values_list("schema_name", flat=True)
    )


def _migrate_sample_in_process(executor: str, schemas: list[str]) -> float:
    """django-tenants' executor over `schemas`, with the options the real command parses."""
    from django.db import connection

    from tenants.migration_executors import migrate_exactly

    connection.set_schema_to_public()
    started = time.perf_counter()
    migrate_exactly(schemas, codename=executor, verbosity=0)
    seconds = time.perf_counter() - started
    connection.set_schema_to_public()
    return seconds


def run(sample: int) -> dict[str, object]:
    from django.conf import settings

    from tenants.migration_status import schemas_behind, tenant_migrations_on_disk
    from tenants.models import Workspace

    schemas = _tenant_schemas()
    customers = Workspace.objects.filter(kind=Workspace.Kind.CUSTOMER).count()
    processes = getattr(settings, "TENANT_MULTIPROCESSING_MAX_PROCESSES", 2)
    say(
        f"\n== migrate_schemas with nothing to migrate: {customers} workspaces "
        f"({len(schemas)} tenant schemas with the template)"
    )
    started = time.perf_counter()
    behind = schemas_behind(schemas)
    behind_seconds = time.perf_counter() - started
    say(
        f"   schemas_behind over {len(schemas)} schemas: {len(behind)} behind, "
        f"{behind_seconds:.3f} s in-process ({len(tenant_migrations_on_disk())} tenant "
        "migrations on disk)"
    )
    result: dict[str, object] = {
        "workspaces": customers,
        "schemas": len(schemas),
        "behind": len(behind),
        "schemas_behind_seconds": behind_seconds,
        "processes": processes,
    }

    for executor in EXECUTORS:
        label = f"migrate_schemas --tenant --executor={executor}, django-tenants' own"
        if 0 < sample < len(schemas):
            measured = _migrate_sample_in_process(executor, schemas[:sample])
            seconds = measured * len(schemas) / sample
            say(
                f"   {label}: {measured:.1f} s for a sample of {sample} schemas "
                f"-> {seconds:.1f} s extrapolated linearly to {len(schemas)}"
            )
            result[executor] = {"seconds": seconds, "measured": measured, "sample": sample}
        else:
            seconds, _output = _manage(
                "migrate_schemas",
                "--tenant",
                f"--executor={executor}",
                "--noinput",
                "-v0",
                settings_module="tests.benchmarks.settings_every_schema",
            )
            say(f"   python manage.py {label}: {seconds:.1f} s ({len(schemas)} schemas)")
            result[executor] = {"seconds": seconds, "measured": seconds, "sample": len(schemas)}
        per_schema = result[executor]["seconds"] / len(schemas)  # type: ignore[index]
        say(f"      {per_schema * 1000:.0f} ms per schema")

    seconds, output = _manage("migrate_schemas", "--tenant", "--noinput")
    say(
        f"   python manage.py migrate_schemas --tenant, the project's executor: {seconds:.1f} s"
        f"  ({output.strip().splitlines()[-1] if output.strip() else ''})"
    )
    result["skipping"] = {"seconds": seconds}

    seconds, output = _manage("release", "-v0")
    summaries = [line for line in output.splitlines() if line.startswith("release:")]
    summary = summaries[-1] if summaries else ""
    say(f"   python manage.py release: {seconds:.1f} s  ({summary or output[-300:]})")
    result["release"] = {"seconds": seconds, "summary": summary}
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--sample",
        type=int,
        default=0,
        help="time plain migrate_schemas on this many schemas and extrapolate (0: all)",
    )
    parser.add_argument("--result-file", help="write the figures here as JSON")
    args = parser.parse_args(argv)
    setup_django()
    write_result(args.result_file, run(args.sample))


if __name__ == "__main__":
    main()
