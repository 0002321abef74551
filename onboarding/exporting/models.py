"""An export: who took what out of the workspace, when, in which format, and the file.

Every export is one ExportJob, kept after its file is removed (the audit record: who,
what entity, which filter, how many rows, when, downloads). The file lives in the
workspace's own storage folder and is deleted EXPORT_RETENTION_DAYS after it was made.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportEntity(models.TextChoices):
    CONTACTS = "contacts", _("Contacts")
    COMPANIES = "companies", _("Companies")
    DEALS = "deals", _("Deals")
    ACTIVITIES = "activities", _("Timeline entries")
    TASKS = "tasks", _("Tasks")


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX (Excel)"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Exporting")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("File removed")


def export_file_path(instance: "ExportJob", filename: str) -> str:
    """The file's place (the default storage puts it under the workspace's own folder)."""
    return f"exports/{instance.uuid}/{filename}"


class ExportJob(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entity = models.CharField(_("what"), max_length=16, choices=ExportEntity.choices)
    file_format = models.CharField(_("format"), max_length=8, choices=ExportFormat.choices)
    # The filter as stored (crm ClientFilter.to_dict() for contacts and companies; the
    # simple filters of the Exports page for the others): what the run selects.
    filters = models.JSONField(default=dict, blank=True)
    # The filter as people read it, in the exporter's language ("Segment: VIP; tag: ...").
    filter_description = models.CharField(_("filter"), max_length=500, blank=True)
    # Headers and yes/no are written in this language; CSV dialect options (delimiter).
    language = models.CharField(max_length=8)
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    file = models.FileField(upload_to=export_file_path, max_length=500, blank=True)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    failure = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("exported by"),
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("last downloaded"), null=True, blank=True)
    download_count = models.PositiveIntegerField(_("downloads"), default=0)
    file_removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["status", "finished_at"], name="exporting_job_expiry")]

    def __str__(self) -> str:
        return f"{self.entity} {self.file_format} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED, ExportStatus.EXPIRED)

    @property
    def can_download(self) -> bool:
        return self.status == ExportStatus.DONE and bool(self.file)
