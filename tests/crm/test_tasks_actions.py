"""Tasks, recurring series, missed calls, due notifications and date reminders (actions)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crm.actions import tasks as actions
from crm.errors import CrmNotFoundError, CrmValidationError
from crm.models import (
    Activity,
    ActivityKind,
    Direction,
    Notification,
    Task,
    TaskOrigin,
    TaskSeries,
    TaskStatus,
)
from crm.selectors import tasks as selectors


def _today():
    return selectors.workspace_today()


def _zone():
    return ZoneInfo(selectors.workspace_zone())


def _task(user, **data):
    data.setdefault("title", "Позвонить")
    data.setdefault("due_date", _today())
    return actions.create_task(acting_user=user, data=data)


# ---------------------------------------------------------------- basics


def test_a_task_with_a_time_is_due_at_that_wall_clock_time_in_the_workspace_zone(owner):
    task = _task(owner, due_time="14:30")
    local = timezone.localtime(task.due_at, _zone())
    assert (local.hour, local.minute) == (14, 30)
    assert task.due_has_time
    assert task.assignee_id == owner.pk
    assert task.status == TaskStatus.OPEN


def test_a_task_without_a_time_is_due_at_the_end_of_its_day(owner):
    task = _task(owner)
    local = timezone.localtime(task.due_at, _zone())
    assert (local.date(), local.hour) == (_today(), 23)
    assert not task.due_has_time


def test_bad_input_is_refused_with_messages_per_field_and_nothing_written(owner):
    with pytest.raises(CrmValidationError) as refused:
        actions.create_task(
            acting_user=owner,
            data={"title": " ", "due_date": "tomorrow", "due_time": "25:99", "priority": "urgent"},
        )
    assert set(refused.value.field_errors) >= {"title", "due_date", "due_time", "priority"}
    assert not Task.objects.exists()


def test_completing_with_a_result_logs_a_note_on_the_client_timeline(owner, make_contact):
    contact = make_contact(owner, first_name="Анна")
    task = _task(owner, contact=contact.pk)
    actions.complete_task(acting_user=owner, task_id=task.pk, result="Встреча назначена")
    note = Activity.objects.get(contact=contact)
    assert note.kind == ActivityKind.NOTE
    assert note.text == "Встреча назначена"
    assert note.author_id == owner.pk
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert task.completed_by_id == owner.pk


def test_completing_without_a_result_logs_nothing(owner, make_contact):
    contact = make_contact(owner)
    task = _task(owner, contact=contact.pk)
    actions.complete_task(acting_user=owner, task_id=task.pk)
    assert not Activity.objects.exists()


def test_skip_reopen_and_archive(owner):
    task = _task(owner)
    assert actions.skip_task(acting_user=owner, task_id=task.pk).status == TaskStatus.SKIPPED
    assert actions.reopen_task(acting_user=owner, task_id=task.pk).status == TaskStatus.OPEN
    assert actions.archive_task(acting_user=owner, task_id=task.pk).archived_at is not None


# ---------------------------------------------------------------- series


def _series(user, frequency, **rule):
    due = rule.pop("due_date", _today())
    return actions.create_task(
        acting_user=user,
        data={
            "title": "Отчёт",
            "due_date": due,
            "due_time": rule.pop("due_time", "09:00"),
            "recurrence": {"frequency": frequency, **rule},
        },
    )


def test_completing_an_occurrence_makes_the_next_exactly_once(owner):
    first = _series(owner, "daily", interval=2)
    actions.complete_task(acting_user=owner, task_id=first.pk)
    actions.complete_task(acting_user=owner, task_id=first.pk)  # a double tap
    actions.reopen_task(acting_user=owner, task_id=first.pk)
    actions.complete_task(acting_user=owner, task_id=first.pk)  # done again after a reopen
    tasks = list(Task.objects.filter(series=first.series).order_by("due_date"))
    assert [t.due_date for t in tasks] == [_today(), _today() + dt.timedelta(days=2)]
    assert tasks[1].status == TaskStatus.OPEN
    assert tasks[1].occurrence_key == f"series:{first.series_id}:{tasks[1].due_date.isoformat()}"
    local = timezone.localtime(tasks[1].due_at, _zone())
    assert (local.hour, local.minute) == (9, 0)


def test_skipping_an_occurrence_makes_the_next(owner):
    first = _series(owner, "weekly", weekdays=[_today().isoweekday()])
    actions.skip_task(acting_user=owner, task_id=first.pk)
    following = Task.objects.get(series=first.series, status=TaskStatus.OPEN)
    assert following.due_date == _today() + dt.timedelta(days=7)


def test_monthly_on_the_31st_makes_the_month_end(owner):
    start = dt.date(_today().year + 1, 1, 31)
    first = _series(owner, "monthly", month_day=31, due_date=start)
    assert first.due_date == start
    series = TaskSeries.objects.get(pk=first.series_id)
    made = actions._make_occurrence(series, dt.date(start.year, 2, 28))
    assert made.due_date.day == 28


def test_editing_this_occurrence_only_keeps_the_series(owner):
    first = _series(owner, "daily")
    actions.update_task(acting_user=owner, task_id=first.pk, data={"title": "Особый отчёт"})
    series = TaskSeries.objects.get(pk=first.series_id)
    assert series.title == "Отчёт"
    actions.complete_task(acting_user=owner, task_id=first.pk)
    following = Task.objects.get(series=series, status=TaskStatus.OPEN)
    assert following.title == "Отчёт"


def test_editing_the_series_changes_the_template_and_the_open_occurrence(owner, admin):
    first = _series(owner, "daily")
    actions.update_task(
        acting_user=owner,
        task_id=first.pk,
        data={"title": "Отчёт в 10", "due_time": "10:00", "assignee": admin.pk},
        scope=actions.SCOPE_SERIES,
    )
    first.refresh_from_db()
    assert first.title == "Отчёт в 10"
    assert first.assignee_id == admin.pk
    assert timezone.localtime(first.due_at, _zone()).hour == 10
    actions.complete_task(acting_user=owner, task_id=first.pk)
    following = Task.objects.get(series=first.series, status=TaskStatus.OPEN)
    assert following.title == "Отчёт в 10"
    assert timezone.localtime(following.due_at, _zone()).hour == 10


def test_archiving_the_series_stops_it(owner):
    first = _series(owner, "daily")
    actions.archive_task(acting_user=owner, task_id=first.pk, scope=actions.SCOPE_SERIES)
    assert TaskSeries.objects.get(pk=first.series_id).archived_at is not None
    assert not Task.objects.filter(archived_at__isnull=True).exists()


def test_a_weekly_series_without_days_is_refused_when_days_are_bad(owner):
    with pytest.raises(CrmValidationError) as refused:
        _series(owner, "weekly", weekdays=[9])
    assert "weekdays" in refused.value.field_errors
    assert not TaskSeries.objects.exists()


def test_the_series_time_survives_a_daylight_saving_change(owner):
    series = TaskSeries.objects.create(
        title="Созвон",
        assignee=owner,
        frequency="weekly",
        weekdays=[6],
        starts_on=dt.date(2026, 10, 24),
        due_time=dt.time(9, 0),
        time_zone="Europe/Kyiv",
    )
    before = actions._make_occurrence(series, dt.date(2026, 10, 24))
    after = actions._make_occurrence(series, dt.date(2026, 10, 31))
    kyiv = ZoneInfo("Europe/Kyiv")
    assert timezone.localtime(before.due_at, kyiv).hour == 9
    assert timezone.localtime(after.due_at, kyiv).hour == 9
    assert after.due_at.astimezone(dt.UTC) - before.due_at.astimezone(dt.UTC) == dt.timedelta(
        days=7, hours=1
    )


# ---------------------------------------------------------------- access


def test_members_seeing_only_their_own_clients_do_not_see_tasks_on_others(
    owner, member, member2, only_own, make_contact
):
    theirs = make_contact(owner, first_name="Чужой", responsible=member2.pk)
    task = _task(owner, contact=theirs.pk, assignee=member.pk)
    assert not selectors.visible_tasks(member).filter(pk=task.pk).exists()
    with pytest.raises(CrmNotFoundError):
        actions.complete_task(acting_user=member, task_id=task.pk)
    with pytest.raises(CrmValidationError) as refused:
        _task(member, contact=theirs.pk)
    assert "contact" in refused.value.field_errors


def test_a_member_cannot_change_a_colleagues_task(owner, member, member2):
    task = _task(member2)
    with pytest.raises(PermissionDenied):
        actions.complete_task(acting_user=member, task_id=task.pk)
    actions.complete_task(acting_user=owner, task_id=task.pk)


# ---------------------------------------------------------------- missed calls


def _missed_call(owner, contact):
    return Activity.objects.create(
        kind=ActivityKind.CALL,
        direction=Direction.MISSED,
        contact=contact,
        occurred_at=timezone.now(),
        number="+79001234567",
        author=owner,
    )


def test_a_missed_call_makes_one_call_back_task_for_the_responsible_manager(
    owner, member, make_contact
):
    actions.update_task_settings(acting_user=owner, callback_within_minutes=30)
    contact = make_contact(owner, first_name="Пётр", responsible=member.pk)
    call = _missed_call(owner, contact)
    task = actions.create_callback_for_missed_call(call)
    again = actions.create_callback_for_missed_call(call)
    assert task is not None
    assert again is not None
    assert again.pk == task.pk
    assert Task.objects.filter(origin=TaskOrigin.MISSED_CALL).count() == 1
    assert task.assignee_id == member.pk
    assert task.contact_id == contact.pk
    assert task.due_at == call.occurred_at + dt.timedelta(minutes=30)


def test_an_answered_call_makes_no_task(owner, make_contact):
    contact = make_contact(owner)
    call = _missed_call(owner, contact)
    call.direction = Direction.INCOMING
    assert actions.create_callback_for_missed_call(call) is None
    assert not Task.objects.exists()


def test_the_callback_setting_is_for_admins_and_checked(owner, member):
    with pytest.raises(PermissionDenied):
        actions.update_task_settings(acting_user=member, callback_within_minutes=10)
    with pytest.raises(CrmValidationError):
        actions.update_task_settings(acting_user=owner, callback_within_minutes=0)


# ---------------------------------------------------------------- due notifications


def test_a_due_task_makes_one_notification_and_one_email_even_when_swept_twice(
    owner, member, mailoutbox
):
    task = _task(owner, assignee=member.pk, due_time="00:00")
    later = timezone.now() + dt.timedelta(days=1)
    first = actions.sweep_due_tasks(now=later)
    second = actions.sweep_due_tasks(now=later)
    assert first == {"notified": 1, "emailed": 1}
    assert second == {"notified": 0, "emailed": 0}
    notification = Notification.objects.get()
    assert notification.recipient_id == member.pk
    assert notification.task_id == task.pk
    due_mails = [mail for mail in mailoutbox if "Позвонить" in mail.subject]
    assert len(due_mails) == 1
    assert due_mails[0].to == [member.email]
    assert selectors.bell_count(member) == 1


def test_a_task_not_yet_due_is_not_notified(owner):
    _task(owner, due_date=_today() + dt.timedelta(days=3), due_time="12:00")
    assert actions.sweep_due_tasks() == {"notified": 0, "emailed": 0}


def test_a_sweep_retried_after_a_crash_before_the_emails_sends_each_once(owner, mailoutbox):
    _task(owner, due_time="00:00")
    later = timezone.now() + dt.timedelta(days=1)
    # The worker made the notification, then died before e-mailing.
    actions._notify_batch(later)
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 1
    # The retried task runs the whole sweep again.
    assert actions.sweep_due_tasks(now=later) == {"notified": 0, "emailed": 1}
    assert len([mail for mail in mailoutbox if "Позвонить" in mail.subject]) == 1


def test_a_notification_is_written_in_the_recipients_language(owner, member, mailoutbox):
    member.language = "uk"
    member.save(update_fields=["language"])
    _task(owner, assignee=member.pk, title="Задача")
    actions.sweep_due_tasks(now=timezone.now() + dt.timedelta(days=1))
    assert Notification.objects.get().text.startswith("Термін сьогодні")


def test_marking_read_empties_the_bell(owner, member):
    _task(owner, assignee=member.pk, due_time="00:00")
    actions.sweep_due_tasks(now=timezone.now() + dt.timedelta(days=1))
    assert selectors.bell_count(member) == 1
    actions.mark_notifications_read(acting_user=member)
    assert selectors.bell_count(member) == 0


# ---------------------------------------------------------------- date reminders


def test_a_birthday_reminder_makes_one_task_per_client_even_when_run_twice(
    owner, member, make_contact
):
    today = _today()
    soon = today + dt.timedelta(days=3)
    birthday = dt.date(1990, soon.month, min(soon.day, 28))
    target = dt.date(
        today.year
        if dt.date(today.year, birthday.month, birthday.day) >= today
        else today.year + 1,
        birthday.month,
        birthday.day,
    )
    days_before = (target - today).days
    contact = make_contact(
        owner, first_name="Ира", birthday=birthday.isoformat(), responsible=member.pk
    )
    make_contact(owner, first_name="Без даты", allow_duplicate=True)
    rule = actions.save_reminder_rule(
        acting_user=owner,
        data={
            "name": "День рождения",
            "target": "contact:birthday",
            "days_before": days_before,
            "task_title": "Поздравить",
        },
    )
    assert actions.run_date_reminders() == 1
    assert actions.run_date_reminders() == 0  # beat ran twice
    task = Task.objects.get(origin=TaskOrigin.DATE_REMINDER)
    assert task.contact_id == contact.pk
    assert task.assignee_id == member.pk
    assert task.due_date == today
    assert task.occurrence_key == f"reminder:{rule.pk}:contact:{contact.pk}:{target.isoformat()}"


def test_a_reminder_made_up_for_after_a_missed_day_is_still_made_once(owner, make_contact):
    today = _today()
    contact = make_contact(
        owner,
        first_name="Олег",
        birthday=today.replace(year=1985).isoformat()
        if not (today.month == 2 and today.day == 29)
        else "1985-02-28",
    )
    actions.save_reminder_rule(
        acting_user=owner,
        data={"name": "ДР", "target": "contact:birthday", "days_before": 1},
    )
    # Yesterday the beat did not run; today's run makes the reminder for yesterday's date.
    assert actions.run_date_reminders(today=today) == 1
    # A retried worker runs it again, tomorrow's run finds it too.
    assert actions.run_date_reminders(today=today) == 0
    assert actions.run_date_reminders(today=today + dt.timedelta(days=1)) == 0
    assert Task.objects.filter(contact=contact).count() == 1


def test_a_date_custom_field_reminder_with_fallback_assignee(owner, admin, make_company):
    from crm.actions.custom_fields import create_custom_field

    create_custom_field(
        acting_user=owner,
        entity="company",
        key="policy_ends",
        labels={"ru": "Полис до"},
        field_type="date",
    )
    today = _today()
    ends = today + dt.timedelta(days=14)
    company = make_company(
        owner, name="Страхуемся", responsible=None, custom={"policy_ends": ends.isoformat()}
    )
    type(company).objects.filter(pk=company.pk).update(responsible=None)
    actions.save_reminder_rule(
        acting_user=owner,
        data={
            "name": "Полис",
            "target": "company:custom.policy_ends",
            "days_before": 14,
            "fallback_assignee": admin.pk,
        },
    )
    assert actions.run_date_reminders() == 1
    task = Task.objects.get(company=company)
    assert task.assignee_id == admin.pk


def test_reminder_rules_are_for_admins(member):
    with pytest.raises(PermissionDenied):
        actions.save_reminder_rule(
            acting_user=member, data={"name": "X", "target": "contact:birthday"}
        )


# ---------------------------------------------------------------- beat: fan-out and tasks


def test_the_fan_out_sends_the_sweep_only_where_something_is_due(
    in_workspace, owner, django_capture_on_commit_callbacks
):
    from crm import due_hints
    from crm.tasks import run_date_reminders_task, schemas_to_sweep, sweep_due_tasks_task

    due_hints.clear()
    schema = in_workspace.workspace.schema_name
    assert schemas_to_sweep() == []
    with django_capture_on_commit_callbacks(execute=True):
        _task(owner, due_time="00:00")
    assert schemas_to_sweep() == [schema]
    # The worker's task (run twice: beat ran twice, or a retry after a crash).
    assert sweep_due_tasks_task()["notified"] == 1
    assert sweep_due_tasks_task()["notified"] == 0
    assert Notification.objects.count() == 1
    # Nothing left to notify: the hint is gone and the next minute sends nothing.
    assert schemas_to_sweep() == []
    assert run_date_reminders_task() == 0


def test_a_task_due_later_sets_the_hint_to_its_time(
    in_workspace, owner, django_capture_on_commit_callbacks
):
    from crm import due_hints
    from crm.tasks import schemas_to_sweep

    due_hints.clear()
    with django_capture_on_commit_callbacks(execute=True):
        task = _task(owner, due_date=_today() + dt.timedelta(days=2), due_time="10:00")
    assert schemas_to_sweep() == []
    assert in_workspace.workspace.schema_name in due_hints.due_schemas(
        task.due_at + dt.timedelta(seconds=1)
    )
