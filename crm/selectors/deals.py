"""Reads of deals: who sees which, the kanban board, the list, the card, the forecast.

The access rule: owners and admins see every deal; members see every deal when the
workspace lets members see all clients, otherwise only the deals they are responsible
for (crm.selectors.access.sees_all_clients decides, so clients and deals agree). Every
read below starts from `visible_deals`.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.errors import CrmNotFoundError
from crm.models import (
    ChangeRecord,
    Company,
    Contact,
    Deal,
    DealStageChange,
    DealStatus,
    DealTotal,
    LossReason,
    Pipeline,
    RecordType,
    Stage,
    Tag,
)
from crm.selectors.access import Viewer, sees_all_clients
from crm.selectors.compiled import CompiledQuery

BOARD_CARDS_PER_COLUMN = 25
# Who a deal is with and who handles it, as cards, rows and the API show them.
DEAL_PEOPLE_FIELDS = (
    "contact__surname",
    "contact__first_name",
    "contact__patronymic",
    "company__name",
    "responsible__full_name",
    "responsible__email",
)
# What a board card shows (crm.views.deal_cards), and no more: a board loads 150+ cards.
BOARD_CARD_FIELDS = (
    "id",
    "title",
    "amount",
    "currency",
    "expected_close_date",
    "pipeline_id",
    "stage_id",
    "status",
    "board_position",
    *DEAL_PEOPLE_FIELDS,
)
LIST_PAGE_SIZE = 50
FORECAST_MONTHS = 6

LIST_SORTS = {
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "title": ("title", "id"),
    "-title": ("-title", "-id"),
    "amount": ("amount", "id"),
    "-amount": ("-amount", "-id"),
    "close": ("expected_close_date", "id"),
    "-close": ("-expected_close_date", "-id"),
    "stage": ("stage__position", "id"),
    "-stage": ("-stage__position", "-id"),
}


def visible_deals(user: Any, *, sees_all: bool | None = None) -> QuerySet[Deal]:
    """Deals (archived included) that `user` may see (see can_see_deal)."""
    deals = Deal.objects.all()
    if user is None or not getattr(user, "is_active", False):
        return deals.none()
    if sees_all is None:
        sees_all = sees_all_clients(user)
    if sees_all:
        return deals
    return deals.filter(
        Q(responsible_id=user.pk)
        | Q(contact__responsible_id=user.pk)
        | Q(company__responsible_id=user.pk)
    )


def can_see_deal(user: Any, deal: Deal, *, sees_all: bool | None = None) -> bool:
    """The one rule for a deal: whoever sees all clients, its manager, or its client's.

    (A member who sees only their own clients sees everything about them, their deals
    included, and the deals they manage for others' clients.)
    """
    if user is None or not getattr(user, "is_active", False):
        return False
    if sees_all is None:
        sees_all = sees_all_clients(user)
    if sees_all or deal.responsible_id == user.pk:
        return True
    return any(
        client is not None and client.responsible_id == user.pk
        for client in (deal.contact, deal.company)
    )


def active_pipelines() -> list[Pipeline]:
    return ACTIVE_PIPELINES()


def _pipeline_stages(with_archived: bool, *, pipeline_id: int) -> QuerySet[Stage]:
    stages = Stage.objects.filter(pipeline_id=pipeline_id)
    if not with_archived:
        stages = stages.filter(archived_at__isnull=True)
    return stages.order_by("position", "id")


ACTIVE_PIPELINES = CompiledQuery(
    lambda _shape: Pipeline.objects.filter(archived_at__isnull=True).order_by("position", "id")
)
PIPELINE_STAGES = CompiledQuery(_pipeline_stages)


def pipeline_stages(pipeline_id: int, *, with_archived: bool = False) -> list[Stage]:
    return PIPELINE_STAGES(with_archived, pipeline_id=pipeline_id)


def active_loss_reasons() -> list[LossReason]:
    return list(LossReason.objects.filter(archived_at__isnull=True).order_by("position", "name"))


# ---------------------------------------------------------------- filters


@dataclass
class DealFilter:
    """The filters the board, the list, the forecast and the API share."""

    pipeline: int | None = None
    stage: int | None = None
    status: str | None = None
    responsible: int | None = None
    tag: int | None = None
    contact: int | None = None
    company: int | None = None
    close_month: dt.date | None = None  # the first day of the month
    q: str = ""
    archived: bool = False

    @classmethod
    def from_params(cls, params: Any) -> "DealFilter":
        def number(name: str) -> int | None:
            try:
                value = int(params.get(name) or "")
            except (TypeError, ValueError):
                return None
            return value if value > 0 else None

        status = params.get("status") or None
        return cls(
            pipeline=number("pipeline"),
            stage=number("stage"),
            status=status if status in DealStatus.values else None,
            responsible=number("responsible"),
            tag=number("tag"),
            contact=number("contact"),
            company=number("company"),
            close_month=parse_month(params.get("close_month")),
            q=str(params.get("q") or "").strip()[:200],
            archived=params.get("archived") in ("1", "true", "on"),
        )

    def apply(self, deals: QuerySet[Deal]) -> QuerySet[Deal]:
        deals = deals.filter(archived_at__isnull=not self.archived)
        if self.pipeline:
            deals = deals.filter(pipeline_id=self.pipeline)
        if self.stage:
            deals = deals.filter(stage_id=self.stage)
        if self.status:
            deals = deals.filter(status=self.status)
        if self.responsible:
            deals = deals.filter(responsible_id=self.responsible)
        if self.tag:
            deals = deals.filter(tags__id=self.tag)
        if self.contact:
            deals = deals.filter(contact_id=self.contact)
        if self.company:
            deals = deals.filter(company_id=self.company)
        if self.close_month:
            deals = deals.filter(
                expected_close_date__gte=self.close_month,
                expected_close_date__lt=next_month(self.close_month),
            )
        if self.q:
            from crm.normalize import search_text

            needle = search_text(self.q)
            if needle:
                deals = deals.filter(name_search__contains=needle)
        return deals


def parse_month(value: Any) -> dt.date | None:
    """ "2026-12" (or a full date) as the first day of that month; None when unreadable."""
    text = str(value or "").strip()[:10]
    try:
        year, month = int(text[:4]), int(text[5:7])
        return dt.date(year, month, 1)
    except (ValueError, IndexError):
        return None


def next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


# ---------------------------------------------------------------- the board


@dataclass
class BoardColumn:
    stage: Stage
    count: int = 0
    # currency -> sum of amounts, largest first when shown
    sums: dict[str, Decimal] = field(default_factory=dict)
    deals: list[Deal] = field(default_factory=list)

    @property
    def hidden(self) -> int:
        return max(0, self.count - len(self.deals))

    @property
    def sum_list(self) -> list[tuple[str, Decimal]]:
        return sorted(self.sums.items())


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[BoardColumn]


def totals_answer(filters: DealFilter, *, sees_all: bool) -> bool:
    """Whether the DealTotal rows hold the sums asked: for a viewer who sees every deal,
    of unarchived deals filtered at most by pipeline, stage, status, manager and close
    month (the rows' own keys). Anything else is summed from the deals themselves."""
    return (
        sees_all
        and not filters.archived
        and not (filters.tag or filters.contact or filters.company or filters.q)
    )


def _filtered_totals(filters: DealFilter) -> QuerySet[DealTotal]:
    totals = DealTotal.objects.all()
    if filters.pipeline:
        totals = totals.filter(pipeline_id=filters.pipeline)
    if filters.stage:
        totals = totals.filter(stage_id=filters.stage)
    if filters.status:
        totals = totals.filter(status=filters.status)
    if filters.responsible:
        totals = totals.filter(responsible_id=filters.responsible)
    if filters.close_month:
        totals = totals.filter(close_month=filters.close_month)
    return totals


# The filters whose values go into a compiled query as they are (archived changes its shape).
FILTER_VALUES = ("pipeline", "stage", "status", "responsible", "tag", "contact", "company")
FILTER_MORE = ("close_month", "q")


def _filter_values(filters: DealFilter) -> dict[str, Any]:
    """The filters set, as values of a compiled query (crm.selectors.compiled)."""
    return {
        f"filter_{name}": getattr(filters, name)
        for name in (*FILTER_VALUES, *FILTER_MORE)
        if getattr(filters, name)
    }


def _filter_from(archived: bool, values: dict[str, Any]) -> DealFilter:
    return DealFilter(
        archived=archived,
        **{
            name.removeprefix("filter_"): value
            for name, value in values.items()
            if name.startswith("filter_")
        },
    )


def _column_totals(
    shape: tuple[bool, bool, bool], *, pipeline_id: int, user_id: int = 0, **values: Any
) -> QuerySet[Any]:
    from_totals, sees_all, archived = shape
    filters = _filter_from(archived, values)
    if from_totals:
        return (
            _filtered_totals(filters)
            .filter(pipeline_id=pipeline_id)
            .order_by()
            .values("stage_id", "currency")
            .annotate(number=Sum("deals"), total=Sum("amount"))
        )
    # A deal carries a tag once, so the tag filter's join adds no duplicate rows.
    deals = filters.apply(visible_deals(Viewer(user_id), sees_all=sees_all))
    return (
        deals.filter(pipeline_id=pipeline_id)
        .order_by()
        .values("stage_id", "currency")
        .annotate(number=Count("*"), total=Sum("amount"))
    )


def _board_ids(
    shape: tuple[bool, bool, int],
    *,
    pipeline_id: int,
    stage_ids: list[int],
    user_id: int = 0,
    **values: Any,
) -> QuerySet[Any]:
    """The ids of the first cards of each column: a UNION ALL of one index scan a stage."""
    sees_all, archived, per_column = shape
    filters = _filter_from(archived, values)
    deals = filters.apply(visible_deals(Viewer(user_id), sees_all=sees_all)).filter(
        pipeline_id=pipeline_id
    )
    first, *rest = [
        deals.filter(stage_id=stage_id)
        .order_by("board_position", "id")
        .values_list("id", flat=True)[:per_column]
        for stage_id in stage_ids
    ]
    return first.union(*rest, all=True) if rest else first


def _board_cards(_shape: Any, *, ids: list[int]) -> QuerySet[Deal]:
    return (
        Deal.objects.filter(pk__in=ids)
        .select_related("contact", "company", "responsible")
        .only(*BOARD_CARD_FIELDS)
        .order_by("board_position", "id")
    )


COLUMN_TOTALS = CompiledQuery(_column_totals)
BOARD_IDS = CompiledQuery(_board_ids)
BOARD_CARDS = CompiledQuery(_board_cards)


def column_totals(
    user: Any, pipeline: Pipeline, filters: DealFilter, *, sees_all: bool | None = None
) -> list[dict[str, Any]]:
    """(stage_id, currency, number, total) of the pipeline's deals `user` may see, one
    query: from DealTotal (a few hundred rows) when it can answer, else from the deals."""
    if user is None or not getattr(user, "is_active", False):
        return []
    if sees_all is None:
        sees_all = sees_all_clients(user)
    from_totals = totals_answer(filters, sees_all=sees_all)
    values = _filter_values(filters)
    if not from_totals and not sees_all:
        values["user_id"] = user.pk
    rows = COLUMN_TOTALS(
        (from_totals, sees_all, filters.archived), pipeline_id=pipeline.pk, **values
    )
    return [dict(row) for row in rows]


def deal_board(
    user: Any,
    pipeline: Pipeline,
    filters: DealFilter,
    *,
    per_column: int = BOARD_CARDS_PER_COLUMN,
) -> Board:
    """The pipeline's columns: every deal counted and summed (column_totals: one query),
    the first `per_column` cards of each column (one query for ids, one for the cards).

    Five queries at most whatever the number of deals or stages.
    """
    stages = pipeline_stages(pipeline.pk)
    columns = {stage.pk: BoardColumn(stage=stage) for stage in stages}
    sees_all = sees_all_clients(user)
    for row in column_totals(user, pipeline, filters, sees_all=sees_all):
        column = columns.get(row["stage_id"])
        if column is None:
            continue
        column.count += row["number"]
        if row["total"] is not None:
            column.sums[row["currency"] or ""] = (
                column.sums.get(row["currency"] or "", Decimal(0)) + row["total"]
            )
    active = user is not None and getattr(user, "is_active", False)
    if stages and per_column > 0 and active:
        values = _filter_values(filters)
        if not sees_all:
            values["user_id"] = user.pk
        ids = BOARD_IDS(
            (sees_all, filters.archived, per_column),
            pipeline_id=pipeline.pk,
            stage_ids=[stage.pk for stage in stages],
            **values,
        )
        cards = BOARD_CARDS(ids=ids) if ids else []
        for deal in cards:
            columns[deal.stage_id].deals.append(deal)
    return Board(pipeline=pipeline, columns=list(columns.values()))


# ---------------------------------------------------------------- the list


def deals_for_list(user: Any, filters: DealFilter, sort: str) -> QuerySet[Deal]:
    """The deals a list page shows, sorted (`sort` one of LIST_SORTS), with what a row needs."""
    deals = filters.apply(visible_deals(user))
    return deals.select_related("stage", "pipeline", "contact", "company", "responsible").order_by(
        *LIST_SORTS.get(sort, LIST_SORTS["-created"])
    )


def client_deals(
    user: Any,
    *,
    contact: Contact | None = None,
    company: Company | None = None,
    limit: int = 20,
    sees_all: bool | None = None,
) -> list[Deal]:
    """The deals of a client's card (open first, then newest), as far as `user` may see them."""
    if user is None or not getattr(user, "is_active", False):
        return []
    if sees_all is None:
        sees_all = sees_all_clients(user)
    owners = [("contact_id", contact), ("company_id", company)]
    keys = tuple(key for key, record in owners if record is not None)
    values: dict[str, Any] = {key: record.pk for key, record in owners if record is not None}
    if not sees_all:
        values["user_id"] = user.pk
    return CLIENT_DEALS((sees_all, keys, limit), **values)


def _client_deals(
    shape: tuple[bool, tuple[str, ...], int], *, user_id: int = 0, **owners: int
) -> QuerySet[Deal]:
    sees_all, _keys, limit = shape
    deals = visible_deals(Viewer(user_id), sees_all=sees_all).filter(archived_at__isnull=True)
    for key in ("contact_id", "company_id"):
        if key in owners:
            deals = deals.filter(**{key: owners[key]})
    return (
        deals.select_related("stage", "responsible")
        .annotate(is_open=Q(status=DealStatus.OPEN))
        .order_by("-is_open", "-created_at", "-id")[:limit]
    )


CLIENT_DEALS = CompiledQuery(_client_deals)


# ---------------------------------------------------------------- the card


@dataclass
class StageVisit:
    stage_name: str
    entered_at: dt.datetime
    left_at: dt.datetime | None
    seconds: int | None
    actor_name: str


@dataclass
class DealCard:
    deal: Deal
    stages: list[Stage]
    visits: list[StageVisit]
    history: list[Any]


def get_visible_deal(user: Any, deal_id: int) -> Deal:
    found = (
        visible_deals(user)
        .select_related(
            "contact", "company", "stage", "pipeline", "responsible", "loss_reason", "created_by"
        )
        .filter(pk=deal_id)
        .first()
    )
    if found is None:
        raise CrmNotFoundError()
    return found


def deal_card(user: Any, deal_id: int) -> DealCard:
    """A deal with its pipeline's stages (the path), its stage visits and its history."""
    deal = get_visible_deal(user, deal_id)
    stages = pipeline_stages(deal.pipeline_id)
    changes = list(
        DealStageChange.objects.filter(deal=deal)
        .select_related("to_stage", "actor")
        .order_by("at", "id")
    )
    visits: list[StageVisit] = []
    for index, change in enumerate(changes):
        following = changes[index + 1] if index + 1 < len(changes) else None
        visits.append(
            StageVisit(
                stage_name=change.to_stage.name,
                entered_at=change.at,
                left_at=following.at if following else None,
                seconds=following.seconds_in_previous
                if following
                else int((timezone.now() - change.at).total_seconds()),
                actor_name=change.actor.display_name if change.actor else _("system"),
            )
        )
    visits.reverse()
    return DealCard(deal=deal, stages=stages, visits=visits, history=deal_history(deal))


def deal_history(deal: Deal, limit: int = 50) -> list[Any]:
    """The deal's change records as readable entries, ids of stages and clients as names."""
    from crm.selectors.history import render_history

    rows = list(
        ChangeRecord.objects.filter(record_type=RecordType.DEAL, record_id=deal.pk).order_by(
            "-at", "-id"
        )[:limit]
    )
    entries = render_history(rows)
    wanted: dict[str, set[int]] = {}
    for row in rows:
        if row.field in ("stage", "pipeline", "contact", "company", "loss_reason"):
            for value in (row.old, row.new):
                if isinstance(value, int):
                    wanted.setdefault(row.field, set()).add(value)
    names: dict[str, dict[int, str]] = {}
    models: dict[str, Any] = {
        "stage": Stage,
        "pipeline": Pipeline,
        "company": Company,
        "loss_reason": LossReason,
    }
    for name, ids in wanted.items():
        if name == "contact":
            names[name] = {c.pk: c.display_name for c in Contact.objects.filter(pk__in=ids)}
        else:
            label = "name"
            names[name] = dict(models[name].objects.filter(pk__in=ids).values_list("pk", label))
    labels = {
        "title": _("Title"),
        "contact": _("Contact"),
        "company": _("Company"),
        "amount": _("Amount"),
        "currency": _("Currency"),
        "expected_close_date": _("Expected close date"),
        "pipeline": _("Pipeline"),
        "stage": _("Stage"),
        "status": _("Status"),
        "loss_reason": _("Loss reason"),
        "loss_comment": _("Loss comment"),
    }
    statuses = dict(DealStatus.choices)
    for entry in entries:
        if entry.field in names:
            table = names[entry.field]
            entry.old_display = table.get(entry.old, "—") if entry.old else "—"
            entry.new_display = table.get(entry.new, "—") if entry.new else "—"
        if entry.field == "status":
            entry.old_display = str(statuses.get(entry.old, entry.old or "—"))
            entry.new_display = str(statuses.get(entry.new, entry.new or "—"))
        if entry.field in labels:
            entry.field_label = str(labels[entry.field])
    return entries


# ---------------------------------------------------------------- the forecast


@dataclass
class ForecastRow:
    manager_id: int | None
    manager_name: str
    # month -> currency -> (weighted sum, sum, count)
    cells: dict[dt.date, dict[str, tuple[Decimal, Decimal, int]]] = field(default_factory=dict)

    def cell(self, month: dt.date) -> list[tuple[str, Decimal, Decimal, int]]:
        return [
            (currency, weighted, total, count)
            for currency, (weighted, total, count) in sorted(self.cells.get(month, {}).items())
        ]

    def add(
        self, month: dt.date, currency: str, weighted: Decimal, total: Decimal, count: int
    ) -> None:
        month_cells = self.cells.setdefault(month, {})
        old = month_cells.get(currency, (Decimal(0), Decimal(0), 0))
        month_cells[currency] = (old[0] + weighted, old[1] + total, old[2] + count)

    def month_cells(self, months: list[dt.date]) -> list[list[tuple[str, Decimal, Decimal, int]]]:
        return [self.cell(month) for month in months]


@dataclass
class LossRow:
    stage_name: str
    count: int
    reasons: list[tuple[str, int]]


@dataclass
class Forecast:
    months: list[dt.date]
    rows: list[ForecastRow]
    total: ForecastRow
    losses: list[LossRow]
    lost_since: dt.date


def deal_forecast(
    user: Any,
    *,
    pipeline: int | None = None,
    today: dt.date | None = None,
    months: int = FORECAST_MONTHS,
    lost_months: int = 12,
) -> Forecast:
    """Open deals by expected close month (this month and the next `months - 1`) weighted
    by their stage's probability, per responsible manager and in total, per currency; and
    the deals lost in the last `lost_months` months by the stage they were lost from and
    the reason. Deals without an amount count in `count` but add nothing to the sums.

    Four queries (plus one for the managers' names). A viewer who sees every deal reads
    the open deals' sums from DealTotal (grouped by stage, so weighting each group's sum
    by its stage's probability is the same exact decimal sum as weighting each deal).
    """
    today = today or timezone.localdate()
    first = today.replace(day=1)
    month_list = [first]
    for _index in range(months - 1):
        month_list.append(next_month(month_list[-1]))
    end = next_month(month_list[-1])
    sees_all = sees_all_clients(user)
    grouped: QuerySet[Any]
    if sees_all:
        totals = DealTotal.objects.filter(
            status=DealStatus.OPEN, close_month__gte=first, close_month__lt=end
        )
        if pipeline:
            totals = totals.filter(pipeline_id=pipeline)
        grouped = (
            totals.order_by()
            .values("responsible_id", "currency", month=F("close_month"))
            .annotate(weighted=Sum(_weighted("amount")), total=Sum("amount"), number=Sum("deals"))
        )
    else:
        deals = visible_deals(user, sees_all=False).filter(
            archived_at__isnull=True,
            status=DealStatus.OPEN,
            expected_close_date__gte=first,
            expected_close_date__lt=end,
        )
        if pipeline:
            deals = deals.filter(pipeline_id=pipeline)
        grouped = (
            deals.order_by()
            .annotate(month=TruncMonth("expected_close_date"))
            .values("responsible_id", "month", "currency")
            .annotate(weighted=Sum(_weighted("amount")), total=Sum("amount"), number=Count("*"))
        )
    from tenants.members.models import User

    rows: dict[int | None, ForecastRow] = {}
    total = ForecastRow(manager_id=None, manager_name=_("Total"))
    raw = list(grouped)
    names = {
        member.pk: member.display_name
        for member in User.objects.filter(pk__in={r["responsible_id"] for r in raw} - {None})
    }
    for row in raw:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = month.date()
        manager = row["responsible_id"]
        target = rows.get(manager)
        if target is None:
            target = rows[manager] = ForecastRow(
                manager_id=manager,
                manager_name=names.get(manager, _("No manager")) if manager else _("No manager"),
            )
        values = (
            (row["weighted"] or Decimal(0)).quantize(Decimal("0.01")),
            row["total"] or Decimal(0),
            row["number"],
        )
        currency = row["currency"] or ""
        target.add(month, currency, *values)
        total.add(month, currency, *values)
    lost_since = (first - dt.timedelta(days=1)).replace(day=1)
    for _index in range(lost_months - 1):
        lost_since = (lost_since - dt.timedelta(days=1)).replace(day=1)
    losses = _losses(user, pipeline=pipeline, since=lost_since, sees_all=sees_all)
    return Forecast(
        months=month_list,
        rows=sorted(rows.values(), key=lambda r: r.manager_name.casefold()),
        total=total,
        losses=losses,
        lost_since=lost_since,
    )


def _weighted(amount: str) -> ExpressionWrapper:
    """`amount` times its stage's probability, as a share."""
    return ExpressionWrapper(
        F(amount) * F("stage__probability") / Decimal(100),
        output_field=DecimalField(max_digits=24, decimal_places=4),
    )


def _losses(user: Any, *, pipeline: int | None, since: dt.date, sees_all: bool) -> list[LossRow]:
    """Lost deals closed since `since`, by the stage they left for the lost one, and why."""
    deals = visible_deals(user, sees_all=sees_all).filter(
        archived_at__isnull=True,
        status=DealStatus.LOST,
        closed_at__gte=dt.datetime.combine(
            since, dt.time.min, tzinfo=timezone.get_current_timezone()
        ),
    )
    if pipeline:
        deals = deals.filter(pipeline_id=pipeline)
    grouped = list(
        deals.order_by()
        .values("loss_reason_id", lost_from=F("lost_from_stage_id"))
        .annotate(number=Count("*"))
    )
    stage_ids = {row["lost_from"] for row in grouped} - {None}
    stages = {
        stage.pk: stage
        for stage in Stage.objects.filter(pk__in=stage_ids).order_by("pipeline_id", "position")
    }
    reasons = dict(LossReason.objects.values_list("pk", "name"))
    by_stage: dict[int | None, dict[str, int]] = {}
    for row in grouped:
        reason = reasons.get(row["loss_reason_id"], _("No reason given"))
        bucket = by_stage.setdefault(row["lost_from"], {})
        bucket[reason] = bucket.get(reason, 0) + row["number"]

    def order(stage_id: int | None) -> tuple[int, int, int]:
        stage = stages.get(stage_id) if stage_id else None
        return (0, stage.pipeline_id, stage.position) if stage else (1, 0, 0)

    result = []
    for stage_id in sorted(by_stage, key=order):
        stage = stages.get(stage_id) if stage_id else None
        bucket = by_stage[stage_id]
        result.append(
            LossRow(
                stage_name=stage.name if stage else _("Lost when created"),
                count=sum(bucket.values()),
                reasons=sorted(bucket.items(), key=lambda item: (-item[1], item[0])),
            )
        )
    return result


# What the API's deal_out (crm.api.deals) reads of each related row. Whole contacts and
# companies (custom values, search columns, notes) were most of a page's time on the wire
# and in Python; and each table joined multiplies PostgreSQL's planning (7 tables: ~12 ms
# to plan, 1 ms to run), so the small lookup tables come in their own tiny queries instead.
_API_JOINED = ("contact", "company", "responsible")


def with_api_relations(deals: QuerySet[Deal]) -> QuerySet[Deal]:
    """`deals` with what the API shows of each: clients and manager joined, the rest in
    four small queries."""
    own = [field.name for field in Deal._meta.concrete_fields]
    return (
        deals.select_related(*_API_JOINED)
        .only(*own, *DEAL_PEOPLE_FIELDS)
        .prefetch_related(
            Prefetch("pipeline", queryset=Pipeline.objects.only("name")),
            Prefetch("stage", queryset=Stage.objects.only("name", "probability")),
            Prefetch("loss_reason", queryset=LossReason.objects.only("name")),
            Prefetch("tags", queryset=Tag.objects.only("name")),
        )
    )
