"""Every change of billing state: the trial, Checkout, seats, plans, Stripe's word, operators.

Public schema tables (reachable from inside a workspace through the search path). Calls
to Stripe happen outside database transactions; the state they return is then applied
under a row lock on the subscription (`_apply_stripe_subscription`), the same function
that webhook processing uses, so the order in which Stripe's answers and webhooks
arrive never changes the final state. The workspace's status (tenants) follows the
subscription's in the same transaction (`_sync_workspace_status`).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from psycopg import sql
from psycopg.types.json import Jsonb

from billing import gateway
from billing.defaults import DEFAULT_PLANS
from billing.models import (
    WRITABLE_STATUSES,
    BillingPeriod,
    Invoice,
    OperatorAction,
    Plan,
    SeatLedgerEntry,
    StripeEvent,
    Subscription,
    SubscriptionStatus,
)
from billing.selectors import admin_emails, owner_emails, seats_used
from tenants.models import Workspace, WorkspaceStatus
from tenants.selectors import workspace_url

logger = logging.getLogger(__name__)

TRIAL_REMINDER_DAYS = (3, 1)
STRIPE_ACTOR = "stripe"
SYSTEM_ACTOR = "system"


class BillingError(ValidationError):
    """A billing change that cannot be made; the message says why, in the reader's language."""


def _grace_period() -> timedelta:
    return timedelta(days=settings.BILLING_GRACE_DAYS)


def default_plan() -> Plan:
    """The plan new trials start on (the default one, else the cheapest public one)."""
    plan = Plan.objects.filter(is_default=True).first() or Plan.objects.order_by("rank").first()
    if plan is None:
        # The seeded plans are gone (a flushed database): put the defaults back.
        for values in DEFAULT_PLANS:
            Plan.objects.get_or_create(code=values["code"], defaults=values)
        return default_plan()
    return plan


def _actor_of(user: Any) -> str:
    return str(getattr(user, "email", "") or user)


def _require_admin(acting_user: Any) -> None:
    if not (getattr(acting_user, "is_active", False) and acting_user.is_workspace_admin):
        raise PermissionDenied(_("Only owners and admins can do this."))


def _require_operator(acting_operator: Any) -> None:
    if not getattr(acting_operator, "is_staff", False):
        raise PermissionDenied("only operators change billing by hand")


def _sync_workspace_status(subscription: Subscription) -> None:
    """Make the workspace writable or read-only as the subscription says; never un-suspend."""
    target = (
        WorkspaceStatus.ACTIVE
        if subscription.status in WRITABLE_STATUSES
        else WorkspaceStatus.READ_ONLY
    )
    Workspace.objects.filter(pk=subscription.workspace_id).exclude(
        status__in=[target, WorkspaceStatus.SUSPENDED]
    ).update(status=target)


def _ledger(
    subscription: Subscription,
    *,
    actor: str,
    reason: str,
    delta: int,
    seats_after: int,
    note: str = "",
    effective_at: datetime | None = None,
) -> None:
    SeatLedgerEntry.objects.create(
        workspace_id=subscription.workspace_id,
        actor=actor,
        reason=reason,
        delta=delta,
        seats_after=seats_after,
        note=note,
        effective_at=effective_at,
    )


def _locked(workspace: Workspace) -> Subscription:
    return Subscription.objects.select_for_update().select_related("plan").get(workspace=workspace)


# ---------------------------------------------------------------- trial


@transaction.atomic
def start_trial(*, workspace: Workspace) -> Subscription:
    """Start the workspace's free trial (no card). One trial per workspace: idempotent."""
    plan = default_plan()
    subscription, _created = Subscription.objects.get_or_create(
        workspace=workspace,
        defaults={
            "plan": plan,
            "status": SubscriptionStatus.TRIALING,
            "trial_ends_at": timezone.now() + timedelta(days=plan.trial_days),
        },
    )
    return subscription


def _send_trial_reminder(subscription: Subscription, days: int) -> None:
    workspace = subscription.workspace
    context = {
        "workspace": workspace,
        "days": days,
        "trial_ends_at": subscription.trial_ends_at,
        "billing_url": workspace_url(workspace, reverse("billing")),
    }
    with translation.override(workspace.default_language):
        subject = render_to_string("billing/email/trial_ending_subject.txt", context).strip()
        body = render_to_string("billing/email/trial_ending_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, owner_emails(workspace))


def send_trial_reminders(*, now: datetime | None = None) -> int:
    """E-mail owners 3 days and 1 day before their trial ends; each reminder once.

    Safe to run as often as beat likes: a reminder is marked sent (under a row lock) in
    the same transaction that schedules its e-mail. When both are due (a late run), only
    the nearer one is sent. Returns how many reminders were sent.
    """
    now = now or timezone.now()
    horizon = now + timedelta(days=max(TRIAL_REMINDER_DAYS))
    sent = 0
    candidates = Subscription.objects.filter(
        status=SubscriptionStatus.TRIALING, trial_ends_at__gt=now, trial_ends_at__lte=horizon
    ).values_list("pk", flat=True)
    for pk in candidates:
        with transaction.atomic():
            subscription = (
                Subscription.objects.select_for_update(skip_locked=True)
                .select_related("workspace")
                .filter(pk=pk, status=SubscriptionStatus.TRIALING)
                .first()
            )
            if subscription is None or subscription.trial_ends_at is None:
                continue
            left = subscription.trial_ends_at - now
            due = [d for d in TRIAL_REMINDER_DAYS if left <= timedelta(days=d)]
            if not due or str(min(due)) in subscription.trial_reminders_sent:
                continue
            subscription.trial_reminders_sent = sorted(
                set(subscription.trial_reminders_sent) | {str(d) for d in due}
            )
            subscription.save(update_fields=["trial_reminders_sent", "updated_at"])
            days = min(due)
            transaction.on_commit(
                lambda s=subscription, d=days: _send_trial_reminder(s, d)  # type: ignore[misc]
            )
            sent += 1
    return sent


def expire_trials(*, now: datetime | None = None) -> int:
    """Make workspaces whose trial ended unpaid read-only. Nothing is deleted."""
    now = now or timezone.now()
    expired = 0
    pks = Subscription.objects.filter(
        status=SubscriptionStatus.TRIALING, trial_ends_at__lte=now, comped=False
    ).values_list("pk", flat=True)
    for pk in pks:
        with transaction.atomic():
            subscription = (
                Subscription.objects.select_for_update()
                .filter(pk=pk, status=SubscriptionStatus.TRIALING, trial_ends_at__lte=now)
                .first()
            )
            if subscription is None:
                continue
            subscription.status = SubscriptionStatus.READ_ONLY
            subscription.save(update_fields=["status", "updated_at"])
            _sync_workspace_status(subscription)
            expired += 1
    return expired


def expire_grace_periods(*, now: datetime | None = None) -> int:
    """Past-due workspaces whose grace period is over become read-only until paid."""
    now = now or timezone.now()
    expired = 0
    pks = Subscription.objects.filter(
        status=SubscriptionStatus.PAST_DUE, grace_ends_at__lte=now, comped=False
    ).values_list("pk", flat=True)
    for pk in pks:
        with transaction.atomic():
            subscription = (
                Subscription.objects.select_for_update()
                .filter(pk=pk, status=SubscriptionStatus.PAST_DUE, grace_ends_at__lte=now)
                .first()
            )
            if subscription is None:
                continue
            subscription.status = SubscriptionStatus.READ_ONLY
            subscription.save(update_fields=["status", "updated_at"])
            _sync_workspace_status(subscription)
            expired += 1
    return expired


def run_billing_clock(*, now: datetime | None = None) -> dict[str, int]:
    """Everything time alone changes: trial reminders, trial ends, grace ends (beat)."""
    return {
        "trial_reminders": send_trial_reminders(now=now),
        "trials_expired": expire_trials(now=now),
        "grace_expired": expire_grace_periods(now=now),
    }


# ---------------------------------------------------------------- Stripe catalogue


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def ensure_stripe_catalog(plan: Plan) -> Plan:
    """Create the plan's Stripe product and its monthly and yearly per-seat prices if missing.

    Idempotency keys derive from the plan and its prices, so two processes doing this at
    once (or a retry) get the same Stripe objects.
    """
    if plan.stripe_product_id and plan.stripe_price_monthly_id and plan.stripe_price_yearly_id:
        return plan
    mode = "live" if (settings.STRIPE_SECRET_KEY or "").startswith("sk_live") else "test"
    base = f"kt-{mode}-plan-{plan.code}"
    product_id = plan.stripe_product_id
    if not product_id:
        product_id = gateway.create_product(
            name=f"Kartoteka {plan.name}",
            metadata={"plan": plan.code},
            idempotency_key=f"{base}-product",
        )["id"]
    prices = {}
    for period in (BillingPeriod.MONTH, BillingPeriod.YEAR):
        existing = plan.stripe_price_id(period)
        if existing:
            prices[period] = existing
            continue
        amount = _cents(plan.price_per_seat(period))
        prices[period] = gateway.create_price(
            product=product_id,
            unit_amount=amount,
            currency=plan.currency,
            interval=str(period),
            lookup_key=f"kartoteka_{plan.code}_{period}",
            idempotency_key=f"{base}-{period}-{plan.currency}-{amount}",
        )["id"]
    Plan.objects.filter(pk=plan.pk).update(
        stripe_product_id=product_id,
        stripe_price_monthly_id=prices[BillingPeriod.MONTH],
        stripe_price_yearly_id=prices[BillingPeriod.YEAR],
    )
    plan.refresh_from_db()
    return plan


def _plan_for_price(price_id: str) -> tuple[Plan, str] | None:
    plan = Plan.objects.filter(stripe_price_monthly_id=price_id).first()
    if plan is not None:
        return plan, BillingPeriod.MONTH
    plan = Plan.objects.filter(stripe_price_yearly_id=price_id).first()
    if plan is not None:
        return plan, BillingPeriod.YEAR
    return None


# ---------------------------------------------------------------- subscribing


def _ensure_customer(workspace: Workspace) -> str:
    subscription = Subscription.objects.get(workspace=workspace)
    if subscription.stripe_customer_id:
        return subscription.stripe_customer_id
    owners = owner_emails(workspace)
    customer = gateway.create_customer(
        name=workspace.name,
        email=owners[0] if owners else "",
        metadata={"workspace_id": str(workspace.pk), "subdomain": workspace.subdomain},
        idempotency_key=f"kt-customer-{workspace.pk}",
    )
    Subscription.objects.filter(workspace=workspace, stripe_customer_id="").update(
        stripe_customer_id=customer["id"]
    )
    return str(Subscription.objects.get(workspace=workspace).stripe_customer_id)


def can_start_checkout(subscription: Subscription) -> bool:
    """Whether the workspace has no live paid subscription (trial, read-only, cancelled)."""
    return subscription.comped is False and subscription.status in (
        SubscriptionStatus.TRIALING,
        SubscriptionStatus.READ_ONLY,
        SubscriptionStatus.CANCELED,
    )


def start_checkout(
    *,
    acting_user: Any,
    workspace: Workspace,
    plan: Plan,
    period: str,
    seats: int,
    attempt_key: str,
) -> str:
    """Open a Stripe Checkout Session for plan x seats; returns its URL.

    The subscription becomes live only when Stripe's webhook confirms it. `attempt_key`
    comes with the form, so submitting the same form twice opens the same session.
    """
    _require_admin(acting_user)
    subscription = Subscription.objects.get(workspace=workspace)
    if not can_start_checkout(subscription):
        raise BillingError(_("This workspace already has a subscription."))
    if period not in BillingPeriod.values:
        raise BillingError(_("Choose monthly or yearly billing."))
    used = seats_used(workspace)
    if seats < max(used, 1):
        raise BillingError(
            _("Choose at least %(count)d seats: this workspace has %(count)d active members.")
            % {"count": used}
        )
    progress = workspace_url(workspace, reverse("billing_progress"))

    def create_session(plan: Plan, key: str) -> dict[str, Any]:
        plan = ensure_stripe_catalog(plan)
        return gateway.create_checkout_session(
            customer=_ensure_customer(workspace),
            price=plan.stripe_price_id(period),
            quantity=seats,
            success_url=f"{progress}?session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=workspace_url(workspace, reverse("billing")),
            metadata={"workspace_id": str(workspace.pk), "plan": plan.code},
            idempotency_key=key,
        )

    key = f"kt-checkout-{workspace.pk}-{attempt_key}"
    try:
        session = create_session(plan, key)
    except gateway.InvalidRequestError as error:
        if error.code != "resource_missing":
            raise
        # Stripe does not know our price or customer (another Stripe account, or the local
        # test double restarted empty): create them again, once.
        logger.warning("Stripe lost our catalogue or customer (%s); creating them again", error)
        Plan.objects.filter(pk=plan.pk).update(
            stripe_product_id="", stripe_price_monthly_id="", stripe_price_yearly_id=""
        )
        Subscription.objects.filter(workspace=workspace).update(stripe_customer_id="")
        plan.refresh_from_db()
        session = create_session(plan, f"{key}-recreated")
    Subscription.objects.filter(workspace=workspace).update(
        stripe_checkout_session_id=session["id"], updated_at=timezone.now()
    )
    return str(session["url"])


# ---------------------------------------------------------------- applying Stripe's state

_STRIPE_LIVE = {"active", "trialing", "past_due", "unpaid"}


def _timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def _item_of(stripe_subscription: Any) -> Any:
    """The subscription's seats item (add-ons such as scheduled backups are skipped)."""
    items = [
        item
        for item in stripe_subscription["items"]["data"]
        if not (item.get("metadata") or {}).get("kartoteka_addon")
    ]
    if not items:
        raise ValueError(f"subscription {stripe_subscription['id']} has no items")
    return items[0]


def _period_end_of(stripe_subscription: Any) -> datetime | None:
    item = _item_of(stripe_subscription)
    return _timestamp(
        item.get("current_period_end") or stripe_subscription.get("current_period_end")
    )


def _apply_stripe_subscription(
    subscription: Subscription, stripe_subscription: Any, *, actor: str, reason: str = ""
) -> Subscription:
    """Make `subscription` (locked by the caller) say what Stripe's subscription says.

    A function of the stored state and Stripe's current object only, so duplicates and
    any order of events converge: within one period the seats and plan the workspace has
    never go down (reductions and downgrades wait for the renewal); a new period takes
    Stripe's values. An old (cancelled) Stripe subscription never replaces a live one.
    """
    stripe_id = str(stripe_subscription["id"])
    stripe_status = str(stripe_subscription["status"])
    if subscription.stripe_subscription_id and subscription.stripe_subscription_id != stripe_id:
        if stripe_status not in _STRIPE_LIVE:
            return subscription  # a late event about a subscription that was replaced
    elif not subscription.stripe_subscription_id and stripe_status not in _STRIPE_LIVE:
        return subscription
    if subscription.comped:
        return subscription

    item = _item_of(stripe_subscription)
    found = _plan_for_price(str(item["price"]["id"]))
    if found is None:
        raise ValueError(f"price {item['price']['id']} belongs to no plan")
    renewal_plan, renewal_period = found
    quantity = int(item.get("quantity") or 0)
    period_end = _period_end_of(stripe_subscription)

    was_paid = subscription.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE) or (
        subscription.status == SubscriptionStatus.READ_ONLY and subscription.stripe_subscription_id
    )
    same_subscription = subscription.stripe_subscription_id == stripe_id
    new_period = period_end != subscription.current_period_end
    old_seats = subscription.seats_paid
    first = not (was_paid and same_subscription)

    subscription.stripe_subscription_id = stripe_id
    subscription.stripe_customer_id = str(stripe_subscription["customer"])
    subscription.renewal_plan = renewal_plan
    subscription.renewal_period = renewal_period
    subscription.renewal_seats = quantity
    subscription.cancel_at_period_end = bool(stripe_subscription.get("cancel_at_period_end"))
    if first or new_period:
        subscription.plan = renewal_plan
        subscription.billing_period = renewal_period
        subscription.seats_paid = quantity
    else:
        subscription.seats_paid = max(subscription.seats_paid, quantity)
        upgrade = renewal_plan.rank > subscription.plan.rank or (
            renewal_plan.pk == subscription.plan_id and renewal_period == BillingPeriod.YEAR
        )
        if upgrade:
            subscription.plan = renewal_plan
            subscription.billing_period = renewal_period
    subscription.current_period_end = period_end

    now = timezone.now()
    if stripe_status in ("active", "trialing"):
        subscription.status = SubscriptionStatus.ACTIVE
        subscription.grace_ends_at = None
        subscription.past_due_notified_at = None
    elif stripe_status in ("past_due", "unpaid"):
        if subscription.grace_ends_at is None:
            subscription.grace_ends_at = now + _grace_period()
        subscription.status = (
            SubscriptionStatus.READ_ONLY
            if subscription.grace_ends_at <= now
            else SubscriptionStatus.PAST_DUE
        )
        if subscription.past_due_notified_at is None:
            subscription.past_due_notified_at = now
            transaction.on_commit(lambda: _send_past_due_email(subscription))
    elif stripe_status in ("canceled", "incomplete_expired"):
        subscription.status = SubscriptionStatus.CANCELED
        subscription.grace_ends_at = None
    elif stripe_status == "paused":
        subscription.status = SubscriptionStatus.READ_ONLY
    subscription.save()
    _sync_workspace_status(subscription)

    if subscription.seats_paid != old_seats or first:
        delta = subscription.seats_paid - (0 if first else old_seats)
        if delta or first:
            _ledger(
                subscription,
                actor=actor,
                reason=reason
                or (
                    SeatLedgerEntry.Reason.SUBSCRIBED
                    if first
                    else SeatLedgerEntry.Reason.RENEWED
                    if new_period
                    else SeatLedgerEntry.Reason.STRIPE
                ),
                delta=delta,
                seats_after=subscription.seats_paid,
            )
    return subscription


def _send_past_due_email(subscription: Subscription) -> None:
    workspace = subscription.workspace
    context = {
        "workspace": workspace,
        "grace_ends_at": subscription.grace_ends_at,
        "billing_url": workspace_url(workspace, reverse("billing")),
    }
    with translation.override(workspace.default_language):
        subject = render_to_string("billing/email/past_due_subject.txt", context).strip()
        body = render_to_string("billing/email/past_due_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, admin_emails(workspace))


def sync_subscription(*, workspace: Workspace, stripe_subscription_id: str, actor: str) -> None:
    """Fetch a Stripe subscription now and apply it to the workspace's subscription."""
    stripe_subscription = gateway.retrieve_subscription(stripe_subscription_id)
    with transaction.atomic():
        _apply_stripe_subscription(_locked(workspace), stripe_subscription, actor=actor)


def _store_invoice(workspace: Workspace, invoice: Any) -> None:
    Invoice.objects.update_or_create(
        stripe_id=str(invoice["id"]),
        defaults={
            "workspace": workspace,
            "number": invoice.get("number") or "",
            "status": str(invoice.get("status") or ""),
            "currency": str(invoice.get("currency") or ""),
            "amount_due": Decimal(int(invoice.get("amount_due") or 0)) / 100,
            "amount_paid": Decimal(int(invoice.get("amount_paid") or 0)) / 100,
            "billing_reason": str(invoice.get("billing_reason") or ""),
            "hosted_invoice_url": invoice.get("hosted_invoice_url") or "",
            "invoice_pdf": invoice.get("invoice_pdf") or "",
            "created": _timestamp(invoice.get("created")) or timezone.now(),
        },
    )


def _subscription_of_invoice(invoice: Any) -> str:
    direct = invoice.get("subscription")
    if direct:
        return str(direct if isinstance(direct, str) else direct["id"])
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    found = details.get("subscription")
    return str(found if isinstance(found, str) or not found else found["id"]) if found else ""


def _handle_event(workspace: Workspace, event: StripeEvent) -> None:
    """Re-fetch the event's object from Stripe and apply it (never trusts the payload)."""
    kind = event.type
    obj = event.payload.get("data", {}).get("object", {})
    object_id = str(obj.get("id", ""))
    if kind.startswith("checkout.session."):
        session = gateway.retrieve_checkout_session(object_id)
        stripe_subscription_id = session.get("subscription")
        from billing import backup_actions

        if backup_actions.is_backup_checkout(session):
            backup_actions.apply_backup_checkout(workspace=workspace, session=session)
        elif session.get("mode") == "subscription" and stripe_subscription_id:
            sync_subscription(
                workspace=workspace,
                stripe_subscription_id=str(stripe_subscription_id),
                actor=STRIPE_ACTOR,
            )
    elif kind.startswith("customer.subscription."):
        sync_subscription(workspace=workspace, stripe_subscription_id=object_id, actor=STRIPE_ACTOR)
    elif kind.startswith("invoice."):
        invoice = gateway.retrieve_invoice(object_id)
        with transaction.atomic():
            _store_invoice(workspace, invoice)
        stripe_subscription_id = _subscription_of_invoice(invoice)
        if stripe_subscription_id:
            sync_subscription(
                workspace=workspace,
                stripe_subscription_id=stripe_subscription_id,
                actor=STRIPE_ACTOR,
            )


HANDLED_EVENT_PREFIXES = ("checkout.session.", "customer.subscription.", "invoice.")


def _workspace_for_object(obj: dict[str, Any]) -> Workspace | None:
    metadata = obj.get("metadata") or {}
    candidate = metadata.get("workspace_id") or obj.get("client_reference_id")
    if candidate and str(candidate).isdigit():
        workspace = Workspace.objects.only("pk", "schema_name").filter(pk=int(candidate)).first()
        if workspace is not None:
            return workspace
    customer = obj.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    if customer:
        subscription = (
            Subscription.objects.filter(stripe_customer_id=str(customer))
            .select_related("workspace")
            .first()
        )
        if subscription is not None:
            return subscription.workspace
    return None


@dataclass(frozen=True)
class RecordedEvent:
    id: str
    created: bool
    # The workspace whose task processes the event; None when there is nothing to do.
    schema_name: str | None


def record_stripe_event(*, payload: dict[str, Any]) -> RecordedEvent:
    """Store a verified webhook event once (unique on its id).

    Public schema. One INSERT ... ON CONFLICT DO NOTHING (plus one query to find the
    workspace), so the webhook request stays short; a duplicate changes nothing.
    Events billing does not act on are stored as processed. The caller sends
    `process_stripe_event` inside `schema_name` when `created`.
    """
    kind = str(payload.get("type", ""))
    obj = payload.get("data", {}).get("object", {}) or {}
    handled = kind.startswith(HANDLED_EVENT_PREFIXES)
    workspace = _workspace_for_object(obj) if handled else None
    now = timezone.now()
    statement = sql.SQL(
        "INSERT INTO {} (id, type, payload, workspace_id, received_at, processed_at, attempts, "
        "error) VALUES (%s, %s, %s, %s, %s, %s, 0, %s) ON CONFLICT (id) DO NOTHING RETURNING id"
    ).format(sql.Identifier(StripeEvent._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(
            statement,
            [
                str(payload["id"]),
                kind,
                Jsonb(payload),  # type: ignore[list-item]
                workspace.pk if workspace is not None else None,
                now,
                None if handled and workspace is not None else now,
                "" if workspace is not None or not handled else "no workspace for this event",
            ],
        )
        created = cursor.fetchone() is not None
    return RecordedEvent(
        id=str(payload["id"]),
        created=created,
        schema_name=workspace.schema_name if workspace is not None else None,
    )


def process_stripe_event(*, event_id: str) -> bool:
    """Apply a stored event once; returns whether this call processed it.

    Runs inside the event's workspace (a workspace task). The event row is locked, so
    the same event processed five times at once has one effect; a processed event is
    skipped. A failure is stored on the event (see `stripe_events --replay`).
    """
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.processed_at is not None or event.workspace_id is None:
            return False
        workspace = Workspace.objects.get(pk=event.workspace_id)
        event.attempts += 1
        try:
            with transaction.atomic():
                _handle_event(workspace, event)
        except (gateway.StripeError, ValueError, KeyError) as error:
            logger.exception("Stripe event %s failed", event.id)
            event.error = f"{type(error).__name__}: {error}"[:2000]
            event.save(update_fields=["attempts", "error"])
            return False
        event.processed_at = timezone.now()
        event.error = ""
        event.save(update_fields=["attempts", "error", "processed_at"])
        return True


def replay_stripe_event(*, event_id: str) -> bool:
    """Process a stored event again (an operator's replay): re-fetches and re-applies."""
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().get(pk=event_id)
        if event.workspace_id is None:
            obj = event.payload.get("data", {}).get("object", {}) or {}
            event.workspace = _workspace_for_object(obj)
        event.processed_at = None
        event.save(update_fields=["processed_at", "workspace"])
    return process_stripe_event(event_id=event_id)


# ---------------------------------------------------------------- seats and plans


def _stripe_item_id(subscription: Subscription) -> tuple[Any, str]:
    stripe_subscription = gateway.retrieve_subscription(subscription.stripe_subscription_id)
    return stripe_subscription, str(_item_of(stripe_subscription)["id"])


def _require_live(subscription: Subscription) -> None:
    if subscription.comped:
        raise BillingError(_("This workspace is on a plan without payment; ask support."))
    if not subscription.stripe_subscription_id or subscription.status not in (
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.PAST_DUE,
    ):
        raise BillingError(_("Subscribe first."))


def prorated_amount(
    subscription: Subscription, *, extra_seats: int, now: datetime | None = None
) -> Decimal:
    """What adding `extra_seats` charges now, for the rest of the current period.

    Per-seat price x seats x the share of the period left, as Stripe prorates (to the
    second); rounded to cents. For a trial or without a period, the full period's price.
    """
    now = now or timezone.now()
    price = subscription.plan.price_per_seat(subscription.billing_period)
    full = price * extra_seats
    end = subscription.current_period_end
    if end is None or end <= now or subscription.status == SubscriptionStatus.TRIALING:
        return full.quantize(Decimal("0.01"))
    length = timedelta(days=365 if subscription.billing_period == BillingPeriod.YEAR else 30)
    share = Decimal(min((end - now) / length, 1))
    return (full * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def change_seats(*, acting_user: Any, workspace: Workspace, seats: int, request_key: str) -> str:
    """Set the number of paid seats: more now (prorated, invoiced at once), fewer at renewal.

    Returns "added", "reduced" or "unchanged". Fewer seats than active members are refused.
    """
    _require_admin(acting_user)
    subscription = Subscription.objects.select_related("plan").get(workspace=workspace)
    _require_live(subscription)
    used = seats_used(workspace)
    if seats < max(used, 1):
        raise BillingError(
            _(
                "This workspace has %(count)d active members: deactivate members before "
                "reducing seats below that."
            )
            % {"count": used}
        )
    renewal = subscription.renewal_seats or subscription.seats_paid
    if seats == renewal and seats >= subscription.seats_paid:
        return "unchanged"
    stripe_subscription, item_id = _stripe_item_id(subscription)
    price = subscription.plan.stripe_price_id(subscription.billing_period)
    renewal_price = str(_item_of(stripe_subscription)["price"]["id"])
    actor = _actor_of(acting_user)
    if seats > subscription.seats_paid:
        if renewal < subscription.seats_paid or renewal_price != price:
            # Undo a pending reduction or downgrade first, so only the new seats are charged.
            gateway.change_subscription_item(
                subscription_id=subscription.stripe_subscription_id,
                item_id=item_id,
                price=price,
                quantity=subscription.seats_paid,
                proration_behavior="none",
                idempotency_key=f"kt-seats-restore-{workspace.pk}-{request_key}",
            )
        updated = gateway.change_subscription_item(
            subscription_id=subscription.stripe_subscription_id,
            item_id=item_id,
            price=price,
            quantity=seats,
            proration_behavior="always_invoice",
            idempotency_key=f"kt-seats-{workspace.pk}-{request_key}",
        )
        with transaction.atomic():
            _apply_stripe_subscription(
                _locked(workspace), updated, actor=actor, reason=SeatLedgerEntry.Reason.ADDED
            )
        return "added"
    updated = gateway.change_subscription_item(
        subscription_id=subscription.stripe_subscription_id,
        item_id=item_id,
        price=renewal_price,
        quantity=seats,
        proration_behavior="none",
        idempotency_key=f"kt-seats-{workspace.pk}-{request_key}",
    )
    with transaction.atomic():
        locked = _locked(workspace)
        _apply_stripe_subscription(locked, updated, actor=actor)
        _ledger(
            locked,
            actor=actor,
            reason=SeatLedgerEntry.Reason.REDUCED,
            delta=seats - renewal,
            seats_after=seats,
            effective_at=locked.current_period_end,
            note="at renewal",
        )
    return "reduced"


def change_plan(
    *, acting_user: Any, workspace: Workspace, plan: Plan, period: str, request_key: str
) -> str:
    """Move to another plan or billing period: upgrades now (prorated), downgrades at renewal.

    Returns "upgraded", "downgraded" or "unchanged". Yearly to monthly is refused here
    (Stripe would restart the period at once): the Customer Portal offers it.
    """
    _require_admin(acting_user)
    subscription = Subscription.objects.select_related("plan").get(workspace=workspace)
    _require_live(subscription)
    current_plan = subscription.renewal_plan or subscription.plan
    current_period = subscription.renewal_period or subscription.billing_period
    if plan.pk == current_plan.pk and period == current_period:
        return "unchanged"
    if current_period == BillingPeriod.YEAR and period == BillingPeriod.MONTH:
        raise BillingError(
            _("Switching from yearly to monthly billing is done in the Customer Portal.")
        )
    plan = ensure_stripe_catalog(plan)
    upgrade = plan.rank > subscription.plan.rank or period != subscription.billing_period
    stripe_subscription, item_id = _stripe_item_id(subscription)
    updated = gateway.change_subscription_item(
        subscription_id=subscription.stripe_subscription_id,
        item_id=item_id,
        price=plan.stripe_price_id(period),
        quantity=int(_item_of(stripe_subscription).get("quantity") or subscription.seats_paid),
        proration_behavior="always_invoice" if upgrade else "none",
        idempotency_key=f"kt-plan-{workspace.pk}-{request_key}",
    )
    with transaction.atomic():
        _apply_stripe_subscription(_locked(workspace), updated, actor=_actor_of(acting_user))
    return "upgraded" if upgrade else "downgraded"


def cancel_subscription(*, acting_user: Any, workspace: Workspace, resume: bool = False) -> None:
    """Cancel at the end of the paid period (or undo that); read-only follows then."""
    _require_admin(acting_user)
    subscription = Subscription.objects.get(workspace=workspace)
    _require_live(subscription)
    updated = gateway.set_cancel_at_period_end(
        subscription_id=subscription.stripe_subscription_id,
        cancel=not resume,
        idempotency_key=f"kt-cancel-{workspace.pk}-{int(resume)}-{uuid.uuid4().hex}",
    )
    with transaction.atomic():
        _apply_stripe_subscription(_locked(workspace), updated, actor=_actor_of(acting_user))


def customer_portal_url(*, acting_user: Any, workspace: Workspace) -> str:
    """A Stripe Customer Portal session for the workspace's customer (card, invoices)."""
    _require_admin(acting_user)
    subscription = Subscription.objects.get(workspace=workspace)
    if not subscription.stripe_customer_id:
        raise BillingError(_("Subscribe first."))
    session = gateway.create_portal_session(
        customer=subscription.stripe_customer_id,
        return_url=workspace_url(workspace, reverse("billing")),
        idempotency_key=f"kt-portal-{workspace.pk}-{uuid.uuid4().hex}",
    )
    return str(session["url"])


# ---------------------------------------------------------------- operators


def _operator_action(
    operator: Any, workspace: Workspace, action: str, old: dict[str, Any], new: dict[str, Any]
) -> None:
    OperatorAction.objects.create(
        operator=operator, workspace=workspace, action=action, old=old, new=new
    )


@transaction.atomic
def extend_trial(*, acting_operator: Any, workspace: Workspace, days: int) -> Subscription:
    """Give a trialing (or trial-expired) workspace `days` more; the workspace opens again."""
    _require_operator(acting_operator)
    if days <= 0:
        raise BillingError(_("Give a positive number of days."))
    subscription = _locked(workspace)
    if subscription.stripe_subscription_id and subscription.status != SubscriptionStatus.TRIALING:
        raise BillingError(_("Only a workspace that never subscribed can get a longer trial."))
    old = {
        "status": subscription.status,
        "trial_ends_at": subscription.trial_ends_at.isoformat()
        if subscription.trial_ends_at
        else None,
    }
    start = max(subscription.trial_ends_at or timezone.now(), timezone.now())
    subscription.trial_ends_at = start + timedelta(days=days)
    subscription.status = SubscriptionStatus.TRIALING
    subscription.trial_reminders_sent = []
    subscription.save()
    _sync_workspace_status(subscription)
    _operator_action(
        acting_operator,
        workspace,
        "extend_trial",
        old,
        {"status": subscription.status, "trial_ends_at": subscription.trial_ends_at.isoformat()},
    )
    return subscription


@transaction.atomic
def grant_free_seats(*, acting_operator: Any, workspace: Workspace, seats: int) -> Subscription:
    """Set how many seats the workspace gets without paying (on top of the paid ones)."""
    _require_operator(acting_operator)
    if seats < 0:
        raise BillingError(_("Free seats cannot be negative."))
    subscription = _locked(workspace)
    old = subscription.free_seats
    subscription.free_seats = seats
    subscription.save(update_fields=["free_seats", "updated_at"])
    _ledger(
        subscription,
        actor=_actor_of(acting_operator),
        reason=SeatLedgerEntry.Reason.FREE_SEATS,
        delta=seats - old,
        seats_after=subscription.seats_allowed,
    )
    _operator_action(
        acting_operator, workspace, "grant_free_seats", {"free_seats": old}, {"free_seats": seats}
    )
    return subscription


@transaction.atomic
def comp_plan(
    *, acting_operator: Any, workspace: Workspace, plan: Plan, seats: int
) -> Subscription:
    """Put a workspace on `plan` with `seats` without payment (no Stripe), until undone."""
    _require_operator(acting_operator)
    subscription = _locked(workspace)
    seats = max(seats, seats_used(workspace), 1)
    old = {
        "plan": subscription.plan.code,
        "status": subscription.status,
        "seats_paid": subscription.seats_paid,
        "comped": subscription.comped,
    }
    delta = seats - subscription.seats_paid
    subscription.plan = plan
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.seats_paid = seats
    subscription.comped = True
    subscription.grace_ends_at = None
    subscription.save()
    _sync_workspace_status(subscription)
    _ledger(
        subscription,
        actor=_actor_of(acting_operator),
        reason=SeatLedgerEntry.Reason.COMP,
        delta=delta,
        seats_after=subscription.seats_allowed,
    )
    _operator_action(
        acting_operator,
        workspace,
        "comp_plan",
        old,
        {"plan": plan.code, "status": subscription.status, "seats_paid": seats, "comped": True},
    )
    return subscription


# ---------------------------------------------------------------- reconciliation


def reconcile_subscriptions() -> list[dict[str, Any]]:
    """Compare every Stripe-backed subscription with Stripe; returns (and logs) differences.

    Reports, does not repair: a difference means a lost or failed webhook, which an
    operator replays (`stripe_events --replay`) after looking.
    """
    differences: list[dict[str, Any]] = []
    for subscription in Subscription.objects.exclude(stripe_subscription_id="").select_related(
        "workspace", "plan"
    ):
        try:
            remote = gateway.retrieve_subscription(subscription.stripe_subscription_id)
        except gateway.StripeError as error:
            differences.append({"workspace": subscription.workspace.subdomain, "error": str(error)})
            continue
        item = _item_of(remote)
        found = _plan_for_price(str(item["price"]["id"]))
        expected_status = {
            "active": {SubscriptionStatus.ACTIVE},
            "trialing": {SubscriptionStatus.ACTIVE},
            "past_due": {SubscriptionStatus.PAST_DUE, SubscriptionStatus.READ_ONLY},
            "unpaid": {SubscriptionStatus.PAST_DUE, SubscriptionStatus.READ_ONLY},
            "canceled": {SubscriptionStatus.CANCELED},
        }.get(str(remote["status"]), set())
        checks = {
            "status": (
                subscription.status,
                str(remote["status"]),
                subscription.status in expected_status,
            ),
            "seats": (
                subscription.renewal_seats,
                item.get("quantity"),
                subscription.renewal_seats == item.get("quantity"),
            ),
            "plan": (
                subscription.renewal_plan.code if subscription.renewal_plan else None,
                found[0].code if found else None,
                found is not None and subscription.renewal_plan_id == found[0].pk,
            ),
            "current_period_end": (
                subscription.current_period_end,
                _period_end_of(remote),
                subscription.current_period_end == _period_end_of(remote),
            ),
        }
        for field, (ours, theirs, same) in checks.items():
            if not same and not subscription.comped:
                difference = {
                    "workspace": subscription.workspace.subdomain,
                    "field": field,
                    "ours": str(ours),
                    "stripe": str(theirs),
                }
                logger.warning("billing reconcile: %s", difference)
                differences.append(difference)
    return differences
