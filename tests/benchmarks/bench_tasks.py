"""Tasks at scale: "my tasks" on a seeded workspace, and the due-task beat cycle.

    python -m tests.benchmarks.bench_tasks my-tasks [--contacts 100000] [--companies 20000]
        [--tasks 50000] [--runs 200] [--workspace taskbench]
    python -m tests.benchmarks.bench_tasks sweep [--due-workspaces 10] [--due-tasks 5]

Against the database of DATABASE_URL (run_all.py gives it its own).

my-tasks: seeds the workspace (crm.seeding, with the "tasks" step) unless it holds the
tasks already, then runs the "my tasks" selector and the real page (Django's test
Client, logged in as a manager) --runs times each, printing p50/p95 of the wall time,
the PostgreSQL time and the query count.

sweep: over every customer workspace in the database (run_all.py makes them by cloning
the template, as signup does), puts --due-tasks due tasks into --due-workspaces of them,
then times one beat cycle two ways:
- the hinted fan-out (what beat runs every minute): read the Redis "next due" hint,
  check those workspaces are writable, and run the sweep in each due workspace (the
  worker's share, run here in-process one after the other);
- the plain fan-out (the hourly safety net): the sweep in every workspace.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from typing import Any

from tests.benchmarks import percentile, say, setup_django, write_result
from tests.benchmarks.bench_crm import (
    _ensure_static_manifest,
    _get,
    _platform_domain,
    measure,
)


def _prepare(arguments: argparse.Namespace) -> tuple[Any, Any]:
    from django.db import connection
    from django_tenants.utils import tenant_context

    from crm.models import Task
    from crm.seeding import seed_workspace
    from tenants.actions import create_workspace
    from tenants.members.models import User
    from tenants.models import Workspace

    workspace = Workspace.objects.filter(subdomain=arguments.workspace).first()
    if workspace is None:
        say(f"Creating the workspace {arguments.workspace}")
        workspace = create_workspace(
            name="Tasks bench",
            subdomain=arguments.workspace,
            owner_email=f"owner@{arguments.workspace}.example.com",
            owner_password="correct-horse-battery-staple",
            language="ru",
        ).workspace
        connection.set_schema_to_public()
    with tenant_context(workspace):
        for number in range(arguments.managers):
            email = f"manager{number}@{arguments.workspace}.example.com"
            if not User.objects.filter(email=email).exists():
                User.objects.create_user(
                    email=email,
                    password="correct-horse-battery-staple",
                    full_name=f"Менеджер {number}",
                    role="member",
                )
        if Task.objects.count() < arguments.tasks:
            say(
                f"Seeding {arguments.contacts} contacts, {arguments.companies} companies, "
                f"{arguments.tasks} tasks"
            )
            made = seed_workspace(
                contacts=arguments.contacts,
                companies=arguments.companies,
                seed=7,
                more={"tasks": arguments.tasks},
            )
            say(f"  seed_crm: {made}")
        member = User.objects.get(email=f"manager0@{arguments.workspace}.example.com")
    connection.set_schema_to_public()
    return workspace, member


def run_my_tasks(arguments: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import tenant_context

    from crm.models import Task
    from crm.selectors.tasks import my_tasks

    workspace, member = _prepare(arguments)
    # What the web server's processes do once loaded (saas_platform/wsgi.py): the numbers
    # below are those of a process set up as production's are.
    from saas_platform.runtime import prepare_long_running_process

    prepare_long_running_process()
    with tenant_context(workspace):
        mine = Task.objects.filter(assignee=member, status="open").count()
        say(f"\n'My tasks' of a manager with {mine} open tasks (of {Task.objects.count()}):")
        selector = measure("selector: my tasks", arguments.runs, lambda n: my_tasks(member))
    _ensure_static_manifest()
    client = Client(HTTP_HOST=f"{workspace.subdomain}.{_platform_domain()}")
    with tenant_context(workspace):
        client.force_login(member, backend="allauth.account.auth_backends.AuthenticationBackend")
    connection.set_schema_to_public()
    page = measure("page: /tasks/", arguments.runs, lambda n: _get(client, "/tasks/", {}))
    return {"selector": selector, "page": page}


def _customer_schemas() -> list[str]:
    from django.conf import settings

    from tenants.models import Workspace

    return list(
        Workspace.objects.filter(kind=Workspace.Kind.CUSTOMER)
        .exclude(schema_name=settings.TENANT_BASE_SCHEMA)
        .order_by("id")
        .values_list("schema_name", flat=True)
    )


def run_sweep(arguments: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from crm import due_hints
    from crm.actions import tasks as actions
    from crm.models import Task
    from crm.tasks import schemas_to_sweep
    from tenants.members.models import User

    schemas = _customer_schemas()
    if not schemas:
        say("No workspaces: run it from run_all.py (--tasks-only makes them by cloning).")
        return {}
    say(f"\nDue-task sweep over {len(schemas)} workspaces:")
    due_hints.clear()
    now = timezone.now()
    due_schemas = schemas[: arguments.due_workspaces]
    for schema in due_schemas:
        with schema_context(schema):
            owner = User.objects.order_by("id").first()
            Task.objects.bulk_create(
                Task(
                    title=f"Due {number}",
                    due_at=now - dt.timedelta(minutes=5),
                    due_date=now.date(),
                    assignee=owner,
                )
                for number in range(arguments.due_tasks)
            )
            due_hints.note_due(schema, now - dt.timedelta(minutes=5))
    connection.set_schema_to_public()

    def sweep_in(schema: str) -> dict[str, int]:
        with schema_context(schema):
            counts = actions.sweep_due_tasks()
            due_hints.replace(schema, actions.next_notification_due())
            return counts

    # One beat cycle with the hint: which workspaces, then their sweeps.
    started = time.perf_counter()
    chosen = schemas_to_sweep()
    choose_ms = (time.perf_counter() - started) * 1000
    per_workspace = []
    notified = 0
    for schema in chosen:
        one = time.perf_counter()
        notified += sweep_in(schema)["notified"]
        per_workspace.append((time.perf_counter() - one) * 1000)
    hinted_ms = (time.perf_counter() - started) * 1000
    say(
        f"  hinted fan-out: chose {len(chosen)} of {len(schemas)} workspaces "
        f"in {choose_ms:.1f} ms; "
        f"cycle with their sweeps {hinted_ms:.0f} ms ({notified} notifications; "
        f"per due workspace p50 {percentile(per_workspace, 0.5):.1f} ms)"
    )
    # The next minute: nothing is due any more, the hint says so.
    started = time.perf_counter()
    idle = schemas_to_sweep()
    idle_ms = (time.perf_counter() - started) * 1000
    say(f"  next minute, nothing due: chose {len(idle)} workspaces in {idle_ms:.1f} ms")
    # The plain fan-out: every workspace sweeps (each finds nothing, one indexed query).
    started = time.perf_counter()
    each = []
    for schema in schemas:
        one = time.perf_counter()
        sweep_in(schema)
        each.append((time.perf_counter() - one) * 1000)
    plain_ms = (time.perf_counter() - started) * 1000
    say(
        f"  plain fan-out (hourly safety net): {len(schemas)} sweeps in {plain_ms / 1000:.1f} s "
        f"of worker time, p50 {percentile(each, 0.5):.1f} ms / p95 "
        f"{percentile(each, 0.95):.1f} ms per workspace, {len(schemas)} messages"
    )
    connection.set_schema_to_public()
    return {
        "workspaces": len(schemas),
        "due_workspaces": len(chosen),
        "hinted_choose_ms": round(choose_ms, 2),
        "hinted_cycle_ms": round(hinted_ms, 1),
        "idle_choose_ms": round(idle_ms, 2),
        "plain_cycle_ms": round(plain_ms, 1),
        "plain_p50_ms": round(percentile(each, 0.5), 2),
        "plain_p95_ms": round(percentile(each, 0.95), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    mine = sub.add_parser("my-tasks")
    mine.add_argument("--contacts", type=int, default=100_000)
    mine.add_argument("--companies", type=int, default=20_000)
    mine.add_argument("--tasks", type=int, default=50_000)
    mine.add_argument("--managers", type=int, default=10)
    mine.add_argument("--runs", type=int, default=200)
    mine.add_argument("--workspace", default="taskbench")
    sweep = sub.add_parser("sweep")
    sweep.add_argument("--due-workspaces", type=int, default=10)
    sweep.add_argument("--due-tasks", type=int, default=5)
    for each in (mine, sweep):
        each.add_argument("--result-file")
    arguments = parser.parse_args(argv)
    setup_django()
    result = run_my_tasks(arguments) if arguments.command == "my-tasks" else run_sweep(arguments)
    if arguments.result_file:
        write_result(arguments.result_file, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
