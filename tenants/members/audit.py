"""Audit entries as people read them: field labels and values in the reader's language.

Changes are stored as codes (`{"time_zone": ["Europe/Moscow", "Europe/Kyiv"]}`) so they
stay true whatever the language; this module turns them into "Time zone: Moscow ·
UTC+03:00 → Kyiv · UTC+02:00" at display time. Every audit view uses it: register the
fields an app records (`register_audit_field`) and render with `describe_changes` or the
`{% audit_changes %}` tag (tenants/members/templatetags/audit.py).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tenants.members.models import Role
from tenants.regional import zone_label


@dataclass(frozen=True)
class AuditField:
    label: object  # a lazy translation
    show: Callable[[object], str]


@dataclass(frozen=True)
class ChangeLine:
    field: str
    label: str
    old: str
    new: str


_FIELDS: dict[str, AuditField] = {}
EMPTY = "—"


def register_audit_field(
    key: str, label: object, show: Callable[[object], str] | None = None
) -> None:
    """Say how field `key` of audit changes reads: its label and how a value is shown."""
    _FIELDS[key] = AuditField(label=label, show=show or (lambda value: str(value)))


def _country(value: object) -> str:
    from django_countries import countries

    return str(countries.name(str(value))) or str(value)


def _language(value: object) -> str:
    names = dict(settings.LANGUAGES)
    return str(names.get(str(value), value))


def _role(value: object) -> str:
    try:
        return str(Role(str(value)).label)
    except ValueError:
        return str(value)


def _yes_no(value: object) -> str:
    return str(_("yes") if value in (True, "True", "true", 1) else _("no"))


register_audit_field("name", _("Name"))
register_audit_field("default_country", _("Default country"), _country)
register_audit_field("time_zone", _("Time zone"), lambda value: zone_label(str(value)))
register_audit_field("default_language", _("Default language"), _language)
register_audit_field("language", _("Language"), _language)
register_audit_field("role", _("Role"), _role)
register_audit_field("email", _("E-mail"))
register_audit_field("full_name", _("Name"))
register_audit_field("is_active", _("Active"), _yes_no)


@dataclass(frozen=True)
class AuditAction:
    label: object  # a lazy translation
    describe: Callable[[object], str] | None  # the entry's changes -> its sentence


_ACTIONS: dict[str, AuditAction] = {}


def register_audit_action(
    code: str, label: object, describe: Callable[[object], str] | None = None
) -> None:
    """Name an action code that is not one of AuditEntry.Action's choices (other apps'
    entries, e.g. exports), and optionally say how its entry reads as a sentence from its
    `changes`. Keys of `changes` starting with "_" hold such data, not field changes."""
    _ACTIONS[code] = AuditAction(label=label, describe=describe)


def describe_action(action: str, changes: object, fallback: str = "") -> str:
    """What an entry says it did, in the active language."""
    spec = _ACTIONS.get(action)
    if spec is None:
        return fallback or action
    if spec.describe is not None:
        return spec.describe(changes)
    return str(spec.label)


def show_value(field: str, value: object) -> str:
    if value in (None, ""):
        return EMPTY
    spec = _FIELDS.get(field)
    return spec.show(value) if spec is not None else str(value)


def field_label(field: str) -> str:
    spec = _FIELDS.get(field)
    return str(spec.label) if spec is not None else field.replace("_", " ").capitalize()


def describe_changes(changes: object) -> list[ChangeLine]:
    """The lines of an entry's `changes` ({field: [old, new]}), in the active language."""
    if not isinstance(changes, dict):
        return []
    lines = []
    for field, values in changes.items():
        if field.startswith("_"):
            continue
        if isinstance(values, list | tuple):
            old, new = [*values, None, None][:2]
        else:
            old, new = None, values
        lines.append(
            ChangeLine(
                field=field,
                label=field_label(field),
                old=show_value(field, old),
                new=show_value(field, new),
            )
        )
    return lines
