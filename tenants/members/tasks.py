"""Periodic housekeeping inside each workspace."""

from django.contrib.sessions.models import Session
from django.utils import timezone

from tenants.task_runtime import workspace_task


@workspace_task
def clear_expired_sessions() -> int:
    """Remove this workspace's expired sessions (beat sends it to every workspace daily)."""
    deleted, _by_model = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
