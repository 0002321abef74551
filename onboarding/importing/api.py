"""/api/imports: import a CSV/XLSX/XLS file of contacts or companies through the REST API.

The wizard's steps in one request: upload (the same limits and refusals), match columns
("auto", a saved mapping, or an explicit {column: field} object), choose what happens to
duplicates, check every row in the background, and, unless `check_only`, start the run
the check task queues when it is done. Then poll GET /api/imports/{id}. Every step calls
onboarding.importing.actions (the wizard's and the import_file command's functions), so
permissions (owners and admins), the read-only guard, the engine and undo are the same.
"""

import datetime as dt
import json
from typing import Any, Literal
from uuid import UUID

from django.db import transaction
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field as SchemaField
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile

from crm.api.common import ERRORS, ErrorOut, acting_user, decode_cursor, encode_cursor
from crm.errors import CrmNotFoundError, CrmValidationError
from onboarding.importing import actions, selectors
from onboarding.importing.mapping import import_targets
from onboarding.importing.models import ImportJob, ImportStatus, SavedMapping
from onboarding.importing.reading import DELIMITER_CHOICES, ENCODING_CHOICES, ImportFileError
from onboarding.importing.reading.limits import max_bytes, max_rows
from tenants.files import attachment_response
from tenants.members.models import User

router = Router(tags=["Imports"])

# How many of the check's errors an import's answer carries (the failing rows file has all).
ERRORS_IN_ANSWER = 20
DEFAULT_LIMIT = 20
MAX_LIMIT = 50
# The delimiter's names a form field can carry (a tab is awkward to send).
DELIMITER_NAMES = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}


class ImportErrorRowOut(Schema):
    row: int = SchemaField(description="The row's number in the file (1 = the first line).")
    column: str = SchemaField(description="The column's header.")
    message: str


class ImportCheckOut(Schema):
    """What the check found; `errors` are the first ones (the failing rows file has all)."""

    rows: int
    valid: int
    invalid: int
    errors: list[ImportErrorRowOut]
    failing_rows_url: str | None = SchemaField(
        description="GET it for a CSV of the failing rows with a column saying why."
    )


class ImportDuplicatesOut(Schema):
    """Rows matching existing records (by e-mail, phone, tax number, external id) or an
    earlier row of the file, and what the chosen `on_duplicate` will do with them."""

    existing: int
    in_file: int
    by: dict[str, int]
    on_duplicate: str
    new: int
    will_update: int
    will_skip: int
    will_create: int


class ImportProgressOut(Schema):
    rows_done: int
    total: int
    percent: int
    seconds_left: int | None


class ImportCountsOut(Schema):
    created: int
    updated: int
    skipped: int
    failed: int


class ImportColumnOut(Schema):
    index: int = SchemaField(description="0-based position of the column in the file.")
    header: str
    target: str | None = SchemaField(description="The field it goes into; null: ignored.")


class ImportOut(Schema):
    id: UUID
    entity: str
    status: Literal[
        "uploaded",
        "mapped",
        "checking",
        "checked",
        "queued",
        "running",
        "cancelled",
        "done",
        "failed",
        "undoing",
        "undone",
    ]
    status_label: str
    file_name: str
    file_size: int
    file_format: str
    encoding: str
    delimiter: str
    columns: list[ImportColumnOut]
    on_duplicate: str | None
    only_valid: bool
    start_when_checked: bool = SchemaField(
        description="The run starts by itself when the check is done (not check_only)."
    )
    not_started: list[str] = SchemaField(
        description="Why the run did not start after the check (e.g. no valid row)."
    )
    progress: ImportProgressOut
    counts: ImportCountsOut
    check: ImportCheckOut | None = SchemaField(description="Null until the rows are checked.")
    duplicates: ImportDuplicatesOut | None
    failure: str
    cancel_requested: bool
    can_undo: bool
    undo_until: dt.datetime | None
    created_by_id: int | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    undone_at: dt.datetime | None


class ImportPage(Schema):
    items: list[ImportOut]
    next_cursor: str | None


class ImportBadFileOut(ErrorOut):
    reason: str = SchemaField(
        description="Why the file cannot be read: empty, too_big, zip_bomb, encoding, ..."
    )


class ImportTargetOut(Schema):
    key: str = SchemaField(description='What to put in a mapping: "surname", "custom.<key>".')
    label: str
    kind: str
    multiple: bool = SchemaField(description="Several columns may go into it.")


class ImportQuery(Schema):
    limit: int = SchemaField(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = SchemaField(None, max_length=100)


class ImportTargetQuery(Schema):
    entity: Literal["contacts", "companies"]


def _require_importer(user: User) -> None:
    """The wizard's rule before anything is read: owners and admins import."""
    from django.core.exceptions import PermissionDenied

    if not (user.is_active and user.is_workspace_admin):
        raise PermissionDenied(_("Only owners and admins can import."))


def _job(request: HttpRequest, import_id: UUID) -> ImportJob:
    user = acting_user(request)
    _require_importer(user)
    return selectors.import_job_for(user, import_id)


def import_out(request: HttpRequest, job: ImportJob, *, fresh: bool = True) -> dict[str, Any]:
    """An import as the API shows it; `fresh` reads the job again (a poll sees each chunk,
    an answer after an action its committed state), lists show the rows as they read them."""
    if fresh:
        job.refresh_from_db()
    progress = selectors.import_progress(job, reread=False)
    options = job.options or {}
    headers = [str(header) for header in job.headers or []]
    mapping = job.mapping or {}
    checked = job.status not in (
        ImportStatus.UPLOADED,
        ImportStatus.MAPPED,
        ImportStatus.CHECKING,
    ) and bool(job.check_summary)
    summary = job.check_summary or {}
    check = None
    duplicates = None
    if checked:
        check = {
            "rows": int(summary.get("rows", 0)),
            "valid": int(summary.get("valid", 0)),
            "invalid": int(summary.get("invalid", 0)),
            "errors": [
                {"row": error.row_number, "column": error.column, "message": error.message}
                for error in selectors.check_errors(job, limit=ERRORS_IN_ANSWER)
            ],
            "failing_rows_url": (
                f"/api/imports/{job.uuid}/failing-rows" if selectors.failing_rows_csv(job) else None
            ),
        }
        duplicates = selectors.duplicate_summary(job)
    return {
        "id": job.uuid,
        "entity": job.entity,
        "status": job.status,
        "status_label": job.get_status_display(),
        "file_name": job.original_name,
        "file_size": job.file_size,
        "file_format": job.file_format,
        "encoding": job.encoding,
        "delimiter": job.delimiter,
        "columns": [
            {"index": index, "header": header, "target": mapping.get(str(index))}
            for index, header in enumerate(headers)
        ],
        "on_duplicate": options.get("on_duplicate"),
        "only_valid": bool(options.get("only_valid", True)),
        "start_when_checked": bool(options.get(actions.START_WHEN_CHECKED)),
        "not_started": [str(reason) for reason in options.get("not_started") or []],
        "progress": {
            "rows_done": progress["rows_done"],
            "total": progress["total"],
            "percent": progress["percent"],
            "seconds_left": progress["seconds_left"],
        },
        "counts": {
            "created": job.created_count,
            "updated": job.updated_count,
            "skipped": job.skipped_count,
            "failed": job.failed_count,
        },
        "check": check,
        "duplicates": duplicates,
        "failure": job.failure,
        "cancel_requested": job.cancel_requested,
        "can_undo": progress["can_undo"],
        "undo_until": job.undo_until,
        "created_by_id": job.created_by_id,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "undone_at": job.undone_at,
    }


def _bad_file(message: str, reason: str) -> Status[dict[str, Any]]:
    return Status(
        400,
        {
            "code": "bad_file",
            "message": message,
            "fields": {"file": [message]},
            "reason": reason,
        },
    )


def _read_settings(encoding: str | None, delimiter: str | None) -> tuple[str | None, str | None]:
    """The reading overrides, checked against what the wizard offers."""
    errors: dict[str, list[str]] = {}
    encodings = [value for value, _label in ENCODING_CHOICES]
    if encoding:
        encoding = encoding.strip().lower()
        if encoding not in encodings:
            errors["encoding"] = [
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(encodings)}
            ]
    if delimiter:
        delimiter = DELIMITER_NAMES.get(delimiter.strip().lower(), delimiter)
        if delimiter not in [value for value, _label in DELIMITER_CHOICES]:
            errors["delimiter"] = [
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(DELIMITER_NAMES)}
            ]
    if errors:
        raise CrmValidationError(errors)
    return encoding or None, delimiter or None


def _explicit_mapping(job: ImportJob, text: str) -> dict[int, str | None]:
    """{column: field} where a column is a header of the file or its 0-based index."""
    try:
        given = json.loads(text)
    except ValueError:
        given = None
    if not isinstance(given, dict):
        raise CrmValidationError({"mapping": [_mapping_help()]})
    headers = [str(header).strip().casefold() for header in job.headers or []]
    mapping: dict[int, str | None] = {}
    errors: dict[str, list[str]] = {}
    for column, target in given.items():
        name = str(column).strip().casefold()
        if name in headers:
            index = headers.index(name)
        elif name.isdigit() and int(name) < len(headers):
            index = int(name)
        else:
            errors.setdefault(f"mapping.{column}", []).append(
                _("The file has no column “%(name)s”.") % {"name": column}
            )
            continue
        if target is not None and not isinstance(target, str):
            errors.setdefault(f"mapping.{column}", []).append(_("Choose a field from the list."))
            continue
        mapping[index] = target or None
    if errors:
        raise CrmValidationError(errors)
    return mapping


def _mapping_help() -> str:
    return _('Send "auto", the name of a saved mapping, or a JSON object {"column": "field"}.')


def _map(user: User, job: ImportJob, mapping: str, save_as: str | None) -> ImportJob:
    text = (mapping or "auto").strip()
    if text == "auto":
        suggested = {int(index): target for index, target in (job.mapping or {}).items()}
        return actions.set_import_mapping(user, job, mapping=suggested, save_as=save_as)
    if text.startswith("{"):
        return actions.set_import_mapping(
            user, job, mapping=_explicit_mapping(job, text), save_as=save_as
        )
    saved = SavedMapping.objects.filter(entity=job.entity, name__iexact=text).first()
    if saved is None:
        raise CrmValidationError(
            {"mapping": [_("No saved mapping with this name."), _mapping_help()]}
        )
    return actions.set_import_mapping(
        user, job, mapping=actions.saved_mapping_for(job, saved), save_as=save_as
    )


@router.post(
    "/imports",
    response={**ERRORS, 201: ImportOut, 400: ImportBadFileOut},
    url_name="api_import_create",
    summary="Import a file of contacts or companies (multipart/form-data)",
    description="Fields: `file` (CSV, TSV, XLSX, XLS or a Bitrix24 HTML .xls; at most "
    '50 MB and 1,000,000 rows), `entity` (contacts | companies), `mapping` ("auto", a '
    'saved mapping\'s name, or a JSON object {"column header or 0-based index": "field" or '
    "null}; fields: GET /api/imports/fields), `on_duplicate` (update | skip | create), "
    "`only_valid` (import the valid rows when some fail; default true), `check_only` "
    "(check and stop: start it with POST /api/imports/{id}/run), `encoding` and "
    "`delimiter` (comma | semicolon | tab | pipe) to override the detection, "
    "`save_mapping_as`. The check and the run happen in the background: poll GET "
    "/api/imports/{id}. An unreadable file is a 400 with `reason`, and nothing is kept. "
    "Owners' and admins' keys with write access only.",
)
def api_import_create(
    request: HttpRequest,
    file: File[UploadedFile],
    entity: Form[Literal["contacts", "companies"]],
    mapping: Form[str] = "auto",
    on_duplicate: Form[Literal["update", "skip", "create"]] = "update",
    only_valid: Form[bool] = True,
    check_only: Form[bool] = False,
    encoding: Form[str | None] = None,
    delimiter: Form[str | None] = None,
    save_mapping_as: Form[str | None] = None,
) -> Status[dict[str, Any]]:
    user = acting_user(request)
    _require_importer(user)
    encoding, delimiter = _read_settings(encoding, delimiter)
    if (file.size or 0) > max_bytes():
        return _bad_file(
            _("The file is larger than %(limit)s MB: split it into smaller files.")
            % {"limit": max_bytes() // (1024 * 1024)},
            "too_big",
        )
    try:
        job = actions.upload_import(
            user, entity=entity, uploaded_file=file, encoding=encoding, delimiter=delimiter
        )
    except ImportFileError as error:
        return _bad_file(str(error.message), error.code)
    except (UnicodeError, LookupError):
        return _bad_file(
            _("The file cannot be read in this encoding: choose another one."), "encoding"
        )
    try:
        with transaction.atomic():
            job = _map(user, job, mapping, (save_mapping_as or "").strip() or None)
            job = actions.set_import_options(
                user,
                job,
                on_duplicate=on_duplicate,
                only_valid=only_valid,
                start_when_checked=not check_only,
            )
            job = actions.check_import(user, job)
    except Exception:
        # Refused after the upload (mapping, options): the caller gets the reason and the
        # upload is not kept half set up.
        actions.discard_upload(user, job)
        raise
    return Status(201, import_out(request, job))


@router.get(
    "/imports",
    response={200: ImportPage, **ERRORS},
    url_name="api_import_list",
    summary="List imports, newest first",
    description="Owners' and admins' keys. Pass a page's `next_cursor` as `cursor`.",
)
def api_import_list(request: HttpRequest, filters: Query[ImportQuery]) -> dict[str, Any]:
    user = acting_user(request)
    _require_importer(user)
    before = decode_cursor(filters.cursor)
    jobs = selectors.import_jobs_for(user)
    if before is not None:
        jobs = jobs.filter(pk__lt=before)
    page = list(jobs.order_by("-id")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {
        "items": [import_out(request, job, fresh=False) for job in page],
        "next_cursor": encode_cursor(page[-1].pk) if more and page else None,
    }


@router.get(
    "/imports/fields",
    response={200: list[ImportTargetOut], **ERRORS},
    url_name="api_import_fields",
    summary="The fields a column can be imported into (for an explicit mapping)",
    description=f"Limits: at most {max_bytes() // (1024 * 1024)} MB and {max_rows():,} rows "
    "per file.",
)
def api_import_fields(
    request: HttpRequest, filters: Query[ImportTargetQuery]
) -> list[dict[str, Any]]:
    _require_importer(acting_user(request))
    return [
        {
            "key": target.key,
            "label": str(target.label),
            "kind": target.kind,
            "multiple": target.multiple,
        }
        for target in import_targets(filters.entity)
    ]


@router.get(
    "/imports/{import_id}",
    response={200: ImportOut, **ERRORS},
    url_name="api_import_detail",
    summary="An import: status, progress, counts, the check's first errors, duplicates",
)
def api_import_detail(request: HttpRequest, import_id: UUID) -> dict[str, Any]:
    return import_out(request, _job(request, import_id))


@router.post(
    "/imports/{import_id}/run",
    response={200: ImportOut, **ERRORS},
    url_name="api_import_run",
    summary="Start a checked import (after check_only)",
    description="The import must be checked (status `checked`); with failing rows it "
    "starts only when `only_valid` was true. Runs in the background: poll the import.",
)
def api_import_run(request: HttpRequest, import_id: UUID) -> dict[str, Any]:
    job = _job(request, import_id)
    job = actions.start_import(acting_user(request), job)
    return import_out(request, job)


@router.post(
    "/imports/{import_id}/cancel",
    response={200: ImportOut, **ERRORS},
    url_name="api_import_cancel",
    summary="Cancel an import",
    description="A running import stops after the chunk being written; what is in stays "
    "and can be undone.",
)
def api_import_cancel(request: HttpRequest, import_id: UUID) -> dict[str, Any]:
    job = _job(request, import_id)
    job = actions.cancel_import(acting_user(request), job)
    return import_out(request, job)


@router.post(
    "/imports/{import_id}/undo",
    response={200: ImportOut, **ERRORS},
    url_name="api_import_undo",
    summary="Undo an import (within 30 days)",
    description="Removes what it created and gives what it updated its previous values "
    "back, recorded in the records' history and the audit log.",
)
def api_import_undo(request: HttpRequest, import_id: UUID) -> dict[str, Any]:
    job = _job(request, import_id)
    job = actions.undo_import(acting_user(request), job)
    return import_out(request, job)


@router.get(
    "/imports/{import_id}/failing-rows",
    response={200: None, **ERRORS},
    url_name="api_import_failing_rows",
    summary="Download the failing rows (CSV with a column saying why)",
)
def api_import_failing_rows(request: HttpRequest, import_id: UUID) -> FileResponse:
    job = _job(request, import_id)
    stored = selectors.failing_rows_csv(job)
    if job.status in (ImportStatus.UPLOADED, ImportStatus.MAPPED, ImportStatus.CHECKING):
        stored = None
    if not stored:
        raise CrmNotFoundError()
    stem = job.original_name.rsplit(".", 1)[0] or "import"
    try:
        handle = stored.open("rb")
    except FileNotFoundError as error:
        raise CrmNotFoundError() from error
    return attachment_response(handle, filename=_("%(name)s - failing rows.csv") % {"name": stem})
