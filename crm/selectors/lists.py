"""Contact and company lists: filters, sorting, pagination, "to complete".

A list runs a fixed number of queries whatever its page size: the settings row, the
count, the page, and one prefetch per collection shown (phones, e-mails, tags, company
links). Filters are a ClientFilter, the same object a saved segment stores
(`to_dict` / `from_dict`), and the API and the pages build.
"""

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, F, Min, OuterRef, Q, QuerySet
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_date

from crm.models import Company, Contact, ContactCompany, Email, Messenger, Phone, RecordType
from crm.selectors import row_loading
from crm.selectors.access import visible_companies, visible_contacts
from crm.selectors.custom_fields import (
    FilterOp,
    active_custom_fields,
    custom_field_by_key,
    custom_field_filter,
    custom_field_order,
    records_missing_required_custom,
    required_standard_fields,
)

CUSTOM_OPERATORS = ("eq", "any_of", "any", "range", "empty", "not_empty", "contains")
CONSENT_STATES = ("given", "withdrawn", "none")
ARCHIVED_STATES = ("active", "archived", "all")

CONTACT_SORTS = {
    "created_at": ("created_at", "id"),
    "updated_at": ("updated_at", "id"),
    "last_contact_at": ("last_contact_at", "id"),
    "name": ("surname", "first_name", "patronymic", "id"),
    "surname": ("surname", "first_name", "id"),
    "first_name": ("first_name", "surname", "id"),
    "birthday": ("birthday", "id"),
    "position": ("position", "id"),
    "responsible": ("responsible__full_name", "responsible__email", "id"),
    "source": ("source__name", "id"),
    "consent_personal_data": ("consent_personal_data", "id"),
    "consent_advertising": ("consent_advertising", "id"),
}
COMPANY_SORTS = {
    "created_at": ("created_at", "id"),
    "updated_at": ("updated_at", "id"),
    "last_contact_at": ("last_contact_at", "id"),
    "name": ("name", "id"),
    "legal_name": ("legal_name", "id"),
    "tax_number": ("tax_number", "id"),
    "industry": ("industry", "id"),
    "headcount": ("headcount", "id"),
    "website": ("website", "id"),
    "responsible": ("responsible__full_name", "responsible__email", "id"),
    "source": ("source__name", "id"),
}
DEFAULT_SORT = "-created_at"
MAX_PER_PAGE = 200
# Lists count exactly up to here and then say "2000+": an exact count of 100,000 rows
# costs a scan of them all on every page, and nobody pages that far.
COUNT_LIMIT = 2_000


@dataclass
class CustomCondition:
    """One condition on a custom field: eq, any_of, range (min/max), empty, not_empty, contains."""

    key: str
    op: str = "eq"
    value: Any = None
    values: list[Any] = field(default_factory=list)
    min: Any = None
    max: Any = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "op": self.op}
        if self.op in ("eq", "contains"):
            data["value"] = self.value
        elif self.op == "any_of":
            data["values"] = list(self.values)
        elif self.op == "range":
            data["min"], data["max"] = self.min, self.max
        return data


@dataclass
class ClientFilter:
    """What a contact or company list is narrowed to. Empty means everything visible."""

    responsible: list[int] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)
    consent_personal_data: str = ""
    consent_advertising: str = ""
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    # "No contact for more than N days" (never contacted included) and a last-contact range.
    no_contact_days: int | None = None
    last_contact_from: dt.date | None = None
    last_contact_to: dt.date | None = None
    archived: str = "active"
    company: int | None = None
    custom: list[CustomCondition] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ClientFilter":
        """Read a filter from a segment, a query string or an API call; ignores unknown keys
        and unreadable values rather than failing."""

        def ids(value: Any) -> list[int]:
            if value in (None, ""):
                return []
            items = value if isinstance(value, list | tuple) else str(value).split(",")
            result = []
            for item in items:
                try:
                    result.append(int(item))
                except (TypeError, ValueError):
                    continue
            return result

        def day(value: Any) -> dt.date | None:
            if isinstance(value, dt.date):
                return value
            try:
                return parse_date(str(value)) if value else None
            except ValueError:
                return None

        conditions = []
        for item in data.get("custom") or []:
            if not isinstance(item, dict) or not item.get("key"):
                continue
            op = str(item.get("op") or "eq")
            if op not in CUSTOM_OPERATORS:
                continue
            op = "any_of" if op == "any" else op
            values = item.get("values") or []
            conditions.append(
                CustomCondition(
                    key=str(item["key"]),
                    op=op,
                    value=item.get("value"),
                    values=list(values) if isinstance(values, list | tuple) else [values],
                    min=item.get("min"),
                    max=item.get("max"),
                )
            )
        consent_pd = str(data.get("consent_personal_data") or "")
        consent_ad = str(data.get("consent_advertising") or "")
        archived = str(data.get("archived") or "active")
        company = ids(data.get("company"))
        quiet = ids(data.get("no_contact_days"))
        return cls(
            responsible=ids(data.get("responsible")),
            tags=ids(data.get("tags")),
            sources=ids(data.get("sources")),
            consent_personal_data=consent_pd if consent_pd in CONSENT_STATES else "",
            consent_advertising=consent_ad if consent_ad in CONSENT_STATES else "",
            created_from=day(data.get("created_from")),
            created_to=day(data.get("created_to")),
            no_contact_days=min(quiet[0], 36500) if quiet and quiet[0] > 0 else None,
            last_contact_from=day(data.get("last_contact_from")),
            last_contact_to=day(data.get("last_contact_to")),
            archived=archived if archived in ARCHIVED_STATES else "active",
            company=company[0] if company else None,
            custom=conditions,
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.responsible:
            data["responsible"] = list(self.responsible)
        if self.tags:
            data["tags"] = list(self.tags)
        if self.sources:
            data["sources"] = list(self.sources)
        if self.consent_personal_data:
            data["consent_personal_data"] = self.consent_personal_data
        if self.consent_advertising:
            data["consent_advertising"] = self.consent_advertising
        if self.created_from:
            data["created_from"] = self.created_from.isoformat()
        if self.created_to:
            data["created_to"] = self.created_to.isoformat()
        if self.no_contact_days:
            data["no_contact_days"] = self.no_contact_days
        if self.last_contact_from:
            data["last_contact_from"] = self.last_contact_from.isoformat()
        if self.last_contact_to:
            data["last_contact_to"] = self.last_contact_to.isoformat()
        if self.archived != "active":
            data["archived"] = self.archived
        if self.company:
            data["company"] = self.company
        if self.custom:
            data["custom"] = [condition.to_dict() for condition in self.custom]
        return data


@dataclass
class ClientPage:
    """One page of a list. `total` is exact when `total_is_exact`; otherwise the list holds
    more than COUNT_LIMIT records and `total` is that limit (show it as "2000+")."""

    rows: list[Any]
    total: int
    page: int
    per_page: int
    sort: str
    total_is_exact: bool = True

    @property
    def total_label(self) -> str:
        """The count as a list shows it: "1234", or "2000+" past COUNT_LIMIT."""
        return str(self.total) if self.total_is_exact else f"{self.total}+"

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        if not self.total_is_exact:
            return len(self.rows) == self.per_page
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _custom_q(condition: CustomCondition, record_type: str) -> Q:
    """The condition through the field's definition (typed: numbers compare as numbers,
    dates by day, choices by key); raises CrmValidationError for a value the field would
    not accept. Keys without a definition fall back to comparing the stored JSON."""
    definition = custom_field_by_key(record_type, condition.key)
    if definition is not None:
        if condition.op == "eq":
            if condition.value in (None, ""):
                return Q()
            return custom_field_filter(definition, FilterOp.EQUALS, condition.value)
        if condition.op == "any_of":
            return custom_field_filter(definition, FilterOp.ANY_OF, list(condition.values))
        if condition.op == "range":
            return custom_field_filter(definition, FilterOp.RANGE, (condition.min, condition.max))
        if condition.op == "empty":
            return custom_field_filter(definition, FilterOp.IS_EMPTY)
        if condition.op == "not_empty":
            return custom_field_filter(definition, FilterOp.NOT_EMPTY)
    key = condition.key
    path = f"custom__{key}"
    if condition.op in ("eq", "any_of"):
        values = [condition.value] if condition.op == "eq" else list(condition.values)
        query = Q()
        for value in values:
            if value in (None, ""):
                continue
            # A single value, or one of a multiple choice's values (stored as a list).
            query |= Q(custom__contains={key: value}) | Q(custom__contains={key: [value]})
        return query if query else Q(pk__in=[])
    if condition.op == "contains":
        text = str(condition.value or "")
        return Q(**{f"{path}__icontains": text}) if text else Q()
    if condition.op == "range":
        query = Q()
        if condition.min not in (None, ""):
            query &= Q(**{f"{path}__gte": condition.min})
        if condition.max not in (None, ""):
            query &= Q(**{f"{path}__lte": condition.max})
        return query
    empty = (
        Q(**{f"{path}__isnull": True})
        | Q(custom__contains={key: ""})
        | Q(custom__contains={key: []})
    )
    return empty if condition.op == "empty" else ~empty


def _consent_q(column: str, state: str) -> Q:
    if state == "none":
        return Q(**{column: ""})
    return Q(**{column: state})


def apply_filter(records: QuerySet[Any], filters: ClientFilter, record_type: str) -> QuerySet[Any]:
    """Narrow `records` (already the visible ones) by `filters`."""
    if filters.archived == "active":
        records = records.filter(archived_at__isnull=True)
    elif filters.archived == "archived":
        records = records.filter(archived_at__isnull=False)
    if filters.responsible:
        records = records.filter(responsible_id__in=filters.responsible)
    if filters.sources:
        records = records.filter(source_id__in=filters.sources)
    if filters.tags:
        through = (Contact if record_type == RecordType.CONTACT else Company).tags.through
        owner = "contact_id" if record_type == RecordType.CONTACT else "company_id"
        records = records.filter(
            Exists(through.objects.filter(**{owner: OuterRef("pk"), "tag_id__in": filters.tags}))
        )
    if filters.created_from:
        records = records.filter(created_at__date__gte=filters.created_from)
    if filters.created_to:
        records = records.filter(created_at__date__lte=filters.created_to)
    if filters.no_contact_days:
        quiet_since = timezone.now() - dt.timedelta(days=filters.no_contact_days)
        records = records.filter(
            Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=quiet_since)
        )
    if filters.last_contact_from:
        records = records.filter(last_contact_at__date__gte=filters.last_contact_from)
    if filters.last_contact_to:
        records = records.filter(last_contact_at__date__lte=filters.last_contact_to)
    if record_type == RecordType.CONTACT:
        if filters.consent_personal_data:
            records = records.filter(
                _consent_q("consent_personal_data", filters.consent_personal_data)
            )
        if filters.consent_advertising:
            records = records.filter(_consent_q("consent_advertising", filters.consent_advertising))
        if filters.company:
            records = records.filter(
                Exists(
                    ContactCompany.objects.filter(
                        contact_id=OuterRef("pk"), company_id=filters.company
                    )
                )
            )
    for condition in filters.custom:
        records = records.filter(_custom_q(condition, record_type))
    return records


# Columns that list several values sort by their smallest value (a record without any
# last). An aggregate over one join: sorting 100,000 contacts by a correlated subquery per
# row took seconds; this takes a fraction of one (rare sorts, so no denormalised column).
SORT_ANNOTATION = "sort_smallest_child"
CHILD_SORTS: dict[str, dict[str, Any]] = {
    RecordType.CONTACT: {
        "phones": Min("phones__e164"),
        "emails": Min("emails__address_casefold"),
        "tags": Min(Lower("tags__name")),
        "companies": Min(Lower("companies__name")),
    },
    RecordType.COMPANY: {
        "phones": Min("phones__e164"),
        "emails": Min("emails__address_casefold"),
        "tags": Min(Lower("tags__name")),
    },
}


def _ordering(sort: str, record_type: str) -> tuple[str, list[Any]]:
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    sorts = CONTACT_SORTS if record_type == RecordType.CONTACT else COMPANY_SORTS
    if name.startswith("custom.") and len(name) > len("custom."):
        key = name.removeprefix("custom.")
        definition = custom_field_by_key(record_type, key)
        if definition is not None:
            return sort, [
                custom_field_order(definition, descending=descending),
                "-id" if descending else "id",
            ]
        expression = KeyTransform(key, "custom")
        ordered = (
            expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
        )
        return sort, [ordered, "-id" if descending else "id"]
    if name in CHILD_SORTS[record_type]:
        smallest = F(SORT_ANNOTATION)
        if descending:
            return sort, [smallest.desc(nulls_last=True), "-id"]
        return sort, [smallest.asc(nulls_last=True), "id"]
    if name not in sorts:
        return _ordering(DEFAULT_SORT, record_type)
    columns = sorts[name]
    if record_type == RecordType.COMPANY and name == "name":
        ordered_name = Lower("name").desc() if descending else Lower("name").asc()
        return sort, [ordered_name, "-id" if descending else "id"]
    return sort, [f"-{column}" if descending else column for column in columns]


def _page(
    records: QuerySet[Any], *, sort: str, page: int, per_page: int, record_type: str
) -> ClientPage:
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    counted = records.order_by().values("pk")[: COUNT_LIMIT + 1].count()
    exact = counted <= COUNT_LIMIT
    total = counted if exact else COUNT_LIMIT
    last_page = max(1, math.ceil(total / per_page)) if exact else max(1, int(page))
    page = max(1, min(int(page), last_page))
    sort, ordering = _ordering(sort or DEFAULT_SORT, record_type)
    start = (page - 1) * per_page
    smallest = CHILD_SORTS[record_type].get(sort.lstrip("-"))
    if smallest is None:
        rows = list(records.order_by(*ordering)[start : start + per_page])
    else:
        # The page's ids first, grouped by id alone (grouping the whole loaded row with
        # its joins is what makes such a sort slow), then those rows with their children.
        ids = list(
            records.order_by()
            .values("pk")
            .annotate(**{SORT_ANNOTATION: smallest})
            .order_by(*ordering)
            .values_list("pk", flat=True)[start : start + per_page]
        )
        loaded = records.in_bulk(ids)
        rows = [loaded[pk] for pk in ids if pk in loaded]
    return ClientPage(
        rows=rows, total=total, page=page, per_page=per_page, sort=sort, total_is_exact=exact
    )


def _contact_rows(records: QuerySet[Contact]) -> QuerySet[Contact]:
    return row_loading.contact_rows(records)


def _company_rows(records: QuerySet[Company]) -> QuerySet[Company]:
    return row_loading.company_rows(records)


def contacts_for_list(
    user: Any,
    *,
    filters: ClientFilter | None = None,
    sort: str = DEFAULT_SORT,
    page: int = 1,
    per_page: int = 50,
) -> ClientPage:
    """One page of the contacts `user` may see, filtered and sorted.

    `sort`: a column of CONTACT_SORTS or "custom.<key>", "-" first for descending.
    Rows come with responsible, source, phones, e-mails, tags and company links loaded
    (7 queries in all, whatever the page size).
    """
    filters = filters or ClientFilter()
    records = apply_filter(visible_contacts(user), filters, RecordType.CONTACT)
    return _page(
        _contact_rows(records),
        sort=sort,
        page=page,
        per_page=per_page,
        record_type=RecordType.CONTACT,
    )


def companies_for_list(
    user: Any,
    *,
    filters: ClientFilter | None = None,
    sort: str = DEFAULT_SORT,
    page: int = 1,
    per_page: int = 50,
) -> ClientPage:
    """One page of the companies `user` may see, filtered and sorted (6 queries in all)."""
    filters = filters or ClientFilter()
    records = apply_filter(visible_companies(user), filters, RecordType.COMPANY)
    return _page(
        _company_rows(records),
        sort=sort,
        page=page,
        per_page=per_page,
        record_type=RecordType.COMPANY,
    )


def filtered_contacts(user: Any, filters: ClientFilter | None = None) -> QuerySet[Contact]:
    """The visible contacts a filter selects, unordered and unloaded (bulk actions, export)."""
    return apply_filter(visible_contacts(user), filters or ClientFilter(), RecordType.CONTACT)


def filtered_companies(user: Any, filters: ClientFilter | None = None) -> QuerySet[Company]:
    """The visible companies a filter selects, unordered and unloaded (bulk actions, export)."""
    return apply_filter(visible_companies(user), filters or ClientFilter(), RecordType.COMPANY)


def contacts_cursor_page(
    user: Any,
    *,
    filters: ClientFilter | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[Contact]:
    """Contacts by id, after `after_id` (the API's cursor pagination), rows loaded."""
    records = apply_filter(visible_contacts(user), filters or ClientFilter(), RecordType.CONTACT)
    if after_id is not None:
        records = records.filter(pk__gt=after_id)
    return list(_contact_rows(records).order_by("id")[: max(1, min(limit, MAX_PER_PAGE))])


def companies_cursor_page(
    user: Any,
    *,
    filters: ClientFilter | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[Company]:
    """Companies by id, after `after_id` (the API's cursor pagination), rows loaded."""
    records = apply_filter(visible_companies(user), filters or ClientFilter(), RecordType.COMPANY)
    if after_id is not None:
        records = records.filter(pk__gt=after_id)
    return list(_company_rows(records).order_by("id")[: max(1, min(limit, MAX_PER_PAGE))])


def _required_conditions(record_type: str) -> Q | None:
    """Q matching records that lack at least one required field, or None when none are."""
    standard = required_standard_fields(record_type)
    has_required_custom = any(field.required for field in active_custom_fields(record_type))
    if not standard and not has_required_custom:
        return None
    query = records_missing_required_custom(record_type) if has_required_custom else Q(pk__in=[])
    model = Contact if record_type == RecordType.CONTACT else Company
    owner = "contact" if record_type == RecordType.CONTACT else "company"
    for name in standard:
        if name == "phones":
            query |= Q(~Exists(Phone.objects.filter(**{owner: OuterRef("pk")})))
        elif name == "emails":
            query |= Q(~Exists(Email.objects.filter(**{owner: OuterRef("pk")})))
        elif name == "tags":
            query |= Q(
                ~Exists(model.tags.through.objects.filter(**{f"{owner}_id": OuterRef("pk")}))
            )
        elif name == "messengers" and owner == "contact":
            query |= Q(~Exists(Messenger.objects.filter(contact=OuterRef("pk"))))
        elif name == "companies" and owner == "contact":
            query |= Q(~Exists(ContactCompany.objects.filter(contact=OuterRef("pk"))))
        elif name == "addresses":
            query |= Q(addresses=[])
        elif name in ("source", "responsible", "birthday", "headcount"):
            query |= Q(**{f"{name}__isnull": True})
        elif name == "address_form":
            query |= Q(form_of_address="")
        elif name in {f.name for f in model._meta.get_fields()}:
            query |= Q(**{name: ""})
    return query


def records_to_complete(
    user: Any, record_type: str, *, page: int = 1, per_page: int = 50
) -> ClientPage:
    """Active records missing a field the workspace made required after they were saved."""
    condition = _required_conditions(record_type)
    rows: QuerySet[Any]
    if record_type == RecordType.CONTACT:
        rows = _contact_rows(visible_contacts(user).filter(archived_at__isnull=True))
    else:
        rows = _company_rows(visible_companies(user).filter(archived_at__isnull=True))
    rows = rows.filter(condition) if condition is not None else rows.none()
    return _page(rows, sort="-created_at", page=page, per_page=per_page, record_type=record_type)


def contacts_to_complete(user: Any, *, page: int = 1, per_page: int = 50) -> ClientPage:
    return records_to_complete(user, RecordType.CONTACT, page=page, per_page=per_page)


def companies_to_complete(user: Any, *, page: int = 1, per_page: int = 50) -> ClientPage:
    return records_to_complete(user, RecordType.COMPANY, page=page, per_page=per_page)
