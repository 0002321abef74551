"""Small template helpers of the CRM pages."""

from typing import Any

from django import template

register = template.Library()

READABLE_ATTRIBUTES = {"position", "tax_number", "legal_name", "industry", "address"}


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """mapping[key], or "" (custom columns of a list row)."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.filter
def attr(record: Any, name: str) -> Any:
    """A plain text attribute of a record, for the list's simple columns."""
    if name not in READABLE_ATTRIBUTES:
        return ""
    return getattr(record, name, "") or ""


@register.filter
def consent_state(record: Any, column: str) -> str:
    """ "given", "withdrawn" or "" for a contact's consent column."""
    if column not in ("consent_personal_data", "consent_advertising"):
        return ""
    return str(getattr(record, column, "") or "")
