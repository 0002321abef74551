"""Background exports and the removal of old export files (thin: they call actions).

Both say `writes=False`: the task runtime refuses `writes=True` tasks in a read-only
workspace, and these change none of the workspace's data (only the export's own record
and files), so a workspace whose subscription lapsed can still take its data out.
"""

from onboarding.exporting import actions
from onboarding.exporting.models import ExportJob
from tenants.task_runtime import workspace_task


@workspace_task(name="exporting.run_export", writes=False)
def run_export_task(job_id: int) -> None:
    """Write a large export's file, then e-mail the admin who asked. Safe to run twice."""
    job = ExportJob.objects.filter(pk=job_id).select_related("created_by").first()
    if job is None or job.is_finished:
        return
    job = actions.run_export(job=job)
    actions.notify_export_ready(job=job)


@workspace_task(name="exporting.remove_expired_files", writes=False)
def remove_expired_export_files_task() -> int:
    """Beat, daily, in every workspace: delete export files past their retention."""
    return actions.remove_expired_export_files()
