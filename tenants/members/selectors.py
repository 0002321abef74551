"""Reads for the members and settings pages."""

from django.db.models import QuerySet

from tenants.members.models import AuditEntry, Invitation, User


def members_for_list() -> QuerySet[User]:
    """Every member, active first, then by name."""
    return User.objects.order_by("-is_active", "full_name", "email")


def open_invitations() -> QuerySet[Invitation]:
    """Invitations not yet accepted or revoked (expired ones included, marked by is_open)."""
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")


def recent_audit_entries(limit: int = 50) -> QuerySet[AuditEntry]:
    """The newest entries of the workspace's audit log, with their authors."""
    return AuditEntry.objects.select_related("actor")[:limit]
