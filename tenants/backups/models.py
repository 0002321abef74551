"""Backups of whole workspaces and restores from them (public schema).

The rows live in `public` because a backup outlives and crosses workspaces: an
operator restores one over a workspace or into a new one. Members live inside their
workspace's schema, so who asked is kept as the member's id and e-mail.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.models import Workspace


class Backup(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    class Reason(models.TextChoices):
        ORDERED = "ordered", _("Ordered by an admin")
        SCHEDULED = "scheduled", _("Scheduled")
        SAFETY = "safety", _("Safety copy before a restore")
        OPERATOR = "operator", _("Made by an operator")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="backups")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    requested_by_user_id = models.BigIntegerField(null=True, blank=True)
    requested_by_email = models.EmailField(blank=True)
    # The language of the member who asked: the e-mails about this backup are in it.
    requested_by_language = models.CharField(max_length=8, blank=True)
    # A scheduled backup's period ("daily:2026-11-29", "weekly:2026-W48"): one per period.
    period_key = models.CharField(max_length=32, blank=True)
    # When the admin was told that this backup failed for good (told once).
    failure_reported_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # Where the encrypted archive is in the backups storage, its size and checksum.
    storage_name = models.CharField(max_length=255, blank=True)
    bytes = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    tables = models.PositiveIntegerField(null=True, blank=True)
    rows = models.BigIntegerField(null=True, blank=True)
    files = models.PositiveIntegerField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    # {"tables_done": n, "tables_total": m} while running; "retrying": true between tries.
    progress = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="backup_workspace_recent")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "period_key"],
                condition=~models.Q(period_key=""),
                name="backup_one_per_schedule_period",
            )
        ]

    def __str__(self) -> str:
        return f"backup {self.id} of {self.workspace_id} ({self.status})"

    @property
    def percent_done(self) -> int | None:
        """How far a running backup is, in percent of its tables (None when unknown)."""
        total = int(self.progress.get("tables_total") or 0)
        if not total:
            return None
        return min(100, int(100 * int(self.progress.get("tables_done") or 0) / total))


class BackupDownload(models.Model):
    """One download of a backup archive: who and when (every download is recorded)."""

    backup = models.ForeignKey(Backup, on_delete=models.CASCADE, related_name="downloads")
    user_id = models.BigIntegerField()
    email = models.EmailField()
    downloaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.email} downloaded {self.backup_id}"


class Restore(models.Model):
    class Mode(models.TextChoices):
        NEW_WORKSPACE = "new", _("Into a new workspace")
        OVER = "over", _("Over the workspace")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    backup = models.ForeignKey(Backup, on_delete=models.PROTECT, related_name="restores")
    mode = models.CharField(max_length=8, choices=Mode.choices)
    target_workspace = models.ForeignKey(
        Workspace, on_delete=models.PROTECT, null=True, blank=True, related_name="restores"
    )
    safety_backup = models.ForeignKey(
        Backup, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The schema a restore over a workspace replaced: kept, never dropped by the restore.
    replaced_schema = models.CharField(max_length=63, blank=True)
    requested_by = models.CharField(max_length=254)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    tables = models.PositiveIntegerField(null=True, blank=True)
    rows = models.BigIntegerField(null=True, blank=True)
    files = models.PositiveIntegerField(null=True, blank=True)
    verified = models.BooleanField(default=False)
    seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"restore {self.id} of {self.backup_id} ({self.status})"
