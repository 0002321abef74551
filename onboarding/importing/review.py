"""Reads the wizard's duplicates step needs beyond the check's counts: the matches row by row.

The check (engine.check_file) keeps counts of duplicates by kind; the wizard also lists
the first matches so a person can choose another action for a row. They are found the
way the run will find them (engine.RowConverter, engine.match_existing), over the first
rows of the file only, so the page stays quick on a file of a million rows.
"""

from dataclasses import dataclass

from django.urls import reverse

from crm.models import Company, Contact
from onboarding.importing.engine import (
    ConvertedRow,
    RowConverter,
    iter_job_rows,
    match_existing,
)
from onboarding.importing.models import ImportEntity, ImportJob

BATCH_ROWS = 500


@dataclass(frozen=True)
class DuplicateMatch:
    row_number: int  # the row of the file (as in the check's errors)
    kind: str  # "external_id", "email", "phone", "tax_number", or "in_file"
    value: str  # what matched (an address, a phone in E.164, ...)
    record_label: str  # the existing record ("" for a repeat within the file)
    record_url: str
    earlier_row: int | None  # for a repeat within the file: the row it repeats


def duplicate_matches(
    job: ImportJob, *, limit: int = 100, scan_rows: int = 20_000
) -> tuple[list[DuplicateMatch], bool]:
    """The first `limit` rows that match an existing record or an earlier row of the file.

    Looks at the first `scan_rows` data rows; the second value says whether the file was
    looked at only in part (so the page says the list is not complete).
    """
    converter = RowConverter(job)
    found: list[tuple[ConvertedRow, str, str, int | None, int | None]] = []
    first_row_of: dict[tuple[str, str], int] = {}
    batch: list[ConvertedRow] = []
    partial = False

    def flush() -> None:
        existing = match_existing(job.entity, batch) if batch else {}
        for row in batch:
            keys = row.match_keys()
            match = existing.get(row.row_number)
            if match is not None:
                record_id, kind = match
                value = next((v for k, v in keys if k == kind), "")
                found.append((row, kind, value, record_id, None))
            else:
                for key in keys:
                    if key in first_row_of:
                        found.append((row, "in_file", key[1], None, first_row_of[key]))
                        break
            for key in keys:
                first_row_of.setdefault(key, row.row_number)
        batch.clear()

    for scanned, (row_number, cells) in enumerate(iter_job_rows(job)):
        if len(found) >= limit:
            break
        if scanned >= scan_rows:
            partial = True
            break
        row = converter.convert(row_number, cells)
        if row.record is None:
            continue
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            flush()
    flush()
    return _labelled(job, found[:limit]), partial


def _labelled(
    job: ImportJob, found: list[tuple[ConvertedRow, str, str, int | None, int | None]]
) -> list[DuplicateMatch]:
    companies = job.entity == ImportEntity.COMPANIES
    model: type[Contact] | type[Company] = Company if companies else Contact
    ids = {record_id for _row, _kind, _value, record_id, _earlier in found if record_id}
    records = {record.pk: record for record in model.objects.filter(pk__in=ids)}
    detail = "crm_company_detail" if companies else "crm_contact_detail"
    matches = []
    for row, kind, value, record_id, earlier in found:
        record = records.get(record_id) if record_id else None
        if record is not None:
            label, url = record.display_name, reverse(detail, args=[record.pk])
        else:
            label, url = "", ""
        matches.append(
            DuplicateMatch(
                row_number=row.row_number,
                kind=kind,
                value=value,
                record_label=label,
                record_url=url,
                earlier_row=earlier,
            )
        )
    return matches
