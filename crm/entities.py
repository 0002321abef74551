"""What the CRM knows about each kind of record that carries custom fields.

- ENTITY_MODELS: entity -> model label, so code that rewrites stored custom values in
  bulk (type changes) or indexes them finds the table without importing every model.
  Deals are registered here when the daily-work issue adds them.
- STANDARD_FIELDS: the standard fields a workspace may make required, per entity, with
  their labels. The names are those of the `standard` dict the record actions pass to
  `crm.custom_values.missing_required_fields` (multi-valued fields are lists).
"""

from django.apps import apps
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from crm.models.custom_fields import Entity

# The JSONB column holding custom values on every registered model.
CUSTOM_VALUES_COLUMN = "custom"

ENTITY_MODELS: dict[str, str] = {
    Entity.CONTACT: "crm.Contact",
    Entity.COMPANY: "crm.Company",
    Entity.DEAL: "crm.Deal",
}


def entity_model(entity: str) -> type[models.Model] | None:
    """The model storing records of `entity`, or None while it does not exist yet."""
    label = ENTITY_MODELS.get(entity)
    if label is None:
        return None
    try:
        return apps.get_model(label)
    except LookupError:
        return None


ENTITY_PLURAL_LABELS: dict[str, Promise] = {
    Entity.CONTACT: _("Contacts"),
    Entity.COMPANY: _("Companies"),
    Entity.DEAL: _("Deals"),
}


STANDARD_FIELDS: dict[str, dict[str, Promise]] = {
    Entity.CONTACT: {
        "surname": _("Surname"),
        "first_name": _("First name"),
        "patronymic": _("Patronymic"),
        "address_form": _("Preferred form of address"),
        "phones": _("Phones"),
        "emails": _("E-mails"),
        "messengers": _("Messengers"),
        "birthday": _("Birthday"),
        "position": _("Position"),
        "address": _("Address"),
        "source": _("Source"),
        "tags": _("Tags"),
        "companies": _("Companies"),
    },
    Entity.COMPANY: {
        "legal_name": _("Legal name"),
        "tax_number": _("Tax number"),
        "industry": _("Industry"),
        "headcount": _("Headcount"),
        "website": _("Website"),
        "phones": _("Phones"),
        "emails": _("E-mails"),
        "addresses": _("Addresses"),
        "source": _("Source"),
        "tags": _("Tags"),
    },
    Entity.DEAL: {
        "amount": _("Amount"),
        "expected_close_date": _("Expected close date"),
        "contact": _("Contact"),
        "company": _("Company"),
        "responsible": _("Responsible manager"),
        "tags": _("Tags"),
    },
}


def standard_field_label(entity: str, field: str) -> str:
    return str(STANDARD_FIELDS.get(entity, {}).get(field, field))
