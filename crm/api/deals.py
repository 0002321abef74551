"""/api/deals, /api/pipelines, /api/stages, /api/loss-reasons.

The same actions (crm.actions.deals) and reads (crm.selectors.deals) as the pages, so the
same validation, required fields and access rule hold: a key acts as its creator, and a
member who sees only their own clients sees (and moves) only the deals they are
responsible for. Shaping pipelines (stages, loss reasons) needs an owner's or admin's key.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import StringConstraints

from crm.actions import deals as actions
from crm.api.common import ERRORS, acting_user, api_source, decode_cursor, encode_cursor
from crm.api.schemas import MemberOut, Reference, StrictInput
from crm.custom_values import custom_values_for_api
from crm.errors import CrmNotFoundError
from crm.models import Deal, LossReason, Pipeline, Stage
from crm.selectors import deals as selectors

router = Router(tags=["Deals and pipelines"])

Name = Annotated[str, StringConstraints(max_length=120)]
Currency = Literal["RUB", "UAH", "KZT", "BYN", "USD", "EUR"]
StageKindName = Literal["open", "won", "lost"]
StatusName = Literal["open", "won", "lost"]


# ---------------------------------------------------------------- shapes


class StageOut(Schema):
    id: int
    pipeline_id: int
    name: str
    position: int
    probability: int = Field(description="Percent chance that a deal here is won.")
    kind: StageKindName
    archived: bool


class PipelineOut(Schema):
    id: int
    name: str
    position: int
    archived: bool
    stages: list[StageOut]


class LossReasonOut(Schema):
    id: int
    name: str
    archived: bool


class DealOut(Schema):
    id: int
    title: str
    contact: Reference | None
    company: Reference | None
    amount: Decimal | None = Field(description="A decimal string, never a float.")
    currency: str
    expected_close_date: dt.date | None
    pipeline: Reference
    stage: Reference
    status: StatusName
    probability: int
    loss_reason: Reference | None
    loss_comment: str
    responsible: MemberOut | None
    tags: list[str]
    custom: dict[str, Any]
    stage_entered_at: dt.datetime
    closed_at: dt.datetime | None
    archived: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class DealPage(Schema):
    items: list[DealOut]
    next_cursor: str | None


class DealIn(StrictInput):
    title: Annotated[str, StringConstraints(max_length=255)]
    contact_id: int | None = None
    company_id: int | None = None
    amount: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    currency: Currency | None = Field(
        None, description="Defaults to the currency of the workspace's country."
    )
    expected_close_date: dt.date | None = None
    pipeline_id: int | None = Field(None, description="Defaults to the main pipeline.")
    stage_id: int | None = Field(None, description="Defaults to the pipeline's first open stage.")
    responsible_id: int | None = Field(None, description="Defaults to the key's member.")
    tags: list[Annotated[str, StringConstraints(max_length=60)]] = Field(
        default_factory=list, max_length=50
    )
    custom: dict[str, Any] = Field(default_factory=dict)
    loss_reason_id: int | None = Field(None, description="Required when the stage is lost.")
    loss_comment: Annotated[str, StringConstraints(max_length=2000)] = ""


class DealPatch(StrictInput):
    title: Annotated[str, StringConstraints(max_length=255)] | None = None
    contact_id: int | None = None
    company_id: int | None = None
    amount: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    currency: Currency | None = None
    expected_close_date: dt.date | None = None
    pipeline_id: int | None = None
    stage_id: int | None = Field(
        None, description="Moves the deal (recorded with its time in the previous stage)."
    )
    responsible_id: int | None = None
    tags: list[Annotated[str, StringConstraints(max_length=60)]] | None = Field(None, max_length=50)
    custom: dict[str, Any] | None = None
    loss_reason_id: int | None = None
    loss_comment: Annotated[str, StringConstraints(max_length=2000)] | None = None


class MoveIn(StrictInput):
    stage_id: int
    before_deal_id: int | None = Field(
        None, description="Put the deal above this one in the column (the top when absent)."
    )
    loss_reason_id: int | None = None
    loss_comment: Annotated[str, StringConstraints(max_length=2000)] = ""


class LoseIn(StrictInput):
    loss_reason_id: int
    loss_comment: Annotated[str, StringConstraints(max_length=2000)] = ""


class DealQuery(Schema):
    pipeline: int | None = None
    stage: int | None = None
    status: StatusName | None = None
    responsible: int | None = Field(None, description="A member's id.")
    contact: int | None = None
    company: int | None = None
    tag: int | None = None
    close_month: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")] | None = Field(
        None, description="Expected to close in this month: YYYY-MM."
    )
    q: Annotated[str, StringConstraints(max_length=200)] | None = None
    archived: bool = False
    limit: int = Field(50, ge=1, le=200)
    cursor: Annotated[str, StringConstraints(max_length=100)] | None = None


class PipelineIn(StrictInput):
    name: Name


class PipelinePatch(StrictInput):
    name: Name


class StageIn(StrictInput):
    name: Name
    probability: int = Field(ge=0, le=100)
    kind: StageKindName = "open"


class StagePatch(StrictInput):
    name: Name | None = None
    probability: int | None = Field(None, ge=0, le=100)
    kind: StageKindName | None = None


class StageArchiveIn(StrictInput):
    move_deals_to: int | None = Field(
        None, description="The stage its deals move to (required while it has deals)."
    )


class LossReasonIn(StrictInput):
    name: Name


class ForecastCellOut(Schema):
    month: dt.date
    currency: str
    weighted: Decimal
    total: Decimal
    count: int


class ForecastRowOut(Schema):
    manager: MemberOut | None
    cells: list[ForecastCellOut]


class LossOut(Schema):
    stage: str
    count: int
    reasons: dict[str, int]


class ForecastOut(Schema):
    months: list[dt.date]
    managers: list[ForecastRowOut]
    total: list[ForecastCellOut]
    losses: list[LossOut]
    lost_since: dt.date


# ---------------------------------------------------------------- presenters


def _ref(obj: Any, name: str) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": name}


def deal_out(deal: Deal) -> dict[str, Any]:
    member = deal.responsible
    return {
        "id": deal.pk,
        "title": deal.title,
        "contact": _ref(deal.contact, deal.contact.display_name) if deal.contact else None,
        "company": _ref(deal.company, deal.company.name) if deal.company else None,
        "amount": deal.amount,
        "currency": deal.currency,
        "expected_close_date": deal.expected_close_date,
        "pipeline": {"id": deal.pipeline_id, "name": deal.pipeline.name},
        "stage": {"id": deal.stage_id, "name": deal.stage.name},
        "status": deal.status,
        "probability": deal.stage.probability,
        "loss_reason": _ref(deal.loss_reason, deal.loss_reason.name) if deal.loss_reason else None,
        "loss_comment": deal.loss_comment,
        "responsible": (
            {"id": member.pk, "name": member.display_name, "email": member.email}
            if member
            else None
        ),
        "tags": sorted((tag.name for tag in deal.tags.all()), key=str.casefold),
        "custom": custom_values_for_api("deal", deal.custom),
        "stage_entered_at": deal.stage_entered_at,
        "closed_at": deal.closed_at,
        "archived": deal.archived_at is not None,
        "created_at": deal.created_at,
        "updated_at": deal.updated_at,
    }


def _loaded(user: Any, deal_id: int) -> dict[str, Any]:
    deal = selectors.with_api_relations(selectors.visible_deals(user)).filter(pk=deal_id).first()
    if deal is None:
        raise CrmNotFoundError()
    return deal_out(deal)


def stage_out(stage: Stage) -> dict[str, Any]:
    return {
        "id": stage.pk,
        "pipeline_id": stage.pipeline_id,
        "name": stage.name,
        "position": stage.position,
        "probability": stage.probability,
        "kind": stage.kind,
        "archived": stage.archived_at is not None,
    }


def pipeline_out(pipeline: Pipeline, stages: list[Stage]) -> dict[str, Any]:
    return {
        "id": pipeline.pk,
        "name": pipeline.name,
        "position": pipeline.position,
        "archived": pipeline.archived_at is not None,
        "stages": [stage_out(stage) for stage in stages if stage.pipeline_id == pipeline.pk],
    }


def _changes(payload: Schema) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    renames = {
        "contact_id": "contact",
        "company_id": "company",
        "pipeline_id": "pipeline",
        "stage_id": "stage",
        "responsible_id": "responsible",
        "loss_reason_id": "loss_reason",
    }
    return {renames.get(key, key): value for key, value in data.items()}


# ---------------------------------------------------------------- deals


@router.get(
    "/deals", response={200: DealPage, **ERRORS}, url_name="api_deal_list", summary="List deals"
)
def api_deal_list(request: HttpRequest, filters: Query[DealQuery]) -> dict[str, Any]:
    """Deals the key's member may see, by ascending id, `limit` a page (cursor for the next)."""
    user = acting_user(request)
    actions.ensure_default_pipeline()
    deal_filter = selectors.DealFilter(
        pipeline=filters.pipeline,
        stage=filters.stage,
        status=filters.status,
        responsible=filters.responsible,
        contact=filters.contact,
        company=filters.company,
        tag=filters.tag,
        close_month=selectors.parse_month(filters.close_month),
        q=filters.q or "",
        archived=filters.archived,
    )
    deals = deal_filter.apply(selectors.visible_deals(user))
    if filters.tag:
        deals = deals.distinct()
    after = decode_cursor(filters.cursor)
    if after is not None:
        deals = deals.filter(pk__gt=after)
    rows = list(selectors.with_api_relations(deals).order_by("id")[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return {
        "items": [deal_out(deal) for deal in rows],
        "next_cursor": encode_cursor(rows[-1].pk) if more and rows else None,
    }


@router.post(
    "/deals", response={201: DealOut, **ERRORS}, url_name="api_deal_create", summary="Create a deal"
)
def api_deal_create(request: HttpRequest, payload: DealIn) -> Status[dict[str, Any]]:
    """Same rules as the form: required fields, custom fields, stages of the pipeline, a
    reason for a lost stage, clients the member may see."""
    user = acting_user(request)
    data = _changes(payload)
    if data.get("currency") is None:
        data.pop("currency", None)
    deal = actions.create_deal(acting_user=user, data=data, source=api_source(request))
    return Status(201, _loaded(user, deal.pk))


@router.get(
    "/deals/forecast",
    response={200: ForecastOut, **ERRORS},
    url_name="api_deal_forecast",
    summary="Weighted forecast and losses",
)
def api_deal_forecast(request: HttpRequest, pipeline: int | None = None) -> dict[str, Any]:
    """Open deals by expected close month (this month and the next five), amount times stage
    probability, per responsible manager and in total per currency; lost deals of the last
    twelve months by the stage they were lost from and the reason."""
    user = acting_user(request)
    forecast = selectors.deal_forecast(user, pipeline=pipeline)
    from tenants.members.models import User

    members = {
        m.pk: m
        for m in User.objects.filter(pk__in=[r.manager_id for r in forecast.rows if r.manager_id])
    }

    def cells(row: selectors.ForecastRow) -> list[dict[str, Any]]:
        return [
            {
                "month": month,
                "currency": currency,
                "weighted": weighted,
                "total": total,
                "count": count,
            }
            for month in forecast.months
            for currency, weighted, total, count in row.cell(month)
        ]

    return {
        "months": forecast.months,
        "managers": [
            {
                "manager": (
                    {"id": m.pk, "name": m.display_name, "email": m.email}
                    if (m := members.get(row.manager_id or 0))
                    else None
                ),
                "cells": cells(row),
            }
            for row in forecast.rows
        ],
        "total": cells(forecast.total),
        "losses": [
            {"stage": row.stage_name, "count": row.count, "reasons": dict(row.reasons)}
            for row in forecast.losses
        ],
        "lost_since": forecast.lost_since,
    }


@router.get(
    "/deals/{deal_id}",
    response={200: DealOut, **ERRORS},
    url_name="api_deal_detail",
    summary="Get a deal",
)
def api_deal_detail(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    return _loaded(acting_user(request), deal_id)


@router.patch(
    "/deals/{deal_id}",
    response={200: DealOut, **ERRORS},
    url_name="api_deal_update",
    summary="Change some fields of a deal, or move it",
)
def api_deal_update(request: HttpRequest, deal_id: int, payload: DealPatch) -> dict[str, Any]:
    """Only the fields sent change; `stage_id` moves the deal (a lost stage needs
    `loss_reason_id`); custom values sent merge into the deal's (null clears one)."""
    user = acting_user(request)
    actions.update_deal(
        acting_user=user, deal=deal_id, changes=_changes(payload), source=api_source(request)
    )
    return _loaded(user, deal_id)


@router.post(
    "/deals/{deal_id}/move",
    response={200: DealOut, **ERRORS},
    url_name="api_deal_move",
    summary="Move a deal on the board",
)
def api_deal_move(request: HttpRequest, deal_id: int, payload: MoveIn) -> dict[str, Any]:
    user = acting_user(request)
    actions.move_deal(
        acting_user=user,
        deal=deal_id,
        stage=payload.stage_id,
        before_deal=payload.before_deal_id,
        loss_reason=payload.loss_reason_id,
        loss_comment=payload.loss_comment,
        source=api_source(request),
    )
    return _loaded(user, deal_id)


@router.post(
    "/deals/{deal_id}/win",
    response={200: DealOut, **ERRORS},
    url_name="api_deal_win",
    summary="Mark a deal won",
)
def api_deal_win(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    user = acting_user(request)
    actions.win_deal(acting_user=user, deal=deal_id, source=api_source(request))
    return _loaded(user, deal_id)


@router.post(
    "/deals/{deal_id}/lose",
    response={200: DealOut, **ERRORS},
    url_name="api_deal_lose",
    summary="Mark a deal lost, with a reason",
)
def api_deal_lose(request: HttpRequest, deal_id: int, payload: LoseIn) -> dict[str, Any]:
    user = acting_user(request)
    actions.lose_deal(
        acting_user=user,
        deal=deal_id,
        loss_reason=payload.loss_reason_id,
        loss_comment=payload.loss_comment,
        source=api_source(request),
    )
    return _loaded(user, deal_id)


@router.post(
    "/deals/{deal_id}/reopen",
    response={200: DealOut, **ERRORS},
    url_name="api_deal_reopen",
    summary="Take a won or lost deal back into work",
)
def api_deal_reopen(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    user = acting_user(request)
    actions.reopen_deal(acting_user=user, deal=deal_id, source=api_source(request))
    return _loaded(user, deal_id)


@router.post(
    "/deals/{deal_id}/archive",
    response={200: DealOut, **ERRORS},
    url_name="api_deal_archive",
    summary="Archive a deal",
)
def api_deal_archive(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    user = acting_user(request)
    actions.archive_deal(acting_user=user, deal=deal_id, source=api_source(request))
    return _loaded(user, deal_id)


@router.post(
    "/deals/{deal_id}/restore",
    response={200: DealOut, **ERRORS},
    url_name="api_deal_restore",
    summary="Restore an archived deal",
)
def api_deal_restore(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    user = acting_user(request)
    actions.restore_deal(acting_user=user, deal=deal_id, source=api_source(request))
    return _loaded(user, deal_id)


# ---------------------------------------------------------------- pipelines and stages


def _pipeline(pipeline_id: int) -> dict[str, Any]:
    pipeline = Pipeline.objects.filter(pk=pipeline_id).first()
    if pipeline is None:
        raise CrmNotFoundError()
    return pipeline_out(pipeline, list(pipeline.stages.order_by("position", "id")))


@router.get(
    "/pipelines",
    response={200: list[PipelineOut], **ERRORS},
    url_name="api_pipeline_list",
    summary="List pipelines with their stages",
)
def api_pipeline_list(request: HttpRequest, archived: bool = False) -> list[dict[str, Any]]:
    acting_user(request)
    actions.ensure_default_pipeline()
    pipelines = Pipeline.objects.order_by("position", "id")
    stages = Stage.objects.order_by("position", "id")
    if not archived:
        pipelines = pipelines.filter(archived_at__isnull=True)
        stages = stages.filter(archived_at__isnull=True)
    stage_list = list(stages)
    return [pipeline_out(pipeline, stage_list) for pipeline in pipelines]


@router.post(
    "/pipelines",
    response={201: PipelineOut, **ERRORS},
    url_name="api_pipeline_create",
    summary="Create a pipeline (owners and admins)",
)
def api_pipeline_create(request: HttpRequest, payload: PipelineIn) -> Status[dict[str, Any]]:
    pipeline = actions.create_pipeline(acting_user=acting_user(request), name=payload.name)
    return Status(201, _pipeline(pipeline.pk))


@router.get(
    "/pipelines/{pipeline_id}",
    response={200: PipelineOut, **ERRORS},
    url_name="api_pipeline_detail",
    summary="Get a pipeline with its stages",
)
def api_pipeline_detail(request: HttpRequest, pipeline_id: int) -> dict[str, Any]:
    acting_user(request)
    return _pipeline(pipeline_id)


@router.patch(
    "/pipelines/{pipeline_id}",
    response={200: PipelineOut, **ERRORS},
    url_name="api_pipeline_update",
    summary="Rename a pipeline (owners and admins)",
)
def api_pipeline_update(
    request: HttpRequest, pipeline_id: int, payload: PipelinePatch
) -> dict[str, Any]:
    actions.rename_pipeline(
        acting_user=acting_user(request), pipeline=pipeline_id, name=payload.name
    )
    return _pipeline(pipeline_id)


@router.post(
    "/pipelines/{pipeline_id}/archive",
    response={200: PipelineOut, **ERRORS},
    url_name="api_pipeline_archive",
    summary="Archive a pipeline (owners and admins)",
)
def api_pipeline_archive(request: HttpRequest, pipeline_id: int) -> dict[str, Any]:
    actions.archive_pipeline(acting_user=acting_user(request), pipeline=pipeline_id)
    return _pipeline(pipeline_id)


@router.post(
    "/pipelines/{pipeline_id}/stages",
    response={201: StageOut, **ERRORS},
    url_name="api_stage_create",
    summary="Add a stage (owners and admins)",
)
def api_stage_create(
    request: HttpRequest, pipeline_id: int, payload: StageIn
) -> Status[dict[str, Any]]:
    stage = actions.create_stage(
        acting_user=acting_user(request),
        pipeline=pipeline_id,
        name=payload.name,
        probability=payload.probability,
        kind=payload.kind,
    )
    return Status(201, stage_out(stage))


@router.get(
    "/stages/{stage_id}",
    response={200: StageOut, **ERRORS},
    url_name="api_stage_detail",
    summary="Get a stage",
)
def api_stage_detail(request: HttpRequest, stage_id: int) -> dict[str, Any]:
    acting_user(request)
    stage = Stage.objects.filter(pk=stage_id).first()
    if stage is None:
        raise CrmNotFoundError()
    return stage_out(stage)


@router.patch(
    "/stages/{stage_id}",
    response={200: StageOut, **ERRORS},
    url_name="api_stage_update",
    summary="Change a stage (owners and admins)",
)
def api_stage_update(request: HttpRequest, stage_id: int, payload: StagePatch) -> dict[str, Any]:
    stage = actions.update_stage(
        acting_user=acting_user(request),
        stage=stage_id,
        name=payload.name,
        probability=payload.probability,
        kind=payload.kind,
    )
    return stage_out(stage)


@router.post(
    "/stages/{stage_id}/archive",
    response={200: StageOut, **ERRORS},
    url_name="api_stage_archive",
    summary="Archive a stage, moving its deals (owners and admins)",
)
def api_stage_archive(
    request: HttpRequest, stage_id: int, payload: StageArchiveIn
) -> dict[str, Any]:
    stage = actions.archive_stage(
        acting_user=acting_user(request), stage=stage_id, move_deals_to=payload.move_deals_to
    )
    return stage_out(stage)


@router.get(
    "/loss-reasons",
    response={200: list[LossReasonOut], **ERRORS},
    url_name="api_loss_reason_list",
    summary="The workspace's loss reasons",
)
def api_loss_reason_list(request: HttpRequest, archived: bool = False) -> list[dict[str, Any]]:
    acting_user(request)
    actions.ensure_default_pipeline()
    reasons = LossReason.objects.order_by("position", "name")
    if not archived:
        reasons = reasons.filter(archived_at__isnull=True)
    return [{"id": r.pk, "name": r.name, "archived": r.archived_at is not None} for r in reasons]


@router.post(
    "/loss-reasons",
    response={201: LossReasonOut, **ERRORS},
    url_name="api_loss_reason_create",
    summary="Add a loss reason (owners and admins)",
)
def api_loss_reason_create(request: HttpRequest, payload: LossReasonIn) -> Status[dict[str, Any]]:
    reason = actions.create_loss_reason(acting_user=acting_user(request), name=payload.name)
    return Status(201, {"id": reason.pk, "name": reason.name, "archived": False})
