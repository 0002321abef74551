# ruff: noqa: RUF001 (Cyrillic text is the data)
"""The timeline clicked through in Chromium: log a call on a card, attach a file and
download it, filter, and the card with its timeline on a 375 px phone."""

from pathlib import Path

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from crm.actions import clients as client_actions
from crm.actions import timeline as actions
from crm.models import Activity
from tenants.actions import create_workspace
from tests.browser.test_crm_clients import OWNER, PASSWORD, _log_in, _no_sideways_scroll, _owner

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def acme(live_platform):  # type: ignore[no-untyped-def]
    """A workspace (committed, dropped afterwards) and its URL on the live server."""
    made = create_workspace(
        name="Acme Trading", subdomain="acme", owner_email=OWNER, owner_password=PASSWORD
    )
    port = live_platform.rsplit(":", 1)[1]
    return made, f"http://acme.localhost:{port}"


def _contact(made):  # type: ignore[no-untyped-def]
    with schema_context(made.workspace.schema_name):
        owner = _owner(made)
        company = client_actions.create_company(
            acting_user=owner, data={"name": "Торговый дом «Очень длинное название компании»"}
        )
        return client_actions.create_contact(
            acting_user=owner,
            data={
                "surname": "Константинопольская",
                "first_name": "Александра",
                "phones": ["+7 916 123-45-67"],
                "companies": [{"company": company.pk, "position": "Бухгалтер"}],
            },
        ), company


def test_log_a_call_on_a_card_and_see_it_on_the_timeline(acme, page: Page):
    made, url = acme
    contact, _company = _contact(made)
    _log_in(page, url)
    page.goto(f"{url}/contacts/{contact.pk}/")

    page.get_by_text("Log a call").click()
    page.locator("#quick-call").get_by_text("Incoming").click()
    page.locator("#quick-call").get_by_text("Asked to call back").click()
    page.get_by_label("Duration, min").fill("3:30")
    page.get_by_label("What was said").fill("Просит перезвонить в пятницу")
    page.get_by_role("button", name="Log the call").click()

    expect(page.locator("#toasts")).to_contain_text("Call added to the timeline.")
    entry = page.locator(".timeline-entry").first
    expect(entry).to_contain_text("Просит перезвонить в пятницу")
    expect(entry).to_contain_text("Asked to call back")
    expect(entry).to_contain_text("3 min 30 s")
    expect(page.locator(".card-summary")).not_to_contain_text("none yet")
    with schema_context(made.workspace.schema_name):
        call = Activity.objects.get()
        assert (call.direction, call.duration_seconds) == ("incoming", 210)

    page.locator(".timeline-filters").get_by_text("Note", exact=True).click()
    expect(page.locator("#timeline-list")).to_contain_text("No entries match")


def test_attach_a_file_and_download_it(acme, page: Page, tmp_path: Path):
    made, url = acme
    contact, _company = _contact(made)
    upload = tmp_path / "Договор поставки.pdf"
    upload.write_bytes(PDF)
    _log_in(page, url)
    page.goto(f"{url}/contacts/{contact.pk}/")

    page.get_by_text("Attach a file").click()
    page.locator("#quick-file-input").set_input_files(str(upload))
    page.get_by_role("button", name="Attach", exact=True).click()

    expect(page.locator("#toasts")).to_contain_text("Document added to the timeline.")
    link = page.locator(".timeline-entry a[download]").first
    expect(link).to_contain_text("pdf")
    with page.expect_download() as waiting:
        link.click()
    download = waiting.value
    assert Path(download.path()).read_bytes() == PDF


def test_card_with_its_timeline_fits_a_phone(acme, phone_page: Page):
    made, url = acme
    contact, company = _contact(made)
    with schema_context(made.workspace.schema_name):
        owner = _owner(made)
        for _number in range(5):
            actions.log_activity(
                acting_user=owner,
                data={
                    "contact": contact,
                    "kind": "meeting",
                    "subject": "Очень-длинная-тема-встречи-без-пробелов-" * 3,
                    "place": "Москва, Пресненская набережная, 12, башня «Федерация»",
                    "participants": ["Константинопольская А.", "Иванов И."],
                },
            )
        actions.log_activity(
            acting_user=owner,
            data={
                "company": company,
                "kind": "invoice",
                "number": "СЧ-000123456",
                "amount": "1234567.89",
                "currency": "RUB",
                "status": "sent",
            },
        )
    _log_in(phone_page, url)

    phone_page.goto(f"{url}/contacts/{contact.pk}/")

    expect(phone_page.locator(".timeline-entry")).to_have_count(6)
    expect(phone_page.locator(".timeline-entry").first).to_be_visible()
    _no_sideways_scroll(phone_page)
    phone_page.get_by_text("Log a call").click()
    _no_sideways_scroll(phone_page)
    phone_page.goto(f"{url}/companies/{company.pk}/")
    expect(phone_page.locator(".timeline-entry .badge.info").first).to_contain_text("From contact")
    _no_sideways_scroll(phone_page)
