"""The task pages: my tasks, one-tap done, the card's tasks, the bell, settings, home."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.actions import tasks as actions
from crm.models import Activity, CrmSettings, DateReminderRule, Task, TaskStatus
from crm.selectors import tasks as selectors
from tests.crm.views_helpers import browser_for, text_of

pytestmark = pytest.mark.django_db


def _task(user, **data):
    data.setdefault("title", "Позвонить")
    data.setdefault("due_date", selectors.workspace_today())
    return actions.create_task(acting_user=user, data=data)


def test_my_tasks_shows_overdue_today_and_upcoming(in_workspace, owner):
    today = selectors.workspace_today()
    _task(owner, title="Вчерашняя", due_date=today - dt.timedelta(days=1))
    _task(owner, title="Сегодняшняя")
    _task(owner, title="Будущая", due_date=today + dt.timedelta(days=3))
    page = text_of(browser_for(in_workspace, owner).get("/tasks/"))
    assert page.index("Overdue") < page.index("Вчерашняя") < page.index("Сегодняшняя")
    assert page.index("Upcoming") < page.index("Будущая")


def test_done_with_a_result_in_one_tap_logs_it_and_says_so(in_workspace, owner, make_contact):
    contact = make_contact(owner, first_name="Анна")
    task = _task(owner, contact=contact.pk)
    response = browser_for(in_workspace, owner).post(
        f"/tasks/{task.pk}/complete/", {"result": "Перезвонит сама", "next": "/tasks/"}, follow=True
    )
    assert "Task done." in text_of(response)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert Activity.objects.get(contact=contact).text == "Перезвонит сама"


def test_quick_add_from_a_card_links_the_client_and_the_card_lists_it(
    in_workspace, owner, make_contact
):
    contact = make_contact(owner, first_name="Анна")
    browser = browser_for(in_workspace, owner)
    browser.post(
        "/tasks/quick-add/",
        {
            "title": "Отправить КП",
            "due_date": selectors.workspace_today().isoformat(),
            "client": f"contact:{contact.pk}",
            "next": f"/contacts/{contact.pk}/",
        },
    )
    assert Task.objects.get().contact_id == contact.pk
    card = text_of(browser.get(f"/contacts/{contact.pk}/"))
    assert "Отправить КП" in card
    assert 'id="card-tasks"' in card


def test_the_task_form_makes_a_weekly_series(in_workspace, owner):
    today = selectors.workspace_today()
    response = browser_for(in_workspace, owner).post(
        "/tasks/new/",
        {
            "title": "Планёрка",
            "due_date": today.isoformat(),
            "due_time": "09:30",
            "assignee": owner.pk,
            "priority": "normal",
            "repeat": "weekly",
            "interval": "1",
            "weekdays": [str(today.isoweekday())],
        },
    )
    assert response.status_code == 302
    task = Task.objects.get()
    assert task.series is not None
    assert task.series.weekdays == [today.isoweekday()]


def test_the_task_form_shows_errors_instead_of_failing(in_workspace, owner):
    response = browser_for(in_workspace, owner).post(
        "/tasks/new/",
        {
            "title": "Планёрка",
            "due_date": selectors.workspace_today().isoformat(),
            "assignee": owner.pk,
            "priority": "normal",
            "repeat": "monthly",
            "month_day": "40",
        },
    )
    assert response.status_code == 200
    assert not Task.objects.exists()


def test_a_member_cannot_open_the_team_view_or_the_settings(in_workspace, member):
    browser = browser_for(in_workspace, member)
    assert browser.get("/tasks/team/").status_code == 403
    assert browser.get("/settings/reminders/").status_code == 403
    assert browser.get("/settings/crm/").status_code == 403


def test_the_team_view_counts_overdue_tasks_per_member(in_workspace, owner, member):
    _task(owner, assignee=member.pk, due_date=selectors.workspace_today() - dt.timedelta(days=2))
    page = text_of(browser_for(in_workspace, owner).get("/tasks/team/"))
    assert "masha" in page
    assert 'badge danger">1<' in page


def test_the_bell_counts_unread_and_mark_all_read_clears_it(in_workspace, owner):
    _task(owner, due_time="00:00")
    actions.sweep_due_tasks(now=timezone.now() + dt.timedelta(days=1))
    browser = browser_for(in_workspace, owner)
    assert "bell-count" in text_of(browser.get("/contacts/"))
    assert "Позвонить" in text_of(browser.get("/notifications/"))
    browser.post("/notifications/read/")
    assert "bell-count" not in text_of(browser.get("/contacts/"))


def test_admins_set_the_callback_time_and_a_reminder(in_workspace, owner):
    browser = browser_for(in_workspace, owner)
    browser.post("/settings/crm/", {"callback_within_minutes": "15"})
    assert CrmSettings.objects.get().callback_within_minutes == 15
    browser.post(
        "/settings/reminders/",
        {
            "name": "Дни рождения",
            "target": "contact:birthday",
            "days_before": "1",
            "assignee_rule": "responsible",
        },
    )
    assert DateReminderRule.objects.get().field == "birthday"
    bad = browser.post("/settings/crm/", {"callback_within_minutes": "0"})
    assert bad.status_code == 200
    assert CrmSettings.objects.get().callback_within_minutes == 15


def test_home_shows_the_days_work(in_workspace, owner):
    _task(owner, title="Сделать сегодня")
    page = text_of(browser_for(in_workspace, owner).get("/"))
    assert 'id="day-work"' in page
    assert "Сделать сегодня" in page


def _queries(function, *args):
    with CaptureQueriesContext(connection) as captured:
        function(*args)
    return len(captured.captured_queries)


def test_my_tasks_query_count_does_not_grow_with_tasks(in_workspace, owner, make_contact):
    contact = make_contact(owner, first_name="Анна")
    today = selectors.workspace_today()
    _task(owner, contact=contact.pk)
    few = _queries(selectors.my_tasks, owner)
    for offset in range(-3, 8):
        _task(owner, contact=contact.pk, due_date=today + dt.timedelta(days=offset))
    many = _queries(selectors.my_tasks, owner)
    assert few == many <= 3


def test_my_tasks_page_query_count_does_not_grow_with_tasks(in_workspace, owner, make_contact):
    contact = make_contact(owner, first_name="Анна")
    browser = browser_for(in_workspace, owner)
    _task(owner, contact=contact.pk)
    browser.get("/tasks/")
    with CaptureQueriesContext(connection) as few:
        browser.get("/tasks/")
    for offset in range(10):
        _task(
            owner,
            contact=contact.pk,
            due_date=selectors.workspace_today() + dt.timedelta(days=offset),
        )
    with CaptureQueriesContext(connection) as many:
        browser.get("/tasks/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_long_overdue_list_says_how_many_there_are(in_workspace, owner):
    yesterday = selectors.workspace_today() - dt.timedelta(days=1)
    first = _task(owner, due_date=yesterday)
    Task.objects.bulk_create(
        Task(
            title=f"Старая {number}",
            due_at=first.due_at,
            due_date=yesterday,
            due_has_time=False,
            assignee=owner,
        )
        for number in range(54)
    )
    page = text_of(browser_for(in_workspace, owner).get("/tasks/"))
    assert "The oldest 50 of 55 tasks due by today are shown" in page


def test_the_quick_add_fields_made_once_follow_the_language_and_the_day(in_workspace):
    from django.utils import translation

    from crm.task_forms import QuickTaskForm
    from crm.views.tasks import quick_fields_html

    day = dt.date(2026, 11, 29)
    with translation.override("en"):
        english = quick_fields_html(QuickTaskForm(initial={"due_date": day}))
    with translation.override("ru"):
        russian = quick_fields_html(QuickTaskForm(initial={"due_date": day}))
        next_day_form = QuickTaskForm(initial={"due_date": day + dt.timedelta(1)})
        next_day_input = str(next_day_form["due_date"])
        next_day = quick_fields_html(next_day_form)

    assert "New task" in english
    assert "Новая задача" in russian
    assert next_day_input in next_day
    assert next_day_input not in russian


def test_the_quick_add_fields_made_once_keep_the_time_zone_note_to_those_it_concerns(
    in_workspace,
):
    from django.utils import translation

    from crm.task_forms import QuickTaskForm
    from crm.views.tasks import quick_fields_html

    day = selectors.workspace_today()
    with translation.override("en"), timezone.override(selectors.workspace_zone()):
        same_zone = quick_fields_html(QuickTaskForm(initial={"due_date": day}))
    with translation.override("en"), timezone.override("Pacific/Kiritimati"):
        other_zone = quick_fields_html(QuickTaskForm(initial={"due_date": day}))

    assert "In the workspace" not in same_zone
    assert "In the workspace&#x27;s time zone" in other_zone
