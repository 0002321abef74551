"""A record's history, readable; and the record's state on a past date.

History entries are the ChangeRecords the actions wrote (crm.history). Rendering turns
ids into names (members, sources, companies, contacts: one query per kind at most) and
field names into the reader's language, custom fields by their current label.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.custom_values import display_text
from crm.history import expand_combined, record_type_of, snapshot
from crm.models import (
    ChangeRecord,
    ChangeVia,
    Company,
    ConsentKind,
    ConsentStatus,
    Contact,
    CustomField,
    SourceChannel,
)
from crm.selectors.compiled import CompiledQuery
from crm.selectors.custom_fields import fields_by_keys
from tenants.members.models import User


@dataclass
class HistoryEntry:
    at: dt.datetime
    record_type: str
    record_id: int
    field: str
    field_label: str
    old: Any
    new: Any
    old_display: str
    new_display: str
    actor_name: str  # the member, the API key or the import, as the reader should see it
    via: str
    via_label: str
    changeset: str


_labels_by_language: dict[str | None, dict[str, str]] = {}


def _standard_labels() -> dict[str, str]:
    """Field names -> labels in the active language (made once per language: they come
    from the models and the catalogue, which change only with a new release)."""
    language = translation.get_language()
    labels = _labels_by_language.get(language)
    if labels is None:
        labels = _labels_by_language[language] = _make_standard_labels()
    return labels


def _make_standard_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for model in (Contact, Company):
        for model_field in model._meta.get_fields():
            verbose = getattr(model_field, "verbose_name", None)
            if verbose:
                labels.setdefault(model_field.name, str(verbose))
    labels.update(
        {
            "record": _("Record created"),
            "phones": _("Phones"),
            "emails": _("E-mails"),
            "messengers": _("Messengers"),
            "tags": _("Tags"),
            "companies": _("Companies"),
            "contacts": _("Contact persons"),
            "archived_at": _("Archived"),
            "merged": _("Merged with"),
            "merged_into": _("Merged into"),
            "merge_undone": _("Merge undone"),
            "source": _("Source"),
            "responsible": _("Responsible manager"),
        }
    )
    for kind, label in ConsentKind.choices:
        labels[f"consent.{kind}"] = str(label)
    return labels


def _custom_fields(keys: set[str], record_type: str) -> dict[str, CustomField]:
    return {field.key: field for field in fields_by_keys(record_type, keys)}


def _plain(value: Any) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dict):
        if "amount" in value:
            return f"{value.get('amount')} {value.get('currency', '')}".strip()
        if "text" in value:
            return str(value["text"])
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_plain(item) for item in value)
    return str(value)


def _links_display(value: Any, names: dict[int, str]) -> str:
    if not value:
        return "—"
    shown = []
    for item in value:
        pk_text, _sep, position = str(item).partition(":")
        name = names.get(int(pk_text), f"#{pk_text}") if pk_text.isdigit() else pk_text
        shown.append(f"{name} ({position})" if position else name)
    return ", ".join(shown)


def render_history(records: list[ChangeRecord]) -> list[HistoryEntry]:
    """ChangeRecords as readable entries (a few lookups for names, whatever the count)."""
    records = expand_combined(records)
    user_ids: set[int] = set()
    source_ids: set[int] = set()
    company_ids: set[int] = set()
    contact_ids: set[int] = set()
    custom_keys: dict[str, set[str]] = {}
    for record in records:
        if record.actor_id:
            user_ids.add(record.actor_id)
        for value in (record.old, record.new):
            if value in (None, "", []):
                continue
            if record.field == "responsible" and isinstance(value, int):
                user_ids.add(value)
            elif record.field == "source" and isinstance(value, int):
                source_ids.add(value)
            elif record.field in ("companies", "contacts") and isinstance(value, list):
                target = company_ids if record.field == "companies" else contact_ids
                for item in value:
                    head = str(item).partition(":")[0]
                    if head.isdigit():
                        target.add(int(head))
        if record.field.startswith("custom."):
            custom_keys.setdefault(record.record_type, set()).add(
                record.field.removeprefix("custom.")
            )
    # Authors loaded with the records (select_related) need no lookup of their own.
    users: dict[int, str] = {}
    actor_field = ChangeRecord._meta.get_field("actor")
    for record in records:
        actor = record.actor if actor_field.is_cached(record) else None
        if actor is not None:
            users[actor.pk] = actor.display_name
    missing = user_ids - set(users)
    if missing:
        users.update({user.pk: user.display_name for user in User.objects.filter(pk__in=missing)})
    sources = (
        dict(SourceChannel.objects.filter(pk__in=source_ids).values_list("pk", "name"))
        if source_ids
        else {}
    )
    companies = (
        dict(Company.objects.filter(pk__in=company_ids).values_list("pk", "name"))
        if company_ids
        else {}
    )
    contacts = (
        {contact.pk: contact.display_name for contact in Contact.objects.filter(pk__in=contact_ids)}
        if contact_ids
        else {}
    )
    labels = _standard_labels()
    custom = {
        record_type: _custom_fields(keys, record_type) for record_type, keys in custom_keys.items()
    }
    vias = dict(ChangeVia.choices)
    statuses = dict(ConsentStatus.choices)

    def show(record: ChangeRecord, value: Any) -> str:
        if value in (None, "", []):
            return "—"
        if record.field == "responsible":
            return users.get(value, f"#{value}")
        if record.field == "source":
            return sources.get(value, f"#{value}")
        if record.field == "companies":
            return _links_display(value, companies)
        if record.field == "contacts":
            return _links_display(value, contacts)
        if record.field.startswith("custom."):
            definition = custom.get(record.record_type, {}).get(
                record.field.removeprefix("custom.")
            )
            if definition is not None:
                return display_text(definition, value) or "—"
        if record.field.startswith("consent."):
            return str(statuses.get(value, value))
        if record.field == "archived_at":
            return _("archived")
        return _plain(value)

    entries = []
    for record in records:
        if record.field.startswith("custom."):
            key = record.field.removeprefix("custom.")
            definition = custom.get(record.record_type, {}).get(key)
            field_label = definition.label if definition is not None else key
        else:
            field_label = labels.get(record.field, record.field)
        actor_parts = [users[record.actor_id]] if record.actor_id in users else []
        if record.actor_label:
            actor_parts.append(record.actor_label)
        entries.append(
            HistoryEntry(
                at=record.at,
                record_type=record.record_type,
                record_id=record.record_id,
                field=record.field,
                field_label=field_label,
                old=record.old,
                new=record.new,
                old_display=show(record, record.old),
                new_display=show(record, record.new),
                actor_name=" · ".join(actor_parts) or _("system"),
                via=record.via,
                via_label=str(vias.get(record.via, record.via)),
                changeset=str(record.changeset),
            )
        )
    return entries


def _history_rows(
    shape: tuple[int | None, bool],
    *,
    record_type: str,
    ids: list[int],
    before: dt.datetime | None = None,
) -> Any:
    limit, _has_before = shape
    records = ChangeRecord.objects.filter(
        record_type=record_type, record_id__in=ids
    ).select_related("actor")
    if before is not None:
        records = records.filter(at__lt=before)
    records = records.order_by("-at", "-id")
    return records[:limit] if limit else records


HISTORY_ROWS = CompiledQuery(_history_rows)


def history_for(
    record: Contact | Company,
    *,
    limit: int | None = 50,
    before: dt.datetime | None = None,
    merged_ids: list[int] | None = None,
) -> list[HistoryEntry]:
    """The record's history, newest first, with that of records merged into it.

    The caller has checked the member may see the record (crm.selectors.access).
    """
    ids = [record.pk, *(merged_ids or [])]
    values: dict[str, Any] = {"record_type": record_type_of(record), "ids": ids}
    if before is not None:
        values["before"] = before
    rows = HISTORY_ROWS((limit, before is not None), **values)
    return render_history(rows)


def record_state_at(record: Contact | Company, at: dt.datetime) -> dict[str, Any] | None:
    """The record as it was at `at` (history's snapshot form), or None if it did not exist.

    Starts from the present snapshot and undoes, newest first, every change made after
    `at`. Fields added to the snapshot form later than a change are left as they are.
    """
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if record.created_at > at:
        return None
    state = snapshot(record)
    later = ChangeRecord.objects.filter(
        record_type=record_type_of(record), record_id=record.pk, at__gt=at
    ).order_by("-at", "-id")
    for change in expand_combined(later):
        if change.field in ("record", "merged", "merged_into", "merge_undone"):
            continue
        if change.old is None and change.field.startswith("custom."):
            state.pop(change.field, None)
        else:
            state[change.field] = change.old
    return state
