"""What an export reads: the columns of each entity and its rows, in chunks of ids.

Reads go through crm's own selectors (the access rule and the lists' ClientFilter), so an
export selects exactly what the list shows. Rows are read by keyset over the primary key
(`id > last ORDER BY id LIMIT n`) as plain tuples, and each chunk's children (phones,
e-mails, tags, companies, messengers) in one set-based query each: memory stays that of one
chunk whatever the size of the workspace, and no query runs per row.

Values come out typed for the writers (onboarding.exporting.writers): text, int, Decimal,
date, datetime (naive, in the workspace's time zone), bool, None. Headers are in the
active language: call inside translation.override(job.language).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from crm.custom_values import workspace_timezone
from crm.models import (
    Activity,
    ActivityKind,
    Company,
    ConsentStatus,
    Contact,
    ContactCompany,
    CustomField,
    Deal,
    DealStatus,
    Direction,
    Email,
    Entity,
    FieldType,
    Messenger,
    MessengerKind,
    Phone,
    RecordType,
    Task,
    TaskOrigin,
    TaskPriority,
    TaskStatus,
)
from crm.selectors.access import sees_all_clients
from crm.selectors.custom_fields import active_custom_fields
from crm.selectors.lists import ClientFilter, filtered_companies, filtered_contacts
from onboarding.exporting.models import ExportEntity
from onboarding.exporting.writers import Column, ColumnKind

CHUNK_SIZE = 5_000
JOIN = ", "

T = ColumnKind


@dataclass
class ExportSource:
    """One entity's export: its columns, and a way to count and to read its rows."""

    columns: list[Column]
    records: QuerySet[Any]
    read_chunk: Callable[[list[tuple[Any, ...]]], list[list[Any]]]
    fields: Sequence[str]

    def count(self) -> int:
        return self.records.order_by().count()

    def rows(self, chunk_size: int = CHUNK_SIZE) -> Iterator[list[Any]]:
        """Every row, in id order, `chunk_size` records per query."""
        last_id = 0
        while True:
            chunk = list(
                self.records.filter(pk__gt=last_id)
                .order_by("pk")
                .values_list(*self.fields)[:chunk_size]
            )
            if not chunk:
                return
            yield from self.read_chunk(chunk)
            last_id = chunk[-1][0]
            if len(chunk) < chunk_size:
                return


# ---------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------


class _Clock:
    """Aware datetimes to naive ones in the workspace's time zone (spreadsheets have none)."""

    def __init__(self) -> None:
        self.zone = workspace_timezone()

    def __call__(self, moment: dt.datetime | None) -> dt.datetime | None:
        if moment is None:
            return None
        # astimezone directly: timezone.localtime's checks cost more than this, per cell.
        return moment.astimezone(self.zone).replace(tzinfo=None, microsecond=0)


def _person(full_name: str | None, email: str | None) -> str:
    return full_name or email or ""


def _contact_name(surname: str | None, first: str | None, patronymic: str | None) -> str:
    return " ".join(part for part in (surname, first, patronymic) if part)


def _label(choices: Any, value: str) -> str:
    if not value:
        return ""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _labels(choices: Any) -> Callable[[str], str]:
    """value -> its label in the active language, translated once per export (a lookup
    per cell, not a lazy translation per cell)."""
    names = {value: str(label) for value, label in choices.choices}
    return lambda value: names.get(value, value) if value else ""


class _Labels:
    """Choice labels of one export, in its language."""

    def __init__(self) -> None:
        self.consent = _labels(ConsentStatus)
        self.deal_status = _labels(DealStatus)
        self.activity_kind = _labels(ActivityKind)
        self.direction = _labels(Direction)
        self.task_priority = _labels(TaskPriority)
        self.task_status = _labels(TaskStatus)
        self.task_origin = _labels(TaskOrigin)


def _grouped(rows: Any) -> dict[int, list[str]]:
    """(owner id, text) pairs in order -> owner id -> texts."""
    result: dict[int, list[str]] = defaultdict(list)
    for owner_id, text in rows:
        if text:
            result[owner_id].append(str(text))
    return result


def _joined_by_owner(
    model: Any, owner: str, text: str, order: str, ids: list[int], join: str = ""
) -> dict[int, str]:
    """owner id -> its children's `text` joined with ", " in `order`, for the owners `ids`.

    One query, aggregated by PostgreSQL, the ids sent as one array parameter (an ORM
    `__in` of thousands of ids costs more to build than to run). Table and column names
    come from this module, never from input.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    sql = (
        f"SELECT {owner}, string_agg({text}, %s ORDER BY {order}) "  # noqa: S608
        f"FROM {table} {join} WHERE {owner} = ANY(%s) GROUP BY {owner}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [JOIN, ids])
        return dict(cursor.fetchall())


def _custom_columns(fields: list[CustomField]) -> list[Column]:
    columns = []
    for field in fields:
        kind = field.field_type
        if kind == FieldType.INTEGER:
            columns.append(Column(field.label, T.INTEGER))
        elif kind == FieldType.DECIMAL:
            columns.append(Column(field.label, T.DECIMAL))
        elif kind == FieldType.MONEY:
            columns.append(Column(field.label, T.DECIMAL))
            columns.append(Column(_("%(field)s, currency") % {"field": field.label}, width=8))
        elif kind == FieldType.DATE:
            columns.append(Column(field.label, T.DATE))
        elif kind == FieldType.DATETIME:
            columns.append(Column(field.label, T.DATETIME))
        elif kind == FieldType.BOOLEAN:
            columns.append(Column(field.label, T.BOOLEAN, width=8))
        else:
            columns.append(Column(field.label))
    return columns


class _CustomCells:
    """A record's custom values as typed cells, one converter per field made once (this
    runs for every field of every row). A value an older definition stored in another
    shape is written as text rather than lost."""

    def __init__(self, fields: list[CustomField], clock: _Clock):
        self.converters: list[tuple[str, bool, Callable[[Any], Any]]] = [
            (field.key, field.field_type == FieldType.MONEY, _converter(field, clock))
            for field in fields
        ]

    def __call__(self, values: dict[str, Any] | None) -> list[Any]:
        values = values or {}
        cells: list[Any] = []
        for key, is_money, convert in self.converters:
            stored = values.get(key)
            if is_money:
                if isinstance(stored, dict):
                    cells.append(_decimal(stored.get("amount")))
                    cells.append(str(stored.get("currency") or ""))
                else:
                    cells.extend([None if stored is None else str(stored), ""])
            elif stored is None or stored == "" or stored == []:
                cells.append(None)
            else:
                cells.append(convert(stored))
        return cells


def _decimal(value: Any) -> Decimal | str | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return str(value)


def _converter(field: CustomField, clock: _Clock) -> Callable[[Any], Any]:
    """How one field's stored (non-empty) value becomes a cell."""
    kind = field.field_type
    if kind == FieldType.INTEGER:
        return lambda v: v if isinstance(v, int) and not isinstance(v, bool) else str(v)
    if kind == FieldType.DECIMAL:
        return _decimal
    if kind == FieldType.DATE:
        return lambda v: (parse_date(v) if isinstance(v, str) else None) or str(v)
    if kind == FieldType.DATETIME:

        def moment(value: Any) -> Any:
            try:
                return clock(dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")))
            except ValueError:
                return str(value)

        return moment
    if kind == FieldType.BOOLEAN:
        return lambda v: v if isinstance(v, bool) else str(v)
    if kind in (FieldType.SINGLE_CHOICE, FieldType.MULTIPLE_CHOICE):
        labels = {choice["key"]: field.choice_label(choice["key"]) for choice in field.choices}
        if kind == FieldType.SINGLE_CHOICE:
            return lambda v: labels.get(v, str(v))
        return lambda v: JOIN.join(
            labels.get(key, str(key)) for key in (v if isinstance(v, list) else [v])
        )
    return str


# ---------------------------------------------------------------------------------
# Contacts
# ---------------------------------------------------------------------------------

_CONTACT_FIELDS = (
    "id",
    "surname",
    "first_name",
    "patronymic",
    "form_of_address",
    "birthday",
    "position",
    "address",
    "responsible__full_name",
    "responsible__email",
    "source__name",
    "consent_personal_data",
    "consent_advertising",
    "pinned_note",
    "created_at",
    "updated_at",
    "last_contact_at",
    "archived_at",
    "custom",
)


def _contacts(user: Any, filters: dict[str, Any]) -> ExportSource:
    fields = active_custom_fields(Entity.CONTACT)
    clock = _Clock()
    labels = _Labels()
    custom_cells = _CustomCells(fields, clock)
    columns = [
        Column("ID", T.INTEGER, 8),
        Column(_("Surname")),
        Column(_("First name")),
        Column(_("Patronymic")),
        Column(_("Preferred form of address")),
        Column(_("Phones"), width=22),
        Column(_("E-mails"), width=26),
        Column(_("Messengers")),
        Column(_("Birthday"), T.DATE),
        Column(_("Position")),
        Column(_("Companies"), width=26),
        Column(_("Address"), width=30),
        Column(_("Tags")),
        Column(_("Responsible manager")),
        Column(_("Source")),
        Column(_("Consent to personal data processing")),
        Column(_("Consent to advertising mailings")),
        Column(_("Pinned note"), width=30),
        Column(_("Created"), T.DATETIME),
        Column(_("Updated"), T.DATETIME),
        Column(_("Last contact"), T.DATETIME),
        Column(_("Archived"), T.DATETIME),
        *_custom_columns(fields),
    ]
    messenger_names = dict(MessengerKind.choices)

    def read_chunk(chunk: list[tuple[Any, ...]]) -> list[list[Any]]:
        ids = [row[0] for row in chunk]
        phones = _joined_by_owner(Phone, "contact_id", "e164", "position, id", ids)
        emails = _joined_by_owner(Email, "contact_id", "address", "position, id", ids)
        messengers = _grouped(
            (owner, f"{messenger_names.get(kind, kind)}: {handle}")
            for owner, kind, handle in Messenger.objects.filter(
                contact_id__gte=ids[0], contact_id__lte=ids[-1]
            )
            .order_by("contact_id", "position", "id")
            .values_list("contact_id", "kind", "handle")
        )
        tags = _joined_by_owner(
            Contact.tags.through,
            "contact_id",
            "crm_tag.name",
            "crm_tag.name",
            ids,
            join="JOIN crm_tag ON crm_tag.id = tag_id",
        )
        companies = _joined_by_owner(
            ContactCompany,
            "contact_id",
            "crm_company.name",
            "crm_contactcompany.id",
            ids,
            join="JOIN crm_company ON crm_company.id = company_id",
        )
        rows = []
        for (
            pk,
            surname,
            first_name,
            patronymic,
            form_of_address,
            birthday,
            position,
            address,
            responsible_name,
            responsible_email,
            source,
            consent_pd,
            consent_ad,
            pinned_note,
            created_at,
            updated_at,
            last_contact_at,
            archived_at,
            custom,
        ) in chunk:
            rows.append(
                [
                    pk,
                    surname,
                    first_name,
                    patronymic,
                    form_of_address,
                    phones.get(pk),
                    emails.get(pk),
                    JOIN.join(messengers.get(pk, ())),
                    birthday,
                    position,
                    companies.get(pk),
                    address,
                    tags.get(pk),
                    _person(responsible_name, responsible_email),
                    source,
                    labels.consent(consent_pd),
                    labels.consent(consent_ad),
                    pinned_note,
                    clock(created_at),
                    clock(updated_at),
                    clock(last_contact_at),
                    clock(archived_at),
                    *custom_cells(custom),
                ]
            )
        return rows

    records = filtered_contacts(user, ClientFilter.from_dict(filters))
    return ExportSource(columns, records, read_chunk, _CONTACT_FIELDS)


# ---------------------------------------------------------------------------------
# Companies
# ---------------------------------------------------------------------------------

_COMPANY_FIELDS = (
    "id",
    "name",
    "legal_name",
    "tax_number",
    "industry",
    "headcount",
    "website",
    "addresses",
    "responsible__full_name",
    "responsible__email",
    "source__name",
    "pinned_note",
    "created_at",
    "updated_at",
    "last_contact_at",
    "archived_at",
    "custom",
)


def _addresses(value: Any) -> str:
    if not isinstance(value, list):
        return str(value or "")
    texts = []
    for item in value:
        if isinstance(item, dict):
            texts.append(str(item.get("text") or ""))
        elif item:
            texts.append(str(item))
    return "; ".join(text for text in texts if text)


def _companies(user: Any, filters: dict[str, Any]) -> ExportSource:
    fields = active_custom_fields(Entity.COMPANY)
    clock = _Clock()
    custom_cells = _CustomCells(fields, clock)
    columns = [
        Column("ID", T.INTEGER, 8),
        Column(_("Name"), width=26),
        Column(_("Legal name"), width=26),
        # Text: a tax number's leading zeros count.
        Column(_("Tax number"), width=14),
        Column(_("Industry")),
        Column(_("Headcount"), T.INTEGER, 10),
        Column(_("Website"), width=24),
        Column(_("Addresses"), width=30),
        Column(_("Phones"), width=22),
        Column(_("E-mails"), width=26),
        Column(_("Tags")),
        Column(_("Responsible manager")),
        Column(_("Source")),
        Column(_("Pinned note"), width=30),
        Column(_("Created"), T.DATETIME),
        Column(_("Updated"), T.DATETIME),
        Column(_("Last contact"), T.DATETIME),
        Column(_("Archived"), T.DATETIME),
        *_custom_columns(fields),
    ]

    def read_chunk(chunk: list[tuple[Any, ...]]) -> list[list[Any]]:
        ids = [row[0] for row in chunk]
        phones = _joined_by_owner(Phone, "company_id", "e164", "position, id", ids)
        emails = _joined_by_owner(Email, "company_id", "address", "position, id", ids)
        tags = _joined_by_owner(
            Company.tags.through,
            "company_id",
            "crm_tag.name",
            "crm_tag.name",
            ids,
            join="JOIN crm_tag ON crm_tag.id = tag_id",
        )
        rows = []
        for (
            pk,
            name,
            legal_name,
            tax_number,
            industry,
            headcount,
            website,
            addresses,
            responsible_name,
            responsible_email,
            source,
            pinned_note,
            created_at,
            updated_at,
            last_contact_at,
            archived_at,
            custom,
        ) in chunk:
            rows.append(
                [
                    pk,
                    name,
                    legal_name,
                    tax_number,
                    industry,
                    headcount,
                    website,
                    _addresses(addresses),
                    phones.get(pk),
                    emails.get(pk),
                    tags.get(pk),
                    _person(responsible_name, responsible_email),
                    source,
                    pinned_note,
                    clock(created_at),
                    clock(updated_at),
                    clock(last_contact_at),
                    clock(archived_at),
                    *custom_cells(custom),
                ]
            )
        return rows

    records = filtered_companies(user, ClientFilter.from_dict(filters))
    return ExportSource(columns, records, read_chunk, _COMPANY_FIELDS)


# ---------------------------------------------------------------------------------
# Deals, timeline entries, tasks: the Exports page's simple filters
# ---------------------------------------------------------------------------------


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _day(value: Any) -> dt.date | None:
    try:
        return parse_date(str(value)) if value else None
    except ValueError:
        return None


def _date_range(records: QuerySet[Any], column: str, filters: dict[str, Any]) -> QuerySet[Any]:
    """`column` (a datetime) on or after date_from and on or before date_to, by the
    workspace's calendar."""
    zone = workspace_timezone()
    start, end = _day(filters.get("date_from")), _day(filters.get("date_to"))
    if start:
        moment = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
        records = records.filter(**{f"{column}__gte": moment})
    if end:
        moment = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        records = records.filter(**{f"{column}__lt": moment})
    return records


def _visible_client_q(user: Any, prefix: str = "") -> Q:
    """Records linked to no client, or to a client `user` may see (the crm access rule)."""
    if sees_all_clients(user):
        return Q()
    contacts = filtered_contacts(user, ClientFilter(archived="all")).values("pk")
    companies = filtered_companies(user, ClientFilter(archived="all")).values("pk")
    return (Q(**{f"{prefix}contact__isnull": True}) | Q(**{f"{prefix}contact__in": contacts})) & (
        Q(**{f"{prefix}company__isnull": True}) | Q(**{f"{prefix}company__in": companies})
    )


_DEAL_FIELDS = (
    "id",
    "title",
    "pipeline__name",
    "stage__name",
    "status",
    "amount",
    "currency",
    "expected_close_date",
    "contact__surname",
    "contact__first_name",
    "contact__patronymic",
    "company__name",
    "responsible__full_name",
    "responsible__email",
    "loss_reason__name",
    "loss_comment",
    "closed_at",
    "created_at",
    "updated_at",
    "archived_at",
    "custom",
)


def deal_records(user: Any, filters: dict[str, Any]) -> QuerySet[Deal]:
    """The deals an export selects: pipeline, status, created between; archived left out."""
    records = Deal.objects.filter(archived_at__isnull=True).filter(_visible_client_q(user))
    pipeline = _int_or_none(filters.get("pipeline"))
    if pipeline:
        records = records.filter(pipeline_id=pipeline)
    if filters.get("status") in DealStatus.values:
        records = records.filter(status=filters["status"])
    return _date_range(records, "created_at", filters)


def _deals(user: Any, filters: dict[str, Any]) -> ExportSource:
    fields = active_custom_fields(Entity.DEAL)
    clock = _Clock()
    labels = _Labels()
    custom_cells = _CustomCells(fields, clock)
    columns = [
        Column("ID", T.INTEGER, 8),
        Column(_("Title"), width=30),
        Column(_("Pipeline")),
        Column(_("Stage")),
        Column(_("Status"), width=10),
        Column(_("Amount"), T.DECIMAL, 12),
        Column(_("Currency"), width=8),
        Column(_("Expected close date"), T.DATE),
        Column(_("Contact"), width=26),
        Column(_("Company"), width=26),
        Column(_("Responsible manager")),
        Column(_("Tags")),
        Column(_("Loss reason")),
        Column(_("Loss comment"), width=30),
        Column(_("Closed"), T.DATETIME),
        Column(_("Created"), T.DATETIME),
        Column(_("Updated"), T.DATETIME),
        *_custom_columns(fields),
    ]

    def read_chunk(chunk: list[tuple[Any, ...]]) -> list[list[Any]]:
        ids = [row[0] for row in chunk]
        tags = _joined_by_owner(
            Deal.tags.through,
            "deal_id",
            "crm_tag.name",
            "crm_tag.name",
            ids,
            join="JOIN crm_tag ON crm_tag.id = tag_id",
        )
        rows = []
        for (
            pk,
            title,
            pipeline,
            stage,
            status,
            amount,
            currency,
            expected_close,
            surname,
            first_name,
            patronymic,
            company,
            responsible_name,
            responsible_email,
            loss_reason,
            loss_comment,
            closed_at,
            created_at,
            updated_at,
            _archived_at,
            custom,
        ) in chunk:
            rows.append(
                [
                    pk,
                    title,
                    pipeline,
                    stage,
                    labels.deal_status(status),
                    amount,
                    currency,
                    expected_close,
                    _contact_name(surname, first_name, patronymic),
                    company,
                    _person(responsible_name, responsible_email),
                    tags.get(pk),
                    loss_reason,
                    loss_comment,
                    clock(closed_at),
                    clock(created_at),
                    clock(updated_at),
                    *custom_cells(custom),
                ]
            )
        return rows

    return ExportSource(columns, deal_records(user, filters), read_chunk, _DEAL_FIELDS)


_ACTIVITY_FIELDS = (
    "id",
    "occurred_at",
    "kind",
    "direction",
    "subject",
    "text",
    "number",
    "amount",
    "currency",
    "status",
    "duration_seconds",
    "contact__surname",
    "contact__first_name",
    "contact__patronymic",
    "company__name",
    "deal__title",
    "author__full_name",
    "author__email",
    "author_label",
    "file_name",
    "created_at",
)


def activity_records(user: Any, filters: dict[str, Any]) -> QuerySet[Activity]:
    """The timeline entries an export selects: kind, happened between; archived left out."""
    records = Activity.objects.filter(archived_at__isnull=True).filter(_visible_client_q(user))
    if filters.get("kind") in ActivityKind.values:
        records = records.filter(kind=filters["kind"])
    return _date_range(records, "occurred_at", filters)


def _activities(user: Any, filters: dict[str, Any]) -> ExportSource:
    clock = _Clock()
    labels = _Labels()
    columns = [
        Column("ID", T.INTEGER, 8),
        Column(_("When"), T.DATETIME),
        Column(_("Type"), width=12),
        Column(_("Direction"), width=12),
        Column(_("Subject"), width=30),
        Column(_("Text"), width=40),
        Column(_("Number"), width=14),
        Column(_("Amount"), T.DECIMAL, 12),
        Column(_("Currency"), width=8),
        Column(_("Status")),
        Column(_("Duration, seconds"), T.INTEGER, 10),
        Column(_("Contact"), width=26),
        Column(_("Company"), width=26),
        Column(_("Deal"), width=26),
        Column(_("Author")),
        Column(_("File")),
        Column(_("Created"), T.DATETIME),
    ]

    def read_chunk(chunk: list[tuple[Any, ...]]) -> list[list[Any]]:
        return [
            [
                pk,
                clock(occurred_at),
                labels.activity_kind(kind),
                labels.direction(direction),
                subject,
                text,
                number,
                amount,
                currency,
                status,
                duration,
                _contact_name(surname, first_name, patronymic),
                company,
                deal,
                _person(author_name, author_email) or author_label,
                file_name,
                clock(created_at),
            ]
            for (
                pk,
                occurred_at,
                kind,
                direction,
                subject,
                text,
                number,
                amount,
                currency,
                status,
                duration,
                surname,
                first_name,
                patronymic,
                company,
                deal,
                author_name,
                author_email,
                author_label,
                file_name,
                created_at,
            ) in chunk
        ]

    return ExportSource(columns, activity_records(user, filters), read_chunk, _ACTIVITY_FIELDS)


_TASK_FIELDS = (
    "id",
    "title",
    "description",
    "priority",
    "status",
    "due_at",
    "due_date",
    "due_has_time",
    "assignee__full_name",
    "assignee__email",
    "contact__surname",
    "contact__first_name",
    "contact__patronymic",
    "company__name",
    "deal__title",
    "result",
    "completed_at",
    "origin",
    "created_at",
)


def task_records(user: Any, filters: dict[str, Any]) -> QuerySet[Task]:
    """The tasks an export selects: status, assignee, due between; archived left out."""
    records = Task.objects.filter(archived_at__isnull=True).filter(_visible_client_q(user))
    if filters.get("status") in TaskStatus.values:
        records = records.filter(status=filters["status"])
    assignee = _int_or_none(filters.get("assignee"))
    if assignee:
        records = records.filter(assignee_id=assignee)
    return _date_range(records, "due_at", filters)


def _tasks(user: Any, filters: dict[str, Any]) -> ExportSource:
    clock = _Clock()
    labels = _Labels()
    columns = [
        Column("ID", T.INTEGER, 8),
        Column(_("Title"), width=30),
        Column(_("Description"), width=40),
        Column(_("Priority"), width=10),
        Column(_("Status"), width=10),
        Column(_("Due date"), T.DATE),
        Column(_("Due time"), T.DATETIME),
        Column(_("Assignee")),
        Column(_("Contact"), width=26),
        Column(_("Company"), width=26),
        Column(_("Deal"), width=26),
        Column(_("Result"), width=30),
        Column(_("Completed"), T.DATETIME),
        Column(_("Origin")),
        Column(_("Created"), T.DATETIME),
    ]

    def read_chunk(chunk: list[tuple[Any, ...]]) -> list[list[Any]]:
        return [
            [
                pk,
                title,
                description,
                labels.task_priority(priority),
                labels.task_status(status),
                due_date,
                clock(due_at) if due_has_time else None,
                _person(assignee_name, assignee_email),
                _contact_name(surname, first_name, patronymic),
                company,
                deal,
                result,
                clock(completed_at),
                labels.task_origin(origin),
                clock(created_at),
            ]
            for (
                pk,
                title,
                description,
                priority,
                status,
                due_at,
                due_date,
                due_has_time,
                assignee_name,
                assignee_email,
                surname,
                first_name,
                patronymic,
                company,
                deal,
                result,
                completed_at,
                origin,
                created_at,
            ) in chunk
        ]

    return ExportSource(columns, task_records(user, filters), read_chunk, _TASK_FIELDS)


_SOURCES: dict[str, Callable[[Any, dict[str, Any]], ExportSource]] = {
    ExportEntity.CONTACTS: _contacts,
    ExportEntity.COMPANIES: _companies,
    ExportEntity.DEALS: _deals,
    ExportEntity.ACTIVITIES: _activities,
    ExportEntity.TASKS: _tasks,
}

CLIENT_ENTITIES: dict[str, str] = {
    ExportEntity.CONTACTS: RecordType.CONTACT,
    ExportEntity.COMPANIES: RecordType.COMPANY,
}


def export_source(user: Any, entity: str, filters: dict[str, Any] | None = None) -> ExportSource:
    """What exporting `entity` with `filters` reads, as `user` may see it."""
    return _SOURCES[entity](user, filters or {})


def export_count(user: Any, entity: str, filters: dict[str, Any] | None = None) -> int:
    """How many records the export would write (one COUNT query)."""
    return export_source(user, entity, filters).count()


# ---------------------------------------------------------------------------------
# How a filter reads (the export's record and the confirmation page)
# ---------------------------------------------------------------------------------


def describe_client_filter(entity: str, filters: ClientFilter, segment_name: str = "") -> str:
    """A list filter as people read it, in the active language ("" for everything)."""
    from crm.models import SourceChannel, Tag
    from tenants.members.models import User

    parts: list[str] = []
    if segment_name:
        parts.append(_("segment “%(name)s”") % {"name": segment_name})
    if filters.responsible:
        names = [
            _person(name, email)
            for name, email in User.objects.filter(pk__in=filters.responsible).values_list(
                "full_name", "email"
            )
        ]
        parts.append(_("responsible: %(names)s") % {"names": JOIN.join(sorted(names))})
    if filters.tags:
        names = list(Tag.objects.filter(pk__in=filters.tags).values_list("name", flat=True))
        parts.append(_("tags: %(names)s") % {"names": JOIN.join(sorted(names))})
    if filters.sources:
        names = list(
            SourceChannel.objects.filter(pk__in=filters.sources).values_list("name", flat=True)
        )
        parts.append(_("sources: %(names)s") % {"names": JOIN.join(sorted(names))})
    consent_states = {**dict(ConsentStatus.choices), "none": _("Never asked")}
    if filters.consent_personal_data:
        state = consent_states.get(filters.consent_personal_data, filters.consent_personal_data)
        parts.append(_("personal data consent: %(state)s") % {"state": state})
    if filters.consent_advertising:
        state = consent_states.get(filters.consent_advertising, filters.consent_advertising)
        parts.append(_("advertising consent: %(state)s") % {"state": state})
    if filters.created_from:
        parts.append(_("created from %(date)s") % {"date": filters.created_from.isoformat()})
    if filters.created_to:
        parts.append(_("created until %(date)s") % {"date": filters.created_to.isoformat()})
    if filters.archived == "archived":
        parts.append(_("archived only"))
    elif filters.archived == "all":
        parts.append(_("archived included"))
    if filters.company:
        name = Company.objects.filter(pk=filters.company).values_list("name", flat=True).first()
        parts.append(_("company: %(name)s") % {"name": name or filters.company})
    record_type = CLIENT_ENTITIES.get(entity, RecordType.CONTACT)
    by_key = {field.key: field for field in active_custom_fields(record_type)}
    for condition in filters.custom:
        field = by_key.get(condition.key)
        parts.append(str(field.label if field else condition.key))
    return "; ".join(parts)


def describe_simple_filter(entity: str, filters: dict[str, Any]) -> str:
    """The Exports page's filters for deals, timeline entries and tasks, readable."""
    from crm.models import Pipeline
    from tenants.members.models import User

    parts: list[str] = []
    pipeline = _int_or_none(filters.get("pipeline"))
    if entity == ExportEntity.DEALS and pipeline:
        name = Pipeline.objects.filter(pk=pipeline).values_list("name", flat=True).first()
        parts.append(_("pipeline: %(name)s") % {"name": name or pipeline})
    if entity == ExportEntity.DEALS and filters.get("status") in DealStatus.values:
        parts.append(_label(DealStatus, filters["status"]))
    if entity == ExportEntity.ACTIVITIES and filters.get("kind") in ActivityKind.values:
        parts.append(_label(ActivityKind, filters["kind"]))
    if entity == ExportEntity.TASKS and filters.get("status") in TaskStatus.values:
        parts.append(_label(TaskStatus, filters["status"]))
    assignee = _int_or_none(filters.get("assignee"))
    if entity == ExportEntity.TASKS and assignee:
        found = User.objects.filter(pk=assignee).values_list("full_name", "email").first()
        parts.append(_("assignee: %(name)s") % {"name": _person(*found) if found else assignee})
    if _day(filters.get("date_from")):
        parts.append(_("from %(date)s") % {"date": filters["date_from"]})
    if _day(filters.get("date_to")):
        parts.append(_("until %(date)s") % {"date": filters["date_to"]})
    return "; ".join(parts)
