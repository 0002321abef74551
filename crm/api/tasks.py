"""/api/tasks: list (filters, cursor), get, create, partial update, complete, skip,
reopen, archive. The same actions and access rule as the task pages."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field as SchemaField
from ninja import Query, Router, Schema, Status

from crm.actions import tasks as actions
from crm.api.common import ERRORS, acting_user, decode_cursor, encode_cursor
from crm.errors import CrmNotFoundError
from crm.models import Task, TaskOrigin
from crm.selectors import tasks as selectors

router = Router(tags=["Tasks"])

Frequency = Literal["daily", "weekly", "monthly", "yearly"]
Priority = Literal["low", "normal", "high"]


class RecurrenceIn(Schema):
    frequency: Frequency
    interval: int = SchemaField(1, ge=1, le=366)
    weekdays: list[int] = SchemaField(default_factory=list, description="ISO weekdays, 1 = Monday.")
    month_day: int | None = SchemaField(None, ge=1, le=31, description="31 = the month's last day.")
    ends_on: dt.date | None = None


class TaskIn(Schema):
    title: str = SchemaField(..., max_length=255)
    due_date: dt.date
    due_time: dt.time | None = SchemaField(
        None, description="Wall-clock time in the workspace's time zone; none: end of the day."
    )
    assignee_id: int | None = SchemaField(
        None, description="A member id; default: the key's member."
    )
    priority: Priority = "normal"
    description: str = SchemaField("", max_length=10000)
    contact_id: int | None = None
    company_id: int | None = None
    deal_id: int | None = None
    recurrence: RecurrenceIn | None = None


class TaskPatch(Schema):
    title: str | None = SchemaField(None, max_length=255)
    due_date: dt.date | None = None
    due_time: dt.time | None = None
    assignee_id: int | None = None
    priority: Priority | None = None
    description: str | None = SchemaField(None, max_length=10000)
    contact_id: int | None = None
    company_id: int | None = None
    deal_id: int | None = None
    scope: Literal["this", "series"] = SchemaField(
        "this", description="For a recurring task: this occurrence only, or the series from it on."
    )
    recurrence: RecurrenceIn | None = None


class CompleteIn(Schema):
    result: str = SchemaField("", max_length=10000, description="Logged to the client's timeline.")


class ArchiveIn(Schema):
    scope: Literal["this", "series"] = "this"


class SeriesOut(Schema):
    id: int
    frequency: str
    interval: int
    weekdays: list[int]
    month_day: int | None
    ends_on: dt.date | None


class TaskOut(Schema):
    id: int
    title: str
    description: str
    priority: str
    status: str
    due_date: dt.date
    due_time: dt.time | None
    due_at: dt.datetime
    time_zone: str
    assignee_id: int
    contact_id: int | None
    company_id: int | None
    deal_id: int | None
    origin: str
    result: str
    completed_at: dt.datetime | None
    archived: bool
    series: SeriesOut | None
    created_at: dt.datetime


class TaskPage(Schema):
    items: list[TaskOut]
    next_cursor: str | None


class TaskQuery(Schema):
    assignee: list[int] = SchemaField(default_factory=list, description="Member ids.")
    status: list[Literal["open", "done", "skipped"]] = SchemaField(default_factory=list)
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    contact: int | None = None
    company: int | None = None
    deal: int | None = None
    archived: bool = False
    limit: int = SchemaField(50, ge=1, le=200)
    cursor: str | None = SchemaField(None, max_length=100)


def task_out(task: Task) -> dict[str, Any]:
    zone = selectors.workspace_zone()
    local = timezone.localtime(task.due_at, actions.workspace_zone_info())
    series = task.series
    return {
        "id": task.pk,
        "title": task.title,
        "description": task.description,
        "priority": task.priority,
        "status": task.status,
        "due_date": task.due_date,
        "due_time": local.time().replace(second=0, microsecond=0) if task.due_has_time else None,
        "due_at": task.due_at,
        "time_zone": zone,
        "assignee_id": task.assignee_id,
        "contact_id": task.contact_id,
        "company_id": task.company_id,
        "deal_id": task.deal_id,
        "origin": task.origin,
        "result": task.result,
        "completed_at": task.completed_at,
        "archived": task.archived_at is not None,
        "series": (
            {
                "id": series.pk,
                "frequency": series.frequency,
                "interval": series.interval,
                "weekdays": list(series.weekdays or []),
                "month_day": series.month_day,
                "ends_on": series.ends_on,
            }
            if series is not None
            else None
        ),
        "created_at": task.created_at,
    }


def _task_for(user: Any, task_id: int) -> Task:
    found = selectors.visible_tasks(user).select_related("series").filter(pk=task_id).first()
    if found is None:
        raise CrmNotFoundError()
    return found


def _data(payload: Schema) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    data.pop("scope", None)
    for name in ("assignee", "contact", "company", "deal"):
        if f"{name}_id" in data:
            data[name] = data.pop(f"{name}_id")
    if data.get("assignee", 0) is None:
        data.pop("assignee")
    return data


@router.get(
    "/tasks",
    response={200: TaskPage, **ERRORS},
    url_name="api_task_list",
    summary="List tasks",
    description="Tasks the key's member may see, by id; filters combine.",
)
def api_task_list(request: HttpRequest, filters: Query[TaskQuery]) -> dict[str, Any]:
    user = acting_user(request)
    tasks = selectors.visible_tasks(user).select_related("series")
    tasks = tasks.filter(archived_at__isnull=not filters.archived)
    if filters.assignee:
        tasks = tasks.filter(assignee_id__in=filters.assignee)
    if filters.status:
        tasks = tasks.filter(status__in=filters.status)
    if filters.due_from:
        tasks = tasks.filter(due_date__gte=filters.due_from)
    if filters.due_to:
        tasks = tasks.filter(due_date__lte=filters.due_to)
    for name in ("contact", "company", "deal"):
        value = getattr(filters, name)
        if value:
            tasks = tasks.filter(**{f"{name}_id": value})
    after = decode_cursor(filters.cursor)
    if after is not None:
        tasks = tasks.filter(pk__gt=after)
    rows = list(tasks.order_by("pk")[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return {
        "items": [task_out(task) for task in rows],
        "next_cursor": encode_cursor(rows[-1].pk) if more and rows else None,
    }


@router.post(
    "/tasks",
    response={201: TaskOut, **ERRORS},
    url_name="api_task_create",
    summary="Create a task (or a recurring series and its first task)",
)
def api_task_create(request: HttpRequest, payload: TaskIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    task = actions.create_task(acting_user=user, data=_data(payload), origin=TaskOrigin.API)
    return Status(201, task_out(_task_for(user, task.pk)))


@router.get(
    "/tasks/{task_id}",
    response={200: TaskOut, **ERRORS},
    url_name="api_task_detail",
    summary="Get a task",
)
def api_task_detail(request: HttpRequest, task_id: int) -> dict[str, Any]:
    return task_out(_task_for(acting_user(request), task_id))


@router.patch(
    "/tasks/{task_id}",
    response={200: TaskOut, **ERRORS},
    url_name="api_task_update",
    summary="Change some fields of a task",
)
def api_task_update(request: HttpRequest, task_id: int, payload: TaskPatch) -> dict[str, Any]:
    """Only the fields sent change. `scope=series` changes the series from this task on."""
    user = acting_user(request)
    actions.update_task(acting_user=user, task_id=task_id, data=_data(payload), scope=payload.scope)
    return task_out(_task_for(user, task_id))


@router.post(
    "/tasks/{task_id}/complete",
    response={200: TaskOut, **ERRORS},
    url_name="api_task_complete",
    summary="Complete a task (a recurring one makes its next)",
)
def api_task_complete(request: HttpRequest, task_id: int, payload: CompleteIn) -> dict[str, Any]:
    user = acting_user(request)
    actions.complete_task(acting_user=user, task_id=task_id, result=payload.result)
    return task_out(_task_for(user, task_id))


@router.post(
    "/tasks/{task_id}/skip",
    response={200: TaskOut, **ERRORS},
    url_name="api_task_skip",
    summary="Skip a task (a recurring one makes its next)",
)
def api_task_skip(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user = acting_user(request)
    actions.skip_task(acting_user=user, task_id=task_id)
    return task_out(_task_for(user, task_id))


@router.post(
    "/tasks/{task_id}/reopen",
    response={200: TaskOut, **ERRORS},
    url_name="api_task_reopen",
    summary="Reopen a done or skipped task",
)
def api_task_reopen(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user = acting_user(request)
    actions.reopen_task(acting_user=user, task_id=task_id)
    return task_out(_task_for(user, task_id))


@router.post(
    "/tasks/{task_id}/archive",
    response={200: TaskOut, **ERRORS},
    url_name="api_task_archive",
    summary="Archive a task (scope=series ends its series)",
)
def api_task_archive(request: HttpRequest, task_id: int, payload: ArchiveIn) -> dict[str, Any]:
    user = acting_user(request)
    actions.archive_task(acting_user=user, task_id=task_id, scope=payload.scope)
    return task_out(_task_for(user, task_id))
