"""The import engine: rows of a read file -> validated records -> set-based writes, and undo.

Used by the wizard (through onboarding.importing.actions and the tasks), the
`import_file` command and anything else that imports; all go through `run_import`.

- `RowConverter` turns one row's cells into a crm.actions.bulk.BulkRecord with the
  workspace's rules (crm.rules, crm.custom_values), or into errors per column.
- `check_file` reads the whole file once: valid/invalid counts, the first errors, a CSV
  of the failing rows with a "Why" column, and the duplicate counts. It keeps the
  converted rows beside the upload (`ConvertedRows`), so each row is validated once:
  the run writes them, unless something they depend on changed since the check.
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
import hashlib
import json
import logging
import os
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
from psycopg import sql

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
    # The source column's value, when the check read it: the run finds the source by name
    # then, creating it if the workspace does not have it yet (the check creates nothing).
    source_name: str = ""

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
        # (column, target, custom field key or None): resolved once, not per cell.
        self.plan = [
            (
                column,
                target,
                target.removeprefix("custom.") if target.startswith("custom.") else None,
            )
            for column, target in self.mapping.items()
        ]
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

    def signature(self, job: ImportJob) -> str | None:
        """What the converted rows depend on, hashed; None when the file is not local.

        The check stores its converted rows under this; the run reuses them only when
        it computes the same value (same file, reading settings, mapping, workspace
        rules, custom fields, members where mapped, and day; sources are found by name
        when the run writes).
        """
        try:
            stat = Path(job_path(job)).stat()
        except (NotImplementedError, ValueError, OSError):
            return None
        targets = set(self.mapping.values())
        parts: list[Any] = [
            CONVERTED_FORMAT,
            self.entity,
            sorted(self.mapping.items()),
            self.headers,
            self.country,
            self.today,
            self.required_standard,
            [
                (f.pk, f.key, f.field_type, f.required, f.default, f.choices, f.updated_at)
                for f in self.custom_fields.values()
            ],
            sorted(self.members.items()) if "responsible" in targets else None,
            [stat.st_size, stat.st_mtime_ns, job.file.name],
            [job.file_format, job.encoding, job.delimiter, job.header_row, job.sheet],
        ]
        text = json.dumps(parts, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

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
        row = self.convert_cells(row_number, cells)
        self.apply_responsible(row)
        return row

    def apply_responsible(self, row: ConvertedRow) -> None:
        """The responsible member chosen for all rows, where the row names none.

        Apart from `convert_cells` because it is an option of the run: the check's
        converted rows (see ConvertedRows) stay valid when it is chosen after the check.
        """
        record = row.record
        if (
            record is not None
            and self.responsible_for_all
            and "responsible_id" not in record.fields
        ):
            record.fields["responsible_id"] = self.responsible_for_all

    def convert_cells(self, row_number: int, cells: list[str]) -> ConvertedRow:
        """`convert` without the responsible member for all rows."""
        record = BulkRecord(row_number=row_number)
        row = ConvertedRow(row_number=row_number, record=record)
        errors = row.errors
        full_name = ""
        width = len(cells)
        for column, target, custom_key in self.plan:
            raw = cells[column].strip() if column < width and cells[column] else ""
            if not raw:
                continue
            problems = rules.FieldErrors()
            if custom_key is not None:
                self._custom(record, custom_key, raw, problems)
            elif target in _TEXT_TARGETS:
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
                source_name = rules.text(raw)
                source_id = self._source_id(source_name)
                if source_id is not None:
                    record.fields["source_id"] = source_id
                if source_name and not self.create_sources:
                    row.source_name = source_name  # the run finds (or creates) it by name
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
            for messages in problems.fields.values():
                errors.extend((column, message) for message in messages)
        if full_name:
            for name, value in split_full_name(full_name).items():
                if value and not record.fields.get(name):
                    record.fields[name] = value[:100]
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


def _select(statement: sql.Composable, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


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
    owner = "contact_id" if model is Contact else "company_id"
    table = model._meta.db_table
    # Raw SQL with one array parameter per kind: a chunk's thousands of keys as IN (...)
    # placeholders cost more to build and parse than the lookup itself.
    if wanted["external_id"]:
        for external_id, record_id in _select(
            sql.SQL(
                "SELECT x.external_id, x.record_id FROM {external} AS x "
                "JOIN {table} AS r ON r.id = x.record_id AND r.archived_at IS NULL "
                "WHERE x.record_type = %s AND x.external_id = ANY(%s)"
            ).format(
                external=sql.Identifier(ExternalRecordId._meta.db_table),
                table=sql.Identifier(table),
            ),
            [record_type, list(wanted["external_id"])],
        ):
            found[("external_id", external_id)] = record_id
    for kind, child, column in (
        ("email", Email._meta.db_table, "address_casefold"),
        ("phone", Phone._meta.db_table, "e164"),
    ):
        if not wanted[kind]:
            continue
        for value, record_id in _select(
            sql.SQL(
                "SELECT DISTINCT ON (c.{column}) c.{column}, c.{owner} FROM {child} AS c "
                "JOIN {table} AS r ON r.id = c.{owner} AND r.archived_at IS NULL "
                "WHERE c.{column} = ANY(%s) ORDER BY c.{column}, c.{owner}"
            ).format(
                column=sql.Identifier(column),
                owner=sql.Identifier(owner),
                child=sql.Identifier(child),
                table=sql.Identifier(table),
            ),
            [list(wanted[kind])],
        ):
            found[(kind, value)] = record_id
    if wanted["tax_number"] and model is Company:
        for tax, record_id in _select(
            sql.SQL(
                "SELECT DISTINCT ON (tax_number) tax_number, id FROM {} "
                "WHERE tax_number = ANY(%s) AND archived_at IS NULL ORDER BY tax_number, id"
            ).format(sql.Identifier(table)),
            [list(wanted["tax_number"])],
        ):
            found[("tax_number", tax)] = record_id
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


# ---------------------------------------------------------------- converted rows

# Bump when what ConvertedRows stores (or how a row is converted) changes.
CONVERTED_FORMAT = 1
_CONVERTED_SUFFIX = ".converted.jsonl"


class ConvertedRows:
    """The check's converted rows, kept beside the upload so the run does not convert again.

    One JSON line per row of the file, in order, after a first line with the converter's
    signature: `[row_number]` for a failing row (the run only counts it), the record's
    parts for a valid one. The run reads them only when its converter computes the same
    signature; otherwise (or without the file) it converts the rows itself, as before.
    Written to a temporary name and renamed, so a check killed halfway leaves nothing.
    """

    def __init__(self, job: ImportJob):
        try:
            self.path: Path | None = Path(job_path(job) + _CONVERTED_SUFFIX)
        except (NotImplementedError, ValueError):
            self.path = None

    def discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def writer(self, signature: str | None) -> "_ConvertedWriter | None":
        self.discard()
        if self.path is None or signature is None:
            return None
        return _ConvertedWriter(self.path, signature)

    def read(self, signature: str | None, *, skip: int = 0) -> Iterator[ConvertedRow] | None:
        """The stored rows after the first `skip`, or None if there are none for `signature`."""
        if self.path is None or signature is None:
            return None
        try:
            handle = self.path.open(encoding="utf-8")
        except OSError:
            return None
        if json.loads(handle.readline() or "{}").get("signature") != signature:
            handle.close()
            return None
        return _read_converted(handle, skip)


class _ConvertedWriter:
    def __init__(self, path: Path, signature: str):
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        self.handle = self.partial.open("w", encoding="utf-8")
        self.handle.write(json.dumps({"signature": signature}) + "\n")
        self.lines: list[str] = []

    def add(self, row: ConvertedRow) -> None:
        record = row.record
        if record is None:
            self.lines.append(f"[{row.row_number}]")
        else:
            fields = {}
            dates = {}
            for name, value in record.fields.items():
                if isinstance(value, dt.date):
                    dates[name] = value.isoformat()
                else:
                    fields[name] = value
            self.lines.append(
                json.dumps(
                    [
                        row.row_number,
                        fields,
                        dates,
                        record.custom,
                        record.phones,
                        record.emails,
                        record.messengers,
                        record.tags,
                        record.addresses,
                        record.company_name,
                        record.company_tax_number,
                        record.consents,
                        record.note,
                        row.external_id,
                        row.custom_defaults,
                        row.source_name,
                    ],
                    ensure_ascii=False,
                    separators=(",", ":"),
                )
            )
        if len(self.lines) >= 10_000:
            self._flush()

    def _flush(self) -> None:
        if self.lines:
            self.lines.append("")
            self.handle.write("\n".join(self.lines))
            self.lines = []

    def close(self) -> None:
        self._flush()
        self.handle.close()
        os.replace(self.partial, self.path)

    def abandon(self) -> None:
        self.handle.close()
        self.partial.unlink(missing_ok=True)


def _read_converted(handle: Any, skip: int) -> Iterator[ConvertedRow]:
    with handle:
        for index, line in enumerate(handle):
            if index < skip:
                continue
            parts = json.loads(line)
            if len(parts) == 1:
                yield ConvertedRow(row_number=parts[0], record=None)
                continue
            (
                row_number,
                fields,
                dates,
                custom,
                phones,
                emails,
                messengers,
                tags,
                addresses,
                company_name,
                company_tax_number,
                consents,
                note,
                external_id,
                custom_defaults,
                source_name,
            ) = parts
            for name, value in dates.items():
                fields[name] = dt.date.fromisoformat(value)
            record = BulkRecord(
                row_number=row_number,
                fields=fields,
                custom=custom,
                phones=[tuple(phone) for phone in phones],
                emails=emails,
                messengers=[tuple(item) for item in messengers],
                tags=tags,
                addresses=addresses,
                company_name=company_name,
                company_tax_number=company_tax_number,
                consents=consents,
                note=note,
            )
            yield ConvertedRow(
                row_number=row_number,
                record=record,
                external_id=external_id,
                custom_defaults=custom_defaults,
                source_name=source_name,
            )


# ---------------------------------------------------------------- check


class _InFileKeys:
    """The match keys of the file's valid rows, in PostgreSQL: which rows repeat an earlier one.

    A row counts as a duplicate within the file when one of its keys (external id,
    e-mail, phone, tax number) belongs to an earlier valid row and it matches no
    existing record. Kept in a temporary table, not a Python set: a million rows have
    millions of keys, and the count is one window query at the end.
    """

    table = "import_check_keys"

    def __init__(self) -> None:
        self.created = False

    def add(self, keys: list[tuple[str, int, bool]]) -> None:
        from crm.actions.bulk import _copy

        if not keys:
            return
        if not self.created:
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE IF EXISTS import_check_keys")
                cursor.execute(
                    "CREATE TEMP TABLE import_check_keys "
                    "(key text NOT NULL, row_number integer NOT NULL, existing boolean NOT NULL)"
                )
            self.created = True
        _copy(self.table, ("key", "row_number", "existing"), keys)

    def repeated_rows(self) -> int:
        if not self.created:
            return 0
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(DISTINCT row_number) FROM ("
                " SELECT row_number, existing,"
                " min(row_number) OVER (PARTITION BY key) AS first_row"
                " FROM import_check_keys) AS keyed "
                "WHERE NOT existing AND first_row < row_number"
            )
            return int(cursor.fetchone()[0])

    def drop(self) -> None:
        if self.created:
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE IF EXISTS import_check_keys")
            self.created = False


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
    failing = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below, after saving)
        "w+", encoding="utf-8-sig", newline="", suffix=".csv", delete=False
    )
    writer = csv.writer(failing, delimiter=";")
    writer.writerow([*converter.headers, _("Why")])
    batch: list[ConvertedRow] = []
    # The converted rows for the run (only for the job's own file: `rows` is a test's).
    stored = ConvertedRows(job)
    converted = stored.writer(converter.signature(job)) if rows is None else None
    if rows is not None:
        stored.discard()
    keys_table = _InFileKeys()

    def flush() -> None:
        matches = match_existing(job.entity, batch)
        found: list[tuple[str, int, bool]] = []
        for row in batch:
            match = matches.get(row.row_number)
            if match is not None:
                duplicates["existing"] += 1
                duplicates["by"][match[1]] += 1
            found += [
                (f"{kind}:{value}", row.row_number, match is not None)
                for kind, value in row.match_keys()
            ]
        keys_table.add(found)
        batch.clear()

    try:
        for row_number, cells in rows if rows is not None else iter_job_rows(job):
            counts["rows"] += 1
            row = converter.convert_cells(row_number, cells)
            if converted is not None:
                converted.add(row)
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
        duplicates["in_file"] = keys_table.repeated_rows()
    except BaseException:
        if converted is not None:
            converted.abandon()
        failing.close()
        Path(failing.name).unlink(missing_ok=True)
        raise
    finally:
        keys_table.drop()
    if converted is not None:
        converted.close()
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
        _link_external_ids(job, record_type, external, outcome)
        if later and len(later) == len(pending):
            raise RuntimeError(
                "import wave made no progress"
            )  # cannot happen: first row always fits
        pending = later
    _save_imported(imported)
    return counts


def _link_external_ids(
    job: ImportJob, record_type: str, external: dict[int, str], outcome: BulkOutcome
) -> None:
    """Remember the file's external ids of the records written (one INSERT ... SELECT)."""
    external_ids, record_ids = [], []
    for row_number, external_id in external.items():
        linked_id: int | None = outcome.created.get(row_number) or (
            outcome.updated[row_number][0] if row_number in outcome.updated else None
        )
        if linked_id is not None:
            external_ids.append(external_id)
            record_ids.append(linked_id)
    if not external_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL(
                "INSERT INTO {} (record_type, external_id, record_id, job_id, created_at) "
                "SELECT %s, x, r, %s, %s FROM unnest(%s::text[], %s::bigint[]) AS u(x, r) "
                "ON CONFLICT DO NOTHING"
            ).format(sql.Identifier(ExternalRecordId._meta.db_table)),
            [record_type, job.pk, timezone.now(), external_ids, record_ids],
        )


def _consent_text(job: ImportJob) -> str:
    return str(
        (job.options or {}).get("consent_text")
        or _("Consent as recorded in the imported file “%(file)s”.") % {"file": job.original_name}
    )


def _save_imported(rows: list[tuple[Any, ...]]) -> None:
    from crm.actions.bulk import _copy, json_text

    _copy(
        ImportedRecord._meta.db_table,
        ("job_id", "record_type", "record_id", "created", "row_number", "previous"),
        (
            (job, rt, rid, created, rn, json_text(prev) if prev is not None else None)
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
    chunk: list[ConvertedRow] = []
    started = time.monotonic()
    try:
        for row in _rows_to_write(job, converter, rows, done):
            if row.record is not None:
                if row.source_name:
                    source_id = converter._source_id(row.source_name)
                    if source_id is not None:
                        row.record.fields["source_id"] = source_id
                converter.apply_responsible(row)
            chunk.append(row)
            if len(chunk) >= CHUNK_ROWS:
                job = _commit_chunk(job, chunk, done, acting_user, only_valid)
                done += len(chunk)
                chunk = []
                if job.status != ImportStatus.RUNNING:
                    return _stopped(job)
                if after_chunk is not None:
                    after_chunk(job)
        if chunk:
            job = _commit_chunk(job, chunk, done, acting_user, only_valid)
            done += len(chunk)
            if job.status != ImportStatus.RUNNING:
                return _stopped(job)
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
    ConvertedRows(job).discard()
    logger.info("import %s done: %s rows in %.1f s", job.pk, done, time.monotonic() - started)
    job.refresh_from_db()
    return job


def _stopped(job: ImportJob) -> ImportJob:
    """The run found the job cancelled: the check's converted rows are no longer needed."""
    if job.status == ImportStatus.CANCELLED:
        ConvertedRows(job).discard()
    return job


def _rows_to_write(
    job: ImportJob,
    converter: RowConverter,
    rows: Iterator[tuple[int, list[str]]] | None,
    done: int,
) -> Iterator[ConvertedRow]:
    """The file's rows after the first `done` (committed by an earlier run), converted.

    From the check's stored rows when they were made for this very file, mapping and
    workspace rules (ConvertedRows), else converted here.
    """
    stored = (
        None if rows is not None else ConvertedRows(job).read(converter.signature(job), skip=done)
    )
    if stored is not None:
        logger.info("import %s: reusing the check's converted rows", job.pk)
        yield from stored
        return
    seen = 0
    for row_number, cells in rows if rows is not None else iter_job_rows(job):
        seen += 1
        if seen <= done:
            continue
        yield converter.convert_cells(row_number, cells)


def _commit_chunk(
    job: ImportJob, chunk: list[ConvertedRow], start: int, acting_user: Any, only_valid: bool
) -> ImportJob:
    with transaction.atomic():
        # A chunk's commit need not wait for its WAL to reach the disk (a large flush per
        # chunk otherwise): a server crash can lose only whole chunks with their checkpoint
        # (rows_done), which the resumed run writes again, and the job's final commit
        # (status done, synchronous) flushes every chunk's WAL before it.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
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
