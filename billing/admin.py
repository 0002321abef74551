"""The operator console's billing: every workspace's plan, status, seats, trial and MRR.

Operators extend trials, grant free seats and comp plans through actions, each recorded
(OperatorAction: who, when, old and new value).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from billing import actions
from billing.models import (
    BackupOrder,
    BackupSchedule,
    OperatorAction,
    Plan,
    SeatLedgerEntry,
    StripeEvent,
    Subscription,
)
from billing.selectors import monthly_recurring_revenue
from tenants.models import MemberDirectoryEntry


class BillingActionForm(ActionForm):
    days = forms.IntegerField(label=_("days"), required=False, min_value=1)
    seats = forms.IntegerField(label=_("seats"), required=False, min_value=0)
    plan = forms.ModelChoiceField(label=_("plan"), queryset=Plan.objects.all(), required=False)


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "price_per_seat_monthly",
        "price_per_seat_yearly",
        "currency",
        "trial_days",
        "is_public",
        "is_default",
    )
    ordering = ("rank",)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = (
        "workspace",
        "plan",
        "status",
        "seats_used",
        "seats_paid",
        "free_seats",
        "trial_ends_at",
        "current_period_end",
        "mrr",
    )
    list_filter = ("status", "plan", "comped")
    search_fields = ("workspace__name", "workspace__subdomain", "stripe_customer_id")
    list_select_related = ("workspace", "plan")
    action_form = BillingActionForm
    actions = ("extend_trial", "grant_free_seats", "comp_plan")
    readonly_fields = [field.name for field in Subscription._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Subscription]:
        used = (
            MemberDirectoryEntry.objects.filter(workspace=OuterRef("workspace"), is_active=True)
            .order_by()
            .values("workspace")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return super().get_queryset(request).annotate(seats_in_use=Coalesce(Subquery(used), 0))

    @admin.display(description=_("seats used"), ordering="seats_in_use")
    def seats_used(self, subscription: Subscription) -> int:
        return int(getattr(subscription, "seats_in_use", 0))

    @admin.display(description=_("MRR"))
    def mrr(self, subscription: Subscription) -> str:
        return f"{monthly_recurring_revenue(subscription)} {subscription.plan.currency.upper()}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Subscription | None = None) -> bool:
        return False

    def _each(self, request: HttpRequest, queryset: QuerySet[Subscription], run) -> None:
        done = 0
        for subscription in queryset.select_related("workspace"):
            try:
                run(subscription.workspace)
            except ValidationError as error:
                self.message_user(
                    request, f"{subscription.workspace}: {' '.join(error.messages)}", messages.ERROR
                )
            else:
                done += 1
        if done:
            self.message_user(
                request, _("Updated %(count)d workspaces.") % {"count": done}, messages.SUCCESS
            )

    @admin.action(description=_("Extend the trial by the given days"))
    def extend_trial(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        days = request.POST.get("days")
        if not days or not days.isdigit():
            self.message_user(request, _("Enter the number of days."), messages.ERROR)
            return
        self._each(
            request,
            queryset,
            lambda ws: actions.extend_trial(
                acting_operator=request.user, workspace=ws, days=int(days)
            ),
        )

    @admin.action(description=_("Set free seats to the given number"))
    def grant_free_seats(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        seats = request.POST.get("seats")
        if seats is None or not seats.isdigit():
            self.message_user(request, _("Enter the number of seats."), messages.ERROR)
            return
        self._each(
            request,
            queryset,
            lambda ws: actions.grant_free_seats(
                acting_operator=request.user, workspace=ws, seats=int(seats)
            ),
        )

    @admin.action(description=_("Put on the given plan without payment (comp)"))
    def comp_plan(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        plan = Plan.objects.filter(pk=request.POST.get("plan") or 0).first()
        seats = request.POST.get("seats") or "0"
        if plan is None or not seats.isdigit():
            self.message_user(request, _("Choose a plan (and seats)."), messages.ERROR)
            return
        self._each(
            request,
            queryset,
            lambda ws: actions.comp_plan(
                acting_operator=request.user, workspace=ws, plan=plan, seats=int(seats)
            ),
        )


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SeatLedgerEntry)
class SeatLedgerAdmin(_ReadOnlyAdmin):
    list_display = ("created_at", "workspace", "actor", "reason", "delta", "seats_after")
    list_filter = ("reason",)
    list_select_related = ("workspace",)


@admin.register(StripeEvent)
class StripeEventAdmin(_ReadOnlyAdmin):
    list_display = ("id", "type", "workspace", "received_at", "processed_at", "error")
    list_filter = ("type",)
    search_fields = ("id",)
    list_select_related = ("workspace",)


@admin.register(OperatorAction)
class OperatorActionAdmin(_ReadOnlyAdmin):
    list_display = ("created_at", "operator", "workspace", "action", "old", "new")
    list_filter = ("action",)
    list_select_related = ("operator", "workspace")


@admin.register(BackupOrder)
class BackupOrderAdmin(admin.ModelAdmin):
    """Paid backups: how each was paid, its backup's state, refunds (read-only)."""

    list_display = (
        "created_at",
        "workspace",
        "payment_method",
        "status",
        "amount",
        "currency",
        "backup_status",
        "refund_reference",
    )
    list_filter = ("status", "payment_method", "backup__status")
    search_fields = ("workspace__subdomain", "payment_reference", "ordered_by_email")
    list_select_related = ("workspace", "backup")
    readonly_fields = [field.name for field in BackupOrder._meta.fields]

    @admin.display(description=_("backup"))
    def backup_status(self, order: BackupOrder) -> str:
        return order.backup.get_status_display() if order.backup else "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(BackupSchedule)
class BackupScheduleAdmin(admin.ModelAdmin):
    list_display = ("workspace", "enabled", "frequency", "keep_last", "updated_at")
    list_filter = ("enabled", "frequency")
    search_fields = ("workspace__subdomain",)
    readonly_fields = ("stripe_subscription_item_id", "changed_by_email", "updated_at")
