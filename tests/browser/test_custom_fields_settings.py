"""An owner sets up custom and required fields on a 375 px phone, by touch and keyboard."""

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from crm.models import CustomField, RequiredStandardField
from tenants.actions import create_workspace
from tests.cross_workspace import logged_in_client

pytestmark = pytest.mark.browser

PHONE_WIDTH = 375


def _fits_the_phone(page: Page) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE_WIDTH, f"{page.url} is {scroll_width}px wide"


def test_owner_adds_reorders_and_requires_fields_on_a_phone(live_platform, phone_page):
    page = phone_page
    new = create_workspace(
        name="Fields Bakery",
        subdomain="fields-bakery",
        owner_email="owner@fields-bakery.example.com",
        owner_password="correct-horse-battery-staple",
        language="en",
    )
    browser = logged_in_client(new)
    port = urlsplit(live_platform).port
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": browser.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": f"http://fields-bakery.localhost:{port}/",
            }
        ]
    )
    base = f"http://fields-bakery.localhost:{port}"

    page.goto(f"{base}/settings/fields/")
    expect(page.get_by_role("heading", name="Custom fields", level=1)).to_be_visible()
    _fits_the_phone(page)

    # Add a text field, then a choice field with two choices.
    page.get_by_role("link", name="Add a field").first.click()
    page.get_by_label("Name in English").fill("Contract number")
    page.get_by_label("Name in Russian").fill("Номер договора")
    expect(page.locator("#choices")).to_be_hidden()  # only choice types have choices
    _fits_the_phone(page)
    page.get_by_role("button", name="Add field").click()
    expect(page.get_by_text("Field “Contract number” added.")).to_be_visible()

    page.get_by_role("link", name="Add a field").first.click()
    page.get_by_label("Name in English").fill("Customer tier with a rather long name")
    page.get_by_label("Type").select_option("single_choice")
    expect(page.locator("#choices")).to_be_visible()
    page.locator("#choice-0-en").fill("Gold")
    page.locator("#choice-1-en").fill("Silver")
    _fits_the_phone(page)
    page.get_by_role("button", name="Add field").click()
    expect(page.get_by_text("Field “Customer tier with a rather long name” added.")).to_be_visible()
    _fits_the_phone(page)

    # Move the second field up by keyboard alone.
    up = page.get_by_role("button", name="Move “Customer tier with a rather long name” up")
    up.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("“Customer tier with a rather long name” moved up.")).to_be_visible()
    with schema_context(new.workspace.schema_name):
        assert list(CustomField.objects.order_by("position").values_list("key", flat=True)) == [
            "customer_tier_with_a_rather_long_name",
            "contract_number",
        ]

    # The new fields are on the contact form, in that order, and their values on the card.
    page.goto(f"{base}/contacts/new/")
    page.get_by_label("Surname").fill("Иванова")
    page.get_by_label("Customer tier with a rather long name").select_option(label="Silver")
    page.get_by_label("Contract number").fill("A-17")
    _fits_the_phone(page)
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_text("A-17")).to_be_visible()
    expect(page.get_by_text("Silver")).to_be_visible()
    _fits_the_phone(page)
    page.goto(f"{base}/settings/fields/")

    # The type change page explains before changing anything.
    page.get_by_role("link", name="Change type").last.click()
    page.get_by_label("New type").select_option("long_text")
    page.get_by_role("button", name="Check what happens").click()
    expect(page.get_by_text("This change is safe.")).to_be_visible()
    _fits_the_phone(page)

    # Required fields: a standard one and the custom one.
    page.goto(f"{base}/settings/fields/contact/required/")
    page.get_by_label("Phones").check()
    page.get_by_label("Contract number").check()
    _fits_the_phone(page)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Required fields saved.")).to_be_visible()
    with schema_context(new.workspace.schema_name):
        assert list(RequiredStandardField.objects.values_list("field", flat=True)) == ["phones"]
        assert CustomField.objects.get(key="contract_number").required
