"""Selling backups: one-off paid backups, their refunds, and the scheduled-backups add-on.

Public schema rows (BackupOrder, BackupSchedule); the backups themselves are made by
`tenants.backups` (billing calls its actions; tenants never imports billing, it asks the
workspace policy). Calls to Stripe happen outside database transactions, each with an
idempotency key derived from the order or the request, so a retry or a double submit
reaches the same Stripe object.

When a paid backup starts:
- Checkout (mode=payment): only when Stripe's `checkout.session.completed` webhook, re-fetched,
  says `payment_status=paid`. An expired or declined session starts nothing.
- Added to the next invoice: as soon as Stripe has created the invoice item on the
  subscription. The charge is then committed: the subscription's next invoice collects it
  with the seats, and an unpaid invoice follows the subscription's own dunning (grace
  period, then read-only). Waiting for `invoice.paid` would make an admin wait up to a
  month (or a year) for a backup they want now; the workspace already pays for its
  subscription this way, so the backup is sold on the same terms as an added seat.
Either way the order's `payment_reference` is unique and the order row is locked while its
backup is attached, so however many times Stripe's event arrives, one backup starts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from billing import gateway
from billing.actions import (
    BillingError,
    _cents,
    _ensure_customer,
    _require_admin,
)
from billing.models import (
    BackupFrequency,
    BackupOrder,
    BackupSchedule,
    BillingPeriod,
    Plan,
    Subscription,
    SubscriptionStatus,
)
from tenants.backups import actions as backup_actions
from tenants.backups.models import Backup
from tenants.members.models import AuditEntry, User
from tenants.models import Workspace
from tenants.selectors import workspace_url

logger = logging.getLogger(__name__)

ORDER_KIND = "backup_order"
ADDON_METADATA = {"kartoteka_addon": "scheduled_backups"}
KEEP_LAST_MAX = 30


def _audit(workspace: Workspace, *, acting_user: Any, action: str, changes: dict[str, Any]) -> None:
    with schema_context(workspace.schema_name):
        actor_id = getattr(acting_user, "pk", None)
        actor = User.objects.filter(pk=actor_id).first() if actor_id else None
        AuditEntry.objects.create(actor=actor, action=action, target="backup", changes=changes)


# ---------------------------------------------------------------- what is offered


def can_add_to_invoice(subscription: Subscription) -> bool:
    """A live, paid-up subscription can carry a backup on its next invoice; others pay now."""
    return (
        subscription.status == SubscriptionStatus.ACTIVE
        and bool(subscription.stripe_subscription_id)
        and not subscription.comped
    )


@dataclass(frozen=True)
class BackupOffer:
    price: Decimal
    currency: str
    retention_days: int
    can_add_to_invoice: bool
    scheduled_available: bool
    scheduled_price: Decimal
    scheduled_period: str
    subscription_live: bool


def backup_offer(workspace: Workspace) -> BackupOffer:
    """What one backup costs this workspace, and how it may pay (one query)."""
    subscription = Subscription.objects.select_related("plan").get(workspace=workspace)
    plan = subscription.plan
    period = subscription.billing_period
    return BackupOffer(
        price=plan.backup_price,
        currency=plan.currency.upper(),
        retention_days=plan.backup_retention_days,
        can_add_to_invoice=can_add_to_invoice(subscription),
        scheduled_available=plan.scheduled_backups,
        scheduled_price=plan.scheduled_backups_price_yearly
        if period == BillingPeriod.YEAR
        else plan.scheduled_backups_price_monthly,
        scheduled_period=period,
        subscription_live=can_add_to_invoice(subscription),
    )


# ---------------------------------------------------------------- ordering


@dataclass(frozen=True)
class OrderResult:
    order: BackupOrder
    # Where to send the admin to pay (Checkout), or "" when the backup has started.
    checkout_url: str


def order_backup(
    *,
    acting_user: Any,
    workspace: Workspace,
    payment_method: str,
    attempt_key: str,
    language: str = "",
) -> OrderResult:
    """Order one backup of `workspace`, paid now in Checkout or on the next invoice.

    Allowed in a read-only workspace (Checkout only). `attempt_key` comes with the form:
    the same form sent twice reaches the same Stripe object and so the same order.
    """
    _require_admin(acting_user)
    subscription = Subscription.objects.select_related("plan").get(workspace=workspace)
    plan = subscription.plan
    amount = _cents(plan.backup_price)
    metadata = {
        "workspace_id": str(workspace.pk),
        "kind": ORDER_KIND,
        "ordered_by": str(acting_user.pk),
    }
    description = _("Backup of the workspace")
    common = {
        "workspace": workspace,
        "amount": plan.backup_price,
        "currency": plan.currency,
        "ordered_by_user_id": acting_user.pk,
        "ordered_by_email": acting_user.email,
        "ordered_by_language": language or getattr(acting_user, "language", "") or "",
    }
    if payment_method == BackupOrder.PaymentMethod.INVOICE:
        if not can_add_to_invoice(subscription):
            raise BillingError(
                _("Only an active subscription can add a backup to its next invoice. Pay now.")
            )
        item = gateway.create_invoice_item(
            customer=subscription.stripe_customer_id,
            subscription=subscription.stripe_subscription_id,
            amount=amount,
            currency=plan.currency,
            description=description,
            metadata=metadata,
            idempotency_key=f"kt-backup-ii-{workspace.pk}-{attempt_key}",
        )
        with transaction.atomic():
            order, _created = BackupOrder.objects.get_or_create(
                payment_reference=str(item["id"]),
                defaults={**common, "payment_method": BackupOrder.PaymentMethod.INVOICE},
            )
            _start_paid_backup(order.pk)
        order.refresh_from_db()
        return OrderResult(order=order, checkout_url="")
    if payment_method != BackupOrder.PaymentMethod.CHECKOUT:
        raise BillingError(_("Choose how to pay for the backup."))
    backups_page = workspace_url(workspace, reverse("backup_list", urlconf=settings.ROOT_URLCONF))
    session = gateway.create_payment_checkout_session(
        customer=_ensure_customer(workspace),
        amount=amount,
        currency=plan.currency,
        product_name=description,
        success_url=workspace_url(
            workspace, reverse("backup_order_return", urlconf=settings.ROOT_URLCONF)
        )
        + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=backups_page,
        metadata=metadata,
        idempotency_key=f"kt-backup-cs-{workspace.pk}-{attempt_key}",
    )
    order, _created = BackupOrder.objects.get_or_create(
        payment_reference=str(session["id"]),
        defaults={**common, "payment_method": BackupOrder.PaymentMethod.CHECKOUT},
    )
    if _created:
        _audit(
            workspace,
            acting_user=acting_user,
            action=AuditEntry.Action.BACKUP_ORDERED,
            changes={"order": str(order.pk), "payment": "checkout"},
        )
    return OrderResult(order=order, checkout_url=str(session.get("url") or ""))


def _start_paid_backup(order_id: Any) -> Backup | None:
    """Queue the backup of a paid order, once (the caller holds a transaction)."""
    order = BackupOrder.objects.select_for_update().select_related("workspace").get(pk=order_id)
    if order.backup_id is not None:
        return None
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        backup = backup_actions.request_backup(
            workspace=order.workspace,
            reason=Backup.Reason.ORDERED,
            requested_by_user_id=order.ordered_by_user_id,
            requested_by_email=order.ordered_by_email,
            requested_by_language=order.ordered_by_language,
        )
    order.backup = backup
    order.status = BackupOrder.Status.PAID
    order.paid_at = timezone.now()
    order.save(update_fields=["backup", "status", "paid_at"])
    if order.payment_method == BackupOrder.PaymentMethod.INVOICE:
        _audit(
            order.workspace,
            acting_user=User(pk=order.ordered_by_user_id),
            action=AuditEntry.Action.BACKUP_ORDERED,
            changes={"order": str(order.pk), "payment": "invoice", "backup": str(backup.pk)},
        )
    return backup


def is_backup_checkout(session: dict[str, Any]) -> bool:
    return (
        session.get("mode") == "payment"
        and (session.get("metadata") or {}).get("kind") == ORDER_KIND
    )


def apply_backup_checkout(*, workspace: Workspace, session: dict[str, Any]) -> None:
    """Apply a re-fetched payment-mode Checkout Session of a backup order.

    Paid: the backup starts (once). Expired: the order is closed, nothing starts. Any
    other state (open, a declined card) changes nothing.
    """
    with transaction.atomic():
        order = (
            BackupOrder.objects.select_for_update()
            .filter(payment_reference=str(session["id"]), workspace=workspace)
            .first()
        )
        if order is None:
            logger.warning("Checkout Session %s belongs to no backup order", session["id"])
            return
        if session.get("status") == "complete" and session.get("payment_status") == "paid":
            payment_intent = session.get("payment_intent") or ""
            if isinstance(payment_intent, dict):
                payment_intent = payment_intent.get("id", "")
            if not order.stripe_payment_intent_id and payment_intent:
                order.stripe_payment_intent_id = str(payment_intent)
                order.save(update_fields=["stripe_payment_intent_id"])
            _start_paid_backup(order.pk)
        elif session.get("status") == "expired" and order.backup_id is None:
            order.status = BackupOrder.Status.PAYMENT_EXPIRED
            order.save(update_fields=["status"])


# ---------------------------------------------------------------- refunds


def refund_backup(*, backup: Backup) -> bool:
    """Give back what was paid for a backup that failed for good; True when refunded.

    Checkout: a refund of the payment intent. Next invoice: the pending invoice item is
    deleted, or, when an invoice has already taken it, a credit of the same amount is put
    on the next invoice. Done once (the order's status), idempotent at Stripe.
    """
    order = BackupOrder.objects.filter(backup=backup).first()
    if order is None or order.status == BackupOrder.Status.REFUNDED:
        return order is not None
    try:
        if order.payment_method == BackupOrder.PaymentMethod.CHECKOUT:
            payment_intent = order.stripe_payment_intent_id
            if not payment_intent:
                payment_intent = str(
                    gateway.retrieve_checkout_session(order.payment_reference).get("payment_intent")
                    or ""
                )
            refund = gateway.create_refund(
                payment_intent=payment_intent,
                metadata={"order": str(order.pk), "backup": str(backup.pk)},
                idempotency_key=f"kt-backup-refund-{order.pk}",
            )
            reference = str(refund["id"])
        else:
            item = gateway.retrieve_invoice_item(order.payment_reference)
            if not item.get("invoice"):
                gateway.delete_invoice_item(order.payment_reference)
                reference = order.payment_reference
            else:
                subscription = Subscription.objects.get(workspace=order.workspace)
                credit = gateway.create_invoice_item(
                    customer=subscription.stripe_customer_id,
                    subscription=subscription.stripe_subscription_id,
                    amount=-_cents(order.amount),
                    currency=order.currency,
                    description=_("Refund: the backup could not be made"),
                    metadata={"order": str(order.pk), "kind": "backup_refund"},
                    idempotency_key=f"kt-backup-credit-{order.pk}",
                )
                reference = str(credit["id"])
    except gateway.StripeError as error:
        logger.exception("refund of backup order %s failed", order.pk)
        BackupOrder.objects.filter(pk=order.pk).update(
            status=BackupOrder.Status.REFUND_FAILED, error=str(error)[:2000]
        )
        return False
    BackupOrder.objects.filter(pk=order.pk).update(
        status=BackupOrder.Status.REFUNDED,
        refund_reference=reference,
        refunded_at=timezone.now(),
        error="",
    )
    return True


# ---------------------------------------------------------------- scheduled backups


def _ensure_addon_price(plan: Plan, period: str) -> str:
    field = (
        "stripe_backups_addon_yearly_id"
        if period == BillingPeriod.YEAR
        else "stripe_backups_addon_monthly_id"
    )
    existing = str(getattr(plan, field))
    if existing:
        return existing
    amount = _cents(
        plan.scheduled_backups_price_yearly
        if period == BillingPeriod.YEAR
        else plan.scheduled_backups_price_monthly
    )
    mode = "live" if (settings.STRIPE_SECRET_KEY or "").startswith("sk_live") else "test"
    price = gateway.create_addon_price(
        product_name=f"Kartoteka {plan.name}: scheduled backups",
        unit_amount=amount,
        currency=plan.currency,
        interval=str(period),
        lookup_key=f"kartoteka_{plan.code}_backups_{period}",
        idempotency_key=f"kt-{mode}-addon-{plan.code}-{period}-{plan.currency}-{amount}",
    )
    Plan.objects.filter(pk=plan.pk).update(**{field: price["id"]})
    return str(price["id"])


def set_backup_schedule(
    *,
    acting_user: Any,
    workspace: Workspace,
    enabled: bool,
    frequency: str,
    keep_last: int,
    request_key: str,
    language: str = "",
) -> BackupSchedule:
    """Switch scheduled backups on (the add-on joins the subscription) or off (it leaves).

    Only for a live subscription on a plan that offers them: a trial has no subscription
    to carry an add-on (and a free trial should not start a paid one), so trials are told
    to subscribe first.
    """
    _require_admin(acting_user)
    if frequency not in BackupFrequency.values:
        raise BillingError(_("Choose daily or weekly."))
    if not 1 <= keep_last <= KEEP_LAST_MAX:
        raise BillingError(
            _("Keep between 1 and %(count)d scheduled backups.") % {"count": KEEP_LAST_MAX}
        )
    subscription = Subscription.objects.select_related("plan").get(workspace=workspace)
    schedule, _created = BackupSchedule.objects.get_or_create(workspace=workspace)
    before = {
        "enabled": schedule.enabled,
        "frequency": schedule.frequency,
        "keep_last": schedule.keep_last,
    }
    if enabled and not schedule.stripe_subscription_item_id:
        if not can_add_to_invoice(subscription):
            raise BillingError(
                _("Scheduled backups are an add-on to a paid subscription: subscribe first.")
            )
        if not subscription.plan.scheduled_backups:
            raise BillingError(
                _(
                    "Scheduled backups are not part of the %(plan)s plan. "
                    "Choose another plan on the Billing page."
                )
                % {"plan": subscription.plan.name}
            )
        price = _ensure_addon_price(subscription.plan, subscription.billing_period)
        item = gateway.add_subscription_item(
            subscription=subscription.stripe_subscription_id,
            price=price,
            metadata=ADDON_METADATA,
            idempotency_key=f"kt-backup-addon-{workspace.pk}-{request_key}",
        )
        schedule.stripe_subscription_item_id = str(item["id"])
    elif not enabled and schedule.stripe_subscription_item_id:
        try:
            gateway.delete_subscription_item(item_id=schedule.stripe_subscription_item_id)
        except gateway.InvalidRequestError as error:
            if error.code != "resource_missing":
                raise
        schedule.stripe_subscription_item_id = ""
    schedule.enabled = enabled
    schedule.frequency = frequency
    schedule.keep_last = keep_last
    schedule.changed_by_user_id = acting_user.pk
    schedule.changed_by_email = acting_user.email
    schedule.changed_by_language = language or getattr(acting_user, "language", "") or ""
    schedule.save()
    after = {"enabled": enabled, "frequency": frequency, "keep_last": keep_last}
    if after != before:
        _audit(
            workspace,
            acting_user=acting_user,
            action=AuditEntry.Action.SCHEDULED_BACKUPS_CHANGED,
            changes={"old": before, "new": after},
        )
    return schedule


def period_key(frequency: str, now: datetime) -> str:
    """The schedule period `now` falls in (UTC): one scheduled backup per period."""
    if frequency == BackupFrequency.WEEKLY:
        year, week, _day = now.isocalendar()
        return f"weekly:{year}-W{week:02d}"
    return f"daily:{now.date().isoformat()}"


def run_scheduled_backups(*, now: datetime | None = None) -> dict[str, int]:
    """Beat: queue each due scheduled backup (one per period) and prune the old ones.

    Public schema. Safe to run as often as wished: a period's backup is made once.
    A workspace whose subscription is no longer live gets none.
    """
    now = now or timezone.now()
    queued = pruned = 0
    schedules = BackupSchedule.objects.filter(enabled=True).select_related("workspace")
    live = {
        workspace_id
        for workspace_id in Subscription.objects.filter(
            status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE]
        ).values_list("workspace_id", flat=True)
    }
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        for schedule in schedules:
            if schedule.workspace_id not in live:
                continue
            key = period_key(schedule.frequency, now)
            existed = Backup.objects.filter(
                workspace_id=schedule.workspace_id, period_key=key
            ).exists()
            if not existed:
                backup_actions.request_backup(
                    workspace=schedule.workspace,
                    reason=Backup.Reason.SCHEDULED,
                    requested_by_user_id=schedule.changed_by_user_id,
                    requested_by_email=schedule.changed_by_email,
                    requested_by_language=schedule.changed_by_language,
                    period_key=key,
                )
                queued += 1
            pruned += backup_actions.prune_scheduled_backups(
                workspace=schedule.workspace, keep=schedule.keep_last
            )
    return {"queued": queued, "pruned": pruned}
