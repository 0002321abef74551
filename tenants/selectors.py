"""Reads about workspaces: their addresses and what operators see of them."""

from django.conf import settings
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from tenants.models import MemberDirectoryEntry, Workspace


def _port_suffix() -> str:
    return f":{settings.PLATFORM_PORT}" if settings.PLATFORM_PORT else ""


def public_site_url(path: str = "/") -> str:
    """Absolute URL on the public site (landing, signup, find my workspace)."""
    return f"{settings.PLATFORM_SCHEME}://{settings.PLATFORM_DOMAIN}{_port_suffix()}{path}"


def workspace_host(subdomain: str) -> str:
    """The host name a workspace is served at, without port."""
    return f"{subdomain}.{settings.PLATFORM_DOMAIN}"


def workspace_address(subdomain: str) -> str:
    """The address people type for a workspace, with the port when there is one (development)."""
    return f"{workspace_host(subdomain)}{_port_suffix()}"


def workspace_url_pattern() -> str:
    """Every workspace's origin as a CSP source: "https://*.example.com" (with the port)."""
    return f"{settings.PLATFORM_SCHEME}://*.{settings.PLATFORM_DOMAIN}{_port_suffix()}"


def workspace_url(workspace: Workspace, path: str = "/") -> str:
    """Absolute URL of `path` inside `workspace`."""
    return (
        f"{settings.PLATFORM_SCHEME}://{workspace_host(workspace.subdomain)}{_port_suffix()}{path}"
    )


def customer_workspaces() -> QuerySet[Workspace]:
    """Workspaces of businesses (not the public site, not the template)."""
    return Workspace.objects.filter(kind=Workspace.Kind.CUSTOMER)


def customer_workspace_at(subdomain: str) -> Workspace | None:
    """The active or read-only customer workspace at `subdomain` (suspended ones too)."""
    if not subdomain:
        return None
    return customer_workspaces().filter(subdomain=subdomain).first()


def workspaces_for_operators() -> QuerySet[Workspace]:
    """Customer workspaces with their active member count and owner e-mail, newest first.

    Reads the public member directory, so it costs one query however many schemas exist.
    """
    owner_email = (
        MemberDirectoryEntry.objects.filter(workspace=OuterRef("pk"), role="owner", is_active=True)
        .order_by("user_id")
        .values("email")[:1]
    )
    # A subquery, not Count() over a join: a later filter through member_directory
    # (the console's search by member e-mail) would join it again and multiply the count.
    members_count = (
        MemberDirectoryEntry.objects.filter(workspace=OuterRef("pk"), is_active=True)
        .order_by()
        .values("workspace")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        customer_workspaces()
        .annotate(
            members_count=Coalesce(Subquery(members_count), 0),
            owner_email=Subquery(owner_email),
        )
        .order_by("-created_at")
    )


def workspaces_of_email(email: str) -> list[Workspace]:
    """Customer workspaces where `email` is an active member with the address confirmed.

    Case-insensitive. Unconfirmed addresses are left out: anyone can sign up with someone
    else's address, and that must not put a workspace into that person's list.
    """
    return list(
        customer_workspaces()
        .filter(
            member_directory__email__iexact=email.strip(),
            member_directory__is_active=True,
            member_directory__email_verified=True,
        )
        .distinct()
        .order_by("name")
    )
