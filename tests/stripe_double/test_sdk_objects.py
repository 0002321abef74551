"""The real ``stripe`` SDK against the double, object by object."""

from __future__ import annotations

import pytest
import stripe

from .helpers import APRIL_1, DAY, clocked_customer, seat_price


def test_customer_create_retrieve_update_list_search_delete(stripe_double):
    customer = stripe.Customer.create(
        email="ada@example.com", name="Ada", metadata={"workspace": "acme"}
    )
    assert customer.id.startswith("cus_")
    assert customer.object == "customer"
    assert stripe.Customer.retrieve(customer.id).email == "ada@example.com"

    updated = stripe.Customer.modify(customer.id, name="Ada L.", metadata={"plan": "team"})
    assert updated.name == "Ada L."
    assert updated.metadata.to_dict() == {"workspace": "acme", "plan": "team"}

    listed = stripe.Customer.list(email="ada@example.com")
    assert [c.id for c in listed.data] == [customer.id]
    found = stripe.Customer.search(query="metadata['workspace']:'acme'")
    assert [c.id for c in found.data] == [customer.id]

    deleted = stripe.Customer.delete(customer.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe.Customer.retrieve(customer.id)
    assert err.value.http_status == 404
    assert err.value.code == "resource_missing"


def test_list_pagination(stripe_double):
    ids = [stripe.Customer.create(email=f"c{i}@example.com").id for i in range(5)]
    page = stripe.Customer.list(limit=2)
    assert page.has_more is True
    assert [c.id for c in page.data] == ids[::-1][:2]
    assert [c.id for c in page.auto_paging_iter()] == ids[::-1]


def test_product_and_recurring_prices(stripe_double):
    product = stripe.Product.create(name="Team", metadata={"plan": "team"})
    monthly = stripe.Price.create(
        product=product.id,
        unit_amount=900,
        currency="eur",
        recurring={"interval": "month"},
        lookup_key="team_monthly",
    )
    yearly = stripe.Price.create(
        product=product.id, unit_amount=9000, currency="eur", recurring={"interval": "year"}
    )
    assert monthly.type == "recurring"
    assert monthly.recurring.interval == "month"
    assert yearly.recurring.interval == "year"
    assert str(monthly.unit_amount_decimal) == "900"
    assert {p.id for p in stripe.Price.list(product=product.id).data} == {monthly.id, yearly.id}
    assert [p.id for p in stripe.Price.list(lookup_keys=["team_monthly"]).data] == [monthly.id]
    assert stripe.Price.modify(yearly.id, active=False).active is False
    assert stripe.Product.modify(product.id, default_price=monthly.id).default_price == monthly.id


def test_missing_parameter_is_a_stripe_400(stripe_double):
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe.Price.create(unit_amount=100, currency="eur")
    assert err.value.http_status == 400
    assert err.value.code == "parameter_missing"
    assert err.value.param == "product"
    assert err.value.error.type == "invalid_request_error"


def test_subscription_with_quantity_and_items(stripe_double):
    price = seat_price(1200)
    customer = stripe.Customer.create(email="a@example.com", payment_method="pm_card_visa")
    sub = stripe.Subscription.create(
        customer=customer.id,
        items=[{"price": price.id, "quantity": 4}],
        metadata={"workspace": "acme"},
        expand=["latest_invoice"],
    )
    assert sub.status == "active"
    item = sub["items"].data[0]
    assert item.quantity == 4
    assert item.price.id == price.id
    assert item.current_period_end > item.current_period_start
    assert sub.latest_invoice.amount_paid == 4800
    assert sub.latest_invoice.status == "paid"
    assert sub.latest_invoice.billing_reason == "subscription_create"

    items = stripe.SubscriptionItem.list(subscription=sub.id)
    assert [i.id for i in items.data] == [item.id]
    changed = stripe.SubscriptionItem.modify(item.id, quantity=6, proration_behavior="none")
    assert changed.quantity == 6
    assert stripe.SubscriptionItem.retrieve(item.id).quantity == 6

    listed = stripe.Subscription.list(customer=customer.id)
    assert [s.id for s in listed.data] == [sub.id]

    canceled = stripe.Subscription.cancel(sub.id)
    assert canceled.status == "canceled"
    assert stripe.Subscription.list(customer=customer.id).data == []
    assert [s.id for s in stripe.Subscription.list(status="canceled").data] == [sub.id]


def test_subscription_without_card_is_incomplete_with_open_invoice(stripe_double):
    price = seat_price(500)
    customer = stripe.Customer.create(email="nocard@example.com")
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id}], expand=["latest_invoice"]
    )
    assert sub.status == "incomplete"
    assert sub.latest_invoice.status == "open"
    assert sub.latest_invoice.amount_remaining == 500


def test_error_if_incomplete_refuses_and_stores_nothing(stripe_double):
    price = seat_price(500)
    customer = stripe.Customer.create(payment_method="pm_card_chargeCustomerFail")
    with pytest.raises(stripe.CardError) as err:
        stripe.Subscription.create(
            customer=customer.id,
            items=[{"price": price.id}],
            payment_behavior="error_if_incomplete",
        )
    assert err.value.http_status == 402
    assert err.value.code == "card_declined"
    assert stripe.Subscription.list(customer=customer.id, status="all").data == []


def test_invoice_items_and_manual_invoice(stripe_double):
    customer = stripe.Customer.create(payment_method="pm_card_visa")
    ii = stripe.InvoiceItem.create(
        customer=customer.id, amount=2500, currency="eur", description="Setup"
    )
    assert ii.invoice is None
    invoice = stripe.Invoice.create(
        customer=customer.id, pending_invoice_items_behavior="include", auto_advance=False
    )
    assert invoice.status == "draft"
    assert invoice.amount_due == 2500
    assert [line.description for line in invoice.lines.data] == ["Setup"]
    assert stripe.InvoiceItem.retrieve(ii.id).invoice == invoice.id
    finalized = stripe.Invoice.finalize_invoice(invoice.id)
    assert finalized.status == "open"
    assert finalized.hosted_invoice_url.startswith(stripe_double.url)
    assert finalized.invoice_pdf.endswith("/pdf")
    paid = stripe.Invoice.pay(invoice.id)
    assert paid.status == "paid"
    assert paid.amount_paid == 2500
    lines = stripe.Invoice.list_lines(invoice.id)
    assert lines.data[0].amount == 2500
    assert [i.id for i in stripe.Invoice.list(customer=customer.id).data] == [invoice.id]


def test_void_invoice(stripe_double):
    customer = stripe.Customer.create()
    stripe.InvoiceItem.create(customer=customer.id, amount=100, currency="eur")
    invoice = stripe.Invoice.create(customer=customer.id, pending_invoice_items_behavior="include")
    stripe.Invoice.finalize_invoice(invoice.id, auto_advance=False)
    assert stripe.Invoice.void_invoice(invoice.id).status == "void"


def test_checkout_subscription_mode_completed_by_the_test_api(stripe_double):
    price = seat_price(900)
    session = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 3}],
        success_url="https://app.example/billing/done?session={CHECKOUT_SESSION_ID}",
        cancel_url="https://app.example/billing/",
        client_reference_id="workspace-7",
        metadata={"workspace": "acme"},
        subscription_data={"metadata": {"workspace": "acme"}},
        customer_email="owner@example.com",
    )
    assert session.status == "open"
    assert session.payment_status == "unpaid"
    assert session.url == f"{stripe_double.url}/_double/checkout/{session.id}"
    assert session.subscription is None

    stripe_double.complete_checkout(session.id)

    done = stripe.checkout.Session.retrieve(session.id, expand=["subscription"])
    assert done.status == "complete"
    assert done.payment_status == "paid"
    assert done.client_reference_id == "workspace-7"
    assert done.metadata.to_dict() == {"workspace": "acme"}
    assert done.subscription.status == "active"
    assert done.subscription["items"].data[0].quantity == 3
    assert done.subscription.metadata.to_dict() == {"workspace": "acme"}
    customer = stripe.Customer.retrieve(done.customer)
    assert customer.email == "owner@example.com"
    assert customer.invoice_settings.default_payment_method.startswith("pm_")
    assert "checkout.session.completed" in stripe_double.event_types()


def test_checkout_with_trial_charges_nothing_today(stripe_double):
    price = seat_price(900)
    session = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 2}],
        success_url="https://app.example/done",
        subscription_data={"trial_period_days": 14},
    )
    stripe_double.complete_checkout(session.id)
    done = stripe.checkout.Session.retrieve(session.id, expand=["subscription.latest_invoice"])
    assert done.payment_status == "no_payment_required"
    assert done.subscription.status == "trialing"
    assert done.subscription.trial_end - done.subscription.trial_start == 14 * DAY
    assert done.subscription.latest_invoice.amount_due == 0


def test_checkout_declined_card_keeps_the_session_open(stripe_double):
    price = seat_price(900)
    session = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 1}],
        success_url="https://app.example/done",
    )
    stripe_double.fail_checkout(session.id)
    again = stripe.checkout.Session.retrieve(session.id)
    assert again.status == "open"
    assert again.subscription is None
    assert stripe.checkout.Session.expire(session.id).status == "expired"


def test_checkout_payment_mode_and_refund(stripe_double):
    product = stripe.Product.create(name="Data import service")
    price = stripe.Price.create(product=product.id, unit_amount=4900, currency="eur")
    session = stripe.checkout.Session.create(
        mode="payment",
        line_items=[{"price": price.id, "quantity": 1}],
        success_url="https://app.example/done",
        payment_intent_data={"metadata": {"order": "42"}},
    )
    assert session.amount_total == 4900
    stripe_double.complete_checkout(session.id)
    done = stripe.checkout.Session.retrieve(session.id, expand=["payment_intent"])
    assert done.status == "complete"
    assert done.payment_status == "paid"
    pi = done.payment_intent
    assert pi.status == "succeeded"
    assert pi.amount_received == 4900
    assert pi.metadata.to_dict() == {"order": "42"}

    refund = stripe.Refund.create(payment_intent=pi.id, amount=900)
    assert refund.status == "succeeded"
    assert refund.amount == 900
    charge = stripe.Charge.retrieve(pi.latest_charge)
    assert charge.amount_refunded == 900
    assert charge.refunded is False
    assert "charge.refunded" in stripe_double.event_types()
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Refund.create(payment_intent=pi.id, amount=5000)


def test_checkout_line_items(stripe_double):
    price = seat_price(700, name="Pro")
    session = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 2}],
        success_url="https://app.example/done",
    )
    lines = stripe.checkout.Session.list_line_items(session.id)
    assert lines.data[0].quantity == 2
    assert lines.data[0].amount_total == 1400
    assert lines.data[0].description == "Pro"


def test_payment_intent_confirm_and_decline(stripe_double):
    customer = stripe.Customer.create()
    pi = stripe.PaymentIntent.create(amount=1500, currency="eur", customer=customer.id)
    assert pi.status == "requires_payment_method"
    ok = stripe.PaymentIntent.confirm(pi.id, payment_method="pm_card_visa")
    assert ok.status == "succeeded"
    failing = stripe.PaymentIntent.create(amount=1500, currency="eur", customer=customer.id)
    with pytest.raises(stripe.CardError):
        stripe.PaymentIntent.confirm(failing.id, payment_method="pm_card_chargeCustomerFail")
    assert stripe.PaymentIntent.retrieve(failing.id).status == "requires_payment_method"
    assert stripe.PaymentIntent.cancel(failing.id).status == "canceled"


def test_billing_portal_session(stripe_double):
    customer = stripe.Customer.create(email="p@example.com")
    session = stripe.billing_portal.Session.create(
        customer=customer.id, return_url="https://app.example/billing/"
    )
    assert session.object == "billing_portal.session"
    assert session.url.startswith(stripe_double.url + "/_double/portal/")
    assert session.return_url == "https://app.example/billing/"


def test_events_are_listable_and_retrievable(stripe_double):
    customer = stripe.Customer.create(email="e@example.com")
    events = stripe.Event.list(type="customer.created")
    assert [e.data.object.id for e in events.data] == [customer.id]
    event = stripe.Event.retrieve(events.data[0].id)
    assert event.type == "customer.created"
    assert event.api_version == stripe.api_version


def test_test_clock_lifecycle(stripe_double):
    clock = stripe.test_helpers.TestClock.create(frozen_time=APRIL_1, name="renewals")
    assert clock.status == "ready"
    advanced = stripe.test_helpers.TestClock.advance(clock.id, frozen_time=APRIL_1 + DAY)
    assert advanced.frozen_time == APRIL_1 + DAY
    assert [c.id for c in stripe.test_helpers.TestClock.list().data] == [clock.id]
    assert stripe.test_helpers.TestClock.delete(clock.id).deleted is True


def test_stripe_client_works_too(stripe_double):
    client = stripe.StripeClient("sk_test_client", base_addresses={"api": stripe_double.url})
    customer = client.v1.customers.create(params={"email": "client@example.com"})
    assert client.v1.customers.retrieve(customer.id).email == "client@example.com"


def test_expand_nested_paths(stripe_double):
    price = seat_price(300)
    _clock, customer = clocked_customer()
    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}])
    got = stripe.Subscription.retrieve(
        sub.id, expand=["customer", "latest_invoice", "items.data.price.product"]
    )
    assert got.customer.id == customer.id
    assert got.latest_invoice.id == sub.latest_invoice
    assert got["items"].data[0].price.product.name == "Team plan"


def test_unauthenticated_request_is_refused(stripe_double):
    stripe.api_key = None
    with pytest.raises(stripe.AuthenticationError):
        stripe.Customer.list()


def test_checkout_line_items_expand(stripe_double):
    price = seat_price(700)
    session = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 3}],
        success_url="https://app.example/done",
        expand=["line_items"],
    )
    assert session.line_items.data[0].quantity == 3
    assert "line_items" not in stripe.checkout.Session.retrieve(session.id)


def test_concurrent_requests_keep_state_consistent(stripe_double):
    """Many threads changing one subscription: every change lands, none is lost."""
    import threading

    price = seat_price(100)
    customer = stripe.Customer.create(payment_method="pm_card_visa")
    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}])
    item_id = sub["items"].data[0].id
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(5):
                stripe.Customer.create(email=f"t{n}-{i}@example.com")
                stripe.SubscriptionItem.modify(
                    item_id, quantity=n * 10 + i + 2, proration_behavior="none"
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(list(stripe.Customer.list(limit=100).auto_paging_iter())) == 31
    updates = stripe_double.events("customer.subscription.updated")
    assert len(updates) == 1 + 30  # incomplete -> active at creation, then every change
    final = stripe.Subscription.retrieve(sub.id)["items"].data[0].quantity
    assert final == updates[-1]["data"]["object"]["items"]["data"][0]["quantity"]


def test_unknown_parameters_are_refused_as_stripe_does(stripe_double):
    price = seat_price(100)
    customer = stripe.Customer.create()
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe.Customer.create(emial="typo@example.com")
    assert err.value.code == "parameter_unknown"
    assert err.value.param == "emial"
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe.Subscription.create(customer=customer.id, items=[{"price": price.id, "qty": 2}])
    assert err.value.param == "items[0][qty]"
    assert "Received unknown parameter: items[0][qty]" in str(err.value)
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe.checkout.Session.create(
            mode="subscription",
            line_items=[{"price": price.id, "quantity": 1}],
            success_url="https://app.example/done",
            subscription_data={"trial_days": 3},
        )
    assert err.value.param == "subscription_data[trial_days]"
    # Parameters Stripe takes but the double ignores are accepted.
    stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 1}],
        success_url="https://app.example/done",
        allow_promotion_codes=True,
        billing_address_collection="auto",
        locale="uk",
    )


def test_reset_forgets_everything(stripe_double):
    stripe.Customer.create()
    stripe_double.reset()
    assert stripe.Customer.list().data == []
    assert stripe_double.events() == []
    assert stripe.Customer.create().id.startswith("cus_")


def test_a_refused_update_changes_nothing(stripe_double):
    price = seat_price(100)
    customer = stripe.Customer.create(payment_method="pm_card_visa")
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id, "quantity": 2}], metadata={"a": "1"}
    )
    events = len(stripe_double.events())
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe.Subscription.modify(
            sub.id,
            metadata={"a": "2"},
            cancel_at_period_end=True,
            items=[
                {"id": sub["items"].data[0].id, "quantity": 5},
                {"price": "price_missing"},
            ],
            proration_behavior="always_invoice",
        )
    assert err.value.param == "items[1][price]"
    same = stripe.Subscription.retrieve(sub.id)
    assert same.metadata.to_dict() == {"a": "1"}
    assert same.cancel_at_period_end is False
    assert same["items"].data[0].quantity == 2
    assert stripe.SubscriptionItem.retrieve(sub["items"].data[0].id).quantity == 2
    assert len(stripe_double.events()) == events
    # And the subscription still works afterwards.
    changed = stripe.Subscription.modify(
        sub.id, items=[{"id": sub["items"].data[0].id, "quantity": 3}], proration_behavior="none"
    )
    assert stripe.SubscriptionItem.retrieve(changed["items"].data[0].id).quantity == 3
