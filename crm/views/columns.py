"""The columns a contact or company list can show, and each member's choice of them.

A column is a key ("name", "phones", "custom.<field key>"), a label and the sort key the
list selector understands (None: not sortable). Each member's chosen columns, in order,
are kept per record type in crm.ListColumns (one row per member and list).
"""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from crm.models import RecordType


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    sort: str | None = None
    field: Any = None  # the CustomField of a custom column

    @property
    def is_custom(self) -> bool:
        return self.key.startswith("custom.")


CONTACT_COLUMNS = [
    Column("name", _("Name"), "name"),
    Column("phones", _("Phones"), "phones"),
    Column("emails", _("E-mails"), "emails"),
    Column("companies", _("Companies"), "companies"),
    Column("position", _("Position"), "position"),
    Column("responsible", _("Responsible"), "responsible"),
    Column("source", _("Source"), "source"),
    Column("tags", _("Tags"), "tags"),
    Column("consent_personal_data", _("Personal data consent"), "consent_personal_data"),
    Column("consent_advertising", _("Advertising consent"), "consent_advertising"),
    Column("birthday", _("Birthday"), "birthday"),
    Column("created_at", _("Created"), "created_at"),
    Column("updated_at", _("Updated"), "updated_at"),
    Column("last_contact_at", _("Last contact"), "last_contact_at"),
]
COMPANY_COLUMNS = [
    Column("name", _("Name"), "name"),
    Column("tax_number", _("Tax number"), "tax_number"),
    Column("phones", _("Phones"), "phones"),
    Column("emails", _("E-mails"), "emails"),
    Column("legal_name", _("Legal name"), "legal_name"),
    Column("industry", _("Industry"), "industry"),
    Column("headcount", _("Headcount"), "headcount"),
    Column("website", _("Website"), "website"),
    Column("responsible", _("Responsible"), "responsible"),
    Column("source", _("Source"), "source"),
    Column("tags", _("Tags"), "tags"),
    Column("created_at", _("Created"), "created_at"),
    Column("updated_at", _("Updated"), "updated_at"),
    Column("last_contact_at", _("Last contact"), "last_contact_at"),
]
DEFAULT_COLUMNS: dict[str, list[str]] = {
    RecordType.CONTACT: [
        "name",
        "phones",
        "emails",
        "companies",
        "responsible",
        "tags",
        "created_at",
    ],
    RecordType.COMPANY: [
        "name",
        "tax_number",
        "phones",
        "emails",
        "responsible",
        "tags",
        "created_at",
    ],
}


def custom_fields_of(record_type: str) -> list[Any]:
    try:
        from crm.selectors.custom_fields import active_custom_fields
    except ImportError:  # pragma: no cover - the engine ships with the client base
        return []
    return list(active_custom_fields(record_type))


def field_label(field: Any) -> str:
    label = getattr(field, "display_label", None)
    if callable(label):
        return str(label())
    if label:
        return str(label)
    return str(getattr(field, "label", None) or field.key)


def available_columns(record_type: str, custom_fields: list[Any] | None = None) -> list[Column]:
    """Every column of the list: standard ones, then one per active custom field."""
    standard = CONTACT_COLUMNS if record_type == RecordType.CONTACT else COMPANY_COLUMNS
    fields = custom_fields if custom_fields is not None else custom_fields_of(record_type)
    custom = [
        Column(f"custom.{field.key}", field_label(field), f"custom.{field.key}", field)
        for field in fields
    ]
    return [*standard, *custom]


def chosen_columns(
    keys: list[str] | None, available: list[Column], record_type: str
) -> list[Column]:
    """The member's columns in their order (unknown keys dropped; "name" always first)."""
    by_key = {column.key: column for column in available}
    wanted = [key for key in (keys or DEFAULT_COLUMNS[record_type]) if key in by_key]
    if "name" in wanted:
        wanted.remove("name")
    return [by_key["name"], *(by_key[key] for key in dict.fromkeys(wanted))]
