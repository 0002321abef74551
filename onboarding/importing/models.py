"""An import, from upload to undo, and the column mappings people save for next time.

An ImportJob walks the wizard's steps (status), holds the uploaded file in the
workspace's own storage folder, the mapping, the options and the counts, and is the
checkpoint a resumed background run starts from (`rows_done`, committed with each chunk
of rows written). ImportedRecord rows say what the import created or updated, with the
previous values, so the whole import can be undone for 30 days.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class ImportEntity(models.TextChoices):
    CONTACTS = "contacts", _("Contacts")
    COMPANIES = "companies", _("Companies")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    MAPPED = "mapped", _("Columns matched")
    CHECKING = "checking", _("Checking rows")
    CHECKED = "checked", _("Checked")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    CANCELLED = "cancelled", _("Cancelled")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    UNDOING = "undoing", _("Undoing")
    UNDONE = "undone", _("Undone")


class OnDuplicate(models.TextChoices):
    UPDATE = "update", _("Update the existing record")
    SKIP = "skip", _("Skip the row")
    CREATE = "create", _("Create a new record")


def import_file_path(instance: "ImportJob", filename: str) -> str:
    """The upload's place (the default storage puts it under the workspace's own folder)."""
    return f"imports/{instance.uuid}/{filename}"


class ImportJob(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entity = models.CharField(_("what to import"), max_length=16, choices=ImportEntity.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    file = models.FileField(upload_to=import_file_path, max_length=500, blank=True)
    original_name = models.CharField(_("file"), max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    # How the file is read (detected, or chosen by the user over the detection).
    file_format = models.CharField(max_length=16, blank=True)
    encoding = models.CharField(max_length=32, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    header_row = models.PositiveIntegerField(default=0)
    sheet = models.CharField(max_length=255, blank=True)
    headers = models.JSONField(default=list, blank=True)
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    # {"<column index>": "<target>"}: a standard field name, "custom.<key>", or absent.
    mapping = models.JSONField(default=dict, blank=True)
    # on_duplicate, duplicate overrides, only_valid, responsible, default country, ...
    options = models.JSONField(default=dict, blank=True)
    # Check results: valid/invalid row counts, duplicates by kind.
    check_summary = models.JSONField(default=dict, blank=True)
    errors_file = models.FileField(upload_to=import_file_path, max_length=500, blank=True)
    # The checkpoint: rows of the file handled and committed so far.
    rows_done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    failure = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    undo_until = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # When the uploaded file was removed (after the undo period).
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    # Set with every committed chunk: a running job whose heartbeat is old lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.entity}: {self.original_name}"


class ImportedRecord(models.Model):
    """One record an import created or updated; `previous` holds what undo puts back."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="records")
    record_type = models.CharField(max_length=16)
    record_id = models.BigIntegerField()
    created = models.BooleanField()
    row_number = models.PositiveIntegerField()
    previous = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["job", "record_type", "record_id"], name="importing_rec")]
        constraints = [
            # A row makes at most one record of each type (a contact, and the company
            # its company column named when that company was new).
            models.UniqueConstraint(
                fields=["job", "record_type", "row_number"], name="importing_record_row_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.job_id}: {self.record_type}#{self.record_id}"


class ExternalRecordId(models.Model):
    """A record's id in the system it was imported from (an "external id" column).

    Kept here rather than on the record: imports match on it (an import updating by
    external id finds the same records the next time) and undo removes what it added.
    """

    record_type = models.CharField(max_length=16)
    external_id = models.CharField(max_length=255)
    record_id = models.BigIntegerField()
    job = models.ForeignKey(
        ImportJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["record_type", "external_id"], name="importing_external_id_once"
            )
        ]
        indexes = [models.Index(fields=["record_type", "record_id"], name="importing_ext_record")]

    def __str__(self) -> str:
        return f"{self.record_type}:{self.external_id} -> {self.record_id}"


class SavedMapping(models.Model):
    """A column mapping kept for reuse: header name (case-folded) -> target."""

    name = models.CharField(_("name"), max_length=120)
    entity = models.CharField(max_length=16, choices=ImportEntity.choices)
    columns = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved mapping")
        verbose_name_plural = _("saved mappings")
        constraints = [
            models.UniqueConstraint(
                "entity", Lower("name"), name="importing_saved_mapping_name_unique_ci"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ChecklistDismissal(models.Model):
    """A member hid the home page's get-started checklist (onboarding.checklist).

    Kept here because this is onboarding's app inside workspace schemas: each member's
    choice lives in their own workspace, like the member.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    dismissed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.dismissed_at:%Y-%m-%d}"
