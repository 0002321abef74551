"""Small template helpers of the CRM pages."""

from typing import Any

from django import template

register = template.Library()


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
