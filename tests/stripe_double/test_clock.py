"""Time passing: renewals, trial ends, failed payments and their retries, cancellations."""

from __future__ import annotations

import pytest
import stripe

from .helpers import APRIL_1, DAY, advance, clocked_customer, seat_price


def types_since(double, start: int) -> list[str]:
    return double.event_types()[start:]


def test_renewal_invoices_and_charges_the_default_card(stripe_double):
    price = seat_price(1000)
    clock, customer = clocked_customer()
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id, "quantity": 3}]
    )
    mark = len(stripe_double.events())
    advance(clock, APRIL_1 + 30 * DAY + 60)
    renewed = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice"])
    item = renewed["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (
        APRIL_1 + 30 * DAY,
        APRIL_1 + 61 * DAY,  # 1 May -> 1 June
    )
    assert renewed.status == "active"
    assert renewed.latest_invoice.billing_reason == "subscription_cycle"
    assert renewed.latest_invoice.amount_paid == 3000
    assert renewed.latest_invoice.period_start == APRIL_1 + 30 * DAY
    types = types_since(stripe_double, mark)
    for expected in (
        "invoice.created",
        "invoice.finalized",
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
    ):
        assert expected in types
    # Two more months: two more invoices.
    advance(clock, APRIL_1 + 92 * DAY)
    assert len(stripe.Invoice.list(subscription=sub.id).data) == 4


def test_global_clock_moves_customers_without_a_test_clock(stripe_double):
    price = seat_price(500)
    customer = stripe.Customer.create(payment_method="pm_card_visa")
    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}])
    end = sub["items"].data[0].current_period_end
    before = stripe_double.now()
    stripe_double.advance_clock(days=32)
    assert stripe_double.now() >= before + 32 * DAY
    renewed = stripe.Subscription.retrieve(sub.id)
    assert renewed["items"].data[0].current_period_start == end
    assert len(stripe.Invoice.list(subscription=sub.id).data) == 2


def test_trial_end_with_a_card_starts_paying(stripe_double):
    price = seat_price(1000)
    clock, customer = clocked_customer()
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id, "quantity": 2}], trial_period_days=14
    )
    assert sub.status == "trialing"
    assert sub.trial_end == APRIL_1 + 14 * DAY
    advance(clock, APRIL_1 + 11 * DAY + 1)
    assert "customer.subscription.trial_will_end" in stripe_double.event_types()
    advance(clock, APRIL_1 + 14 * DAY + 1)
    after = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice"])
    assert after.status == "active"
    assert after.latest_invoice.amount_paid == 2000
    assert after["items"].data[0].current_period_start == APRIL_1 + 14 * DAY
    assert after["items"].data[0].current_period_end == APRIL_1 + 44 * DAY  # 15 Apr -> 15 May
    updated = stripe_double.events("customer.subscription.updated")[-1]
    assert updated["data"]["previous_attributes"]["status"] == "trialing"


def test_trial_end_without_a_card_leaves_an_open_invoice_and_past_due(stripe_double):
    price = seat_price(1000)
    clock, customer = clocked_customer(card=None)
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id}], trial_period_days=7
    )
    advance(clock, APRIL_1 + 8 * DAY)
    after = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice"])
    assert after.status == "past_due"
    assert after.latest_invoice.status == "open"
    assert after.latest_invoice.amount_remaining == 1000
    assert "invoice.payment_failed" in stripe_double.event_types()

    # The customer adds a card: the open invoice is paid at once, the subscription is active.
    stripe_double.update_card(customer.id)
    recovered = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice"])
    assert recovered.latest_invoice.status == "paid"
    assert recovered.status == "active"


def test_trial_end_without_a_card_can_cancel_or_pause(stripe_double):
    price = seat_price(1000)
    clock, customer = clocked_customer(card=None)
    cancel = stripe.Subscription.create(
        customer=customer.id,
        items=[{"price": price.id}],
        trial_period_days=7,
        trial_settings={"end_behavior": {"missing_payment_method": "cancel"}},
    )
    pause = stripe.Subscription.create(
        customer=customer.id,
        items=[{"price": price.id}],
        trial_period_days=7,
        trial_settings={"end_behavior": {"missing_payment_method": "pause"}},
    )
    advance(clock, APRIL_1 + 8 * DAY)
    assert stripe.Subscription.retrieve(cancel.id).status == "canceled"
    assert stripe.Subscription.retrieve(pause.id).status == "paused"
    assert "customer.subscription.deleted" in stripe_double.event_types()
    assert "customer.subscription.paused" in stripe_double.event_types()


def test_failing_card_makes_the_renewal_past_due_then_retries(stripe_double):
    price = seat_price(1000)
    clock, customer = clocked_customer()
    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}])
    stripe_double.set_card_failing(customer.id)
    renewal_at = APRIL_1 + 30 * DAY
    advance(clock, renewal_at + 60)
    failed = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice"])
    assert failed.status == "past_due"
    invoice = failed.latest_invoice
    assert invoice.status == "open"
    assert invoice.attempt_count == 1
    assert invoice.next_payment_attempt == renewal_at + 3 * DAY
    for expected in ("charge.failed", "payment_intent.payment_failed", "invoice.payment_failed"):
        assert expected in stripe_double.event_types()

    advance(clock, renewal_at + 3 * DAY + 60)  # second attempt fails too
    assert stripe.Invoice.retrieve(invoice.id).attempt_count == 2

    stripe_double.set_card_failing(customer.id, failing=False)
    advance(clock, renewal_at + 8 * DAY + 60)  # third attempt (5 days later) succeeds
    paid = stripe.Invoice.retrieve(invoice.id)
    assert paid.status == "paid"
    assert paid.attempt_count == 3
    assert stripe.Subscription.retrieve(sub.id).status == "active"


def test_every_retry_failing_cancels_the_subscription(stripe_double):
    price = seat_price(1000)
    clock, customer = clocked_customer(card="pm_card_chargeCustomerFail")
    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}])
    assert sub.status == "incomplete"  # the first payment already fails
    stripe_double.update_card(customer.id)  # a good card pays the first invoice
    assert stripe.Subscription.retrieve(sub.id).status == "active"
    stripe_double.set_card_failing(customer.id)
    advance(clock, APRIL_1 + 30 * DAY + 16 * DAY)
    ended = stripe.Subscription.retrieve(sub.id)
    assert ended.status == "canceled"
    assert ended.cancellation_details.reason == "payment_failed"
    assert stripe.Invoice.retrieve(ended.latest_invoice).attempt_count == 4


def test_paying_the_open_invoice_by_api_restores_active(stripe_double):
    price = seat_price(1000)
    clock, customer = clocked_customer()
    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}])
    stripe_double.set_card_failing(customer.id)
    advance(clock, APRIL_1 + 31 * DAY)
    invoice_id = stripe.Subscription.retrieve(sub.id).latest_invoice
    with pytest.raises(stripe.CardError) as err:
        stripe.Invoice.pay(invoice_id)
    assert err.value.code == "card_declined"
    stripe_double.set_card_failing(customer.id, failing=False)
    assert stripe.Invoice.pay(invoice_id).status == "paid"
    assert stripe.Subscription.retrieve(sub.id).status == "active"


def test_cancel_at_period_end_runs_to_the_end_then_deletes(stripe_double):
    price = seat_price(1000)
    clock, customer = clocked_customer()
    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}])
    advance(clock, APRIL_1 + 10 * DAY)
    pending = stripe.Subscription.modify(sub.id, cancel_at_period_end=True)
    assert pending.status == "active"
    assert pending.cancel_at_period_end is True
    assert pending.cancel_at == APRIL_1 + 30 * DAY
    advance(clock, APRIL_1 + 31 * DAY)
    ended = stripe.Subscription.retrieve(sub.id)
    assert ended.status == "canceled"
    assert ended.ended_at == APRIL_1 + 30 * DAY
    assert len(stripe.Invoice.list(subscription=sub.id).data) == 1  # no renewal invoice
    deleted = stripe_double.events("customer.subscription.deleted")
    assert [e["data"]["object"]["id"] for e in deleted] == [sub.id]
    # Resubscribing works.
    again = stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}])
    assert again.status == "active"


def test_incomplete_subscription_expires_after_23_hours(stripe_double):
    price = seat_price(1000)
    clock, customer = clocked_customer(card=None)
    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}])
    assert sub.status == "incomplete"
    advance(clock, APRIL_1 + DAY)
    expired = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice"])
    assert expired.status == "incomplete_expired"
    assert expired.latest_invoice.status == "void"


def test_test_clock_only_moves_its_own_customers(stripe_double):
    price = seat_price(1000)
    clock, on_clock = clocked_customer()
    other = stripe.Customer.create(payment_method="pm_card_visa")
    stripe.Subscription.create(customer=on_clock.id, items=[{"price": price.id}])
    other_sub = stripe.Subscription.create(customer=other.id, items=[{"price": price.id}])
    advance(clock, APRIL_1 + 65 * DAY)
    assert len(stripe.Invoice.list(subscription=other_sub.id).data) == 1
    assert len(stripe.Invoice.list(customer=on_clock.id).data) == 3


def test_invoice_upcoming_is_sent_a_week_before_renewal(stripe_double):
    price = seat_price(1000)
    clock, customer = clocked_customer()
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id, "quantity": 2}]
    )
    advance(clock, APRIL_1 + 22 * DAY)
    assert "invoice.upcoming" not in stripe_double.event_types()
    advance(clock, APRIL_1 + 23 * DAY + 1)
    [event] = stripe_double.events("invoice.upcoming")
    assert "id" not in event["data"]["object"]
    assert event["data"]["object"]["amount_due"] == 2000
    assert event["data"]["object"]["subscription"] == sub.id
    assert event["created"] == APRIL_1 + 23 * DAY
