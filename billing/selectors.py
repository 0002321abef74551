"""Reads about billing: seats in use, who to e-mail, what the billing page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from billing.models import Invoice, Plan, SeatLedgerEntry, Subscription, SubscriptionStatus
from tenants.models import MemberDirectoryEntry, Workspace


def seats_used(workspace: Workspace) -> int:
    """Active members of the workspace (a seat each), from the public directory: one query."""
    return MemberDirectoryEntry.objects.filter(workspace=workspace, is_active=True).count()


def _emails(workspace: Workspace, roles: tuple[str, ...]) -> list[str]:
    return list(
        MemberDirectoryEntry.objects.filter(workspace=workspace, is_active=True, role__in=roles)
        .order_by("user_id")
        .values_list("email", flat=True)
    )


def owner_emails(workspace: Workspace) -> list[str]:
    return _emails(workspace, ("owner",))


def admin_emails(workspace: Workspace) -> list[str]:
    return _emails(workspace, ("owner", "admin"))


def subscription_of(workspace: Workspace) -> Subscription | None:
    return (
        Subscription.objects.select_related("plan", "renewal_plan")
        .filter(workspace=workspace)
        .first()
    )


def public_plans() -> list[Plan]:
    return list(Plan.objects.filter(is_public=True).order_by("rank"))


@dataclass(frozen=True)
class BillingOverview:
    subscription: Subscription
    seats_used: int
    trial_days_left: int | None
    renewal_amount: Decimal | None
    renewal_date: datetime | None
    invoices: list[Invoice]
    ledger: list[SeatLedgerEntry]


def trial_days_left(subscription: Subscription) -> int | None:
    """Whole days (rounded up) until the trial ends; None outside a trial."""
    return _trial_days_left(subscription.status, subscription.trial_ends_at)


def _trial_days_left(status: str, trial_ends_at: datetime | None) -> int | None:
    if status != SubscriptionStatus.TRIALING or trial_ends_at is None:
        return None
    seconds = (trial_ends_at - timezone.now()).total_seconds()
    return max(0, -int(-seconds // 86400))


def banner_state(workspace: Workspace) -> dict[str, object] | None:
    """What the billing banner of every workspace page needs, or None without a subscription.

    Five columns of one row, not the subscription with its plans: it runs on every page, so
    it is kept to the cheapest query to build and read.
    """
    row = (
        Subscription.objects.filter(workspace_id=workspace.pk)
        .values_list(
            "status", "trial_ends_at", "grace_ends_at", "cancel_at_period_end", "current_period_end"
        )
        .first()
    )
    if row is None:
        return None
    status, trial_ends_at, grace_ends_at, cancel_at_period_end, current_period_end = row
    return {
        "status": status,
        "trial_days_left": _trial_days_left(status, trial_ends_at),
        "trial_ends_at": trial_ends_at,
        "grace_ends_at": grace_ends_at,
        "read_only": status in (SubscriptionStatus.READ_ONLY, SubscriptionStatus.CANCELED),
        "past_due": status == SubscriptionStatus.PAST_DUE,
        "cancel_at_period_end": cancel_at_period_end,
        "current_period_end": current_period_end,
    }


def billing_overview(workspace: Workspace) -> BillingOverview | None:
    """Everything the workspace's billing page shows (a few queries, no Stripe call)."""
    subscription = subscription_of(workspace)
    if subscription is None:
        return None
    renewal_amount = None
    renewal_date = None
    if subscription.stripe_subscription_id and subscription.status in (
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.PAST_DUE,
    ):
        plan = subscription.renewal_plan or subscription.plan
        period = subscription.renewal_period or subscription.billing_period
        seats = subscription.renewal_seats or subscription.seats_paid
        if not subscription.cancel_at_period_end:
            renewal_amount = plan.price_per_seat(period) * seats
        renewal_date = subscription.current_period_end
    return BillingOverview(
        subscription=subscription,
        seats_used=seats_used(workspace),
        trial_days_left=trial_days_left(subscription),
        renewal_amount=renewal_amount,
        renewal_date=renewal_date,
        invoices=list(Invoice.objects.filter(workspace=workspace)[:24]),
        ledger=list(SeatLedgerEntry.objects.filter(workspace=workspace)[:20]),
    )


def billing_status(workspace: Workspace) -> dict[str, object]:
    """The facts `manage.py billing_status --json` prints."""
    subscription = subscription_of(workspace)
    if subscription is None:
        return {"status": None, "subdomain": workspace.subdomain}

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "subdomain": workspace.subdomain,
        "status": subscription.status,
        "workspace_status": workspace.status,
        "plan": subscription.plan.code,
        "billing_period": subscription.billing_period,
        "seats_paid": subscription.seats_paid,
        "free_seats": subscription.free_seats,
        "seats_used": seats_used(workspace),
        "renewal_seats": subscription.renewal_seats,
        "renewal_plan": subscription.renewal_plan.code if subscription.renewal_plan else None,
        "trial_ends_at": iso(subscription.trial_ends_at),
        "current_period_end": iso(subscription.current_period_end),
        "cancel_at_period_end": subscription.cancel_at_period_end,
        "grace_ends_at": iso(subscription.grace_ends_at),
        "comped": subscription.comped,
        "stripe_customer_id": subscription.stripe_customer_id,
        "stripe_subscription_id": subscription.stripe_subscription_id,
    }


def monthly_recurring_revenue(subscription: Subscription) -> Decimal:
    """What the subscription brings a month (yearly prices / 12); 0 when not paying."""
    if subscription.comped or subscription.status not in (
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.PAST_DUE,
    ):
        return Decimal("0.00")
    price = subscription.plan.price_per_seat(subscription.billing_period)
    if subscription.billing_period == "year":
        price = price / 12
    return (price * subscription.seats_paid).quantize(Decimal("0.01"))
