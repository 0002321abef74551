"""The first ten minutes, clicked through in Chromium: region and language from the signup,
the language carried through login, error pages with DEBUG off, phones, public "Log in"."""

import pytest
from django.core import mail
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from tenants.actions import set_workspace_status
from tenants.members import actions
from tenants.members.models import User
from tenants.models import Workspace, WorkspaceStatus
from tests.conftest import PASSWORD, add_member

pytestmark = pytest.mark.browser

PHONE_WIDTH = 375
SIGNUP_PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def ukrainian_page(chromium):  # type: ignore[no-untyped-def]
    """A desktop browser set to Ukrainian, in Kyiv."""
    context = chromium.new_context(
        viewport={"width": 1280, "height": 800}, locale="uk-UA", timezone_id="Europe/Kyiv"
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def _port(url: str) -> str:
    return url.rsplit(":", 1)[1]


def _stylesheet_applied(page: Page) -> bool:
    return bool(
        page.evaluate(
            "Array.from(document.styleSheets).some(s => s.href && s.href.endsWith('app.css')"
            " && s.cssRules.length > 20)"
        )
    )


def _wider_than_viewport(page: Page) -> list[str]:
    return list(
        page.evaluate(
            """() => Array.from(document.querySelectorAll('body *'))
                .filter(e => {
                    const r = e.getBoundingClientRect();
                    return r.width > 1 && r.right > window.innerWidth + 1;
                })
                .map(e => e.tagName + '.' + e.className + ' '
                          + Math.round(e.getBoundingClientRect().right))"""
        )
    )


def test_ukrainian_signup_ends_in_a_ukrainian_workspace_in_kyiv(live_platform, ukrainian_page):
    page = ukrainian_page
    page.goto(f"{live_platform}/")
    page.get_by_role("button", name="Українська").click()
    page.locator(".hero").get_by_role("link", name="Створити робочий простір").click()

    page.locator("#id_name").fill("Ромашка")
    # The address follows the business name, transliterated.
    expect(page.locator("#id_subdomain")).to_have_value("romashka")
    expect(page.locator("#address-suffix")).to_have_text(f".localhost:{_port(live_platform)}")
    # The region is guessed from the language and the browser's time zone, and shown.
    expect(page.locator("#id_time_zone")).to_have_value("Europe/Kyiv")
    expect(page.locator("#id_country")).to_have_value("UA")
    page.locator("#id_full_name").fill("Олена Коваль")
    page.locator("#id_email").fill("olena@romashka.example.com")
    page.locator("#id_password").fill(SIGNUP_PASSWORD)
    page.get_by_role("button", name="Створити", exact=True).click()

    page.wait_for_url(f"http://romashka.localhost:{_port(live_platform)}/")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.get_by_role("heading", level=1)).to_have_text("Вітаємо, Олена Коваль!")
    workspace = Workspace.objects.get(subdomain="romashka")
    assert (str(workspace.default_country), workspace.time_zone) == ("UA", "Europe/Kyiv")
    assert workspace.default_language == "uk"
    expect(page.get_by_text("Україна")).to_be_visible()


def test_signup_error_keeps_the_password_and_focuses_the_field(live_platform, page, workspace):
    page.goto(f"{live_platform}/signup/")
    page.locator("#id_name").fill("Acme")
    page.locator("#id_subdomain").fill("acme")  # taken by the `workspace` fixture
    page.locator("#id_email").fill("boss@acme.example.com")
    page.locator("#id_password").fill(SIGNUP_PASSWORD)
    page.get_by_role("button", name="Create workspace").click()

    expect(page.locator("#id_password")).to_have_value(SIGNUP_PASSWORD)
    expect(page.locator("#id_subdomain")).to_be_focused()


def test_language_chosen_on_the_public_site_carries_through_signup_and_login(live_platform, page):
    port = _port(live_platform)
    page.goto(f"{live_platform}/")
    page.get_by_role("button", name="Русский").click()
    page.goto(f"{live_platform}/signup/")
    page.locator("#id_name").fill("Globex")
    page.locator("#id_email").fill("boss@globex.example.com")
    page.locator("#id_password").fill(SIGNUP_PASSWORD)
    page.get_by_role("button", name="Создать", exact=True).click()
    page.wait_for_url(f"http://globex.localhost:{port}/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    # Logged out, the workspace's login page still speaks Russian.
    page.get_by_role("button", name="Выйти").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    # Choosing Ukrainian on the public site's "Log in" carries into the workspace.
    page.goto(f"{live_platform}/")
    page.get_by_role("button", name="Українська").click()
    page.get_by_role("navigation").get_by_role("link", name="Увійти").click()
    page.locator("#id_address").fill("globex")
    page.get_by_role("button", name="Продовжити").click()
    page.wait_for_url(f"http://globex.localhost:{port}/accounts/login/?lang=uk")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    page.locator("input[name=login]").fill("boss@globex.example.com")
    page.locator("input[name=password]").fill(SIGNUP_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"http://globex.localhost:{port}/")
    expect(page.locator("html")).to_have_attribute("lang", "uk")

    workspace = Workspace.objects.get(subdomain="globex")
    with schema_context(workspace.schema_name):
        assert User.objects.get().language == "uk", "the choice is remembered"


def test_public_log_in_goes_to_the_workspace(live_platform, page, workspace):
    from django.core.cache import cache

    # Other tests of the run ask for the same owner address; its hourly allowance of
    # find-my-workspace e-mails (tested on its own) is counted in the shared cache.
    cache.delete(f"workspace-reminder:{workspace.owner.email.casefold()}")
    port = _port(live_platform)
    page.goto(f"{live_platform}/")
    page.get_by_role("navigation").get_by_role("link", name="Log in").click()
    page.get_by_label("Workspace address or your e-mail").fill("acme")
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(f"http://acme.localhost:{port}/accounts/login/?lang=en")
    page.locator("input[name=login]").fill(workspace.owner.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"http://acme.localhost:{port}/")

    # Forgot the address: the e-mail gets the list.
    page.goto(f"{live_platform}/login/")
    page.get_by_label("Workspace address or your e-mail").fill(workspace.owner.email)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    assert any(workspace.owner.email in message.to for message in mail.outbox)


def test_every_error_page_is_styled_and_translated_with_debug_off(
    live_platform, page, workspace, settings
):
    assert settings.DEBUG is False
    port = _port(live_platform)
    acme = f"http://acme.localhost:{port}"
    member = add_member(workspace, email="ann@acme.example.com")
    with schema_context(workspace.workspace.schema_name):
        User.objects.filter(pk=member.pk).update(language="uk")

    checks = [
        (f"{live_platform}/no-such-page/?lang=uk", "Такої сторінки немає"),
        (f"{acme}/no-such-page/?lang=uk", "Такої сторінки немає"),
        (f"http://nowhere.localhost:{port}/?lang=uk", "Тут немає робочого простору"),
        (f"http://127.0.0.1:{port}/?lang=uk", "Ми не змогли зрозуміти цей запит"),
    ]
    for url, text in checks:
        page.goto(url)
        expect(page.get_by_text(text)).to_be_visible()
        assert _stylesheet_applied(page), url
        assert page.locator(".error-page .actions a").count() >= 1, f"no way on at {url}"

    # 403: a member on an admin page, told whom to ask, in their language.
    page.goto(f"{acme}/accounts/login/")
    page.locator("input[name=login]").fill("ann@acme.example.com")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{acme}/")
    page.goto(f"{acme}/settings/members/")
    expect(page.get_by_text("Цю сторінку можуть відкрити лише власники")).to_be_visible()
    expect(page.get_by_text(workspace.owner.email)).to_be_visible()
    assert _stylesheet_applied(page)

    # Suspended: styled, names support, its language switch works.
    operator = User(email="op@example.com", is_staff=True)
    set_workspace_status(
        acting_operator=operator, workspace=workspace.workspace, status=WorkspaceStatus.SUSPENDED
    )
    page.goto(f"{acme}/")
    expect(page.get_by_text(settings.SUPPORT_EMAIL).first).to_be_visible()
    assert _stylesheet_applied(page)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Acme is suspended")).to_be_visible()


def test_members_page_fits_a_phone(live_platform, phone_page, workspace):
    for number in range(3):
        add_member(workspace, email=f"manager.with.a.long.address.{number}@acme.example.com")
    with schema_context(workspace.workspace.schema_name):
        actions.invite_member(
            acting_user=workspace.owner,
            email="someone.invited.with.a.very.long.address@acme.example.com",
            role="member",
        )
    page = phone_page
    port = _port(live_platform)
    page.goto(f"http://acme.localhost:{port}/accounts/login/")
    page.locator("input[name=login]").fill(workspace.owner.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"http://acme.localhost:{port}/")

    for path in ("/settings/members/", "/settings/workspace/", "/"):
        page.goto(f"http://acme.localhost:{port}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH, path
        assert _wider_than_viewport(page) == [], path
    page.goto(f"http://acme.localhost:{port}/settings/members/")
    # Every row is a labelled card: role control, status and actions are on screen.
    # (scrolled to vertically: the trial banner and the invite form come first)
    first_select = page.locator("#members-table select").first
    first_select.scroll_into_view_if_needed()
    expect(first_select).to_be_in_viewport()
    deactivate = page.locator("#members-table").get_by_role("button", name="Deactivate").first
    deactivate.scroll_into_view_if_needed()
    expect(deactivate).to_be_in_viewport()


def test_operator_console_list_fits_1280_px(live_platform, page, make_workspace):
    for number in range(3):
        make_workspace(
            f"company-with-a-long-name-{number}",
            name=f"Торговый дом «Длинное название номер {number}»",
            owner_email=f"director.of.the.company.{number}@very-long-domain-name.example.com",
        )
    User.objects.create_superuser(email="operator@example.com", password=PASSWORD)
    page.goto(f"{live_platform}/admin/login/")
    page.locator("input[name=username]").fill("operator@example.com")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.goto(f"{live_platform}/admin/tenants/workspace/")

    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert _wider_than_viewport(page) == []
    # Nothing cut off inside the list either: its scrolling box needs no scrolling.
    assert page.evaluate(
        "(() => { const r = document.querySelector('.results');"
        " return r.scrollWidth <= r.clientWidth; })()"
    )
    expect(page.locator("th.column-status")).to_be_in_viewport()
