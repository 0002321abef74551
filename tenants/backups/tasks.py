"""Background work for backups: thin tasks that call the actions."""

import logging

from celery import shared_task
from django.conf import settings
from django_tenants.utils import schema_context

from tenants.backups import actions
from tenants.task_runtime import workspace_task

logger = logging.getLogger(__name__)

# A failed backup is tried this many more times before it is reported as failed for good.
BACKUP_RETRIES = 2


@workspace_task(bind=True, max_retries=BACKUP_RETRIES, writes=False)
def make_backup_task(self, backup_id: str) -> None:
    """Make one backup of the workspace the task was sent from (safe to run twice)."""
    try:
        with schema_context(settings.PUBLIC_SCHEMA_NAME):
            actions.make_backup(backup_id=backup_id)
    except Exception as error:
        if self.request.retries < BACKUP_RETRIES:
            raise self.retry(exc=error, countdown=30 * (self.request.retries + 1)) from error
        logger.exception("backup %s failed for good", backup_id)
        raise


@shared_task
def expire_backups_task() -> int:
    """Nightly: remove archives past their retention (public schema)."""
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        return actions.expire_backups()
