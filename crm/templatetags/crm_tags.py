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


@register.simple_tag
def money(amount: Any, currency: str = "") -> str:
    """An amount with its currency in the reader's number format ("150 000 RUB"), "—" if none."""
    from crm.views.deals import money as format_money

    return format_money(amount, currency or "")


@register.filter
def duration(seconds: Any) -> str:
    """Seconds as "3 d 4 h" / "5 h 10 min" / "12 min"."""
    from django.utils.translation import gettext as _

    try:
        total = int(seconds)
    except (TypeError, ValueError):
        return "—"
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


@register.filter
def forecast_cell(row: Any, month: Any) -> Any:
    """A forecast row's (currency, weighted, total, count) entries for `month`."""
    return row.cell(month)
