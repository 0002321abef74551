"""Tasks clicked through in Chromium: a recurring task completed makes the next one;
"my tasks" on a 375 px phone with nothing wider than the screen."""

import datetime as dt

import pytest
from django_tenants.utils import schema_context, tenant_context
from playwright.sync_api import Page, expect

from crm.actions import clients as client_actions
from crm.actions import tasks as actions
from crm.models import Task, TaskStatus
from crm.selectors.tasks import workspace_today
from tenants.actions import create_workspace
from tenants.members.models import User

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple"
OWNER = "boss@tasks.example.com"
PHONE_WIDTH = 375


@pytest.fixture
def tasks_workspace(live_platform):  # type: ignore[no-untyped-def]
    made = create_workspace(
        name="Tasks Trading", subdomain="tasksco", owner_email=OWNER, owner_password=PASSWORD
    )
    port = live_platform.rsplit(":", 1)[1]
    return made, f"http://tasksco.localhost:{port}"


def _log_in(page: Page, url: str) -> None:
    page.context.add_cookies([{"name": "kartoteka_language", "value": "en", "url": url}])
    page.goto(f"{url}/accounts/login/")
    page.locator("input[name=login]").fill(OWNER)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{url}/")


def test_completing_a_recurring_task_shows_the_next_one(tasks_workspace, page):
    made, url = tasks_workspace
    with tenant_context(made.workspace):
        owner = User.objects.get(email=OWNER)
        today = workspace_today()
        first = actions.create_task(
            acting_user=owner,
            data={
                "title": "Weekly report",
                "due_date": today,
                "due_time": "09:00",
                "recurrence": {"frequency": "weekly", "weekdays": [today.isoweekday()]},
            },
        )
    _log_in(page, url)
    page.goto(f"{url}/tasks/")
    row = page.locator(f'tr[data-task-id="{first.pk}"]')
    expect(row).to_contain_text("Weekly report")
    row.locator("input[name=result]").fill("Sent to the board")
    row.get_by_role("button", name="Done: Weekly report").click()
    expect(page.locator("#toasts")).to_contain_text("Task done.")
    next_date = today + dt.timedelta(days=7)
    with schema_context(made.workspace.schema_name):
        following = Task.objects.get(series_id=first.series_id, status=TaskStatus.OPEN)
        assert following.due_date == next_date
        assert Task.objects.get(pk=first.pk).status == TaskStatus.DONE
    upcoming = page.locator(f'tr[data-task-id="{following.pk}"]')
    expect(upcoming).to_contain_text("Weekly report")
    expect(page.locator(f'tr[data-task-id="{first.pk}"]')).to_have_count(0)


def test_my_tasks_on_a_phone_fits_the_screen(tasks_workspace, phone_page):
    made, url = tasks_workspace
    with tenant_context(made.workspace):
        owner = User.objects.get(email=OWNER)
        contact = client_actions.create_contact(
            acting_user=owner,
            data={"surname": "Константинопольская", "first_name": "Александра"},
        )
        today = workspace_today()
        for offset, title in (
            (-2, "Overdue call about the very long contract renewal"),
            (0, "Today"),
            (4, "Later"),
        ):
            actions.create_task(
                acting_user=owner,
                data={
                    "title": title,
                    "due_date": today + dt.timedelta(days=offset),
                    "due_time": "10:00",
                    "contact": contact.pk,
                    "priority": "high",
                },
            )
    _log_in(phone_page, url)
    phone_page.goto(f"{url}/tasks/")
    expect(phone_page.locator(".data-table td.cell-primary").first).to_contain_text("Overdue call")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"/tasks/ is {width}px wide"
    too_wide = phone_page.evaluate(
        """() => [...document.querySelectorAll('main *')]
              .filter(e => e.getBoundingClientRect().right
                           > document.documentElement.clientWidth + 1)
              .map(e => e.tagName + '.' + e.className)"""
    )
    assert too_wide == [], too_wide
    # Done in one tap on the phone too.
    phone_page.get_by_role("button", name="Done: Today").click()
    expect(phone_page.locator("#toasts")).to_contain_text("Task done.")
