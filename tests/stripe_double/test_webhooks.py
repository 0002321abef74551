"""Webhooks from the double: signed exactly as Stripe signs, delivered, retried, or kept."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest
import stripe

from .helpers import seat_price

SECRET = "whsec_receiver_secret"


class Receiver:
    """A tiny webhook endpoint: verifies with the SDK, answers with scripted statuses."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.received: list[stripe.Event] = []
        self.attempts = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.attempts += 1
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    event = stripe.Webhook.construct_event(
                        body, self.headers["Stripe-Signature"], SECRET
                    )
                    if 200 <= status < 300:
                        receiver.received.append(event)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/billing/stripe/webhook/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def types(self) -> list[str]:
        with self.lock:
            return [e.type for e in self.received]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_sync_webhooks_arrive_signed_before_the_call_returns(stripe_double_factory, receiver):
    stripe_double_factory(webhook_url=receiver.url, webhook_secret=SECRET, webhook_mode="sync")
    customer = stripe.Customer.create(email="hook@example.com")
    assert receiver.types() == ["customer.created"]
    event = receiver.received[0]
    assert event.data.object.id == customer.id
    assert event.id.startswith("evt_")
    assert event.livemode is False


def test_checkout_completion_sends_the_subscription_events(stripe_double_factory, receiver):
    double = stripe_double_factory(
        webhook_url=receiver.url, webhook_secret=SECRET, webhook_mode="background"
    )
    price = seat_price(900)
    session = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 2}],
        success_url="https://app.example/done",
        client_reference_id="ws-1",
    )
    double.complete_checkout(session.id)
    assert double.wait_for_webhooks()
    types = receiver.types()
    for expected in (
        "customer.created",
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ):
        assert expected in types
    completed = next(e for e in receiver.received if e.type == "checkout.session.completed")
    assert completed.data.object.client_reference_id == "ws-1"
    assert completed.data.object.subscription.startswith("sub_")


def test_a_failing_endpoint_is_retried_until_it_answers_2xx(stripe_double_factory):
    receiver = Receiver(statuses=[500, 503])
    try:
        double = stripe_double_factory(
            webhook_url=receiver.url,
            webhook_secret=SECRET,
            webhook_mode="sync",
            retry_delays=(0.05, 0.05, 0.05),
        )
        stripe.Customer.create()
        assert double.wait_for_webhooks()
        assert receiver.attempts == 3
        assert receiver.types() == ["customer.created"]
        [event] = double.events()
        assert double.deliverer.status_of(event["id"]).history == [500, 503, 200]
    finally:
        receiver.close()


def test_kept_webhooks_can_be_taken_and_verified(stripe_double):
    customer = stripe.Customer.create(email="kept@example.com")
    assert [e["type"] for e in stripe_double.pending_events()] == ["customer.created"]
    [hook] = stripe_double.take_webhooks()
    event = stripe.Webhook.construct_event(
        hook.payload, hook.headers["Stripe-Signature"], stripe_double.webhook_secret
    )
    assert event.data.object.id == customer.id
    assert json.loads(hook.payload)["type"] == "customer.created"
    assert stripe_double.pending_events() == []
    assert stripe_double.take_webhooks() == []


def test_signature_is_stripes_scheme(stripe_double):
    stripe.Customer.create()
    [hook] = stripe_double.take_webhooks()
    parts = dict(p.split("=", 1) for p in hook.signature.split(","))
    assert set(parts) == {"t", "v1"}
    assert hook.signature == stripe_double.sign(hook.payload, int(parts["t"]))
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(hook.payload, hook.signature, "whsec_someone_else")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            hook.payload.replace(b"customer", b"kustomer"),
            hook.signature,
            stripe_double.webhook_secret,
        )
    stale = stripe_double.sign(hook.payload, int(parts["t"]) - 3600)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(hook.payload, stale, stripe_double.webhook_secret)


def test_webhook_handler_may_call_back_into_the_double(stripe_double_factory):
    """Delivery happens outside the double's lock: a handler that re-fetches does not hang."""
    seen: list[str] = []

    def poster(payload: bytes, headers: dict[str, str]) -> int:
        event = stripe.Webhook.construct_event(payload, headers["Stripe-Signature"], SECRET)
        seen.append(stripe.Customer.retrieve(event.data.object.id).email)
        return 200

    stripe_double_factory(webhook_secret=SECRET, webhook_mode="sync", webhook_poster=poster)
    stripe.Customer.create(email="again@example.com")
    assert seen == ["again@example.com"]


def test_a_declined_payment_still_sends_its_events(stripe_double):
    price = seat_price(900)
    customer = stripe.Customer.create(payment_method="pm_card_chargeCustomerFail")
    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}])
    stripe_double.take_webhooks()
    with pytest.raises(stripe.CardError):
        stripe.Invoice.pay(sub.latest_invoice)
    types = [e["type"] for e in stripe_double.pending_events()]
    assert "invoice.payment_failed" in types
    assert "charge.failed" in types
