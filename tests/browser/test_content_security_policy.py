"""The strict Content-Security-Policy blocks nothing the product itself needs (issue 6, 9).

Chromium reports every blocked script, style, form target or connection on the console;
a signup (htmx's address check, the hand-off form into the new workspace) and the pages
after it must produce no such report.
"""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_signup_invite_flow import _sign_up

pytestmark = pytest.mark.browser


def _csp_reports(page: Page) -> list[str]:
    reports: list[str] = []
    page.on(
        "console",
        lambda message: (
            reports.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return reports


def test_signup_and_workspace_pages_run_under_the_policy(live_platform, page):
    reports = _csp_reports(page)

    workspace_url = _sign_up(
        page, live_platform, name="Policy Shop", subdomain="policy", email="boss@policy.example.com"
    )
    for path in ("settings/members/", "settings/workspace/", "account/", "accounts/2fa/"):
        page.goto(f"{workspace_url}{path}")
        expect(page.locator("main")).to_be_visible()
    page.goto(f"{workspace_url}settings/members/")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()
    page.goto(f"{live_platform}/admin/login/")
    expect(page.locator("#login-form")).to_be_visible()

    assert reports == []
    response = page.goto(f"{workspace_url}accounts/login/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
