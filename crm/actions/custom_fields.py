"""Changes to custom field definitions and to the required standard fields.

Owners and admins only; every change is written to the workspace's audit log in the
same transaction and empties the definition cache. A type change that could lose data
is refused with an explanation; one that cannot rewrites the stored values of every
record of the entity in one set-based UPDATE (crm.entities maps entity -> table).
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import sql

from crm.custom_values import CustomValueError, normalize_value
from crm.entities import CUSTOM_VALUES_COLUMN, STANDARD_FIELDS, entity_model
from crm.errors import CrmValidationError, ErrorCode
from crm.models.custom_fields import (
    CHOICE_TYPES,
    CustomField,
    Entity,
    FieldType,
    RequiredStandardField,
    pick_translation,
)
from crm.selectors.custom_fields import clear_custom_field_cache, custom_field_expression
from tenants.guards import ensure_workspace_writable
from tenants.members.actions import require_workspace_admin
from tenants.members.models import AuditEntry, User


class CustomFieldAuditAction:
    """Audit log actions (AuditEntry.action) for custom and required fields.

    Kept out of AuditEntry.Action's choices (a tenants.members migration for every CRM
    action would couple the apps); `audit_action_label` names them for people.
    """

    CREATED = "crm.custom_field.created"
    CHANGED = "crm.custom_field.changed"
    TYPE_CHANGED = "crm.custom_field.type_changed"
    ARCHIVED = "crm.custom_field.archived"
    RESTORED = "crm.custom_field.restored"
    REORDERED = "crm.custom_field.reordered"
    REQUIRED_FIELDS_CHANGED = "crm.required_fields.changed"


def audit_action_label(action: str) -> str:
    """The readable name of one of the actions above (the code itself if unknown)."""
    labels = {
        CustomFieldAuditAction.CREATED: _("Custom field added"),
        CustomFieldAuditAction.CHANGED: _("Custom field changed"),
        CustomFieldAuditAction.TYPE_CHANGED: _("Custom field type changed"),
        CustomFieldAuditAction.ARCHIVED: _("Custom field archived"),
        CustomFieldAuditAction.RESTORED: _("Custom field restored"),
        CustomFieldAuditAction.REORDERED: _("Custom fields reordered"),
        CustomFieldAuditAction.REQUIRED_FIELDS_CHANGED: _("Required fields changed"),
    }
    return str(labels.get(action, action))


KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
LABEL_MAX_LENGTH = 100
HELP_MAX_LENGTH = 500
MAX_FIELDS_PER_ENTITY = 200
LANGUAGES = ("ru", "uk", "en")

_TRANSLIT = dict(
    zip(
        "абвгґдеєёжзиіїйклмнопрстуфхцчшщъыьэюя",
        [
            "a", "b", "v", "g", "g", "d", "e", "ie", "e", "zh", "z", "i", "i", "i", "i", "k",
            "l", "m", "n", "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch",
            "", "y", "", "e", "iu", "ia",
        ],
        strict=True,
    )
)  # fmt: skip


def slug_for_key(text: str) -> str:
    """A stable key from a label in any of our languages ("Дата договора" -> date_dogovora)."""
    latin = "".join(_TRANSLIT.get(char, char) for char in text.lower())
    slug = re.sub(r"[^a-z0-9]+", "_", latin).strip("_")[:40].strip("_")
    if not slug or not slug[0].isalpha():
        slug = f"field_{slug}".strip("_")
    return slug


def _audit(acting_user: User, action: str, field: CustomField | None, changes: dict) -> None:
    target = f"{field.entity}: {field.label_in('en')} ({field.key})" if field else ""
    AuditEntry.objects.create(actor=acting_user, action=action, target=target, changes=changes)


def _guard(acting_user: User) -> None:
    ensure_workspace_writable()
    require_workspace_admin(acting_user)


def _after_change() -> None:
    clear_custom_field_cache()
    transaction.on_commit(clear_custom_field_cache)


def _clean_texts(
    texts: dict[str, str] | None, *, error_key: str, required: bool, max_length: int
) -> dict[str, str]:
    cleaned = {
        language: " ".join(str(text).split()) if error_key == "labels" else str(text).strip()
        for language, text in (texts or {}).items()
        if language in LANGUAGES and text and str(text).strip()
    }
    if required and not cleaned:
        raise CrmValidationError(
            {error_key: [_("Give the field a name in at least one language.")]},
            code=ErrorCode.REQUIRED,
        )
    if any(len(text) > max_length for text in cleaned.values()):
        raise CrmValidationError(
            {error_key: [_("Use at most %(count)d characters.") % {"count": max_length}]}
        )
    return cleaned


def _merge_choices(
    existing: Sequence[dict[str, Any]], incoming: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The new choice list: incoming ones in their order, then removed ones archived.

    A choice is matched by its key, so renaming it keeps every stored value; one that
    disappears from the list is archived (values holding it still read), not dropped.
    """
    by_key = {choice["key"]: choice for choice in existing}
    used: set[str] = set()
    result: list[dict[str, Any]] = []
    for item in incoming:
        labels = _clean_texts(
            item.get("labels"), error_key="choices", required=False, max_length=LABEL_MAX_LENGTH
        )
        if not labels:
            continue
        key = str(item.get("key") or "").strip()
        if key and key not in by_key and not KEY_PATTERN.match(key):
            raise CrmValidationError({"choices": [_("A choice key may hold a-z, 0-9 and _.")]})
        if not key:
            base = slug_for_key(pick_translation(labels, "en"))
            key, number = base, 2
            while key in by_key or key in used:
                key, number = f"{base}_{number}", number + 1
        if key in used:
            raise CrmValidationError({"choices": [_("Two choices have the same key.")]})
        used.add(key)
        result.append({"key": key, "labels": labels, "archived": False})
    for choice in existing:
        if choice["key"] not in used:
            result.append({**choice, "archived": True})
    return result


def _clean_default(field: CustomField, default: Any) -> Any:
    try:
        return normalize_value(field, default)
    except CustomValueError as error:
        raise CrmValidationError({"default": [error.message]}) from error


def _unique_key(entity: str, wanted: str) -> str:
    taken = set(CustomField.objects.filter(entity=entity).values_list("key", flat=True))
    key, number = wanted, 2
    while key in taken:
        key, number = f"{wanted}_{number}", number + 1
    return key


@transaction.atomic
def create_custom_field(
    *,
    acting_user: User,
    entity: str,
    field_type: str,
    labels: dict[str, str],
    key: str = "",
    help_texts: dict[str, str] | None = None,
    required: bool = False,
    searchable: bool = False,
    indexed: bool = False,
    default: Any = None,
    choices: Iterable[dict[str, Any]] = (),
) -> CustomField:
    """Add a custom field at the end of `entity`'s fields.

    `key` is optional (made from the label); once created it never changes. `choices`:
    [{"labels": {"ru": ..., "en": ...}, "key": optional}]. Existing records are not
    touched: a new required field makes them "to complete", not invalid.
    """
    _guard(acting_user)
    if entity not in Entity.values:
        raise CrmValidationError({"entity": [_("Unknown record type.")]})
    if field_type not in FieldType.values:
        raise CrmValidationError({"field_type": [_("Unknown field type.")]})
    labels = _clean_texts(labels, error_key="labels", required=True, max_length=LABEL_MAX_LENGTH)
    help_texts = _clean_texts(
        help_texts, error_key="help_texts", required=False, max_length=HELP_MAX_LENGTH
    )
    if CustomField.objects.filter(entity=entity).count() >= MAX_FIELDS_PER_ENTITY:
        raise CrmValidationError(
            {"__all__": [_("A record type can have at most %(count)d custom fields.")
                         % {"count": MAX_FIELDS_PER_ENTITY}]}
        )  # fmt: skip
    if key:
        key = key.strip().lower()
        if not KEY_PATTERN.match(key):
            raise CrmValidationError(
                {"key": [_("A key starts with a letter and holds only a-z, 0-9 and _.")]}
            )
        if CustomField.objects.filter(entity=entity, key=key).exists():
            raise CrmValidationError(
                {"key": [_("Another field already uses this key.")]}, code=ErrorCode.DUPLICATE
            )
    else:
        key = _unique_key(entity, slug_for_key(pick_translation(labels, "en")))
    last = (
        CustomField.objects.filter(entity=entity).aggregate(models.Max("position"))["position__max"]
        or 0
    )
    field = CustomField(
        entity=entity,
        key=key,
        field_type=field_type,
        labels=labels,
        help_texts=help_texts,
        required=required,
        searchable=searchable,
        indexed=indexed,
        position=last + 1,
    )
    if field_type in CHOICE_TYPES:
        field.choices = _merge_choices([], choices)
        if not field.active_choices:
            raise CrmValidationError(
                {"choices": [_("Add at least one choice.")]}, code=ErrorCode.REQUIRED
            )
    field.default = _clean_default(field, default)
    field.save()
    if indexed:
        ensure_custom_field_index(field)
    _audit(
        acting_user,
        CustomFieldAuditAction.CREATED,
        field,
        {"type": [None, field.field_type], "required": [None, field.required]},
    )
    _after_change()
    return field


_UNSET: Any = object()


@transaction.atomic
def update_custom_field(
    *,
    acting_user: User,
    field: CustomField,
    labels: dict[str, str] | None = None,
    help_texts: dict[str, str] | None = None,
    required: bool | None = None,
    searchable: bool | None = None,
    indexed: bool | None = None,
    default: Any = _UNSET,
    choices: Iterable[dict[str, Any]] | None = None,
) -> CustomField:
    """Rename, re-describe or re-flag a field; edit its choices (by key: values survive).

    Arguments left as None are unchanged. The key and the stored values never change
    here; the type changes through `change_custom_field_type`.
    """
    _guard(acting_user)
    field = CustomField.objects.select_for_update().get(pk=field.pk)
    before = {
        "labels": field.labels,
        "help_texts": field.help_texts,
        "required": field.required,
        "searchable": field.searchable,
        "indexed": field.indexed,
        "default": field.default,
        "choices": field.choices,
    }
    if labels is not None:
        field.labels = _clean_texts(
            labels, error_key="labels", required=True, max_length=LABEL_MAX_LENGTH
        )
    if help_texts is not None:
        field.help_texts = _clean_texts(
            help_texts, error_key="help_texts", required=False, max_length=HELP_MAX_LENGTH
        )
    if required is not None:
        field.required = required
    if searchable is not None:
        field.searchable = searchable
    if choices is not None and field.field_type in CHOICE_TYPES:
        field.choices = _merge_choices(field.choices, choices)
        if not field.active_choices:
            raise CrmValidationError(
                {"choices": [_("Add at least one choice.")]}, code=ErrorCode.REQUIRED
            )
    if default is not _UNSET:
        field.default = _clean_default(field, default)
    elif field.default is not None:
        try:
            normalize_value(field, field.default)
        except CustomValueError:
            field.default = None  # its choice was removed
    if indexed is not None and indexed != field.indexed:
        field.indexed = indexed
        if indexed:
            ensure_custom_field_index(field)
        else:
            drop_custom_field_index(field)
    field.save()
    after = {name: getattr(field, name) for name in before}
    changes = {name: [before[name], after[name]] for name in before if before[name] != after[name]}
    if changes:
        _audit(acting_user, CustomFieldAuditAction.CHANGED, field, changes)
    _after_change()
    return field


@transaction.atomic
def archive_custom_field(*, acting_user: User, field: CustomField) -> CustomField:
    """Hide a field everywhere; every stored value is kept for a later restore."""
    _guard(acting_user)
    field = CustomField.objects.select_for_update().get(pk=field.pk)
    if field.archived_at is None:
        field.archived_at = timezone.now()
        field.save(update_fields=["archived_at", "updated_at"])
        _audit(acting_user, CustomFieldAuditAction.ARCHIVED, field, {})
        _after_change()
    return field


@transaction.atomic
def restore_custom_field(*, acting_user: User, field: CustomField) -> CustomField:
    """Bring an archived field back, with the values records held, at the end of the list."""
    _guard(acting_user)
    field = CustomField.objects.select_for_update().get(pk=field.pk)
    if field.archived_at is not None:
        field.archived_at = None
        last = (
            CustomField.objects.filter(entity=field.entity).aggregate(models.Max("position"))[
                "position__max"
            ]
            or 0
        )
        field.position = last + 1
        field.save(update_fields=["archived_at", "position", "updated_at"])
        _audit(acting_user, CustomFieldAuditAction.RESTORED, field, {})
        _after_change()
    return field


@transaction.atomic
def reorder_custom_fields(*, acting_user: User, entity: str, keys: Sequence[str]) -> None:
    """Put `entity`'s fields in the order of `keys` (fields not named keep theirs, after)."""
    _guard(acting_user)
    fields = list(
        CustomField.objects.select_for_update().filter(entity=entity).order_by("position", "id")
    )
    rank = {key: index for index, key in enumerate(keys)}
    ordered = sorted(fields, key=lambda field: (rank.get(field.key, len(rank)), field.position))
    before = [field.key for field in fields]
    for position, field in enumerate(ordered, start=1):
        field.position = position
    CustomField.objects.bulk_update(ordered, ["position"])
    after = [field.key for field in ordered]
    if before != after:
        AuditEntry.objects.create(
            actor=acting_user,
            action=CustomFieldAuditAction.REORDERED,
            target=entity,
            changes={"order": [before, after]},
        )
    _after_change()


def move_custom_field(*, acting_user: User, field: CustomField, offset: int) -> None:
    """Move an active field up (offset -1) or down (+1) among the active fields."""
    from crm.selectors.custom_fields import custom_fields_for_settings

    active, _archived = custom_fields_for_settings(field.entity)
    keys = [item.key for item in active]
    if field.key not in keys:
        return
    index = keys.index(field.key)
    target = max(0, min(len(keys) - 1, index + offset))
    keys.insert(target, keys.pop(index))
    reorder_custom_fields(acting_user=acting_user, entity=field.entity, keys=keys)


@transaction.atomic
def set_required_standard_fields(
    *, acting_user: User, entity: str, fields: Iterable[str]
) -> list[str]:
    """Make exactly `fields` (names from crm.entities.STANDARD_FIELDS) required for `entity`.

    Records that lack them stay valid to read and appear as "to complete"; every later
    create or full save must supply them.
    """
    _guard(acting_user)
    known = STANDARD_FIELDS.get(entity)
    if known is None:
        raise CrmValidationError({"entity": [_("Unknown record type.")]})
    wanted = sorted(set(fields))
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise CrmValidationError(
            {"fields": [_("Unknown field: %(name)s.") % {"name": ", ".join(unknown)}]}
        )
    before = sorted(
        RequiredStandardField.objects.filter(entity=entity).values_list("field", flat=True)
    )
    if before != wanted:
        RequiredStandardField.objects.filter(entity=entity).exclude(field__in=wanted).delete()
        RequiredStandardField.objects.bulk_create(
            [RequiredStandardField(entity=entity, field=name) for name in wanted],
            ignore_conflicts=True,
        )
        AuditEntry.objects.create(
            actor=acting_user,
            action=CustomFieldAuditAction.REQUIRED_FIELDS_CHANGED,
            target=entity,
            changes={"required": [before, wanted]},
        )
    _after_change()
    return wanted


@transaction.atomic
def set_required_custom_fields(*, acting_user: User, entity: str, keys: Iterable[str]) -> None:
    """Make exactly the active custom fields named in `keys` required for `entity`."""
    wanted = set(keys)
    for field in CustomField.objects.filter(entity=entity, archived_at__isnull=True):
        if field.required != (field.key in wanted):
            update_custom_field(acting_user=acting_user, field=field, required=not field.required)


@transaction.atomic
def set_required_fields(
    *, acting_user: User, entity: str, standard: Iterable[str], custom_keys: Iterable[str]
) -> None:
    """The required-fields page: exactly these standard and custom fields become required."""
    set_required_standard_fields(acting_user=acting_user, entity=entity, fields=standard)
    set_required_custom_fields(acting_user=acting_user, entity=entity, keys=custom_keys)


# ---------------------------------------------------------------------------------
# Type changes
# ---------------------------------------------------------------------------------

_TEXTS = (FieldType.TEXT, FieldType.LONG_TEXT)


@dataclass(frozen=True)
class TypeChangePlan:
    """What changing a field's type would do, before doing it (shown on the settings page)."""

    allowed: bool
    records_with_values: int
    explanation: str
    # SQL (a psycopg Composable) rewriting the stored values; None when they stay as they are.
    rewrite: Any = None


def _records_query(field: CustomField) -> tuple[type[models.Model] | None, Any]:
    model = entity_model(field.entity)
    if model is None:
        return None, None
    return model, model._default_manager.filter(**{f"{CUSTOM_VALUES_COLUMN}__has_key": field.key})


def _count_where(model: type[models.Model], condition: sql.Composable, key: str) -> int:
    query = sql.SQL("SELECT count(*) FROM {table} WHERE {column} ? %(key)s AND ({condition})")
    with connection.cursor() as cursor:
        cursor.execute(
            query.format(
                table=sql.Identifier(model._meta.db_table),
                column=sql.Identifier(CUSTOM_VALUES_COLUMN),
                condition=condition,
            ),
            {"key": key},
        )
        return int(cursor.fetchone()[0])


_VALUE_TEXT = sql.SQL("({column} ->> %(key)s)")
_VALUE_JSON = sql.SQL("({column} -> %(key)s)")


def plan_type_change(field: CustomField, field_type: str) -> TypeChangePlan:
    """Whether `field` can become `field_type` without losing data, and how.

    Allowed always when no record holds a value. Otherwise only the conversions that
    keep every value: text <-> long text (when all values fit), e-mail / phone / link /
    number -> text, integer -> decimal, decimal -> integer (when all are whole),
    single -> multiple choice, multiple -> single (when no record has more than one).
    """
    old = FieldType(field.field_type)
    new = FieldType(field_type)
    if old == new:
        return TypeChangePlan(False, 0, _("The field already has this type."))
    model, records = _records_query(field)
    count = records.count() if records is not None else 0
    if count == 0 or model is None:
        return TypeChangePlan(
            True, 0, _("No record holds a value of this field yet, so nothing can be lost.")
        )
    column = sql.Identifier(CUSTOM_VALUES_COLUMN)
    value_text = _VALUE_TEXT.format(column=column)
    value_json = _VALUE_JSON.format(column=column)
    refused = _(
        "Records with a value in this field: %(count)d. Turning “%(old)s” into “%(new)s” "
        "could lose or garble these values. Create a new field instead, or clear the "
        "values first."
    ) % {"count": count, "old": old.label, "new": new.label}
    keeps = _("Records with a value in this field: %(count)d. Every value is kept as it is.") % {
        "count": count
    }
    converts = _(
        "Records with a value in this field: %(count)d. Each value is converted to the new type."
    ) % {"count": count}

    if (old, new) in {
        (FieldType.TEXT, FieldType.LONG_TEXT),
        (FieldType.DECIMAL, FieldType.TEXT),
        (FieldType.DECIMAL, FieldType.LONG_TEXT),
    } or (old in (FieldType.EMAIL, FieldType.URL, FieldType.PHONE) and new in _TEXTS):
        return TypeChangePlan(True, count, keeps)
    if (old, new) == (FieldType.LONG_TEXT, FieldType.TEXT):
        from crm.custom_values import TEXT_MAX_LENGTH

        too_long = _count_where(
            model,
            sql.SQL("length({v}) > {n} OR {v} ~ '[\\r\\n]'").format(
                v=value_text, n=sql.Literal(TEXT_MAX_LENGTH)
            ),
            field.key,
        )
        if too_long:
            return TypeChangePlan(
                False,
                count,
                _(
                    "Values with several lines or more than %(max)d characters: %(bad)d of "
                    "%(count)d. They would not fit in a short text."
                )
                % {"bad": too_long, "count": count, "max": TEXT_MAX_LENGTH},
            )
        return TypeChangePlan(True, count, keeps)
    if old == FieldType.INTEGER and new in (FieldType.DECIMAL, *_TEXTS):
        return TypeChangePlan(True, count, converts, sql.SQL("to_jsonb({v})").format(v=value_text))
    if (old, new) == (FieldType.DECIMAL, FieldType.INTEGER):
        fractional = _count_where(
            model,
            sql.SQL("{v}::numeric <> trunc({v}::numeric)").format(v=value_text),
            field.key,
        )
        if fractional:
            return TypeChangePlan(
                False,
                count,
                _(
                    "Values with a fractional part: %(bad)d of %(count)d. A whole number "
                    "would lose it."
                )
                % {"bad": fractional, "count": count},
            )
        return TypeChangePlan(
            True, count, converts, sql.SQL("to_jsonb({v}::numeric::bigint)").format(v=value_text)
        )
    if (old, new) == (FieldType.SINGLE_CHOICE, FieldType.MULTIPLE_CHOICE):
        return TypeChangePlan(
            True, count, converts, sql.SQL("jsonb_build_array({v})").format(v=value_json)
        )
    if (old, new) == (FieldType.MULTIPLE_CHOICE, FieldType.SINGLE_CHOICE):
        several = _count_where(
            model, sql.SQL("jsonb_array_length({v}) > 1").format(v=value_json), field.key
        )
        if several:
            return TypeChangePlan(
                False,
                count,
                _(
                    "Records with several options chosen: %(bad)d of %(count)d. A single "
                    "choice would keep only one."
                )
                % {"bad": several, "count": count},
            )
        return TypeChangePlan(True, count, converts, sql.SQL("({v} -> 0)").format(v=value_json))
    return TypeChangePlan(False, count, refused)


@transaction.atomic
def change_custom_field_type(
    *,
    acting_user: User,
    field: CustomField,
    field_type: str,
    choices: Iterable[dict[str, Any]] | None = None,
) -> TypeChangePlan:
    """Change a field's type, converting every stored value in one UPDATE, or refuse.

    Refused (CrmValidationError on "field_type", with the explanation) when values
    could be lost; see `plan_type_change`. A field becoming a choice field needs
    `choices` unless it has some already.
    """
    _guard(acting_user)
    if field_type not in FieldType.values:
        raise CrmValidationError({"field_type": [_("Unknown field type.")]})
    field = CustomField.objects.select_for_update().get(pk=field.pk)
    model = entity_model(field.entity)
    if model is not None:
        # No record may change under us between the check and the rewrite.
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(
                    sql.Identifier(model._meta.db_table)
                )
            )
    plan = plan_type_change(field, field_type)
    if not plan.allowed:
        raise CrmValidationError({"field_type": [plan.explanation]}, code=ErrorCode.CONFLICT)
    old_type = field.field_type
    was_indexed = field.indexed
    if was_indexed:
        drop_custom_field_index(field)
    if plan.rewrite is not None and model is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL(
                    "UPDATE {table} SET {column} = jsonb_set({column}, %(path)s, {value}) "
                    "WHERE {column} ? %(key)s"
                ).format(
                    table=sql.Identifier(model._meta.db_table),
                    column=sql.Identifier(CUSTOM_VALUES_COLUMN),
                    value=plan.rewrite,
                ),
                {"path": [field.key], "key": field.key},
            )
    field.field_type = field_type
    if field_type in CHOICE_TYPES:
        if choices is not None:
            field.choices = _merge_choices(field.choices, choices)
        if not field.active_choices:
            raise CrmValidationError(
                {"choices": [_("Add at least one choice.")]}, code=ErrorCode.REQUIRED
            )
    elif old_type in CHOICE_TYPES:
        field.choices = []
    field.default = _converted_default(field, old_type)
    field.save()
    if was_indexed:
        ensure_custom_field_index(field)
    _audit(
        acting_user,
        CustomFieldAuditAction.TYPE_CHANGED,
        field,
        {"type": [old_type, field_type], "records": plan.records_with_values},
    )
    _after_change()
    return plan


def _converted_default(field: CustomField, old_type: str) -> Any:
    default = field.default
    if default is None:
        return None
    if old_type == FieldType.MULTIPLE_CHOICE and isinstance(default, list):
        default = default[0] if len(default) == 1 else None
    try:
        return normalize_value(field, default)
    except CustomValueError:
        return None


# ---------------------------------------------------------------------------------
# Expression indexes for fields lists filter and sort on
# ---------------------------------------------------------------------------------


def custom_field_index_name(field: CustomField) -> str:
    model = entity_model(field.entity)
    table = model._meta.db_table if model is not None else field.entity
    return f"{table}_cf_{field.pk}"[:63]


def _index_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = %s",
            [name],
        )
        return cursor.fetchone() is not None


def ensure_custom_field_index(field: CustomField) -> bool:
    """Create the expression index on the field's typed value, unless it exists.

    A plain B-tree on the same expression `custom_field_filter` / `custom_field_order`
    use, so a range filter or a sort on a big list is an index scan. Returns whether
    an index was created (False also while the entity has no table yet).
    """
    model = entity_model(field.entity)
    name = custom_field_index_name(field)
    if model is None or _index_exists(name):
        return False
    index = models.Index(custom_field_expression(field), name=name)
    with connection.schema_editor(atomic=False) as editor:
        editor.add_index(model, index)
    return True


def drop_custom_field_index(field: CustomField) -> bool:
    """Drop the field's expression index if there is one."""
    model = entity_model(field.entity)
    name = custom_field_index_name(field)
    if model is None or not _index_exists(name):
        return False
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    return True
