"""Deals and the pipelines they move through.

Owners and admins shape the pipelines (stages with an order, a probability and a kind:
open, won or lost) and the list of loss reasons; every member works deals through
crm.actions.deals. A deal's stage changes are kept (DealStageChange) with the time spent
in the stage left, for "how long do deals sit in negotiation" and for the forecast.
"""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Pipeline(models.Model):
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(default=0)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", _("In progress")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Stage(models.Model):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="stages")
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(default=0)
    # Percent chance that a deal in this stage is won: weights the forecast.
    probability = models.PositiveSmallIntegerField(
        _("probability, %"), default=0, validators=[MaxValueValidator(100)]
    )
    kind = models.CharField(_("kind"), max_length=8, choices=StageKind.choices, default="open")
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pipeline", "position", "id"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="crm_stage_probability")
        ]

    def __str__(self) -> str:
        return self.name


class LossReason(models.Model):
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(default=0)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("loss reason")
        verbose_name_plural = _("loss reasons")
        constraints = [
            models.UniqueConstraint(Lower("name"), name="crm_loss_reason_name_unique_ci")
        ]

    def __str__(self) -> str:
        return self.name


class DealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Deal(models.Model):
    title = models.CharField(_("title"), max_length=255)
    contact = models.ForeignKey(
        "crm.Contact", on_delete=models.PROTECT, null=True, blank=True, related_name="deals"
    )
    company = models.ForeignKey(
        "crm.Company", on_delete=models.PROTECT, null=True, blank=True, related_name="deals"
    )
    amount = models.DecimalField(
        _("amount"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals")
    # Follows the stage's kind (kept by the actions, so lists filter without a join).
    status = models.CharField(
        _("status"), max_length=8, choices=DealStatus.choices, default=DealStatus.OPEN
    )
    loss_reason = models.ForeignKey(
        LossReason,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deals",
        verbose_name=_("loss reason"),
    )
    loss_comment = models.TextField(_("loss comment"), blank=True)
    # The stage a lost deal left for its lost stage ("lost after Proposal"): kept by the
    # actions so the losses report is one GROUP BY, without walking the stage changes.
    lost_from_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    stage_entered_at = models.DateTimeField(_("in this stage since"))
    # Order within the kanban column (smaller first); gaps leave room for moves.
    board_position = models.BigIntegerField(default=0)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible manager"),
    )
    tags = models.ManyToManyField("crm.Tag", blank=True, related_name="deals")
    # Values of the workspace's deal custom fields, by key (crm.custom_values).
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Transliterated, lower-cased title words (crm.normalize.search_text), trigram-indexed.
    name_search = models.TextField(default="", blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            models.Index(
                fields=["pipeline", "stage", "board_position", "id"],
                condition=Q(archived_at__isnull=True),
                name="crm_deal_board",
            ),
            models.Index(fields=["responsible", "status", "-created_at"], name="crm_deal_resp"),
            # The board's count and sum per column, read from the index alone.
            models.Index(
                fields=["pipeline", "stage"],
                include=["currency", "amount", "responsible"],
                condition=Q(archived_at__isnull=True),
                name="crm_deal_column_totals",
            ),
            # "Deals of this manager, newest first" (the list filtered by manager).
            models.Index(
                fields=["responsible", "-created_at", "-id"],
                condition=Q(archived_at__isnull=True),
                name="crm_deal_resp_created",
            ),
            # The forecast (open deals by close month) and the losses report, read from
            # the index alone.
            models.Index(
                fields=["status", "expected_close_date"],
                include=["responsible", "currency", "amount", "stage"],
                condition=Q(archived_at__isnull=True),
                name="crm_deal_forecast",
            ),
            models.Index(
                fields=["status", "closed_at"],
                include=["loss_reason", "lost_from_stage", "pipeline", "responsible"],
                condition=Q(archived_at__isnull=True),
                name="crm_deal_closed",
            ),
            models.Index(fields=["status", "expected_close_date"], name="crm_deal_close"),
            models.Index(fields=["contact"], name="crm_deal_contact"),
            models.Index(fields=["company"], name="crm_deal_company"),
            models.Index(fields=["-created_at", "-id"], name="crm_deal_created"),
            GinIndex(fields=["name_search"], opclasses=["gin_trgm_ops"], name="crm_deal_name_trgm"),
            GinIndex(fields=["custom"], opclasses=["jsonb_path_ops"], name="crm_deal_custom"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def display_name(self) -> str:
        return self.title

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class DealStageChange(models.Model):
    """A deal entered `to_stage` (from `from_stage`, None when created) at `at`."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    # How long the deal stayed in from_stage.
    seconds_in_previous = models.BigIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["deal", "-at"], name="crm_deal_stage_change")]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} -> {self.to_stage_id}"


class DealTotal(models.Model):
    """How many unarchived deals, and their summed amount, share one (pipeline, stage,
    status, manager, currency, expected close month): what the kanban board's column
    headers and the forecast add up, read from a few hundred rows instead of every deal.

    Kept by crm.actions.deal_totals: every action that writes deals recomputes the rows
    of the stages it touched, in its own transaction, from the deals themselves (so a
    row is always the aggregate of its deals as of the last write, never a running sum
    that could drift). Only viewers who see every deal read them; a member who sees only
    their own clients, and filters the rows cannot answer (tag, search), aggregate the
    deals live (crm.selectors.deals).
    """

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=DealStatus.choices)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    currency = models.CharField(max_length=3, blank=True)
    # The first day of the deals' expected close month; None for deals without a date.
    close_month = models.DateField(null=True, blank=True)
    deals = models.PositiveIntegerField()
    # None when none of the deals has an amount (the board then shows no sum for them).
    amount = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pipeline", "stage", "status", "responsible", "currency", "close_month"],
                nulls_distinct=False,
                name="crm_deal_total_group",
            )
        ]

    def __str__(self) -> str:
        return f"{self.stage_id}/{self.responsible_id}/{self.currency}: {self.deals}"
