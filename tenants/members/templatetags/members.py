"""Template helpers of the member pages."""

from django import template
from django.http import HttpRequest

from tenants.members.models import Role, User

register = template.Library()


@register.simple_tag
def admins_to_ask(request: HttpRequest) -> list[User]:
    """The active owners and admins a deactivated member can ask to be let back in.

    Empty unless this browser just tried to log in as a deactivated member (the flag
    tenants.members.adapter sets), so the list is not shown to any passer-by.
    """
    from tenants.members.adapter import INACTIVE_LOGIN_SESSION_KEY

    session = getattr(request, "session", None)
    if session is None or not session.get(INACTIVE_LOGIN_SESSION_KEY):
        return []
    return list(
        User.objects.filter(is_active=True, role__in=[Role.OWNER, Role.ADMIN]).order_by(
            "role", "full_name", "email"
        )[:5]
    )
