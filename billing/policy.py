"""Billing's answers to tenants' questions (settings.WORKSPACE_POLICY points here).

tenants asks through `tenants.policy.workspace_policy()` and never imports billing.
"""

from __future__ import annotations

from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from billing.models import Subscription, SubscriptionStatus
from tenants.models import Workspace
from tenants.policy import WorkspacePolicy


class BillingWorkspacePolicy(WorkspacePolicy):
    def workspace_created(self, workspace: Workspace) -> None:
        """Every new workspace starts its free trial (signup, command, demo alike)."""
        from billing.actions import start_trial

        start_trial(workspace=workspace)

    def seats_paid(self, workspace: Workspace) -> int | None:
        """Paid plus free seats; no limit during the trial (or without billing state)."""
        subscription = Subscription.objects.filter(workspace=workspace).first()
        if subscription is None or subscription.status == SubscriptionStatus.TRIALING:
            return None
        return subscription.seats_allowed

    def seats_exhausted_message(self, workspace: Workspace, seats_paid: int) -> str:
        from billing.actions import prorated_amount

        subscription = Subscription.objects.select_related("plan").get(workspace=workspace)
        amount = prorated_amount(subscription, extra_seats=1)
        return _(
            "All %(seats)d paid seats are in use. Add a seat on the Billing page first: "
            "%(amount)s %(currency)s will be charged now for the rest of this billing period."
        ) % {
            "seats": seats_paid,
            "amount": number_format(amount, 2),
            "currency": subscription.plan.currency.upper(),
        }

    def workspace_info(self, workspace: Workspace) -> dict[str, object]:
        subscription = Subscription.objects.filter(workspace=workspace).first()
        ends = subscription.trial_ends_at if subscription else None
        return {"trial_ends_at": ends.isoformat() if ends else None}

    def backup_retention_days(self, workspace: Workspace) -> int:
        """The plan's retention (90 days by default)."""
        subscription = (
            Subscription.objects.select_related("plan").filter(workspace=workspace).first()
        )
        if subscription is None:
            return super().backup_retention_days(workspace)
        return int(subscription.plan.backup_retention_days)

    def backup_failed(self, backup: Any) -> bool:
        """A paid backup that failed for good is refunded through Stripe."""
        from billing.backup_actions import refund_backup

        return refund_backup(backup=backup)

    def backup_page(self, workspace: Workspace, member: Any) -> dict[str, object]:
        """The price, how to pay, pending orders and the schedule, for the Backups page."""
        from billing import gateway
        from billing.backup_actions import backup_offer
        from billing.forms import BackupOrderForm, BackupScheduleForm
        from billing.models import BackupOrder, BackupSchedule

        if not Subscription.objects.filter(workspace=workspace).exists():
            return {}
        offer = backup_offer(workspace)
        schedule = BackupSchedule.objects.filter(workspace=workspace).first()
        return {
            "order_template": "billing/_backup_order.html",
            "offer": offer,
            "order_form": BackupOrderForm(can_add_to_invoice=offer.can_add_to_invoice),
            "awaiting_orders": list(
                BackupOrder.objects.filter(
                    workspace=workspace, status=BackupOrder.Status.AWAITING_PAYMENT
                )[:5]
            ),
            "schedule": schedule,
            "schedule_form": BackupScheduleForm(
                initial={
                    "enabled": bool(schedule and schedule.enabled),
                    "frequency": schedule.frequency if schedule else "daily",
                    "keep_last": schedule.keep_last if schedule else 7,
                }
            ),
            "form_action_origins": gateway.hosted_page_origins(),
        }
