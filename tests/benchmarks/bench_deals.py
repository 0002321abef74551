"""Deals at scale: the kanban board, the deal list by manager, the forecast.

    python -m tests.benchmarks.bench_deals [--contacts 100000] [--companies 20000]
        [--deals 50000] [--runs 200] [--workspace crmbench] [--result-file FILE]

Against the database of DATABASE_URL (run_all.py --deals-only gives it its own). Creates
and seeds the workspace like bench_crm (contacts and companies by crm.seeding), adds the
deals with the "deals" seed step (printing how long they took), then runs each scenario
--runs times, as a member who sees every client, and prints p50 and p95 of the wall time,
the PostgreSQL time and the query count (bench_crm.measure): the selectors called
directly, then the real pages and the API list through Django's test Client.

Target: p95 <= 50 ms each. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from typing import Any

from tests.benchmarks import say, setup_django, write_result
from tests.benchmarks.bench_crm import (
    TARGET_P95_MS,
    _api_key,
    _ensure_static_manifest,
    _get,
    _platform_domain,
    _prepare,
    measure,
)


def _seed_deals(workspace: Any, wanted: int) -> dict[str, Any] | None:
    from django_tenants.utils import tenant_context

    from crm.models import Deal
    from crm.seeding import seed_workspace

    with tenant_context(workspace):
        have = Deal.objects.count()
        if have >= wanted:
            say(f"The workspace already holds {have} deals")
            return None
        say(f"Seeding {wanted - have} deals")
        started = time.perf_counter()
        made = seed_workspace(contacts=0, companies=0, seed=13, more={"deals": wanted - have})
        say(f"  seed_crm --deals {wanted - have}: {made} ({time.perf_counter() - started:.1f} s)")
        return made


def run_selectors(member: Any, runs: int, managers: list[int]) -> list[dict[str, Any]]:
    from crm.actions.deals import ensure_default_pipeline
    from crm.selectors import deals as selectors

    pipeline = ensure_default_pipeline()
    say("\nSelectors (called directly, as a member who sees every client):")

    def board(number: int) -> None:
        board = selectors.deal_board(member, pipeline, selectors.DealFilter())
        for column in board.columns:
            for deal in column.deals:
                _ = (deal.contact, deal.company, deal.responsible)

    def board_by_manager(number: int) -> None:
        filters = selectors.DealFilter(responsible=managers[number % len(managers)])
        selectors.deal_board(member, pipeline, filters)

    def deal_list(number: int) -> None:
        from django.core.paginator import Paginator

        deals = selectors.deals_for_list(
            member, selectors.DealFilter(responsible=managers[number % len(managers)]), "-created"
        )
        page = Paginator(deals, selectors.LIST_PAGE_SIZE).get_page(1 + number % 3)
        list(page.object_list)

    def forecast(number: int) -> None:
        selectors.deal_forecast(member)

    return [
        measure("selector: kanban board, main pipeline", runs, board),
        measure("selector: kanban board, one manager", runs, board_by_manager),
        measure("selector: deal list by manager", runs, deal_list),
        measure("selector: forecast", runs, forecast),
    ]


def run_http(workspace: Any, member: Any, runs: int, managers: list[int]) -> list[dict[str, Any]]:
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import tenant_context

    _ensure_static_manifest()
    client = Client(HTTP_HOST=f"{workspace.subdomain}.{_platform_domain()}")
    with tenant_context(workspace):
        client.force_login(member, backend="allauth.account.auth_backends.AuthenticationBackend")
    connection.set_schema_to_public()
    say("\nHTTP requests through Django's test Client (logged-in member):")
    results = [
        measure("page: kanban board", runs, lambda n: _get(client, "/deals/", {})),
        measure(
            "page: deal list by manager",
            runs,
            lambda n: _get(client, "/deals/list/", {"responsible": managers[n % len(managers)]}),
        ),
        measure("page: forecast", runs, lambda n: _get(client, "/deals/forecast/", {})),
    ]
    key = _api_key(workspace, member)
    if key:
        api = Client(
            HTTP_HOST=f"{workspace.subdomain}.{_platform_domain()}",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        results.append(
            measure(
                "API: deals by manager",
                runs,
                lambda n: _get(
                    api, "/api/deals", {"responsible": managers[n % len(managers)], "limit": 50}
                ),
            )
        )
    return results


def _managers(workspace: Any, count: int) -> list[int]:
    """A few more managers so "by manager" filters a realistic share (made before seeding)."""
    from django_tenants.utils import tenant_context

    from tenants.members.models import User

    with tenant_context(workspace):
        for number in range(count):
            email = f"manager{number}@{workspace.subdomain}.example.com"
            if not User.objects.filter(email=email).exists():
                User.objects.create_user(
                    email=email,
                    password="correct-horse-battery-staple",
                    full_name=f"Менеджер {number}",
                    role="member",
                )
        return list(User.objects.filter(is_active=True).values_list("pk", flat=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--companies", type=int, default=20_000)
    parser.add_argument("--deals", type=int, default=50_000)
    parser.add_argument("--managers", type=int, default=8, help="extra members (8)")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--workspace", default="crmbench")
    parser.add_argument("--no-http", action="store_true", help="only the selectors")
    parser.add_argument("--result-file")
    arguments = parser.parse_args(argv)
    arguments.seed_result = None
    setup_django()
    from django_tenants.utils import tenant_context

    workspace, member = _prepare(arguments)
    managers = _managers(workspace, arguments.managers)
    seeded = _seed_deals(workspace, arguments.deals)
    # What the web server's processes do once loaded (saas_platform/wsgi.py): the numbers
    # below are those of a process set up as production's are.
    from saas_platform.runtime import prepare_long_running_process

    prepare_long_running_process()
    random.seed(5)
    with tenant_context(workspace):
        selectors = run_selectors(member, arguments.runs, managers)
    http = [] if arguments.no_http else run_http(workspace, member, arguments.runs, managers)
    over = [r["name"] for r in selectors + http if r["p95_ms"] > TARGET_P95_MS]
    say(
        f"\nTarget p95 <= {TARGET_P95_MS:.0f} ms: "
        + ("met by all" if not over else f"over: {over}")
    )
    write_result(
        arguments.result_file,
        {"seed": seeded, "selectors": selectors, "http": http, "over_target": over},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
