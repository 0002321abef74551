"""My account's time-zone choice on a 375 px phone, in Ukrainian: it fits and it saves."""

import pytest
from playwright.sync_api import expect

from tenants.actions import create_workspace

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple"
OWNER = "owner@poyas.example.com"
PHONE_WIDTH = 375


def test_choosing_my_time_zone_in_ukrainian_on_a_375_px_phone(live_platform, phone_page):
    page = phone_page
    create_workspace(name="Пояс", subdomain="poyas", owner_email=OWNER, owner_password=PASSWORD)
    port = live_platform.rsplit(":", 1)[1]
    url = f"http://poyas.localhost:{port}"

    page.context.add_cookies([{"name": "kartoteka_language", "value": "uk", "url": url}])
    page.goto(f"{url}/accounts/login/")
    page.locator("input[name=login]").fill(OWNER)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{url}/")
    page.goto(f"{url}/account/")

    select = page.get_by_label("Мій часовий пояс")
    expect(select).to_be_visible()
    expect(select.locator("option").first).to_contain_text("робочого простору")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the page is {width}px wide"
    too_wide = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
              .filter(e => e.getBoundingClientRect().right
                           > document.documentElement.clientWidth + 1)
              .map(e => e.tagName + '.' + e.className)"""
    )
    assert too_wide == [], too_wide

    select.select_option("Asia/Vladivostok")
    page.get_by_role("button", name="Зберегти").click()
    expect(page.get_by_text("Часовий пояс збережено.")).to_be_visible()
    expect(page.get_by_label("Мій часовий пояс")).to_have_value("Asia/Vladivostok")
