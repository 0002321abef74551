"""The timeline: every contact with a client (calls, meetings, messages, documents, notes).

One table for every kind of entry: the columns most kinds share are typed (direction,
amount, currency, number, status, duration), what only one kind has lives in `details`
(JSONB: a meeting's place and participants, a message's channel, a call's outcome). An
entry belongs to a contact, a company and/or a deal; the card reads "this client's
entries, newest first" through the (owner, -occurred_at, -id) indexes, so a client with
thousands of entries opens as fast as one with ten. Rules live in crm.actions.timeline.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("E-mail")
    MESSAGE = "message", _("Message")
    PROPOSAL = "proposal", _("Commercial proposal")
    INVOICE = "invoice", _("Invoice")
    PAYMENT = "payment", _("Payment")
    DOCUMENT = "document", _("Document")
    NOTE = "note", _("Note")


class Direction(models.TextChoices):
    INCOMING = "incoming", _("Incoming")
    OUTGOING = "outgoing", _("Outgoing")
    MISSED = "missed", _("Missed")


def activity_file_path(instance: "Activity", filename: str) -> str:
    """Where an entry's file is stored (the default storage adds the workspace's folder)."""
    return f"timeline/{instance.uuid}/{filename}"


class Activity(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("type"), max_length=16, choices=ActivityKind.choices)
    contact = models.ForeignKey(
        "crm.Contact",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        # The partial (owner, -occurred_at, -id) index below serves every lookup by owner.
        db_index=False,
    )
    company = models.ForeignKey(
        "crm.Company",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        # The partial (owner, -occurred_at, -id) index below serves every lookup by owner.
        db_index=False,
    )
    deal = models.ForeignKey(
        "crm.Deal",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        # The partial (owner, -occurred_at, -id) index below serves every lookup by owner.
        db_index=False,
    )
    # When it happened (a call's start, a meeting's time, a payment's date): the card's order.
    occurred_at = models.DateTimeField(_("when"))
    direction = models.CharField(
        _("direction"), max_length=16, choices=Direction.choices, blank=True
    )
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    text = models.TextField(_("text"), blank=True)
    # A call's number, a proposal's or invoice's number.
    number = models.CharField(_("number"), max_length=64, blank=True)
    amount = models.DecimalField(
        _("amount"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    status = models.CharField(_("status"), max_length=32, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration"), null=True, blank=True)
    # What only this kind has: {"outcome": ..., "place": ..., "participants": [...],
    # "channel": ..., "ends_at": ...}; crm.actions.timeline validates it per kind.
    details = models.JSONField(default=dict, blank=True)
    file = models.FileField(_("file"), upload_to=activity_file_path, max_length=500, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    file_type = models.CharField(max_length=100, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # An API key's name, an import's id or "telephony" when no member wrote it.
    author_label = models.CharField(max_length=200, blank=True)
    # Lower-cased, transliterated words of subject, text and number, for "search within".
    search_text = models.TextField(default="", blank=True, editable=False)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=False)
                | Q(company__isnull=False)
                | Q(deal__isnull=False),
                name="crm_activity_has_owner",
            )
        ]
        indexes = [
            models.Index(
                fields=["contact", "-occurred_at", "-id"],
                condition=Q(contact__isnull=False),
                name="crm_activity_contact_time",
            ),
            models.Index(
                fields=["company", "-occurred_at", "-id"],
                condition=Q(company__isnull=False),
                name="crm_activity_company_time",
            ),
            models.Index(
                fields=["deal", "-occurred_at", "-id"],
                condition=Q(deal__isnull=False),
                name="crm_activity_deal_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.occurred_at:%Y-%m-%d %H:%M}"


class ActivityVersion(models.Model):
    """An entry as it was before an edit: editing never loses what was written."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="versions")
    # The edited columns' previous values, as crm.actions.timeline snapshots them.
    snapshot = models.JSONField(default=dict)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    edited_at = models.DateTimeField()

    class Meta:
        ordering = ["-edited_at", "-id"]

    def __str__(self) -> str:
        return f"{self.activity_id} @ {self.edited_at:%Y-%m-%d %H:%M}"
