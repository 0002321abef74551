"""The check validates each row once: the run reuses its converted rows, unless something
they depend on changed since (then it converts the rows itself, as before)."""

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from crm.actions.custom_fields import create_custom_field
from crm.models import Contact, SourceChannel
from onboarding.importing import actions, engine
from onboarding.importing.models import ImportStatus
from tests.onboarding.importing.engine_helpers import check, csv_bytes, map_by_header, start, upload

HEADERS = ["Фамилия", "Имя", "Телефон", "Email", "Дата рождения", "Источник", "Скидка"]
TARGETS = {
    "Фамилия": "surname",
    "Имя": "first_name",
    "Телефон": "phone",
    "Email": "email",
    "Дата рождения": "birthday",
    "Источник": "source",
    "Скидка": "custom.discount",
}
ROWS = [
    ["Иванова", "Анна", "8 (916) 123-45-67", "anna@example.com", "31.12.1990", "Выставка", "5"],
    ["Петров", "Олег", "+7 916 765-43-21", "oleg@example.com", "", "", "7"],
    ["", "", "не телефон", "", "", "", ""],
]


@pytest.fixture
def discount(owner: Any) -> None:
    create_custom_field(
        acting_user=owner,
        entity="contact",
        field_type="integer",
        labels={"ru": "Скидка"},
        key="discount",
    )


def _checked(owner: Any, capture: Any) -> Any:
    job = upload(owner, csv_bytes(HEADERS, ROWS))
    job = map_by_header(owner, job, TARGETS)
    return check(owner, job, capture)


def _refuse_conversion(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the run converted a row again")

    monkeypatch.setattr(engine.RowConverter, "convert_cells", refuse)


def test_the_run_writes_the_checks_rows_without_converting_again(
    owner, discount, django_capture_on_commit_callbacks, monkeypatch
):
    job = _checked(owner, django_capture_on_commit_callbacks)
    stored = engine.ConvertedRows(job).path
    assert stored is not None
    assert stored.exists()
    _refuse_conversion(monkeypatch)
    # Options chosen after the check (the wizard's order) keep the stored rows usable.
    job = start(owner, job, django_capture_on_commit_callbacks, responsible_id=owner.pk)
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.failed_count) == (2, 1)
    anna = Contact.objects.get(surname="Иванова")
    assert anna.birthday == dt.date(1990, 12, 31)
    assert anna.custom == {"discount": 5}
    assert anna.responsible_id == owner.pk
    assert list(anna.phones.values_list("e164", flat=True)) == ["+79161234567"]
    # The source the check did not create is created by the run.
    assert anna.source_id == SourceChannel.objects.get(name="Выставка").pk
    assert not stored.exists()  # removed once the import is done


def test_a_changed_custom_field_makes_the_run_convert_again(
    owner, discount, django_capture_on_commit_callbacks
):
    job = _checked(owner, django_capture_on_commit_callbacks)
    create_custom_field(
        acting_user=owner,
        entity="contact",
        field_type="text",
        labels={"ru": "Город"},
        key="city",
        required=True,
    )
    job = start(owner, job, django_capture_on_commit_callbacks)
    # The new required field fails every row: the stored (older) rows were not used.
    assert (job.created_count, job.failed_count) == (0, 3)


def test_stored_rows_of_another_file_are_not_used(
    owner, discount, django_capture_on_commit_callbacks, monkeypatch
):
    job = _checked(owner, django_capture_on_commit_callbacks)
    path = Path(job.file.path)
    path.write_bytes(csv_bytes(HEADERS, ROWS[:1]))
    job = start(owner, job, django_capture_on_commit_callbacks)
    assert (job.rows_done, job.created_count) == (1, 1)


def test_a_resumed_run_reads_the_stored_rows_after_its_checkpoint(
    owner, discount, django_capture_on_commit_callbacks, monkeypatch
):
    job = _checked(owner, django_capture_on_commit_callbacks)
    actions.set_import_options(owner, job, on_duplicate="update", only_valid=True)
    monkeypatch.setattr(engine, "CHUNK_ROWS", 1)
    first = engine.ConvertedRows(job).read(
        engine.RowConverter(job, create_sources=True).signature(job), skip=1
    )
    assert first is not None
    assert [row.row_number for row in first] == [3, 4]
    _refuse_conversion(monkeypatch)
    stopped: list[int] = []

    def stop_after_first(current: Any) -> None:
        stopped.append(current.rows_done)
        raise KeyboardInterrupt  # a worker gone after its first chunk committed

    job.status = ImportStatus.QUEUED
    job.save(update_fields=["status"])
    with pytest.raises(KeyboardInterrupt):
        engine.run_import(job.pk, after_chunk=stop_after_first)
    assert stopped == [1]
    job = engine.run_import(job.pk)
    assert job.status == ImportStatus.DONE
    assert (job.rows_done, job.created_count, job.failed_count) == (3, 2, 1)
    assert Contact.objects.count() == 2
