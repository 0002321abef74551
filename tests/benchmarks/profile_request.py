"""Where one page's time goes: a request through Django's test Client, profiled.

    python -m tests.benchmarks.profile_request /contacts/ [--query 'q=ivan'] [--workspace crmbench]
        [--runs 50] [--api] [--top 40] [--sort tottime|cumulative] [--queries]

Against the database of DATABASE_URL, in a workspace the CRM benchmark seeded
(`run_all.py --crm-only --keep`), as its member (or with a read API key, `--api`), through
the whole middleware stack, with the project's own settings and the same process set-up the
web server gets (`saas_platform.runtime.prepare_long_running_process`). Prints the queries
of one request (`--queries`), then the cProfile of `--runs` requests: the functions with the
largest own or cumulative time, and the total number of Python function calls per request,
which does not depend on how busy the machine is (timings do). For instruction counts, run
it under `valgrind --tool=callgrind` with two values of `--runs` and take the difference.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import time
from typing import Any

from tests.benchmarks import say, setup_django


class _CollectionCounter:
    """gc.callbacks entry: how many collections of each generation ran, and their CPU time."""

    def __init__(self) -> None:
        self.collections = [0, 0, 0]
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.collections[info["generation"]] += 1
            self.seconds += time.process_time() - self._started

    def describe(self, runs: int) -> str:
        young, middle, full = (count / runs for count in self.collections)
        return (
            f"GC {young:.2f} young / {middle:.2f} middle / {full:.3f} full collections, "
            f"{self.seconds * 1000 / runs:.2f} ms CPU"
        )


def _client(workspace_name: str, api: bool) -> tuple[Any, str]:
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import tenant_context

    from tenants.members.models import User
    from tenants.models import Workspace
    from tests.benchmarks.bench_crm import _api_key, _ensure_static_manifest, _platform_domain

    _ensure_static_manifest()
    workspace = Workspace.objects.get(subdomain=workspace_name)
    host = f"{workspace.subdomain}.{_platform_domain()}"
    with tenant_context(workspace):
        member = User.objects.get(email=f"member@{workspace_name}.example.com")
    connection.set_schema_to_public()
    if api:
        return Client(
            HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {_api_key(workspace, member)}"
        ), host
    client = Client(HTTP_HOST=host)
    with tenant_context(workspace):
        client.force_login(member, backend="allauth.account.auth_backends.AuthenticationBackend")
    connection.set_schema_to_public()
    return client, host


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("path")
    parser.add_argument("--query", default="", help="query string, e.g. 'q=ivan&sort=name'")
    parser.add_argument("--workspace", default="crmbench")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--api", action="store_true", help="with a read API key, not a session")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    parser.add_argument("--queries", action="store_true", help="print one request's SQL")
    parser.add_argument("--no-profile", action="store_true", help="just the requests (callgrind)")
    parser.add_argument(
        "--default-gc", action="store_true", help="skip the process set-up (Python's GC defaults)"
    )
    arguments = parser.parse_args(argv)
    setup_django()
    from django.db import connection
    from django.http import QueryDict
    from django.test.utils import CaptureQueriesContext

    from saas_platform.runtime import prepare_long_running_process

    client, _host = _client(arguments.workspace, arguments.api)
    if not arguments.default_gc:
        prepare_long_running_process()
    say(f"GC thresholds {gc.get_threshold()}, {len(gc.get_objects())} tracked objects")
    params = QueryDict(arguments.query)

    def request() -> None:
        response = client.get(arguments.path, params)
        if response.status_code != 200:
            raise SystemExit(f"GET {arguments.path} answered {response.status_code}")

    request()  # warm: templates compiled, definitions cached, as a running server has them
    with CaptureQueriesContext(connection) as captured:
        request()
    say(f"{len(captured.captured_queries)} queries per request")
    if arguments.queries:
        for query in captured.captured_queries:
            say(f"  {query['time']}s  {query['sql'][:300]}")
    collector = _CollectionCounter()
    gc.callbacks.append(collector)
    counts_before = gc.get_count()
    started = time.process_time()
    for _ in range(arguments.runs):
        request()
    cpu = (time.process_time() - started) * 1000 / arguments.runs
    gc.callbacks.remove(collector)
    say(
        f"{arguments.runs} requests: {cpu:.1f} ms CPU each (load-dependent); per request "
        f"{collector.describe(arguments.runs)} (counts before {counts_before})"
    )
    if arguments.no_profile:
        return 0
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(arguments.runs):
        request()
    profiler.disable()
    stats = pstats.Stats(profiler)
    calls = sum(entry[1] for entry in stats.stats.values())  # type: ignore[attr-defined]
    say(f"{calls / arguments.runs:,.0f} Python function calls per request")
    stats.sort_stats(arguments.sort).print_stats(arguments.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
