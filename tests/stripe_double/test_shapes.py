"""The double's objects have Stripe's shape: the keys and JSON types of Stripe's own
fixtures (``../shared/stripe/fixtures3.json``, from stripe/openapi).

Rules: every key Stripe sends is present and no other key appears (except the few listed in
``EXTRA_KEYS``, which the live API sends but the fixtures leave out); where both sides hold a
value, the JSON types match, recursively (a ``null`` on either side matches anything: the
fixtures fill nullable fields with made-up values and the double leaves them empty).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import stripe
from django.conf import settings

from .helpers import APRIL_1, DAY, clocked_customer, seat_price

FIXTURES = Path(settings.BASE_DIR).parent / "shared" / "stripe" / "fixtures3.json"

# Keys the live API sends that the fixture file leaves out (matched as path suffixes).
EXTRA_KEYS = (
    "pricing.price_details",  # invoice line items / invoice items: the price and product
    "data.previous_attributes",  # *.updated events
)
# Maps of the caller's own keys: only their type is compared.
FREE_FORM = ("metadata",)

# Where the fixture holds an unrelated object (an event's payload is whatever changed).
SKIP_PATHS = {"event": {"data.object", "data.previous_attributes"}}


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def compare(expected: Any, actual: Any, path: str, skip: set[str], problems: list[str]) -> None:
    if path in skip or expected is None or actual is None:
        return
    if json_type(expected) != json_type(actual):
        problems.append(
            f"{path or '.'}: Stripe sends {json_type(expected)}, double {json_type(actual)}"
        )
        return
    if isinstance(expected, dict) and not path.endswith(FREE_FORM):
        for key in sorted(expected.keys() - actual.keys()):
            problems.append(f"{path}.{key}: missing".lstrip("."))
        for key in sorted(actual.keys() - expected.keys()):
            dotted = f"{path}.{key}".lstrip(".")
            if not dotted.endswith(EXTRA_KEYS):
                problems.append(f"{dotted}: not in Stripe's object")
        for key in expected.keys() & actual.keys():
            compare(expected[key], actual[key], f"{path}.{key}".lstrip("."), skip, problems)
    elif isinstance(expected, list) and expected and actual:
        # Lists hold one kind of thing: compare each element against Stripe's first.
        for element in actual:
            compare(expected[0], element, f"{path}[]", skip, problems)


def shape_problems(shapes: dict[str, Any], kind: str, obj: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    compare(shapes[kind], obj, "", SKIP_PATHS.get(kind, set()), problems)
    return problems


@pytest.fixture(scope="module")
def shapes() -> dict[str, Any]:
    if not FIXTURES.exists():
        pytest.skip(
            f"Stripe's fixtures are not at {FIXTURES} (the shared/ folder next to the repo)"
        )
    return json.loads(FIXTURES.read_text())["resources"]


def exercise_everything(double) -> None:
    """Make the double create one of every object it implements, in several states."""
    price = seat_price(1000)
    product = stripe.Product.create(name="One-off")
    one_off = stripe.Price.create(product=product.id, unit_amount=500, currency="eur")

    clock, customer = clocked_customer(frozen_time=APRIL_1)
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id, "quantity": 2}]
    )
    stripe.Subscription.modify(
        sub.id,
        items=[{"id": sub["items"].data[0].id, "quantity": 3}],
        proration_behavior="create_prorations",
    )
    stripe.InvoiceItem.create(customer=customer.id, amount=300, currency="eur", description="x")
    stripe.test_helpers.TestClock.advance(clock.id, frozen_time=APRIL_1 + 31 * DAY)
    stripe.Subscription.modify(sub.id, cancel_at_period_end=True)

    session = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 1}],
        success_url="https://app.example/done",
        subscription_data={"trial_period_days": 7},
    )
    double.complete_checkout(session.id)
    payment = stripe.checkout.Session.create(
        mode="payment",
        line_items=[{"price": one_off.id, "quantity": 2}],
        success_url="https://app.example/done",
    )
    double.complete_checkout(payment.id)
    done = stripe.checkout.Session.retrieve(payment.id)
    stripe.Refund.create(payment_intent=done.payment_intent, amount=100)
    stripe.billing_portal.Session.create(customer=customer.id, return_url="https://app.example/")
    stripe.Customer.delete(stripe.Customer.create(email="gone@example.com").id)


def test_every_object_the_double_makes_has_stripes_shape(stripe_double, shapes):
    exercise_everything(stripe_double)
    seen: dict[str, int] = {}
    problems: list[str] = []
    with stripe_double.engine.lock:
        stored = [stripe_double.engine.render(o) for o in stripe_double.engine.objects.values()]
    for obj in stored:
        kind = obj["object"]
        seen[kind] = seen.get(kind, 0) + 1
        problems += [f"{kind} {obj['id']}: {p}" for p in shape_problems(shapes, kind, obj)]
        if kind == "invoice":
            for line in obj["lines"]["data"]:
                problems += [f"line_item: {p}" for p in shape_problems(shapes, "line_item", line)]
        if kind == "subscription_item":
            problems += [f"plan: {p}" for p in shape_problems(shapes, "plan", obj["plan"])]
    assert not problems, "\n".join(problems)
    for kind in (
        "customer",
        "product",
        "price",
        "subscription",
        "subscription_item",
        "invoice",
        "invoiceitem",
        "checkout.session",
        "billing_portal.session",
        "payment_intent",
        "payment_method",
        "charge",
        "refund",
        "event",
        "test_helpers.test_clock",
    ):
        assert seen.get(kind), f"no {kind} made: the test misses a kind"


def test_api_answers_have_stripes_shape(stripe_double, shapes):
    """The same through HTTP: lists, deletions, previews and checkout line items."""
    exercise_everything(stripe_double)
    customer = stripe.Customer.list(limit=1).data[0]
    problems = shape_problems(shapes, "customer", json.loads(str(customer)))
    deleted = stripe.Customer.delete(stripe.Customer.create().id)
    problems += shape_problems(shapes, "deleted_customer", json.loads(str(deleted)))
    session = stripe.checkout.Session.list(limit=1).data[0]
    for item in stripe.checkout.Session.list_line_items(session.id).data:
        problems += shape_problems(shapes, "item", json.loads(str(item)))
    sub = stripe.Subscription.list(limit=1).data[0]
    preview = stripe.Invoice.create_preview(customer=sub.customer, subscription=sub.id)
    problems += shape_problems(shapes, "invoice", json.loads(str(preview)))

    price = stripe.Price.list(type="recurring", limit=1).data[0]
    customer = stripe.Customer.create(payment_method="pm_card_visa")
    two = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id}, {"price": seat_price(5).id}]
    )
    deleted_item = stripe.SubscriptionItem.delete(
        two["items"].data[1].id, proration_behavior="none"
    )
    problems += shape_problems(shapes, "deleted_subscription_item", json.loads(str(deleted_item)))
    ii = stripe.InvoiceItem.create(customer=customer.id, amount=100, currency="eur")
    problems += shape_problems(
        shapes, "deleted_invoiceitem", json.loads(str(stripe.InvoiceItem.delete(ii.id)))
    )
    product = stripe.Product.create(name="Temporary")
    problems += shape_problems(
        shapes, "deleted_product", json.loads(str(stripe.Product.delete(product.id)))
    )
    clock = stripe.test_helpers.TestClock.create(frozen_time=APRIL_1)
    problems += shape_problems(
        shapes,
        "deleted_test_helpers.test_clock",
        json.loads(str(stripe.test_helpers.TestClock.delete(clock.id))),
    )
    assert not problems, "\n".join(problems)


def test_event_payloads_have_the_shape_of_their_objects(stripe_double, shapes):
    exercise_everything(stripe_double)
    problems: list[str] = []
    kinds = set()
    for event in stripe_double.events():
        obj = event["data"]["object"]
        kinds.add(obj["object"])
        found = shape_problems(shapes, obj["object"], obj)
        if event["type"] == "invoice.upcoming":
            found.remove("id: missing")  # Stripe's upcoming invoice has no id
        problems += [f"{event['type']}: {p}" for p in found]
    assert not problems, "\n".join(problems)
    assert {"customer", "subscription", "invoice", "checkout.session", "charge"} <= kinds


def test_a_wrong_shape_is_reported():
    """The checker itself: a missing key, an extra key and a type change are all caught."""
    problems: list[str] = []
    compare({"a": 1, "b": {"c": "x"}}, {"b": {"c": 2}, "z": True}, "", set(), problems)
    assert problems == [
        "a: missing",
        "z: not in Stripe's object",
        "b.c: Stripe sends string, double integer",
    ]
