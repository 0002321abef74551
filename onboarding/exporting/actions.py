"""Every write about exports: start one, run it, record a download, remove old files.

None of these call ensure_workspace_writable(): an export changes no data of the
workspace, only its own audit record, and a workspace made read-only (trial over, unpaid)
must still let its admins take their data out. Only owners and admins export.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from onboarding.exporting.audit import EXPORT_AUDIT_ACTION
from onboarding.exporting.models import ExportEntity, ExportFormat, ExportJob, ExportStatus
from onboarding.exporting.selectors import export_source
from onboarding.exporting.writers import (
    CSV_DELIMITERS,
    CsvSink,
    ExportTooLargeError,
    XlsxSink,
    default_delimiter,
)
from tenants.members.models import AuditEntry, User

logger = logging.getLogger(__name__)


class ExportError(Exception):
    """An export that cannot be started; `message` says why, in the active language."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def direct_limit() -> int:
    """Exports of at most this many rows are made in the request and downloaded at once."""
    return int(getattr(settings, "EXPORT_DIRECT_MAX_ROWS", 5_000))


def retention_days() -> int:
    """Days an export's file is kept (the ExportJob row, the audit record, stays)."""
    return int(getattr(settings, "EXPORT_RETENTION_DAYS", 7))


@dataclass(frozen=True)
class ExportRequest:
    entity: str
    file_format: str
    filters: dict[str, Any]
    filter_description: str = ""
    delimiter: str = ""


def _require_admin(acting_user: User) -> None:
    if not getattr(acting_user, "is_workspace_admin", False) or not acting_user.is_active:
        raise PermissionError("only owners and admins export")


def start_export(*, acting_user: User, request: ExportRequest) -> ExportJob:
    """Record an export (status queued) and write its audit log entry.

    The caller then runs it: `run_export` right away for a small one, or the
    `run_export_task` (scheduled on commit) for a large one. Raises PermissionError for a
    member who is not an owner or admin, ExportError for an unknown entity or format.
    """
    _require_admin(acting_user)
    if request.entity not in ExportEntity.values:
        raise ExportError(_("Choose what to export."))
    if request.file_format not in ExportFormat.values:
        raise ExportError(_("Choose CSV or XLSX."))
    language = translation.get_language() or settings.LANGUAGE_CODE
    delimiter = request.delimiter if request.delimiter in CSV_DELIMITERS else ""
    with transaction.atomic():
        job = ExportJob.objects.create(
            entity=request.entity,
            file_format=request.file_format,
            filters=request.filters,
            filter_description=request.filter_description[:500],
            language=language,
            options={"delimiter": delimiter or default_delimiter(language)},
            created_by=acting_user,
        )
        AuditEntry.objects.create(
            actor=acting_user,
            action=EXPORT_AUDIT_ACTION,
            target=request.filter_description[:200],
            changes=_audit_changes(job),
        )
    return job


def _audit_changes(job: ExportJob) -> dict[str, Any]:
    return {
        "_export": {
            "job": str(job.uuid),
            "entity": job.entity,
            "format": job.file_format,
            "rows": job.row_count,
        }
    }


def _file_name(job: ExportJob) -> str:
    workspace = getattr(connection, "tenant", None)
    subdomain = getattr(workspace, "subdomain", "") or "kartoteka"
    stamp = timezone.localtime(job.created_at).strftime("%Y-%m-%d-%H%M")
    return f"{subdomain}-{job.entity}-{stamp}.{job.file_format}"


def run_export(*, job: ExportJob) -> ExportJob:
    """Write the job's file (in the exporter's language) and mark it done.

    Safe to run twice: a job already done is left as it is; one that died midway is
    written again from the start. Rows are read in chunks and written as read, so memory
    does not grow with the export. A failure is recorded on the job (status failed, a
    message for people in `failure`), not raised.
    """
    job.refresh_from_db()
    if job.status in (ExportStatus.DONE, ExportStatus.EXPIRED):
        return job
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, started_at=timezone.now(), failure=""
    )
    user = job.created_by
    try:
        with translation.override(job.language), tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, f"export.{job.file_format}")
            rows = _write(job, user, path)
            size = os.path.getsize(path)
            name = _file_name(job)
            if job.file:
                job.file.delete(save=False)
            with open(path, "rb") as handle:
                job.file.save(name, File(handle), save=False)
    except ExportTooLargeError:
        return _fail(job, _("More rows than a spreadsheet holds: export to CSV instead."))
    except Exception:
        # Recorded on the job (the page and the e-mail say so) rather than raised: the
        # person gets a message, never an error page; the log keeps the traceback.
        logger.exception("export %s failed", job.uuid)
        return _fail(job, _("The export failed. Please try again."))
    job.status = ExportStatus.DONE
    job.row_count = rows
    job.file_name = name
    job.file_size = size
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "row_count", "file", "file_name", "file_size", "finished_at"])
    # The audit entry says how many rows went out, once it is known.
    AuditEntry.objects.filter(
        action=EXPORT_AUDIT_ACTION, changes__contains={"_export": {"job": str(job.uuid)}}
    ).update(changes=_audit_changes(job))
    return job


def _write(job: ExportJob, user: User, path: str) -> int:
    source = export_source(user, job.entity, job.filters)
    if job.file_format == ExportFormat.CSV:
        with open(path, "wb") as target:
            sink = CsvSink(
                target,
                source.columns,
                delimiter=str(job.options.get("delimiter") or default_delimiter(job.language)),
                yes=_("Yes"),
                no=_("No"),
            )
            count = sink.write_rows(source.rows())
            sink.close()
        return count
    sink_x = XlsxSink(
        path,
        source.columns,
        sheet_name=str(ExportEntity(job.entity).label),
        date_format="yyyy-mm-dd" if job.language.startswith("en") else "dd.mm.yyyy",
        datetime_format="yyyy-mm-dd hh:mm" if job.language.startswith("en") else "dd.mm.yyyy hh:mm",
    )
    try:
        count = sink_x.write_rows(source.rows())
    finally:
        sink_x.close()
    return count


def _fail(job: ExportJob, message: str) -> ExportJob:
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.FAILED, failure=message, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def record_download(*, job: ExportJob, acting_user: User) -> None:
    """Count a download of the job's file (who downloads is the job's admin: links are
    personal)."""
    _require_admin(acting_user)
    from django.db.models import F

    ExportJob.objects.filter(pk=job.pk).update(
        downloaded_at=timezone.now(), download_count=F("download_count") + 1
    )


def notify_export_ready(*, job: ExportJob) -> None:
    """E-mail the admin who asked that their export is ready (or failed), with the link
    to the Exports page (download links there are made fresh for the reader)."""
    from tenants.guards import current_workspace
    from tenants.members.actions import quoted_for_email
    from tenants.selectors import workspace_url

    workspace = current_workspace()
    user = job.created_by
    if workspace is None or not user.email:
        return
    with translation.override(user.language or job.language):
        context = {
            "job": job,
            "what": ExportEntity(job.entity).label,
            # A name the workspace chose: quoted, and never in the subject.
            "workspace_name": quoted_for_email(workspace.name),
            "exports_url": workspace_url(workspace, reverse("exports")),
            "retention_days": retention_days(),
        }
        subject = render_to_string("exporting/email/export_ready_subject.txt", context).strip()
        body = render_to_string("exporting/email/export_ready_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


def remove_expired_export_files(*, now: Any = None) -> int:
    """Delete the files of exports finished more than retention_days() ago; the rows stay
    (status expired) as the record of who exported what. Returns how many were removed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=retention_days())
    removed = 0
    for job in ExportJob.objects.filter(
        status__in=[ExportStatus.DONE, ExportStatus.FAILED], finished_at__lt=cutoff
    ).order_by("id"):
        if job.file:
            job.file.delete(save=False)
        job.status = ExportStatus.EXPIRED
        job.file_removed_at = now
        job.save(update_fields=["status", "file", "file_removed_at"])
        removed += 1
    return removed
