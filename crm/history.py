"""Snapshots of a contact or company as history sees it, and the change records between them.

An action takes `snapshot(record)` before and after its change and `record_changes`
writes one ChangeRecord per field that differs, in the action's transaction. Values are
JSON: scalars as they are (dates as ISO text, foreign keys as ids), collections
(phones, e-mails, tags, messengers, companies/contacts) as sorted lists of text, custom
fields as "custom.<key>". Reconstructing a past state walks the records back from the
present one (crm.selectors.history.record_state_at).

Bulk writes (the import, crm.actions.bulk) store all the changes one call made to one
record in a single row: field COMBINED, `new` = {"changes": [[field, old, new], ...]} in
the order they were made. An import of 100,000 rows made ~9 rows each otherwise. Every
reader goes through `expand_combined`, which gives back one ChangeRecord per change, as
if each had been written alone, so nobody reading history sees the difference.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from crm.models import ChangeRecord, ChangeVia, Company, Contact, RecordType

CONTACT_FIELDS = (
    "surname",
    "first_name",
    "patronymic",
    "form_of_address",
    "birthday",
    "position",
    "address",
    "source",
    "responsible",
    "pinned_note",
    "archived_at",
)
COMPANY_FIELDS = (
    "name",
    "legal_name",
    "tax_number",
    "industry",
    "headcount",
    "website",
    "addresses",
    "source",
    "responsible",
    "pinned_note",
    "archived_at",
)
FOREIGN_KEYS = ("source", "responsible")
# The field of a row that holds several changes of one record (see the module).
COMBINED = "*"
CONTACT_COLLECTIONS = ("phones", "emails", "messengers", "tags", "companies")
COMPANY_COLLECTIONS = ("phones", "emails", "tags", "contacts")


@dataclass(frozen=True)
class ChangeSource:
    """Through what a change came, and who beside the member made it.

    `via`: form, api, import, merge or system. `label`: an API key's name or an
    import's id, shown in the history instead of (or beside) the member.
    """

    via: str = ChangeVia.FORM
    label: str = ""


FORM = ChangeSource(ChangeVia.FORM)
API = ChangeSource(ChangeVia.API)
SYSTEM = ChangeSource(ChangeVia.SYSTEM)


@dataclass
class Changeset:
    """The changes of one action: one actor, one source, one moment, one id."""

    actor: Any
    source: ChangeSource
    at: datetime = field(default_factory=timezone.now)
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    pending: list[ChangeRecord] = field(default_factory=list)

    def add(self, record_type: str, record_id: int, name: str, old: Any, new: Any) -> None:
        self.pending.append(
            ChangeRecord(
                record_type=record_type,
                record_id=record_id,
                field=name,
                old=old,
                new=new,
                actor=self.actor if getattr(self.actor, "pk", None) else None,
                actor_label=self.source.label[:200],
                via=self.source.via,
                changeset=self.id,
                at=self.at,
            )
        )

    def diff(
        self, record_type: str, record_id: int, before: dict[str, Any], after: dict[str, Any]
    ) -> int:
        """Queue one change per field whose value differs; returns how many."""
        changed = 0
        for name in sorted(set(before) | set(after)):
            old, new = before.get(name), after.get(name)
            if old != new:
                self.add(record_type, record_id, name, old, new)
                changed += 1
        return changed

    def save(self) -> None:
        if self.pending:
            ChangeRecord.objects.bulk_create(self.pending)
            self.pending = []


def json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def record_type_of(record: Contact | Company) -> str:
    return RecordType.CONTACT if isinstance(record, Contact) else RecordType.COMPANY


def snapshot(record: Contact | Company) -> dict[str, Any]:
    """The record as history compares it (a few queries for its collections)."""
    state: dict[str, Any] = {}
    names = CONTACT_FIELDS if isinstance(record, Contact) else COMPANY_FIELDS
    for name in names:
        value = getattr(record, f"{name}_id") if name in FOREIGN_KEYS else getattr(record, name)
        state[name] = json_value(value)
    state["phones"] = sorted(f"{p.e164} ({p.label})" for p in record.phones.all())
    state["emails"] = sorted(e.address for e in record.emails.all())
    state["tags"] = sorted(t.name for t in record.tags.all())
    if isinstance(record, Contact):
        state["messengers"] = sorted(f"{m.kind}: {m.handle}" for m in record.messengers.all())
        state["companies"] = sorted(
            f"{link.company_id}:{link.position}" for link in record.company_links.all()
        )
    else:
        state["contacts"] = sorted(
            f"{link.contact_id}:{link.position}" for link in record.contact_links.all()
        )
    for key, value in (record.custom or {}).items():
        state[f"custom.{key}"] = value
    return state


def combined_changes(changes: list[tuple[str, Any, Any]]) -> dict[str, Any]:
    """The `new` value of a COMBINED row holding `changes` ((field, old, new), in order)."""
    return {"changes": [[name, old, new] for name, old, new in changes]}


def expand_combined(records: Iterable[ChangeRecord]) -> list[ChangeRecord]:
    """`records` (newest first) with each COMBINED row replaced by its changes, newest first.

    The changes come back as unsaved ChangeRecords sharing the row's id, record, actor
    (and its loaded member, if any), source, changeset and time.
    """
    expanded: list[ChangeRecord] = []
    actor_field = ChangeRecord._meta.get_field("actor")
    for record in records:
        if record.field != COMBINED:
            expanded.append(record)
            continue
        actor = record.actor if actor_field.is_cached(record) else None
        changes = (record.new or {}).get("changes") or []
        for name, old, new in reversed(changes):
            change = ChangeRecord(
                id=record.id,
                record_type=record.record_type,
                record_id=record.record_id,
                field=name,
                old=old,
                new=new,
                actor_id=record.actor_id,
                actor_label=record.actor_label,
                via=record.via,
                changeset=record.changeset,
                at=record.at,
            )
            if actor is not None:
                actor_field.set_cached_value(change, actor)
            expanded.append(change)
    return expanded
