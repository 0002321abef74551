"""Reads of tasks, the bell and the day's work.

Who sees which task: owners and admins see every task. A member sees tasks that are
assigned to them or that they made, and any other task only when the workspace lets
members see every client; in every case a task linked to a client or deal the member
may not see (the client base's "only own clients" rule) is hidden from them.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from crm.models import CrmSettings, Notification, Task, TaskStatus
from crm.selectors.access import crm_settings
from crm.selectors.compiled import CompiledQuery
from tenants.members.models import User

BELL_TTL_SECONDS = 300


def workspace_zone() -> str:
    """The current workspace's time zone name (every member sees tasks in it)."""
    tenant = getattr(connection, "tenant", None)
    return getattr(tenant, "time_zone", None) or settings.TIME_ZONE


def workspace_today() -> dt.date:
    return timezone.localdate(timezone=ZoneInfo(workspace_zone()))


def member_zone(user: Any) -> ZoneInfo:
    """The zone `user` sees times in: their own (My account) or else the workspace's."""
    from tenants.regional import member_zone_info

    return member_zone_info(user, workspace_zone())


def task_local_date(task: Task, zone: ZoneInfo) -> dt.date:
    """The day a task falls on for someone in `zone` (a dateless task keeps its date)."""
    return timezone.localtime(task.due_at, zone).date() if task.due_has_time else task.due_date


def visible_tasks(user: Any, *, settings_row: CrmSettings | None = None) -> QuerySet[Task]:
    """Tasks (archived included) `user` may see; see the module's docstring."""
    tasks = Task.objects.all()
    if user is None or not getattr(user, "is_active", False):
        return tasks.none()
    if user.is_workspace_admin:
        return tasks
    settings_row = settings_row or crm_settings()
    if not settings_row.members_see_only_own:
        return tasks
    return _own_tasks(tasks, user.pk)


def _own_tasks(tasks: QuerySet[Task], user_id: int) -> QuerySet[Task]:
    """A member who sees only their own clients: their tasks, on their clients and deals."""
    own = Q(assignee_id=user_id) | Q(created_by_id=user_id)
    return tasks.filter(own).filter(
        Q(contact__isnull=True) | Q(contact__responsible_id=user_id),
        Q(company__isnull=True) | Q(company__responsible_id=user_id),
        Q(deal__isnull=True) | Q(deal__responsible_id=user_id),
    )


def can_change_task(user: Any, task: Task) -> bool:
    """Assignee, author, owners and admins (the caller has checked visibility)."""
    if user is None or not getattr(user, "is_active", False):
        return False
    return bool(
        user.is_workspace_admin or task.assignee_id == user.pk or task.created_by_id == user.pk
    )


def open_tasks(queryset: QuerySet[Task]) -> QuerySet[Task]:
    return queryset.filter(status=TaskStatus.OPEN, archived_at__isnull=True)


def with_links(queryset: QuerySet[Task]) -> QuerySet[Task]:
    """The linked records a task row shows, only the columns it shows (rows stay narrow)."""
    return queryset.select_related("assignee", "contact", "company", "deal").only(
        *(field.name for field in Task._meta.concrete_fields),
        "assignee__full_name",
        "assignee__email",
        "contact__surname",
        "contact__first_name",
        "contact__patronymic",
        "company__name",
        "deal__title",
    )


@dataclass
class TaskBuckets:
    overdue: list[Task]
    today: list[Task]
    upcoming: list[Task]
    today_date: dt.date
    # How many are due up to today in all, when more than the list shows (else None).
    due_total: int | None = None

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.today or self.upcoming)


UPCOMING_LIMIT = 30
OVERDUE_LIMIT = 50


def split_buckets(
    tasks: list[Task], today: dt.date, now: dt.datetime, zone: ZoneInfo | None = None
) -> TaskBuckets:
    """Overdue / today / upcoming, with "today" as the viewer's day in `zone`."""
    zone = zone or ZoneInfo(workspace_zone())
    buckets = TaskBuckets([], [], [], today)
    for task in tasks:
        day = task_local_date(task, zone)
        if day < today or (task.due_has_time and task.due_at < now):
            buckets.overdue.append(task)
        elif day == today:
            buckets.today.append(task)
        else:
            buckets.upcoming.append(task)
    return buckets


def _my_tasks(
    shape: tuple[bool, int],
    *,
    user_id: int,
    until: dt.datetime,
    after: dt.datetime | None = None,
) -> QuerySet[Task]:
    """A member's open tasks due by `until` (after `after`), soonest first (my_tasks)."""
    only_own, limit = shape
    tasks = _own_tasks(Task.objects.all(), user_id) if only_own else Task.objects.all()
    mine = with_links(open_tasks(tasks).filter(assignee_id=user_id))
    if after is not None:
        mine = mine.filter(due_at__gt=after, due_at__lte=until)
    else:
        mine = mine.filter(due_at__lte=until)
    return mine.order_by("due_at", "id")[:limit]


MY_TASKS = CompiledQuery(_my_tasks)


def my_tasks(user: User, *, upcoming_days: int = 7) -> TaskBuckets:
    """The member's open tasks: overdue, today, the next `upcoming_days` (two queries).

    Uses the partial index crm_task_my_open (assignee, due_at) for both halves. "Today"
    is the member's own day (their time zone, else the workspace's).
    """
    zone = member_zone(user)
    today = timezone.localdate(timezone=zone)
    now = timezone.now()
    end_of_today = dt.datetime.combine(today, dt.time(23, 59, 59), tzinfo=zone)
    horizon = end_of_today + dt.timedelta(days=upcoming_days)
    settings_row = None
    if user is None or not getattr(user, "is_active", False):
        due_soon, later = [], []
    else:
        settings_row = None if user.is_workspace_admin else crm_settings()
        only_own = settings_row is not None and settings_row.members_see_only_own
        due_soon = MY_TASKS((only_own, OVERDUE_LIMIT), user_id=user.pk, until=end_of_today)
        later = MY_TASKS(
            (only_own, UPCOMING_LIMIT), user_id=user.pk, after=end_of_today, until=horizon
        )
    buckets = split_buckets(due_soon + later, today, now, zone)
    if len(due_soon) == OVERDUE_LIMIT:
        # Only when the list is cut: one more indexed count.
        mine = open_tasks(visible_tasks(user, settings_row=settings_row))
        mine = mine.filter(assignee_id=user.pk)
        buckets.due_total = mine.filter(due_at__lte=end_of_today).count()
    return buckets


@dataclass
class TeamRow:
    member: User
    overdue: int
    today: int
    upcoming: int


def team_overview() -> list[TeamRow]:
    """Per active member: open tasks overdue, due today, later (one grouped query)."""
    today = workspace_today()
    now = timezone.now()
    zone = ZoneInfo(workspace_zone())
    start_of_today = dt.datetime.combine(today, dt.time.min, tzinfo=zone)
    end_of_today = dt.datetime.combine(today, dt.time(23, 59, 59), tzinfo=zone)
    overdue = Q(due_has_time=True, due_at__lt=now) | Q(
        due_has_time=False, due_at__lt=start_of_today
    )
    counts = {
        row["assignee_id"]: row
        for row in open_tasks(Task.objects.all())
        .values("assignee_id")
        .annotate(
            overdue=Count("id", filter=overdue),
            today=Count("id", filter=~overdue & Q(due_at__lte=end_of_today)),
            upcoming=Count("id", filter=Q(due_at__gt=end_of_today)),
        )
    }
    rows = []
    for member in User.objects.filter(is_active=True).order_by("full_name", "email"):
        found: Any = counts.get(member.pk, {})
        rows.append(
            TeamRow(
                member, found.get("overdue", 0), found.get("today", 0), found.get("upcoming", 0)
            )
        )
    rows.sort(key=lambda row: (-row.overdue, -row.today, str(row.member.display_name)))
    return rows


def tasks_for_record(
    user: User,
    *,
    contact_id: int | None = None,
    company_id: int | None = None,
    deal_id: int | None = None,
    limit: int = 20,
    settings_row: CrmSettings | None = None,
) -> list[Task]:
    """Open tasks of one client or deal, soonest first (the card's "Tasks" section)."""
    if user is None or not getattr(user, "is_active", False):
        return []
    key, record_id = next(
        (
            (name, value)
            for name, value in (
                ("contact_id", contact_id),
                ("company_id", company_id),
                ("deal_id", deal_id),
            )
            if value
        ),
        (None, None),
    )
    if key is None or record_id is None:
        return []
    only_own = not user.is_workspace_admin and (settings_row or crm_settings()).members_see_only_own
    values = {"record_id": record_id, **({"user_id": user.pk} if only_own else {})}
    return RECORD_TASKS((only_own, key, limit), **values)


def _record_tasks(
    shape: tuple[bool, str, int], *, record_id: int, user_id: int = 0
) -> QuerySet[Task]:
    only_own, key, limit = shape
    tasks = open_tasks(_own_tasks(Task.objects.all(), user_id) if only_own else Task.objects.all())
    return (
        tasks.filter(**{key: record_id}).select_related("assignee").order_by("due_at", "id")[:limit]
    )


RECORD_TASKS = CompiledQuery(_record_tasks)


def next_step(
    user: User,
    *,
    contact_id: int | None = None,
    company_id: int | None = None,
    deal_id: int | None = None,
) -> Task | None:
    """The client's or deal's next open task (the card's "next planned step")."""
    found = tasks_for_record(
        user, contact_id=contact_id, company_id=company_id, deal_id=deal_id, limit=1
    )
    return found[0] if found else None


# ---------------------------------------------------------------- the bell


def bell_cache_key(user_id: Any) -> str:
    # The cache's key function adds the workspace schema: never shared across workspaces.
    return f"crm:bell:{user_id}"


def forget_bell(user_id: Any) -> None:
    if user_id:
        cache.delete(bell_cache_key(user_id))


def bell_count(user: Any) -> int:
    """Unread notifications of `user`: cached per workspace and member, dropped on change."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    key = bell_cache_key(user.pk)
    cached = cache.get(key)
    if cached is not None:
        return int(cached)
    count = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
    cache.set(key, count, BELL_TTL_SECONDS)
    return count


def notifications_for(user: User, *, limit: int = 50) -> list[Notification]:
    return list(
        Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")[:limit]
    )


# ---------------------------------------------------------------- home


@dataclass
class DayWork:
    buckets: TaskBuckets
    missed_calls: list[Any]
    reminders_today: list[Task]


def day_work(user: User) -> DayWork:
    """What the home page shows: my overdue and today's tasks, recent missed calls to return."""
    buckets = my_tasks(user, upcoming_days=0)
    missed = [task for task in buckets.overdue + buckets.today if task.origin == "missed_call"]
    reminders = [task for task in buckets.overdue + buckets.today if task.origin == "date_reminder"]
    return DayWork(buckets=buckets, missed_calls=missed, reminders_today=reminders)
