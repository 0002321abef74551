"""The CRM's scheduled work: due-task notifications and date reminders (thin tasks).

Beat runs `fan_out_due_tasks` every minute in the public schema: it sends the sweep
only to workspaces whose "next due" hint (crm.due_hints) has come. Every hour the sweep
goes to every workspace (a safety net that also rebuilds the hints), and the date
reminders run in every workspace (each makes today's reminders in its own time zone;
running again is a no-op). Every task is safe to run twice: keys decide.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from crm import due_hints
from crm.actions import tasks as actions
from tenants.db import current_schema_name
from tenants.models import Workspace
from tenants.task_runtime import workspace_task

logger = logging.getLogger(__name__)


@workspace_task(name="crm.sweep_due_tasks", ignore_result=True)
def sweep_due_tasks_task() -> dict[str, int]:
    """Notify (in-app and by e-mail) the assignees of this workspace's due tasks, once."""
    counts = actions.sweep_due_tasks()
    due_hints.replace(current_schema_name(), actions.next_notification_due())
    return counts


@workspace_task(name="crm.run_date_reminders", ignore_result=True)
def run_date_reminders_task() -> int:
    """Make this workspace's date-reminder tasks for today (once each)."""
    return actions.run_date_reminders()


def schemas_to_sweep() -> list[str]:
    """Workspaces with a notification due now that may be written to (public schema)."""
    due = due_hints.due_schemas(timezone.now())
    if not due:
        return []
    writable = set(
        Workspace.objects.filter(schema_name__in=due, kind=Workspace.Kind.CUSTOMER)
        .exclude(status__in=["read_only", "suspended"])
        .values_list("schema_name", flat=True)
    )
    return [name for name in due if name in writable and name != settings.TENANT_BASE_SCHEMA]


@shared_task(name="crm.fan_out_due_tasks", ignore_result=True)
def fan_out_due_tasks() -> int:
    """Send the due-task sweep to each workspace with something due (public schema)."""
    schemas = schemas_to_sweep()
    for schema_name in schemas:
        sweep_due_tasks_task.apply_async(headers={"_schema_name": schema_name})
    if schemas:
        logger.info("due-task sweep sent to %d workspaces", len(schemas))
    return len(schemas)
