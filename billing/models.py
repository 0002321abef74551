"""Billing state: plans, one subscription per workspace, the seat ledger, Stripe events.

Everything here lives in the public schema (billing is a shared app): a workspace's
billing state must survive whatever happens inside its schema, and operators read it
for every workspace at once.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.models import Workspace


class BillingPeriod(models.TextChoices):
    MONTH = "month", _("Monthly")
    YEAR = "year", _("Yearly")


class Plan(models.Model):
    """What a workspace can buy: a per-seat price a month and a year, and what it includes.

    Defined by operators (seeded by a data migration). The Stripe ids are filled by
    `billing.actions.ensure_stripe_catalog` (or typed in by an operator for real Stripe).
    """

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    # Higher rank = more expensive plan: decides upgrade (at once) vs downgrade (at renewal).
    rank = models.PositiveSmallIntegerField(_("rank"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="usd")
    price_per_seat_monthly = models.DecimalField(
        _("price per seat a month"), max_digits=10, decimal_places=2
    )
    price_per_seat_yearly = models.DecimalField(
        _("price per seat a year"), max_digits=10, decimal_places=2
    )
    max_custom_fields = models.PositiveIntegerField(
        _("custom fields"), null=True, blank=True, help_text=_("Empty means unlimited.")
    )
    storage_gb = models.PositiveIntegerField(_("storage, GB"), default=5)
    api_access = models.BooleanField(_("API access"), default=False)
    scheduled_backups = models.BooleanField(_("scheduled backups"), default=False)
    backup_price = models.DecimalField(
        _("price of a one-off backup"), max_digits=10, decimal_places=2, default=Decimal("10.00")
    )
    backup_retention_days = models.PositiveSmallIntegerField(_("days a backup is kept"), default=90)
    scheduled_backups_price_monthly = models.DecimalField(
        _("scheduled backups add-on a month"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("5.00"),
    )
    scheduled_backups_price_yearly = models.DecimalField(
        _("scheduled backups add-on a year"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("50.00"),
    )
    trial_days = models.PositiveSmallIntegerField(_("trial days"), default=14)
    is_public = models.BooleanField(_("shown on the pricing page"), default=True)
    is_default = models.BooleanField(_("plan of new trials"), default=False)
    stripe_product_id = models.CharField(max_length=255, blank=True)
    stripe_price_monthly_id = models.CharField(max_length=255, blank=True)
    stripe_price_yearly_id = models.CharField(max_length=255, blank=True)
    stripe_backups_addon_monthly_id = models.CharField(max_length=255, blank=True)
    stripe_backups_addon_yearly_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["rank", "pk"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self) -> str:
        return self.name

    def price_per_seat(self, period: str) -> Decimal:
        return (
            self.price_per_seat_yearly
            if period == BillingPeriod.YEAR
            else self.price_per_seat_monthly
        )

    def stripe_price_id(self, period: str) -> str:
        return (
            self.stripe_price_yearly_id
            if period == BillingPeriod.YEAR
            else self.stripe_price_monthly_id
        )


class SubscriptionStatus(models.TextChoices):
    TRIALING = "trialing", _("Trial")
    ACTIVE = "active", _("Active")
    PAST_DUE = "past_due", _("Past due")
    READ_ONLY = "read_only", _("Read-only")
    CANCELED = "canceled", _("Cancelled")


# Statuses in which the workspace may be written to; the others make it read-only.
WRITABLE_STATUSES = frozenset(
    {SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE}
)


class Subscription(models.Model):
    """A workspace's billing state; one per workspace, created with the workspace (the trial).

    `plan`, `seats_paid` and `billing_period` are what the workspace has *now*; Stripe's
    subscription item says what renews (`renewal_*`). They differ between a downgrade or
    a seat reduction and the renewal that applies it.
    """

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="subscription"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    billing_period = models.CharField(
        _("billing period"),
        max_length=8,
        choices=BillingPeriod.choices,
        default=BillingPeriod.MONTH,
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.TRIALING,
    )
    seats_paid = models.PositiveIntegerField(_("seats paid"), default=0)
    free_seats = models.PositiveIntegerField(_("free seats"), default=0)
    renewal_plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    renewal_period = models.CharField(max_length=8, choices=BillingPeriod.choices, blank=True)
    renewal_seats = models.PositiveIntegerField(null=True, blank=True)
    trial_ends_at = models.DateTimeField(_("trial ends"), null=True, blank=True)
    trial_reminders_sent = models.JSONField(default=list, blank=True)
    current_period_end = models.DateTimeField(_("current period ends"), null=True, blank=True)
    cancel_at_period_end = models.BooleanField(_("cancels at period end"), default=False)
    grace_ends_at = models.DateTimeField(_("grace period ends"), null=True, blank=True)
    past_due_notified_at = models.DateTimeField(null=True, blank=True)
    comped = models.BooleanField(_("on a plan without payment"), default=False)
    stripe_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_checkout_session_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.plan_id} {self.status}"

    @property
    def seats_allowed(self) -> int:
        return self.seats_paid + self.free_seats


class SeatLedgerEntry(models.Model):
    """One change of a workspace's seats: append-only (never updated or deleted)."""

    class Reason(models.TextChoices):
        SUBSCRIBED = "subscribed", _("Subscribed")
        ADDED = "added", _("Seats added")
        REDUCED = "reduced", _("Seats reduced at renewal")
        RENEWED = "renewed", _("Renewal applied a reduction")
        STRIPE = "stripe", _("Changed in Stripe")
        FREE_SEATS = "free_seats", _("Free seats granted by an operator")
        COMP = "comp", _("Plan without payment")
        ENDED = "ended", _("Subscription ended")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="seat_ledger")
    actor = models.CharField(_("who"), max_length=254)
    reason = models.CharField(_("why"), max_length=16, choices=Reason.choices)
    note = models.CharField(max_length=255, blank=True)
    delta = models.IntegerField(_("change"))
    seats_after = models.PositiveIntegerField(_("seats after"))
    effective_at = models.DateTimeField(_("takes effect"), null=True, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("seat ledger entry")
        verbose_name_plural = _("seat ledger")

    def __str__(self) -> str:
        return f"{self.workspace_id} {self.delta:+d} ({self.reason})"


class Invoice(models.Model):
    """A Stripe invoice of a workspace, copied when Stripe tells us about it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invoices")
    stripe_id = models.CharField(max_length=255, unique=True)
    number = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16)
    currency = models.CharField(max_length=3)
    amount_due = models.DecimalField(max_digits=12, decimal_places=2)
    amount_paid = models.DecimalField(max_digits=12, decimal_places=2)
    billing_reason = models.CharField(max_length=32, blank=True)
    hosted_invoice_url = models.URLField(max_length=1000, blank=True)
    invoice_pdf = models.URLField(max_length=1000, blank=True)
    created = models.DateTimeField()

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return self.number or self.stripe_id


class StripeEvent(models.Model):
    """A webhook event as received: stored before anything else, unique on Stripe's id."""

    id = models.CharField(primary_key=True, max_length=255)
    type = models.CharField(max_length=64, db_index=True)
    payload = models.JSONField()
    workspace = models.ForeignKey(
        Workspace, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")

    def __str__(self) -> str:
        return f"{self.id} {self.type}"


class OperatorAction(models.Model):
    """Something an operator did to a workspace's billing, with the value before and after."""

    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=32)
    old = models.JSONField(default=dict)
    new = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("operator action")
        verbose_name_plural = _("operator actions")

    def __str__(self) -> str:
        return f"{self.action} on {self.workspace_id}"


class BackupOrder(models.Model):
    """One paid backup: how it is paid, Stripe's reference for the payment, and its backup.

    The backup is queued only once Stripe has confirmed the payment, and only once:
    `payment_reference` (the Checkout Session or the invoice item) is unique, and the
    order row is locked while its backup is attached.
    """

    class PaymentMethod(models.TextChoices):
        INVOICE = "invoice", _("Added to the next invoice")
        CHECKOUT = "checkout", _("Paid in Checkout")

    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment", _("Waiting for payment")
        PAID = "paid", _("Paid")
        PAYMENT_EXPIRED = "payment_expired", _("Payment not completed")
        REFUNDED = "refunded", _("Refunded")
        REFUND_FAILED = "refund_failed", _("Refund failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    backup = models.OneToOneField(
        "backups.Backup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order",
    )
    payment_method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.AWAITING_PAYMENT
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    # cs_... (Checkout) or ii_... (invoice item): unique, so a payment starts one backup.
    payment_reference = models.CharField(max_length=255, unique=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True)
    # re_... (a refund) or ii_... (a deleted or crediting invoice item).
    refund_reference = models.CharField(max_length=255, blank=True)
    ordered_by_user_id = models.BigIntegerField()
    ordered_by_email = models.EmailField()
    ordered_by_language = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("backup order")
        verbose_name_plural = _("backup orders")

    def __str__(self) -> str:
        return f"backup order {self.pk} ({self.status})"


class BackupFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class BackupSchedule(models.Model):
    """Scheduled backups of a workspace: a paid add-on on its subscription."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="backup_schedule"
    )
    enabled = models.BooleanField(default=False)
    frequency = models.CharField(
        max_length=8, choices=BackupFrequency.choices, default=BackupFrequency.DAILY
    )
    keep_last = models.PositiveSmallIntegerField(default=7)
    # The add-on's item on the Stripe subscription while it is switched on.
    stripe_subscription_item_id = models.CharField(max_length=255, blank=True)
    changed_by_user_id = models.BigIntegerField(null=True, blank=True)
    changed_by_email = models.EmailField(blank=True)
    changed_by_language = models.CharField(max_length=8, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("backup schedule")
        verbose_name_plural = _("backup schedules")

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.frequency} x{self.keep_last} ({self.enabled})"
