"""Export of 100,000 contacts with custom fields to CSV and to XLSX: time and peak memory.

    python -m tests.benchmarks.bench_export [--contacts 100000] [--workspace exportbench]
        [--result-file FILE]

Against the database of DATABASE_URL (run_all.py --export-only gives it its own). Creates
the workspace if missing and seeds it with `crm.seeding.seed_workspace` (10 custom fields
per contact, phones, e-mails, tags, companies) unless it already holds the contacts, then
runs the real export action (`start_export` + `run_export`, as the owner, in Russian:
what the background task runs) for CSV and for XLSX, and prints for each:

- seconds (wall), rows per second, and the CPU seconds of this process (on a shared,
  busy machine the wall time mostly measures waiting; CPU time shows the export's own cost;
  PostgreSQL's share runs in the server's process and shows only in the wall time);
- peak RSS of the process during the export, and how much it grew over the RSS before
  (sampled every 5 ms from /proc/self/status, in a fresh process after seeding: what the
  worker would need);
- the file's size;

and, beside them, a bare `COPY (SELECT ...) TO STDOUT` of the same contacts' own columns
(no children, no formatting), so the overhead ratio shows. Targets: CSV < 10 s, XLSX < 30 s.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Any

from tests.benchmarks import say, setup_django, write_result

TARGETS = {"csv": 10.0, "xlsx": 30.0}


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class PeakRss:
    """Samples the process's RSS in a thread while the block runs; keeps the highest."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.start_kib = 0
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, _rss_kib())
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRss:
        self.start_kib = self.peak_kib = _rss_kib()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kib = max(self.peak_kib, _rss_kib())


def _prepare(arguments: argparse.Namespace) -> tuple[Any, Any]:
    from django.db import connection
    from django_tenants.utils import tenant_context

    from crm.models import Contact
    from crm.seeding import seed_workspace
    from tenants.actions import create_workspace
    from tenants.members.models import User
    from tenants.models import Workspace

    workspace = Workspace.objects.filter(subdomain=arguments.workspace).first()
    if workspace is None:
        say(f"Creating the workspace {arguments.workspace}")
        workspace = create_workspace(
            name="Export bench",
            subdomain=arguments.workspace,
            owner_email=f"owner@{arguments.workspace}.example.com",
            owner_password="correct-horse-battery-staple",
            language="ru",
        ).workspace
        connection.set_schema_to_public()
    with tenant_context(workspace):
        owner = User.objects.filter(role="owner").order_by("id").first()
        have = Contact.objects.count()
        if have < arguments.contacts:
            say(f"Seeding {arguments.contacts - have} contacts and {arguments.companies} companies")
            made = seed_workspace(
                contacts=arguments.contacts - have,
                companies=arguments.companies if have == 0 else 0,
                seed=7,
            )
            say(f"  seed_workspace: {made}")
    return workspace, owner


def run_export(owner: Any, file_format: str) -> dict[str, Any]:
    from django.utils import translation

    from onboarding.exporting import actions

    with translation.override("ru"):
        job = actions.start_export(
            acting_user=owner,
            request=actions.ExportRequest(entity="contacts", file_format=file_format, filters={}),
        )
        started, cpu_started = time.perf_counter(), time.process_time()
        with PeakRss() as rss:
            job = actions.run_export(job=job)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
    if job.status != "done":
        raise RuntimeError(f"export failed: {job.failure}")
    size = job.file_size or 0
    job.file.delete(save=False)
    return {
        "format": file_format,
        "rows": job.row_count,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "rows_per_second": round((job.row_count or 0) / seconds),
        "peak_rss_mib": round(rss.peak_kib / 1024, 1),
        "rss_growth_mib": round((rss.peak_kib - rss.start_kib) / 1024, 1),
        "file_mib": round(size / 1024 / 1024, 1),
        "target_seconds": TARGETS[file_format],
    }


def bare_copy() -> dict[str, Any]:
    """The same contacts' own columns through COPY ... TO STDOUT, bytes counted, not kept."""
    from django.db import connection

    query = (
        "COPY (SELECT c.id, c.surname, c.first_name, c.patronymic, c.form_of_address, "
        "c.birthday, c.position, c.address, u.full_name, u.email, s.name, "
        "c.consent_personal_data, c.consent_advertising, c.pinned_note, c.created_at, "
        "c.updated_at, c.last_contact_at, c.archived_at, c.custom "
        "FROM crm_contact c LEFT JOIN members_user u ON u.id = c.responsible_id "
        "LEFT JOIN crm_sourcechannel s ON s.id = c.source_id "
        "WHERE c.archived_at IS NULL ORDER BY c.id) TO STDOUT WITH (FORMAT csv)"
    )
    started = time.perf_counter()
    total = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3's cursor, for copy()
        with raw.copy(query) as copy:
            for block in copy:
                total += len(block)
    return {"seconds": round(time.perf_counter() - started, 2), "mib": round(total / 2**20, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--companies", type=int, default=5_000)
    parser.add_argument("--workspace", default="exportbench")
    parser.add_argument("--result-file")
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="(internal) the seeded workspace exists: measure in this fresh process",
    )
    arguments = parser.parse_args(argv)
    setup_django()
    from django_tenants.utils import tenant_context

    workspace, owner = _prepare(arguments)
    if not arguments.measure_only:
        # Seeding leaves its own memory in this process: measure in a fresh one, so the
        # peak RSS is the export's (what a worker running it would need).
        import subprocess

        command = [sys.executable, "-m", "tests.benchmarks.bench_export", "--measure-only"]
        command += ["--contacts", str(arguments.contacts), "--workspace", arguments.workspace]
        if arguments.result_file:
            command += ["--result-file", arguments.result_file]
        return subprocess.run(command, check=False).returncode
    results: dict[str, Any] = {}
    with tenant_context(workspace):
        copy = bare_copy()  # also warms the cache, as a second export would find it
        copy = bare_copy()
        say(f"\nbare COPY (SELECT ...) TO STDOUT: {copy['seconds']:.2f} s, {copy['mib']} MiB")
        results["bare_copy"] = copy
        for file_format in ("csv", "xlsx"):
            figure = run_export(owner, file_format)
            results[file_format] = figure
            ratio = figure["seconds"] / copy["seconds"] if copy["seconds"] else float("nan")
            say(
                f"export {figure['rows']} contacts to {file_format.upper()}: "
                f"{figure['seconds']:.2f} s wall, {figure['cpu_seconds']:.2f} s CPU of this "
                f"process ({figure['rows_per_second']} rows/s; "
                f"target < {figure['target_seconds']:.0f} s: "
                f"{'met' if figure['seconds'] < figure['target_seconds'] else 'NOT met'}), "
                f"peak RSS {figure['peak_rss_mib']} MiB (+{figure['rss_growth_mib']} MiB), "
                f"file {figure['file_mib']} MiB, {ratio:.0f}x the bare COPY"
            )
    write_result(arguments.result_file, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
