"""Helpers of the import engine tests: files, the wizard's steps through the real actions."""

import csv
import io
from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from onboarding.importing import actions, engine
from onboarding.importing.models import ImportJob, ImportStatus


def csv_bytes(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ";",
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(headers)
    writer.writerows([[("" if v is None else str(v)) for v in row] for row in rows])
    return buffer.getvalue().encode(encoding)


def upload(
    user: Any, content: bytes, *, name: str = "clients.csv", entity: str = "contacts"
) -> ImportJob:
    return actions.upload_import(
        user, entity=entity, uploaded_file=SimpleUploadedFile(name, content, "text/csv")
    )


def map_by_header(user: Any, job: ImportJob, targets: dict[str, str | None]) -> ImportJob:
    mapping = {index: targets.get(header) for index, header in enumerate(job.headers)}
    return actions.set_import_mapping(user, job, mapping=mapping)


def check(user: Any, job: ImportJob, capture: Any) -> ImportJob:
    with capture(execute=True):
        actions.check_import(user, job)
    job.refresh_from_db()
    return job


def start(user: Any, job: ImportJob, capture: Any, **options: Any) -> ImportJob:
    options.setdefault("on_duplicate", "update")
    options.setdefault("only_valid", True)
    actions.set_import_options(user, job, **options)
    with capture(execute=True):
        actions.start_import(user, job)
    job.refresh_from_db()
    return job


def import_file(
    user: Any,
    content: bytes,
    targets: dict[str, str | None],
    capture: Any,
    *,
    name: str = "clients.csv",
    entity: str = "contacts",
    **options: Any,
) -> ImportJob:
    """Upload, map, check and run: the wizard's whole path."""
    job = upload(user, content, name=name, entity=entity)
    job = map_by_header(user, job, targets)
    job = check(user, job, capture)
    assert job.status == ImportStatus.CHECKED, job.failure
    job = start(user, job, capture, **options)
    return job


__all__ = ["engine"]
