"""/api/exports: take contacts, companies, deals, timeline entries or tasks out as a file.

Exports are for owners and admins, so an API key exports only with the explicit `export`
scope (granted by an owner or admin when the key is made) and only while the member it
acts as is still an active owner or admin (tenants.api_keys.auth.ApiKeyAuth(export=True),
this router's auth). Everything else is the Exports page's: the same form validates the
filters, the same actions record the export in the audit log (start_export) and write
the file (run_export, at once for a small export, in the background for a large one),
and every download is counted (record_download).
"""

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, HttpRequest, QueryDict
from django.utils.translation import gettext as _
from ninja import Field as SchemaField
from ninja import Router, Schema, Status

from crm.api.common import ERRORS, acting_user
from crm.errors import CrmNotFoundError, CrmValidationError, ErrorCode
from crm.models import Segment
from crm.views.lists import list_filter_from_query, params_from_filter
from onboarding.exporting import actions
from onboarding.exporting.forms import ExportForm
from onboarding.exporting.models import ExportJob, ExportStatus
from onboarding.exporting.selectors import (
    CLIENT_ENTITIES,
    describe_client_filter,
    describe_simple_filter,
    export_count,
)
from tenants.api_keys.auth import ApiKeyAuth
from tenants.files import attachment_response

router = Router(tags=["Exports"], auth=ApiKeyAuth(export=True))

# The form's field names as the API calls them.
API_FIELD_NAMES = {"file_format": "format", "applied_segment": "segment"}


class ExportIn(Schema):
    """What to export and which records (all of them when no filter is given)."""

    entity: Literal["contacts", "companies", "deals", "activities", "tasks"]
    format: Literal["csv", "xlsx"] = "xlsx"
    delimiter: Literal[",", ";"] | None = SchemaField(
        None, description="CSV only; default by the key owner's language (; for ru/uk)."
    )
    segment: int | str | None = SchemaField(
        None, description="Contacts and companies: a saved segment's id or name."
    )
    query: str | None = SchemaField(
        None,
        max_length=4000,
        description="Contacts and companies: the filter as a list page's query string "
        "(e.g. `tags=3&responsible=2&cf_size_min=40`), on top of the segment's.",
    )
    pipeline: int | None = SchemaField(None, description="Deals: a pipeline's id.")
    deal_status: str | None = SchemaField(None, description="Deals: open, won or lost.")
    activity_kind: str | None = SchemaField(None, description="Timeline entries: the kind.")
    task_status: str | None = SchemaField(None, description="Tasks: the status.")
    assignee: int | None = SchemaField(None, description="Tasks: a member's id.")
    date_from: dt.date | None = SchemaField(
        None, description="Deals by creation, entries by when they happened, tasks by due date."
    )
    date_to: dt.date | None = None


class ExportOut(Schema):
    id: UUID
    entity: str
    format: str
    status: Literal["queued", "running", "done", "failed", "expired"]
    status_label: str
    filter_description: str
    rows: int | None = SchemaField(description="Rows written (once done).")
    file_name: str
    file_size: int | None
    download_url: str | None = SchemaField(description="GET it for the file (once done).")
    failure: str
    download_count: int
    created_by_id: int
    created_at: dt.datetime
    finished_at: dt.datetime | None


def export_out(job: ExportJob) -> dict[str, Any]:
    return {
        "id": job.uuid,
        "entity": job.entity,
        "format": job.file_format,
        "status": job.status,
        "status_label": job.get_status_display(),
        "filter_description": job.filter_description,
        "rows": job.row_count,
        "file_name": job.file_name,
        "file_size": job.file_size,
        "download_url": f"/api/exports/{job.uuid}/file" if job.can_download else None,
        "failure": job.failure,
        "download_count": job.download_count,
        "created_by_id": job.created_by_id,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def _segment(entity: str, given: int | str) -> Segment:
    segments = Segment.objects.filter(record_type=CLIENT_ENTITIES[entity])
    if isinstance(given, int) or str(given).isdigit():
        found = segments.filter(pk=int(given)).first()
    else:
        found = segments.filter(name__iexact=str(given).strip()).first()
    if found is None:
        raise CrmValidationError({"segment": [_("No saved segment with this id or name.")]})
    return found


def _client_filters(payload: ExportIn) -> tuple[dict[str, Any], str]:
    """The list filter (a segment's, then the query string's) as the export stores it,
    and how it reads: what the Export button of a list page sends."""
    record_type = CLIENT_ENTITIES[payload.entity]
    segment = _segment(payload.entity, payload.segment) if payload.segment is not None else None
    params = params_from_filter(segment.filters) if segment else QueryDict(mutable=True)
    for key, values in QueryDict(payload.query or "").lists():
        params.setlist(key, values)
    filters = list_filter_from_query(params, record_type)
    description = describe_client_filter(payload.entity, filters, segment.name if segment else "")
    return filters.to_dict(), description


def _form_data(payload: ExportIn) -> dict[str, Any]:
    data = payload.model_dump(exclude_none=True)
    data["file_format"] = data.pop("format")
    for key in ("date_from", "date_to"):
        if key in data:
            data[key] = data[key].isoformat()
    data.pop("segment", None)
    data.pop("query", None)
    return data


@router.post(
    "/exports",
    response={201: ExportOut, 202: ExportOut, **ERRORS},
    url_name="api_export_create",
    summary="Export records as CSV or XLSX (keys with the export scope)",
    description="Contacts and companies take a saved `segment` and/or a list `query`; deals, "
    "entries and tasks take the Exports page's filters. The key's member must be an active "
    "owner or admin; clients follow that member's visibility. A small export is written at "
    "once (201, status done); a large one runs in the background (202): poll GET "
    "/api/exports/{id}. Every export is recorded in the audit log. Works in a read-only "
    "workspace too.",
)
def api_export_create(request: HttpRequest, payload: ExportIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    form = ExportForm(_form_data(payload))
    if not form.is_valid():
        raise CrmValidationError(
            {
                API_FIELD_NAMES.get(field, field): [str(message) for message in messages]
                for field, messages in form.errors.items()
            }
        )
    if payload.entity in CLIENT_ENTITIES:
        filters, description = _client_filters(payload)
    elif payload.segment is not None or payload.query:
        raise CrmValidationError(
            {"segment": [_("Segments and list filters are for contacts and companies.")]}
        )
    else:
        filters = form.simple_filters()
        description = describe_simple_filter(payload.entity, filters)
    count = export_count(user, payload.entity, filters)
    try:
        job = actions.start_export(
            acting_user=user,
            request=actions.ExportRequest(
                entity=payload.entity,
                file_format=payload.format,
                filters=filters,
                filter_description=description,
                delimiter=payload.delimiter or "",
            ),
        )
    except actions.ExportError as error:
        raise CrmValidationError({"__all__": [error.message]}) from error
    except PermissionError as error:
        raise PermissionDenied(_("Only owners and admins can export.")) from error
    if count <= actions.direct_limit():
        return Status(201, export_out(actions.run_export(job=job)))
    from onboarding.exporting.tasks import run_export_task

    job_id = job.pk
    transaction.on_commit(lambda: run_export_task.delay(job_id))
    return Status(202, export_out(job))


def _export(export_id: UUID) -> ExportJob:
    job = ExportJob.objects.filter(uuid=export_id).first()
    if job is None:
        raise CrmNotFoundError()
    return job


@router.get(
    "/exports/{export_id}",
    response={200: ExportOut, **ERRORS},
    url_name="api_export_detail",
    summary="An export: its status, rows and download link",
)
def api_export_detail(request: HttpRequest, export_id: UUID) -> dict[str, Any]:
    return export_out(_export(export_id))


@router.get(
    "/exports/{export_id}/file",
    response={200: None, **ERRORS},
    url_name="api_export_file",
    summary="Download an export's file (counted as a download)",
)
def api_export_file(request: HttpRequest, export_id: UUID) -> FileResponse:
    job = _export(export_id)
    if not job.can_download:
        if job.status == ExportStatus.EXPIRED:
            message = _("The file of this export was removed after %(days)s days.") % {
                "days": actions.retention_days()
            }
        else:
            message = _("The file is not ready (now: %(status)s).") % {
                "status": job.get_status_display()
            }
        raise CrmValidationError({"__all__": [message]}, code=ErrorCode.CONFLICT)
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as error:
        raise CrmNotFoundError() from error
    actions.record_download(job=job, acting_user=acting_user(request))
    return attachment_response(handle, filename=job.file_name)
