"""The billing banner every workspace page shows: trial days left, past due, read-only."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from billing.models import SubscriptionStatus
from billing.selectors import subscription_of, trial_days_left


def _banner(request: HttpRequest) -> dict[str, object] | None:
    workspace = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if (
        workspace is None
        or workspace.schema_name == settings.PUBLIC_SCHEMA_NAME
        or user is None
        or not user.is_authenticated
    ):
        return None
    subscription = subscription_of(workspace)
    if subscription is None:
        return None
    return {
        "status": subscription.status,
        "trial_days_left": trial_days_left(subscription),
        "trial_ends_at": subscription.trial_ends_at,
        "grace_ends_at": subscription.grace_ends_at,
        "read_only": subscription.status
        in (SubscriptionStatus.READ_ONLY, SubscriptionStatus.CANCELED),
        "past_due": subscription.status == SubscriptionStatus.PAST_DUE,
        "cancel_at_period_end": subscription.cancel_at_period_end,
        "current_period_end": subscription.current_period_end,
    }


def billing_banner(request: HttpRequest) -> dict[str, object]:
    """Lazy: costs its one query only on pages that show the banner."""
    return {"billing_banner": SimpleLazyObject(lambda: _banner(request) or {})}
