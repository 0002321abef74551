"""Links to the public site that work from any host (a workspace, an unknown subdomain)."""

from django import template
from django.conf import settings
from django.urls import reverse

from tenants.selectors import public_site_url

register = template.Library()


@register.simple_tag
def public_url(view_name: str, *args: object) -> str:
    """Absolute URL of a public-site view, e.g. {% public_url 'signup' %}."""
    return public_site_url(reverse(view_name, urlconf=settings.PUBLIC_SCHEMA_URLCONF, args=args))
