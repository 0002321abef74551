"""{% audit_changes entry.changes as lines %}: readable audit changes (tenants.members.audit)."""

from django import template

from tenants.members.audit import ChangeLine, describe_action, describe_changes

register = template.Library()


@register.simple_tag
def audit_changes(changes: object) -> list[ChangeLine]:
    return describe_changes(changes)


@register.simple_tag
def audit_action(entry: object) -> str:
    """{% audit_action entry %}: what the entry did, also for other apps' action codes."""
    return describe_action(
        str(getattr(entry, "action", "")),
        getattr(entry, "changes", None),
        fallback=str(entry.get_action_display()),  # type: ignore[attr-defined]
    )
