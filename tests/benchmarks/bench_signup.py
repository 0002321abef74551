"""Signup to a ready workspace: the web form, the action alone, and the migrate-everything way.

Run by run_all.py in a subprocess whose DATABASE_URL points at the benchmark database
(never the developer's). By hand, with such a DATABASE_URL and a released database:

    python -m tests.benchmarks.bench_signup signups --count 10 --label "empty database"
    python -m tests.benchmarks.bench_signup populate --count 100 --prefix p0 \
        --schema-creation migrations
    python -m tests.benchmarks.bench_signup full-migration --count 5

signups
    Each sample is a new business signing up: an HTTP POST of the signup form through
    Django's test Client on the public host (Host: localhost), timed until the redirect
    into the workspace is returned (the whole middleware stack, form validation, PBKDF2
    password hashing, the clone of the template, the owner); and, interleaved with those,
    the same through `tenants.actions.create_workspace` alone. The first signup of each
    kind in a fresh process is reported apart as "cold" (imports, first connection).
populate
    Makes workspaces to measure at scale, through the real `create_workspace` action, with
    no owner password (set_unusable_password: the one PBKDF2 hash per signup is not what
    is being built up here); the schema by the clone or by running the migrations
    (--schema-creation; see run_populate).
full-migration
    The same action with TENANT_CREATION_FAKES_MIGRATIONS off: django-tenants creates the
    schema and runs every tenant migration in it instead of cloning the template; each
    such sample is paired with a clone made right after it, for the ratio.
"""

from __future__ import annotations

import argparse
import secrets
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tests.benchmarks import describe, percentile, say, setup_django, write_result

PASSWORD = "correct-horse-battery-staple"


# ---------------------------------------------------------------- where the time goes


@contextmanager
def phase_timers() -> Iterator[dict[str, list[float]]]:
    """Time the known parts of a signup by wrapping them (the wrappers cost microseconds).

    clone_template: the template's clone (tenants.schema_clone), the blueprint included
    when the process reads it; migrate_schemas: django-tenants running every migration,
    only when a workspace is made that way; password_hash: make_password (PBKDF2).
    """
    import django.contrib.auth.base_user as base_user
    import django_tenants.models as tenant_models

    import tenants.models as workspace_models

    timings: dict[str, list[float]] = defaultdict(list)

    def timed(name: str, function: Callable[..., object]) -> Callable[..., object]:
        def wrapper(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timings[name].append(time.perf_counter() - started)

        return wrapper

    originals = (
        workspace_models.clone_template,
        tenant_models.call_command,
        base_user.make_password,
    )
    workspace_models.clone_template = timed("clone_template", workspace_models.clone_template)  # type: ignore[assignment]
    tenant_models.call_command = timed("migrate_schemas", tenant_models.call_command)  # type: ignore[assignment]
    base_user.make_password = timed("password_hash", base_user.make_password)  # type: ignore[assignment]
    try:
        yield timings
    finally:
        workspace_models.clone_template, tenant_models.call_command, base_user.make_password = (  # type: ignore[assignment]
            originals
        )


# ---------------------------------------------------------------- one signup


def _customer_workspace_count() -> int:
    from tenants.models import Workspace

    return Workspace.objects.filter(kind=Workspace.Kind.CUSTOMER).count()


def _new_subdomain(prefix: str, number: int) -> str:
    return f"{prefix}-{number}-{secrets.token_hex(3)}"


def signup_over_http(subdomain: str) -> float:
    """POST the signup form as a browser would; seconds until the redirect is returned."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    connection.set_schema_to_public()
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    path = reverse("signup", urlconf=settings.PUBLIC_SCHEMA_URLCONF)
    data = {
        "name": f"Business {subdomain}",
        "subdomain": subdomain,
        "email": f"owner@{subdomain}.example.com",
        "password": PASSWORD,
    }
    started = time.perf_counter()
    response = client.post(path, data)
    seconds = time.perf_counter() - started
    expected = f"://{subdomain}.{settings.PLATFORM_DOMAIN}"
    if response.status_code != 302 or expected not in response.get("Location", ""):
        raise RuntimeError(
            f"signup of {subdomain!r} answered {response.status_code} "
            f"{response.get('Location', '')!r}, not a redirect into the workspace"
        )
    return seconds


def signup_by_action(subdomain: str, password: str | None = PASSWORD) -> float:
    """`create_workspace` alone, from the public schema; seconds until it returns.

    On a new database connection, as a signup on a fresh web worker gets one and the
    create_workspace command does; opening it is timed, as it is in the HTTP figure.
    """
    from django.db import connection

    from tenants.actions import create_workspace

    connection.close()
    started = time.perf_counter()
    connection.set_schema_to_public()
    create_workspace(
        name=f"Business {subdomain}",
        subdomain=subdomain,
        owner_email=f"owner@{subdomain}.example.com",
        owner_password=password,
        language="ru",
    )
    return time.perf_counter() - started


# ---------------------------------------------------------------- subcommands


def run_signups(count: int, label: str, time_limit: float) -> dict[str, object]:
    """`count` signups over HTTP interleaved with `count` by the action alone.

    Stops early, and says so, once `time_limit` seconds have gone by.
    """
    prefix = f"s{secrets.token_hex(2)}"
    workspaces_before = _customer_workspace_count()
    say(f"\n== Signup to a ready workspace: {label} ({workspaces_before} workspaces before)")
    failures: list[str] = []
    http_seconds: list[float] = []
    action_seconds: list[float] = []
    cold: dict[str, float] = {}
    with phase_timers() as phases:
        # A fresh process pays for imports, URL resolvers and the first connection once;
        # a web server's warm worker does not, so these two are reported apart.
        cold["http"] = signup_over_http(_new_subdomain(prefix, 0))
        cold["action"] = signup_by_action(_new_subdomain(prefix, 1))
        for name in list(phases):
            phases[name].clear()
        started = time.perf_counter()
        stopped_early = False
        for number in range(count):
            if time.perf_counter() - started > time_limit:
                stopped_early = True
                say(f"   time limit of {time_limit:.0f} s reached after {number} pairs: stopping")
                break
            for kind, signup, seconds in (
                ("http", signup_over_http, http_seconds),
                ("action", signup_by_action, action_seconds),
            ):
                subdomain = _new_subdomain(f"{prefix}{kind[0]}", number)
                try:
                    seconds.append(signup(subdomain))
                except Exception as error:
                    failures.append(f"{kind} {subdomain}: {error!r}")
                    traceback.print_exc()
            if (number + 1) % 10 == 0:
                say(f"   {number + 1}/{count} pairs")
    say(f"   cold (first in the process): HTTP {cold['http']:.3f} s, action {cold['action']:.3f} s")
    say(f"   HTTP POST /signup/ -> 302  {describe(http_seconds)}")
    say(f"   create_workspace action    {describe(action_seconds)}")
    say("   where the time goes (both kinds, per signup):")
    for name, values in sorted(phases.items()):
        say(f"     {name:<16} {describe(values)}")
    if failures:
        say(f"   FAILURES: {len(failures)}; first: {failures[0]}")
    return {
        "label": label,
        "workspaces_before": workspaces_before,
        "workspaces_after": _customer_workspace_count(),
        "http": http_seconds,
        "action": action_seconds,
        "cold": cold,
        "phases": {name: list(values) for name, values in phases.items()},
        "failures": failures,
        "stopped_early": stopped_early,
    }


def run_populate(count: int, prefix: str, schema_creation: str) -> dict[str, object]:
    """Create `count` workspaces through the real action; print the rate as it goes.

    schema_creation: "clone" is the project's way; "migrations" runs every migration
    instead (TENANT_CREATION_FAKES_MIGRATIONS off). Both give the same schema (a test
    proves a clone equals a migrated schema); the rest of create_workspace runs unchanged.
    """
    from django.test import override_settings

    say(f"   [{prefix}] creating {count} workspaces ({schema_creation})")
    seconds: list[float] = []
    failures: list[str] = []
    started = time.perf_counter()
    with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=schema_creation == "clone"):
        while len(seconds) < count:
            subdomain = _new_subdomain(prefix, len(seconds) + len(failures))
            try:
                seconds.append(signup_by_action(subdomain, password=None))
            except Exception as error:
                # Reported, not hidden: a concurrent signup must not fail. Give up if it persists.
                failures.append(f"{subdomain}: {error!r}")
                traceback.print_exc()
                if len(failures) > max(10, count // 10):
                    raise
            if len(seconds) % 100 == 0 and seconds:
                elapsed = time.perf_counter() - started
                say(
                    f"   [{prefix}] {len(seconds)}/{count}, {len(seconds) / elapsed:.2f} "
                    f"workspaces/s, last 100 p50 {percentile(seconds[-100:], 0.5):.3f} s"
                )
    elapsed = time.perf_counter() - started
    return {"seconds": seconds, "elapsed": elapsed, "failures": failures}


def run_full_migration(count: int, label: str) -> dict[str, object]:
    """Workspaces created by running every tenant migration, paired with clones.

    Each sample creates one workspace each way, one right after the other, so that
    the ratio holds even when other work on the machine slows both down.
    """
    from django.test import override_settings

    prefix = f"m{secrets.token_hex(2)}"
    workspaces_before = _customer_workspace_count()
    say(
        f"\n== Creating a workspace by running every migration instead of cloning: {label} "
        f"({count} pairs, {workspaces_before} workspaces before)"
    )
    migrated: list[float] = []
    cloned: list[float] = []
    with phase_timers() as phases:
        for number in range(count):
            with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False):
                migrated.append(signup_by_action(_new_subdomain(f"{prefix}m", number)))
            migrate_seconds = phases["migrate_schemas"][-1]
            cloned.append(signup_by_action(_new_subdomain(f"{prefix}c", number)))
            say(
                f"   pair {number + 1}: migrations {migrated[-1]:.3f} s "
                f"(migrate_schemas {migrate_seconds:.3f} s), clone {cloned[-1]:.3f} s"
            )
    say(f"   create_workspace, every migration run  {describe(migrated)}")
    say(f"   create_workspace, template cloned      {describe(cloned)}")
    return {
        "label": label,
        "workspaces_before": workspaces_before,
        "migrated": migrated,
        "cloned": cloned,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="action", required=True)
    signups = sub.add_parser("signups", help="time signups over HTTP and by the action")
    signups.add_argument("--count", type=int, default=50)
    signups.add_argument("--label", default="")
    signups.add_argument(
        "--time-limit",
        type=float,
        default=3600.0,
        help="stop after this many seconds, reporting the signups so far",
    )
    populate = sub.add_parser("populate", help="create workspaces to measure at scale")
    populate.add_argument("--count", type=int, required=True)
    populate.add_argument("--prefix", default="p")
    populate.add_argument("--schema-creation", choices=["clone", "migrations"], default="clone")
    full = sub.add_parser("full-migration", help="time creation by running migrations")
    full.add_argument("--count", type=int, default=5)
    full.add_argument("--label", default="")
    for subparser in (signups, populate, full):
        subparser.add_argument("--result-file", help="write the figures here as JSON")
    args = parser.parse_args(argv)

    setup_django()
    if args.action == "signups":
        result = run_signups(args.count, args.label, args.time_limit)
    elif args.action == "populate":
        result = run_populate(args.count, args.prefix, args.schema_creation)
    else:
        result = run_full_migration(args.count, args.label)
    write_result(args.result_file, result)


if __name__ == "__main__":
    main()
