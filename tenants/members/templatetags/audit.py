"""{% audit_changes entry.changes as lines %}: readable audit changes (tenants.members.audit)."""

from django import template

from tenants.members.audit import ChangeLine, describe_changes

register = template.Library()


@register.simple_tag
def audit_changes(changes: object) -> list[ChangeLine]:
    return describe_changes(changes)
