"""The kanban board in Chromium: a deal dragged to another column, a deal moved with the
keyboard control, and the board on a 375 px phone."""

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import Page, expect

from crm.actions import deals as actions
from crm.models import Deal
from tenants.actions import create_workspace
from tenants.members.models import User

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple"
OWNER = "boss@acme.example.com"
PHONE_WIDTH = 375


@pytest.fixture
def acme(live_platform):  # type: ignore[no-untyped-def]
    """A workspace with three deals in "Новая" (committed, dropped afterwards)."""
    made = create_workspace(
        name="Acme Trading", subdomain="acme", owner_email=OWNER, owner_password=PASSWORD
    )
    with tenant_context(made.workspace):
        owner = User.objects.get(email=OWNER)
        actions.ensure_default_pipeline()
        for title, amount in (("Окна", 120000), ("Двери", 30000), ("Крыша", 5000)):
            actions.create_deal(acting_user=owner, data={"title": title, "amount": amount})
    port = live_platform.rsplit(":", 1)[1]
    return made, f"http://acme.localhost:{port}"


def _log_in(page: Page, url: str) -> None:
    page.context.add_cookies([{"name": "kartoteka_language", "value": "en", "url": url}])
    page.goto(f"{url}/accounts/login/")
    page.locator("input[name=login]").fill(OWNER)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{url}/")


def _stage_of(made, title: str) -> str:  # type: ignore[no-untyped-def]
    with tenant_context(made.workspace):
        return Deal.objects.select_related("stage").get(title=title).stage.name


def _column(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator("section.board-column").filter(
        has=page.get_by_role("heading", name=name, exact=True)
    )


def test_a_deal_is_dragged_to_another_column(acme, page):
    made, url = acme
    _log_in(page, url)
    page.get_by_role("navigation").get_by_role("link", name="Deals").click()
    card = page.locator(".deal-card", has_text="Двери")
    target = _column(page, "Предложение").locator(".board-cards")
    expect(card).to_be_visible()

    box = card.locator(".deal-title").bounding_box()
    goal = target.bounding_box()
    assert box is not None
    assert goal is not None
    page.mouse.move(box["x"] + box["width"] + 10, box["y"] + 5)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(
            box["x"] + (goal["x"] + 40 - box["x"]) * step / 20,
            box["y"] + (goal["y"] + 20 - box["y"]) * step / 20,
        )
    with page.expect_response(lambda r: "/move/" in r.url) as answer:
        page.mouse.up()
    assert answer.value.status == 200

    expect(_column(page, "Предложение").locator("[data-column-count]")).to_have_text("1")
    expect(_column(page, "Новая").locator("[data-column-count]")).to_have_text("2")
    assert _stage_of(made, "Двери") == "Предложение"
    page.reload()
    expect(_column(page, "Предложение").locator(".deal-card", has_text="Двери")).to_be_visible()


def test_a_deal_is_moved_with_the_keyboard_control(acme, page):
    made, url = acme
    _log_in(page, url)
    page.goto(f"{url}/deals/")
    select = page.get_by_label("Move “Окна” to")
    select.focus()
    select.select_option(label="Переговоры")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Move to")
    page.keyboard.press("Enter")

    expect(page.locator("#toasts")).to_contain_text("Deal moved.")
    expect(_column(page, "Переговоры").locator(".deal-card", has_text="Окна")).to_be_visible()
    assert _stage_of(made, "Окна") == "Переговоры"


def test_the_board_fits_a_phone_and_scrolls_sideways_inside_its_box(acme, phone_page):
    _made, url = acme
    _log_in(phone_page, url)
    phone_page.goto(f"{url}/deals/")
    expect(phone_page.locator(".deal-card", has_text="Окна")).to_be_visible()

    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the page is {width}px wide"
    too_wide = phone_page.evaluate(
        """() => [...document.querySelectorAll('main *')]
              .filter(e => !e.closest('.board-scroller'))
              .filter(e => e.getBoundingClientRect().right
                           > document.documentElement.clientWidth + 1)
              .map(e => e.tagName + '.' + e.className)"""
    )
    assert too_wide == [], too_wide
    scroller = phone_page.evaluate(
        """() => { const s = document.querySelector('.board-scroller');
                   const r = s.getBoundingClientRect();
                   return [r.right, s.scrollWidth, s.clientWidth]; }"""
    )
    assert scroller[0] <= PHONE_WIDTH + 1
    assert scroller[1] > scroller[2]  # more stages to the right: the board scrolls
    # The keyboard/touch control works on the phone too.
    phone_page.get_by_label("Move “Крыша” to").select_option(label="Квалификация")
    phone_page.locator(".deal-card", has_text="Крыша").get_by_role("button", name="Move to").click()
    expect(phone_page.locator("#toasts")).to_contain_text("Deal moved.")
