"""Helpers for the custom field tests: a record table of our own, so the engine's
set-based rewrites are tested without depending on the contact and company models."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, models

from crm.entities import ENTITY_MODELS


class ProbeRecord(models.Model):
    """A stand-in record with a `custom` JSONB column (table made per test, rolled back)."""

    name = models.CharField(max_length=50, default="")
    custom = models.JSONField(default=dict)

    class Meta:
        app_label = "crm"
        db_table = "crm_test_probe_record"
        managed = False

    def __str__(self) -> str:
        return self.name


@contextmanager
def probe_entity(monkeypatch, entity: str = "deal") -> Iterator[type[ProbeRecord]]:  # type: ignore[no-untyped-def]
    """Register ProbeRecord as the model of `entity` and create its table in this schema."""
    monkeypatch.setitem(ENTITY_MODELS, entity, "crm.ProbeRecord")
    with connection.schema_editor() as editor:
        editor.create_model(ProbeRecord)
    yield ProbeRecord
