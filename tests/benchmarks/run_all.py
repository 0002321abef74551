"""Run every platform benchmark against a database of its own, and print a summary.

    python tests/benchmarks/run_all.py [--workspaces 1000] [--signups 50] [--keep]

What it does (see README.md here):

1. drops and creates the database `kartoteka_bench` on the server of DATABASE_URL
   (never touching the database DATABASE_URL names) and runs `manage.py release` there;
2. times N signups over HTTP and N by the create_workspace action on the near-empty
   database, and a few workspaces created by running every migration instead of cloning,
   each paired with a clone;
3. creates workspaces through the real action (in parallel processes) until the database
   holds --workspaces of them, printing the rate, in --checkpoints stages with a couple of
   clone/migrations pairs after each, to show how the two grow with the workspace count;
4. times `migrate_schemas --tenant` with nothing to migrate across all of them: the plain
   way (django-tenants' standard and multiprocessing executors, every schema), the
   project's executor (only the schemas behind) and the project's `release`;
5. times N + N signups and the clone/migrations pairs again at that scale;
6. prints a summary table and drops `kartoteka_bench` (unless --keep).

Every measurement runs in a subprocess with DATABASE_URL pointing at the benchmark
database. Figures are printed, never asserted: the exit status is non-zero only when a
step broke (a command failed, a signup did not land in its workspace).

Without DATABASE_URL or REDIS_URL (in the environment or .env) it runs itself under
scripts/services.py, which starts the embedded PostgreSQL and Redis.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.benchmarks import percentile, say  # noqa: E402

BENCH_DATABASE = "kartoteka_bench"
SIGNUP_TARGET_P50 = 1.0
SIGNUP_TARGET_P95 = 2.0
RELEASE_TARGET = 60.0


# ---------------------------------------------------------------- environment and database


def _dotenv(name: str) -> str | None:
    """A KEY=VALUE of .env, which the settings read too (the environment wins)."""
    try:
        lines = (ROOT / ".env").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for raw in lines:
        key, _, value = raw.strip().removeprefix("export ").partition("=")
        if key.strip() == name and value.strip():
            return value.strip().strip("'\"")
    return None


def _configured(name: str) -> str | None:
    return os.environ.get(name) or _dotenv(name)


def _run_under_embedded_services() -> int:
    """Re-run this script under scripts/services.py, which provides what is missing."""
    say("DATABASE_URL or REDIS_URL is not set: starting the embedded services.")
    environment = {**os.environ, "KARTOTEKA_BENCH_UNDER_SERVICES": "1"}
    command = [
        sys.executable,
        str(ROOT / "scripts" / "services.py"),
        "run",
        "--",
        sys.executable,
        str(Path(__file__).resolve()),
        *sys.argv[1:],
    ]
    return subprocess.call(command, env=environment, cwd=ROOT)


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _admin_connection(server_url: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(_with_database(server_url, "postgres"), autocommit=True)


class DatabaseInUseError(RuntimeError):
    """Someone is connected to the benchmark database: probably another benchmark run."""


def recreate_database(server_url: str, database: str, reuse: bool = False) -> str:
    """Drop (if it exists) and create the benchmark database; return the server version.

    With `reuse`, an existing database is kept as it is (a seeded one saves minutes).
    Refuses while sessions are connected to it: a run killed outright leaves none (its
    connections die with it), so a session there is most likely another run in progress.
    """
    from psycopg import sql

    with _admin_connection(server_url) as connection:
        sessions = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database]
        ).fetchone()
        if sessions and sessions[0]:
            raise DatabaseInUseError(
                f"{sessions[0]} sessions are connected to {database}: another benchmark run? "
                "Wait for it, or give this run a database of its own with --database."
            )
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database]
        ).fetchone()
        if not (reuse and exists):
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(database))
            )
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        version = connection.execute("SHOW server_version").fetchone()
    return str(version[0]) if version else "?"


SERVER_SETTINGS = ("fsync", "synchronous_commit", "shared_buffers", "max_locks_per_transaction")


def server_settings(server_url: str) -> str:
    """The PostgreSQL settings that move these figures most, as `name=value` pairs."""
    with _admin_connection(server_url) as connection:
        rows = connection.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s) "
            "ORDER BY name",
            [list(SERVER_SETTINGS)],
        ).fetchall()
    return " ".join(f"{name}={value}" for name, value in rows)


def drop_database(server_url: str, database: str) -> None:
    from psycopg import sql

    with _admin_connection(server_url) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        )


# ---------------------------------------------------------------- steps


class StepFailedError(RuntimeError):
    """A benchmark step's subprocess exited non-zero (not a timing: something broke)."""


class Runner:
    """Runs the steps as subprocesses with the benchmark database's environment."""

    def __init__(self, environment: dict[str, str], workdir: Path):
        self.environment = environment
        self.workdir = workdir
        self.results: dict[str, object] = {}
        self.running: list[subprocess.Popen[bytes]] = []

    def _result_file(self, name: str) -> Path:
        return self.workdir / f"{name}.json"

    def start_module(self, name: str, module: str, *arguments: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", f"tests.benchmarks.{module}", *arguments]
        command += ["--result-file", str(self._result_file(name))]
        process = subprocess.Popen(command, cwd=ROOT, env=self.environment)
        self.running.append(process)
        return process

    def finish(self, name: str, process: subprocess.Popen[bytes]) -> dict[str, object]:
        process.wait()
        self.running.remove(process)
        if process.returncode != 0:
            raise StepFailedError(f"step {name!r} failed with exit status {process.returncode}")
        result = json.loads(self._result_file(name).read_text(encoding="utf-8"))
        self.results[name] = result
        return result

    def module(self, name: str, module: str, *arguments: str) -> dict[str, object]:
        return self.finish(name, self.start_module(name, module, *arguments))

    def manage(self, *arguments: str) -> float:
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "manage.py", *arguments], cwd=ROOT, env=self.environment, check=False
        )
        if completed.returncode != 0:
            raise StepFailedError(f"manage.py {' '.join(arguments)} failed")
        return time.perf_counter() - started

    def stop_all(self) -> None:
        """End the steps still running (after an interrupt), so the database can be dropped."""
        for process in self.running:
            process.terminate()
        for process in self.running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.running.clear()


def populate(runner: Runner, target: int, processes: int, schema_creation: str) -> None:
    """Create workspaces through the real action until `target` customer workspaces exist."""
    existing = _customer_workspaces(runner.environment)
    missing = target - existing
    say(f"\n== Populating: {existing} workspaces exist, creating {max(missing, 0)} more")
    if missing <= 0:
        return
    processes = max(1, min(processes, missing))
    base, extra = divmod(missing, processes)
    shares = [base + (1 if i < extra else 0) for i in range(processes)]
    started = time.perf_counter()
    tag = f"{target}-"
    running = [
        (
            f"populate-{tag}{i}",
            runner.start_module(
                f"populate-{tag}{i}",
                "bench_signup",
                "populate",
                *("--count", str(share), "--prefix", f"p{target}-{i}"),
                *("--schema-creation", schema_creation),
            ),
        )
        for i, share in enumerate(shares)
    ]
    seconds: list[float] = []
    failures: list[str] = []
    for name, process in running:
        result = runner.finish(name, process)
        seconds += result["seconds"]  # type: ignore[arg-type]
        failures += result["failures"]  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    say(
        f"   created {missing} workspaces in {elapsed:.0f} s with {processes} processes "
        f"({schema_creation}): {missing / elapsed:.2f} workspaces/s; each create_workspace "
        f"p50 {percentile(seconds, 0.5):.3f} s (owner without password, so no PBKDF2)"
    )
    if failures:
        say(f"   {len(failures)} attempts failed and were retried; first: {failures[0]}")
    total = runner.results.setdefault(
        "populate",
        {"created": 0, "elapsed": 0.0, "processes": processes, "schema_creation": schema_creation},
    )
    assert isinstance(total, dict)
    total["created"] += missing
    total["elapsed"] += elapsed
    total.setdefault("failures", []).extend(failures)


def _customer_workspaces(environment: dict[str, str]) -> int:
    import psycopg

    with psycopg.connect(environment["DATABASE_URL"]) as connection:
        row = connection.execute(
            "SELECT count(*) FROM public.tenants_workspace WHERE kind = 'customer'"
        ).fetchone()
    return int(row[0]) if row else 0


def _load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "?"


def checkpoints(target: int, stages: int) -> list[int]:
    """Workspace counts at which populating pauses for clone/migrations pairs; ends at target."""
    stages = max(1, stages)
    return sorted({max(1, round(target * stage / stages)) for stage in range(1, stages + 1)})


# ---------------------------------------------------------------- summary


def _verdict(value: float, target: float) -> str:
    return "within target" if value <= target else "OVER target"


def _signup_rows(results: dict[str, object]) -> list[tuple[str, str, str]]:
    rows = []
    for key in ("signups-empty", "signups-scale"):
        result = results.get(key)
        if not isinstance(result, dict):
            continue
        where = f"{result['workspaces_before']} workspaces"
        for kind, label in (("http", "signup POST -> redirect"), ("action", "create_workspace")):
            values = result[kind]
            if not values:
                continue
            p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
            cut = ", time limit hit" if result.get("stopped_early") else ""
            rows.append(
                (
                    f"{label}, {where} (n={len(values)}{cut})",
                    f"p50 {p50:.3f} s   p95 {p95:.3f} s",
                    f"p50<=1s: {_verdict(p50, SIGNUP_TARGET_P50)}; "
                    f"p95<=2s: {_verdict(p95, SIGNUP_TARGET_P95)}",
                )
            )
    return rows


def _billing_rows(results: dict[str, object]) -> list[tuple[str, str, str]]:
    billing = results.get("billing")
    if not isinstance(billing, dict):
        return []
    events = billing["events"]
    p50, p95 = billing["request_p50"] * 1000, billing["request_p95"] * 1000
    return [
        (
            f"Stripe webhook request, {events} signed events",
            f"p50 {p50:.0f} ms, p95 {p95:.0f} ms",
            f"p95<50ms: {_verdict(billing['request_p95'], 0.050)}",
        ),
        (
            f"worker processing all {billing['processed']} events (2 processes)",
            f"{billing['worker_seconds']:.1f} s",
            "incl. worker start-up",
        ),
        (
            "read-only guard per request (middleware / ensure_workspace_writable)",
            f"{billing['middleware_us']:.1f} / {billing['guard_us']:.1f} µs",
            f"<1ms: {_verdict(billing['guard_us'] / 1e6, 0.001)}; "
            f"{billing['guard_queries']} queries",
        ),
    ]


def _scaling_rows(results: dict[str, object]) -> list[tuple[str, str, str]]:
    pairs = [
        value
        for key, value in results.items()
        if key.startswith("full-migration") and isinstance(value, dict) and value["migrated"]
    ]
    rows = []
    for full in sorted(pairs, key=lambda value: value["workspaces_before"]):
        migrated, cloned = percentile(full["migrated"], 0.5), percentile(full["cloned"], 0.5)
        rows.append(
            (
                f"workspace by every migration vs clone, {full['workspaces_before']} workspaces "
                f"(n={len(full['migrated'])})",
                f"{migrated:.3f} s vs {cloned:.3f} s",
                f"migrations take {migrated / cloned:.2f}x the clone",
            )
        )
    return rows


def _migrate_rows(results: dict[str, object]) -> list[tuple[str, str, str]]:
    migrate = results.get("migrate")
    if not isinstance(migrate, dict):
        return []
    rows = []
    count = migrate["workspaces"]
    for executor in ("standard", "multiprocessing"):
        figure = migrate[executor]
        how = (
            f"extrapolated from {figure['sample']} schemas ({figure['measured']:.1f} s)"
            if figure["sample"] < migrate["schemas"]
            else "measured"
        )
        rows.append(
            (
                f"django-tenants' migrate_schemas --executor={executor}, {count} workspaces",
                f"{figure['seconds']:.1f} s",
                how,
            )
        )
    skipping = migrate["skipping"]["seconds"]
    rows.append(
        (
            f"migrate_schemas --tenant (project executor), {count} workspaces",
            f"{skipping:.1f} s",
            f"<60s: {_verdict(skipping, RELEASE_TARGET)}",
        )
    )
    release = migrate["release"]["seconds"]
    rows.append(
        (
            f"manage.py release, nothing to migrate, {count} workspaces",
            f"{release:.1f} s",
            f"<60s: {_verdict(release, RELEASE_TARGET)}",
        )
    )
    rows.append(
        (
            "  of which schemas_behind over every schema",
            f"{migrate['schemas_behind_seconds']:.2f} s",
            "in-process",
        )
    )
    return rows


def _deals_rows(results: dict[str, object]) -> list[tuple[str, str, str]]:
    deals = results.get("deals")
    if not isinstance(deals, dict):
        return []
    rows = []
    seed = deals.get("seed")
    if isinstance(seed, dict):
        rows.append(
            (
                f"seed_crm --deals {seed.get('deals', 0)}",
                f"{seed.get('seconds', 0):.1f} s",
                "",
            )
        )
    for kind in ("selectors", "http"):
        for figure in deals.get(kind) or []:
            rows.append(
                (
                    f"Deals {figure['name']}",
                    f"p50 {figure['p50_ms']:.1f} ms, p95 {figure['p95_ms']:.1f} ms",
                    f"pg p95 {figure['pg_p95_ms']:.1f} ms, {figure['queries']} queries, "
                    f"<=50ms: {_verdict(figure['p95_ms'], 50.0)}",
                )
            )
    return rows


def _crm_rows(results: dict[str, object]) -> list[tuple[str, str, str]]:
    crm = results.get("crm")
    if not isinstance(crm, dict):
        return []
    rows = []
    seed = crm.get("seed")
    if isinstance(seed, dict):
        rows.append(
            (
                f"seed_crm: {seed.get('contacts', 0)} contacts, {seed.get('companies', 0)} "
                "companies",
                f"{seed.get('seconds', 0):.0f} s",
                f"<120s: {_verdict(float(seed.get('seconds', 0)), 120.0)}",
            )
        )
    for kind in ("selectors", "http"):
        for figure in crm.get(kind) or []:
            rows.append(
                (
                    f"CRM {figure['name']}",
                    f"p50 {figure['p50_ms']:.1f} ms, p95 {figure['p95_ms']:.1f} ms",
                    f"pg p95 {figure['pg_p95_ms']:.1f} ms, {figure['queries']} queries, "
                    f"<=50ms: {_verdict(figure['p95_ms'], 50.0)}",
                )
            )
    return rows


def _timeline_rows(results: dict[str, object]) -> list[tuple[str, str, str]]:
    timeline = results.get("timeline")
    if not isinstance(timeline, dict):
        return []
    rows = []
    seeded = (timeline.get("seed") or {}).get("activities")
    if isinstance(seeded, dict):
        rows.append(
            (
                f"seed_crm --activities: {seeded.get('activities', 0)} entries",
                f"{seeded.get('seconds', 0):.0f} s",
                f"<150s: {_verdict(float(seeded.get('seconds', 0)), 150.0)}",
            )
        )
    for kind in ("selectors", "http"):
        for figure in timeline.get(kind) or []:
            rows.append(
                (
                    figure["name"],
                    f"p50 {figure['p50_ms']:.1f} ms, p95 {figure['p95_ms']:.1f} ms",
                    f"pg p95 {figure['pg_p95_ms']:.1f} ms, {figure['queries']} queries, "
                    f"<=50ms: {_verdict(figure['p95_ms'], 50.0)}",
                )
            )
    return rows


def _task_rows(results: dict[str, object]) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    mine = results.get("tasks")
    if isinstance(mine, dict):
        for key in ("selector", "page"):
            figure = mine.get(key)
            if isinstance(figure, dict):
                rows.append(
                    (
                        f"tasks: {figure['name']}",
                        f"p50 {figure['p50_ms']} ms, p95 {figure['p95_ms']} ms, "
                        f"pg p95 {figure['pg_p95_ms']} ms, {figure['queries']} queries",
                        "target p95 <= 50 ms",
                    )
                )
    sweep = results.get("task-sweep")
    if isinstance(sweep, dict) and sweep:
        rows.append(
            (
                f"due-task beat cycle, {sweep['workspaces']} workspaces, hinted",
                f"{sweep['hinted_cycle_ms']} ms ({sweep['due_workspaces']} due; choosing "
                f"{sweep['hinted_choose_ms']} ms, idle {sweep['idle_choose_ms']} ms)",
                "every minute",
            )
        )
        rows.append(
            (
                f"due-task sweep in every workspace ({sweep['workspaces']})",
                f"{sweep['plain_cycle_ms'] / 1000:.1f} s worker time, "
                f"p95 {sweep['plain_p95_ms']} ms each",
                "hourly safety net",
            )
        )
    return rows


def _export_rows(results: dict[str, object]) -> list[tuple[str, str, str]]:
    export = results.get("export")
    if not isinstance(export, dict):
        return []
    rows = []
    copy = export.get("bare_copy")
    for file_format in ("csv", "xlsx"):
        figure = export.get(file_format)
        if not isinstance(figure, dict):
            continue
        ratio = (
            f", {figure['seconds'] / copy['seconds']:.0f}x bare COPY {copy['seconds']:.2f} s"
            if isinstance(copy, dict) and copy.get("seconds")
            else ""
        )
        rows.append(
            (
                f"export {figure['rows']} contacts to {file_format.upper()}",
                f"{figure['seconds']:.1f} s ({figure.get('cpu_seconds', 0):.1f} s CPU), "
                f"peak RSS {figure['peak_rss_mib']} MiB",
                f"<{figure['target_seconds']:.0f}s: "
                f"{_verdict(float(figure['seconds']), float(figure['target_seconds']))}{ratio}",
            )
        )
    return rows


def _import_rows(results: dict[str, object]) -> list[tuple[str, str, str]]:
    figures = results.get("import")
    if not isinstance(figures, dict):
        return []
    seconds = float(figures["seconds"])
    return [
        (
            f"import: {figures['rows']} rows cp1251 CSV, 20 columns, half updates",
            f"{seconds:.1f} s, {float(figures['rows_per_second']):.0f} rows/s",
            f"<={float(figures['target_seconds']):.0f}s: "
            f"{_verdict(seconds, float(figures['target_seconds']))}, "
            f"{seconds / float(figures['bare_copy_seconds'] or 1):.0f}x a bare COPY "
            f"({float(figures['bare_copy_seconds']):.2f} s)",
        ),
        (
            "import: worker peak memory",
            f"{float(figures['peak_mb_import']):.0f} MB",
            f"<=400MB: {_verdict(float(figures['peak_mb_import']), 400.0)}",
        ),
        ("import: undo", f"{float(figures['undo_seconds']):.1f} s", "informative"),
    ]


def run_backup_benchmark(runner: Runner, arguments: argparse.Namespace) -> None:
    say("\n== Backup and restore of a seeded workspace, beside pg_dump / pg_restore")
    runner.module(
        "backup",
        "bench_backup",
        *("--contacts", str(arguments.backup_contacts)),
        *("--companies", str(arguments.backup_companies)),
    )


BACKUP_TARGET = 30.0
RESTORE_TARGET = 60.0


def _backup_rows(results: dict[str, object]) -> list[tuple[str, str, str]]:
    backup = results.get("backup")
    if not isinstance(backup, dict):
        return []
    seeded = backup.get("seeded") or {}
    what = ", ".join(
        f"{value} {key}"
        for key, value in (seeded.items() if isinstance(seeded, dict) else [])
        if isinstance(value, int) and key != "seconds"
    )
    rows = [
        (
            f"backup of a seeded workspace ({what or 'empty'}; {backup['rows']} rows)",
            f"{backup['backup_seconds']:.1f} s, {int(backup['backup_bytes']) / 1e6:.1f} MB",
            f"<=30s: {_verdict(float(backup['backup_seconds']), BACKUP_TARGET)}",
        ),
        (
            "restore into a new workspace, with verification",
            f"{backup['restore_seconds']:.1f} s, verified={backup['verified']}",
            f"<=60s: {_verdict(float(backup['restore_seconds']), RESTORE_TARGET)}",
        ),
    ]
    if "pg_dump_seconds" in backup:
        rows.append(
            (
                "  plain pg_dump -Fc -n SCHEMA / pg_restore of the same schema",
                f"{backup['pg_dump_seconds']:.1f} s, {int(backup['pg_dump_bytes']) / 1e6:.1f} MB"
                f" / {backup['pg_restore_seconds']:.1f} s",
                "for comparison",
            )
        )
    else:
        rows.append(("  plain pg_dump / pg_restore", "skipped", "no matching pg_dump"))
    return rows


def print_summary(results: dict[str, object], conditions: list[str]) -> None:
    rows = (
        _signup_rows(results)
        + _billing_rows(results)
        + _scaling_rows(results)
        + _crm_rows(results)
        + _deals_rows(results)
        + _timeline_rows(results)
        + _task_rows(results)
        + _import_rows(results)
        + _export_rows(results)
        + _backup_rows(results)
    )
    populated = results.get("populate")
    if isinstance(populated, dict) and populated["created"]:
        rate = populated["created"] / populated["elapsed"]
        rows.append(
            (
                f"populating: {populated['created']} workspaces, {populated['processes']} "
                f"processes, {populated['schema_creation']}",
                f"{populated['elapsed']:.0f} s, {rate:.2f}/s",
                "setup, not a target",
            )
        )
    rows += _migrate_rows(results)

    say("\n" + "=" * 30 + " Summary " + "=" * 30)
    for line in conditions:
        say(line)
    if not rows:
        say("no figures")
        return
    say("")
    header = ("figure", "value", "note")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    say("  ".join(text.ljust(width) for text, width in zip(header, widths, strict=True)))
    say("  ".join("-" * width for width in widths))
    for row in rows:
        say("  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)))
    say("Timings are informative; nothing here fails on a figure.")


# ---------------------------------------------------------------- main


# Each --X-only flag runs that benchmark alone (several may be given together).
ONLY_FLAGS = {
    "crm_only": "crm",
    "only_billing": "billing",
    "deals_only": "deals",
    "timeline_only": "timeline",
    "tasks_only": "tasks",
    "import_only": "import",
    "export_only": "export",
    "backup_only": "backup",
}


def _only_benchmarks(arguments: argparse.Namespace) -> set[str]:
    return {name for flag, name in ONLY_FLAGS.items() if getattr(arguments, flag, False)}


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--workspaces",
        type=int,
        default=1000,
        help="workspaces the database holds for the at-scale figures (1000)",
    )
    parser.add_argument(
        "--signups",
        type=int,
        default=50,
        help="signups per kind (HTTP, action) in each measurement (50)",
    )
    parser.add_argument(
        "--signup-time-limit",
        type=float,
        default=600.0,
        help="seconds after which a signup measurement stops and reports what it has (600)",
    )
    parser.add_argument(
        "--full-migration-samples",
        type=int,
        default=3,
        help="workspaces created by running every migration, each paired with a clone, "
        "near-empty and at scale (3; 2 at the intermediate checkpoints)",
    )
    parser.add_argument(
        "--checkpoints",
        type=int,
        default=4,
        help="stages of populating, with clone/migrations pairs between them (4)",
    )
    parser.add_argument(
        "--populate-with",
        choices=["clone", "migrations"],
        default="clone",
        help="how populating creates the schemas: the project's clone of the template, "
        "or running every migration (clone)",
    )
    parser.add_argument(
        "--processes", type=int, default=2, help="processes that create the workspaces (2)"
    )
    parser.add_argument(
        "--migrate-sample",
        type=int,
        default=0,
        help="time plain migrate_schemas on this many schemas and extrapolate linearly "
        "(0: all of them)",
    )
    parser.add_argument(
        "--database",
        default=BENCH_DATABASE,
        help=f"benchmark database, dropped and created ({BENCH_DATABASE})",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the benchmark database afterwards"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use the benchmark database as a kept run left it (created if missing) instead "
        "of dropping it, and keep it afterwards: the seeding steps only add what is missing",
    )
    parser.add_argument(
        "--crm-contacts",
        type=int,
        default=100_000,
        help="contacts seeded for the client-base benchmark (100000; 0 skips it)",
    )
    parser.add_argument(
        "--crm-companies", type=int, default=20_000, help="companies seeded with them (20000)"
    )
    parser.add_argument(
        "--crm-runs", type=int, default=200, help="runs per client-base scenario (200)"
    )
    parser.add_argument(
        "--crm-only",
        action="store_true",
        help="only the client-base benchmark (skips signups, populating, migrations)",
    )
    parser.add_argument(
        "--deals",
        type=int,
        default=50_000,
        help="deals seeded for the deals benchmark (50000; 0 skips it)",
    )
    parser.add_argument("--deals-runs", type=int, default=200, help="runs per deals scenario (200)")
    parser.add_argument(
        "--deals-only",
        action="store_true",
        help="only the deals benchmark: board, deal list by manager, forecast (bench_deals)",
    )
    parser.add_argument(
        "--timeline-activities",
        type=int,
        default=1_000_000,
        help="timeline entries seeded for the timeline benchmark (1000000; 0 skips it)",
    )
    parser.add_argument(
        "--timeline-runs", type=int, default=200, help="runs per timeline scenario (200)"
    )
    parser.add_argument(
        "--timeline-only",
        action="store_true",
        help="only the timeline benchmark (seeds --crm-contacts/--crm-companies clients and "
        "--timeline-activities entries, then the contact card with its timeline)",
    )
    parser.add_argument(
        "--tasks-only",
        action="store_true",
        help="only the tasks benchmark: 'my tasks' on a seeded workspace, then the due-task "
        "sweep over --sweep-workspaces workspaces (made by cloning the template)",
    )
    parser.add_argument(
        "--task-contacts", type=int, default=100_000, help="contacts of the tasks workspace"
    )
    parser.add_argument(
        "--task-companies", type=int, default=20_000, help="companies of the tasks workspace"
    )
    parser.add_argument(
        "--task-count", type=int, default=50_000, help="tasks seeded (50000; 0 skips 'my tasks')"
    )
    parser.add_argument("--task-runs", type=int, default=200, help="runs of 'my tasks' (200)")
    parser.add_argument(
        "--sweep-workspaces",
        type=int,
        default=1000,
        help="workspaces the due-task sweep runs over with --tasks-only (1000; 0 skips it)",
    )
    parser.add_argument(
        "--import-rows",
        type=int,
        default=100_000,
        help="rows of the import benchmark's cp1251 CSV (100000; 1000000 for scale; 0 skips it)",
    )
    parser.add_argument(
        "--import-only",
        action="store_true",
        help="only the import benchmark (bench_import: upload to summary vs a bare COPY)",
    )
    parser.add_argument(
        "--billing-events",
        type=int,
        default=1000,
        help="signed Stripe webhook events posted by bench_billing (1000; 0 skips it)",
    )
    parser.add_argument(
        "--only-billing",
        action="store_true",
        help="run only the billing benchmark (webhooks, worker, read-only guard)",
    )
    parser.add_argument(
        "--import-reading-only",
        action="store_true",
        help="only the import file reading benchmark (no database; bench_import_reading)",
    )
    parser.add_argument(
        "--import-reading-rows", type=int, default=100_000, help="rows of its files (100000)"
    )
    parser.add_argument(
        "--export-contacts",
        type=int,
        default=100_000,
        help="contacts exported to CSV and XLSX by bench_export (100000; 0 skips it)",
    )
    parser.add_argument(
        "--export-only",
        action="store_true",
        help="run only the export benchmark (CSV and XLSX of --export-contacts contacts)",
    )
    parser.add_argument(
        "--backup",
        action="store_true",
        help="also run the backup benchmark (bench_backup) after the others",
    )
    parser.add_argument(
        "--backup-only",
        action="store_true",
        help="run only the backup benchmark: backup and restore of a seeded workspace beside "
        "plain pg_dump / pg_restore",
    )
    parser.add_argument(
        "--backup-contacts",
        type=int,
        default=100_000,
        help="contacts seeded for the backup benchmark (100000)",
    )
    parser.add_argument(
        "--backup-companies",
        type=int,
        default=20_000,
        help="companies seeded for the backup benchmark (20000)",
    )
    parser.add_argument("--json", help="also write every figure to this JSON file")
    arguments = parser.parse_args(argv)
    if "bench" not in arguments.database:
        parser.error("the benchmark database is dropped: its name must contain 'bench'")
    return arguments


def _raise_system_exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    arguments.keep = arguments.keep or arguments.reuse
    server_url = _configured("DATABASE_URL")
    redis_url = _configured("REDIS_URL")
    if not (server_url and redis_url):
        if os.environ.get("KARTOTEKA_BENCH_UNDER_SERVICES"):
            say("scripts/services.py did not provide DATABASE_URL and REDIS_URL")
            return 2
        return _run_under_embedded_services()

    if arguments.import_reading_only:
        # Reads files only: no benchmark database is created.
        say("\n== Import: reading a cp1251 CSV and an XLSX (bench_import_reading)")
        return subprocess.call(
            [sys.executable, "-m", "tests.benchmarks.bench_import_reading",
             "--rows", str(arguments.import_reading_rows)],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": server_url, "REDIS_URL": redis_url},
        )  # fmt: skip

    # `kill` (SIGTERM) and a closed terminal clean up like Ctrl-C does.
    signal.signal(signal.SIGTERM, _raise_system_exit)
    signal.signal(signal.SIGHUP, _raise_system_exit)
    started = time.perf_counter()
    bench_url = _with_database(server_url, arguments.database)
    try:
        server_version = recreate_database(server_url, arguments.database, arguments.reuse)
    except DatabaseInUseError as error:
        say(str(error))
        return 2
    host = urlsplit(server_url).hostname
    say(f"Benchmark database {arguments.database} on {host} (PostgreSQL {server_version})")
    conditions = [
        f"machine: {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, PostgreSQL {server_version} on {host}",
        f"server settings: {server_settings(server_url)}",
        f"load average at start: {_load_average()} (other work on the machine shows here)",
    ]

    workdir = Path(tempfile.mkdtemp(prefix="kartoteka-bench-"))
    environment = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "saas_platform.settings",
        "CACHE_KEY_PREFIX": f"kartoteka-bench-{os.getpid()}",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "MEDIA_ROOT": str(workdir / "media"),
        "BACKUP_ROOT": str(workdir / "backups"),
        "BACKUP_STAGING_DIR": str(workdir / "staging"),
        "SENTRY_DSN": "",
        "LOG_LEVEL": "WARNING",
        # WhiteNoise warns of a missing STATIC_ROOT; no static file is served here.
        "PYTHONWARNINGS": "ignore:No directory at",
    }
    runner = Runner(environment, workdir)

    def signups(name: str, label: str) -> None:
        runner.module(
            name,
            "bench_signup",
            "signups",
            *("--count", str(arguments.signups), "--label", label),
            *("--time-limit", str(arguments.signup_time_limit)),
        )

    def full_migration(name: str, label: str, count: int) -> None:
        if count > 0:
            runner.module(
                name, "bench_signup", "full-migration", "--label", label, "--count", str(count)
            )

    status = 0
    try:
        say("\n== Release (migrates public, creates or updates the template)")
        say(f"   python manage.py release: {runner.manage('release', '-v0'):.1f} s")
        only = _only_benchmarks(arguments)

        def wanted(name: str) -> bool:
            return not only or name in only

        if wanted("import") and arguments.import_rows > 0:
            say("\n== Import: a cp1251 CSV from upload to summary, then undo (bench_import)")
            runner.module("import", "bench_import", "--rows", str(arguments.import_rows))
        if wanted("export") and arguments.export_contacts > 0:
            say("\n== Export: contacts with custom fields to CSV and XLSX (bench_export)")
            runner.module("export", "bench_export", "--contacts", str(arguments.export_contacts))
        if "backup" in only:
            run_backup_benchmark(runner, arguments)
        if wanted("crm") and arguments.crm_contacts > 0:
            say("\n== Client base: seed_crm, then lists, search, card and API list (bench_crm)")
            runner.module(
                "crm",
                "bench_crm",
                *("--contacts", str(arguments.crm_contacts)),
                *("--companies", str(arguments.crm_companies)),
                *("--runs", str(arguments.crm_runs)),
            )
        if wanted("deals") and arguments.deals > 0 and arguments.crm_contacts > 0:
            say("\n== Deals: seed_crm --deals, then board, list by manager, forecast (bench_deals)")
            runner.module(
                "deals",
                "bench_deals",
                *("--contacts", str(arguments.crm_contacts)),
                *("--companies", str(arguments.crm_companies)),
                *("--deals", str(arguments.deals)),
                *("--runs", str(arguments.deals_runs)),
            )
        if wanted("timeline") and arguments.timeline_activities > 0:
            say("\n== Timeline: seed_crm --activities, then the contact card with its timeline")
            runner.module(
                "timeline",
                "bench_timeline",
                *("--contacts", str(arguments.crm_contacts)),
                *("--companies", str(arguments.crm_companies)),
                *("--activities", str(arguments.timeline_activities)),
                *("--runs", str(arguments.timeline_runs)),
            )
        if wanted("tasks") and arguments.task_count > 0:
            say("\n== Tasks: seed_crm --tasks, then 'my tasks' (bench_tasks)")
            runner.module(
                "tasks",
                "bench_tasks",
                "my-tasks",
                *("--contacts", str(arguments.task_contacts)),
                *("--companies", str(arguments.task_companies)),
                *("--tasks", str(arguments.task_count)),
                *("--runs", str(arguments.task_runs)),
            )
        if "tasks" in only and arguments.sweep_workspaces > 0:
            populate(
                runner, arguments.sweep_workspaces, arguments.processes, arguments.populate_with
            )
            say("\n== Due-task sweep over every workspace (bench_tasks sweep)")
            runner.module("task-sweep", "bench_tasks", "sweep")
        if wanted("billing") and arguments.billing_events > 0:
            runner.module("billing", "bench_billing", "--events", str(arguments.billing_events))
        only_one_benchmark = bool(only)
        stages: list[int] = []
        if not only_one_benchmark:
            signups("signups-empty", "near-empty database")
            full_migration("full-migration-empty", "near-empty", arguments.full_migration_samples)
            stages = checkpoints(arguments.workspaces, arguments.checkpoints)
        for target in stages:
            populate(runner, target, arguments.processes, arguments.populate_with)
            if target != stages[-1]:
                full_migration(
                    f"full-migration-{target}",
                    f"checkpoint {target}",
                    min(2, arguments.full_migration_samples),
                )
        if not only_one_benchmark:
            runner.module("migrate", "bench_migrate", "--sample", str(arguments.migrate_sample))
            workspaces = _customer_workspaces(environment)
            signups("signups-scale", f"with {workspaces} workspaces")
            full_migration(
                "full-migration-scale", f"with {workspaces}", arguments.full_migration_samples
            )
            say("\n== Due-task sweep over every workspace (bench_tasks sweep)")
            runner.module("task-sweep", "bench_tasks", "sweep")
            if arguments.backup:
                run_backup_benchmark(runner, arguments)
    except StepFailedError as error:
        say(f"\nBENCHMARK STEP FAILED: {error}")
        status = 1
    except (KeyboardInterrupt, SystemExit):
        say("\nInterrupted: stopping the steps and cleaning up.")
        status = 130
    finally:
        runner.stop_all()
        conditions.append(f"load average at end: {_load_average()}")
        conditions.append(
            f"run: --workspaces {arguments.workspaces} --signups {arguments.signups}, "
            f"{(time.perf_counter() - started) / 60:.1f} min in all"
        )
        print_summary(runner.results, conditions)
        for key in ("signups-empty", "signups-scale"):
            result = runner.results.get(key)
            if isinstance(result, dict) and result["failures"]:
                say(f"{key}: {len(result['failures'])} signups FAILED (see above)")
                status = status or 1
        if arguments.json:
            Path(arguments.json).write_text(
                json.dumps({"conditions": conditions, **runner.results}, indent=1),
                encoding="utf-8",
            )
        if arguments.keep:
            say(f"\nKept the database {arguments.database}: DATABASE_URL={bench_url}")
        else:
            drop_database(server_url, arguments.database)
            say(f"\nDropped the benchmark database {arguments.database}.")
        shutil.rmtree(workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
