"""Filters the timeline's entries use: labels of stored codes, durations, money, times."""

from decimal import Decimal
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from crm.actions.timeline import CallOutcome, InvoiceStatus, MessageChannel, ProposalStatus
from crm.models import ActivityKind

register = template.Library()


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


@register.filter
def call_outcome_label(value: Any) -> str:
    return _label(CallOutcome, value)


@register.filter
def channel_label(value: Any) -> str:
    return _label(MessageChannel, value)


@register.filter
def activity_status_label(entry: Any) -> str:
    statuses = ProposalStatus if entry.kind == ActivityKind.PROPOSAL else InvoiceStatus
    return _label(statuses, entry.status)


@register.filter
def duration_text(seconds: Any) -> str:
    """ "4 min 05 s" style, in the reader's language."""
    if seconds in (None, ""):
        return ""
    minutes, rest = divmod(int(seconds), 60)
    if minutes and rest:
        return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": rest}
    if minutes:
        return _("%(minutes)s min") % {"minutes": minutes}
    return _("%(seconds)s s") % {"seconds": rest}


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """An amount in the reader's number format, with its currency code."""
    if amount is None:
        return ""
    return f"{formats.number_format(amount, 2, use_l10n=True, force_grouping=True)} {currency}"


@register.filter
def iso_time(value: Any) -> str:
    """A stored ISO moment as a local date and time."""
    moment = parse_datetime(str(value or ""))
    if moment is None:
        return ""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


@register.filter
def version_field_label(name: str) -> str:
    """The label of a column kept in an ActivityVersion snapshot."""
    from crm.models import Activity

    labels = {"details": _("Details"), "file_name": _("File")}
    if name in labels:
        return str(labels[name])
    try:
        return str(getattr(Activity._meta.get_field(name), "verbose_name", name)).capitalize()
    except Exception:
        return name


@register.filter
def version_value(value: Any) -> str:
    """A snapshot's value as a reader wants it (times local, details as "key: value")."""
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            shown = ", ".join(item) if isinstance(item, list) else str(item)
            parts.append(f"{key}: {shown}")
        return "; ".join(parts)
    if isinstance(value, str):
        moment = parse_datetime(value) if "T" in value and len(value) >= 16 else None
        if moment is not None:
            return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    return str(value)
