"""Reads of custom field definitions, and the JSONB expressions lists filter and sort by.

Definitions are read once per request (or task) for every entity at once and kept in a
per-schema cache that `clear_custom_field_cache` empties: at the start of each request
and task (crm.apps), and whenever an action changes a definition.
"""

import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.expressions import OrderBy
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast

from crm.models.custom_fields import CustomField, Entity, FieldType, RequiredStandardField
from crm.selectors.compiled import CompiledQuery
from tenants.db import current_schema_name

_cache = threading.local()


def clear_custom_field_cache(**_kwargs: Any) -> None:
    """Forget the definitions read so far (next read queries again)."""
    _cache.fields = {}
    _cache.required_standard = {}


ALL_FIELDS = CompiledQuery(lambda _shape: CustomField.objects.order_by("entity", "position", "id"))
REQUIRED_STANDARD = CompiledQuery(
    lambda _shape: RequiredStandardField.objects.values_list("entity", "field")
)


def _all_fields() -> list[CustomField]:
    schema = current_schema_name()
    per_schema = getattr(_cache, "fields", None)
    if per_schema is None:
        per_schema = _cache.fields = {}
    if schema not in per_schema:
        per_schema[schema] = ALL_FIELDS()
    return per_schema[schema]


def all_custom_fields(entity: str) -> list[CustomField]:
    """Every field of `entity`, archived ones included, in display order (cached)."""
    return [field for field in _all_fields() if field.entity == entity]


def active_custom_fields(entity: str) -> list[CustomField]:
    """The fields of `entity` shown on forms, cards, lists and the API (cached, <= 1 query)."""
    return [field for field in all_custom_fields(entity) if field.archived_at is None]


def archived_custom_fields(entity: str) -> list[CustomField]:
    return [field for field in all_custom_fields(entity) if field.archived_at is not None]


def searchable_custom_fields(entity: str) -> list[CustomField]:
    """Active fields the search box looks in (text-like values only make sense there)."""
    return [field for field in active_custom_fields(entity) if field.searchable]


def custom_field_by_key(entity: str, key: str) -> CustomField | None:
    """The field (archived or not) stored under `key`, or None."""
    return next((field for field in all_custom_fields(entity) if field.key == key), None)


def required_standard_fields(entity: str) -> list[str]:
    """Names of the standard fields the workspace requires for `entity` (cached)."""
    schema = current_schema_name()
    per_schema = getattr(_cache, "required_standard", None)
    if per_schema is None:
        per_schema = _cache.required_standard = {}
    if schema not in per_schema:
        rows: dict[str, list[str]] = {}
        for row_entity, name in REQUIRED_STANDARD():
            rows.setdefault(row_entity, []).append(name)
        per_schema[schema] = rows
    return list(per_schema[schema].get(entity, []))


def custom_fields_for_settings(entity: str) -> tuple[list[CustomField], list[CustomField]]:
    """(active, archived) fields of `entity`, fresh from the database (settings pages)."""
    fields = list(CustomField.objects.filter(entity=entity).order_by("position", "id"))
    return (
        [field for field in fields if field.archived_at is None],
        [field for field in fields if field.archived_at is not None],
    )


def custom_field_audit_entries(limit: int = 15) -> list[Any]:
    """The latest changes to custom and required fields, with their actors (one query)."""
    from tenants.members.models import AuditEntry

    return list(
        AuditEntry.objects.filter(action__startswith="crm.")
        .filter(Q(action__startswith="crm.custom_field.") | Q(action__startswith="crm.required_"))
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


# ---------------------------------------------------------------------------------
# Filtering and sorting on the JSONB column
# ---------------------------------------------------------------------------------

COLUMN = "custom"


class FilterOp:
    """Operators `custom_field_filter` understands."""

    EQUALS = "eq"
    RANGE = "range"  # value: (low, high), either may be None; bounds included
    IS_EMPTY = "empty"
    NOT_EMPTY = "not_empty"
    ANY_OF = "any"  # value: a list; for multiple choice: has any of them


class NumericCast(models.Func):
    """`(expression)::numeric`: Django's Cast to DecimalField needs digits we do not fix."""

    template = "(%(expressions)s)::numeric"
    output_field = models.DecimalField()


_NUMERIC = {FieldType.INTEGER, FieldType.DECIMAL, FieldType.MONEY}


def custom_field_expression(field: CustomField, column: str = COLUMN) -> Any:
    """The typed SQL expression of the field's value (what filters, sorts and indexes use).

    Numbers are cast (bigint/numeric: immutable casts, so they can be indexed); dates
    and date-times are compared as their ISO text, whose order is the date order.
    """
    if field.field_type == FieldType.INTEGER:
        return Cast(KeyTextTransform(field.key, column), models.BigIntegerField())
    if field.field_type == FieldType.DECIMAL:
        return NumericCast(KeyTextTransform(field.key, column))
    if field.field_type == FieldType.MONEY:
        return NumericCast(KeyTextTransform("amount", KeyTransform(field.key, column)))
    if field.field_type == FieldType.BOOLEAN:
        return KeyTransform(field.key, column)
    return KeyTextTransform(field.key, column)


def _empty_q(field: CustomField, column: str) -> Q:
    # Empty values are never stored (the key is absent), see crm.custom_values.
    return ~Q(**{f"{column}__has_key": field.key})


def _bound(field: CustomField, value: Any, *, upper: bool) -> Any:
    """A range bound in the field's stored form (None: open)."""
    from crm.custom_values import normalize_value

    if value in (None, ""):
        return None
    if field.field_type == FieldType.MONEY:
        amount = value.get("amount") if isinstance(value, dict) else value
        try:
            return Decimal(str(amount).replace(",", ".").replace(" ", ""))
        except InvalidOperation:
            return None
    if field.field_type == FieldType.DATETIME and isinstance(value, date | str):
        # A plain date bound covers the whole day in the workspace's time zone.
        from crm.custom_values import parse_date, workspace_timezone

        day = value if isinstance(value, date) and not isinstance(value, datetime) else None
        if day is None and isinstance(value, str):
            day = parse_date(value)
        if day is not None:
            day = day + timedelta(days=1) if upper else day
            moment = datetime.combine(day, time.min, tzinfo=workspace_timezone())
            return ("lt", moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    stored = normalize_value(field, value)
    if field.field_type == FieldType.DECIMAL:
        return Decimal(stored)
    return stored


def custom_field_filter(field: CustomField, op: str, value: Any = None, column: str = COLUMN) -> Q:
    """A Q on the records' JSONB column for one custom field.

    Ops (FilterOp): "eq" (one value, in any form the field accepts as input), "range"
    ((low, high), inclusive, None for open; a date bound on a date-time field covers the
    whole day), "empty", "not_empty", "any" (list; choices by key). Raises
    CrmValidationError for a value the field would not accept.
    """
    from crm.custom_values import normalize_value

    if op == FilterOp.IS_EMPTY:
        return _empty_q(field, column)
    if op == FilterOp.NOT_EMPTY:
        return ~_empty_q(field, column)
    expression = custom_field_expression(field, column)
    if op == FilterOp.EQUALS:
        if field.field_type in _NUMERIC:
            bound = _bound(field, value, upper=False)
            return Q(_custom_value_compare(expression, "exact", bound))
        if field.field_type == FieldType.MULTIPLE_CHOICE:
            values = value if isinstance(value, list | tuple) else [value]
            return Q(**{f"{column}__contains": {field.key: normalize_value(field, list(values))}})
        return Q(**{f"{column}__contains": {field.key: normalize_value(field, value)}})
    if op == FilterOp.ANY_OF:
        values = list(value or [])
        condition = Q(pk__in=[])
        for item in values:
            if field.field_type == FieldType.MULTIPLE_CHOICE:
                stored: Any = normalize_value(field, [item])
            else:
                stored = normalize_value(field, item)
            condition |= Q(**{f"{column}__contains": {field.key: stored}})
        return condition
    if op == FilterOp.RANGE:
        low, high = value if value is not None else (None, None)
        condition = Q()
        low_bound = _bound(field, low, upper=False)
        high_bound = _bound(field, high, upper=True)
        if low_bound is not None:
            if isinstance(low_bound, tuple):
                low_bound = low_bound[1]
            condition &= Q(_custom_value_compare(expression, "gte", low_bound))
        if high_bound is not None:
            lookup = "lte"
            if isinstance(high_bound, tuple):
                lookup, high_bound = high_bound
            condition &= Q(_custom_value_compare(expression, lookup, high_bound))
        return condition
    raise ValueError(f"unknown custom field filter operator: {op}")


def _custom_value_compare(expression: Any, lookup: str, value: Any) -> Any:
    """A boolean expression `expression <lookup> value`, usable inside Q()."""
    lookup_class = expression.output_field.get_lookup(lookup)
    return lookup_class(expression, value)


def custom_field_order(
    field: CustomField, descending: bool = False, column: str = COLUMN
) -> OrderBy:
    """An ORDER BY on the field's typed value; empty values always last.

    Single choices sort in the order the admin gave the choices, not by key.
    """
    expression: Any
    if field.field_type == FieldType.SINGLE_CHOICE and field.choices:
        expression = Case(
            *[
                When(**{f"{column}__contains": {field.key: choice["key"]}}, then=Value(index))
                for index, choice in enumerate(field.choices)
            ],
            default=Value(None),
            output_field=models.IntegerField(),
        )
    else:
        expression = custom_field_expression(field, column)
    return OrderBy(expression, descending=descending, nulls_last=True)


def records_missing_required_custom(entity: str, column: str = COLUMN) -> Q:
    """Records lacking a value of some required, active custom field ("to complete")."""
    condition = Q(pk__in=[])
    for field in active_custom_fields(entity):
        if field.required:
            condition |= _empty_q(field, column)
    return condition


def fields_by_keys(entity: str, keys: Iterable[str]) -> Sequence[CustomField]:
    wanted = set(keys)
    return [field for field in all_custom_fields(entity) if field.key in wanted]


__all__ = [
    "Entity",
    "FilterOp",
    "active_custom_fields",
    "all_custom_fields",
    "archived_custom_fields",
    "clear_custom_field_cache",
    "custom_field_by_key",
    "custom_field_expression",
    "custom_field_filter",
    "custom_field_order",
    "custom_fields_for_settings",
    "records_missing_required_custom",
    "required_standard_fields",
    "searchable_custom_fields",
]
