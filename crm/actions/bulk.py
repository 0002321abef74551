"""Set-based writes of many contacts or companies at once, and their undo (the import's path).

The import engine (onboarding.importing) validates each row with crm.rules and
crm.custom_values, then hands a chunk of `BulkRecord`s here. Nothing is saved one row at
a time: record ids are taken from the table's sequence in one query, the records' final
values are COPied into a temporary staging table and written with one INSERT ... SELECT
(new records) and one UPDATE ... FROM (existing ones); phones, e-mails, messengers,
consents, notes and history rows are COPied straight into their tables; tags and
company links go in with INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING.

Updating never clears: an empty cell leaves the record's value alone, phones, e-mails,
messengers, tags and company links are added to what the record has. What an update
changed comes back in `BulkOutcome.updated` (the previous values, the children it
added), which is exactly what `bulk_undo` needs to put the record back.

The caller owns the transaction (the engine commits each chunk with its checkpoint) and
has checked the workspace is writable and the member may import. Records in one call
must not share an `existing_id` (the engine splits colliding rows into another call).
"""

import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from json import dumps as _json_dumps
from json.encoder import encode_basestring as _json_string
from typing import Any

from django.db import connection
from django.utils import timezone
from psycopg import sql

from crm import normalize
from crm.history import COMBINED, ChangeSource, combined_changes, json_value
from crm.models import (
    ChangeRecord,
    Company,
    ConsentRecord,
    ConsentSource,
    Contact,
    ContactCompany,
    Email,
    Messenger,
    Phone,
    RecordType,
    Tag,
)
from crm.models.timeline import Activity, ActivityKind

CONTACT_SCALARS = (
    "surname",
    "first_name",
    "patronymic",
    "form_of_address",
    "birthday",
    "position",
    "address",
    "pinned_note",
    "source_id",
    "responsible_id",
)
COMPANY_SCALARS = (
    "name",
    "legal_name",
    "tax_number",
    "industry",
    "headcount",
    "website",
    "pinned_note",
    "source_id",
    "responsible_id",
)
# Columns an update may change and undo puts back (beside `custom`).
_CONTACT_RESTORABLE = (
    *CONTACT_SCALARS,
    "consent_personal_data",
    "consent_advertising",
    "name_search",
    "updated_at",
)
_COMPANY_RESTORABLE = (*COMPANY_SCALARS, "addresses", "name_search", "updated_at")
_COLUMN_TYPES = {
    "birthday": "date",
    "source_id": "bigint",
    "responsible_id": "bigint",
    "headcount": "integer",
    "addresses": "jsonb",
    "updated_at": "timestamptz",
}
CONSENT_KINDS = ("personal_data", "advertising")


@dataclass
class BulkRecord:
    """One validated row: the values the file gives (empty ones left out)."""

    row_number: int
    existing_id: int | None = None
    # Standard scalars under their column names (CONTACT_SCALARS / COMPANY_SCALARS).
    fields: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    phones: list[tuple[str, str, str]] = field(default_factory=list)  # (e164, raw, label)
    emails: list[str] = field(default_factory=list)
    messengers: list[tuple[str, str]] = field(default_factory=list)  # (kind, handle)
    tags: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)  # companies
    company_name: str = ""  # contacts: linked company, found or created
    company_tax_number: str = ""
    consents: dict[str, str] = field(default_factory=dict)  # kind -> "given" | "withdrawn"
    note: str = ""


@dataclass
class BulkOutcome:
    created: dict[int, int] = field(default_factory=dict)  # row number -> new id
    # row number -> (id, previous): what undo restores and removes.
    updated: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    # Companies created for contacts' company columns: first row naming it -> id.
    companies_created: dict[int, int] = field(default_factory=dict)


def json_text(value: Any) -> str:
    """`value` as JSON text, for a jsonb column in COPY.

    COPY's text format is parsed by the server with the column's type, so a jsonb column
    takes the JSON text as it is: the same stored value as psycopg's Jsonb(value), without
    the adapter's per-value cost (a history chunk has hundreds of thousands of values).
    """
    kind = type(value)
    if value is None:
        return "null"
    if kind is str:
        return _json_string(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    # Compact and unescaped, as the strings above: less text for the server to parse.
    return _json_dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass
class _Context:
    acting_user_id: int | None
    source: ChangeSource
    label: str
    consent_text: str
    now: datetime
    changeset: uuid.UUID
    # (record type, id) -> its changes in this call, (field, old, new) in the order made.
    history: dict[tuple[str, int], list[tuple[str, Any, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The columns every history row of this call shares, after (type, id, field, old, new).
        self._shared = (
            self.acting_user_id,
            self.source.label[:200],
            self.source.via,
            str(self.changeset),
            self.now,
        )

    def change(self, record_type: str, record_id: int, name: str, old: Any, new: Any) -> None:
        self.history.setdefault((record_type, record_id), []).append((name, old, new))

    def history_rows(self) -> Iterator[tuple[Any, ...]]:
        """One ChangeRecord row per record: its change, or all of them in a COMBINED row.

        An import writes ~9 changes a record; a row each was most of the history's cost
        (the rows, their index, and the check of each row's actor at commit).
        """
        for (record_type, record_id), changes in self.history.items():
            if len(changes) == 1:
                name, old, new = changes[0]
                yield (record_type, record_id, name, json_text(old), json_text(new), *self._shared)
            else:
                combined = json_text(combined_changes(changes))
                yield (record_type, record_id, COMBINED, "null", combined, *self._shared)


# ---------------------------------------------------------------- low-level helpers


def _copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY `rows` into `table` (a model's table or a temporary one: names from code only)."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(name) for name in columns)
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _new_ids(table: str, count: int) -> list[int]:
    """`count` ids from the table's own sequence, in one query."""
    if count == 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _execute(statement: str | sql.Composable, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def _save_history(context: _Context) -> None:
    if context.history:
        _copy(
            ChangeRecord._meta.db_table,
            (
                "record_type",
                "record_id",
                "field",
                "old",
                "new",
                "actor_id",
                "actor_label",
                "via",
                "changeset",
                "at",
            ),
            context.history_rows(),
        )
        context.history = {}


def _history_name(column: str) -> str:
    return column.removesuffix("_id") if column in ("source_id", "responsible_id") else column


def _name_search(record_type: str, values: dict[str, Any]) -> str:
    if record_type == RecordType.CONTACT:
        return normalize.search_text(
            values.get("surname"),
            values.get("first_name"),
            values.get("patronymic"),
            values.get("form_of_address"),
        )
    return normalize.search_text(values.get("name"), values.get("legal_name"))


def _display_name(record_type: str, values: dict[str, Any]) -> str:
    if record_type == RecordType.CONTACT:
        parts = (values.get("surname"), values.get("first_name"), values.get("patronymic"))
        return " ".join(part for part in parts if part)
    return str(values.get("name") or "")


# ---------------------------------------------------------------- records


def _write_records(
    model: type[Contact] | type[Company], records: list[BulkRecord], context: _Context
) -> tuple[dict[int, int], dict[int, dict[str, Any]]]:
    """Insert the new records and update the existing ones; returns (ids, previous by id)."""
    record_type = RecordType.CONTACT if model is Contact else RecordType.COMPANY
    scalars = CONTACT_SCALARS if model is Contact else COMPANY_SCALARS
    restorable = _CONTACT_RESTORABLE if model is Contact else _COMPANY_RESTORABLE
    table = model._meta.db_table
    new_records = [record for record in records if record.existing_id is None]
    ids = dict(
        zip(
            (record.row_number for record in new_records),
            _new_ids(table, len(new_records)),
            strict=True,
        )
    )
    existing_ids = [record.existing_id for record in records if record.existing_id is not None]
    current: dict[int, dict[str, Any]] = {}
    if existing_ids:
        columns = [*restorable, "custom"]
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("SELECT id, {} FROM {} WHERE id = ANY(%s) ORDER BY id FOR UPDATE").format(
                    sql.SQL(", ").join(sql.Identifier(name) for name in columns),
                    sql.Identifier(table),
                ),
                [existing_ids],
            )
            for row in cursor.fetchall():
                values = dict(zip(columns, row[1:], strict=True))
                for name in ("custom", "addresses"):
                    if isinstance(values.get(name), str):
                        values[name] = json.loads(values[name])
                current[row[0]] = values

    stage_columns = [
        "id",
        "is_new",
        *scalars,
        "custom",
        "name_search",
        *(("consent_personal_data", "consent_advertising") if model is Contact else ()),
        *(("addresses",) if model is Company else ()),
    ]
    staged: list[tuple[Any, ...]] = []
    previous_by_id: dict[int, dict[str, Any]] = {}
    for record in records:
        consent_values = {
            f"consent_{kind}": record.consents[kind]
            for kind in CONSENT_KINDS
            if kind in record.consents
        }
        if record.existing_id is None:
            record_id = ids[record.row_number]
            values = {name: record.fields.get(name) for name in scalars}
            for name in scalars:
                if values[name] is None and name not in _COLUMN_TYPES:
                    values[name] = ""
            if values["responsible_id"] is None:
                values["responsible_id"] = context.acting_user_id
            values["custom"] = dict(record.custom)
            values["name_search"] = _name_search(record_type, values)
            values["consent_personal_data"] = consent_values.get("consent_personal_data", "")
            values["consent_advertising"] = consent_values.get("consent_advertising", "")
            values["addresses"] = [{"label": "", "text": text} for text in record.addresses]
            context.change(
                record_type, record_id, "record", None, _display_name(record_type, values)
            )
        else:
            record_id = record.existing_id
            before = current.get(record_id)
            if before is None:
                continue  # deleted meanwhile: nothing to update (the engine counts it skipped)
            values = dict(before)
            previous: dict[str, Any] = {"fields": {}, "custom_set": {}, "custom_unset": []}
            for name in scalars:
                new = record.fields.get(name)
                if new in (None, "") or new == before[name]:
                    continue
                values[name] = new
                previous["fields"][name] = json_value(before[name])
                context.change(
                    record_type,
                    record_id,
                    _history_name(name),
                    json_value(before[name]),
                    json_value(new),
                )
            custom = dict(before["custom"] or {})
            for key, new in record.custom.items():
                if custom.get(key) == new:
                    continue
                if key in custom:
                    previous["custom_set"][key] = custom[key]
                else:
                    previous["custom_unset"].append(key)
                context.change(record_type, record_id, f"custom.{key}", custom.get(key), new)
                custom[key] = new
            values["custom"] = custom
            for name, new in consent_values.items():
                if new != before[name]:
                    previous["fields"][name] = before[name]
                    values[name] = new
            if model is Company and record.addresses:
                known = {item.get("text") for item in before["addresses"] or []}
                added = [{"label": "", "text": t} for t in record.addresses if t not in known]
                if added:
                    values["addresses"] = [*(before["addresses"] or []), *added]
                    previous["fields"]["addresses"] = before["addresses"] or []
                    context.change(
                        record_type,
                        record_id,
                        "addresses",
                        before["addresses"],
                        values["addresses"],
                    )
            values["name_search"] = _name_search(record_type, values)
            if values["name_search"] != before["name_search"]:
                previous["fields"]["name_search"] = before["name_search"]
            previous["fields"]["updated_at"] = json_value(before["updated_at"])
            previous_by_id[record_id] = previous
        row = []
        for name in stage_columns:
            if name == "id":
                row.append(record_id)
            elif name == "is_new":
                row.append(record.existing_id is None)
            elif name in ("custom", "addresses"):
                row.append(json_text(values[name]))
            else:
                row.append(values[name])
        staged.append(tuple(row))

    stage = f"import_stage_{table}"
    _execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(stage)))
    _execute(
        sql.SQL(
            "CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {}, true AS is_new FROM {} WITH NO DATA"
        ).format(
            sql.Identifier(stage),
            sql.SQL(", ").join(sql.Identifier(name) for name in stage_columns if name != "is_new"),
            sql.Identifier(table),
        )
    )
    _copy(stage, stage_columns, staged)
    data_columns = [name for name in stage_columns if name not in ("id", "is_new")]
    _execute(
        sql.SQL(
            "INSERT INTO {table} (id, {columns}, created_by_id, created_at, updated_at) "
            "SELECT id, {columns}, %s, %s, %s FROM {stage} WHERE is_new ORDER BY id"
        ).format(
            table=sql.Identifier(table),
            stage=sql.Identifier(stage),
            columns=sql.SQL(", ").join(sql.Identifier(name) for name in data_columns),
        ),
        [context.acting_user_id, context.now, context.now],
    )
    if previous_by_id:
        _execute(
            sql.SQL(
                "UPDATE {table} AS t SET {sets}, updated_at = %s FROM {stage} AS s "
                "WHERE t.id = s.id AND NOT s.is_new"
            ).format(
                table=sql.Identifier(table),
                stage=sql.Identifier(stage),
                sets=sql.SQL(", ").join(
                    sql.SQL("{} = s.{}").format(sql.Identifier(name), sql.Identifier(name))
                    for name in data_columns
                ),
            ),
            [context.now],
        )
    return ids, previous_by_id


# ---------------------------------------------------------------- children


def _owner_column(model: type[Contact] | type[Company]) -> str:
    return "contact_id" if model is Contact else "company_id"


def _children_of(
    child: type[Phone] | type[Email] | type[Messenger],
    owner: str,
    columns: Sequence[str],
    owner_ids: list[int],
) -> list[tuple[Any, ...]]:
    """(owner id, *columns) of the child rows of `owner_ids`, in their order (position, id).

    One array parameter instead of thousands of IN placeholders.
    """
    if not owner_ids:
        return []
    return _execute(
        sql.SQL(
            "SELECT {owner}, {columns} FROM {table} WHERE {owner} = ANY(%s) ORDER BY position, id"
        ).format(
            owner=sql.Identifier(owner),
            columns=sql.SQL(", ").join(sql.Identifier(name) for name in columns),
            table=sql.Identifier(child._meta.db_table),
        ),
        [owner_ids],
    )


def _add_phones_and_emails(
    model: type[Contact] | type[Company],
    targets: list[tuple[int, BulkRecord]],
    previous: dict[int, dict[str, Any]],
    context: _Context,
) -> None:
    owner = _owner_column(model)
    record_type = RecordType.CONTACT if model is Contact else RecordType.COMPANY
    updated_ids = list(previous)
    phones_now: dict[int, list[tuple[str, str]]] = {}
    emails_now: dict[int, list[tuple[str, str]]] = {}
    if updated_ids:
        for record_id, e164, label in _children_of(Phone, owner, ("e164", "label"), updated_ids):
            phones_now.setdefault(record_id, []).append((e164, label))
        for record_id, address, folded in _children_of(
            Email, owner, ("address", "address_casefold"), updated_ids
        ):
            emails_now.setdefault(record_id, []).append((address, folded))
    phone_rows, email_rows = [], []
    for record_id, record in targets:
        had_phones = phones_now.get(record_id, [])
        known = {e164 for e164, _label in had_phones}
        added_phones = []
        for e164, raw, label in record.phones:
            if e164 in known:
                continue
            known.add(e164)
            phone_rows.append(
                (record_id, e164, raw, label, normalize.digits_of(e164)[::-1], len(known) - 1)
            )
            added_phones.append((e164, label))
        had_emails = emails_now.get(record_id, [])
        known_emails = {folded for _address, folded in had_emails}
        added_emails = []
        for address in record.emails:
            folded = normalize.casefold_email(address)
            if folded in known_emails:
                continue
            known_emails.add(folded)
            email_rows.append((record_id, address, folded, len(known_emails) - 1))
            added_emails.append(address)
        if record_id in previous:
            if added_phones:
                previous[record_id]["phones"] = [e164 for e164, _label in added_phones]
                context.change(
                    record_type,
                    record_id,
                    "phones",
                    sorted(f"{e} ({lb})" for e, lb in had_phones),
                    sorted(f"{e} ({lb})" for e, lb in [*had_phones, *added_phones]),
                )
            if added_emails:
                previous[record_id]["emails"] = [normalize.casefold_email(a) for a in added_emails]
                context.change(
                    record_type,
                    record_id,
                    "emails",
                    sorted(a for a, _f in had_emails),
                    sorted([*(a for a, _f in had_emails), *added_emails]),
                )
        elif record.phones or record.emails:
            if added_phones:
                context.change(
                    record_type,
                    record_id,
                    "phones",
                    None,
                    sorted(f"{e} ({lb})" for e, lb in added_phones),
                )
            if added_emails:
                context.change(record_type, record_id, "emails", None, sorted(added_emails))
    _copy(
        Phone._meta.db_table,
        (owner, "e164", "raw", "label", "digits_reversed", "position"),
        phone_rows,
    )
    _copy(Email._meta.db_table, (owner, "address", "address_casefold", "position"), email_rows)


def _add_messengers(
    targets: list[tuple[int, BulkRecord]], previous: dict[int, dict[str, Any]], context: _Context
) -> None:
    updated_ids = [
        record_id for record_id, record in targets if record_id in previous and record.messengers
    ]
    have: dict[int, list[tuple[str, str]]] = {}
    for record_id, kind, handle in _children_of(
        Messenger, "contact_id", ("kind", "handle"), updated_ids
    ):
        have.setdefault(record_id, []).append((kind, handle))
    rows = []
    for record_id, record in targets:
        had = have.get(record_id, [])
        known = set(had)
        added = []
        for kind, handle in record.messengers:
            if (kind, handle) in known:
                continue
            known.add((kind, handle))
            rows.append((record_id, kind, handle, len(known) - 1))
            added.append((kind, handle))
        if added:
            if record_id in previous:
                previous[record_id]["messengers"] = [f"{k}:{h}" for k, h in added]
            context.change(
                RecordType.CONTACT,
                record_id,
                "messengers",
                sorted(f"{k}: {h}" for k, h in had) if record_id in previous else None,
                sorted(f"{k}: {h}" for k, h in [*had, *added]),
            )
    _copy(Messenger._meta.db_table, ("contact_id", "kind", "handle", "position"), rows)


def _tag_ids(names: Iterable[str]) -> dict[str, int]:
    """Tag ids by case-folded name, creating the missing tags (one statement each way)."""
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(name.casefold(), name[:60])
    if not wanted:
        return {}
    table = Tag._meta.db_table
    _execute(
        sql.SQL(
            "INSERT INTO {} (name, created_at) SELECT unnest(%s::text[]), %s ON CONFLICT DO NOTHING"
        ).format(sql.Identifier(table)),
        [list(wanted.values()), timezone.now()],
    )
    found = _execute(
        sql.SQL("SELECT lower(name), id FROM {} WHERE lower(name) = ANY(%s)").format(
            sql.Identifier(table)
        ),
        [[name.lower() for name in wanted.values()]],
    )
    by_lower = dict(found)
    return {
        folded: by_lower[text.lower()]
        for folded, text in wanted.items()
        if text.lower() in by_lower
    }


def _add_tags(
    model: type[Contact] | type[Company],
    targets: list[tuple[int, BulkRecord]],
    previous: dict[int, dict[str, Any]],
    context: _Context,
) -> None:
    ids = _tag_ids(name for _id, record in targets for name in record.tags)
    if not ids:
        return
    through = model.tags.through._meta.db_table
    owner = _owner_column(model)
    owners, tags = [], []
    for record_id, record in targets:
        for name in record.tags:
            tag_id = ids.get(name.casefold())
            if tag_id is not None:
                owners.append(record_id)
                tags.append(tag_id)
    added = _execute(
        sql.SQL(
            "INSERT INTO {through} ({owner}, tag_id) "
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[]) ON CONFLICT DO NOTHING "
            "RETURNING {owner}, tag_id"
        ).format(through=sql.Identifier(through), owner=sql.Identifier(owner)),
        [owners, tags],
    )
    by_record: dict[int, list[int]] = {}
    for record_id, tag_id in added:
        by_record.setdefault(record_id, []).append(tag_id)
    names = dict(Tag.objects.filter(pk__in=set(tags)).values_list("pk", "name"))
    record_type = RecordType.CONTACT if model is Contact else RecordType.COMPANY
    for record_id, tag_ids in by_record.items():
        if record_id in previous:
            previous[record_id]["tags"] = tag_ids
        context.change(record_type, record_id, "tags", None, sorted(names[t] for t in tag_ids))


def _link_companies(
    targets: list[tuple[int, BulkRecord]],
    previous: dict[int, dict[str, Any]],
    context: _Context,
    outcome: BulkOutcome,
) -> None:
    """Link contacts to the companies their rows name (by tax number, then name)."""
    wanted = [
        (record_id, record)
        for record_id, record in targets
        if record.company_name or record.company_tax_number
    ]
    if not wanted:
        return
    taxes = {record.company_tax_number for _id, record in wanted if record.company_tax_number}
    names = {record.company_name.casefold() for _id, record in wanted if record.company_name}
    by_tax: dict[str, int] = {}
    by_name: dict[str, int] = {}
    for pk, tax in (
        Company.objects.filter(archived_at__isnull=True)
        .filter(tax_number__in=taxes)
        .values_list("pk", "tax_number")
        .order_by("pk")
    ):
        by_tax.setdefault(tax, pk)
    for pk, folded in _execute(
        sql.SQL(
            "SELECT id, lower(name) FROM {} WHERE archived_at IS NULL AND lower(name) = ANY(%s) "
            "ORDER BY id"
        ).format(sql.Identifier(Company._meta.db_table)),
        [[name.lower() for name in names]],
    ):
        by_name.setdefault(folded, pk)
    to_create: list[BulkRecord] = []
    pending: dict[str, BulkRecord] = {}
    for _id, record in wanted:
        key = record.company_tax_number or record.company_name.casefold()
        found = (by_tax.get(record.company_tax_number) if record.company_tax_number else None) or (
            by_name.get(record.company_name.lower()) if record.company_name else None
        )
        if found is None and key not in pending:
            company = BulkRecord(
                row_number=record.row_number,
                fields={
                    "name": record.company_name or record.company_tax_number,
                    "tax_number": record.company_tax_number,
                    "responsible_id": record.fields.get("responsible_id"),
                },
            )
            pending[key] = company
            to_create.append(company)
    if to_create:
        created, _previous = _write_records(Company, to_create, context)
        for key, company in pending.items():
            company_id = created[company.row_number]
            outcome.companies_created[company.row_number] = company_id
            if company.fields["tax_number"]:
                by_tax[company.fields["tax_number"]] = company_id
            by_name.setdefault(str(company.fields["name"]).lower(), company_id)
            del key
    contacts, companies, positions = [], [], []
    for record_id, record in wanted:
        found_id = (
            by_tax.get(record.company_tax_number) if record.company_tax_number else None
        ) or by_name.get(record.company_name.lower())
        if found_id is None:
            continue
        company_id = found_id
        contacts.append(record_id)
        companies.append(company_id)
        positions.append(str(record.fields.get("position") or "")[:150])
    added = _execute(
        sql.SQL(
            "INSERT INTO {} (contact_id, company_id, position, created_at) "
            "SELECT c, k, p, %s FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS u(c, k, p) "
            "ON CONFLICT DO NOTHING RETURNING contact_id, company_id, position"
        ).format(sql.Identifier(ContactCompany._meta.db_table)),
        [context.now, contacts, companies, positions],
    )
    for contact_id, company_id, position in added:
        if contact_id in previous:
            previous[contact_id].setdefault("companies", []).append(company_id)
        context.change(
            RecordType.CONTACT, contact_id, "companies", None, [f"{company_id}:{position}"]
        )


def _add_consents(targets: list[tuple[int, BulkRecord]], context: _Context) -> None:
    rows = [
        (
            record_id,
            kind,
            status,
            context.now,
            ConsentSource.IMPORT,
            context.consent_text,
            context.acting_user_id,
            context.label[:200],
            context.now,
        )
        for record_id, record in targets
        for kind, status in record.consents.items()
    ]
    _copy(
        ConsentRecord._meta.db_table,
        (
            "contact_id",
            "kind",
            "status",
            "at",
            "source",
            "text_version",
            "recorded_by_id",
            "recorded_by_label",
            "created_at",
        ),
        rows,
    )


def _add_notes(
    model: type[Contact] | type[Company], targets: list[tuple[int, BulkRecord]], context: _Context
) -> None:
    owner = _owner_column(model)
    rows = [
        (
            uuid.uuid4(),
            ActivityKind.NOTE,
            record_id,
            context.now,
            "",
            "",
            record.note,
            "",
            "",
            "",
            "{}",
            "",
            "",
            "",
            context.acting_user_id,
            context.label[:200],
            normalize.search_text(record.note)[:10_000],
            context.now,
            context.now,
        )
        for record_id, record in targets
        if record.note
    ]
    _copy(
        Activity._meta.db_table,
        (
            "uuid",
            "kind",
            owner,
            "occurred_at",
            "direction",
            "subject",
            "text",
            "number",
            "currency",
            "status",
            "details",
            "file",
            "file_name",
            "file_type",
            "author_id",
            "author_label",
            "search_text",
            "created_at",
            "updated_at",
        ),
        rows,
    )


# ---------------------------------------------------------------- public


def _upsert(
    model: type[Contact] | type[Company],
    records: Sequence[BulkRecord],
    *,
    acting_user: Any,
    source: ChangeSource,
    consent_text: str,
) -> BulkOutcome:
    context = _Context(
        acting_user_id=getattr(acting_user, "pk", None),
        source=source,
        label=source.label,
        consent_text=consent_text,
        now=timezone.now(),
        changeset=uuid.uuid4(),
    )
    outcome = BulkOutcome()
    records = list(records)
    if not records:
        return outcome
    ids, previous = _write_records(model, records, context)
    targets: list[tuple[int, BulkRecord]] = []
    for record in records:
        if record.existing_id is None:
            targets.append((ids[record.row_number], record))
            outcome.created[record.row_number] = ids[record.row_number]
        elif record.existing_id in previous:
            targets.append((record.existing_id, record))
    _add_phones_and_emails(model, targets, previous, context)
    _add_tags(model, targets, previous, context)
    if model is Contact:
        _add_messengers(targets, previous, context)
        _link_companies(targets, previous, context, outcome)
        _add_consents(targets, context)
    _add_notes(model, targets, context)
    _save_history(context)
    for record in records:
        if record.existing_id is not None and record.existing_id in previous:
            outcome.updated[record.row_number] = (record.existing_id, previous[record.existing_id])
    return outcome


def bulk_upsert_contacts(
    records: Sequence[BulkRecord], *, acting_user: Any, source: ChangeSource, consent_text: str = ""
) -> BulkOutcome:
    """Create the records without `existing_id`, update those with one; set-based.

    `source.label` (e.g. "import #12 · clients.csv") marks the history, the consents
    (recorded_by_label) and the notes (author_label) this call writes, so `bulk_undo`
    finds them. Runs in the caller's transaction.
    """
    return _upsert(
        Contact, records, acting_user=acting_user, source=source, consent_text=consent_text
    )


def bulk_upsert_companies(
    records: Sequence[BulkRecord], *, acting_user: Any, source: ChangeSource
) -> BulkOutcome:
    """As bulk_upsert_contacts, for companies (no messengers, consents or company links)."""
    return _upsert(Company, records, acting_user=acting_user, source=source, consent_text="")


# ---------------------------------------------------------------- undo


_CHILD_TABLES = {
    Contact: (Phone, Email, Messenger, ConsentRecord, ContactCompany),
    Company: (Phone, Email, ContactCompany),
}


def _ids_table(name: str, ids: Iterable[int]) -> str:
    """A temporary table `name` (id bigint primary key) holding `ids`, analysed; its name."""
    _execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
    _execute(
        sql.SQL("CREATE TEMP TABLE {} (id bigint PRIMARY KEY) ON COMMIT DROP").format(
            sql.Identifier(name)
        )
    )
    _copy(name, ("id",), ((pk,) for pk in ids))
    _execute(sql.SQL("ANALYZE {}").format(sql.Identifier(name)))
    return name


def _referenced_elsewhere(
    model: type[Contact] | type[Company], ids_table: str, label: str
) -> set[int]:
    """Ids in `ids_table` that something other than their own children points to.

    Timeline entries not written by this import, deals, tasks and whatever later models
    refer to a client: such records are archived by undo instead of deleted, so nothing
    people added since the import is lost. One semi-join per referring table.
    """
    kept: set[int] = set()
    children = set(_CHILD_TABLES[model])
    for relation in model._meta.related_objects:
        related = relation.related_model
        if related in children or related is model or relation.many_to_many:
            continue
        column = str(relation.field.column)
        statement = sql.SQL(
            "SELECT DISTINCT r.{column} FROM {table} AS r JOIN {ids} AS i ON i.id = r.{column}"
        ).format(
            column=sql.Identifier(column),
            table=sql.Identifier(related._meta.db_table),
            ids=sql.Identifier(ids_table),
        )
        params: list[Any] = []
        if related is Activity:
            statement = statement + sql.SQL(" WHERE r.author_label IS DISTINCT FROM %s")
            params.append(label)
        kept |= {row[0] for row in _execute(statement, params)}
    return kept


def _delete_joined(
    table: str, column: str, ids_table: str, extra: str = "", params: Sequence[Any] = ()
) -> None:
    """DELETE the rows of `table` whose `column` is in `ids_table` (and `extra`, code only)."""
    _execute(
        sql.SQL("DELETE FROM {table} AS c USING {ids} AS i WHERE c.{column} = i.id{extra}").format(
            table=sql.Identifier(table),
            ids=sql.Identifier(ids_table),
            column=sql.Identifier(column),
            extra=sql.SQL(extra),
        ),
        params,
    )


def _delete_import_notes(owner: str, ids_table: str, label: str) -> None:
    """The import's notes on these records, with whatever cascades from a timeline entry."""
    notes = sql.SQL(
        "SELECT a.id FROM {activity} AS a JOIN {ids} AS i ON i.id = a.{owner} "
        "WHERE a.author_label = %s"
    ).format(
        activity=sql.Identifier(Activity._meta.db_table),
        ids=sql.Identifier(ids_table),
        owner=sql.Identifier(owner),
    )
    for relation in Activity._meta.related_objects:
        if relation.many_to_many:
            continue
        _execute(
            sql.SQL("DELETE FROM {table} WHERE {column} IN ({notes})").format(
                table=sql.Identifier(relation.related_model._meta.db_table),
                column=sql.Identifier(str(relation.field.column)),
                notes=notes,
            ),
            [label],
        )
    _delete_joined(Activity._meta.db_table, owner, ids_table, " AND c.author_label = %s", [label])


def bulk_undo(
    *,
    record_type: str,
    created_ids: Sequence[int],
    updated: Sequence[tuple[int, dict[str, Any]]],
    acting_user: Any,
    source: ChangeSource,
) -> dict[str, int]:
    """Take back what bulk_upsert_* wrote under `source.label`; set-based.

    Created records are deleted with their phones, e-mails, messengers, consents, tags,
    company links and the import's notes (a record that has gained anything else since,
    such as a call or a deal, is archived instead). Updated records get their previous
    values back and lose the phones, e-mails, messengers, tags and links the import
    added; the import's consents and notes go. Every change is written to the history.
    Returns {"deleted": n, "archived": n, "restored": n}.

    The ids go into temporary tables and every step is one statement joined to them
    (no ORM collector walking relations row by row).
    """
    model: type[Contact] | type[Company] = Contact if record_type == RecordType.CONTACT else Company
    owner = _owner_column(model)
    table = model._meta.db_table
    label = source.label
    context = _Context(
        acting_user_id=getattr(acting_user, "pk", None),
        source=source,
        label=label,
        consent_text="",
        now=timezone.now(),
        changeset=uuid.uuid4(),
    )
    created = list(dict.fromkeys(created_ids))
    touched = _ids_table(
        "import_undo_touched", dict.fromkeys([*created, *(pk for pk, _p in updated)])
    )
    _delete_import_notes(owner, touched, label)
    if model is Contact:
        _delete_joined(
            ConsentRecord._meta.db_table,
            "contact_id",
            touched,
            " AND c.recorded_by_label = %s",
            [label],
        )
    restored = _restore_updated(model, updated, context)
    if not created:
        _save_history(context)
        return {"deleted": 0, "archived": 0, "restored": restored}
    created_table = _ids_table("import_undo_created", created)
    kept = _referenced_elsewhere(model, created_table, label)
    name_columns = ("name",) if model is Company else ("surname", "first_name", "patronymic")
    names = {
        row[0]: _display_name(record_type, dict(zip(name_columns, row[1:], strict=True)))
        for row in _execute(
            sql.SQL(
                "SELECT t.id, {columns} FROM {table} AS t JOIN {ids} AS i ON i.id = t.id"
            ).format(
                columns=sql.SQL(", ").join(
                    sql.SQL("t.{}").format(sql.Identifier(c)) for c in name_columns
                ),
                table=sql.Identifier(table),
                ids=sql.Identifier(created_table),
            )
        )
    }
    if kept:
        _execute(
            sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(sql.Identifier(created_table)),
            [list(kept)],
        )
    doomed = [pk for pk in created if pk not in kept]
    for child in _CHILD_TABLES[model]:
        _delete_joined(child._meta.db_table, owner, created_table)
    _delete_joined(model.tags.through._meta.db_table, owner, created_table)
    _execute(
        sql.SQL(
            "UPDATE {table} AS t SET merged_into_id = NULL FROM {ids} AS i "
            "WHERE t.merged_into_id = i.id"
        ).format(table=sql.Identifier(table), ids=sql.Identifier(created_table))
    )
    _delete_joined(table, "id", created_table)
    if kept:
        _execute(
            sql.SQL(
                "UPDATE {} SET archived_at = %s, updated_at = %s "
                "WHERE id = ANY(%s) AND archived_at IS NULL"
            ).format(sql.Identifier(table)),
            [context.now, context.now, sorted(kept)],
        )
    for pk in doomed:
        context.change(record_type, pk, "record", names.get(pk), None)
    for pk in kept:
        context.change(record_type, pk, "archived_at", None, json_value(context.now))
    _save_history(context)
    return {"deleted": len(doomed), "archived": len(kept), "restored": restored}


def _restore_updated(
    model: type[Contact] | type[Company],
    updated: Sequence[tuple[int, dict[str, Any]]],
    context: _Context,
) -> int:
    if not updated:
        return 0
    record_type = RecordType.CONTACT if model is Contact else RecordType.COMPANY
    table = model._meta.db_table
    owner = _owner_column(model)
    stage = f"import_undo_{table}"
    _execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(stage)))
    _execute(
        sql.SQL("CREATE TEMP TABLE {} (id bigint PRIMARY KEY, prev jsonb) ON COMMIT DROP").format(
            sql.Identifier(stage)
        )
    )
    _copy(stage, ("id", "prev"), ((pk, json_text(previous)) for pk, previous in updated))
    _execute(sql.SQL("ANALYZE {}").format(sql.Identifier(stage)))
    # History first: the values now (before putting the old ones back).
    restorable = _CONTACT_RESTORABLE if model is Contact else _COMPANY_RESTORABLE
    columns = ["custom", *restorable]
    now_values: dict[int, dict[str, Any]] = {}
    for row in _execute(
        sql.SQL("SELECT t.id, {columns} FROM {table} AS t JOIN {stage} AS s ON s.id = t.id").format(
            columns=sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in columns),
            table=sql.Identifier(table),
            stage=sql.Identifier(stage),
        )
    ):
        values = dict(zip(columns, row[1:], strict=True))
        for name in ("custom", "addresses"):
            if isinstance(values.get(name), str):
                values[name] = json.loads(values[name])
        now_values[row[0]] = values
    for pk, previous in updated:
        current = now_values.get(pk)
        if current is None:
            continue
        for name, old in previous.get("fields", {}).items():
            if name in ("updated_at", "name_search"):
                continue
            context.change(record_type, pk, _history_name(name), json_value(current[name]), old)
        for key, old in previous.get("custom_set", {}).items():
            context.change(
                record_type, pk, f"custom.{key}", (current["custom"] or {}).get(key), old
            )
        for key in previous.get("custom_unset", []):
            context.change(
                record_type, pk, f"custom.{key}", (current["custom"] or {}).get(key), None
            )
    names = {name for _pk, previous in updated for name in previous.get("fields", {})}
    # One pass over the records: each restorable column takes its previous value where
    # the import changed it; custom values get their old keys back, new keys dropped.
    assignments: list[sql.Composable] = [
        sql.SQL(
            "{column} = CASE WHEN s.prev->'fields' ? {name} "
            "THEN (s.prev->'fields'{getter}{name})::{cast} ELSE t.{column} END"
        ).format(
            column=sql.Identifier(name),
            name=sql.Literal(name),
            getter=sql.SQL("->" if _COLUMN_TYPES.get(name) == "jsonb" else "->>"),
            cast=sql.SQL(_COLUMN_TYPES.get(name, "text")),
        )
        for name in sorted(names & set(restorable))
    ]
    assignments.append(
        sql.SQL(
            "custom = (t.custom || COALESCE(s.prev->'custom_set', '{}'))"
            " - COALESCE(ARRAY(SELECT jsonb_array_elements_text(s.prev->'custom_unset')), '{}')"
        )
    )
    _execute(
        sql.SQL("UPDATE {table} AS t SET {assignments} FROM {stage} AS s WHERE t.id = s.id").format(
            table=sql.Identifier(table),
            stage=sql.Identifier(stage),
            assignments=sql.SQL(", ").join(assignments),
        )
    )
    children = [
        (Phone._meta.db_table, "e164", "phones"),
        (Email._meta.db_table, "address_casefold", "emails"),
        (model.tags.through._meta.db_table, "tag_id", "tags"),
    ]
    if model is Contact:
        children += [
            (Messenger._meta.db_table, "c.kind || ':' || c.handle", "messengers"),
            (ContactCompany._meta.db_table, "company_id", "companies"),
        ]
    for child_table, column, key in children:
        value = sql.SQL(column) if " " in column else sql.SQL("c.{}").format(sql.Identifier(column))
        _execute(
            sql.SQL(
                "DELETE FROM {child} AS c USING {stage} AS s WHERE c.{owner} = s.id "
                "AND s.prev ? %s AND {value}::text IN "
                "(SELECT jsonb_array_elements_text(s.prev->%s))"
            ).format(
                child=sql.Identifier(child_table),
                stage=sql.Identifier(stage),
                owner=sql.Identifier(owner),
                value=value,
            ),
            [key, key],
        )
        for pk, previous in updated:
            if previous.get(key):
                context.change(record_type, pk, key, previous[key], None)
    _save_history(context)
    return len(updated)
