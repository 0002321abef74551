"""Reads for the signup flow."""

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.members.models import Role, User
from tenants.models import Workspace

# A repeated signup this soon after the first, with the same owner and password,
# is the same person submitting twice (double click, back button, flaky network).
REPEATED_SIGNUP_WINDOW = timedelta(minutes=10)


def owner_of_just_created_workspace(
    *, subdomain: str, email: str, password: str
) -> tuple[Workspace, User] | None:
    """The workspace and owner a repeated signup refers to, or None if it is someone else's.

    Public schema; enters the workspace to check the owner's password.
    """
    workspace = Workspace.objects.filter(
        subdomain=subdomain,
        kind=Workspace.Kind.CUSTOMER,
        created_at__gte=timezone.now() - REPEATED_SIGNUP_WINDOW,
    ).first()
    if workspace is None:
        return None
    with schema_context(workspace.schema_name):
        owner = User.objects.filter(email__iexact=email, role=Role.OWNER, is_active=True).first()
        if owner is None or not owner.check_password(password):
            return None
    return workspace, owner
