"""Every write of the import: upload, mapping, check, options, start, cancel, undo.

Owners and admins import (an import writes many clients at once and can be undone as a
whole: the same people who may export everything). Each action: `acting_user` first,
keyword-only arguments, `ensure_workspace_writable()`, one transaction; background work
(check, run) is queued with `transaction.on_commit`. Refusals: CrmValidationError
(per-field translated messages), ImportFileError (the file cannot be read),
PermissionDenied, CrmNotFoundError, WorkspaceReadOnlyError.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.errors import CrmValidationError, ErrorCode
from crm.models.custom_fields import FieldType
from crm.selectors.custom_fields import active_custom_fields
from onboarding.importing import engine
from onboarding.importing.models import (
    ImportEntity,
    ImportJob,
    ImportStatus,
    OnDuplicate,
    SavedMapping,
)
from tenants.guards import ensure_workspace_writable
from tenants.members.models import AuditEntry, User

MAX_UPLOAD_BYTES = 50 * 1024 * 1024

# An option the API sets when it is asked to check and run in one request: the check task
# starts the run itself once the rows are checked (the wizard asks the person instead).
START_WHEN_CHECKED = "start_when_checked"


def _require_importer(acting_user: Any) -> None:
    if acting_user is None or not getattr(acting_user, "is_active", False):
        raise PermissionDenied(_("Only active members can do this."))
    if not acting_user.is_workspace_admin:
        raise PermissionDenied(_("Only owners and admins can import."))


def _locked(job: ImportJob | int) -> ImportJob:
    return ImportJob.objects.select_for_update().get(pk=getattr(job, "pk", job))


def _refuse_unless(job: ImportJob, *statuses: str) -> None:
    if job.status not in statuses:
        raise CrmValidationError(
            {
                "__all__": [
                    _("This import is past that step (now: %(status)s).")
                    % {"status": job.get_status_display()}
                ]
            },
            code=ErrorCode.CONFLICT,
        )


def _read_into(job: ImportJob, **overrides: Any) -> None:
    """Read the stored file with the given overrides; keeps what was detected on the job."""
    from onboarding.importing.reading import open_table

    info = open_table(job.file.path, original_name=job.original_name, **overrides)
    if not info.headers:
        from onboarding.importing.reading import ImportFileError

        raise ImportFileError(_("The file has no columns."), code="no_columns")
    job.file_format = info.file_format
    job.encoding = info.encoding or ""
    job.delimiter = info.delimiter or ""
    job.header_row = info.header_row or 0
    job.sheet = info.sheet or ""
    job.headers = list(info.headers)
    job.total_rows = info.estimated_rows


def upload_import(
    acting_user: User,
    *,
    entity: str,
    uploaded_file: File,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    sheet: str | None = None,
) -> ImportJob:
    """Store the file in the workspace's folder and read its header: status "uploaded".

    A file that cannot be read leaves nothing behind (the stored copy is removed).
    """
    ensure_workspace_writable()
    _require_importer(acting_user)
    if entity not in ImportEntity.values:
        raise CrmValidationError({"entity": [_("Choose contacts or companies.")]})
    size = uploaded_file.size or 0
    if size == 0:
        raise CrmValidationError({"file": [_("The file is empty.")]})
    if size > MAX_UPLOAD_BYTES:
        raise CrmValidationError(
            {"file": [_("The file is larger than 50 MB: split it into parts.")]}
        )
    name = (uploaded_file.name or "import.csv").replace("/", "_").replace("\\", "_")[-200:]
    job = ImportJob(entity=entity, original_name=name, file_size=size, created_by=acting_user)
    job.file.save(name, uploaded_file, save=False)
    try:
        _read_into(job, encoding=encoding, delimiter=delimiter, header_row=header_row, sheet=sheet)
    except BaseException:
        job.file.delete(save=False)
        raise
    with transaction.atomic():
        job.save()
        _suggest_into(job)
    return job


def _suggest_into(job: ImportJob) -> None:
    """Start from the automatic column matching (helper R's suggest_mapping)."""
    try:
        from onboarding.importing.mapping import suggest_mapping
    except ImportError:  # the reading branch not merged yet
        return
    suggestions = suggest_mapping(list(job.headers), job.entity)
    allowed = _allowed_targets(job.entity)
    job.mapping = {str(s.column): s.target for s in suggestions if s.target and s.target in allowed}
    job.save(update_fields=["mapping", "updated_at"])


def discard_upload(acting_user: User, job: ImportJob) -> None:
    """Remove an upload that was refused before it was set up (the API maps and sets the
    options in the request that uploads: a refused mapping leaves no half-made import)."""
    _require_importer(acting_user)
    with transaction.atomic():
        job = _locked(job)
        _refuse_unless(job, ImportStatus.UPLOADED, ImportStatus.MAPPED)
        job.delete()
    job.file.delete(save=False)
    if job.errors_file:
        job.errors_file.delete(save=False)


@transaction.atomic
def reread_import(
    acting_user: User,
    job: ImportJob,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    sheet: str | None = None,
) -> ImportJob:
    """Read the file again with other settings (encoding, delimiter, header row, sheet)."""
    ensure_workspace_writable()
    _require_importer(acting_user)
    job = _locked(job)
    _refuse_unless(job, ImportStatus.UPLOADED, ImportStatus.MAPPED, ImportStatus.CHECKED)
    _read_into(job, encoding=encoding, delimiter=delimiter, header_row=header_row, sheet=sheet)
    job.status = ImportStatus.UPLOADED
    job.check_summary = {}
    job.save()
    _suggest_into(job)
    return job


def _allowed_targets(entity: str) -> set[str]:
    record_type = engine.record_type_of(entity)
    return {*engine.entity_targets(entity)} | {
        f"custom.{field.key}" for field in active_custom_fields(record_type)
    }


_NEW_FIELD_TYPES = {
    FieldType.TEXT,
    FieldType.LONG_TEXT,
    FieldType.INTEGER,
    FieldType.DECIMAL,
    FieldType.DATE,
    FieldType.BOOLEAN,
    FieldType.EMAIL,
    FieldType.PHONE,
    FieldType.URL,
}


@transaction.atomic
def set_import_mapping(
    acting_user: User,
    job: ImportJob,
    *,
    mapping: Mapping[int, str | None],
    new_fields: Sequence[dict[str, Any]] = (),
    save_as: str | None = None,
) -> ImportJob:
    """Match columns to fields: status "mapped".

    `mapping`: column index -> a target of engine.CONTACT_TARGETS / COMPANY_TARGETS,
    "custom.<key>", or None to ignore the column. `new_fields`: custom fields to create
    first, [{"column": 3, "label": "Размер обуви", "field_type": "integer"}]; the column
    is then mapped to it. `save_as`: keep the mapping under this name for next time.
    """
    ensure_workspace_writable()
    _require_importer(acting_user)
    job = _locked(job)
    _refuse_unless(job, ImportStatus.UPLOADED, ImportStatus.MAPPED, ImportStatus.CHECKED)
    columns = len(job.headers or [])
    cleaned: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    record_type = engine.record_type_of(job.entity)
    for spec in new_fields:
        from crm.actions.custom_fields import create_custom_field

        column = int(spec.get("column", -1))
        field_type = str(spec.get("field_type") or FieldType.TEXT)
        if not 0 <= column < columns:
            errors.setdefault("new_fields", []).append(_("Choose a column of the file."))
            continue
        if field_type not in _NEW_FIELD_TYPES:
            errors.setdefault("new_fields", []).append(_("Choose a field type."))
            continue
        label = str(spec.get("label") or job.headers[column]).strip()[:100]
        language = getattr(acting_user, "language", "") or "ru"
        created = create_custom_field(
            acting_user=acting_user,
            entity=record_type,
            field_type=field_type,
            labels={language: label},
        )
        cleaned[str(column)] = f"custom.{created.key}"
    allowed = _allowed_targets(job.entity)
    single = {
        target
        for target in allowed
        if target
        not in {
            "phone",
            "phone_mobile",
            "phone_work",
            "phone_home",
            "email",
            "tags",
            "note",
            "address",
            "telegram",
            "whatsapp",
            "viber",
        }
    }
    used: set[str] = set()
    for column, target in mapping.items():
        index = int(column)
        if str(index) in cleaned or not target:
            continue
        if not 0 <= index < columns:
            errors.setdefault("mapping", []).append(
                _("The file has no column %(number)d.") % {"number": index + 1}
            )
            continue
        if target not in allowed:
            errors.setdefault(f"mapping.{index}", []).append(_("Choose a field from the list."))
            continue
        if target in single and target in used:
            errors.setdefault(f"mapping.{index}", []).append(
                _("Another column is already matched to this field.")
            )
            continue
        used.add(target)
        cleaned[str(index)] = target
    if errors:
        raise CrmValidationError(errors)
    if not cleaned:
        raise CrmValidationError({"mapping": [_("Match at least one column to a field.")]})
    job.mapping = cleaned
    job.status = ImportStatus.MAPPED
    job.check_summary = {}
    job.save()
    if save_as:
        name = save_as.strip()[:120]
        columns_by_header = {
            str(job.headers[int(index)]).strip().casefold(): target
            for index, target in cleaned.items()
        }
        saved = SavedMapping.objects.filter(entity=job.entity, name__iexact=name).first()
        if saved is None:
            SavedMapping.objects.create(
                name=name, entity=job.entity, columns=columns_by_header, created_by=acting_user
            )
        else:
            saved.columns = columns_by_header
            saved.save(update_fields=["columns", "updated_at"])
    return job


def saved_mapping_for(job: ImportJob, saved: SavedMapping) -> dict[int, str]:
    """Column index -> target of `saved` for this file's headers (unknown headers left out)."""
    by_header = {str(k).strip().casefold(): v for k, v in (saved.columns or {}).items()}
    return {
        index: by_header[header.strip().casefold()]
        for index, header in enumerate(job.headers or [])
        if header.strip().casefold() in by_header
    }


def apply_saved_mapping(acting_user: User, job: ImportJob, saved: SavedMapping) -> ImportJob:
    """Match columns as a saved mapping says (by header name)."""
    if saved.entity != job.entity:
        raise CrmValidationError({"mapping": [_("This mapping is for another kind of record.")]})
    return set_import_mapping(acting_user, job, mapping=saved_mapping_for(job, saved))


@transaction.atomic
def check_import(acting_user: User, job: ImportJob) -> ImportJob:
    """Queue the check of every row: status "checking", then "checked" (the task)."""
    ensure_workspace_writable()
    _require_importer(acting_user)
    job = _locked(job)
    _refuse_unless(job, ImportStatus.MAPPED, ImportStatus.CHECKED)
    job.status = ImportStatus.CHECKING
    job.save(update_fields=["status", "updated_at"])
    from onboarding.importing.tasks import check_import_task

    job_id = job.pk
    transaction.on_commit(lambda: check_import_task.delay(job_id))
    return job


def run_check(job_id: int) -> ImportJob:
    """The check itself (the task's body): validate, count duplicates, keep the errors."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportStatus.CHECKING:
        return job
    from onboarding.importing.reading import ImportFileError

    try:
        engine.check_file(job)
    except ImportFileError as error:
        job.status = ImportStatus.FAILED
        job.failure = str(error.message)
        job.save()
        return job
    job.status = ImportStatus.CHECKED
    job.save()
    if (job.options or {}).get(START_WHEN_CHECKED):
        job = _start_after_check(job)
    return job


def _start_after_check(job: ImportJob) -> ImportJob:
    """Start the run as the member who asked for it; a refusal is kept for them to read."""
    from tenants.guards import WorkspaceReadOnlyError

    acting_user = job.created_by
    try:
        return start_import(acting_user, job) if acting_user else job
    except (CrmValidationError, PermissionDenied, WorkspaceReadOnlyError) as error:
        if isinstance(error, CrmValidationError):
            reasons = [m for messages in error.field_errors.values() for m in messages]
        else:
            reasons = [str(getattr(error, "message", "") or error)]
        job.refresh_from_db()
        job.options = {**(job.options or {}), START_WHEN_CHECKED: False, "not_started": reasons}
        job.save(update_fields=["options", "updated_at"])
        return job


@transaction.atomic
def set_import_options(
    acting_user: User,
    job: ImportJob,
    *,
    on_duplicate: str,
    only_valid: bool,
    responsible_id: int | None = None,
    overrides: Mapping[int, str] | None = None,
    start_when_checked: bool = False,
) -> ImportJob:
    """How duplicates are handled (update / skip / create, with per-row overrides by row
    number), whether only the valid rows go in, and the responsible manager for rows
    without one. `start_when_checked`: the check task starts the run when it is done (the
    API's one-request import; a refusal then is kept in options["not_started"])."""
    ensure_workspace_writable()
    _require_importer(acting_user)
    job = _locked(job)
    _refuse_unless(job, ImportStatus.MAPPED, ImportStatus.CHECKED)
    errors: dict[str, list[str]] = {}
    if on_duplicate not in OnDuplicate.values:
        errors["on_duplicate"] = [_("Choose update, skip or create.")]
    cleaned_overrides = {}
    for row_number, choice in (overrides or {}).items():
        if choice not in OnDuplicate.values:
            errors["overrides"] = [_("Choose update, skip or create.")]
            break
        cleaned_overrides[str(int(row_number))] = choice
    if (
        responsible_id is not None
        and not User.objects.filter(pk=responsible_id, is_active=True).exists()
    ):
        errors["responsible_id"] = [_("Choose an active member of the workspace.")]
    if errors:
        raise CrmValidationError(errors)
    job.options = {
        **(job.options or {}),
        "on_duplicate": on_duplicate,
        "only_valid": bool(only_valid),
        "responsible_id": responsible_id,
        "overrides": cleaned_overrides,
        START_WHEN_CHECKED: bool(start_when_checked),
        "not_started": [],
    }
    job.save(update_fields=["options", "updated_at"])
    return job


@transaction.atomic
def start_import(acting_user: User, job: ImportJob) -> ImportJob:
    """Queue the run: status "queued" (the task imports it, chunk by chunk)."""
    ensure_workspace_writable()
    _require_importer(acting_user)
    job = _locked(job)
    _refuse_unless(job, ImportStatus.CHECKED)
    summary = job.check_summary or {}
    only_valid = (job.options or {}).get("only_valid", True)
    if summary.get("invalid") and not only_valid:
        raise CrmValidationError(
            {
                "__all__": [
                    _("Some rows have errors: fix them first, or import only the valid rows.")
                ]
            }
        )
    if not summary.get("valid"):
        raise CrmValidationError({"__all__": [_("No row of the file can be imported.")]})
    job.status = ImportStatus.QUEUED
    job.created_by = job.created_by or acting_user
    job.save(update_fields=["status", "created_by", "updated_at"])
    queue_run(job)
    return job


def queue_run(job: ImportJob) -> None:
    from onboarding.importing.tasks import run_import_task

    job_id = job.pk
    transaction.on_commit(lambda: run_import_task.delay(job_id))


@transaction.atomic
def cancel_import(acting_user: User, job: ImportJob) -> ImportJob:
    """Stop the import after the chunk being written; what is in stays (and can be undone)."""
    _require_importer(acting_user)
    job = _locked(job)
    now = timezone.now()
    if job.status == ImportStatus.RUNNING:
        job.cancel_requested = True
        job.save(update_fields=["cancel_requested", "updated_at"])
    elif job.status == ImportStatus.QUEUED:
        job.cancel_requested = True
        job.status = ImportStatus.CANCELLED
        job.finished_at = now
        job.undo_until = now + dt.timedelta(days=engine.UNDO_DAYS)
        job.save()
    elif job.status in (
        ImportStatus.UPLOADED,
        ImportStatus.MAPPED,
        ImportStatus.CHECKED,
        ImportStatus.CHECKING,
    ):
        job.status = ImportStatus.CANCELLED
        job.finished_at = now
        job.save()
    else:
        _refuse_unless(job, ImportStatus.RUNNING)
    return job


@transaction.atomic
def undo_import(acting_user: User, job: ImportJob) -> ImportJob:
    """Take the whole import back within 30 days: created records removed, updated ones
    restored; recorded in each record's history and in the audit log."""
    ensure_workspace_writable()
    _require_importer(acting_user)
    job = _locked(job)
    if job.status not in (ImportStatus.DONE, ImportStatus.CANCELLED, ImportStatus.FAILED):
        _refuse_unless(job, ImportStatus.DONE)
    if job.undo_until is not None and job.undo_until < timezone.now():
        raise CrmValidationError(
            {"__all__": [_("Imports can be undone for 30 days; this one is older.")]},
            code=ErrorCode.CONFLICT,
        )
    totals = engine.undo_job(job, acting_user)
    job.status = ImportStatus.UNDONE
    job.undone_at = timezone.now()
    job.undone_by = acting_user
    job.save()
    AuditEntry.objects.create(
        actor=acting_user,
        action=AuditEntry.Action.SETTINGS_CHANGED,
        target=f"import:{job.pk}",
        changes={"import_undone": [job.original_name, totals]},
    )
    return job


@transaction.atomic
def delete_expired_import_files() -> int:
    """Delete uploaded files (and error files) of imports past their undo period."""
    now = timezone.now()
    count = 0
    expired = (
        ImportJob.objects.select_for_update(skip_locked=True)
        .filter(file_deleted_at__isnull=True)
        .exclude(file="")
    )
    for job in expired.filter(undo_until__lt=now) | expired.filter(
        undo_until__isnull=True, created_at__lt=now - dt.timedelta(days=engine.UNDO_DAYS)
    ):
        engine.ConvertedRows(job).discard()
        job.file.delete(save=False)
        if job.errors_file:
            job.errors_file.delete(save=False)
        job.file_deleted_at = now
        job.save(update_fields=["file", "errors_file", "file_deleted_at", "updated_at"])
        count += 1
    return count
