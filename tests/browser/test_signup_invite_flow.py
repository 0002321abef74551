"""A business signs up, invites a manager, and the manager joins: clicked through in Chromium."""

import re

import pytest
from django.core import mail
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from tenants.members.models import Role, User
from tenants.models import Workspace

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple"
PHONE_WIDTH = 375


def _sign_up(page: Page, public_url: str, *, name: str, subdomain: str, email: str) -> str:
    """Fill in the signup form from the landing page; returns the workspace's URL."""
    page.goto(f"{public_url}/")
    page.locator(".hero").get_by_role("link", name="Create a workspace").click()
    expect(page.get_by_role("heading", name="Create your workspace")).to_be_visible()
    page.get_by_label("Business name").fill(name)
    page.get_by_label("Workspace address").fill(subdomain)
    # htmx asks the server whether the address is free while the person types.
    expect(page.locator("#subdomain-status")).to_contain_text(f"{subdomain}.localhost:")
    expect(page.locator("#subdomain-status")).to_contain_text("is free")
    page.get_by_label("Your e-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create workspace").click()
    port = public_url.rsplit(":", 1)[1]
    workspace_url = f"http://{subdomain}.localhost:{port}/"
    page.wait_for_url(workspace_url)
    return workspace_url


def _invitation_link(email: str) -> str:
    """The link in the invitation e-mail (the live server shares this process's outbox)."""
    [message] = [message for message in mail.outbox if message.to == [email]]
    match = re.search(r"http://\S+/invite/[^/\s]+/", message.body)
    assert match, message.body
    return match.group(0)


def _page_is_not_wider_than_the_phone(page: Page) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE_WIDTH, f"{page.url} is {scroll_width}px wide"


def test_owner_signs_up_invites_a_member_and_the_member_joins(live_platform, page):
    workspace_url = _sign_up(
        page, live_platform, name="Acme Trading", subdomain="acme", email="boss@acme.example.com"
    )

    # The owner lands logged in, in their own workspace.
    expect(page.locator(".brand")).to_contain_text("Acme Trading")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, boss@acme.example.com!")

    page.get_by_role("navigation").get_by_role("link", name="Members").click()
    page.wait_for_url(f"{workspace_url}settings/members/")
    invite_form = page.locator("#invite-form")
    invite_form.get_by_label("E-mail").fill("anna@acme.example.com")
    invite_form.get_by_label("Role").select_option("member")
    invite_form.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".messages")).to_contain_text("Invitation sent to anna@acme.example.com.")
    expect(page.get_by_role("heading", name="Pending invitations")).to_be_visible()
    link = _invitation_link("anna@acme.example.com")
    assert link.startswith(f"{workspace_url}invite/")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Acme Trading")
    expect(page.get_by_text("boss@acme.example.com invited you as Member.")).to_be_visible()
    page.get_by_label("Your name").fill("Anna Petrova")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again):", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Join").click()
    page.wait_for_url(workspace_url)

    # The member lands logged in, and a plain member does not manage members.
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Anna Petrova!")
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="Anna Petrova")).to_be_visible()
    expect(nav.get_by_role("link", name="Members")).to_have_count(0)
    expect(nav.get_by_role("link", name="Settings")).to_have_count(0)
    with schema_context(Workspace.objects.get(subdomain="acme").schema_name):
        member = User.objects.get(email="anna@acme.example.com")
        assert (member.full_name, member.role) == ("Anna Petrova", Role.MEMBER)


def test_pages_fit_a_375_px_phone_and_the_menu_opens(live_platform, phone_page):
    page = phone_page
    page.goto(f"{live_platform}/")
    _page_is_not_wider_than_the_phone(page)
    page.locator(".hero").get_by_role("link", name="Create a workspace").click()
    expect(page.get_by_role("heading", name="Create your workspace")).to_be_visible()
    _page_is_not_wider_than_the_phone(page)

    workspace_url = _sign_up(
        page,
        live_platform,
        name="Corner Bakery of the Long Street",
        subdomain="corner-bakery-of-the-long-street",
        email="baker.with.a.long.address@corner-bakery.example.com",
    )
    _page_is_not_wider_than_the_phone(page)

    # On a phone the navigation is folded behind the menu button, which must show.
    members_link = page.get_by_role("navigation").get_by_role("link", name="Members")
    expect(members_link).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    icon_color, header_background = menu.evaluate(
        "button => [getComputedStyle(button).color,"
        " getComputedStyle(button.closest('header')).backgroundColor]"
    )
    assert icon_color != header_background
    menu.click()
    expect(members_link).to_be_visible()
    _page_is_not_wider_than_the_phone(page)

    members_link.click()
    page.wait_for_url(f"{workspace_url}settings/members/")
    expect(page.get_by_role("heading", name="Members", level=1)).to_be_visible()
    _page_is_not_wider_than_the_phone(page)
