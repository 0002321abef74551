# ruff: noqa: RUF001 (Russian names and headers are the data here)
"""The import wizard clicked through in Chromium on a real Bitrix24-style file (cp1251, `;`,
Russian headers): upload to summary, then undo; and every step on a 375 px phone."""

import csv
import io
from pathlib import Path

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from crm.models import Contact, CustomField
from onboarding.importing.models import ImportJob
from tenants.actions import create_workspace

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple"
OWNER = "boss@acme.example.com"
PHONE_WIDTH = 375
HEADERS = ["Фамилия", "Имя", "Отчество", "Мобильный телефон", "E-mail", "Город", "Комментарий"]
ROWS = [
    ["Иванова", "Мария", "Петровна", "+7 916 111-22-33", "maria@example.com", "Москва", "VIP"],
    ["Петров", "Олег", "Иванович", "8 (916) 444-55-66", "oleg@example.com", "Тверь", ""],
    ["Сидоров", "Иван", "", "+7 916 777-88-99", "ivan@example.com", "Казань", "Звонить утром"],
    ["Кузнецова", "Анна", "", "+7 916 000-00-01", "это не адрес", "Омск", ""],
]


@pytest.fixture
def acme(live_platform):  # type: ignore[no-untyped-def]
    made = create_workspace(
        name="Acme Trading", subdomain="acme", owner_email=OWNER, owner_password=PASSWORD
    )
    port = live_platform.rsplit(":", 1)[1]
    return made, f"http://acme.localhost:{port}"


@pytest.fixture
def bitrix_file(tmp_path: Path) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(ROWS)
    path = tmp_path / "контакты битрикс.csv"
    path.write_bytes(out.getvalue().encode("cp1251"))
    return path


def _log_in(page: Page, url: str) -> None:
    page.context.add_cookies([{"name": "kartoteka_language", "value": "en", "url": url}])
    page.goto(f"{url}/accounts/login/")
    page.locator("input[name=login]").fill(OWNER)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{url}/")


def _wider_than_viewport(page: Page) -> list[str]:
    """Elements sticking out of the viewport, except inside an intended sideways scroller."""
    return list(
        page.evaluate(
            """() => Array.from(document.querySelectorAll('body *'))
                .filter(e => !e.closest('.import-scroll'))
                .filter(e => {
                    const r = e.getBoundingClientRect();
                    return r.width > 1 && r.right > window.innerWidth + 1;
                })
                .map(e => e.tagName + '.' + e.className + ' '
                          + Math.round(e.getBoundingClientRect().right))"""
        )
    )


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH, page.url
    assert _wider_than_viewport(page) == [], page.url


def _upload(page: Page, url: str, path: Path) -> None:
    page.goto(f"{url}/contacts/")
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_text("Up to 50 MB and 1,000,000 rows per file.")).to_be_visible()
    page.get_by_label("Contacts (people)").check()
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="Upload and continue").click()
    page.wait_for_url("**/reading/")


def test_whole_wizard_on_a_bitrix24_csv_then_undo(acme, page, bitrix_file):
    _made, url = acme
    _log_in(page, url)

    # 1-2. Upload; the encoding and the separator are detected, the preview reads right.
    _upload(page, url, bitrix_file)
    expect(page.get_by_test_id("detected")).to_contain_text("cp1251")
    expect(page.get_by_test_id("detected")).to_contain_text("separator: “;”")
    preview = page.locator(".preview-table").first
    expect(preview).to_contain_text("Фамилия")
    expect(preview).to_contain_text("Иванова")
    page.get_by_role("button", name="The preview looks right: continue").click()

    # 3. Columns: suggestions are chosen; "Город" becomes a new custom field.
    page.wait_for_url("**/columns/")
    expect(page.get_by_label("Field for the column “Фамилия”")).to_have_value("surname")
    expect(page.get_by_label("Field for the column “E-mail”")).to_have_value("email")
    city = page.get_by_label("Field for the column “Город”")
    city.select_option("__new__")
    new_name = page.locator("[name=new_name_5]")
    expect(new_name).to_be_visible()
    new_name.fill("Город")
    page.get_by_label("Save this mapping as").fill("Битрикс24")
    page.get_by_role("button", name="Check the rows").click()

    # 4. Check: three rows are fine, one has a bad e-mail; import the valid ones.
    page.wait_for_url("**/check/")
    expect(page.get_by_test_id("check-counts")).to_contain_text("3")
    expect(page.locator(".errors-table")).to_contain_text("Row 5")
    page.get_by_label("Import the valid rows and leave the failing ones out").check()
    page.get_by_role("button", name="Continue").click()

    # 5. Duplicates: none; start.
    page.wait_for_url("**/duplicates/")
    expect(page.get_by_test_id("duplicate-counts")).to_be_visible()
    page.get_by_role("button", name="Start the import").click()

    # 6. Run: the summary.
    page.wait_for_url("**/run/")
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible()
    summary = page.get_by_test_id("import-summary")
    expect(summary.locator(".stat").nth(0)).to_contain_text("3")
    expect(summary.locator(".stat").nth(3)).to_contain_text("1")
    page.get_by_role("link", name="Open the contacts").click()
    expect(page.locator("main")).to_contain_text("Иванова")
    with _schema():
        assert Contact.objects.count() == 3
        assert CustomField.objects.filter(entity="contact").count() == 1

    # 7. History, then undo (with the confirm dialog).
    page.goto(f"{url}/import/history/")
    expect(page.get_by_test_id("import-history")).to_contain_text("контакты битрикс.csv")
    page.get_by_role("link", name="Undo").first.click()
    expect(page.get_by_test_id("undo-counts")).to_contain_text(
        "3 contacts it created will be removed"
    )
    page.locator("main").get_by_role("button", name="Undo the import").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/run/")
    expect(page.get_by_role("heading", name="Import undone")).to_be_visible()
    with _schema():
        assert Contact.objects.count() == 0
        assert ImportJob.objects.get().status == "undone"


def _schema():  # type: ignore[no-untyped-def]
    from tenants.models import Workspace

    return schema_context(Workspace.objects.get(subdomain="acme").schema_name)


def test_every_wizard_step_fits_a_phone(acme, phone_page, bitrix_file):
    page = phone_page
    _made, url = acme
    _log_in(page, url)

    page.goto(f"{url}/import/")
    _fits(page)
    page.locator("input[type=file]").set_input_files(str(bitrix_file))
    page.get_by_role("button", name="Upload and continue").click()
    page.wait_for_url("**/reading/")
    _fits(page)
    # The preview is wider than the phone: it scrolls inside its own box.
    assert page.evaluate(
        "(() => { const s = document.querySelector('.import-scroll');"
        " return s.scrollWidth > s.clientWidth; })()"
    )
    page.get_by_role("button", name="The preview looks right: continue").click()
    page.wait_for_url("**/columns/")
    _fits(page)
    page.get_by_role("button", name="Check the rows").click()
    page.wait_for_url("**/check/")
    _fits(page)
    page.get_by_label("Import the valid rows and leave the failing ones out").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/duplicates/")
    _fits(page)
    page.get_by_role("button", name="Start the import").click()
    page.wait_for_url("**/run/")
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible()
    _fits(page)
    page.goto(f"{url}/import/history/")
    _fits(page)
