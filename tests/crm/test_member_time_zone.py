"""A member's own time zone: times shown, "today" and due notifications in it."""

import datetime as dt
import html
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from crm.actions import tasks as actions
from crm.models import Notification
from crm.selectors import tasks as selectors
from tests.crm.views_helpers import browser_for
from tests.crm.views_helpers import text_of as raw_text_of

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return html.unescape(raw_text_of(response))


def _far_zone() -> str:
    """A zone several hours away from the workspace's, whatever the template's is."""
    return "America/New_York" if "Asia" in selectors.workspace_zone() else "Asia/Vladivostok"


def _set_zone(user, zone: str) -> None:
    user.time_zone = zone
    user.save(update_fields=["time_zone"])


def _task(user, **data):
    data.setdefault("title", "Позвонить")
    data.setdefault("due_date", selectors.workspace_today())
    return actions.create_task(acting_user=user, data=data)


def test_a_member_sets_and_clears_their_own_zone_on_my_account(in_workspace, member):
    browser = browser_for(in_workspace, member)
    page = text_of(browser.get("/account/"))
    assert "The workspace's" in page
    response = browser.post("/account/time-zone/", {"time_zone": "Asia/Vladivostok"}, follow=True)
    assert "Your time zone is saved." in text_of(response)
    member.refresh_from_db()
    assert member.time_zone == "Asia/Vladivostok"
    browser.post("/account/time-zone/", {"time_zone": ""})
    member.refresh_from_db()
    assert member.time_zone == ""


def test_an_unknown_zone_is_refused_with_a_message_and_nothing_changes(in_workspace, member):
    _set_zone(member, "Europe/Kyiv")
    response = browser_for(in_workspace, member).post(
        "/account/time-zone/", {"time_zone": "Mars/Olympus"}, follow=True
    )
    assert "Please choose a time zone from the list." in text_of(response)
    member.refresh_from_db()
    assert member.time_zone == "Europe/Kyiv"


def test_the_refusal_is_in_the_members_language(in_workspace, member):
    member.language = "ru"
    member.save(update_fields=["language"])
    response = browser_for(in_workspace, member).post(
        "/account/time-zone/", {"time_zone": "nowhere"}, follow=True
    )
    assert "Выберите часовой пояс из списка." in text_of(response)


def test_my_tasks_show_due_times_in_the_members_own_zone(in_workspace, owner, member):
    zone = _far_zone()
    _set_zone(member, zone)
    task = _task(owner, assignee=member.pk, title="Созвон", due_time="14:30")
    theirs = timezone.localtime(task.due_at, ZoneInfo(zone)).strftime("%H:%M")
    assert theirs != "14:30"
    member_page = text_of(browser_for(in_workspace, member).get(f"/tasks/{task.pk}/"))
    owner_page = text_of(browser_for(in_workspace, owner).get(f"/tasks/{task.pk}/"))
    assert theirs in member_page
    assert "14:30" in owner_page


def test_the_task_form_says_the_time_is_the_workspaces_when_zones_differ(
    in_workspace, owner, member
):
    _set_zone(member, _far_zone())
    assert "In the workspace's time zone" in text_of(
        browser_for(in_workspace, member).get("/tasks/new/")
    )
    assert "In the workspace's time zone" not in text_of(
        browser_for(in_workspace, owner).get("/tasks/new/")
    )


def test_today_is_the_viewers_own_day():
    """A task at 23:30 in Moscow falls on the next day in Vladivostok (UTC+10)."""
    moscow, vladivostok = ZoneInfo("Europe/Moscow"), ZoneInfo("Asia/Vladivostok")
    day = dt.date(2026, 3, 10)
    due_at = dt.datetime.combine(day, dt.time(23, 30), tzinfo=moscow)
    from crm.models import Task

    task = Task(title="Поздний звонок", due_at=due_at, due_date=day, due_has_time=True)
    now = dt.datetime.combine(day, dt.time(10, 0), tzinfo=moscow)
    in_moscow = selectors.split_buckets([task], day, now, moscow)
    in_vladivostok = selectors.split_buckets([task], day, now, vladivostok)
    assert in_moscow.today == [task]
    assert in_vladivostok.upcoming == [task]
    assert selectors.task_local_date(task, vladivostok) == dt.date(2026, 3, 11)


def test_the_due_notification_names_the_time_in_the_assignees_zone(in_workspace, owner, member):
    zone = _far_zone()
    _set_zone(member, zone)
    task = _task(owner, assignee=member.pk, due_time="00:00")
    actions.sweep_due_tasks(now=timezone.now() + dt.timedelta(days=1))
    theirs = timezone.localtime(task.due_at, ZoneInfo(zone)).strftime("%H:%M")
    assert theirs in Notification.objects.get(recipient=member).text
