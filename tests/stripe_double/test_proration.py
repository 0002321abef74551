"""Proration amounts: the remaining fraction of the period, to the second, rounded half up.

All on a Stripe test clock frozen at 1 April 2026 00:00 UTC (April: a 30-day period).
"""

from __future__ import annotations

import stripe

from .helpers import APRIL_1, DAY, advance, clocked_customer, seat_price


def subscribe(
    price: stripe.Price, quantity: int
) -> tuple[stripe.test_helpers.TestClock, stripe.Subscription]:
    clock, customer = clocked_customer(frozen_time=APRIL_1)
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id, "quantity": quantity}]
    )
    return clock, sub


def test_adding_seats_mid_period_with_always_invoice_charges_the_difference_now(stripe_double):
    price = seat_price(1000)
    clock, sub = subscribe(price, 2)
    start, end = sub["items"].data[0].current_period_start, sub["items"].data[0].current_period_end
    assert (start, end) == (APRIL_1, APRIL_1 + 30 * DAY)
    advance(clock, APRIL_1 + 15 * DAY)  # half the period left

    updated = stripe.Subscription.modify(
        sub.id,
        items=[{"id": sub["items"].data[0].id, "quantity": 5}],
        proration_behavior="always_invoice",
        expand=["latest_invoice"],
    )
    invoice = updated.latest_invoice
    assert invoice.billing_reason == "subscription_update"
    assert [(line.amount, line.description) for line in invoice.lines.data] == [
        (-1000, "Unused time on 2 × Team plan after 16 Apr 2026"),
        (2500, "Remaining time on 5 × Team plan after 16 Apr 2026"),
    ]
    assert invoice.amount_due == 1500
    assert invoice.status == "paid"
    assert invoice.amount_paid == 1500
    assert updated["items"].data[0].quantity == 5
    # The period is unchanged; the next renewal bills 5 seats in full.
    assert updated["items"].data[0].current_period_end == end
    advance(clock, end)
    renewed = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice"])
    assert renewed.latest_invoice.amount_paid == 5000
    assert renewed.latest_invoice.billing_reason == "subscription_cycle"


def test_fraction_is_to_the_second_and_rounds_half_up(stripe_double):
    price = seat_price(999)
    clock, sub = subscribe(price, 1)
    # 10 days and 7 seconds in: remaining = 20 days - 7 s of 30 days.
    advance(clock, APRIL_1 + 10 * DAY + 7)
    remaining, total = 20 * DAY - 7, 30 * DAY
    updated = stripe.Subscription.modify(
        sub.id,
        items=[{"id": sub["items"].data[0].id, "quantity": 3}],
        proration_behavior="always_invoice",
        expand=["latest_invoice"],
    )
    credit = -int(999 * remaining / total + 0.5)
    charge = int(3 * 999 * remaining / total + 0.5)
    assert [line.amount for line in updated.latest_invoice.lines.data] == [credit, charge]
    assert (credit, charge) == (-666, 1998)


def test_create_prorations_waits_for_the_next_invoice(stripe_double):
    price = seat_price(1000)
    clock, sub = subscribe(price, 2)
    advance(clock, APRIL_1 + 10 * DAY)
    updated = stripe.Subscription.modify(
        sub.id,
        items=[{"id": sub["items"].data[0].id, "quantity": 3}],
        proration_behavior="create_prorations",
    )
    assert updated.latest_invoice == sub.latest_invoice  # nothing invoiced now
    pending = stripe.InvoiceItem.list(customer=sub.customer, pending=True).data
    assert sorted(i.amount for i in pending) == [-1333, 2000]
    assert all(i.proration for i in pending)

    advance(clock, APRIL_1 + 30 * DAY)
    renewal = stripe.Invoice.retrieve(stripe.Subscription.retrieve(sub.id).latest_invoice)
    assert renewal.amount_due == 3000 - 1333 + 2000
    assert len(renewal.lines.data) == 3
    assert stripe.InvoiceItem.list(customer=sub.customer, pending=True).data == []


def test_reducing_seats_without_proration_changes_only_the_next_renewal(stripe_double):
    price = seat_price(1000)
    clock, sub = subscribe(price, 5)
    advance(clock, APRIL_1 + 10 * DAY)
    stripe.Subscription.modify(
        sub.id,
        items=[{"id": sub["items"].data[0].id, "quantity": 3}],
        proration_behavior="none",
    )
    assert stripe.InvoiceItem.list(customer=sub.customer, pending=True).data == []
    advance(clock, APRIL_1 + 30 * DAY)
    renewal = stripe.Invoice.retrieve(stripe.Subscription.retrieve(sub.id).latest_invoice)
    assert renewal.amount_paid == 3000


def test_upgrade_to_a_dearer_price_prorates_both_prices(stripe_double):
    team = seat_price(1000, name="Team")
    business = seat_price(2000, name="Business")
    clock, sub = subscribe(team, 2)
    advance(clock, APRIL_1 + 20 * DAY)  # a third left
    updated = stripe.Subscription.modify(
        sub.id,
        items=[{"id": sub["items"].data[0].id, "price": business.id}],
        proration_behavior="always_invoice",
        expand=["latest_invoice"],
    )
    lines = [(line.amount, line.description) for line in updated.latest_invoice.lines.data]
    assert lines == [
        (-667, "Unused time on 2 × Team after 21 Apr 2026"),
        (1333, "Remaining time on 2 × Business after 21 Apr 2026"),
    ]
    assert updated["items"].data[0].price.id == business.id


def test_switching_monthly_to_yearly_restarts_the_period_with_a_credit(stripe_double):
    monthly = seat_price(1000, interval="month")
    yearly = stripe.Price.create(
        product=monthly.product, unit_amount=10000, currency="eur", recurring={"interval": "year"}
    )
    clock, sub = subscribe(monthly, 2)
    advance(clock, APRIL_1 + 15 * DAY)
    updated = stripe.Subscription.modify(
        sub.id,
        items=[{"id": sub["items"].data[0].id, "price": yearly.id}],
        proration_behavior="create_prorations",
        expand=["latest_invoice"],
    )
    item = updated["items"].data[0]
    assert item.current_period_start == APRIL_1 + 15 * DAY
    assert item.current_period_end == APRIL_1 + 15 * DAY + 365 * DAY
    invoice = updated.latest_invoice
    assert sorted(line.amount for line in invoice.lines.data) == [-1000, 20000]
    assert invoice.amount_paid == 19000


def test_downgrade_credit_becomes_customer_balance(stripe_double):
    price = seat_price(1000)
    clock, sub = subscribe(price, 4)
    advance(clock, APRIL_1 + 15 * DAY)
    updated = stripe.Subscription.modify(
        sub.id,
        items=[{"id": sub["items"].data[0].id, "quantity": 1}],
        proration_behavior="always_invoice",
        expand=["latest_invoice"],
    )
    assert updated.latest_invoice.total == -1500
    assert updated.latest_invoice.amount_due == 0
    assert stripe.Customer.retrieve(sub.customer).balance == -1500
    advance(clock, APRIL_1 + 30 * DAY)
    renewal = stripe.Invoice.retrieve(stripe.Subscription.retrieve(sub.id).latest_invoice)
    assert renewal.total == 1000
    assert renewal.amount_due == 0  # paid from the credit
    assert stripe.Customer.retrieve(sub.customer).balance == -500


def test_no_proration_during_a_trial(stripe_double):
    price = seat_price(1000)
    _clock, customer = clocked_customer(frozen_time=APRIL_1)
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id, "quantity": 2}], trial_period_days=14
    )
    stripe.Subscription.modify(
        sub.id,
        items=[{"id": sub["items"].data[0].id, "quantity": 4}],
        proration_behavior="always_invoice",
    )
    assert stripe.InvoiceItem.list(customer=customer.id).data == []


def test_preview_shows_the_proration_without_storing_it(stripe_double):
    price = seat_price(1000)
    clock, sub = subscribe(price, 2)
    advance(clock, APRIL_1 + 15 * DAY)
    events_before = len(stripe_double.events())
    preview = stripe.Invoice.create_preview(
        customer=sub.customer,
        subscription=sub.id,
        subscription_details={
            "items": [{"id": sub["items"].data[0].id, "quantity": 3}],
            "proration_behavior": "always_invoice",
            "proration_date": APRIL_1 + 15 * DAY,
        },
    )
    assert preview.amount_due == 500
    assert [line.amount for line in preview.lines.data] == [-1000, 1500]
    assert preview.id.startswith("upcoming_")
    assert stripe.Subscription.retrieve(sub.id)["items"].data[0].quantity == 2
    assert stripe.InvoiceItem.list(customer=sub.customer).data == []
    assert len(stripe_double.events()) == events_before

    upcoming = stripe.Invoice.create_preview(customer=sub.customer, subscription=sub.id)
    assert upcoming.amount_due == 2000
    assert upcoming.period_start == APRIL_1 + 30 * DAY


def test_subscription_item_endpoints_prorate_too(stripe_double):
    price = seat_price(1000)
    clock, sub = subscribe(price, 2)
    advance(clock, APRIL_1 + 15 * DAY)
    stripe.SubscriptionItem.modify(
        sub["items"].data[0].id, quantity=4, proration_behavior="always_invoice"
    )
    invoice = stripe.Invoice.retrieve(stripe.Subscription.retrieve(sub.id).latest_invoice)
    assert invoice.amount_paid == 1000
