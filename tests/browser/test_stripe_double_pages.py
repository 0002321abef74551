"""The Stripe test double's own pages in real Chromium: Checkout and the Customer Portal,
on a phone-sized screen, by keyboard and by clicks (what the billing browser test relies on)."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe_double_fixture import stripe_double, stripe_double_factory  # noqa: F401

pytestmark = pytest.mark.browser


def no_horizontal_overflow(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_checkout_page_pays_and_returns_to_success_url(phone_page, stripe_double):  # noqa: F811
    product = stripe.Product.create(name="Team plan")
    price = stripe.Price.create(
        product=product.id, unit_amount=900, currency="eur", recurring={"interval": "month"}
    )
    session = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 3}],
        success_url=f"{stripe_double.url}/_double/health?session={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{stripe_double.url}/_double/health",
    )
    phone_page.goto(session.url)
    assert "Team plan" in phone_page.inner_text("table")
    assert "27.00 EUR" in phone_page.inner_text("body")
    assert no_horizontal_overflow(phone_page)

    phone_page.click("[data-testid=decline]")
    assert phone_page.inner_text("[data-testid=error]") == "Your card was declined."
    assert stripe.checkout.Session.retrieve(session.id).status == "open"

    phone_page.fill("#email", "owner@example.com")
    phone_page.select_option("[data-testid=card]", "pm_card_visa")
    phone_page.focus("[data-testid=pay]")
    phone_page.keyboard.press("Enter")
    phone_page.wait_for_url(f"{stripe_double.url}/_double/health?session={session.id}")
    done = stripe.checkout.Session.retrieve(session.id, expand=["subscription"])
    assert done.status == "complete"
    assert done.subscription.status == "active"
    assert done.subscription["items"].data[0].quantity == 3


def test_portal_page_cancels_and_changes_the_card(phone_page, stripe_double):  # noqa: F811
    product = stripe.Product.create(name="Team plan")
    price = stripe.Price.create(
        product=product.id, unit_amount=900, currency="eur", recurring={"interval": "month"}
    )
    customer = stripe.Customer.create(email="owner@example.com", payment_method="pm_card_visa")
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id, "quantity": 2}]
    )
    portal = stripe.billing_portal.Session.create(
        customer=customer.id, return_url=f"{stripe_double.url}/_double/health"
    )
    phone_page.goto(portal.url)
    assert no_horizontal_overflow(phone_page)
    assert phone_page.inner_text("[data-testid=subscription-status]") == "active"
    phone_page.click("[data-testid=cancel-subscription]")
    assert "canceled at the end of the period" in phone_page.inner_text("[data-testid=message]")
    assert stripe.Subscription.retrieve(sub.id).cancel_at_period_end is True

    phone_page.select_option("[data-testid=card]", "pm_card_mastercard")
    phone_page.click("[data-testid=update-card]")
    assert "4444" in phone_page.inner_text("[data-testid=card-on-file]")
    phone_page.click("[data-testid=return]")
    phone_page.wait_for_url(f"{stripe_double.url}/_double/health")
