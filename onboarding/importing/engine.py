"""The import engine: rows of a read file -> validated records -> set-based writes, and undo.

Used by the wizard (through onboarding.importing.actions and the tasks), the
`import_file` command and anything else that imports; all go through `run_import`.

- `RowConverter` turns one row's cells into a crm.actions.bulk.BulkRecord with the
  workspace's rules (crm.rules, crm.custom_values), or into errors per column.
- `check_file` reads the whole file once: valid/invalid counts, the first errors, a CSV
  of the failing rows with a "Why" column, and the duplicate counts.
- `run_import` writes the file in chunks of CHUNK_ROWS rows. Each chunk's records, its
  ImportedRecord rows (what undo needs) and the job's checkpoint (rows_done, counts)
  commit in ONE transaction, under a row lock on the job that also checks the
  checkpoint is where this run expects it: a worker killed at any moment leaves either
  the whole chunk or none of it, and a resumed or repeated run starts after the last
  committed chunk. A session advisory lock keeps two workers off the same job.
- `undo_job` removes what the import created and puts back what it updated.
"""

import csv
import datetime as dt
import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import normalize, rules
from crm.actions.bulk import (
    BulkOutcome,
    BulkRecord,
    bulk_undo,
    bulk_upsert_companies,
    bulk_upsert_contacts,
)
from crm.actions.clients import MAX_TEXT
from crm.custom_values import CustomValueError, normalize_value
from crm.history import ChangeSource
from crm.models import ChangeVia, Company, Contact, Email, Phone, RecordType, SourceChannel
from crm.models.custom_fields import FieldType
from crm.selectors.custom_fields import active_custom_fields, required_standard_fields
from onboarding.importing.models import (
    ExternalRecordId,
    ImportedRecord,
    ImportEntity,
    ImportJob,
    ImportStatus,
    OnDuplicate,
)
from onboarding.importing.names import split_full_name
from tenants.members.models import User

logger = logging.getLogger(__name__)

CHUNK_ROWS = 5_000
# Errors kept on the job for the check page (the CSV of failing rows has them all).
ERRORS_KEPT = 200
UNDO_DAYS = 30
# A running job whose last chunk committed longer ago than this lost its worker.
STALE_AFTER = dt.timedelta(minutes=10)

CONTACT_TARGETS = (
    "surname",
    "first_name",
    "patronymic",
    "full_name",
    "form_of_address",
    "phone",
    "phone_mobile",
    "phone_work",
    "phone_home",
    "email",
    "telegram",
    "whatsapp",
    "viber",
    "birthday",
    "position",
    "address",
    "source",
    "responsible",
    "tags",
    "note",
    "pinned_note",
    "company_name",
    "company_tax_number",
    "consent_personal_data",
    "consent_advertising",
    "external_id",
)
COMPANY_TARGETS = (
    "name",
    "legal_name",
    "tax_number",
    "industry",
    "headcount",
    "website",
    "phone",
    "phone_mobile",
    "phone_work",
    "phone_home",
    "email",
    "address",
    "source",
    "responsible",
    "tags",
    "note",
    "pinned_note",
    "external_id",
)
_TEXT_TARGETS = {
    "surname",
    "first_name",
    "patronymic",
    "form_of_address",
    "position",
    "name",
    "legal_name",
    "industry",
}
_LONG_TEXT_TARGETS = {"pinned_note"}
_PHONE_LABELS = {
    "phone": "mobile",
    "phone_mobile": "mobile",
    "phone_work": "work",
    "phone_home": "home",
}
_YES = {"да", "так", "yes", "y", "true", "1", "+", "д", "согласен", "согласна", "given", "x"}
_NO = {"нет", "ні", "no", "n", "false", "0", "-", "н", "withdrawn"}
_SPLIT = str.maketrans({";": ",", "\n": ","})
_REQUIRED_STANDARD = {
    "surname": "surname",
    "first_name": "first_name",
    "patronymic": "patronymic",
    "address_form": "form_of_address",
    "birthday": "birthday",
    "position": "position",
    "address": "address",
    "source": "source_id",
    "legal_name": "legal_name",
    "tax_number": "tax_number",
    "industry": "industry",
    "headcount": "headcount",
    "website": "website",
}


class ImportRunStopped(Exception):
    """Another run holds the job, or it is no longer meant to run."""


def entity_targets(entity: str) -> tuple[str, ...]:
    return CONTACT_TARGETS if entity == ImportEntity.CONTACTS else COMPANY_TARGETS


def record_type_of(entity: str) -> str:
    return RecordType.CONTACT if entity == ImportEntity.CONTACTS else RecordType.COMPANY


def import_label(job: ImportJob) -> str:
    """How history, consents and notes name the import (also how undo finds them)."""
    return f"import #{job.pk} · {job.original_name}"[:200]


def _pieces(value: str) -> list[str]:
    return [piece.strip() for piece in value.translate(_SPLIT).split(",") if piece.strip()]


@dataclass
class ConvertedRow:
    row_number: int
    record: BulkRecord | None
    errors: list[tuple[int | None, str]] = field(default_factory=list)  # (column, message)
    external_id: str = ""
    custom_defaults: dict[str, Any] = field(default_factory=dict)

    def match_keys(self) -> list[tuple[str, str]]:
        """What this row may match an existing record (or an earlier row) on."""
        found: list[tuple[str, str]] = []
        if self.record is None:
            return found
        if self.external_id:
            found.append(("external_id", self.external_id))
        found += [("email", normalize.casefold_email(a)) for a in self.record.emails]
        found += [("phone", e164) for e164, _raw, _label in self.record.phones]
        tax = self.record.fields.get("tax_number")
        if tax:
            found.append(("tax_number", str(tax)))
        return found


class RowConverter:
    """Cells of one row -> a BulkRecord, with the workspace's rules (loaded once per job)."""

    def __init__(self, job: ImportJob, *, create_sources: bool = False):
        self.entity = job.entity
        self.record_type = record_type_of(job.entity)
        self.mapping = {
            int(column): target for column, target in (job.mapping or {}).items() if target
        }
        self.headers = list(job.headers or [])
        self.country = rules.default_country()
        self.create_sources = create_sources
        self.custom_fields = {f.key: f for f in active_custom_fields(self.record_type)}
        self.required_custom = [f.key for f in self.custom_fields.values() if f.required]
        self.defaults = {
            f.key: f.default for f in self.custom_fields.values() if f.default is not None
        }
        self.required_standard = list(required_standard_fields(self.record_type))
        options = job.options or {}
        self.responsible_for_all: int | None = options.get("responsible_id")
        self.members: dict[str, int] = {}
        for pk, email, full_name in User.objects.filter(is_active=True).values_list(
            "pk", "email", "full_name"
        ):
            self.members[email.casefold()] = pk
            if full_name:
                self.members.setdefault(normalize.clean_spaces(full_name).casefold(), pk)
        self.sources = {
            name.casefold(): pk
            for pk, name in SourceChannel.objects.filter(archived_at__isnull=True).values_list(
                "pk", "name"
            )
        }
        self.today = timezone.localdate()

    def column_name(self, column: int | None) -> str:
        if column is None:
            return ""
        return self.headers[column] if column < len(self.headers) else str(column + 1)

    def _source_id(self, name: str) -> int | None:
        folded = name.casefold()
        if folded in self.sources:
            return self.sources[folded]
        if not self.create_sources:
            return None
        source, _created = SourceChannel.objects.get_or_create(
            name__iexact=name, defaults={"name": name[:100]}
        )
        self.sources[folded] = source.pk
        return source.pk

    def convert(self, row_number: int, cells: list[str]) -> ConvertedRow:
        record = BulkRecord(row_number=row_number)
        row = ConvertedRow(row_number=row_number, record=record)
        errors = row.errors
        full_name = ""
        for column, target in self.mapping.items():
            raw = cells[column].strip() if column < len(cells) and cells[column] else ""
            if not raw:
                continue
            problems = rules.FieldErrors()
            if target in _TEXT_TARGETS:
                value = rules.text(raw)
                limit = MAX_TEXT.get(target)
                if limit and len(value) > limit:
                    problems.add(target, _("At most %(count)d characters.") % {"count": limit})
                record.fields[target] = value
            elif target in _LONG_TEXT_TARGETS:
                record.fields[target] = rules.long_text(raw)
            elif target == "address":
                if self.entity == ImportEntity.CONTACTS:
                    record.fields["address"] = rules.long_text(raw)
                else:
                    record.addresses.append(rules.long_text(raw))
            elif target == "full_name":
                full_name = rules.text(raw)
            elif target in _PHONE_LABELS:
                for phone in rules.parse_phones(
                    [{"number": piece, "label": _PHONE_LABELS[target]} for piece in _pieces(raw)],
                    problems,
                    country=self.country,
                ):
                    if all(phone[0] != known[0] for known in record.phones):
                        record.phones.append(phone)
            elif target == "email":
                for address in rules.parse_emails(_pieces(raw) or [raw], problems):
                    if address.casefold() not in {a.casefold() for a in record.emails}:
                        record.emails.append(address)
            elif target in ("telegram", "whatsapp", "viber"):
                record.messengers += rules.parse_messengers(
                    [{"kind": target, "handle": piece} for piece in _pieces(raw)], problems
                )
            elif target == "birthday":
                record.fields["birthday"] = rules.parse_birthday(
                    raw, problems, excel_serial=True, today=self.today
                )
            elif target == "tax_number":
                record.fields["tax_number"] = rules.parse_tax_number(
                    raw, problems, restore_zeros=True
                )
            elif target == "company_tax_number":
                tax = rules.parse_tax_number(raw, problems, restore_zeros=True)
                record.company_tax_number = "" if problems.fields else tax
            elif target == "company_name":
                record.company_name = rules.text(raw)[:255]
            elif target == "headcount":
                record.fields["headcount"] = rules.parse_headcount(raw, problems)
            elif target == "website":
                record.fields["website"] = rules.parse_website(raw, problems)
            elif target == "source":
                source_id = self._source_id(rules.text(raw))
                if source_id is not None:
                    record.fields["source_id"] = source_id
            elif target == "responsible":
                member = self.members.get(rules.text(raw).casefold())
                if member is None:
                    problems.add(
                        "responsible",
                        _(
                            "No active member “%(name)s” in this workspace: "
                            "give a member's name or e-mail."
                        )
                        % {"name": raw},
                    )
                else:
                    record.fields["responsible_id"] = member
            elif target == "tags":
                record.tags += [piece[:60] for piece in _pieces(raw)]
            elif target == "note":
                record.note = (f"{record.note}\n\n{raw}" if record.note else raw).strip()
            elif target in ("consent_personal_data", "consent_advertising"):
                folded = raw.casefold()
                kind = target.removeprefix("consent_")
                if folded in _YES:
                    record.consents[kind] = "given"
                elif folded in _NO:
                    record.consents[kind] = "withdrawn"
                else:
                    problems.add(target, _("Write yes or no."))
            elif target == "external_id":
                row.external_id = raw[:255]
            elif target.startswith("custom."):
                self._custom(record, target.removeprefix("custom."), raw, problems)
            for messages in problems.fields.values():
                errors.extend((column, message) for message in messages)
        if full_name:
            for name, value in split_full_name(full_name).items():
                if value and not record.fields.get(name):
                    record.fields[name] = value[:100]
        if self.responsible_for_all and "responsible_id" not in record.fields:
            record.fields["responsible_id"] = self.responsible_for_all
        self._whole_record(record, errors)
        if errors:
            row.record = None
        else:
            row.custom_defaults = {k: v for k, v in self.defaults.items() if k not in record.custom}
        return row

    def _custom(self, record: BulkRecord, key: str, raw: str, problems: rules.FieldErrors) -> None:
        definition = self.custom_fields.get(key)
        if definition is None:
            return
        value: Any = raw
        if definition.field_type == FieldType.DATE:
            day = rules.parse_date(raw, excel_serial=True)
            value = day.isoformat() if day else raw
        try:
            stored = normalize_value(definition, value)
        except CustomValueError as error:
            problems.add(f"custom.{key}", error.message)
            return
        if stored is not None:
            record.custom[key] = stored

    def _whole_record(self, record: BulkRecord, errors: list[tuple[int | None, str]]) -> None:
        if self.entity == ImportEntity.CONTACTS:
            if not any(record.fields.get(n) for n in ("surname", "first_name", "patronymic")):
                errors.append((None, _("Give the contact at least a first name or a surname.")))
        elif not record.fields.get("name"):
            errors.append((None, _("Give the company a name.")))
        from crm.entities import standard_field_label

        collections = {
            "phones": record.phones,
            "emails": record.emails,
            "messengers": record.messengers,
            "tags": record.tags,
            "companies": record.company_name or record.company_tax_number,
            "addresses": record.addresses,
        }
        for name in self.required_standard:
            present = (
                collections[name]
                if name in collections
                else record.fields.get(_REQUIRED_STANDARD.get(name, name))
            )
            if not present:
                errors.append(
                    (
                        None,
                        _("%(field)s: this field is required.")
                        % {"field": standard_field_label(self.record_type, name)},
                    )
                )
        for key in self.required_custom:
            if key not in record.custom and key not in self.defaults:
                label = self.custom_fields[key].label
                errors.append((None, _("%(field)s: this field is required.") % {"field": label}))


def errors_text(converter: RowConverter, row: ConvertedRow) -> str:
    """The "Why" of a failing row: each problem with its column."""
    parts = []
    for column, message in row.errors:
        name = converter.column_name(column)
        parts.append(f"{name}: {message}" if name else message)
    return "; ".join(parts)


# ---------------------------------------------------------------- duplicates


def match_existing(entity: str, rows: list[ConvertedRow]) -> dict[int, tuple[int, str]]:
    """row number -> (existing record id, matched by) for rows matching a live record.

    One query per kind of key for the whole batch; external id first, then e-mail,
    phone and tax number. Archived and merged records are not matched.
    """
    record_type = record_type_of(entity)
    wanted: dict[str, set[str]] = {
        "external_id": set(),
        "email": set(),
        "phone": set(),
        "tax_number": set(),
    }
    for row in rows:
        for kind, value in row.match_keys():
            wanted[kind].add(value)
    found: dict[tuple[str, str], int] = {}
    model: type[Contact] | type[Company] = Contact if record_type == RecordType.CONTACT else Company
    owner = "contact" if model is Contact else "company"
    live = set()
    if wanted["external_id"]:
        for external_id, record_id in ExternalRecordId.objects.filter(
            record_type=record_type, external_id__in=wanted["external_id"]
        ).values_list("external_id", "record_id"):
            found[("external_id", external_id)] = record_id
            live.add(record_id)
        live = set(
            model.objects.filter(pk__in=live, archived_at__isnull=True).values_list("pk", flat=True)
        )
        found = {key: pk for key, pk in found.items() if pk in live}
    if wanted["email"]:
        for folded, pk in (
            Email.objects.filter(
                address_casefold__in=wanted["email"], **{f"{owner}__archived_at__isnull": True}
            )
            .order_by(f"{owner}_id")
            .values_list("address_casefold", f"{owner}_id")
        ):
            found.setdefault(("email", folded), pk)
    if wanted["phone"]:
        for e164, pk in (
            Phone.objects.filter(
                e164__in=wanted["phone"], **{f"{owner}__archived_at__isnull": True}
            )
            .order_by(f"{owner}_id")
            .values_list("e164", f"{owner}_id")
        ):
            found.setdefault(("phone", e164), pk)
    if wanted["tax_number"] and model is Company:
        for tax, pk in (
            Company.objects.filter(tax_number__in=wanted["tax_number"], archived_at__isnull=True)
            .order_by("pk")
            .values_list("tax_number", "pk")
        ):
            found.setdefault(("tax_number", tax), pk)
    matches = {}
    for row in rows:
        for key in row.match_keys():
            if key in found:
                matches[row.row_number] = (found[key], key[0])
                break
    return matches


# ---------------------------------------------------------------- the file


def job_path(job: ImportJob) -> str:
    return job.file.path


def open_job_table(job: ImportJob) -> Any:
    from onboarding.importing.reading import open_table

    return open_table(
        job_path(job),
        original_name=job.original_name,
        encoding=job.encoding or None,
        delimiter=job.delimiter or None,
        header_row=job.header_row,
        sheet=job.sheet or None,
    )


def iter_job_rows(job: ImportJob) -> Iterator[tuple[int, list[str]]]:
    yield from open_job_table(job).iter_rows()


# ---------------------------------------------------------------- check


def check_file(
    job: ImportJob, rows: Iterator[tuple[int, list[str]]] | None = None
) -> dict[str, Any]:
    """Validate every row and count duplicates; store the summary and the failing rows' CSV.

    Writes nothing but the job (check_summary, errors_file, total_rows).
    """
    converter = RowConverter(job)
    counts = {"rows": 0, "valid": 0, "invalid": 0}
    kept: list[list[Any]] = []
    duplicates: dict[str, Any] = {
        "existing": 0,
        "in_file": 0,
        "by": {"external_id": 0, "email": 0, "phone": 0, "tax_number": 0},
    }
    seen: set[tuple[str, str]] = set()
    failing = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below, after saving)
        "w+", encoding="utf-8-sig", newline="", suffix=".csv", delete=False
    )
    writer = csv.writer(failing, delimiter=";")
    writer.writerow([*converter.headers, _("Why")])
    batch: list[ConvertedRow] = []

    def flush() -> None:
        matches = match_existing(job.entity, batch)
        for row in batch:
            match = matches.get(row.row_number)
            keys = row.match_keys()
            if match is not None:
                duplicates["existing"] += 1
                duplicates["by"][match[1]] += 1
            elif any(key in seen for key in keys):
                duplicates["in_file"] += 1
            seen.update(keys)
        batch.clear()

    for row_number, cells in rows if rows is not None else iter_job_rows(job):
        counts["rows"] += 1
        row = converter.convert(row_number, cells)
        if row.record is None:
            counts["invalid"] += 1
            why = errors_text(converter, row)
            writer.writerow([*cells, why])
            for column, message in row.errors:
                if len(kept) < ERRORS_KEPT:
                    kept.append([row_number, converter.column_name(column), message])
            continue
        counts["valid"] += 1
        batch.append(row)
        if len(batch) >= CHUNK_ROWS:
            flush()
    flush()
    failing.close()
    summary = {**counts, "errors": kept, "duplicates": duplicates}
    job.check_summary = summary
    job.total_rows = counts["rows"]
    if counts["invalid"]:
        with Path(failing.name).open("rb") as handle:
            stem = Path(job.original_name).stem[:80] or "import"
            job.errors_file.save(f"{stem}-errors.csv", File(handle), save=False)
    Path(failing.name).unlink(missing_ok=True)
    return summary


# ---------------------------------------------------------------- run


@dataclass
class ChunkCounts:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0


def _decide(job: ImportJob, row_number: int) -> str:
    options = job.options or {}
    overrides = options.get("overrides") or {}
    return str(overrides.get(str(row_number)) or options.get("on_duplicate") or OnDuplicate.UPDATE)


def _write_chunk(job: ImportJob, rows: list[ConvertedRow], acting_user: Any) -> ChunkCounts:
    """Write one chunk's valid rows (inside the caller's transaction)."""
    counts = ChunkCounts()
    source = ChangeSource(ChangeVia.IMPORT, import_label(job))
    record_type = record_type_of(job.entity)
    pending = [row for row in rows if row.record is not None]
    imported: list[tuple[Any, ...]] = []
    while pending:
        # A wave: rows whose keys meet no earlier row of the wave; the others wait for
        # the next wave, where they match what this one wrote.
        wave: list[ConvertedRow] = []
        later: list[ConvertedRow] = []
        keys_taken: set[tuple[str, str]] = set()
        for row in pending:
            keys = set(row.match_keys())
            if keys & keys_taken:
                later.append(row)
            else:
                keys_taken |= keys
                wave.append(row)
        matches = match_existing(job.entity, wave)
        to_write: list[BulkRecord] = []
        targets_taken: set[int] = set()
        external: dict[int, str] = {}
        for row in wave:
            if row.record is None:
                continue
            match = matches.get(row.row_number)
            if match is not None:
                choice = _decide(job, row.row_number)
                if choice == OnDuplicate.SKIP:
                    counts.skipped += 1
                    continue
                if choice == OnDuplicate.UPDATE:
                    if match[0] in targets_taken:
                        later.append(row)
                        continue
                    targets_taken.add(match[0])
                    row.record.existing_id = match[0]
            if row.record.existing_id is None:
                row.record.custom = {**row.custom_defaults, **row.record.custom}
            if row.external_id:
                external[row.row_number] = row.external_id
            to_write.append(row.record)
        outcome: BulkOutcome = (
            bulk_upsert_contacts(
                to_write, acting_user=acting_user, source=source, consent_text=_consent_text(job)
            )
            if record_type == RecordType.CONTACT
            else bulk_upsert_companies(to_write, acting_user=acting_user, source=source)
        )
        for row_number, record_id in outcome.created.items():
            imported.append((job.pk, record_type, record_id, True, row_number, None))
        for row_number, (record_id, previous) in outcome.updated.items():
            imported.append((job.pk, record_type, record_id, False, row_number, previous))
        for row_number, record_id in outcome.companies_created.items():
            imported.append((job.pk, RecordType.COMPANY, record_id, True, row_number, None))
        counts.created += len(outcome.created)
        counts.updated += len(outcome.updated)
        counts.skipped += len(to_write) - len(outcome.created) - len(outcome.updated)
        links = []
        for row_number, external_id in external.items():
            linked_id: int | None = outcome.created.get(row_number) or (
                outcome.updated[row_number][0] if row_number in outcome.updated else None
            )
            if linked_id is not None:
                links.append(
                    ExternalRecordId(
                        record_type=record_type,
                        external_id=external_id,
                        record_id=linked_id,
                        job=job,
                    )
                )
        ExternalRecordId.objects.bulk_create(links, ignore_conflicts=True)
        if later and len(later) == len(pending):
            raise RuntimeError(
                "import wave made no progress"
            )  # cannot happen: first row always fits
        pending = later
    _save_imported(imported)
    return counts


def _consent_text(job: ImportJob) -> str:
    return str(
        (job.options or {}).get("consent_text")
        or _("Consent as recorded in the imported file “%(file)s”.") % {"file": job.original_name}
    )


def _save_imported(rows: list[tuple[Any, ...]]) -> None:
    from psycopg.types.json import Jsonb

    from crm.actions.bulk import _copy

    _copy(
        ImportedRecord._meta.db_table,
        ("job_id", "record_type", "record_id", "created", "row_number", "previous"),
        (
            (job, rt, rid, created, rn, Jsonb(prev) if prev is not None else None)
            for job, rt, rid, created, rn, prev in rows
        ),
    )


def _advisory_lock(job: ImportJob) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_lock(hashtext(%s))",
            [f"import:{getattr(connection, 'schema_name', '')}:{job.uuid}"],
        )
        return bool(cursor.fetchone()[0])


def _advisory_unlock(job: ImportJob) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_unlock(hashtext(%s))",
            [f"import:{getattr(connection, 'schema_name', '')}:{job.uuid}"],
        )


def run_import(
    job_id: int,
    *,
    rows: Iterator[tuple[int, list[str]]] | None = None,
    after_chunk: Callable[[ImportJob], None] | None = None,
) -> ImportJob:
    """Import the job's file from its checkpoint to the end (or a cancel); idempotent.

    Safe to call again after a crash, and concurrently (the second call returns at once).
    `rows` replaces reading the job's file (tests, benchmarks); `after_chunk` is called
    after each committed chunk.
    """
    job = ImportJob.objects.get(pk=job_id)
    if job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        return job
    if not _advisory_lock(job):
        logger.info("import %s is already running elsewhere", job.pk)
        return job
    try:
        return _run_locked(job, rows, after_chunk)
    finally:
        _advisory_unlock(job)


def _run_locked(
    job: ImportJob,
    rows: Iterator[tuple[int, list[str]]] | None,
    after_chunk: Callable[[ImportJob], None] | None,
) -> ImportJob:
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    job.refresh_from_db()
    acting_user = job.created_by
    converter = RowConverter(job, create_sources=True)
    only_valid = (job.options or {}).get("only_valid", True)
    done = job.rows_done
    seen = 0
    chunk: list[ConvertedRow] = []
    started = time.monotonic()
    try:
        for row_number, cells in rows if rows is not None else iter_job_rows(job):
            seen += 1
            if seen <= done:
                continue  # committed by an earlier run
            chunk.append(converter.convert(row_number, cells))
            if len(chunk) >= CHUNK_ROWS:
                job = _commit_chunk(job, chunk, done, acting_user, only_valid)
                done += len(chunk)
                chunk = []
                if job.status != ImportStatus.RUNNING:
                    return job
                if after_chunk is not None:
                    after_chunk(job)
        if chunk:
            job = _commit_chunk(job, chunk, done, acting_user, only_valid)
            done += len(chunk)
            if job.status != ImportStatus.RUNNING:
                return job
            if after_chunk is not None:
                after_chunk(job)
    except ImportRunStopped:
        job.refresh_from_db()
        return job
    except Exception as error:
        from onboarding.importing.reading import ImportFileError

        if not isinstance(error, ImportFileError):
            raise
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, failure=str(error.message), finished_at=timezone.now()
        )
        job.refresh_from_db()
        return job
    finished = timezone.now()
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status == ImportStatus.RUNNING:
            locked.status = ImportStatus.DONE
            locked.finished_at = finished
            locked.undo_until = finished + dt.timedelta(days=UNDO_DAYS)
            locked.total_rows = done
            locked.save()
            job_pk = locked.pk
            transaction.on_commit(lambda: _send_done_email(job_pk))
    logger.info("import %s done: %s rows in %.1f s", job.pk, done, time.monotonic() - started)
    job.refresh_from_db()
    return job


def _commit_chunk(
    job: ImportJob, chunk: list[ConvertedRow], start: int, acting_user: Any, only_valid: bool
) -> ImportJob:
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.rows_done != start:
            raise ImportRunStopped()
        if locked.cancel_requested or locked.status != ImportStatus.RUNNING:
            if locked.status == ImportStatus.RUNNING:
                now = timezone.now()
                locked.status = ImportStatus.CANCELLED
                locked.finished_at = now
                locked.undo_until = now + dt.timedelta(days=UNDO_DAYS)
                locked.save()
            return locked
        failed = sum(1 for row in chunk if row.record is None)
        if failed and not only_valid:
            raise ImportRunStopped()
        counts = _write_chunk(locked, chunk, acting_user)
        ImportJob.objects.filter(pk=locked.pk).update(
            rows_done=F("rows_done") + len(chunk),
            created_count=F("created_count") + counts.created,
            updated_count=F("updated_count") + counts.updated,
            skipped_count=F("skipped_count") + counts.skipped,
            failed_count=F("failed_count") + failed,
            heartbeat_at=timezone.now(),
        )
    locked.refresh_from_db()
    return locked


def _send_done_email(job_id: int) -> None:
    from django.conf import settings
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.utils import translation

    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.created_by is None or not job.created_by.email:
        return
    workspace = getattr(connection, "tenant", None)
    language = (
        job.created_by.language
        or getattr(workspace, "default_language", "")
        or settings.LANGUAGE_CODE
    )
    with translation.override(language):
        context = {"job": job, "workspace_name": getattr(workspace, "name", "")}
        subject = render_to_string("importing/email/import_done_subject.txt", context).strip()
        body = render_to_string("importing/email/import_done_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [job.created_by.email])


# ---------------------------------------------------------------- undo


def _merged_previous(rows: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
    """One `previous` per record when several rows of the import updated it.

    Rows come in file order: the earliest row's old value of a field is the value before
    the import; the children every row added all go.
    """
    merged: dict[int, dict[str, Any]] = {}
    for record_id, previous in rows:
        into = merged.setdefault(record_id, {"fields": {}, "custom_set": {}, "custom_unset": []})
        for name, value in previous.get("fields", {}).items():
            into["fields"].setdefault(name, value)
        handled = set(into["custom_set"]) | set(into["custom_unset"])
        for key, value in previous.get("custom_set", {}).items():
            if key not in handled:
                into["custom_set"][key] = value
        for key in previous.get("custom_unset", []):
            if key not in handled:
                into["custom_unset"].append(key)
        for key in ("phones", "emails", "messengers", "tags", "companies"):
            if previous.get(key):
                into.setdefault(key, []).extend(previous[key])
    return list(merged.items())


def undo_job(job: ImportJob, acting_user: Any) -> dict[str, int]:
    """Remove what `job` created, restore what it updated (in the caller's transaction)."""
    source = ChangeSource(ChangeVia.IMPORT, import_label(job))
    totals = {"deleted": 0, "archived": 0, "restored": 0}
    order = (
        [RecordType.CONTACT, RecordType.COMPANY]
        if job.entity == ImportEntity.CONTACTS
        else [RecordType.COMPANY]
    )
    for record_type in order:
        records = ImportedRecord.objects.filter(job=job, record_type=record_type)
        created = list(records.filter(created=True).values_list("record_id", flat=True))
        created_set = set(created)
        updated = [
            (record_id, previous or {})
            for record_id, previous in records.filter(created=False)
            .order_by("row_number")
            .values_list("record_id", "previous")
            if record_id not in created_set
        ]
        result = bulk_undo(
            record_type=record_type,
            created_ids=created,
            updated=_merged_previous(updated),
            acting_user=acting_user,
            source=source,
        )
        for key, value in result.items():
            totals[key] += value
    external = ExternalRecordId.objects.filter(job=job)
    external._raw_delete(external.db)  # no relations, no signals: one DELETE
    return totals
