"""Every write of tasks, recurring series, date reminders and notifications.

Input of create/update is a plain mapping, the same from a form and the API:
title, description, priority, due_date (date or ISO text), due_time (time, "HH:MM" or
empty: no time), assignee (member id; the acting member when absent), contact, company,
deal (ids or None), and for a recurring task `recurrence`: {"frequency", "interval",
"weekdays" (ISO 1..7), "month_day" (1..31, 31 = last day), "ends_on"}.

Times are set as wall-clock times in the workspace's time zone; a member who chose a
zone of their own (My account) sees them, their "today" and their due notifications in
it. A task without a time is due at the end of its day and notified at 09:00.

Who may change a task: its assignee, its creator, owners and admins; and only while
they may see the client or deal it is linked to (crm.selectors.tasks.visible_tasks).
Refusals: CrmValidationError, CrmNotFoundError (a task the member may not see),
PermissionDenied, tenants.guards.WorkspaceReadOnlyError.
"""

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_time
from django.utils.translation import gettext as _

from crm import recurrence
from crm.errors import CrmNotFoundError, CrmValidationError
from crm.models import (
    Activity,
    ActivityKind,
    Company,
    Contact,
    CrmSettings,
    DateReminderRule,
    Deal,
    Direction,
    Frequency,
    Notification,
    Task,
    TaskOrigin,
    TaskPriority,
    TaskSeries,
    TaskStatus,
)
from crm.selectors.access import crm_settings, visible_companies, visible_contacts
from crm.selectors.deals import visible_deals
from crm.selectors.tasks import (
    bell_cache_key,
    can_change_task,
    forget_bell,
    member_zone,
    visible_tasks,
    workspace_zone,
)
from tenants.db import current_schema_name
from tenants.guards import current_workspace, ensure_workspace_writable
from tenants.members.models import AuditEntry, User

logger = logging.getLogger(__name__)

SCOPE_THIS = "this"
SCOPE_SERIES = "series"


def _ensure_active(acting_user: Any) -> None:
    if acting_user is None or not getattr(acting_user, "is_active", False):
        raise PermissionDenied(_("Only active members can do this."))


def _require_admin(acting_user: Any) -> None:
    _ensure_active(acting_user)
    if not acting_user.is_workspace_admin:
        raise PermissionDenied(_("Only owners and admins can do this."))


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value not in (None, "") else ""


def _id_or_none(value: Any) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    if isinstance(value, (Contact, Company, Deal, User)):
        return int(value.pk)
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


# ---------------------------------------------------------------- input


def _clean_recurrence(raw: Any, starts_on: dt.date, errors: dict[str, list[str]]) -> Any:
    if not raw:
        return None
    frequency = str(raw.get("frequency") or "")
    if frequency in ("", "none"):
        return None
    try:
        interval = int(raw.get("interval") or 1)
    except (TypeError, ValueError):
        interval = 0
    weekdays: list[int] = []
    for value in raw.get("weekdays") or []:
        try:
            weekdays.append(int(value))
        except (TypeError, ValueError):
            weekdays.append(0)
    month_day_raw = raw.get("month_day")
    try:
        month_day = int(month_day_raw) if month_day_raw not in (None, "") else None
    except (TypeError, ValueError):
        month_day = 0
    if frequency == Frequency.WEEKLY and not weekdays:
        weekdays = [starts_on.isoweekday()]
    if frequency == Frequency.MONTHLY and month_day is None:
        month_day = starts_on.day
    ends_raw = raw.get("ends_on")
    ends_on = ends_raw if isinstance(ends_raw, dt.date) else parse_date(str(ends_raw or "")) or None
    if ends_raw not in (None, "") and ends_on is None:
        errors["ends_on"] = [_("Enter a valid date.")]
    rule = recurrence.Rule(
        frequency=frequency,
        starts_on=starts_on,
        interval=interval,
        weekdays=tuple(sorted(set(weekdays))),
        month_day=month_day,
        ends_on=ends_on,
    )
    messages = {
        "frequency": _("Choose how the task repeats."),
        "interval": _("Repeat every 1 to 366 days, weeks, months or years."),
        "weekdays": _("Choose at least one day of the week."),
        "month_day": _("Choose a day of the month from 1 to 31."),
        "ends_on": _("The last date cannot be before the first."),
    }
    for field in recurrence.problems(rule):
        errors[field] = [messages[field]]
    return rule


def _clean(
    acting_user: User, data: Mapping[str, Any], *, current: Task | None = None
) -> dict[str, Any]:
    """Validate a task's input (all errors at once); the linked records must be visible."""
    errors: dict[str, list[str]] = {}

    def pick(name: str) -> Any:
        if name in data:
            return data[name]
        return getattr(current, name, None) if current is not None else None

    title = _text(pick("title"))
    if not title:
        errors["title"] = [_("Enter a title.")]
    elif len(title) > 255:
        errors["title"] = [_("At most 255 characters.")]
    description = str(pick("description") or "").strip()
    priority = pick("priority") or TaskPriority.NORMAL
    if priority not in TaskPriority.values:
        errors["priority"] = [_("Choose a priority.")]

    raw_date = data.get("due_date") if "due_date" in data else getattr(current, "due_date", None)
    due_date = (
        raw_date
        if isinstance(raw_date, dt.date)
        else (parse_date(str(raw_date or "")) if raw_date else None)
    )
    if not raw_date:
        errors["due_date"] = [_("Choose a due date.")]
    elif due_date is None:
        errors["due_date"] = [_("Enter a valid date.")]
    if "due_time" in data:
        raw_time = data.get("due_time")
    elif current is not None and current.due_has_time:
        raw_time = timezone.localtime(current.due_at, workspace_zone_info()).time()
    else:
        raw_time = None
    try:
        due_time = (
            raw_time
            if isinstance(raw_time, dt.time)
            else (parse_time(str(raw_time)) if raw_time else None)
        )
    except ValueError:
        due_time = None
    if raw_time and due_time is None:
        errors["due_time"] = [_("Enter a valid time.")]
    if due_time is not None:
        due_time = due_time.replace(second=0, microsecond=0, tzinfo=None)

    assignee_id = _id_or_none(pick("assignee_id") if "assignee" not in data else data["assignee"])
    if current is None and "assignee" not in data:
        assignee_id = acting_user.pk
    assignee = None
    if assignee_id:
        assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
    if assignee is None:
        errors["assignee"] = [_("Choose an active member.")]

    linked: dict[str, Any] = {}
    for name, queryset in (
        ("contact", visible_contacts(acting_user)),
        ("company", visible_companies(acting_user)),
        ("deal", visible_deals(acting_user)),
    ):
        raw = data[name] if name in data else getattr(current, f"{name}_id", None)
        pk = _id_or_none(raw)
        if pk is None:
            linked[name] = None
            continue
        found = queryset.filter(pk=pk).first()
        if found is None:
            errors[name] = [_("Choose a record you can see.")]
        linked[name] = found

    rule = None
    if "recurrence" in data and due_date is not None:
        rule = _clean_recurrence(data.get("recurrence"), due_date, errors)
    if errors or due_date is None:
        raise CrmValidationError(errors or {"due_date": [_("Choose a due date.")]})
    return {
        "title": title,
        "description": description,
        "priority": priority,
        "due_date": due_date,
        "due_time": due_time,
        "assignee": assignee,
        **linked,
        "rule": rule,
    }


def workspace_zone_info() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(workspace_zone())


def _due_fields(due_date: dt.date, due_time: dt.time | None, zone: str) -> dict[str, Any]:
    return {
        "due_date": due_date,
        "due_at": recurrence.local_moment(due_date, due_time, zone),
        "due_has_time": due_time is not None,
    }


def _rule_of(series: TaskSeries) -> recurrence.Rule:
    return recurrence.Rule(
        frequency=series.frequency,
        starts_on=series.starts_on,
        interval=series.interval,
        weekdays=tuple(series.weekdays or ()),
        month_day=series.month_day,
        ends_on=series.ends_on,
    )


def _occurrence_key(series: TaskSeries, day: dt.date) -> str:
    return f"series:{series.pk}:{day.isoformat()}"


def _occurrence_date(task: Task) -> dt.date:
    """The series date a task stands for (its key's date: moving one occurrence keeps it)."""
    if task.occurrence_key and task.occurrence_key.startswith("series:"):
        parsed = parse_date(task.occurrence_key.rsplit(":", 1)[-1])
        if parsed is not None:
            return parsed
    return task.due_date


def _make_occurrence(series: TaskSeries, day: dt.date) -> Task:
    """The task of `series` on `day`, made once (the unique key decides)."""
    key = _occurrence_key(series, day)
    found = Task.objects.filter(occurrence_key=key).first()
    if found is not None:
        return found
    fields = {
        "title": series.title,
        "description": series.description,
        "priority": series.priority,
        "assignee_id": series.assignee_id,
        "contact_id": series.contact_id,
        "company_id": series.company_id,
        "deal_id": series.deal_id,
        "origin": TaskOrigin.RECURRENCE,
        "series": series,
        "created_by_id": series.created_by_id,
        **_due_fields(day, series.due_time, series.time_zone),
    }
    try:
        with transaction.atomic():
            task = Task.objects.create(occurrence_key=key, **fields)
    except IntegrityError:
        # Another run made it between the read and the insert.
        return Task.objects.get(occurrence_key=key)
    _hint_due(task)
    return task


# ---------------------------------------------------------------- tasks


@transaction.atomic
def create_task(
    *, acting_user: User, data: Mapping[str, Any], origin: str = TaskOrigin.MANUAL
) -> Task:
    """Create a task (or, with `recurrence`, a series and its first occurrence)."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    clean = _clean(acting_user, data)
    zone = workspace_zone()
    rule = clean.pop("rule")
    due_date, due_time = clean.pop("due_date"), clean.pop("due_time")
    if rule is not None:
        series = TaskSeries.objects.create(
            title=clean["title"],
            description=clean["description"],
            priority=clean["priority"],
            assignee=clean["assignee"],
            contact=clean["contact"],
            company=clean["company"],
            deal=clean["deal"],
            frequency=rule.frequency,
            interval=rule.interval,
            weekdays=list(rule.weekdays) if rule.frequency == Frequency.WEEKLY else [],
            month_day=rule.month_day if rule.frequency == Frequency.MONTHLY else None,
            starts_on=due_date,
            due_time=due_time,
            time_zone=zone,
            ends_on=rule.ends_on,
            created_by=acting_user,
        )
        first = recurrence.first_occurrence(_rule_of(series))
        if first is None:
            raise CrmValidationError({"ends_on": [_("The series has no date to repeat on.")]})
        task = _make_occurrence(series, first)
        if origin != TaskOrigin.MANUAL:
            Task.objects.filter(pk=task.pk).update(origin=origin)
        _forget_bells(task)
        return task
    task = Task.objects.create(
        **clean,
        **_due_fields(due_date, due_time, zone),
        origin=origin,
        created_by=acting_user,
    )
    _hint_due(task)
    return task


def get_task_for_change(acting_user: User, task_id: int, *, lock: bool = True) -> Task:
    """The task `task_id` if `acting_user` may see and change it (locked for the change)."""
    _ensure_active(acting_user)
    tasks = visible_tasks(acting_user).filter(pk=task_id)
    if lock:
        tasks = tasks.select_for_update(of=("self",))
    task = tasks.first()
    if task is None:
        raise CrmNotFoundError()
    if not can_change_task(acting_user, task):
        raise PermissionDenied(_("Only the assignee, the author and admins can change this task."))
    return task


@transaction.atomic
def update_task(
    *,
    acting_user: User,
    task_id: int,
    data: Mapping[str, Any],
    scope: str = SCOPE_THIS,
) -> Task:
    """Change a task; for an occurrence of a series, this one only or the whole series.

    `scope="series"` changes the series' template (title, description, priority,
    assignee, links, time and the repeat rule) and every open occurrence from this one
    on; occurrences already done stay as they were. `scope="this"` changes only this
    task (it keeps its place in the series: completing it still makes the next).
    """
    ensure_workspace_writable()
    task = get_task_for_change(acting_user, task_id)
    clean = _clean(acting_user, data, current=task)
    rule = clean.pop("rule")
    due_date, due_time = clean.pop("due_date"), clean.pop("due_time")
    zone = workspace_zone()
    if scope == SCOPE_SERIES and task.series_id is not None:
        series = TaskSeries.objects.select_for_update().get(pk=task.series_id)
        return _update_series(acting_user, series, task, clean, rule, due_date, due_time)
    for name, value in clean.items():
        setattr(task, name, value)
    for name, value in _due_fields(due_date, due_time, zone).items():
        setattr(task, name, value)
    if task.status == TaskStatus.OPEN and task.notified_at and task.due_at > timezone.now():
        # Moved into the future: notify again when it is due.
        task.notified_at = None
    task.save()
    _hint_due(task)
    return task


def _update_series(
    acting_user: User,
    series: TaskSeries,
    task: Task,
    clean: dict[str, Any],
    rule: recurrence.Rule | None,
    due_date: dt.date,
    due_time: dt.time | None,
) -> Task:
    rule_changed = False
    for name in ("title", "description", "priority", "assignee", "contact", "company", "deal"):
        setattr(series, name, clean[name])
    if series.due_time != due_time:
        series.due_time = due_time
    if rule is not None:
        new_weekdays = list(rule.weekdays) if rule.frequency == Frequency.WEEKLY else []
        new_month_day = rule.month_day if rule.frequency == Frequency.MONTHLY else None
        occurrence_day = _occurrence_date(task)
        rule_changed = (
            series.frequency != rule.frequency
            or series.interval != rule.interval
            or list(series.weekdays or []) != new_weekdays
            or series.month_day != new_month_day
            or due_date != occurrence_day
            or series.ends_on != rule.ends_on
        )
        series.frequency = rule.frequency
        series.interval = rule.interval
        series.weekdays = new_weekdays
        series.month_day = new_month_day
        series.ends_on = rule.ends_on
        if rule_changed:
            series.starts_on = due_date
    series.save()
    open_tasks = list(
        Task.objects.select_for_update()
        .filter(series=series, status=TaskStatus.OPEN, archived_at__isnull=True)
        .filter(Q(pk=task.pk) | Q(due_date__gte=task.due_date))
    )
    result = task
    for occurrence in open_tasks:
        for name in ("title", "description", "priority", "assignee", "contact", "company", "deal"):
            setattr(occurrence, name, clean[name])
        day = _occurrence_date(occurrence)
        if rule_changed and occurrence.pk == task.pk:
            day = recurrence.first_occurrence(_rule_of(series)) or due_date
            new_key = _occurrence_key(series, day)
            if Task.objects.filter(occurrence_key=new_key).exclude(pk=occurrence.pk).exists():
                day = recurrence.next_occurrence(_rule_of(series), day) or day
                new_key = _occurrence_key(series, day)
            occurrence.occurrence_key = new_key
        elif rule_changed:
            occurrence.archived_at = timezone.now()
        for name, value in _due_fields(day, series.due_time, series.time_zone).items():
            setattr(occurrence, name, value)
        if occurrence.due_at > timezone.now():
            occurrence.notified_at = None
        occurrence.save()
        _hint_due(occurrence)
        if occurrence.pk == task.pk:
            result = occurrence
    return result


def _log_result(acting_user: User, task: Task, result: str) -> Activity | None:
    """The completed task's result as a note on the client's (or deal's) timeline.

    Through the timeline's own action, so the entry is what any note is (searchable,
    editable with versions; a note is not "contact with the client", so the client's last
    contact stays as it was).
    """
    if not result or not (task.contact_id or task.company_id or task.deal_id):
        return None
    from crm.actions.timeline import log_activity

    return log_activity(
        acting_user=acting_user,
        data={
            "kind": ActivityKind.NOTE,
            "contact": task.contact_id,
            "company": task.company_id,
            "deal": task.deal_id,
            "text": result,
        },
    )


def _next_of_series(task: Task) -> Task | None:
    if task.series_id is None:
        return None
    series = TaskSeries.objects.get(pk=task.series_id)
    if series.archived_at is not None:
        return None
    today = timezone.localdate(timezone=workspace_zone_info())
    day = recurrence.next_from(_rule_of(series), _occurrence_date(task), today)
    return _make_occurrence(series, day) if day is not None else None


def _close(acting_user: User, task_id: int, status: str, result: str) -> Task:
    ensure_workspace_writable()
    task = get_task_for_change(acting_user, task_id)
    if task.archived_at is not None:
        raise CrmValidationError({"__all__": [_("This task is archived.")]})
    if task.status != TaskStatus.OPEN:
        # Done twice (a double tap, a retried request): nothing more to do.
        return task
    task.status = status
    task.completed_at = timezone.now()
    task.completed_by = acting_user
    task.result = result
    task.save(update_fields=["status", "completed_at", "completed_by", "result", "updated_at"])
    if status == TaskStatus.DONE:
        _log_result(acting_user, task, result)
    _next_of_series(task)
    _forget_bells(task)
    return task


@transaction.atomic
def complete_task(*, acting_user: User, task_id: int, result: str = "") -> Task:
    """Mark a task done; a result is logged to the client's timeline as a note.

    For an occurrence of a series, the next occurrence is made (once: completing it
    again, or after a reopen, finds the one already made).
    """
    return _close(acting_user, task_id, TaskStatus.DONE, (result or "").strip())


@transaction.atomic
def skip_task(*, acting_user: User, task_id: int) -> Task:
    """Skip a task (not done, not needed); a series moves on to its next occurrence."""
    return _close(acting_user, task_id, TaskStatus.SKIPPED, "")


@transaction.atomic
def reopen_task(*, acting_user: User, task_id: int) -> Task:
    """Open a done or skipped task again (its series' next occurrence stays)."""
    ensure_workspace_writable()
    task = get_task_for_change(acting_user, task_id)
    if task.status == TaskStatus.OPEN:
        return task
    task.status = TaskStatus.OPEN
    task.completed_at = None
    task.completed_by = None
    task.save(update_fields=["status", "completed_at", "completed_by", "updated_at"])
    _forget_bells(task)
    return task


@transaction.atomic
def archive_task(*, acting_user: User, task_id: int, scope: str = SCOPE_THIS) -> Task:
    """Archive a task (hidden everywhere, kept); `scope="series"` ends its series too."""
    ensure_workspace_writable()
    task = get_task_for_change(acting_user, task_id)
    now = timezone.now()
    if task.archived_at is None:
        task.archived_at = now
        task.save(update_fields=["archived_at", "updated_at"])
    if scope == SCOPE_SERIES and task.series_id is not None:
        TaskSeries.objects.filter(pk=task.series_id, archived_at__isnull=True).update(
            archived_at=now
        )
        Task.objects.filter(
            series_id=task.series_id, status=TaskStatus.OPEN, archived_at__isnull=True
        ).update(archived_at=now)
    _forget_bells(task)
    return task


# ---------------------------------------------------------------- missed calls


def create_callback_for_missed_call(activity: Activity) -> Task | None:
    """A call-back task for the client's responsible manager, once per missed call.

    Due `CrmSettings.callback_within_minutes` after the call. Returns None when the entry
    is not a missed call or the client has no responsible manager. Idempotent: the task
    is keyed by the call's uuid, so telephony delivering the same event twice, or a
    retried worker, makes one task.
    """
    if activity.kind != ActivityKind.CALL or activity.direction != Direction.MISSED:
        return None
    client = activity.contact or activity.company
    assignee = getattr(client, "responsible", None)
    if client is None or assignee is None or not assignee.is_active:
        return None
    key = f"missed-call:{activity.uuid}"
    found = Task.objects.filter(occurrence_key=key).first()
    if found is not None:
        return found
    due_at = activity.occurred_at + dt.timedelta(minutes=crm_settings().callback_within_minutes)
    local_due = timezone.localtime(due_at, workspace_zone_info())
    try:
        with transaction.atomic():
            task = Task.objects.create(
                occurrence_key=key,
                title=(_("Call back: %(client)s") % {"client": client.display_name})[:255],
                description=activity.number,
                due_at=due_at,
                due_date=local_due.date(),
                due_has_time=True,
                assignee=assignee,
                contact=activity.contact,
                company=activity.company,
                deal=activity.deal,
                origin=TaskOrigin.MISSED_CALL,
                created_by=activity.author,
            )
    except IntegrityError:
        return Task.objects.get(occurrence_key=key)
    _hint_due(task)
    return task


@transaction.atomic
def update_task_settings(*, acting_user: User, callback_within_minutes: int) -> CrmSettings:
    """Set how soon a missed call must be called back (owners and admins; 1 min .. 30 days)."""
    ensure_workspace_writable()
    _require_admin(acting_user)
    if not 1 <= int(callback_within_minutes) <= 60 * 24 * 30:
        raise CrmValidationError(
            {"callback_within_minutes": [_("Enter a number of minutes from 1 to 43200.")]}
        )
    current = CrmSettings.objects.select_for_update().get(pk=crm_settings().pk)
    if current.callback_within_minutes != callback_within_minutes:
        AuditEntry.objects.create(
            actor=acting_user,
            action=AuditEntry.Action.SETTINGS_CHANGED,
            target="crm",
            changes={
                "callback_within_minutes": [
                    current.callback_within_minutes,
                    callback_within_minutes,
                ]
            },
        )
        current.callback_within_minutes = callback_within_minutes
        current.save(update_fields=["callback_within_minutes", "updated_at"])
    return current


# ---------------------------------------------------------------- date reminders


def reminder_fields() -> list[tuple[str, str, str]]:
    """(entity, field, label) of every date a reminder can watch: birthdays, date custom fields."""
    from crm.models import CustomField, FieldType

    found = [("contact", "birthday", str(_("Birthday")))]
    for field in CustomField.objects.filter(
        field_type=FieldType.DATE, archived_at__isnull=True, entity__in=["contact", "company"]
    ).order_by("entity", "position", "id"):
        found.append((field.entity, f"custom.{field.key}", field.label))
    return found


@transaction.atomic
def save_reminder_rule(
    *, acting_user: User, data: Mapping[str, Any], rule_id: int | None = None
) -> DateReminderRule:
    """Create or change a date reminder (owners and admins).

    data: name, target ("<entity>:<field>", e.g. "contact:birthday",
    "company:custom.policy_ends"), days_before (0..365), task_title, assignee_rule
    ("responsible" or "member"), assignee (member id, for "member"), fallback_assignee.
    """
    ensure_workspace_writable()
    _require_admin(acting_user)
    errors: dict[str, list[str]] = {}
    name = _text(data.get("name"))
    if not name:
        errors["name"] = [_("Enter a name.")]
    target = str(data.get("target") or "")
    entity, _sep, field = target.partition(":")
    if (entity, field) not in {(e, f) for e, f, _label in reminder_fields()}:
        errors["target"] = [_("Choose a date field.")]
    try:
        days_before = int(data.get("days_before") or 0)
    except (TypeError, ValueError):
        days_before = -1
    if not 0 <= days_before <= 365:
        errors["days_before"] = [_("Enter a number of days from 0 to 365.")]
    task_title = _text(data.get("task_title")) or name
    assignee_rule = data.get("assignee_rule") or "responsible"
    if assignee_rule not in ("responsible", "member"):
        errors["assignee_rule"] = [_("Choose whom the task is for.")]
    members = {}
    for key in ("assignee", "fallback_assignee"):
        pk = _id_or_none(data.get(key))
        members[key] = User.objects.filter(pk=pk, is_active=True).first() if pk else None
        if pk and members[key] is None:
            errors[key] = [_("Choose an active member.")]
    if assignee_rule == "member" and members["assignee"] is None and "assignee" not in errors:
        errors["assignee"] = [_("Choose the member the tasks are for.")]
    if errors:
        raise CrmValidationError(errors)
    rule = (
        DateReminderRule.objects.select_for_update().get(pk=rule_id, archived_at__isnull=True)
        if rule_id
        else DateReminderRule(created_by=acting_user)
    )
    rule.name = name[:120]
    rule.entity = entity
    rule.field = field
    rule.days_before = days_before
    rule.task_title = task_title[:255]
    rule.assignee_rule = assignee_rule
    rule.assignee = members["assignee"]
    rule.fallback_assignee = members["fallback_assignee"]
    rule.active = bool(data.get("active", True))
    rule.save()
    return rule


@transaction.atomic
def archive_reminder_rule(*, acting_user: User, rule_id: int) -> None:
    """Stop a date reminder (tasks it made stay)."""
    ensure_workspace_writable()
    _require_admin(acting_user)
    DateReminderRule.objects.filter(pk=rule_id, archived_at__isnull=True).update(
        archived_at=timezone.now(), active=False
    )


# How far ahead of a reminder's date the daily job looks for dates it missed (a day
# the beat did not run): a reminder due in this window and not yet made is made late.
REMINDER_CATCH_UP_DAYS = 3


def run_date_reminders(*, today: dt.date | None = None) -> int:
    """Make today's reminder tasks of every active rule, once each; returns how many were made.

    For each rule, one set-based INSERT … SELECT finds the clients whose date (its
    anniversary for birthdays, the date itself for other fields) minus the lead time
    falls within the last REMINDER_CATCH_UP_DAYS days up to today, and inserts one task
    each with the key "reminder:<rule>:<entity>:<id>:<date>"; ON CONFLICT DO NOTHING
    makes a second run (beat twice, a retried worker) a no-op.
    """
    zone = workspace_zone()
    today = today or timezone.localdate(timezone=workspace_zone_info())
    made = 0
    for rule in DateReminderRule.objects.filter(active=True, archived_at__isnull=True):
        made += _run_rule(rule, today, zone)
    return made


def _run_rule(rule: DateReminderRule, today: dt.date, zone: str) -> int:
    table = Contact._meta.db_table if rule.entity == "contact" else Company._meta.db_table
    if rule.field == "birthday" and rule.entity == "contact":
        date_expr = "c.birthday"
    elif rule.field.startswith("custom."):
        # A value that is not an ISO date (never stored by the validated write paths) is skipped.
        date_expr = (
            "(CASE WHEN (c.custom->>%(key)s) ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' "
            "THEN (c.custom->>%(key)s)::date END)"
        )
    else:
        return 0
    # Reminders whose task day (occurrence minus lead time) fell in the last few days up
    # to today: a day the beat missed is made up for, a made one is not made again.
    window_from = today - dt.timedelta(days=REMINDER_CATCH_UP_DAYS - 1)
    occurrence_from = window_from + dt.timedelta(days=rule.days_before)
    occurrence_to = today + dt.timedelta(days=rule.days_before)
    if rule.field == "birthday":
        # The anniversary in each year the window touches; Feb 29 -> Feb 28 in other years.
        occurrence = (
            "make_date(yrs.y, extract(month from src.on_date)::int, "
            "LEAST(extract(day from src.on_date)::int, extract(day from "
            "(make_date(yrs.y, extract(month from src.on_date)::int, 1) "
            "+ interval '1 month - 1 day'))::int))"
        )
        years = "CROSS JOIN unnest(%(years)s::int[]) AS yrs(y)"
    else:
        occurrence = "src.on_date"
        years = ""
    if rule.assignee_rule == "member":
        assignee_expr = "COALESCE(%(member)s::bigint, %(fallback)s::bigint)"
    else:
        assignee_expr = "COALESCE(src.responsible_id, %(fallback)s::bigint)"
    task_table = Task._meta.db_table
    users = User._meta.db_table
    client_column = "contact_id" if rule.entity == "contact" else "company_id"
    # Only table names from the models and fixed fragments are formatted in; every value
    # (the custom field's key included) is a parameter.
    sql = f"""
        INSERT INTO {task_table} (title, description, priority, due_at, due_date, due_has_time,
            assignee_id, {client_column}, status, result, origin, occurrence_key,
            created_at, updated_at)
        SELECT %(title)s, '', 'normal',
               ((occ.due_day + time '23:59:59') AT TIME ZONE %(zone)s), occ.due_day, false,
               occ.assignee_id, occ.id, 'open', '', 'date_reminder',
               'reminder:' || %(rule)s || ':' || %(entity)s || ':' || occ.id || ':' || occ.on_day,
               now(), now()
          FROM (
            SELECT src.id, o.on_day, o.on_day - %(days)s AS due_day,
                   {assignee_expr} AS assignee_id
              FROM (SELECT c.id, c.responsible_id, {date_expr} AS on_date
                      FROM {table} c
                     WHERE c.archived_at IS NULL) src
              {years}
              CROSS JOIN LATERAL (SELECT ({occurrence})::date AS on_day) o
             WHERE src.on_date IS NOT NULL
               AND o.on_day BETWEEN %(occurrence_from)s AND %(occurrence_to)s
          ) occ
          JOIN {users} u ON u.id = occ.assignee_id AND u.is_active
        ON CONFLICT (occurrence_key) DO NOTHING
    """  # noqa: S608
    params: dict[str, Any] = {
        "title": rule.task_title[:255],
        "zone": zone,
        "entity": rule.entity,
        "rule": str(rule.pk),
        "days": rule.days_before,
        "occurrence_from": occurrence_from,
        "occurrence_to": occurrence_to,
        "years": sorted({occurrence_from.year, occurrence_to.year}),
        "key": rule.field.removeprefix("custom."),
        "member": rule.assignee_id,
        "fallback": rule.fallback_assignee_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        made = cursor.rowcount
    if made:
        _hint_due_at(timezone.now())
        forget_bell_all()
    return made


# ---------------------------------------------------------------- due notifications


def _hint_due(task: Task) -> None:
    if task.status == TaskStatus.OPEN and task.archived_at is None and task.notified_at is None:
        _hint_due_at(recurrence.notify_at(task.due_at, task.due_has_time))


def _hint_due_at(moment: dt.datetime) -> None:
    """Tell the beat's fan-out this workspace has a notification due at `moment` (on commit)."""
    from crm import due_hints

    schema = current_schema_name()
    transaction.on_commit(lambda: due_hints.note_due(schema, moment))


def _forget_bells(task: Task) -> None:
    forget_bell(task.assignee_id)


def forget_bell_all() -> None:
    from django.core.cache import cache

    cache.delete_many([bell_cache_key(pk) for pk in User.objects.values_list("pk", flat=True)])


SWEEP_BATCH = 200


def sweep_due_tasks(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Notify the assignees of due open tasks, once each; e-mail them, once each.

    Step one makes the notifications: due tasks with no `notified_at` are locked with
    SKIP LOCKED (two sweeps at once split the work), a Notification is made per task and
    due time (unique key; a retry after a crash finds it) and `notified_at` is set, in
    one transaction per batch. Step two e-mails every notification not yet e-mailed,
    each locked with SKIP LOCKED and marked `emailed_at` in the transaction that sends
    it, so only a crash between the mail server accepting the message and the commit
    could send one twice. Returns counts.
    """
    now = now or timezone.now()
    made = 0
    while True:
        batch = _notify_batch(now)
        made += batch
        if batch < SWEEP_BATCH:
            break
    emailed = 0
    while True:
        batch = _email_batch()
        emailed += batch
        if batch < SWEEP_BATCH:
            break
    return {"notified": made, "emailed": emailed}


def _due_filter(now: dt.datetime) -> Q:
    return Q(due_has_time=True, due_at__lte=now) | Q(
        due_has_time=False, due_at__lte=now + recurrence.DATELESS_NOTICE_BEFORE
    )


def _recipient_language(user: User) -> str:
    workspace = current_workspace()
    default = getattr(workspace, "default_language", None) or settings.LANGUAGE_CODE
    return user.language or default


@transaction.atomic
def _notify_batch(now: dt.datetime) -> int:
    tasks = list(
        Task.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            status=TaskStatus.OPEN,
            notified_at__isnull=True,
            archived_at__isnull=True,
            due_at__lte=now + recurrence.DATELESS_NOTICE_BEFORE,
        )
        .filter(_due_filter(now))
        .select_related("assignee")
        .order_by("due_at")[:SWEEP_BATCH]
    )
    if not tasks:
        return 0
    notifications = []
    for task in tasks:
        with translation.override(_recipient_language(task.assignee)):
            if task.due_has_time:
                # In the assignee's own zone: "an assignee in another zone sees their own".
                when = timezone.localtime(task.due_at, member_zone(task.assignee)).strftime("%H:%M")
                text = _("Due at %(time)s: %(title)s") % {"time": when, "title": task.title}
            else:
                text = _("Due today: %(title)s") % {"title": task.title}
        notifications.append(
            Notification(
                recipient_id=task.assignee_id,
                kind="task_due",
                key=f"task-due:{task.pk}:{task.due_at.isoformat()}",
                task=task,
                text=text[:500],
                url=reverse("crm_task_detail", args=[task.pk]),
            )
        )
    Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    Task.objects.filter(pk__in=[task.pk for task in tasks]).update(notified_at=now)
    recipients = {task.assignee_id for task in tasks}

    def forget() -> None:
        for pk in recipients:
            forget_bell(pk)

    transaction.on_commit(forget)
    return len(tasks)


@transaction.atomic
def _email_batch() -> int:
    pending = list(
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(emailed_at__isnull=True, kind="task_due")
        .select_related("recipient", "task")
        .order_by("id")[:SWEEP_BATCH]
    )
    if not pending:
        return 0
    from tenants.selectors import workspace_url

    workspace = current_workspace()
    now = timezone.now()
    sent: list[int] = []
    for notification in pending:
        recipient = notification.recipient
        if recipient.is_active and recipient.email:
            context = {
                "notification": notification,
                "task": notification.task,
                "workspace_name": workspace.name if workspace else "",
                "url": workspace_url(workspace, notification.url) if workspace else "",
            }
            with translation.override(_recipient_language(recipient)):
                subject = render_to_string("crm/email/task_due_subject.txt", context).strip()
                body = render_to_string("crm/email/task_due_body.txt", context)
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email])
        sent.append(notification.pk)
    Notification.objects.filter(pk__in=sent).update(emailed_at=now)
    return len(pending)


def next_notification_due() -> dt.datetime | None:
    """When this workspace's next due notification goes (for the fan-out's hint).

    Two reads of the sweep's partial index: the first timed task, and the first
    dateless one (notified at 09:00 of its day, before its end-of-day due moment).
    """
    waiting = Task.objects.filter(
        status=TaskStatus.OPEN, notified_at__isnull=True, archived_at__isnull=True
    ).order_by("due_at")
    moments = []
    timed = waiting.filter(due_has_time=True).values_list("due_at", flat=True).first()
    if timed is not None:
        moments.append(timed)
    dateless = waiting.filter(due_has_time=False).values_list("due_at", flat=True).first()
    if dateless is not None:
        moments.append(recurrence.notify_at(dateless, has_time=False))
    return min(moments) if moments else None


# ---------------------------------------------------------------- notifications


def mark_notifications_read(*, acting_user: User, ids: list[int] | None = None) -> int:
    """Mark the member's notifications read (the given ones, or all); returns how many."""
    _ensure_active(acting_user)
    unread = Notification.objects.filter(recipient=acting_user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    changed = unread.update(read_at=timezone.now())
    forget_bell(acting_user.pk)
    return changed
