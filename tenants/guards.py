"""The one place that says whether the current workspace may be written to.

Billing (or an operator) sets `Workspace.status`; everything that writes asks here.
CRM actions call `ensure_workspace_writable()` first, so no write path can forget the
rule; the request middleware and the `workspace_task` base use the same check.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connection
from django.utils.translation import gettext_lazy as _

from tenants.models import Workspace, WorkspaceStatus

# Statuses in which members may still read (and export) but not change anything.
_NOT_WRITABLE = frozenset({WorkspaceStatus.READ_ONLY, WorkspaceStatus.SUSPENDED})


class WorkspaceReadOnlyError(Exception):
    """A write was attempted in a workspace that may currently only be read."""

    def __init__(self, workspace: Workspace | None = None):
        self.workspace = workspace
        super().__init__(str(self.message))

    @property
    def message(self) -> str:
        return str(
            _(
                "This workspace is read-only until its subscription is paid. "
                "You can still read and export everything."
            )
        )


def current_workspace() -> Workspace | None:
    """The workspace the default connection is in, or None in the public schema."""
    tenant = getattr(connection, "tenant", None)
    return tenant if isinstance(tenant, Workspace) else None


def workspace_is_writable(workspace: Workspace | None = None) -> bool:
    """Whether `workspace` (default: the current one) accepts writes now."""
    workspace = workspace if workspace is not None else current_workspace()
    return workspace is None or workspace.status not in _NOT_WRITABLE


def ensure_workspace_writable(workspace: Workspace | None = None) -> None:
    """Raise WorkspaceReadOnlyError unless the workspace accepts writes.

    Reads the status the connection's tenant row carries (set when the request or task
    entered the workspace), so it costs no query.
    """
    workspace = workspace if workspace is not None else current_workspace()
    if not workspace_is_writable(workspace):
        raise WorkspaceReadOnlyError(workspace)


def workspace_is_writable_now(workspace: Workspace) -> bool:
    """Like `workspace_is_writable`, but reads the status from the database (one query).

    For background work, whose tenant row may have been loaded (or cached) long ago.
    """
    status = Workspace.objects.filter(pk=workspace.pk).values_list("status", flat=True).first()
    return status not in _NOT_WRITABLE


F = TypeVar("F", bound=Callable[..., Any])


def allowed_when_read_only(view: F) -> F:
    """Mark a view whose POSTs must keep working in a read-only workspace.

    For the pages that get a workspace out of read-only (billing) and the ones that only
    read with a POST (export). tenants.middleware.ReadOnlyWorkspaceMiddleware honours it.
    """
    view.allowed_when_read_only = True  # type: ignore[attr-defined]
    return view
