# ruff: noqa: RUF001 (Russian names in queries; random picks queries, not secrets)
"""The client base at scale: lists, search, card and API list on 100,000 contacts.

    python -m tests.benchmarks.bench_crm [--contacts 100000] [--companies 20000]
        [--runs 200] [--workspace crmbench] [--result-file FILE]

Against the database of DATABASE_URL (run_all.py gives it its own). Creates the
workspace if missing, a member to act as, seeds it with `crm.seeding` (10 custom fields)
unless it already holds the contacts, then for each scenario runs it --runs times with a
different query each time (picked from the data) and prints p50 and p95 of:

- the wall time of the selector called directly (what a page or the API adds on top is
  template rendering or serialisation);
- the PostgreSQL time of its queries (each execute timed at the driver: the server's
  work plus the round trip on loopback);
- the number of queries;
- the same for the real HTTP request through Django's test Client, logged in as the
  member, for the pages and API endpoints that exist in this checkout (found by URL name;
  missing ones are reported as skipped).

Target: p95 <= 50 ms for each. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from tests.benchmarks import percentile, say, setup_django, write_result

TARGET_P95_MS = 50.0


class QueryTimer:
    """Times every query the connection runs (an execute wrapper) and counts them."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


def measure(name: str, runs: int, call: Callable[[int], Any]) -> dict[str, Any]:
    from django.db import connection

    call(0)  # warm caches (definitions, prepared plans) as a running server has them
    wall, database, queries = [], [], []
    for number in range(runs):
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            call(number)
            wall.append((time.perf_counter() - started) * 1000)
        database.append(timer.seconds * 1000)
        queries.append(timer.count)
    result = {
        "name": name,
        "runs": runs,
        "p50_ms": round(percentile(wall, 0.5), 2),
        "p95_ms": round(percentile(wall, 0.95), 2),
        "pg_p50_ms": round(percentile(database, 0.5), 2),
        "pg_p95_ms": round(percentile(database, 0.95), 2),
        "queries": max(queries),
    }
    verdict = "ok" if result["p95_ms"] <= TARGET_P95_MS else "OVER TARGET"
    say(
        f"  {name:<44} p50 {result['p50_ms']:7.1f} ms  p95 {result['p95_ms']:7.1f} ms  "
        f"| pg p50 {result['pg_p50_ms']:6.1f} ms  p95 {result['pg_p95_ms']:6.1f} ms  "
        f"| {result['queries']:2d} queries  {verdict}"
    )
    return result


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    position = rng.randint(1, len(word) - 3)
    letters = list(word)
    letters[position], letters[position + 1] = letters[position + 1], letters[position]
    return "".join(letters)


def _prepare(arguments: argparse.Namespace) -> tuple[Any, Any]:
    """The workspace and the member, seeded; returns (workspace, member)."""
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
            name="CRM bench",
            subdomain=arguments.workspace,
            owner_email=f"owner@{arguments.workspace}.example.com",
            owner_password="correct-horse-battery-staple",
            language="ru",
        ).workspace
        connection.set_schema_to_public()
    with tenant_context(workspace):
        member = User.objects.filter(email=f"member@{arguments.workspace}.example.com").first()
        if member is None:
            member = User.objects.create_user(
                email=f"member@{arguments.workspace}.example.com",
                password="correct-horse-battery-staple",
                full_name="Мария Менеджер",
                role="member",
            )
        have = Contact.objects.count()
        if have < arguments.contacts:
            say(f"Seeding {arguments.contacts - have} contacts and {arguments.companies} companies")
            made = seed_workspace(
                contacts=arguments.contacts - have,
                companies=arguments.companies if have == 0 else 0,
                seed=7,
            )
            say(f"  seed_crm: {made}")
            arguments.seed_result = made
    return workspace, member


def _samples(rng: random.Random, runs: int) -> dict[str, list[Any]]:
    """Queries picked from the data, one per run."""
    from crm.models import Company, Contact, Email, Phone

    contact_ids = list(Contact.objects.order_by("?").values_list("id", flat=True)[: runs + 1])
    names = list(Contact.objects.filter(pk__in=contact_ids).values_list("surname", "first_name"))
    phones = list(Phone.objects.order_by("?").values_list("e164", flat=True)[: runs + 1])
    emails = list(Email.objects.order_by("?").values_list("address", flat=True)[: runs + 1])
    taxes = list(
        Company.objects.exclude(tax_number="")
        .order_by("?")
        .values_list("tax_number", flat=True)[: runs + 1]
    )
    fragments = [f"{surname[:-1]} {first[:3]}" for surname, first in names]
    typos = [f"{_typo(surname, rng)} {first}" for surname, first in names]
    suffixes = [phone[-4:] for phone in phones]
    email_parts = [
        email.split("@")[0] if number % 2 else email for number, email in enumerate(emails)
    ]
    return {
        "contact_ids": contact_ids,
        "fragments": fragments,
        "typos": typos,
        "suffixes": suffixes,
        "emails": email_parts,
        "taxes": taxes,
    }


def _pick(values: list[Any], number: int) -> Any:
    return values[number % len(values)]


def run_selectors(member: Any, runs: int, samples: dict[str, list[Any]]) -> list[dict[str, Any]]:
    from crm.selectors.cards import contact_card
    from crm.selectors.lists import ClientFilter, contacts_cursor_page, contacts_for_list
    from crm.selectors.search import search_clients

    segments = ["retail", "wholesale", "partner", "dealer"]
    say("\nSelectors, called directly (as the member, who sees all clients):")
    results = [
        measure("contact list, first page", runs, lambda n: contacts_for_list(member, per_page=50)),
        measure(
            "list filtered by custom field, sorted by another",
            runs,
            lambda n: contacts_for_list(
                member,
                filters=ClientFilter.from_dict(
                    {"custom": [{"key": "segment", "op": "eq", "value": _pick(segments, n)}]}
                ),
                sort="custom.loyalty_points",
                per_page=50,
            ),
        ),
        measure(
            "search: name fragment ('Ивано Мар')",
            runs,
            lambda n: search_clients(member, _pick(samples["fragments"], n)),
        ),
        measure(
            "search: typo'd name",
            runs,
            lambda n: search_clients(member, _pick(samples["typos"], n)),
        ),
        measure(
            "search: phone suffix (last 4 digits)",
            runs,
            lambda n: search_clients(member, _pick(samples["suffixes"], n)),
        ),
        measure(
            "search: e-mail (whole or local part)",
            runs,
            lambda n: search_clients(member, _pick(samples["emails"], n)),
        ),
        measure(
            "search: tax number",
            runs,
            lambda n: search_clients(member, _pick(samples["taxes"], n)),
        ),
        measure(
            "contact card",
            runs,
            lambda n: contact_card(member, _pick(samples["contact_ids"], n)),
        ),
        measure(
            "API list selector with a filter (cursor page)",
            runs,
            lambda n: contacts_cursor_page(
                member,
                filters=ClientFilter.from_dict(
                    {"custom": [{"key": "segment", "op": "eq", "value": _pick(segments, n)}]}
                ),
                limit=50,
            ),
        ),
    ]
    return results


def _url(name: str, *args: Any) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, urlconf="saas_platform.urls_tenant", args=args)
    except NoReverseMatch:
        return None


def run_http(
    workspace: Any, member: Any, runs: int, samples: dict[str, list[Any]]
) -> list[dict[str, Any]]:
    """The real requests, through the middleware, as the logged-in member."""
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import tenant_context

    host = f"{workspace.subdomain}.{_platform_domain()}"
    client = Client(HTTP_HOST=host)
    with tenant_context(workspace):
        client.force_login(member, backend="allauth.account.auth_backends.AuthenticationBackend")
    connection.set_schema_to_public()
    api_key = _api_key(workspace, member)

    scenarios: list[tuple[str, str | None, Callable[[int], dict[str, Any]], bool]] = []
    contact_list = _url("crm_contact_list")
    search = _url("crm_search")
    card = _url("crm_contact_detail", 1)
    api_list = "/api/contacts"
    scenarios.append(("page: contact list", contact_list, lambda n: {}, False))
    scenarios.append(
        (
            "page: list filtered by custom field, sorted",
            contact_list,
            lambda n: {
                "cf_segment": ["retail", "wholesale", "partner", "dealer"][n % 4],
                "sort": "custom.loyalty_points",
            },
            False,
        )
    )
    for label, key in (
        ("name fragment", "fragments"),
        ("typo'd name", "typos"),
        ("phone suffix", "suffixes"),
        ("e-mail", "emails"),
        ("tax number", "taxes"),
    ):
        scenarios.append(
            (
                f"page: search, {label}",
                search,
                lambda n, key=key: {"q": _pick(samples[key], n)},
                False,
            )
        )
    say("\nHTTP requests through Django's test Client (logged-in member):")
    results = []
    for name, path, params, _is_api in scenarios:
        if path is None:
            say(f"  {name:<44} skipped: no such page in this checkout")
            continue
        results.append(
            measure(name, runs, lambda n, path=path, params=params: _get(client, path, params(n)))
        )
    if card is not None:
        prefix = card.rsplit("/1/", 1)[0]
        results.append(
            measure(
                "page: contact card",
                runs,
                lambda n: _get(client, f"{prefix}/{_pick(samples['contact_ids'], n)}/", {}),
            )
        )
    else:
        say(f"  {'page: contact card':<44} skipped: no such page in this checkout")
    if api_key:
        api_client = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {api_key}")
        response = api_client.get(api_list, {"limit": 50})
        if response.status_code == 200:
            results.append(
                measure(
                    "API: contact list with a filter",
                    runs,
                    lambda n: _get(
                        api_client,
                        api_list,
                        {"limit": 50, "custom.segment": ["retail", "wholesale"][n % 2]},
                    ),
                )
            )
        else:
            say(f"  {'API: contact list with a filter':<44} skipped: {response.status_code}")
    else:
        say(f"  {'API: contact list with a filter':<44} skipped: no API keys in this checkout")
    return results


def _ensure_static_manifest() -> None:
    """The production settings serve hashed static names: collect them (a manifest left by
    an earlier checkout may lack files added since, so always; unchanged files are skipped)."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def _get(client: Any, path: str, params: dict[str, Any]) -> None:
    response = client.get(path, params)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} {params} answered {response.status_code}")


def _platform_domain() -> str:
    from django.conf import settings

    return str(getattr(settings, "PLATFORM_DOMAIN", "localhost"))


def _api_key(workspace: Any, member: Any) -> str | None:
    """A read key made by the owner through the API keys action, when this checkout has one."""
    import importlib

    from django.db import connection
    from django_tenants.utils import tenant_context

    try:
        module = importlib.import_module("tenants.api_keys.actions")
    except ModuleNotFoundError:
        return None
    with tenant_context(workspace):
        from tenants.members.models import User

        owner = User.objects.filter(role="owner").first()
        made = module.create_api_key(acting_user=owner, name=f"bench {time.time()}", scope="read")
    connection.set_schema_to_public()
    return str(made.secret)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--companies", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--workspace", default="crmbench")
    parser.add_argument("--no-http", action="store_true", help="only the selectors")
    parser.add_argument("--no-selectors", action="store_true", help="only the HTTP requests")
    parser.add_argument("--result-file")
    arguments = parser.parse_args(argv)
    arguments.seed_result = None
    setup_django()
    from django_tenants.utils import tenant_context

    workspace, member = _prepare(arguments)
    rng = random.Random(11)
    with tenant_context(workspace):
        samples = _samples(rng, arguments.runs)
    if not arguments.no_http:
        _ensure_static_manifest()
    # What the web server's processes do once loaded (saas_platform/wsgi.py): the numbers
    # below are those of a process set up as production's are.
    from saas_platform.runtime import prepare_long_running_process

    prepare_long_running_process()
    with tenant_context(workspace):
        selectors = [] if arguments.no_selectors else run_selectors(member, arguments.runs, samples)
    http = [] if arguments.no_http else run_http(workspace, member, arguments.runs, samples)
    over = [r["name"] for r in selectors + http if r["p95_ms"] > TARGET_P95_MS]
    say(
        f"\nTarget p95 <= {TARGET_P95_MS:.0f} ms: "
        + ("met by all" if not over else f"over: {over}")
    )
    write_result(
        arguments.result_file,
        {"seed": arguments.seed_result, "selectors": selectors, "http": http, "over_target": over},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
