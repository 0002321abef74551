"""Reads about backups."""

from django.db.models import QuerySet

from tenants.backups.models import Backup
from tenants.models import Workspace


def backups_of_workspace(workspace: Workspace) -> QuerySet[Backup]:
    """A workspace's backups, newest first (one query; public schema rows)."""
    return Backup.objects.filter(workspace=workspace).exclude(reason=Backup.Reason.SAFETY)
