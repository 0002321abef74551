"""The webhook endpoint: signatures, storing once, processing once, any order."""

import json
import random
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from billing.models import SeatLedgerEntry, StripeEvent, SubscriptionStatus
from billing.selectors import billing_status
from tests.billing.conftest import WEBHOOK_PATH, post_webhook, subscription
from tests.billing.test_subscription_flows import subscribe
from tests.onboarding.schema_cleanup import drop_new_workspace_schemas_fixture  # noqa: F401
from tests.stripe_double_fixture import TEST_WEBHOOK_SECRET

pytestmark = pytest.mark.django_db


def _event(event_id: str = "evt_test_1") -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "customer.subscription.updated",
            "data": {"object": {"id": "sub_x", "object": "subscription", "customer": "cus_x"}},
        }
    ).encode()


def test_forged_stale_and_unsigned_webhooks_are_refused_and_change_nothing(stripe_settings):
    from stripe_double import sign

    payload = _event()
    forged = sign(payload, "whsec_someone_else")
    stale = sign(payload, TEST_WEBHOOK_SECRET, timestamp=int(time.time()) - 3600)
    tampered_body = payload.replace(b"sub_x", b"sub_y")
    good_for_other_body = sign(payload, TEST_WEBHOOK_SECRET)

    assert post_webhook(payload, None).status_code == 400
    assert post_webhook(payload, forged).status_code == 400
    assert post_webhook(payload, stale).status_code == 400
    assert post_webhook(payload, "t=1,v1=nonsense").status_code == 400
    assert post_webhook(tampered_body, good_for_other_body).status_code == 400
    assert not StripeEvent.objects.exists()


def test_a_signed_event_is_stored_once_with_its_type(stripe_settings):
    from stripe_double import sign

    payload = _event("evt_once")
    signature = sign(payload, TEST_WEBHOOK_SECRET)

    first = post_webhook(payload, signature)
    second = post_webhook(payload, signature)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["duplicate"] is True
    assert StripeEvent.objects.filter(pk="evt_once").count() == 1


def test_shuffled_and_repeated_events_give_the_same_final_state(
    workspace, stripe_settings, deliver
):
    double = stripe_settings
    client = subscribe(workspace, double, deliver, seats=2)
    client.post("/settings/billing/seats/", {"seats": 4, "request_key": "add"})
    double.advance_clock(days=32)
    deliver()  # in Stripe's order: the state to expect
    expected = billing_status(workspace.workspace)
    # Stripe's whole history of this subscription, replayed to a second copy of the state:
    # reset what the events built, then deliver them shuffled, twice.
    all_hooks = [
        (json.dumps(event).encode(), event)
        for event in double.events()
        if event["type"].startswith(("checkout.", "customer.subscription.", "invoice."))
    ]
    assert len(all_hooks) > 5
    from billing.models import Subscription

    StripeEvent.objects.all().delete()
    Subscription.objects.filter(workspace=workspace.workspace).update(
        status=SubscriptionStatus.TRIALING,
        stripe_subscription_id="",
        seats_paid=0,
        renewal_seats=None,
        current_period_end=None,
    )
    from stripe_double import sign

    shuffled = list(all_hooks) * 2
    random.Random(9).shuffle(shuffled)
    for payload, _event_dict in shuffled:
        assert post_webhook(payload, sign(payload, TEST_WEBHOOK_SECRET)).status_code == 200

    final = billing_status(workspace.workspace)
    for key in ("status", "plan", "seats_paid", "renewal_seats", "current_period_end"):
        assert final[key] == expected[key], key


@pytest.mark.usefixtures("drop_new_workspace_schemas")
def test_the_same_event_delivered_five_times_at_once_has_one_effect(
    make_workspace, stripe_settings, settings
):
    double = stripe_settings
    new = make_workspace("fivefold")
    from billing.models import Plan
    from tests.billing.conftest import admin_client

    admin_client(new).post(
        "/settings/billing/subscribe/",
        {
            "plan": Plan.objects.get(code="team").pk,
            "period": "month",
            "seats": 2,
            "attempt_key": "a",
        },
    )
    double.complete_checkout(subscription(new).stripe_checkout_session_id)
    hooks = [h for h in double.take_webhooks() if h.event["type"] == "checkout.session.completed"]
    assert len(hooks) == 1
    hook = hooks[0]
    statuses: list[int] = []
    barrier = threading.Barrier(5)

    def post() -> None:
        client = Client(HTTP_HOST="localhost")
        barrier.wait()
        response = client.post(
            WEBHOOK_PATH,
            data=hook.payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=hook.signature,
        )
        statuses.append(response.status_code)
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * 5
    assert StripeEvent.objects.filter(pk=hook.event["id"]).count() == 1
    assert StripeEvent.objects.get(pk=hook.event["id"]).processed_at is not None
    assert SeatLedgerEntry.objects.filter(workspace=new.workspace, reason="subscribed").count() == 1
    assert subscription(new).status == SubscriptionStatus.ACTIVE


def test_stripe_events_command_lists_and_replays(workspace, stripe_settings, deliver, capsys):
    subscribe(workspace, stripe_settings, deliver, seats=1)
    event = StripeEvent.objects.filter(type="checkout.session.completed").get()

    call_command("stripe_events", "--json")
    listed = json.loads(capsys.readouterr().out)
    assert {row["id"] for row in listed} >= {event.id}
    assert {"id", "type", "received", "processed", "error"} <= set(listed[0])

    call_command("stripe_events", "--json", "--id", event.id, "--replay")
    replayed = json.loads(capsys.readouterr().out)
    assert replayed["processed"] is not None
    assert replayed["attempts"] == 2
    assert SeatLedgerEntry.objects.filter(workspace=workspace.workspace).count() == 1
