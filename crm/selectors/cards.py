"""Everything a contact's or a company's card shows, in a fixed number of queries.

A card loads: the record with its manager and source, its collections (phones,
e-mails, messengers, tags, companies or contact persons), consents with who recorded
them, its readable history (with the records merged into it), and the last merge that
can still be undone. The number of queries does not grow with any of them.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q

from crm.models import (
    ChangeRecord,
    Company,
    ConsentRecord,
    Contact,
    ContactCompany,
    Email,
    Merge,
    Messenger,
    Phone,
    RecordType,
    SourceChannel,
)
from crm.selectors.access import sees_all_clients, visible_companies, visible_contacts
from tenants.members.models import User

HISTORY_LIMIT = 100


@dataclass
class HistoryEntry:
    """One change as the card shows it: who, when, through what, which field, old -> new."""

    at: Any
    actor: str
    via: str
    via_label: str
    field: str
    field_label: str
    old: str
    new: str
    is_creation: bool = False
    record_label: str = ""  # set when the change was made to a record merged into this one


@dataclass
class Card:
    record: Any
    record_type: str
    consents: dict[str, list[ConsentRecord]] = field(default_factory=dict)
    consent_state: dict[str, str] = field(default_factory=dict)
    history: list[HistoryEntry] = field(default_factory=list)
    custom: list[Any] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    undoable_merge: Merge | None = None
    merged_names: list[str] = field(default_factory=list)


def _contact_queryset(user: Any, sees_all: bool) -> Any:
    return (
        visible_contacts(user, sees_all=sees_all)
        .select_related("responsible", "source", "created_by", "merged_into")
        .prefetch_related(
            Prefetch("phones", queryset=Phone.objects.order_by("position", "id")),
            Prefetch("emails", queryset=Email.objects.order_by("position", "id")),
            Prefetch("messengers", queryset=Messenger.objects.order_by("position", "id")),
            "tags",
            Prefetch(
                "company_links",
                queryset=ContactCompany.objects.select_related(
                    "company", "company__responsible"
                ).order_by("company__name", "id"),
            ),
            Prefetch(
                "consents",
                queryset=ConsentRecord.objects.select_related("recorded_by").order_by("-at", "-id"),
            ),
        )
    )


def _company_queryset(user: Any, sees_all: bool) -> Any:
    return (
        visible_companies(user, sees_all=sees_all)
        .select_related("responsible", "source", "created_by", "merged_into")
        .prefetch_related(
            Prefetch("phones", queryset=Phone.objects.order_by("position", "id")),
            Prefetch("emails", queryset=Email.objects.order_by("position", "id")),
            "tags",
            Prefetch(
                "contact_links",
                queryset=ContactCompany.objects.select_related("contact")
                .prefetch_related(
                    Prefetch("contact__phones", queryset=Phone.objects.order_by("position", "id")),
                    Prefetch("contact__emails", queryset=Email.objects.order_by("position", "id")),
                )
                .order_by("contact__surname", "contact__first_name", "id"),
            ),
        )
    )


def contact_card(user: Any, contact_id: int) -> Card | None:
    """The card of a contact `user` may see, or None (unknown or not theirs: a 404)."""
    sees_all = sees_all_clients(user)
    contact = _contact_queryset(user, sees_all).filter(pk=contact_id).first()
    if contact is None:
        return None
    card = Card(record=contact, record_type=RecordType.CONTACT)
    for consent in contact.consents.all():
        card.consents.setdefault(consent.kind, []).append(consent)
    for kind in ("personal_data", "advertising"):
        records = card.consents.get(kind, [])
        card.consent_state[kind] = records[0].status if records else ""
    _fill_common(card)
    return card


def company_card(user: Any, company_id: int) -> Card | None:
    """The card of a company `user` may see, or None."""
    sees_all = sees_all_clients(user)
    company = _company_queryset(user, sees_all).filter(pk=company_id).first()
    if company is None:
        return None
    card = Card(record=company, record_type=RecordType.COMPANY)
    _fill_common(card)
    return card


def _fill_common(card: Card) -> None:
    record = card.record
    card.custom = _custom_display(card.record_type, record.custom)
    card.missing = _missing(record)
    merged_ids = [
        row["pk"] for row in type(record).objects.filter(merged_into_id=record.pk).values("pk")
    ]
    changes = list(
        ChangeRecord.objects.filter(record_type=card.record_type)
        .filter(Q(record_id=record.pk) | Q(record_id__in=merged_ids))
        .select_related("actor")
        .order_by("-at", "-id")[:HISTORY_LIMIT]
    )
    card.history = _readable(card.record_type, record.pk, changes)
    card.undoable_merge = (
        Merge.objects.filter(
            record_type=card.record_type, primary_id=record.pk, undone_at__isnull=True
        )
        .order_by("-merged_at", "-id")
        .first()
    )


def _custom_display(record_type: str, values: dict[str, Any] | None) -> list[Any]:
    try:
        from crm.custom_values import custom_values_for_display
    except ImportError:  # pragma: no cover - the engine ships with the client base
        return []
    return [item for item in custom_values_for_display(record_type, values)]


def _missing(record: Any) -> list[str]:
    """Labels of the required fields this record lacks ("to complete")."""
    try:
        from crm.actions.clients import _current_missing
    except ImportError:  # pragma: no cover
        return []
    names = sorted(_current_missing(record))
    return [_field_label(record, name) for name in names]


def _field_label(record: Any, name: str) -> str:
    if name.startswith("custom."):
        from crm.selectors.custom_fields import custom_field_by_key

        found = custom_field_by_key(
            RecordType.CONTACT if isinstance(record, Contact) else RecordType.COMPANY,
            name.removeprefix("custom."),
        )
        return str(found.label) if found is not None else name
    return str(_STANDARD_LABELS.get(name) or _model_label(record, name))


def _model_label(record: Any, name: str) -> str:
    try:
        return str(type(record)._meta.get_field(name).verbose_name).capitalize()
    except Exception:
        return name


def _readable(record_type: str, record_id: int, changes: list[ChangeRecord]) -> list[HistoryEntry]:
    """Change records as people read them: names instead of ids, labels instead of keys."""
    member_ids: set[int] = set()
    source_ids: set[int] = set()
    for change in changes:
        if change.field == "responsible":
            member_ids |= {v for v in (change.old, change.new) if isinstance(v, int)}
        if change.field == "source":
            source_ids |= {v for v in (change.old, change.new) if isinstance(v, int)}
    members = (
        {m.pk: m.display_name for m in User.objects.filter(pk__in=member_ids)} if member_ids else {}
    )
    sources = (
        {s.pk: s.name for s in SourceChannel.objects.filter(pk__in=source_ids)}
        if source_ids
        else {}
    )
    fields = _custom_fields_by_key(record_type)
    # A creation is one line ("created the record"), not one line per field it set.
    creations = {
        change.changeset for change in changes if change.field == "record" and change.old is None
    }
    entries = []
    for change in changes:
        if change.changeset in creations and change.field != "record":
            continue
        entries.append(
            HistoryEntry(
                at=change.at,
                actor=(change.actor.display_name if change.actor else "") or change.actor_label,
                via=change.via,
                via_label=str(change.get_via_display()),
                field=change.field,
                field_label=_change_label(record_type, change.field, fields),
                old=_value_text(change.field, change.old, members, sources, fields),
                new=_value_text(change.field, change.new, members, sources, fields),
                is_creation=change.field == "record" and change.old is None,
                record_label="" if change.record_id == record_id else f"#{change.record_id}",
            )
        )
    return entries


def _custom_fields_by_key(record_type: str) -> dict[str, Any]:
    try:
        from crm.selectors.custom_fields import all_custom_fields
    except ImportError:  # pragma: no cover
        return {}
    return {f.key: f for f in all_custom_fields(record_type)}


def _change_label(record_type: str, name: str, fields: dict[str, Any]) -> str:
    if name.startswith("custom."):
        found = fields.get(name.removeprefix("custom."))
        return str(found.label) if found is not None else name
    if name.startswith("consent."):
        kind = name.removeprefix("consent.")
        return str(_STANDARD_LABELS.get(f"consent_{kind}", name))
    model = Contact if record_type == RecordType.CONTACT else Company
    return str(_STANDARD_LABELS.get(name) or _model_label(model(), name))


def _value_text(
    name: str, value: Any, members: dict[int, str], sources: dict[int, str], fields: dict[str, Any]
) -> str:
    from django.utils import formats
    from django.utils.dateparse import parse_date, parse_datetime
    from django.utils.translation import gettext as _

    if value is None or value == "" or value == []:
        return ""
    if name == "responsible" and isinstance(value, int):
        return members.get(value, f"#{value}")
    if name == "source" and isinstance(value, int):
        return sources.get(value, f"#{value}")
    if name.startswith("custom."):
        found = fields.get(name.removeprefix("custom."))
        if found is not None:
            from crm.custom_values import display_text

            return display_text(found, value)
    if name == "archived_at":
        return _("archived")
    if name.startswith("consent."):
        return {"given": str(_("given")), "withdrawn": str(_("withdrawn"))}.get(
            str(value), str(value)
        )
    if isinstance(value, list):
        return ", ".join(_list_item(item) for item in value)
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, str) and len(value) >= 10:
        moment = parse_datetime(value) if "T" in value else None
        if moment is not None:
            return formats.date_format(moment, "DATETIME_FORMAT")
        try:
            day = parse_date(value)
        except ValueError:
            day = None
        if day is not None:
            return formats.date_format(day, "DATE_FORMAT")
    return str(value)


def _list_item(item: Any) -> str:
    if isinstance(item, dict):
        return " ".join(str(v) for v in item.values() if v)
    return str(item)


def _labels() -> dict[str, Any]:
    from django.utils.translation import gettext_lazy as _

    return {
        "record": _("Record"),
        "surname": _("Surname"),
        "first_name": _("First name"),
        "patronymic": _("Patronymic"),
        "form_of_address": _("Preferred form of address"),
        "birthday": _("Birthday"),
        "position": _("Position"),
        "address": _("Address"),
        "source": _("Source"),
        "responsible": _("Responsible manager"),
        "pinned_note": _("Pinned note"),
        "archived_at": _("Archive"),
        "phones": _("Phones"),
        "emails": _("E-mails"),
        "messengers": _("Messengers"),
        "tags": _("Tags"),
        "companies": _("Companies"),
        "contacts": _("Contact persons"),
        "name": _("Name"),
        "legal_name": _("Legal name"),
        "tax_number": _("Tax number"),
        "industry": _("Industry"),
        "headcount": _("Headcount"),
        "website": _("Website"),
        "addresses": _("Addresses"),
        "consent_personal_data": _("Personal data consent"),
        "consent_advertising": _("Advertising consent"),
        "merged_into": _("Merged into"),
    }


_STANDARD_LABELS = _labels()
