"""Run every platform benchmark against a database of its own, and print a summary.

    python tests/benchmarks/run_all.py [--workspaces 1000] [--signups 50] [--keep]

What it does (see README.md here):

1. drops and creates the database `kartoteka_bench` on the server of DATABASE_URL
   (never touching the database DATABASE_URL names) and runs `manage.py release` there;
2. times N signups over HTTP and N by the create_workspace action on the near-empty
   database, and a few workspaces created by running every migration instead of cloning;
3. creates workspaces through the real action (in parallel processes) until the database
   holds --workspaces of them, printing the rate;
4. times `migrate_schemas --tenant` (standard and multiprocessing executors) and the
   project's `release` with nothing to migrate across all of them;
5. times N + N signups again at that scale;
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


def recreate_database(server_url: str, database: str) -> str:
    """Drop (if it exists) and create the benchmark database; return the server version.

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
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(database)))
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

    def _result_file(self, name: str) -> Path:
        return self.workdir / f"{name}.json"

    def start_module(self, name: str, module: str, *arguments: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", f"tests.benchmarks.{module}", *arguments]
        command += ["--result-file", str(self._result_file(name))]
        return subprocess.Popen(command, cwd=ROOT, env=self.environment)

    def finish(self, name: str, process: subprocess.Popen[bytes]) -> dict[str, object]:
        if process.wait() != 0:
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


def populate(runner: Runner, target: int, processes: int) -> dict[str, object]:
    """Create workspaces through the real action until `target` customer workspaces exist."""
    existing = _customer_workspaces(runner.environment)
    missing = target - existing
    say(f"\n== Populating: {existing} workspaces exist, creating {max(missing, 0)} more")
    if missing <= 0:
        return {"created": 0, "elapsed": 0.0, "rate": 0.0, "processes": 0}
    processes = max(1, min(processes, missing))
    base, extra = divmod(missing, processes)
    shares = [base + (1 if i < extra else 0) for i in range(processes)]
    started = time.perf_counter()
    running = [
        (
            f"populate-{i}",
            runner.start_module(
                f"populate-{i}",
                "bench_signup",
                "populate",
                "--count",
                str(share),
                "--prefix",
                f"p{i}",
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
    rate = missing / elapsed
    say(
        f"   created {missing} workspaces in {elapsed:.0f} s with {processes} processes: "
        f"{rate:.2f} workspaces/s overall; each create_workspace p50 "
        f"{percentile(seconds, 0.5):.3f} s (owner without password, so no PBKDF2)"
    )
    if failures:
        say(f"   {len(failures)} attempts failed and were retried; first: {failures[0]}")
    summary = {
        "created": missing,
        "elapsed": elapsed,
        "rate": rate,
        "processes": processes,
        "p50": percentile(seconds, 0.5),
        "failures": failures,
    }
    runner.results["populate"] = summary
    return summary


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


# ---------------------------------------------------------------- summary


def _verdict(value: float, target: float) -> str:
    return "within target" if value <= target else "OVER target"


def print_summary(results: dict[str, object], conditions: list[str]) -> None:
    rows: list[tuple[str, str, str]] = []

    for key, where in (("signups-empty", "near-empty database"), ("signups-scale", "")):
        result = results.get(key)
        if not isinstance(result, dict):
            continue
        where = where or f"with {result['workspaces_before']} workspaces"
        for kind, label in (("http", "signup POST -> redirect"), ("action", "create_workspace")):
            values = result[kind]
            if not values:
                continue
            p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
            rows.append(
                (
                    f"{label}, {where} (n={len(values)})",
                    f"p50 {p50:.3f} s   p95 {p95:.3f} s",
                    f"p50<=1s: {_verdict(p50, SIGNUP_TARGET_P50)}; "
                    f"p95<=2s: {_verdict(p95, SIGNUP_TARGET_P95)}",
                )
            )

    for key in ("full-migration-empty", "full-migration-scale"):
        full = results.get(key)
        if not isinstance(full, dict) or not full["migrated"]:
            continue
        migrated, cloned = percentile(full["migrated"], 0.5), percentile(full["cloned"], 0.5)
        rows.append(
            (
                f"create_workspace running every migration, {full['label']} "
                f"(n={len(full['migrated'])})",
                f"p50 {migrated:.3f} s",
                f"{migrated / cloned:.2f}x the clone made beside it (p50 {cloned:.3f} s)",
            )
        )

    populated = results.get("populate")
    if isinstance(populated, dict) and populated.get("created"):
        rows.append(
            (
                f"populating: {populated['created']} workspaces, "
                f"{populated['processes']} processes",
                f"{populated['elapsed']:.0f} s, {populated['rate']:.2f}/s",
                "setup, not a target",
            )
        )

    migrate = results.get("migrate")
    if isinstance(migrate, dict):
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
                    f"migrate_schemas --tenant --executor={executor}, {count} workspaces",
                    f"{figure['seconds']:.1f} s",
                    how,
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

    widths = [max(len(row[i]) for row in rows) for i in range(3)] if rows else [0, 0, 0]
    say("\n" + "=" * 30 + " Summary " + "=" * 30)
    for line in conditions:
        say(line)
    say("")
    header = ("figure", "value", "note")
    say("  ".join(text.ljust(width) for text, width in zip(header, widths, strict=True)))
    say("  ".join("-" * width for width in widths))
    for row in rows:
        say("  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)))
    say("Timings are informative; nothing here fails on a figure.")


# ---------------------------------------------------------------- main


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
        "--full-migration-samples",
        type=int,
        default=5,
        help="workspaces created by running every migration, each paired "
        "with a clone, near-empty and at scale (5)",
    )
    parser.add_argument(
        "--processes", type=int, default=2, help="parallel processes that create the workspaces (2)"
    )
    parser.add_argument(
        "--migrate-sample",
        type=int,
        default=0,
        help="time plain migrate_schemas on this many schemas and extrapolate "
        "linearly (0: all of them)",
    )
    parser.add_argument(
        "--database",
        default=BENCH_DATABASE,
        help=f"benchmark database, dropped and created ({BENCH_DATABASE})",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the benchmark database afterwards"
    )
    parser.add_argument("--json", help="also write every figure to this JSON file")
    arguments = parser.parse_args(argv)
    if "bench" not in arguments.database:
        parser.error("the benchmark database is dropped: its name must contain 'bench'")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    server_url = _configured("DATABASE_URL")
    redis_url = _configured("REDIS_URL")
    if not (server_url and redis_url):
        if os.environ.get("KARTOTEKA_BENCH_UNDER_SERVICES"):
            say("scripts/services.py did not provide DATABASE_URL and REDIS_URL")
            return 2
        return _run_under_embedded_services()

    started = time.perf_counter()
    bench_url = _with_database(server_url, arguments.database)
    try:
        server_version = recreate_database(server_url, arguments.database)
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
        "SENTRY_DSN": "",
        "LOG_LEVEL": "WARNING",
        # WhiteNoise warns of a missing STATIC_ROOT; no static file is served here.
        "PYTHONWARNINGS": "ignore:No directory at",
    }
    runner = Runner(environment, workdir)

    def full_migration(name: str, label: str) -> None:
        if arguments.full_migration_samples > 0:
            runner.module(
                name,
                "bench_signup",
                "full-migration",
                "--label",
                label,
                "--count",
                str(arguments.full_migration_samples),
            )

    status = 0
    try:
        say("\n== Release on the empty database (migrates public, creates the template)")
        say(f"   python manage.py release: {runner.manage('release', '-v0'):.1f} s")

        runner.module(
            "signups-empty",
            "bench_signup",
            "signups",
            "--count",
            str(arguments.signups),
            "--label",
            "near-empty database",
        )
        full_migration("full-migration-empty", "near-empty database")
        populate(runner, arguments.workspaces, arguments.processes)
        migrate_arguments = ["--sample", str(arguments.migrate_sample)]
        runner.module("migrate", "bench_migrate", *migrate_arguments)
        workspaces = _customer_workspaces(environment)
        runner.module(
            "signups-scale",
            "bench_signup",
            "signups",
            "--count",
            str(arguments.signups),
            "--label",
            f"with {workspaces} workspaces",
        )
        full_migration("full-migration-scale", f"with {workspaces} workspaces")
    except StepFailedError as error:
        say(f"\nBENCHMARK STEP FAILED: {error}")
        status = 1
    finally:
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
                status = 1
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
