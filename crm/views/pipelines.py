"""Pipelines settings (owners and admins): pipelines, their stages, the loss reasons."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.actions import deals as actions
from crm.errors import CrmValidationError
from crm.models import LossReason, Pipeline, Stage, StageKind
from crm.views.common import admin_only, all_errors, crm_view, member


@crm_view
def pipeline_settings(request: HttpRequest) -> HttpResponse:
    admin_only(request)
    actions.ensure_default_pipeline()
    pipelines = list(Pipeline.objects.order_by("archived_at", "position", "id"))
    stages = list(Stage.objects.order_by("position", "id"))
    counts: dict[int, int] = {}
    from django.db.models import Count

    for row in (
        Stage.objects.filter(deals__archived_at__isnull=True)
        .values("pk")
        .annotate(number=Count("deals"))
    ):
        counts[row["pk"]] = row["number"]
    for stage in stages:
        stage.deal_count = counts.get(stage.pk, 0)  # type: ignore[attr-defined]
    for pipeline in pipelines:
        pipeline.stage_list = [s for s in stages if s.pipeline_id == pipeline.pk]  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "pipelines": pipelines,
        "reasons": list(LossReason.objects.order_by("archived_at", "position", "name")),
        "kinds": StageKind.choices,
    }
    return render(request, "crm/deals/pipelines.html", context)


def _done(request: HttpRequest, call: Any, success: str) -> HttpResponse:
    try:
        call()
    except CrmValidationError as error:
        messages.error(request, all_errors(error))
    else:
        messages.success(request, success)
    return redirect("crm_pipeline_settings")


@crm_view
@require_POST
def pipeline_create(request: HttpRequest) -> HttpResponse:
    admin_only(request)
    return _done(
        request,
        lambda: actions.create_pipeline(
            acting_user=member(request), name=request.POST.get("name", "")
        ),
        _("Pipeline added."),
    )


@crm_view
@require_POST
def pipeline_update(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    """Rename (name), archive (action=archive) or restore (action=restore) a pipeline."""
    admin_only(request)
    user = member(request)
    action = request.POST.get("action") or "rename"
    if action == "archive":
        return _done(
            request,
            lambda: actions.archive_pipeline(acting_user=user, pipeline=pipeline_id),
            _("Pipeline archived."),
        )
    if action == "restore":
        return _done(
            request,
            lambda: actions.restore_pipeline(acting_user=user, pipeline=pipeline_id),
            _("Pipeline restored."),
        )
    return _done(
        request,
        lambda: actions.rename_pipeline(
            acting_user=user, pipeline=pipeline_id, name=request.POST.get("name", "")
        ),
        _("Pipeline renamed."),
    )


@crm_view
@require_POST
def stage_create(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    admin_only(request)
    return _done(
        request,
        lambda: actions.create_stage(
            acting_user=member(request),
            pipeline=pipeline_id,
            name=request.POST.get("name", ""),
            probability=request.POST.get("probability", ""),
            kind=request.POST.get("kind", StageKind.OPEN),
        ),
        _("Stage added."),
    )


@crm_view
@require_POST
def stage_update(request: HttpRequest, stage_id: int) -> HttpResponse:
    """Save a stage (name, probability, kind), move it up/down, archive or restore it."""
    admin_only(request)
    user = member(request)
    action = request.POST.get("action") or "save"
    if action in ("up", "down"):
        stage = Stage.objects.filter(pk=stage_id).first()
        if stage is None:
            from crm.errors import CrmNotFoundError

            raise CrmNotFoundError()
        ids = list(
            Stage.objects.filter(pipeline_id=stage.pipeline_id)
            .order_by("position", "id")
            .values_list("pk", flat=True)
        )
        index = ids.index(stage.pk)
        other = index - 1 if action == "up" else index + 1
        if 0 <= other < len(ids):
            ids[index], ids[other] = ids[other], ids[index]
        return _done(
            request,
            lambda: actions.reorder_stages(
                acting_user=user, pipeline=stage.pipeline_id, ordered_ids=ids
            ),
            _("Stages reordered."),
        )
    if action == "archive":
        move_text = request.POST.get("move_to") or ""
        move_to = int(move_text) if move_text.isdigit() else None
        return _done(
            request,
            lambda: actions.archive_stage(acting_user=user, stage=stage_id, move_deals_to=move_to),
            _("Stage archived."),
        )
    if action == "restore":
        return _done(
            request,
            lambda: actions.restore_stage(acting_user=user, stage=stage_id),
            _("Stage restored."),
        )
    return _done(
        request,
        lambda: actions.update_stage(
            acting_user=user,
            stage=stage_id,
            name=request.POST.get("name", ""),
            probability=request.POST.get("probability", ""),
            kind=request.POST.get("kind") or None,
        ),
        _("Stage saved."),
    )


@crm_view
@require_POST
def loss_reason_create(request: HttpRequest) -> HttpResponse:
    admin_only(request)
    return _done(
        request,
        lambda: actions.create_loss_reason(
            acting_user=member(request), name=request.POST.get("name", "")
        ),
        _("Loss reason added."),
    )


@crm_view
@require_POST
def loss_reason_update(request: HttpRequest, reason_id: int) -> HttpResponse:
    """Rename (name), archive (action=archive) or restore (action=restore) a loss reason."""
    admin_only(request)
    user = member(request)
    action = request.POST.get("action") or "rename"
    if action in ("archive", "restore"):
        return _done(
            request,
            lambda: actions.archive_loss_reason(
                acting_user=user, reason=reason_id, archived=action == "archive"
            ),
            _("Loss reason archived.") if action == "archive" else _("Loss reason restored."),
        )
    return _done(
        request,
        lambda: actions.rename_loss_reason(
            acting_user=user, reason=reason_id, name=request.POST.get("name", "")
        ),
        _("Loss reason renamed."),
    )
