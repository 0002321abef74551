"""An admin subscribes from the workspace, pays on the Stripe double's Checkout page, and
sees the subscription active once Stripe's webhook (posted for real to the live server)
has been processed."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from billing.models import Subscription, SubscriptionStatus
from tests.conftest import PASSWORD
from tests.stripe_double_fixture import (  # noqa: F401
    TEST_WEBHOOK_SECRET,
    stripe_double_factory,
)

pytestmark = pytest.mark.browser


def test_admin_subscribes_through_checkout_and_sees_it_active(
    live_platform,
    make_workspace,
    stripe_double_factory,  # noqa: F811
    settings,
    page,
):
    double = stripe_double_factory(
        webhook_url=f"{live_platform}/billing/stripe/webhook/", webhook_mode="background"
    )
    settings.STRIPE_SECRET_KEY = "sk_test_double"
    settings.STRIPE_API_BASE = double.url
    settings.STRIPE_WEBHOOK_SECRET = TEST_WEBHOOK_SECRET
    new = make_workspace("paying", name="Paying Co")
    port = urlsplit(live_platform).port
    workspace_url = f"http://paying.localhost:{port}"

    page.goto(f"{workspace_url}/accounts/login/")
    page.locator("input[name=login]").fill(new.owner.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page.get_by_test_id("trial-banner")).to_contain_text("14 days left")

    page.get_by_role("navigation").get_by_role("link", name="Billing").click()
    page.get_by_label("Seats").fill("2")
    page.get_by_label("Billing period").select_option("year")
    page.get_by_role("button", name="Continue to payment").click()

    expect(page).to_have_url(re.compile(re.escape(double.url)))
    page.get_by_test_id("pay").click()

    expect(page).to_have_url(re.compile(r"/settings/billing/progress/"))
    expect(page.get_by_test_id("subscription-active")).to_be_visible()
    page.get_by_role("link", name="Go to billing").click()
    expect(page.get_by_test_id("billing-status")).to_have_text("Active")
    expect(page.get_by_test_id("seats-paid")).to_contain_text("2")
    subscription = Subscription.objects.get(workspace=new.workspace)
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert subscription.billing_period == "year"


def test_billing_and_pricing_pages_fit_a_375_px_phone(live_platform, make_workspace, phone_page):
    page = phone_page
    new = make_workspace("phonebill", name="Phone Billing")
    port = urlsplit(live_platform).port

    page.goto(f"{live_platform}/pricing/")
    expect(page.get_by_role("heading", name="Pricing", level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.goto(f"http://phonebill.localhost:{port}/accounts/login/")
    page.locator("input[name=login]").fill(new.owner.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.goto(f"http://phonebill.localhost:{port}/settings/billing/")
    expect(page.get_by_role("heading", name="Subscribe")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
