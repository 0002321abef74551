"""The deal pages: the kanban board, the list, the forecast, a deal's card and forms."""

from decimal import Decimal
from html import escape  # what django.utils.html.escape runs, without the SafeString
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.actions import deals as actions
from crm.custom_values import custom_form_initial, custom_values_for_display, default_currency
from crm.errors import CrmValidationError
from crm.forms_deals import DealForm, LoseForm, add_action_errors, contact_label
from crm.models import Deal, Pipeline, StageKind, Tag
from crm.selectors import deals as selectors
from crm.selectors.access import get_visible_company, get_visible_contact
from crm.selectors.compiled import CompiledQuery
from crm.views.common import all_errors, back_url, crm_view, member, querystring
from crm.views.deal_cards import BoardCardRenderer, DealRowRenderer, forecast_cells
from crm.views.timeline import timeline_context
from tenants.members.models import User


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


ACTIVE_MEMBERS = CompiledQuery(
    lambda _shape: User.objects.filter(is_active=True).order_by("full_name", "email")
)
FILTER_TAGS = CompiledQuery(lambda _shape: Tag.objects.order_by("name")[:300])


def _filter_context(request: HttpRequest, filters: selectors.DealFilter) -> dict[str, Any]:
    return {
        "filters": filters,
        "members": ACTIVE_MEMBERS(),
        "tags": FILTER_TAGS(),
        "close_month_value": filters.close_month.strftime("%Y-%m") if filters.close_month else "",
        "query": querystring(request.GET, without=("page",)),
    }


def _active_pipelines() -> list[Pipeline]:
    """The active pipelines, the main one first: one query once the main one exists."""
    pipelines = selectors.active_pipelines()
    if not pipelines:
        actions.ensure_default_pipeline()
        pipelines = selectors.active_pipelines()
    return pipelines


def _pipeline_from(request: HttpRequest, pipelines: list[Pipeline] | None = None) -> Pipeline:
    """The pipeline the request names (404 if not an active one), else the main one."""
    pipelines = pipelines if pipelines is not None else _active_pipelines()
    wanted = request.GET.get("pipeline") or request.POST.get("pipeline")
    if wanted and str(wanted).isdigit():
        found = next((p for p in pipelines if p.pk == int(wanted)), None)
        if found is None:
            raise Http404
        return found
    return pipelines[0]


def money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return "—"
    places = 0 if amount == amount.to_integral() else 2
    text = number_format(amount, decimal_pos=places, force_grouping=True)
    return f"{text} {currency}".strip()


# ---------------------------------------------------------------- board, list, forecast


@crm_view
def deal_board(request: HttpRequest) -> HttpResponse:
    user = member(request)
    pipelines = _active_pipelines()
    pipeline = _pipeline_from(request, pipelines)
    filters = selectors.DealFilter.from_params(request.GET)
    filters.pipeline = pipeline.pk
    filters.archived = False
    board = selectors.deal_board(user, pipeline, filters)
    stages = [column.stage for column in board.columns]
    cards = BoardCardRenderer(request, money)
    for column in board.columns:
        # Every card of a column offers the same "Move to" choices: build them once.
        chosen = column.stage.pk
        move_options = mark_safe(  # noqa: S308 (the names are escaped)
            "".join(
                f'<option value="{stage.pk}"{" selected" if stage.pk == chosen else ""}>'
                f"{escape(stage.name)}</option>"
                for stage in stages
            )
        )
        column.cards_html = cards.cards(column.deals, move_options)  # type: ignore[attr-defined]
    context = {
        "board": board,
        "stages": stages,
        "pipelines": pipelines,
        "pipeline": pipeline,
        **_filter_context(request, filters),
    }
    return render(request, "crm/deals/board.html", context)


def _column_totals(user: Any, pipeline: Pipeline, filters: selectors.DealFilter) -> dict[str, Any]:
    board = selectors.deal_board(user, pipeline, filters, per_column=0)
    return {
        str(column.stage.pk): {
            "count": column.count,
            "sums": " · ".join(money(total, currency) for currency, total in column.sum_list),
        }
        for column in board.columns
    }


@crm_view
@require_POST
def deal_move(request: HttpRequest, deal_id: int) -> HttpResponse:
    """Move a deal on the board: by dragging (JSON answer) or with the card's "Move to" form."""
    user = member(request)
    deal = selectors.get_visible_deal(user, deal_id)
    stage_id = request.POST.get("stage") or ""
    before = request.POST.get("before") or ""
    before_id: int | None = int(before) if before.isdigit() else None
    lost_target = deal.pipeline.stages.filter(
        pk=int(stage_id) if stage_id.isdigit() else 0, kind=StageKind.LOST
    ).first()
    if lost_target is not None and lost_target.pk != deal.stage_id:
        lose_url = reverse("crm_deal_lose", args=[deal.pk]) + f"?stage={lost_target.pk}"
        if _wants_json(request):
            return JsonResponse(
                {"ok": False, "error": _("Say why the deal was lost."), "redirect": lose_url},
                status=409,
            )
        return redirect(lose_url)
    try:
        actions.move_deal(
            acting_user=user,
            deal=deal.pk,
            stage=int(stage_id) if stage_id.isdigit() else 0,
            before_deal=before_id,
        )
    except CrmValidationError as error:
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": all_errors(error)}, status=422)
        messages.error(request, all_errors(error))
        return redirect(back_url(request, "crm_deal_board"))
    if _wants_json(request):
        # The board's own filters come along (manager, tag, month); not the move's fields.
        params = request.POST.copy()
        for name in ("stage", "before", "status", "pipeline", "archived"):
            params.pop(name, None)
        filters = selectors.DealFilter.from_params(params)
        filters.pipeline = deal.pipeline_id
        filters.archived = False
        return JsonResponse({"ok": True, "columns": _column_totals(user, deal.pipeline, filters)})
    messages.success(request, _("Deal moved."))
    return redirect(back_url(request, "crm_deal_board") + f"#deal-{deal.pk}")


@crm_view
def deal_list(request: HttpRequest) -> HttpResponse:
    user = member(request)
    pipelines = _active_pipelines()
    filters = selectors.DealFilter.from_params(request.GET)
    sort = request.GET.get("sort") or "-created"
    if sort not in selectors.LIST_SORTS:
        sort = "-created"
    paginator = Paginator(selectors.deals_for_list(user, filters, sort), selectors.LIST_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    stages = []
    if filters.pipeline:
        stages = selectors.pipeline_stages(filters.pipeline)
    deals = list(page.object_list)
    context = {
        "page": page,
        "deals": deals,
        # The rows in Python (crm.views.deal_cards): as template markup they were most of
        # the page's time.
        "deal_rows": DealRowRenderer(money).rows(deals),
        "sort": sort,
        "pipelines": pipelines,
        "stages": stages,
        "statuses": Deal._meta.get_field("status").choices,
        "sort_query": querystring(request.GET, without=("page", "sort")),
        **_filter_context(request, filters),
    }
    return render(request, "crm/deals/list.html", context)


@crm_view
def deal_forecast(request: HttpRequest) -> HttpResponse:
    user = member(request)
    pipelines = _active_pipelines()
    pipeline = request.GET.get("pipeline")
    forecast = selectors.deal_forecast(
        user, pipeline=int(pipeline) if pipeline and pipeline.isdigit() else None
    )
    cells = forecast_cells(forecast, money)
    for index, row in enumerate(forecast.rows, start=1):
        row.cells_html = cells[index]  # type: ignore[attr-defined]
    return render(
        request,
        "crm/deals/forecast.html",
        {
            "forecast": forecast,
            "total_cells": cells[0],
            "pipelines": pipelines,
            "pipeline_id": int(pipeline) if pipeline and pipeline.isdigit() else None,
        },
    )


# ---------------------------------------------------------------- the card


@crm_view
def deal_detail(request: HttpRequest, deal_id: int) -> HttpResponse:
    user = member(request)
    card = selectors.deal_card(user, deal_id)
    deal = card.deal
    current = next((i for i, s in enumerate(card.stages) if s.pk == deal.stage_id), -1)
    return render(
        request,
        "crm/deals/card.html",
        {
            "card": card,
            "deal": deal,
            "record": deal,
            "history": card.history,
            "current_index": current,
            "open_stages": [s for s in card.stages if s.kind == StageKind.OPEN],
            "custom_values": custom_values_for_display("deal", deal.custom),
            "lose_form": LoseForm(),
            "amount_text": money(deal.amount, deal.currency),
            **timeline_context(request, "deal", deal),
        },
    )


# ---------------------------------------------------------------- forms


def _deal_initial(deal: Deal) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "title": deal.title,
        "contact": contact_label(deal.contact) if deal.contact_id else "",
        "company": deal.company.name if deal.company_id and deal.company else "",
        "amount": deal.amount,
        "currency": deal.currency or default_currency(),
        "expected_close_date": deal.expected_close_date,
        "stage": deal.stage_id,
        "responsible": deal.responsible_id,
        "tags": ", ".join(tag.name for tag in deal.tags.all()),
        "loss_reason": deal.loss_reason_id,
    }
    initial.update(custom_form_initial("deal", deal.custom))
    return initial


def _new_deal_initial(request: HttpRequest) -> dict[str, Any]:
    user = member(request)
    pipeline = _pipeline_from(request)
    first_open = (
        pipeline.stages.filter(archived_at__isnull=True, kind=StageKind.OPEN)
        .order_by("position", "id")
        .first()
    )
    initial: dict[str, Any] = {
        "currency": default_currency(),
        "responsible": user.pk,
        "stage": first_open.pk if first_open else None,
    }
    contact_id = request.GET.get("contact") or ""
    if contact_id.isdigit():
        contact = get_visible_contact(user, int(contact_id))
        initial["contact"] = contact_label(contact)
        initial["title"] = contact.display_name
    company_id = request.GET.get("company") or ""
    if company_id.isdigit():
        company = get_visible_company(user, int(company_id))
        initial["company"] = company.name
        initial["title"] = company.name
    return initial


def _form_page(request: HttpRequest, deal: Deal | None) -> HttpResponse:
    user = member(request)
    initial = _deal_initial(deal) if deal is not None else _new_deal_initial(request)
    form = DealForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.action_data()
        try:
            if deal is None:
                saved = actions.create_deal(acting_user=user, data=data)
                messages.success(request, _("Deal created."))
            else:
                saved = actions.update_deal(acting_user=user, deal=deal.pk, changes=data)
                messages.success(request, _("Changes saved."))
        except CrmValidationError as error:
            add_action_errors(form, error.field_errors)
        else:
            return redirect("crm_deal_detail", saved.pk)
    return render(request, "crm/deals/form.html", {"form": form, "deal": deal})


@crm_view
def deal_create(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@crm_view
def deal_edit(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = selectors.get_visible_deal(member(request), deal_id)
    return _form_page(request, deal)


# ---------------------------------------------------------------- closing and archiving


@crm_view
@require_POST
def deal_win(request: HttpRequest, deal_id: int) -> HttpResponse:
    try:
        actions.win_deal(acting_user=member(request), deal=deal_id)
    except CrmValidationError as error:
        messages.error(request, all_errors(error))
    else:
        messages.success(request, _("The deal is won."))
    return redirect(back_url(request, "crm_deal_detail", deal_id))


@crm_view
def deal_lose(request: HttpRequest, deal_id: int) -> HttpResponse:
    user = member(request)
    deal = selectors.get_visible_deal(user, deal_id)
    form = LoseForm(request.POST or None)
    stage = request.POST.get("stage") or request.GET.get("stage") or ""
    if request.method == "POST" and form.is_valid():
        try:
            actions.lose_deal(
                acting_user=user,
                deal=deal.pk,
                loss_reason=form.cleaned_data["loss_reason"],
                loss_comment=form.cleaned_data.get("loss_comment") or "",
                stage=int(stage) if stage.isdigit() else None,
            )
        except CrmValidationError as error:
            add_action_errors(form, error.field_errors)
        else:
            messages.success(request, _("The deal is marked lost."))
            return redirect("crm_deal_detail", deal.pk)
    return render(request, "crm/deals/lose.html", {"form": form, "deal": deal, "stage": stage})


@crm_view
@require_POST
def deal_reopen(request: HttpRequest, deal_id: int) -> HttpResponse:
    stage = request.POST.get("stage") or ""
    try:
        actions.reopen_deal(
            acting_user=member(request),
            deal=deal_id,
            stage=int(stage) if stage.isdigit() else None,
        )
    except CrmValidationError as error:
        messages.error(request, all_errors(error))
    else:
        messages.success(request, _("The deal is back in work."))
    return redirect("crm_deal_detail", deal_id)


@crm_view
@require_POST
def deal_archive(request: HttpRequest, deal_id: int) -> HttpResponse:
    actions.archive_deal(acting_user=member(request), deal=deal_id)
    messages.success(
        request,
        _("Deal archived."),
        extra_tags="undo:" + reverse("crm_deal_restore", args=[deal_id]),
    )
    return redirect("crm_deal_detail", deal_id)


@crm_view
@require_POST
def deal_restore(request: HttpRequest, deal_id: int) -> HttpResponse:
    actions.restore_deal(acting_user=member(request), deal=deal_id)
    messages.success(request, _("Deal restored."))
    return redirect("crm_deal_detail", deal_id)
