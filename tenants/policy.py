"""What a workspace may do, decided outside `tenants` (by billing) without `tenants` importing it.

`settings.WORKSPACE_POLICY` names the class (billing installs its own); `tenants` asks
`workspace_policy()` how many seats are paid, how many invitations an hour are allowed,
and tells it when a workspace has been created (so billing can start the trial).
"""

from functools import cache
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from tenants.models import Workspace


class WorkspacePolicy:
    """The platform's defaults, used when nothing else is configured."""

    def invitations_per_hour(self, workspace: Workspace) -> int:
        """How many invitation e-mails the workspace may send in an hour."""
        return int(getattr(settings, "INVITATIONS_PER_HOUR", 20))

    def seats_paid(self, workspace: Workspace) -> int | None:
        """How many active members the workspace pays for; None means no limit."""
        return None

    def workspace_created(self, workspace: Workspace) -> None:
        """Called inside the transaction that created the workspace (public schema)."""

    def seats_exhausted_message(self, workspace: Workspace, seats_paid: int) -> str:
        """What an admin reads when an invitation or reactivation needs one more seat."""
        return str(
            _("All %(seats)d paid seats are in use. Add seats first.") % {"seats": seats_paid}
        )

    def workspace_info(self, workspace: Workspace) -> dict[str, object]:
        """Extra facts about a workspace for scripts (e.g. `create_workspace --json`)."""
        return {}

    def backup_retention_days(self, workspace: Workspace) -> int:
        """How many days a finished backup of the workspace is kept."""
        return int(getattr(settings, "BACKUP_RETENTION_DAYS", 90))

    def backup_failed(self, backup: Any) -> bool:
        """Called once when a backup failed for good (public schema).

        Returns whether a charge for it was given back (billing refunds a paid one).
        """
        return False

    def backup_page(self, workspace: Workspace, member: Any) -> dict[str, object]:
        """Extra context for the Backups page: billing adds ordering and schedules.

        May name a template to include (`order_template`) that renders that context.
        """
        return {}


@cache
def workspace_policy() -> WorkspacePolicy:
    """The configured policy (one instance per process)."""
    dotted = getattr(settings, "WORKSPACE_POLICY", "tenants.policy.WorkspacePolicy")
    policy: WorkspacePolicy = import_string(dotted)()
    return policy
