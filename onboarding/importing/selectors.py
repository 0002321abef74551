"""Reads of the import: the member's imports, one import, its progress, errors, duplicates."""

import time
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from crm.errors import CrmNotFoundError
from onboarding.importing.models import ImportJob, ImportStatus, OnDuplicate


def _may_import(user: Any) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_workspace_admin", False))


def import_jobs_for(user: Any) -> QuerySet[ImportJob]:
    """The workspace's imports, newest first, for owners and admins (none for others)."""
    if not _may_import(user):
        return ImportJob.objects.none()
    return ImportJob.objects.select_related("created_by").order_by("-created_at", "-id")


def import_job_for(user: Any, job_uuid: Any) -> ImportJob:
    """One import by its uuid; CrmNotFoundError (answer 404) for anyone who may not import."""
    job = import_jobs_for(user).filter(uuid=job_uuid).first() if _may_import(user) else None
    if job is None:
        raise CrmNotFoundError()
    return job


def import_progress(job: ImportJob, *, reread: bool = True) -> dict[str, Any]:
    """Where a run is: rows done of total, percent, an estimate of the seconds left, counts.

    Reads the job afresh (one query), so a page polling it sees each committed chunk;
    `reread=False` for a job the caller has just read (a list's rows).
    """
    fresh = (ImportJob.objects.filter(pk=job.pk).first() or job) if reread else job
    total = fresh.total_rows or (fresh.check_summary or {}).get("rows") or 0
    done = fresh.rows_done
    percent = (
        min(100, int(done * 100 / total))
        if total
        else (100 if fresh.status == ImportStatus.DONE else 0)
    )
    seconds_left: int | None = None
    if fresh.status == ImportStatus.RUNNING and fresh.started_at and done and total > done:
        elapsed = (timezone.now() - fresh.started_at).total_seconds()
        seconds_left = max(1, int(elapsed / done * (total - done)))
    elif fresh.status == ImportStatus.DONE:
        seconds_left = 0
    return {
        "status": fresh.status,
        "status_label": fresh.get_status_display(),
        "rows_done": done,
        "total": total,
        "percent": percent,
        "seconds_left": seconds_left,
        "created": fresh.created_count,
        "updated": fresh.updated_count,
        "skipped": fresh.skipped_count,
        "failed": fresh.failed_count,
        "cancel_requested": fresh.cancel_requested,
        "finished": fresh.status
        in (ImportStatus.DONE, ImportStatus.CANCELLED, ImportStatus.FAILED, ImportStatus.UNDONE),
        "can_undo": fresh.status in (ImportStatus.DONE, ImportStatus.CANCELLED)
        and (fresh.undo_until is None or fresh.undo_until > timezone.now()),
        "undo_until": fresh.undo_until,
        "checked_at": time.time(),
    }


@dataclass(frozen=True)
class RowError:
    row_number: int
    column: str
    message: str


def check_errors(job: ImportJob, limit: int = 200) -> list[RowError]:
    """The first errors the check found (row number in the file, column header, message)."""
    return [
        RowError(row_number=int(row), column=str(column), message=str(message))
        for row, column, message in (job.check_summary or {}).get("errors", [])[:limit]
    ]


def failing_rows_csv(job: ImportJob) -> Any:
    """The stored CSV of the failing rows with a "Why" column (a FieldFile), or None.

    Serve it with tenants.files.attachment_response; people fix it and upload it again.
    """
    return job.errors_file if job.errors_file else None


def duplicate_summary(job: ImportJob) -> dict[str, Any]:
    """What the check found matching existing records and earlier rows, and what the
    chosen policy will do with them (before starting)."""
    summary = job.check_summary or {}
    duplicates = summary.get("duplicates") or {}
    existing = int(duplicates.get("existing", 0))
    in_file = int(duplicates.get("in_file", 0))
    choice = (job.options or {}).get("on_duplicate") or OnDuplicate.UPDATE
    valid = int(summary.get("valid", 0))
    matched = existing + in_file
    return {
        "existing": existing,
        "in_file": in_file,
        "by": dict(duplicates.get("by") or {}),
        "on_duplicate": choice,
        "new": max(0, valid - matched),
        "will_update": matched if choice == OnDuplicate.UPDATE else 0,
        "will_skip": matched if choice == OnDuplicate.SKIP else 0,
        "will_create": max(0, valid - matched) + (matched if choice == OnDuplicate.CREATE else 0),
        "overrides": len((job.options or {}).get("overrides") or {}),
    }


def import_preview(job: ImportJob) -> Any:
    """The file as it will be read (TableInfo: headers, first rows, encoding, delimiter)."""
    from onboarding.importing.engine import open_job_table

    return open_job_table(job)
