"""The rows of "my tasks" (and of the team view and the home page), rendered in Python.

Up to 80 rows a page; as template markup each row cost three date filters, two forms'
worth of variable lookups and the escaping of each, most of the page's time. Here the
URL prefixes, labels, the CSRF field and the page's own address are made once per page
and each row is one string with its values escaped; the markup is what the template had.
"""

import datetime as dt
from collections.abc import Iterable
from html import escape  # what django.utils.html.escape runs, without the SafeString

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from crm.models import Task


class TaskRowRenderer:
    """Renders task rows for one page."""

    def __init__(self, request: HttpRequest) -> None:
        self._tasks_root = reverse("crm_my_tasks")
        self._contacts_root = reverse("crm_contact_list")
        self._companies_root = reverse("crm_company_list")
        token, here = escape(get_token(request)), escape(request.get_full_path())
        self._fields = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
            f'<input type="hidden" name="next" value="{here}">'
        )
        self._labels = {
            name: escape(text)
            for name, text in (
                ("task", _("Task")),
                ("due", _("Due")),
                ("client", _("Client")),
                ("assignee", _("Assignee")),
                ("actions", _("Actions")),
                ("high", _("High")),
                ("repeats", _("Repeats")),
                ("done", _("Done")),
                ("skip", _("Skip")),
                ("result", _("Result")),
                ("result_hint", _("Result (optional)")),
            )
        }
        self._days: dict[dt.date, str] = {}

    def _day(self, day: dt.date) -> str:
        shown = self._days.get(day)
        if shown is None:
            shown = self._days[day] = escape(date_format(day, "j E Y"))
        return shown

    def rows(self, tasks: Iterable[Task], *, show_assignee: bool = False) -> SafeString:
        return mark_safe(  # noqa: S308 (every value is escaped in row())
            "".join(self.row(task, show_assignee) for task in tasks)
        )

    def row(self, task: Task, show_assignee: bool) -> str:
        label = self._labels
        pk = task.pk
        title = escape(task.title)
        badges = ""
        if task.priority == "high":
            badges += f' <span class="badge danger">{label["high"]}</span>'
        if task.series_id:
            badges += f' <span class="badge info">{label["repeats"]}</span>'
        due = timezone.localtime(task.due_at)  # the viewer's zone (the middleware's)
        if task.due_has_time:
            shown = f"{self._day(due.date())}, {due:%H:%M}"
        else:
            shown = self._day(task.due_date)
        client = ""
        if task.contact_id and task.contact:
            name = escape(task.contact.display_name)
            client = f'<a href="{self._contacts_root}{task.contact_id}/">{name}</a>'
        elif task.company_id and task.company:
            name = escape(task.company.display_name)
            client = f'<a href="{self._companies_root}{task.company_id}/">{name}</a>'
        if task.deal_id and task.deal:
            client += (" · " if client else "") + escape(task.deal.title)
        assignee = (
            f'<td data-label="{label["assignee"]}">{escape(task.assignee.display_name)}</td>'
            if show_assignee
            else ""
        )
        root = f"{self._tasks_root}{pk}/"
        return (
            f'<tr data-task-id="{pk}"><td class="cell-primary" data-label="{label["task"]}">'
            f'<a href="{root}">{title}</a>{badges}</td>'
            f'<td data-label="{label["due"]}">'
            f'<time datetime="{due.isoformat()}">{shown}</time></td>'
            f'<td data-label="{label["client"]}">{client}</td>{assignee}'
            f'<td class="cell-actions" data-label="{label["actions"]}">'
            f'<form method="post" action="{root}complete/" class="task-done-form">{self._fields}'
            f'<label class="visually-hidden" for="result-{pk}">{label["result"]}</label>'
            f'<input type="text" id="result-{pk}" name="result" maxlength="2000" '
            f'placeholder="{label["result_hint"]}">'
            f'<button type="submit" class="small" aria-label="{label["done"]}: {title}">'
            f"{label['done']}</button></form>"
            f'<form method="post" action="{root}skip/" class="inline-form">{self._fields}'
            f'<button type="submit" class="ghost small" aria-label="{label["skip"]}: {title}">'
            f"{label['skip']}</button></form></td></tr>"
        )
