"""The Exports page (workspace settings), the lists' Export button, and downloads.

Owners and admins only (members get the styled 403). The POST that starts an export is
allowed in a read-only workspace: exporting changes none of the workspace's data.
"""

from typing import Any, cast
from uuid import UUID

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.models import Segment
from crm.views.lists import list_filter_from_query
from onboarding.exporting import actions
from onboarding.exporting.forms import ExportForm
from onboarding.exporting.links import (
    download_link_seconds,
    make_download_token,
    read_download_token,
)
from onboarding.exporting.models import ExportEntity, ExportJob
from onboarding.exporting.selectors import (
    CLIENT_ENTITIES,
    describe_client_filter,
    describe_simple_filter,
    export_count,
)
from tenants.files import attachment_response
from tenants.guards import allowed_when_read_only
from tenants.members.models import User
from tenants.members.permissions import workspace_admin_required

RECENT_EXPORTS = 50


def _schema(request: HttpRequest) -> str:
    return str(request.tenant.schema_name)  # type: ignore[attr-defined]


def _segment_name(record_type: str, applied_segment: str) -> str:
    try:
        segment_id = int(applied_segment)
    except (TypeError, ValueError):
        return ""
    found = Segment.objects.filter(pk=segment_id, record_type=record_type).first()
    return found.name if found else ""


def _client_export(entity: str, query: str, applied_segment: str) -> tuple[dict[str, Any], str]:
    """A list's query string -> (the ClientFilter as stored, how it reads)."""
    record_type = CLIENT_ENTITIES[entity]
    filters = list_filter_from_query(QueryDict(query), record_type)
    description = describe_client_filter(
        entity, filters, _segment_name(record_type, applied_segment)
    )
    return filters.to_dict(), description


@workspace_admin_required
def export_list(request: HttpRequest) -> HttpResponse:
    """Past exports (the audit of who exported what) and the form for a new one."""
    member = cast(User, request.user)
    jobs = list(ExportJob.objects.select_related("created_by")[:RECENT_EXPORTS])
    for job in jobs:
        job.download_token = (  # type: ignore[attr-defined]
            make_download_token(
                export_uuid=str(job.uuid), member_id=member.pk, schema_name=_schema(request)
            )
            if job.can_download
            else ""
        )
    initial_entity = request.GET.get("entity", ExportEntity.DEALS)
    context = {
        "form": ExportForm(initial={"entity": initial_entity, "delimiter": _default_delimiter()}),
        "jobs": jobs,
        "any_running": any(not job.is_finished for job in jobs),
        "link_minutes": download_link_seconds() // 60,
        "retention_days": actions.retention_days(),
        "direct_limit": actions.direct_limit(),
    }
    return render(request, "exporting/export_list.html", context)


def _default_delimiter() -> str:
    from django.utils.translation import get_language

    from onboarding.exporting.writers import default_delimiter

    return default_delimiter(get_language() or "")


@workspace_admin_required
def export_new(request: HttpRequest) -> HttpResponse:
    """The lists' Export button lands here: what the current filter selects, and a format."""
    entity = request.GET.get("entity", "")
    if entity not in CLIENT_ENTITIES:
        return redirect("exports")
    query = request.GET.copy()
    for key in ("entity", "applied_segment", "page", "sort"):
        query.pop(key, None)
    query_string = query.urlencode()
    applied_segment = request.GET.get("applied_segment", "")
    filters, description = _client_export(entity, query_string, applied_segment)
    member = cast(User, request.user)
    list_url = reverse("crm_contact_list" if entity == "contacts" else "crm_company_list")
    context = {
        "entity": entity,
        "entity_label": ExportEntity(entity).label,
        "count": export_count(member, entity, filters),
        "description": description,
        "direct_limit": actions.direct_limit(),
        "back_url": f"{list_url}?{query_string}" if query_string else list_url,
        "form": ExportForm(
            initial={
                "entity": entity,
                "query": query_string,
                "applied_segment": applied_segment,
                "delimiter": _default_delimiter(),
            }
        ),
    }
    return render(request, "exporting/export_new.html", context)


@require_POST
@allowed_when_read_only
@workspace_admin_required
def export_start(request: HttpRequest) -> HttpResponse:
    """Start an export: a small one is made now and downloaded; a large one is queued."""
    member = cast(User, request.user)
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please correct the errors below."))
        return render(
            request,
            "exporting/export_list.html",
            {
                "form": form,
                "jobs": list(ExportJob.objects.select_related("created_by")[:RECENT_EXPORTS]),
                "link_minutes": download_link_seconds() // 60,
                "retention_days": actions.retention_days(),
                "direct_limit": actions.direct_limit(),
            },
            status=400,
        )
    entity = form.cleaned_data["entity"]
    if entity in CLIENT_ENTITIES:
        filters, description = _client_export(
            entity, form.cleaned_data["query"], form.cleaned_data["applied_segment"]
        )
    else:
        filters = form.simple_filters()
        description = describe_simple_filter(entity, filters)
    count = export_count(member, entity, filters)
    job = actions.start_export(
        acting_user=member,
        request=actions.ExportRequest(
            entity=entity,
            file_format=form.cleaned_data["file_format"],
            filters=filters,
            filter_description=description,
            delimiter=form.cleaned_data.get("delimiter") or "",
        ),
    )
    if count <= actions.direct_limit():
        job = actions.run_export(job=job)
        if job.can_download:
            actions.record_download(job=job, acting_user=member)
            file = job.file.open("rb")
            return attachment_response(file, filename=job.file_name)  # type: ignore[return-value]
        messages.error(request, job.failure)
        return redirect("exports")
    from onboarding.exporting.tasks import run_export_task

    transaction.on_commit(lambda: run_export_task.delay(job.pk))
    messages.success(
        request,
        _(
            "The export of %(count)s records has started. It will be listed below when "
            "ready, and we will e-mail you."
        )
        % {"count": count},
    )
    return redirect("exports")


@workspace_admin_required
def export_download(request: HttpRequest, token: str) -> HttpResponse:
    """An export's file, for the admin the link was made for, on this workspace only."""
    member = cast(User, request.user)
    export_uuid = read_download_token(token, member_id=member.pk, schema_name=_schema(request))
    try:
        job = ExportJob.objects.filter(uuid=UUID(export_uuid)).first() if export_uuid else None
    except ValueError:
        job = None
    if job is None or not job.can_download:
        raise Http404
    actions.record_download(job=job, acting_user=member)
    file = job.file.open("rb")
    return attachment_response(file, filename=job.file_name)  # type: ignore[return-value]
