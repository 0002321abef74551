"""The task pages: my tasks, the team view, the task form and card, the bell, reminders.

Thin views: a form shapes the input, crm.actions.tasks decides, crm.selectors.tasks reads.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template import engines
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.actions import tasks as actions
from crm.errors import CrmNotFoundError, CrmValidationError
from crm.models import DateReminderRule, Notification, Task
from crm.selectors import tasks as selectors
from crm.selectors.access import crm_settings, visible_companies, visible_contacts
from crm.selectors.deals import visible_deals
from crm.selectors.search import search_clients
from crm.task_forms import QuickTaskForm, ReminderRuleForm, TaskForm, TaskSettingsForm
from crm.views.common import admin_only, back_url, crm_view, first_error, member

# Form field that shows an action's error for each input name.
FIELD_OF = {"contact": "client", "company": "client", "recurrence": "repeat", "frequency": "repeat"}


def _put_errors(form: Any, error: CrmValidationError) -> None:
    for field, field_messages in error.field_errors.items():
        name = FIELD_OF.get(field, field)
        target = name if name in form.fields else None
        for message in field_messages:
            form.add_error(target, message)


def _next(request: HttpRequest, fallback: str = "crm_my_tasks") -> str:
    return back_url(request, fallback)


# ---------------------------------------------------------------- lists


_QUICK_FIELDS = (
    '{% include "components/field.html" with field=form.title %}\n    '
    '{% include "components/field.html" with field=form.due_date %}\n    '
    '{% include "components/field.html" with field=form.due_time %}'
)
_quick_fields_made: dict[tuple[str, Any, str], str] = {}


def quick_fields_html(form: QuickTaskForm) -> SafeString:
    """The quick-add form's fields as components/field.html renders them, rendered once
    per language, day and time-zone note: an unbound form with nothing else in it, which
    cost a few thousand function calls a page as template and widget markup."""
    key = (
        translation.get_language(),
        form.initial.get("due_date"),
        str(form.fields["due_time"].help_text),
    )
    made = _quick_fields_made.get(key)
    if made is None:
        if len(_quick_fields_made) > 64:  # days and languages go by: keep it small
            _quick_fields_made.clear()
        template = engines["django"].from_string(_QUICK_FIELDS)
        made = _quick_fields_made[key] = str(template.render({"form": form}))
    return mark_safe(made)  # noqa: S308 (rendered by the template engine, escaped there)


@crm_view
@require_GET
def my_tasks(request: HttpRequest) -> HttpResponse:
    user = member(request)
    buckets = selectors.my_tasks(user)
    quick = QuickTaskForm(initial={"due_date": buckets.today_date})
    return render(
        request,
        "crm/tasks/my_tasks.html",
        {
            "buckets": buckets,
            "quick_form": quick,
            "quick_fields": quick_fields_html(quick),
            "zone": selectors.workspace_zone(),
        },
    )


@crm_view
@require_GET
def team_tasks(request: HttpRequest) -> HttpResponse:
    admin_only(request)
    rows = selectors.team_overview()
    chosen = None
    buckets = None
    member_id = request.GET.get("member")
    if member_id and member_id.isdigit():
        chosen = next((row.member for row in rows if row.member.pk == int(member_id)), None)
        if chosen is not None:
            buckets = selectors.my_tasks(chosen)
    return render(
        request,
        "crm/tasks/team.html",
        {"rows": rows, "chosen": chosen, "buckets": buckets},
    )


# ---------------------------------------------------------------- the form


def _link_choices(user: Any, task: Task | None, request: HttpRequest) -> tuple[list, list]:
    """The client and deal options: the linked (or preset) ones; the picker adds more."""
    clients: list[tuple[str, str]] = []
    deals: list[tuple[str, str]] = []
    contact_id = request.POST.get("client") or request.GET.get("client") or ""
    if task is not None and not contact_id:
        if task.contact_id:
            contact_id = f"contact:{task.contact_id}"
        elif task.company_id:
            contact_id = f"company:{task.company_id}"
    kind, _sep, pk = contact_id.partition(":")
    if pk.isdigit():
        records = visible_contacts(user) if kind == "contact" else visible_companies(user)
        found = records.filter(pk=int(pk)).first() if kind in ("contact", "company") else None
        if found is not None:
            clients.append((f"{kind}:{found.pk}", str(found.display_name)))
    deal_id = str(
        request.POST.get("deal") or request.GET.get("deal") or (task.deal_id if task else "") or ""
    )
    if deal_id.isdigit():
        deal = visible_deals(user).filter(pk=int(deal_id)).first()
        if deal is not None:
            deals.append((str(deal.pk), deal.title))
    if kind in ("contact", "company") and pk.isdigit():
        more = visible_deals(user).filter(**{f"{kind}_id": int(pk), "status": "open"})
        deals += [(str(d.pk), d.title) for d in more[:20] if str(d.pk) != str(deal_id)]
    return clients, deals


@crm_view
@require_GET
def link_options(request: HttpRequest) -> HttpResponse:
    """<option>s of visible clients matching `client_q` (the form's client picker, htmx)."""
    user = member(request)
    hits = search_clients(user, request.GET.get("client_q", ""), limit=15)
    return render(request, "crm/tasks/_client_options.html", {"hits": hits})


def _task_initial(task: Task) -> dict[str, Any]:
    local = timezone.localtime(task.due_at, actions.workspace_zone_info())
    initial: dict[str, Any] = {
        "title": task.title,
        "due_date": task.due_date,
        "due_time": local.time() if task.due_has_time else None,
        "assignee": task.assignee_id,
        "priority": task.priority,
        "description": task.description,
        "deal": task.deal_id or "",
    }
    if task.contact_id:
        initial["client"] = f"contact:{task.contact_id}"
    elif task.company_id:
        initial["client"] = f"company:{task.company_id}"
    series = task.series
    if series is not None:
        initial.update(
            repeat=series.frequency,
            interval=series.interval,
            weekdays=series.weekdays,
            month_day=series.month_day,
            ends_on=series.ends_on,
        )
    return initial


@crm_view
@require_http_methods(["GET", "POST"])
def task_create(request: HttpRequest) -> HttpResponse:
    user = member(request)
    clients, deals = _link_choices(user, None, request)
    if request.method == "POST":
        form = TaskForm(request.POST, client_choices=clients, deal_choices=deals)
        if form.is_valid():
            try:
                actions.create_task(acting_user=user, data=form.to_data())
            except CrmValidationError as error:
                _put_errors(form, error)
            else:
                messages.success(request, _("Task added."))
                return redirect(_next(request))
    else:
        initial = {
            "assignee": user.pk,
            "due_date": selectors.workspace_today(),
            "client": request.GET.get("client", ""),
            "deal": request.GET.get("deal", ""),
        }
        form = TaskForm(initial=initial, client_choices=clients, deal_choices=deals)
    return render(
        request,
        "crm/tasks/form.html",
        {
            "form": form,
            "task": None,
            "next": request.GET.get("next") or request.POST.get("next", ""),
        },
    )


@crm_view
@require_POST
def task_quick_add(request: HttpRequest) -> HttpResponse:
    """One line from "My tasks" or a card: title, date, optional time; for me."""
    user = member(request)
    form = QuickTaskForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a title and a due date."))
        return redirect(_next(request))
    data: dict[str, Any] = dict(form.cleaned_data)
    kind, _sep, pk = (request.POST.get("client") or "").partition(":")
    if kind in ("contact", "company") and pk.isdigit():
        data[kind] = int(pk)
    try:
        actions.create_task(acting_user=user, data=data)
    except CrmValidationError as error:
        messages.error(request, first_error(error))
    else:
        messages.success(request, _("Task added."))
    return redirect(_next(request))


def _visible_task(request: HttpRequest, task_id: int) -> Task:
    task = (
        selectors.visible_tasks(member(request))
        .select_related("assignee", "contact", "company", "deal", "series")
        .filter(pk=task_id, archived_at__isnull=True)
        .first()
    )
    if task is None:
        raise CrmNotFoundError()
    return task


@crm_view
@require_GET
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _visible_task(request, task_id)
    return render(
        request,
        "crm/tasks/detail.html",
        {"task": task, "can_change": selectors.can_change_task(member(request), task)},
    )


@crm_view
@require_http_methods(["GET", "POST"])
def task_edit(request: HttpRequest, task_id: int) -> HttpResponse:
    user = member(request)
    task = _visible_task(request, task_id)
    if not selectors.can_change_task(user, task):
        raise PermissionDenied
    clients, deals = _link_choices(user, task, request)
    if request.method == "POST":
        form = TaskForm(request.POST, client_choices=clients, deal_choices=deals)
        scope = request.POST.get("scope", actions.SCOPE_THIS)
        if form.is_valid():
            data = form.to_data(with_recurrence=scope == actions.SCOPE_SERIES)
            try:
                actions.update_task(acting_user=user, task_id=task.pk, data=data, scope=scope)
            except CrmValidationError as error:
                _put_errors(form, error)
            else:
                messages.success(request, _("Task saved."))
                return redirect(_next(request))
    else:
        form = TaskForm(initial=_task_initial(task), client_choices=clients, deal_choices=deals)
    return render(
        request,
        "crm/tasks/form.html",
        {"form": form, "task": task, "next": request.GET.get("next", "")},
    )


def _act(request: HttpRequest, task_id: int, done: str, action: Any, **kwargs: Any) -> HttpResponse:
    try:
        action(acting_user=member(request), task_id=task_id, **kwargs)
    except CrmValidationError as error:
        messages.error(request, first_error(error))
    except PermissionDenied as error:
        messages.error(request, str(error) or _("You cannot change this task."))
    else:
        messages.success(request, done)
    return redirect(_next(request))


@crm_view
@require_POST
def task_complete(request: HttpRequest, task_id: int) -> HttpResponse:
    return _act(
        request,
        task_id,
        _("Task done."),
        actions.complete_task,
        result=request.POST.get("result", "")[:10000],
    )


@crm_view
@require_POST
def task_skip(request: HttpRequest, task_id: int) -> HttpResponse:
    return _act(request, task_id, _("Task skipped."), actions.skip_task)


@crm_view
@require_POST
def task_reopen(request: HttpRequest, task_id: int) -> HttpResponse:
    return _act(request, task_id, _("Task reopened."), actions.reopen_task)


@crm_view
@require_POST
def task_archive(request: HttpRequest, task_id: int) -> HttpResponse:
    scope = request.POST.get("scope", actions.SCOPE_THIS)
    return _act(request, task_id, _("Task deleted."), actions.archive_task, scope=scope)


# ---------------------------------------------------------------- notifications


@crm_view
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    user = member(request)
    return render(
        request,
        "crm/tasks/notifications.html",
        {"notifications": selectors.notifications_for(user)},
    )


@crm_view
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    user = member(request)
    ids = [int(value) for value in request.POST.getlist("id") if value.isdigit()]
    actions.mark_notifications_read(acting_user=user, ids=ids or None)
    messages.success(request, _("Marked as read."))
    return redirect(back_url(request, "crm_notifications"))


@crm_view
@require_POST
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one notification read and go where it points (a task of this workspace)."""
    user = member(request)
    found = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if found is None:
        raise CrmNotFoundError()
    actions.mark_notifications_read(acting_user=user, ids=[found.pk])
    target = found.url or reverse("crm_notifications")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("crm_notifications")
    return HttpResponseRedirect(target)


# ---------------------------------------------------------------- settings


def _reminder_targets() -> list[tuple[str, str]]:
    from crm.models import RecordType

    labels = dict(RecordType.choices)
    return [
        (f"{entity}:{field}", f"{labels.get(entity, entity)}: {label}")
        for entity, field, label in actions.reminder_fields()
    ]


@crm_view
@require_http_methods(["GET", "POST"])
def reminder_settings(request: HttpRequest) -> HttpResponse:
    """Date reminders: the list and the form for a new one (owners and admins)."""
    admin_only(request)
    user = member(request)
    targets = _reminder_targets()
    form = ReminderRuleForm(request.POST or None, targets=targets)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_reminder_rule(acting_user=user, data=form.to_data())
        except CrmValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("Reminder saved."))
            return redirect("crm_reminders")
    rules = DateReminderRule.objects.filter(archived_at__isnull=True).select_related(
        "assignee", "fallback_assignee"
    )
    target_labels = dict(targets)
    rows = [(rule, target_labels.get(f"{rule.entity}:{rule.field}", rule.field)) for rule in rules]
    return render(request, "crm/tasks/reminders.html", {"form": form, "rows": rows})


@crm_view
@require_POST
def reminder_archive(request: HttpRequest, rule_id: int) -> HttpResponse:
    admin_only(request)
    actions.archive_reminder_rule(acting_user=member(request), rule_id=rule_id)
    messages.success(request, _("Reminder removed."))
    return redirect("crm_reminders")


@crm_view
@require_http_methods(["GET", "POST"])
def crm_settings_page(request: HttpRequest) -> HttpResponse:
    """Client access and the missed-call rule (owners and admins)."""
    from crm.actions.clients import update_crm_settings

    admin_only(request)
    user = member(request)
    current = crm_settings()
    form = TaskSettingsForm(
        request.POST or None,
        initial={
            "members_see_only_own": current.members_see_only_own,
            "callback_within_minutes": current.callback_within_minutes,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            update_crm_settings(
                acting_user=user, members_see_only_own=form.cleaned_data["members_see_only_own"]
            )
            actions.update_task_settings(
                acting_user=user,
                callback_within_minutes=form.cleaned_data["callback_within_minutes"],
            )
        except CrmValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("crm_settings")
    return render(request, "crm/tasks/crm_settings.html", {"form": form})
