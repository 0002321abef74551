"""Stripe webhooks and the read-only guard: what billing adds to a request.

Run by run_all.py in a subprocess whose DATABASE_URL points at the benchmark database
(released). By hand, with such a DATABASE_URL:

    python -m tests.benchmarks.bench_billing --events 1000

1. a workspace subscribes through the real path (Checkout on the Stripe test double,
   started in this process), so its subscription exists in Stripe and in our tables;
2. N signed webhook events (`customer.subscription.updated` about that subscription,
   each with its own id, signed as Stripe signs them) are POSTed to
   /billing/stripe/webhook/ through the whole middleware stack (Django's test Client on
   the public host). Each request verifies the signature, stores the event and queues
   its Celery task: the request time is printed as p50/p95 (target p95 < 50 ms);
3. a real Celery worker (a subprocess, 2 processes) is started on the queue and timed
   until every event is processed (each re-fetches the subscription from Stripe);
4. the read-only guard: `ensure_workspace_writable()` and the request middleware's
   check, per call, and the queries they make (target < 1 ms, none).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import timeit

from tests.benchmarks import ROOT, describe, percentile, say, setup_django, write_result

SECRET = "whsec_benchmark"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--result-file")
    arguments = parser.parse_args(argv)

    os.environ["STRIPE_WEBHOOK_SECRET"] = SECRET
    # As in production (deploy/.env.example): connections are kept between requests.
    os.environ.setdefault("CONN_MAX_AGE", "60")
    os.environ.setdefault("STRIPE_SECRET_KEY", "sk_test_double")
    import stripe_double

    double = stripe_double.run(webhook_secret=SECRET, webhook_mode="manual")
    os.environ["STRIPE_API_BASE"] = double.url
    queue = f"bench-billing-{os.getpid()}"
    setup_django()

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from billing import actions
    from billing.models import Plan, StripeEvent, Subscription
    from saas_platform.celery import app
    from tenants.actions import create_workspace

    settings.ALLOWED_HOSTS = ["*"]
    app.conf.task_default_queue = queue
    app.conf.task_always_eager = False

    subdomain = f"billbench{os.getpid()}"
    new = create_workspace(
        name="Billing bench",
        subdomain=subdomain,
        owner_email=f"owner@{subdomain}.example.com",
        owner_password=None,
    )
    actions.start_checkout(
        acting_user=new.owner,
        workspace=new.workspace,
        plan=Plan.objects.get(code="team"),
        period="month",
        seats=3,
        attempt_key="bench",
    )
    session_id = Subscription.objects.get(workspace=new.workspace).stripe_checkout_session_id
    double.complete_checkout(session_id)
    stripe_subscription = next(o for o in double.engine.all("subscription") if o["customer"])
    double.take_webhooks()  # the real lifecycle events are not part of the measurement
    actions.sync_subscription(
        workspace=new.workspace,
        stripe_subscription_id=stripe_subscription["id"],
        actor="bench",
    )

    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    run_id = f"{os.getpid()}_{int(time.time())}"
    payloads = []
    for number in range(arguments.events):
        event = {
            "id": f"evt_bench_{run_id}_{number}",
            "object": "event",
            "type": "customer.subscription.updated",
            "created": int(time.time()),
            "livemode": False,
            "api_version": stripe_double.API_VERSION,
            "data": {"object": stripe_subscription, "previous_attributes": {}},
        }
        payloads.append(json.dumps(event, indent=2).encode())
    say(f"\n== Webhooks: {arguments.events} signed events posted to /billing/stripe/webhook/")
    request_seconds: list[float] = []
    for payload in payloads:
        signature = stripe_double.sign(payload, SECRET)
        started = time.perf_counter()
        response = client.post(
            "/billing/stripe/webhook/",
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
        )
        request_seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            say(f"unexpected status {response.status_code}: {response.content[:200]!r}")
            return 1
    say(f"   request: {describe(request_seconds)}")

    environment = {
        **os.environ,
        "STRIPE_API_BASE": double.url,
        "STRIPE_WEBHOOK_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
    }
    started = time.perf_counter()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "saas_platform",
            "worker",
            "-Q",
            queue,
            "--concurrency",
            "2",
            "-l",
            "WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=environment,
    )
    ids = [json.loads(p)["id"] for p in payloads]
    deadline = time.monotonic() + 1800
    pending = len(ids)
    try:
        while time.monotonic() < deadline:
            pending = StripeEvent.objects.filter(pk__in=ids, processed_at__isnull=True).count()
            if pending == 0:
                break
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    worker_seconds = time.perf_counter() - started
    say(
        f"   worker (2 processes, incl. start-up): all {len(ids) - pending} of {len(ids)} "
        f"events processed in {worker_seconds:.1f} s "
        f"({(len(ids) - pending) / worker_seconds:.0f} events/s)"
    )

    say("\n== The read-only guard")
    from django.test import RequestFactory

    from tenants.guards import ensure_workspace_writable
    from tenants.middleware import ReadOnlyWorkspaceMiddleware

    calls = 100_000
    with tenant_context(new.workspace), CaptureQueriesContext(connection) as queries:
        guard = timeit.timeit(ensure_workspace_writable, number=calls) / calls
        middleware = ReadOnlyWorkspaceMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
        request = RequestFactory().post("/settings/members/")
        request.tenant = new.workspace  # type: ignore[attr-defined]

        def view() -> None:
            return None

        check = (
            timeit.timeit(lambda: middleware.process_view(request, view, (), {}), number=calls)
            / calls
        )
    say(f"   ensure_workspace_writable(): {guard * 1e6:.2f} µs per call")
    say(f"   middleware check per request: {check * 1e6:.2f} µs")
    say(f"   queries made over {2 * calls} checks: {len(queries)}")
    double.stop()
    write_result(
        arguments.result_file,
        {
            "events": arguments.events,
            "request_p50": percentile(request_seconds, 0.5),
            "request_p95": percentile(request_seconds, 0.95),
            "worker_seconds": worker_seconds,
            "processed": len(ids) - pending,
            "guard_us": guard * 1e6,
            "middleware_us": check * 1e6,
            "guard_queries": len(queries),
            "at": timezone.now().isoformat(),
        },
    )
    return 0 if pending == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
