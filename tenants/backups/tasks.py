"""Background work for backups: thin tasks that call the actions."""

import logging

from celery import shared_task
from django.conf import settings
from django_tenants.utils import schema_context

from tenants.backups import actions
from tenants.task_runtime import workspace_task

logger = logging.getLogger(__name__)

# A failed backup is tried this many more times (after 30 s, then 60 s) before it is
# reported as failed for good: the admin is told and a paid backup is refunded.
BACKUP_RETRIES = 2
BACKUP_RETRY_BASE_SECONDS = 30


def _try_backup(backup_id: str, *, will_retry: bool) -> Exception | None:
    """One try; returns the error when it failed (after reporting it if it was the last)."""
    try:
        with schema_context(settings.PUBLIC_SCHEMA_NAME):
            actions.make_backup(backup_id=backup_id, will_retry=will_retry)
    except Exception as error:
        if not will_retry:
            logger.exception("backup %s failed for good", backup_id)
            with schema_context(settings.PUBLIC_SCHEMA_NAME):
                actions.report_backup_failure(backup_id=backup_id)
        return error
    return None


@workspace_task(bind=True, max_retries=BACKUP_RETRIES, writes=False)
def make_backup_task(self, backup_id: str) -> None:
    """Make one backup of the workspace the task was sent from (safe to run twice)."""
    if self.request.is_eager:
        # No broker to schedule a retry on (CELERY_TASK_ALWAYS_EAGER: tests, scripts):
        # the same tries run one after the other, now.
        for attempt in range(BACKUP_RETRIES + 1):
            if _try_backup(backup_id, will_retry=attempt < BACKUP_RETRIES) is None:
                return
        return
    will_retry = self.request.retries < BACKUP_RETRIES
    error = _try_backup(backup_id, will_retry=will_retry)
    if error is not None and will_retry:
        countdown = BACKUP_RETRY_BASE_SECONDS * (2**self.request.retries)
        raise self.retry(exc=error, countdown=countdown)


@shared_task
def expire_backups_task() -> int:
    """Nightly: remove archives past their retention (public schema)."""
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        return actions.expire_backups()
