"""The timeline on a card: quick entry, the fuller form, filters, "show older", edit with
versions, archive and restore, and file downloads (always through a permission check).

Cards include `crm/timeline/_timeline.html` with `timeline_context(...)`; the filters and
"show older" work as plain links and GET forms on the card (tl_* parameters), and htmx
swaps only the list when it is there.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.actions import timeline as actions
from crm.errors import CrmNotFoundError, CrmValidationError
from crm.models import Activity, ActivityKind, Direction
from crm.selectors.tasks import tasks_for_record
from crm.selectors.timeline import (
    RECORD_TYPES,
    TimelineQuery,
    activity_versions,
    timeline_page,
    visible_timeline_record,
)
from crm.timeline_files import accept_attribute, max_file_bytes
from crm.views.common import back_url, crm_view, member
from crm.views.timeline_entries import entries_html
from tenants.files import attachment_response

QUICK_KINDS = (ActivityKind.CALL, ActivityKind.NOTE, ActivityKind.DOCUMENT)
PREFIX = "tl_"
CARD_URLS = {
    "contact": "crm_contact_detail",
    "company": "crm_company_detail",
    "deal": "crm_deal_detail",
}


def card_url(record_type: str, record_id: int) -> str:
    """The card whose timeline this is (a deal's card comes with the deals part)."""
    try:
        return reverse(CARD_URLS[record_type], args=[record_id])
    except NoReverseMatch:
        return reverse("home")


def record_name(record: Any) -> str:
    """A contact's or company's name, a deal's title."""
    return str(getattr(record, "display_name", None) or getattr(record, "title", "") or "")


def _record_type(record_type: str) -> str:
    if record_type not in RECORD_TYPES:
        raise CrmNotFoundError()
    return record_type


_QUICK_URL = "quick-entry-log-url-0b7e"  # stand-ins, replaced in the rendered markup
_QUICK_TOKEN = "quickEntryCsrfToken0b7e"  # noqa: S105 (a stand-in, not a secret)
_quick_entry_made: dict[tuple[str | None, str, int], str] = {}


def quick_entry_html(request: HttpRequest, log_url: str) -> SafeString:
    """crm/timeline/_quick_entry.html for this card: rendered once per language (and file
    settings) with stand-ins for the log URL and the CSRF token, which differ per card and
    visitor and are put in here; the rest (three forms, their choices, icons and labels)
    cost a few thousand function calls a card as template markup."""
    accept, limit_mb = accept_attribute(), round(max_file_bytes() / 1048576)
    key = (translation.get_language(), accept, limit_mb)
    made = _quick_entry_made.get(key)
    if made is None:
        if len(_quick_entry_made) > 16:
            _quick_entry_made.clear()
        made = _quick_entry_made[key] = render_to_string(
            "crm/timeline/_quick_entry.html",
            {
                "timeline_log_url": _QUICK_URL,
                "csrf_token": _QUICK_TOKEN,
                "call_directions": Direction.choices,
                "call_outcomes": actions.CallOutcome.choices,
                "file_accept": accept,
                "file_limit_mb": limit_mb,
            },
        )
    return mark_safe(  # noqa: S308 (rendered by the template engine; the values escaped)
        made.replace(_QUICK_URL, escape(log_url)).replace(_QUICK_TOKEN, escape(get_token(request)))
    )


def timeline_context(
    request: HttpRequest,
    record_type: str,
    record: Any,
    *,
    related_ids: list[int] | None = None,
    settings_row: Any = None,
) -> dict[str, Any]:
    """What `crm/timeline/_timeline.html` needs for `record`'s card (4 or 5 queries)."""
    user = member(request)
    page = timeline_page(
        user,
        record_type,
        record,
        TimelineQuery.from_params(request.GET, prefix=PREFIX),
        related_ids=related_ids,
    )
    open_tasks = tasks_for_record(
        user, settings_row=settings_row, **{f"{record_type}_id": record.pk}
    )
    timeline_card_url = card_url(record_type, record.pk)
    log_url = reverse("crm_activity_log", args=[record_type, record.pk])
    return {
        "timeline": page,
        "timeline_entries_html": entries_html(
            request,
            page.entries,
            record_type=record_type,
            card_url=timeline_card_url,
            user_id=user.pk,
            is_admin=bool(user.is_workspace_admin),
        ),
        "timeline_record_type": record_type,
        "timeline_card_url": timeline_card_url,
        "timeline_url": reverse("crm_timeline", args=[record_type, record.pk]),
        "timeline_log_url": log_url,
        "timeline_quick_html": quick_entry_html(request, log_url),
        "timeline_kinds": ActivityKind.choices,
        "timeline_selected_kinds": page.query.kinds,
        "timeline_is_admin": bool(user.is_workspace_admin),
        "timeline_user_id": user.pk,
        "call_directions": Direction.choices,
        "call_outcomes": actions.CallOutcome.choices,
        "file_accept": accept_attribute(),
        "file_limit_mb": round(max_file_bytes() / 1048576),
        # The card's open tasks, read once: the "next planned step" at the top is the first
        # of them, and the card's Tasks section (crm_task_tags.card_tasks) lists them all.
        "next_step": open_tasks[0] if open_tasks else None,
        "card_open_tasks": open_tasks,
        "last_contact_at": getattr(record, "last_contact_at", None),
    }


@crm_view
@require_GET
def timeline(request: HttpRequest, record_type: str, record_id: int) -> HttpResponse:
    """The list part of a timeline (htmx: filters, search, "show older"); the card otherwise."""
    record_type = _record_type(record_type)
    record = visible_timeline_record(member(request), record_type, record_id)
    if not request.htmx:  # type: ignore[attr-defined]
        query = request.GET.urlencode()
        return redirect(card_url(record_type, record_id) + (f"?{query}" if query else ""))
    context = timeline_context(request, record_type, record)
    template = (
        "crm/timeline/_entries_more.html" if request.GET.get("older") else "crm/timeline/_list.html"
    )
    return render(request, template, context)


# ---------------------------------------------------------------- logging


def _minutes_to_seconds(value: str) -> Any:
    """A duration typed as minutes ("5", "2:30", "1,5") in seconds; the text itself if odd."""
    text = (value or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        if ":" in text:
            minutes, seconds = text.split(":", 1)
            return int(minutes) * 60 + int(seconds)
        return round(float(text) * 60)
    except ValueError:
        return text


def data_from_post(request: HttpRequest, *, creating: bool) -> dict[str, Any]:
    """The action's input from the quick-entry and full forms (only the fields sent)."""
    post = request.POST
    data: dict[str, Any] = {}
    for name in (
        "kind",
        "direction",
        "subject",
        "text",
        "number",
        "amount",
        "currency",
        "status",
        "outcome",
        "place",
        "channel",
        "occurred_at",
        "ends_at",
        "participants",
    ):
        if name in post:
            data[name] = post.get(name, "")
    if "duration" in post:
        data["duration_seconds"] = _minutes_to_seconds(post.get("duration", ""))
    if not data.get("occurred_at") and creating:
        data.pop("occurred_at", None)
    if "file" in request.FILES:
        data["file"] = request.FILES["file"]
    return data


def _form_context(
    request: HttpRequest,
    *,
    record_type: str,
    record: Any,
    kind: str,
    values: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    activity: Activity | None = None,
) -> dict[str, Any]:
    return {
        "record_type": record_type,
        "record": record,
        "record_name": record_name(record),
        "kind": kind,
        "kind_label": ActivityKind(kind).label,
        "kinds": ActivityKind.choices,
        "values": values,
        "errors": errors or {},
        "record_errors": (errors or {}).get("__all__", []),
        "activity": activity,
        "directions": [
            choice
            for choice in Direction.choices
            if kind == ActivityKind.CALL or choice[0] != Direction.MISSED
        ],
        "outcomes": actions.CallOutcome.choices,
        "channels": actions.MessageChannel.choices,
        "statuses": (
            actions.ProposalStatus.choices
            if kind == ActivityKind.PROPOSAL
            else actions.InvoiceStatus.choices
        ),
        "currencies": actions.CURRENCIES,
        "file_accept": accept_attribute(),
        "file_limit_mb": round(max_file_bytes() / 1048576),
        "card_url": card_url(record_type, record.pk),
    }


@crm_view
def log_activity(request: HttpRequest, record_type: str, record_id: int) -> HttpResponse:
    """GET: the full form for one kind (?kind=meeting). POST: log it (quick entry too)."""
    record_type = _record_type(record_type)
    user = member(request)
    record = visible_timeline_record(user, record_type, record_id)
    kind = request.POST.get("kind") or request.GET.get("kind") or ActivityKind.NOTE
    if kind not in ActivityKind.values:
        kind = ActivityKind.NOTE
    if request.method != "POST":
        values = {"currency": "RUB", "direction": Direction.OUTGOING}
        return render(
            request,
            "crm/timeline/activity_form.html",
            _form_context(
                request, record_type=record_type, record=record, kind=kind, values=values
            ),
        )
    data = data_from_post(request, creating=True)
    data[record_type] = record
    if record_type == "deal":
        data.setdefault("contact", record.contact_id)
        data.setdefault("company", record.company_id)
    try:
        actions.log_activity(acting_user=user, data=data)
    except CrmValidationError as error:
        if request.POST.get("quick"):
            messages.error(request, " ".join(m for ms in error.field_errors.values() for m in ms))
            return redirect(card_url(record_type, record.pk) + "#timeline")
        return render(
            request,
            "crm/timeline/activity_form.html",
            _form_context(
                request,
                record_type=record_type,
                record=record,
                kind=kind,
                values=request.POST.dict(),
                errors=error.field_errors,
            ),
            status=400,
        )
    messages.success(
        request, _("%(kind)s added to the timeline.") % {"kind": ActivityKind(kind).label}
    )
    return redirect(card_url(record_type, record.pk) + "#timeline")


# ---------------------------------------------------------------- one entry


def _owner_of(activity: Activity) -> tuple[str, Any]:
    if activity.contact_id:
        return "contact", activity.contact
    if activity.company_id:
        return "company", activity.company
    return "deal", activity.deal


def _values_of(activity: Activity) -> dict[str, Any]:
    from django.utils import timezone

    values: dict[str, Any] = {
        name: getattr(activity, name) or ""
        for name in ("direction", "subject", "text", "number", "currency", "status")
    }
    values["amount"] = "" if activity.amount is None else str(activity.amount)
    values["occurred_at"] = timezone.localtime(activity.occurred_at).strftime("%Y-%m-%dT%H:%M")
    if activity.duration_seconds is not None:
        minutes, seconds = divmod(activity.duration_seconds, 60)
        values["duration"] = f"{minutes}:{seconds:02d}"
    details = activity.details or {}
    values["outcome"] = details.get("outcome", "")
    values["place"] = details.get("place", "")
    values["channel"] = details.get("channel", "")
    values["participants"] = ", ".join(details.get("participants") or [])
    if details.get("ends_at"):
        from django.utils.dateparse import parse_datetime

        ends = parse_datetime(details["ends_at"])
        values["ends_at"] = timezone.localtime(ends).strftime("%Y-%m-%dT%H:%M") if ends else ""
    return values


@crm_view
def edit_activity(request: HttpRequest, activity_id: int) -> HttpResponse:
    """The author or an admin changes an entry; the previous version is kept."""
    user = member(request)
    activity = actions.get_activity(user, activity_id)
    if activity.author_id != user.pk and not user.is_workspace_admin:
        raise PermissionDenied
    record_type, record = _owner_of(activity)
    next_url = (
        back_url(request, CARD_URLS[record_type], record.pk)
        if record_type != "deal"
        else card_url(record_type, record.pk)
    )
    if request.method == "POST":
        try:
            actions.edit_activity(
                acting_user=user,
                activity=activity.pk,
                changes=data_from_post(request, creating=False),
            )
        except CrmValidationError as error:
            context = _form_context(
                request,
                record_type=record_type,
                record=record,
                kind=activity.kind,
                values=request.POST.dict(),
                errors=error.field_errors,
                activity=activity,
            )
            return render(request, "crm/timeline/activity_form.html", context, status=400)
        messages.success(request, _("The entry is saved; the previous version is kept."))
        return redirect(next_url + "#timeline")
    context = _form_context(
        request,
        record_type=record_type,
        record=record,
        kind=activity.kind,
        values=_values_of(activity),
        activity=activity,
    )
    return render(request, "crm/timeline/activity_form.html", context)


@crm_view
@require_GET
def activity_versions_page(request: HttpRequest, activity_id: int) -> HttpResponse:
    """An entry as it is and as it was before each edit."""
    activity = actions.get_activity(member(request), activity_id)
    record_type, record = _owner_of(activity)
    return render(
        request,
        "crm/timeline/versions.html",
        {
            "activity": activity,
            "activity_html": entries_html(request, [activity]),
            "versions": activity_versions(activity),
            "record": record,
            "record_name": record_name(record),
            "card_url": card_url(record_type, record.pk),
        },
    )


@crm_view
@require_POST
def archive_activity(request: HttpRequest, activity_id: int) -> HttpResponse:
    user = member(request)
    activity = actions.archive_activity(acting_user=user, activity=activity_id)
    record_type, record = _owner_of(activity)
    messages.success(
        request,
        _("The entry is archived."),
        extra_tags="undo:" + reverse("crm_activity_restore", args=[activity.pk]),
    )
    return redirect(card_url(record_type, record.pk) + "#timeline")


@crm_view
@require_POST
def restore_activity(request: HttpRequest, activity_id: int) -> HttpResponse:
    user = member(request)
    activity = actions.restore_activity(acting_user=user, activity=activity_id)
    record_type, record = _owner_of(activity)
    messages.success(request, _("The entry is back on the timeline."))
    return redirect(card_url(record_type, record.pk) + "#timeline")


@crm_view
@require_GET
def activity_file(request: HttpRequest, activity_id: int) -> HttpResponse:
    """An entry's file, as a download, only for those who may see its client."""
    activity = actions.get_activity(member(request), activity_id)
    if not activity.file:
        raise CrmNotFoundError()
    try:
        handle = activity.file.storage.open(activity.file.name or "", "rb")
    except FileNotFoundError as error:
        raise CrmNotFoundError() from error
    response: Any = attachment_response(handle, filename=activity.file_name or "file")
    return response
