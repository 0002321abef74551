"""Template tags of tasks: the bell in the navigation and the "Tasks" section of a card."""

from typing import Any

from django import template
from django.utils import timezone

from crm.selectors import tasks as selectors

register = template.Library()


@register.inclusion_tag("crm/tasks/_bell.html", takes_context=True)
def bell(context: Any) -> dict[str, Any]:
    """The bell with the member's unread count (cached in Redis, no query on a hit)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"count": selectors.bell_count(user)}


@register.simple_tag(takes_context=True)
def card_tasks(context: Any, record: Any, record_type: str) -> dict[str, Any]:
    """Open tasks of the card's client for the acting member (read with the card's timeline
    when it has one, else one query)."""
    user = context["request"].user
    key = {"contact": "contact_id", "company": "company_id"}.get(record_type)
    tasks = context.get("card_open_tasks")
    if tasks is None:
        tasks = selectors.tasks_for_record(user, **{key: record.pk}) if key else []
    return {"tasks": tasks, "now": timezone.now(), "today": selectors.workspace_today()}


@register.simple_tag(takes_context=True)
def task_rows(context: Any, tasks: Any, show_assignee: Any = False) -> Any:
    """The `<tr>`s of `tasks` (crm.views.task_rows), the renderer made once per page."""
    from crm.views.task_rows import TaskRowRenderer

    renderer = context.render_context.get(TaskRowRenderer)
    if renderer is None:
        renderer = context.render_context[TaskRowRenderer] = TaskRowRenderer(context["request"])
    return renderer.rows(tasks, show_assignee=bool(show_assignee))
