"""Periodic housekeeping inside each workspace."""

from tenants.members import actions
from tenants.task_runtime import workspace_task


@workspace_task(writes=False)
def clear_expired_sessions() -> int:
    """Beat sends this to every workspace daily; safe to run twice."""
    return actions.clear_expired_sessions()
