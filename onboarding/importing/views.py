"""The import wizard's pages: upload, reading, columns, check, duplicates, run, history, undo.

Each page is request in, the engine's action or selector, response out
(onboarding.importing.actions / .selectors). A job is looked up through
`import_job_for`, so another workspace's job (or a job the reader may not see) is a 404.
A page reached for a job in another state sends the person to the step the job is at
(`job`), so the back button and old links never show a stale step.

Owners and admins import: an import writes and can undo hundreds of records at once,
like an export reads them all (admin-only too).
"""

from dataclasses import asdict
from typing import Any, cast
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from crm.errors import CrmNotFoundError, CrmValidationError
from onboarding.importing import actions, selectors
from onboarding.importing.forms import (
    WHAT_CHOICES,
    WHAT_HINTS,
    ContinueAfterCheckForm,
    DuplicatesForm,
    MappingForm,
    ReadSettingsForm,
    SavedMappingChoiceForm,
    StartForm,
)
from onboarding.importing.mapping import import_targets, suggest_mapping
from onboarding.importing.models import ImportedRecord, ImportEntity, ImportJob, ImportStatus
from onboarding.importing.reading import ImportFileError, TableInfo
from onboarding.importing.reading.limits import max_bytes, max_rows
from onboarding.importing.review import duplicate_matches
from tenants.guards import WorkspaceReadOnlyError, workspace_is_writable
from tenants.members.models import User
from tenants.members.permissions import workspace_admin_required
from tenants.members.selectors import members_for_list

# The wizard's steps as the stepper shows them: (url name, label, statuses at this step).
SETUP_STATUSES = {
    ImportStatus.UPLOADED,
    ImportStatus.MAPPED,
    ImportStatus.CHECKING,
    ImportStatus.CHECKED,
}
# A page polls its job while it is in one of these.
ACTIVE_STATUSES = {
    ImportStatus.CHECKING,
    ImportStatus.QUEUED,
    ImportStatus.RUNNING,
    ImportStatus.UNDOING,
}
STEPS = (
    ("start", gettext_lazy("Upload")),
    ("read_settings", gettext_lazy("Reading")),
    ("mapping", gettext_lazy("Columns")),
    ("check", gettext_lazy("Check")),
    ("duplicates", gettext_lazy("Duplicates")),
    ("run", gettext_lazy("Import")),
)
# How sure the column matcher is, as a badge: (lowest confidence, label, tone).
CONFIDENCE_LEVELS = (
    (0.85, pgettext_lazy("how sure a column match is", "High"), "ok"),
    (0.6, pgettext_lazy("how sure a column match is", "Medium"), "warn"),
    (0.0, pgettext_lazy("how sure a column match is", "Low"), "danger"),
)
SAMPLES_PER_COLUMN = 3
TOP_ROWS_SHOWN = 12
ERRORS_SHOWN = 200


def _member(request: HttpRequest) -> User:
    return cast(User, request.user)


def _job_or_404(request: HttpRequest, job_uuid: UUID) -> ImportJob:
    try:
        return selectors.import_job_for(_member(request), job_uuid)
    except CrmNotFoundError:
        raise Http404 from None


def _messages_of(error: Exception) -> list[str]:
    """The user-facing messages of an error an action raised."""
    if isinstance(error, CrmValidationError):
        return [message for messages_ in error.field_errors.values() for message in messages_]
    if isinstance(error, ImportFileError | WorkspaceReadOnlyError):
        return [str(error.message)]
    if isinstance(error, UnicodeError | LookupError):
        return [_("The file cannot be read in this encoding: choose another one.")]
    return [str(error)]


# What an action may refuse with. A decoder's own error is a bad encoding choice (the
# reader should turn it into an ImportFileError; this keeps a slip there from being a 500).
ACTION_ERRORS = (
    CrmValidationError,
    ImportFileError,
    WorkspaceReadOnlyError,
    UnicodeError,
    LookupError,
)


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _step_url(job: ImportJob) -> str:
    """Where the wizard continues for a job in its present state."""
    status = job.status
    if status == ImportStatus.UPLOADED:
        name = "read_settings"
    elif status in {ImportStatus.MAPPED, ImportStatus.CHECKING}:
        name = "check"
    elif status == ImportStatus.CHECKED:
        name = "duplicates" if job.options.get("only_valid") else "check"
    else:
        name = "run"
    return reverse(f"importing:{name}", args=[job.uuid])


def _stepper(job: ImportJob | None, current: str) -> list[dict[str, Any]]:
    """The steps with which one is current and which can be gone back to."""
    editable = job is None or job.status in SETUP_STATUSES
    reached = True
    steps = []
    for number, (name, label) in enumerate(STEPS, start=1):
        is_current = name == current
        link = ""
        if not is_current and reached and job is not None and editable and name != "run":
            link = (
                reverse("importing:start")
                if name == "start"
                else reverse(f"importing:{name}", args=[job.uuid])
            )
        steps.append(
            {"number": number, "label": label, "current": is_current, "url": link, "done": reached}
        )
        if is_current:
            reached = False
    for step in steps:
        step["done"] = step["done"] and not step["current"]
    return steps


def _context(job: ImportJob | None, step: str, **extra: Any) -> dict[str, Any]:
    return {
        "job": job,
        "steps": _stepper(job, step),
        "step": step,
        "entity_label": ImportEntity(job.entity).label if job else "",
        **extra,
    }


def _read(job: ImportJob) -> TableInfo:
    """The job's file as it is read now (its settings), for the preview and samples."""
    return cast(TableInfo, selectors.import_preview(job))


def _not_in_setup(job: ImportJob) -> HttpResponse | None:
    """Once a job is queued, its set-up pages send people to the run page."""
    if job.status not in SETUP_STATUSES:
        return redirect("importing:run", job.uuid)
    return None


# ----------------------------------------------------------------- 1. start / upload


def _limits() -> dict[str, Any]:
    return {
        "max_megabytes": max_bytes() // (1024 * 1024),
        "max_rows": max_rows(),
        "max_bytes": max_bytes(),
    }


@workspace_admin_required
def start(request: HttpRequest) -> HttpResponse:
    """Step 1: what to import and the file, with the limits shown before the upload."""
    initial_what = request.GET.get("what", "")
    form = StartForm(
        request.POST or None,
        request.FILES or None,
        initial={"what": initial_what} if initial_what in dict(WHAT_CHOICES) else None,
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > max_bytes():
            form.add_error(
                "file",
                _("The file is larger than %(limit)s MB: split it into smaller files.")
                % {"limit": _limits()["max_megabytes"]},
            )
        else:
            try:
                job = actions.upload_import(
                    _member(request), entity=form.entity, uploaded_file=upload
                )
            except ACTION_ERRORS as error:
                for message in _messages_of(error):
                    form.add_error("file", message)
            else:
                return _redirect(request, reverse("importing:read_settings", args=[job.uuid]))
    recent = list(selectors.import_jobs_for(_member(request))[:3])
    return render(
        request,
        "importing/start.html",
        _context(
            None,
            "start",
            form=form,
            what_hints=WHAT_HINTS,
            limits=_limits(),
            recent=recent,
            read_only=not workspace_is_writable(request.tenant),  # type: ignore[attr-defined]
        ),
    )


@workspace_admin_required
def job(request: HttpRequest, job_uuid: UUID) -> HttpResponse:
    """An import's own address: the step it is at."""
    return redirect(_step_url(_job_or_404(request, job_uuid)))


# ----------------------------------------------------------------- 2. reading + preview


@workspace_admin_required
def read_settings(request: HttpRequest, job_uuid: UUID) -> HttpResponse:
    """Step 2: encoding, separator, header row and sheet as detected, changeable; a preview."""
    job = _job_or_404(request, job_uuid)
    if (elsewhere := _not_in_setup(job)) is not None:
        return elsewhere
    info: TableInfo | None = None
    read_error = ""
    try:
        info = _read(job)
    except (ImportFileError, UnicodeError, LookupError) as error:
        read_error = _messages_of(error)[0]
    form_kwargs: dict[str, Any] = {
        "file_format": job.file_format or (info.file_format if info else "csv"),
        "detected_encoding": job.encoding,
        "sheets": list(info.sheets) if info and info.sheets else [],
    }
    initial = {
        "encoding": job.encoding,
        "delimiter": job.delimiter,
        "header_row": job.header_row + 1,
        "sheet": job.sheet,
    }
    form = ReadSettingsForm(request.POST or None, initial=initial, **form_kwargs)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        wanted = {
            "encoding": data.get("encoding") or None,
            "delimiter": data.get("delimiter") or None,
            "header_row": data["header_row"] - 1,
            "sheet": data.get("sheet") or None,
        }
        now = {
            "encoding": job.encoding or None,
            "delimiter": job.delimiter or None,
            "header_row": job.header_row,
            "sheet": job.sheet or None,
        }
        changed = any(value is not None and value != now[key] for key, value in wanted.items())
        changes = {key: value for key, value in wanted.items() if value is not None}
        try:
            if changed:
                job = actions.reread_import(_member(request), job, **changes)
        except ACTION_ERRORS as error:
            for message in _messages_of(error):
                form.add_error(None, message)
        else:
            if request.POST.get("next"):
                return redirect("importing:mapping", job.uuid)
            messages.success(request, _("The file was read again with these settings."))
            return redirect("importing:read_settings", job.uuid)
    confidence = getattr(info, "encoding_confidence", None) if info else None
    return render(
        request,
        "importing/read_settings.html",
        _context(
            job,
            "read_settings",
            form=form,
            info=info,
            read_error=read_error,
            confidence_percent=round(confidence * 100) if confidence is not None else None,
            first_data_row=job.header_row + 2,
            top_rows=[
                {"number": index + 1, "cells": cells, "is_header": index == job.header_row}
                for index, cells in enumerate(info.raw_top_rows[:TOP_ROWS_SHOWN] if info else [])
            ],
        ),
    )


# ----------------------------------------------------------------- 3. mapping


def _confidence_badge(confidence: float) -> tuple[str, str]:
    for lowest, label, tone in CONFIDENCE_LEVELS:
        if confidence >= lowest:
            return str(label), tone
    return str(CONFIDENCE_LEVELS[-1][1]), CONFIDENCE_LEVELS[-1][2]


def _samples(info: TableInfo | None, columns: int) -> list[list[str]]:
    """Up to three non-empty values per column, from the preview rows."""
    samples: list[list[str]] = [[] for _column in range(columns)]
    for row in info.preview if info else []:
        for index, cell in enumerate(row[:columns]):
            value = (cell or "").strip()
            if value and len(samples[index]) < SAMPLES_PER_COLUMN and value not in samples[index]:
                samples[index].append(value)
    return samples


def _current_mapping(job: ImportJob) -> dict[int, str | None]:
    return {int(column): target for column, target in (job.mapping or {}).items()}


@workspace_admin_required
def mapping(request: HttpRequest, job_uuid: UUID) -> HttpResponse:
    """Step 3: each column, its samples, the suggested field with its confidence."""
    job = _job_or_404(request, job_uuid)
    if (elsewhere := _not_in_setup(job)) is not None:
        return elsewhere
    headers = list(job.headers or [])
    available = import_targets(job.entity)
    form = MappingForm(
        request.POST or None,
        headers=headers,
        targets=[(target.key, str(target.label)) for target in available],
        current=_current_mapping(job),
        multiple={target.key for target in available if target.multiple},
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = actions.set_import_mapping(
                _member(request),
                job,
                mapping=form.mapping(),
                new_fields=form.new_fields(),
                save_as=form.cleaned_data["save_as"].strip() or None,
            )
            job = actions.check_import(_member(request), job)
        except ACTION_ERRORS as error:
            for message in _messages_of(error):
                form.add_error(None, message)
        else:
            if form.cleaned_data["save_as"].strip():
                messages.success(
                    request,
                    _("Mapping “%(name)s” saved.") % {"name": form.cleaned_data["save_as"].strip()},
                )
            return redirect("importing:check", job.uuid)
    try:
        info: TableInfo | None = _read(job)
    except (ImportFileError, UnicodeError, LookupError):
        info = None
    samples = _samples(info, len(headers))
    suggestions = {item.column: item for item in suggest_mapping(headers, job.entity)}
    rows = form.rows()
    for row in rows:
        row["samples"] = samples[row["index"]]
        suggestion = suggestions.get(row["index"])
        row["suggested"] = suggestion.target if suggestion else None
        row["reason"] = suggestion.reason if suggestion else ""
        if suggestion and suggestion.target:
            row["confidence_label"], row["confidence_tone"] = _confidence_badge(
                suggestion.confidence
            )
    return render(
        request,
        "importing/mapping.html",
        _context(
            job,
            "mapping",
            form=form,
            rows=rows,
            saved_form=SavedMappingChoiceForm(entity=job.entity),
        ),
    )


@workspace_admin_required
@require_POST
def use_saved_mapping(request: HttpRequest, job_uuid: UUID) -> HttpResponse:
    job = _job_or_404(request, job_uuid)
    if (elsewhere := _not_in_setup(job)) is not None:
        return elsewhere
    form = SavedMappingChoiceForm(request.POST, entity=job.entity)
    if not form.is_valid():
        messages.error(request, _("Choose a saved mapping."))
    else:
        try:
            actions.apply_saved_mapping(_member(request), job, form.cleaned_data["saved"])
        except ACTION_ERRORS as error:
            for message in _messages_of(error):
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("Mapping “%(name)s” applied: check the columns, then continue.")
                % {"name": form.cleaned_data["saved"].name},
            )
    return redirect("importing:mapping", job.uuid)


# ----------------------------------------------------------------- 4. check


def _check_counts(job: ImportJob) -> dict[str, int]:
    summary = job.check_summary or {}
    valid = int(summary.get("valid", 0) or 0)
    failing = int(summary.get("invalid", 0) or 0)
    return {"valid": valid, "failing": failing, "total": valid + failing}


@workspace_admin_required
def check(request: HttpRequest, job_uuid: UUID) -> HttpResponse:
    """Step 4: valid and failing rows, the errors per row and field, and the choice."""
    job = _job_or_404(request, job_uuid)
    if (elsewhere := _not_in_setup(job)) is not None:
        return elsewhere
    if job.status == ImportStatus.UPLOADED:
        return redirect("importing:mapping", job.uuid)
    counts = _check_counts(job)
    continue_form = ContinueAfterCheckForm(
        request.POST if request.POST.get("continue") else None, failing_rows=counts["failing"]
    )
    if request.method == "POST":
        try:
            if request.POST.get("recheck"):
                actions.check_import(_member(request), job)
                return redirect("importing:check", job.uuid)
            if request.POST.get("continue") and job.status == ImportStatus.CHECKED:
                if not continue_form.is_valid():
                    raise _StayOnPage
                if counts["valid"] == 0:
                    messages.error(request, _("No row can be imported: fix the file first."))
                    return redirect("importing:check", job.uuid)
                actions.set_import_options(
                    _member(request),
                    job,
                    on_duplicate=job.options.get("on_duplicate", "update"),
                    only_valid=True,
                )
                return redirect("importing:duplicates", job.uuid)
        except _StayOnPage:
            pass
        except ACTION_ERRORS as error:
            for message in _messages_of(error):
                messages.error(request, message)
            return redirect("importing:check", job.uuid)
    errors = (
        selectors.check_errors(job, limit=ERRORS_SHOWN)
        if job.status == ImportStatus.CHECKED and counts["failing"]
        else []
    )
    return render(
        request,
        "importing/check.html",
        _context(
            job,
            "check",
            counts=counts,
            errors=errors,
            errors_limited=counts["failing"] > len(errors) and len(errors) >= ERRORS_SHOWN,
            continue_form=continue_form,
            **_progress_context(job),
        ),
    )


class _StayOnPage(Exception):
    """The continue form is invalid: the check page is shown again with its errors."""


@workspace_admin_required
def failing_rows(request: HttpRequest, job_uuid: UUID) -> HttpResponse:
    """The failing rows with a column saying why, to fix and upload again."""
    from tenants.files import attachment_response

    job = _job_or_404(request, job_uuid)
    if job.status in {ImportStatus.UPLOADED, ImportStatus.MAPPED, ImportStatus.CHECKING}:
        raise Http404
    stored = selectors.failing_rows_csv(job)
    if not stored:
        raise Http404
    stem = job.original_name.rsplit(".", 1)[0] or "import"
    return attachment_response(  # type: ignore[return-value]
        stored.open("rb"), filename=_("%(name)s - failing rows.csv") % {"name": stem}
    )


# ----------------------------------------------------------------- 5. duplicates


MATCHES_SHOWN = 100
MATCH_KINDS = {
    "email": gettext_lazy("Same e-mail"),
    "phone": gettext_lazy("Same phone"),
    "tax_number": gettext_lazy("Same tax number"),
    "external_id": gettext_lazy("Same external id"),
    "in_file": gettext_lazy("Repeated within the file"),
}


def _by_kind(summary: dict[str, Any]) -> list[dict[str, Any]]:
    counts = {**summary.get("by", {}), "in_file": summary.get("in_file", 0)}
    return [
        {"label": MATCH_KINDS.get(kind, kind), "count": count}
        for kind, count in counts.items()
        if count
    ]


@workspace_admin_required
def duplicates(request: HttpRequest, job_uuid: UUID) -> HttpResponse:
    """Step 5: matches by kind, the default action, per-row overrides, the responsible."""
    job = _job_or_404(request, job_uuid)
    if (elsewhere := _not_in_setup(job)) is not None:
        return elsewhere
    if job.status != ImportStatus.CHECKED or (
        _check_counts(job)["failing"] and not job.options.get("only_valid")
    ):
        return redirect("importing:check", job.uuid)
    summary = selectors.duplicate_summary(job)
    found, partial = (
        duplicate_matches(job, limit=MATCHES_SHOWN)
        if summary["existing"] or summary["in_file"]
        else ([], False)
    )
    matches = [asdict(match) for match in found]
    responsible_column = next(
        (
            job.headers[int(column)]
            for column, target in (job.mapping or {}).items()
            if target == "responsible" and int(column) < len(job.headers)
        ),
        None,
    )
    members = [(member.pk, member.display_name) for member in members_for_list()]
    form = DuplicatesForm(
        request.POST or None,
        initial={"on_duplicate": job.options.get("on_duplicate", "update")},
        members=members,
        responsible_column=responsible_column,
        match_rows=[match["row_number"] for match in matches],
    )
    if request.method == "POST" and form.is_valid():
        user = _member(request)
        try:
            job = actions.set_import_options(
                user,
                job,
                on_duplicate=form.cleaned_data["on_duplicate"],
                only_valid=True,
                responsible_id=form.responsible_id(user.pk),
                overrides=form.overrides(),
            )
            job = actions.start_import(user, job)
        except ACTION_ERRORS as error:
            for message in _messages_of(error):
                form.add_error(None, message)
        else:
            return redirect("importing:run", job.uuid)
    for match in matches:
        match["field"] = form[f"row_{match['row_number']}"]
        match["kind_label"] = MATCH_KINDS.get(match["kind"], match["kind"])
    return render(
        request,
        "importing/duplicates.html",
        _context(
            job,
            "duplicates",
            form=form,
            by_kind=_by_kind(summary),
            matches=matches,
            matches_partial=partial or len(matches) >= MATCHES_SHOWN,
            counts=_check_counts(job),
        ),
    )


# ----------------------------------------------------------------- 6. run, progress, cancel


def _list_url(job: ImportJob) -> str:
    if job.entity == ImportEntity.COMPANIES:
        return reverse("crm_company_list")
    return reverse("crm_contact_list")


@workspace_admin_required
def run(request: HttpRequest, job_uuid: UUID) -> HttpResponse:
    """Step 6: the progress bar (polled), cancel, and the summary when done."""
    job = _job_or_404(request, job_uuid)
    if job.status in SETUP_STATUSES:
        return redirect(_step_url(job))
    return render(
        request,
        "importing/run.html",
        _context(job, "run", **_progress_context(job)),
    )


STATUS_TONES = {
    ImportStatus.DONE: "ok",
    ImportStatus.FAILED: "danger",
    ImportStatus.CANCELLED: "warn",
    ImportStatus.UNDONE: "warn",
}


def _time_left(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return _("less than a minute left")
    minutes = round(seconds / 60)
    return ngettext("about %(n)s minute left", "about %(n)s minutes left", minutes) % {"n": minutes}


def _progress_context(job: ImportJob) -> dict[str, Any]:
    progress = selectors.import_progress(job)
    return {
        "progress": progress,
        "status_tone": STATUS_TONES.get(ImportStatus(job.status), "info"),
        "time_left": _time_left(progress.get("seconds_left")),
        "polling": job.status in ACTIVE_STATUSES,
        "can_cancel": job.status in {ImportStatus.QUEUED, ImportStatus.RUNNING},
        "can_undo": _can_undo(job),
        "list_url": _list_url(job),
    }


def _can_undo(job: ImportJob) -> bool:
    from django.utils import timezone

    return bool(
        job.status in {ImportStatus.DONE, ImportStatus.CANCELLED}
        and job.undo_until
        and job.undo_until > timezone.now()
        and (job.created_count or job.updated_count)
    )


@workspace_admin_required
def progress(request: HttpRequest, job_uuid: UUID) -> HttpResponse:
    """The progress fragment the run, check and undo pages poll.

    Once the job has left the state the page was showing, htmx reloads the whole page,
    which then shows the outcome (the summary, the check results).
    """
    job = _job_or_404(request, job_uuid)
    shown = request.GET.get("shown", "")
    if getattr(request, "htmx", False) and shown and shown != job.status:
        return HttpResponseClientRefresh()
    return render(request, "importing/_progress.html", {"job": job, **_progress_context(job)})


@workspace_admin_required
@require_POST
def cancel(request: HttpRequest, job_uuid: UUID) -> HttpResponse:
    job = _job_or_404(request, job_uuid)
    try:
        actions.cancel_import(_member(request), job)
    except ACTION_ERRORS as error:
        for message in _messages_of(error):
            messages.error(request, message)
    else:
        messages.success(
            request, _("The import is being cancelled: rows already imported stay (undo them).")
        )
    return redirect("importing:run", job.uuid)


# ----------------------------------------------------------------- 7. history and undo


@workspace_admin_required
def history(request: HttpRequest) -> HttpResponse:
    """Every import of the workspace: who, when, counts, status, and undo."""
    paginator = Paginator(selectors.import_jobs_for(_member(request)), 25)
    page = paginator.get_page(request.GET.get("page"))
    rows = [
        {
            "job": item,
            "entity_label": ImportEntity(item.entity).label,
            "can_undo": _can_undo(item),
            "in_setup": item.status in SETUP_STATUSES,
        }
        for item in page.object_list
    ]
    return render(
        request,
        "importing/history.html",
        {"page": page, "rows": rows, "active_statuses": ACTIVE_STATUSES},
    )


def _undo_counts(job: ImportJob) -> dict[str, int]:
    """What undo removes (records the import created) and restores (records it updated)."""
    return ImportedRecord.objects.filter(job=job).aggregate(
        contacts_removed=Count("pk", filter=Q(created=True, record_type="contact")),
        companies_removed=Count("pk", filter=Q(created=True, record_type="company")),
        contacts_restored=Count("pk", filter=Q(created=False, record_type="contact")),
        companies_restored=Count("pk", filter=Q(created=False, record_type="company")),
    )


@workspace_admin_required
def undo(request: HttpRequest, job_uuid: UUID) -> HttpResponse:
    """GET: what undo will remove and restore; POST: undo (then the run page shows progress)."""
    job = _job_or_404(request, job_uuid)
    if request.method == "POST":
        try:
            actions.undo_import(_member(request), job)
        except ACTION_ERRORS as error:
            for message in _messages_of(error):
                messages.error(request, message)
            return redirect("importing:undo", job.uuid)
        messages.success(request, _("Undoing the import “%(name)s”.") % {"name": job.original_name})
        return redirect("importing:run", job.uuid)
    if not _can_undo(job):
        messages.error(request, _("This import can no longer be undone."))
        return redirect("importing:history")
    return render(
        request,
        "importing/undo.html",
        _context(job, "run", counts=_undo_counts(job)),
    )
