"""Background work of the import: check, run, resume lost runs, delete old files.

Thin: each task loads the job and calls the engine or an action, and is safe to run
twice (the run continues from its checkpoint; a second concurrent run returns at once).
"""

import logging

from django.utils import timezone

from onboarding.importing import actions, engine
from onboarding.importing.models import ImportJob, ImportStatus
from tenants.task_runtime import workspace_task

logger = logging.getLogger(__name__)


@workspace_task(name="importing.check_import")
def check_import_task(job_id: int) -> None:
    """Validate every row of the file and count duplicates (status checking -> checked)."""
    actions.run_check(job_id)


# acks_late (WorkspaceTask): a worker killed mid-run leaves the message unacknowledged,
# so the broker hands it to the next worker, which resumes from the checkpoint.
@workspace_task(name="importing.run_import", max_retries=5)
def run_import_task(job_id: int) -> None:
    """Import the file chunk by chunk from the job's checkpoint (refused when read-only)."""
    engine.run_import(job_id)


@workspace_task(name="importing.resume_stale_imports", writes=False)
def resume_stale_imports() -> int:
    """Re-queue runs whose worker went away (no committed chunk for STALE_AFTER)."""
    limit = timezone.now() - engine.STALE_AFTER
    stale = list(
        ImportJob.objects.filter(
            status__in=[ImportStatus.RUNNING, ImportStatus.QUEUED], updated_at__lt=limit
        ).exclude(heartbeat_at__gte=limit)
    )
    for job in stale:
        logger.warning("import %s: no progress since %s, queued again", job.pk, job.heartbeat_at)
        run_import_task.delay(job.pk)
    return len(stale)


@workspace_task(name="importing.delete_expired_import_files", writes=False)
def delete_expired_import_files_task() -> int:
    """Delete uploaded files once their import can no longer be undone (30 days)."""
    return actions.delete_expired_import_files()
