"""Writes of the public site's flows."""

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

# At most this many "find my workspace" e-mails per address per hour: enough for a
# person who lost the first one, too few to spam someone.
WORKSPACE_REMINDERS_PER_HOUR = 3


def request_workspace_reminder(*, email: str, language: str, client: str = "") -> bool:
    """Queue an e-mail to `email` listing the workspaces where it is a member.

    Public schema. The answer on screen never depends on the outcome, and the
    e-mail goes out from a worker, so neither reply nor timing tells whether the
    address has workspaces. Returns False when an hourly limit (per address, per client
    address) was reached.
    """
    from onboarding.tasks import email_workspace_list

    # Per client too, whatever the addresses: the platform must not mail lists of strangers.
    if client and not _within_hourly_limit(
        f"workspace-reminder-client:{client}", settings.WORKSPACE_REMINDERS_PER_CLIENT_PER_HOUR
    ):
        return False
    if not _within_hourly_limit(
        f"workspace-reminder:{email.strip().casefold()}", WORKSPACE_REMINDERS_PER_HOUR
    ):
        return False
    transaction.on_commit(lambda: email_workspace_list.delay(email.strip(), language))
    return True


def _within_hourly_limit(key: str, limit: int) -> bool:
    """Count one more event under `key` (public schema's cache); False once over `limit`."""
    cache.add(key, 0, timeout=60 * 60)
    return cache.incr(key) <= limit


def record_signup_attempt(*, client: str, email: str) -> bool:
    """Count a signup attempt against the client address and the owner e-mail.

    Public schema. Each signup creates a PostgreSQL schema and sends an e-mail, so both
    are limited per hour (settings SIGNUPS_PER_CLIENT_PER_HOUR, SIGNUPS_PER_EMAIL_PER_HOUR).
    Returns False when either limit is reached: the caller creates nothing then.
    """
    per_client = _within_hourly_limit(
        f"signup-attempts:client:{client}", settings.SIGNUPS_PER_CLIENT_PER_HOUR
    )
    per_email = _within_hourly_limit(
        f"signup-attempts:email:{email.strip().casefold()}", settings.SIGNUPS_PER_EMAIL_PER_HOUR
    )
    return per_client and per_email


def set_checklist_dismissed(*, acting_user: Any, dismissed: bool) -> None:
    """Hide (or show again) the home page's get-started checklist for `acting_user`.

    Runs inside the member's workspace. A personal view setting, so it is allowed in a
    read-only workspace too and not audited.
    """
    from onboarding.importing.models import ChecklistDismissal

    if dismissed:
        ChecklistDismissal.objects.get_or_create(user=acting_user)
    else:
        ChecklistDismissal.objects.filter(user=acting_user).delete()
