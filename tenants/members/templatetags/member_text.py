"""Template filters for text people chose themselves, where the platform speaks."""

from django import template

from tenants.members.actions import quoted_for_email as _quoted_for_email

register = template.Library()


@register.filter
def quoted_for_email(value: object) -> str:
    """One line, bounded: `{{ user_display|quoted_for_email }}` inside quotation marks."""
    return _quoted_for_email(str(value))
