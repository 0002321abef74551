"""The Backups page on a 375 px phone, in Ukrainian: price, order form, schedule, the list."""

import pytest
from playwright.sync_api import expect

from tenants.actions import create_workspace
from tenants.backups import actions
from tenants.backups.models import Backup

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple"
OWNER = "owner@kopii.example.com"
PHONE_WIDTH = 375


@pytest.fixture
def backup_storage(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.BACKUP_STAGING_DIR = tmp_path / "staging"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "backups")},
        },
    }


def test_backups_page_in_ukrainian_fits_a_375_px_phone(live_platform, backup_storage, phone_page):
    page = phone_page
    made = create_workspace(
        name="Копії", subdomain="kopii", owner_email=OWNER, owner_password=PASSWORD
    )
    done = actions.request_backup(
        workspace=made.workspace, reason=Backup.Reason.OPERATOR, run_in_background=False
    )
    actions.make_backup(backup_id=str(done.pk))
    actions.request_backup(
        workspace=made.workspace, reason=Backup.Reason.OPERATOR, run_in_background=False
    )
    port = live_platform.rsplit(":", 1)[1]
    url = f"http://kopii.localhost:{port}"

    page.context.add_cookies([{"name": "kartoteka_language", "value": "uk", "url": url}])
    page.goto(f"{url}/accounts/login/")
    page.locator("input[name=login]").fill(OWNER)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{url}/")
    page.goto(f"{url}/settings/backups/")

    expect(page.get_by_role("heading", name="Резервні копії", level=1)).to_be_visible()
    expect(page.get_by_test_id("backup-price")).to_contain_text("Одна резервна копія коштує")
    expect(page.get_by_test_id("order-backup")).to_be_visible()
    expect(page.get_by_role("link", name="Завантажити")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the page is {width}px wide"
    too_wide = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
              .filter(e => e.getBoundingClientRect().right
                           > document.documentElement.clientWidth + 1)
              .map(e => e.tagName + '.' + e.className)"""
    )
    assert too_wide == [], too_wide
