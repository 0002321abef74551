"""The client base clicked through in Chromium: a company with two contacts, a custom
field filled in, the duplicate warning, a merge, the search box, the card on a phone."""

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from crm.actions import clients as actions
from crm.models import Contact
from tenants.actions import create_workspace
from tenants.members.models import User

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple"
OWNER = "boss@acme.example.com"
PHONE_WIDTH = 375


@pytest.fixture
def acme(live_platform):  # type: ignore[no-untyped-def]
    """A workspace (committed, dropped afterwards) and its URL on the live server."""
    made = create_workspace(
        name="Acme Trading", subdomain="acme", owner_email=OWNER, owner_password=PASSWORD
    )
    port = live_platform.rsplit(":", 1)[1]
    return made, f"http://acme.localhost:{port}"


def _log_in(page: Page, url: str) -> None:
    page.context.add_cookies([{"name": "kartoteka_language", "value": "en", "url": url}])
    page.goto(f"{url}/accounts/login/")
    page.locator("input[name=login]").fill(OWNER)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{url}/")


def _owner(made):  # type: ignore[no-untyped-def]
    return User.objects.get(email=OWNER)


def _fill_row(page: Page, prefix: str, index: int, **values: str) -> None:
    for name, value in values.items():
        page.locator(f"[name={prefix}-{index}-{name}]").fill(value)


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} is {width}px wide"
    too_wide = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
              .filter(e => e.getBoundingClientRect().right
                           > document.documentElement.clientWidth + 1)
              .map(e => e.tagName + '.' + e.className)"""
    )
    assert too_wide == [], too_wide


def test_owner_creates_a_company_with_two_contacts(acme, page):
    _made, url = acme
    _log_in(page, url)

    page.get_by_role("navigation").get_by_role("link", name="Companies").click()
    expect(page.get_by_role("heading", name="No companies yet")).to_be_visible()
    page.get_by_role("link", name="Add a company").first.click()
    page.get_by_label("Name", exact=True).fill("Ромашка")
    page.get_by_label("Tax number").fill("7707083893")
    _fill_row(page, "phones", 0, number="+7 495 123-45-67")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#toasts")).to_contain_text("“Ромашка” created.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ромашка")
    company_url = page.url

    for surname, first_name, phone, work_phone in (
        ("Иванова", "Мария", "+7 916 111-22-33", "+7 495 000-00-01"),
        ("Петров", "Олег", "+7 916 444-55-66", "+7 495 000-00-02"),
    ):
        page.goto(company_url)
        page.get_by_role("link", name="Add a contact person").click()
        expect(page.locator("[name=companies-0-company]")).to_have_value("Ромашка")
        page.get_by_label("Surname").fill(surname)
        page.get_by_label("First name").fill(first_name)
        _fill_row(page, "phones", 0, number=phone)
        page.get_by_role("button", name="Add a phone").click()
        _fill_row(page, "phones", 1, number=work_phone)
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#toasts")).to_contain_text(f"“{surname} {first_name}” created.")
        expect(page.get_by_role("link", name="Ромашка")).to_be_visible()

    page.goto(company_url)
    people = page.locator("#people-title").locator("xpath=ancestor::section")
    expect(people).to_contain_text("Иванова Мария")
    expect(people).to_contain_text("Петров Олег")
    with schema_context(acme[0].workspace.schema_name):
        assert Contact.objects.get(surname="Петров").phones.count() == 2


def test_owner_adds_a_custom_field_and_fills_it_on_a_contact(acme, page):
    made, url = acme
    with schema_context(made.workspace.schema_name):
        contact = actions.create_contact(
            acting_user=_owner(made), data={"surname": "Иванова", "first_name": "Мария"}
        )
    _log_in(page, url)

    page.goto(f"{url}/settings/fields/contact/new/")
    page.get_by_label("Name in English").fill("Loyalty card")
    page.get_by_label("Name in Russian").fill("Карта лояльности")
    page.locator("[name=field_type]").select_option("text")
    page.get_by_role("button", name="Add field").click()
    expect(page.get_by_text("Loyalty card").first).to_be_visible()

    page.goto(f"{url}/contacts/{contact.pk}/edit/")
    page.get_by_label("Loyalty card").fill("GOLD-0042")
    page.get_by_role("button", name="Save").click()

    custom = page.locator("#custom-title").locator("xpath=ancestor::section")
    expect(custom).to_contain_text("Loyalty card")
    expect(custom).to_contain_text("GOLD-0042")
    history = page.locator("#history-title").locator("xpath=ancestor::section")
    expect(history).to_contain_text("GOLD-0042")


def test_duplicate_warning_then_merge_and_undo(acme, page):
    made, url = acme
    with schema_context(made.workspace.schema_name):
        existing = actions.create_contact(
            acting_user=_owner(made),
            data={"surname": "Сидоренко", "first_name": "Олена", "phones": ["+380 44 123 45 67"]},
        )
    _log_in(page, url)

    page.goto(f"{url}/contacts/new/")
    page.get_by_label("Surname").fill("Сидоренко")
    page.get_by_label("First name").fill("Елена")
    _fill_row(page, "phones", 0, number="+380441234567")
    page.get_by_role("button", name="Save", exact=True).click()

    warning = page.locator("#duplicate-warning")
    expect(warning).to_contain_text("This client may already be in the base")
    expect(warning).to_contain_text("responsible: boss@acme.example.com")
    expect(warning.get_by_role("link", name="open it")).to_have_attribute(
        "href", f"/contacts/{existing.pk}/"
    )
    page.get_by_role("button", name="Save anyway").click()
    expect(page.locator("#toasts")).to_contain_text("created.")

    page.goto(f"{url}/contacts/")
    page.get_by_label("Tick all rows").check()
    page.locator("#bulk-action").select_option("merge")
    page.get_by_role("button", name="Apply to ticked").click()
    expect(page.get_by_role("heading", name="Merge records")).to_be_visible()
    page.get_by_role("radio", name="Елена", exact=True).check()  # the second one's name
    page.get_by_role("button", name="Merge", exact=True).click()
    # The shared confirm dialog asks first; Enter on its focused button confirms.
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    page.keyboard.press("Enter")

    expect(page.locator("#toasts")).to_contain_text("records merged")
    with schema_context(made.workspace.schema_name):
        assert Contact.objects.filter(archived_at__isnull=True).count() == 1
    page.locator("#toasts").get_by_role("button", name="Undo").click()
    expect(page.locator("#toasts")).to_contain_text("Merge undone")
    with schema_context(made.workspace.schema_name):
        assert Contact.objects.filter(archived_at__isnull=True).count() == 2


def test_search_box_finds_a_client_by_the_last_digits_and_enter_opens_it(acme, page):
    made, url = acme
    with schema_context(made.workspace.schema_name):
        contact = actions.create_contact(
            acting_user=_owner(made),
            data={"surname": "Иванова", "first_name": "Мария", "phones": ["+7 916 123-45-67"]},
        )
    _log_in(page, url)

    search = page.get_by_role("combobox", name="Search clients")
    search.press_sequentially("4567", delay=30)
    results = page.locator("#global-search-results")
    expect(results).to_contain_text("Иванова Мария")
    expect(results).to_contain_text("Phone")
    search.press("Enter")

    page.wait_for_url(f"{url}/contacts/{contact.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Иванова Мария")


def test_contact_card_on_a_phone_is_as_usable_as_on_a_desktop(acme, phone_page):
    made, url = acme
    with schema_context(made.workspace.schema_name):
        owner = _owner(made)
        company = actions.create_company(
            acting_user=owner,
            data={"name": "Общество «Очень длинное название торгового дома»"},
        )
        contact = actions.create_contact(
            acting_user=owner,
            data={
                "surname": "Константинопольская",
                "first_name": "Александра",
                "patronymic": "Владимировна",
                "pinned_note": "Зовите её Саша, не Александра",
                "phones": ["+7 916 123-45-67", "+7 495 765-43-21"],
                "emails": ["aleksandra.konstantinopolskaya@example.com"],
                "messengers": [{"kind": "telegram", "handle": "@sasha_k"}],
                "companies": [{"company": company.pk, "position": "Главный бухгалтер"}],
                "tags": ["VIP", "Выставка 2026"],
            },
        )
        actions.give_consent(acting_user=owner, contact=contact, kind="personal_data")
    _log_in(phone_page, url)

    phone_page.goto(f"{url}/contacts/{contact.pk}/")

    expect(phone_page.locator(".pinned-note")).to_contain_text("Зовите её Саша")
    expect(phone_page.locator('a[href="tel:+79161234567"]')).to_be_visible()
    expect(
        phone_page.locator('a[href="mailto:aleksandra.konstantinopolskaya@example.com"]')
    ).to_be_visible()
    _no_sideways_scroll(phone_page)
    phone_page.goto(f"{url}/contacts/")
    expect(phone_page.locator(".data-table td.cell-primary")).to_contain_text("Константинопольская")
    _no_sideways_scroll(phone_page)
