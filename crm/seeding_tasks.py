# ruff: noqa: RUF001 (Cyrillic titles are the data; random is for fake data, not secrets)
"""seed_crm's "tasks" step: open, overdue, done and skipped tasks for every manager, by COPY.

Tasks spread over the managers (so "my tasks" of each has a realistic mix), about a fifth
overdue, a tenth due today, the rest upcoming or already closed; most are linked to a
contact, some to a company or a deal. Past tasks carry `notified_at`, as the sweep would
have left them, so a seeded workspace does not wake up to a storm of notifications.
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from crm.models import Task
from crm.recurrence import local_moment
from crm.seeding import SEED_STEPS, SeedContext, SeedStep, copy_rows, next_ids
from crm.selectors.tasks import workspace_zone

TITLES = (
    "Позвонить клиенту",
    "Отправить коммерческое предложение",
    "Уточнить реквизиты",
    "Напомнить об оплате счёта",
    "Согласовать встречу",
    "Подготовить договор",
    "Перезвонить после демонстрации",
    "Поздравить с днём рождения",
    "Продлить страховой полис",
    "Запросить отзыв",
)
RESULTS = ("Договорились", "Не дозвонились, перезвонить", "Отправлено", "Клиент подумает")

COLUMNS = (
    "id",
    "title",
    "description",
    "priority",
    "due_at",
    "due_date",
    "due_has_time",
    "assignee_id",
    "contact_id",
    "company_id",
    "deal_id",
    "status",
    "result",
    "completed_at",
    "completed_by_id",
    "origin",
    "notified_at",
    "created_by_id",
    "created_at",
    "updated_at",
)


def seed_tasks(context: SeedContext, count: int) -> None:
    """Add `count` tasks (see the module's docstring)."""
    if count <= 0 or not context.manager_ids:
        return
    zone_name = workspace_zone()
    zone = ZoneInfo(zone_name)
    today = context.now.astimezone(zone).date()
    pick = context.random
    ids = next_ids(Task, count)

    def rows() -> Iterator[tuple[Any, ...]]:
        for task_id in ids:
            roll = pick.random()
            if roll < 0.2:
                offset = -pick.randint(1, 60)
            elif roll < 0.3:
                offset = 0
            else:
                offset = pick.randint(1, 90)
            due_date = today + dt.timedelta(days=offset)
            has_time = pick.random() < 0.6
            due_time = (
                dt.time(pick.randint(8, 19), pick.choice((0, 15, 30, 45))) if has_time else None
            )
            due_at = local_moment(due_date, due_time, zone_name)
            assignee = pick.choice(context.manager_ids)
            link = pick.random()
            contact = (
                pick.choice(context.contact_ids) if context.contact_ids and link < 0.65 else None
            )
            company = (
                pick.choice(context.company_ids)
                if context.company_ids and 0.65 <= link < 0.8
                else None
            )
            deal = pick.choice(context.deal_ids) if context.deal_ids and link >= 0.9 else None
            closed = offset < 0 and pick.random() < 0.6
            status = "open"
            result = ""
            completed_at = None
            completed_by = None
            if closed:
                status = "done" if pick.random() < 0.85 else "skipped"
                result = pick.choice(RESULTS) if status == "done" else ""
                completed_at = due_at + dt.timedelta(hours=pick.randint(0, 48))
                completed_by = assignee
            created_at = due_at - dt.timedelta(days=pick.randint(1, 30))
            yield (
                task_id,
                pick.choice(TITLES),
                "",
                pick.choice(("low", "normal", "normal", "normal", "high")),
                due_at,
                due_date,
                has_time,
                assignee,
                contact,
                company,
                deal,
                status,
                result,
                completed_at,
                completed_by,
                "manual",
                due_at if due_at <= context.now else None,
                assignee,
                min(created_at, context.now),
                min(created_at, context.now),
            )

    context.count("tasks", copy_rows(Task._meta.db_table, COLUMNS, rows()))


SEED_STEPS.append(
    SeedStep(
        name="tasks",
        run=seed_tasks,
        help="Tasks: overdue, today, upcoming and closed, for every manager.",
        tables=(Task._meta.db_table,),
    )
)
