"""Writes of the public site's flows."""

from django.core.cache import cache
from django.db import transaction

# At most this many "find my workspace" e-mails per address per hour: enough for a
# person who lost the first one, too few to spam someone.
WORKSPACE_REMINDERS_PER_HOUR = 3


def request_workspace_reminder(*, email: str, language: str) -> bool:
    """Queue an e-mail to `email` listing the workspaces where it is a member.

    Public schema. The answer on screen never depends on the outcome, and the
    e-mail goes out from a worker, so neither reply nor timing tells whether the
    address has workspaces. Returns False when the hourly limit was reached.
    """
    from onboarding.tasks import email_workspace_list

    key = f"workspace-reminder:{email.strip().casefold()}"
    cache.add(key, 0, timeout=60 * 60)
    if cache.incr(key) > WORKSPACE_REMINDERS_PER_HOUR:
        return False
    transaction.on_commit(lambda: email_workspace_list.delay(email.strip(), language))
    return True
