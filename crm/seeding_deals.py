# ruff: noqa: RUF001 (Cyrillic titles are the data; random is for fake data, not secrets)
"""The "deals" seed step: `seed_crm --deals N` (crm.seeding's SEED_STEPS).

Deals go in with COPY, ids taken up front, spread over the workspace's pipelines (the
default "Sales" pipeline is made first if the workspace has none): realistic titles and
amounts, stages weighted towards the start of the funnel, won and lost deals with loss
reasons, expected close dates around today, the responsible managers of the workspace,
and every deal's path of stage changes with the time spent in each stage, as
crm.actions.deals would have recorded it. Fills `context.deal_ids` for the steps after it.
"""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from crm import normalize
from crm.custom_values import default_currency
from crm.models import ChangeVia, Deal, LossReason, Pipeline, RecordType, Stage, StageKind
from crm.seeding import SEED_STEPS, SeedContext, SeedStep, _jsonb, copy_rows, next_ids

PRODUCTS = [
    "Поставка оборудования",
    "Лицензии CRM",
    "Обслуживание кондиционеров",
    "Разработка сайта",
    "Аренда спецтехники",
    "Поставка стройматериалов",
    "Бухгалтерское сопровождение",
    "Монтаж видеонаблюдения",
    "Корпоративное обучение",
    "Доставка грузов",
    "Ремонт офиса",
    "Рекламная кампания",
    "Поставка кофе для офиса",
    "Аудит безопасности",
    "Постачання обладнання",
    "Супровід 1С",
]
DETAILS = ["", " (продление)", " — 2-й этап", " на год", " для филиала", " (срочно)", " — пилот"]
AMOUNT_STEPS = [5_000, 12_000, 25_000, 40_000, 75_000, 120_000, 250_000, 500_000, 1_200_000]
LOSS_COMMENTS = [
    "",
    "",
    "Ушли к конкуренту со скидкой",
    "Заморозили бюджет до весны",
    "Не дозвонились",
]


def _pipelines() -> list[tuple[Pipeline, list[Stage]]]:
    from crm.actions.deals import ensure_default_pipeline

    ensure_default_pipeline()
    result = []
    for pipeline in Pipeline.objects.filter(archived_at__isnull=True).order_by("position", "id"):
        stages = list(pipeline.stages.filter(archived_at__isnull=True).order_by("position", "id"))
        if (
            any(s.kind == StageKind.OPEN for s in stages)
            and any(s.kind == StageKind.WON for s in stages)
            and any(s.kind == StageKind.LOST for s in stages)
        ):
            result.append((pipeline, stages))
    return result


def seed_deals(context: SeedContext, count: int) -> None:
    """Add `count` deals (with their stage changes and a creation history record)."""
    rng = context.random
    pipelines = _pipelines()
    reasons = list(LossReason.objects.filter(archived_at__isnull=True).values_list("pk", flat=True))
    currency = default_currency()
    ids = next_ids(Deal, count)
    positions: dict[int, int] = {}
    deals: list[tuple[Any, ...]] = []
    changes: list[tuple[Any, ...]] = []
    history: list[tuple[Any, ...]] = []
    today = context.now.date()
    for number, deal_id in enumerate(ids):
        # The main pipeline gets most deals.
        pipeline, stages = pipelines[0] if rng.random() < 0.85 else rng.choice(pipelines)
        open_stages = [s for s in stages if s.kind == StageKind.OPEN]
        won = next(s for s in stages if s.kind == StageKind.WON)
        lost = next(s for s in stages if s.kind == StageKind.LOST)
        roll = rng.random()
        if roll < 0.18:
            outcome = StageKind.WON
        elif roll < 0.36:
            outcome = StageKind.LOST
        else:
            outcome = StageKind.OPEN
        # Funnel shape: earlier stages hold more deals.
        depth = min(int(rng.expovariate(0.9)), len(open_stages) - 1)
        if outcome == StageKind.WON:
            path = [*open_stages[: rng.randint(1, len(open_stages))], won]
        elif outcome == StageKind.LOST:
            path = [*open_stages[: depth + 1], lost]
        else:
            path = open_stages[: depth + 1]
        created = context.past(540)
        moments = [created]
        for _stage in path[1:]:
            step = dt.timedelta(seconds=rng.randint(3600, 30 * 86400))
            moments.append(min(moments[-1] + step, context.now))
        stage = path[-1]
        entered = moments[-1]
        closed_at = entered if outcome != StageKind.OPEN else None
        if outcome == StageKind.OPEN:
            close_date = today + dt.timedelta(days=rng.randint(-20, 200))
        else:
            close_date = entered.date()
        amount = Decimal(rng.choice(AMOUNT_STEPS) * rng.randint(1, 9)) / Decimal(2)
        title = f"{rng.choice(PRODUCTS)}{rng.choice(DETAILS)}"
        manager = rng.choice(context.manager_ids)
        contact = (
            rng.choice(context.contact_ids) if context.contact_ids and rng.random() < 0.8 else None
        )
        company = (
            rng.choice(context.company_ids) if context.company_ids and rng.random() < 0.5 else None
        )
        reason = rng.choice(reasons) if outcome == StageKind.LOST and reasons else None
        position = positions.get(stage.pk, 0) + 1024
        positions[stage.pk] = position
        deals.append(
            (
                deal_id,
                title,
                contact,
                company,
                amount if rng.random() < 0.95 else None,
                currency,
                close_date if rng.random() < 0.9 else None,
                pipeline.pk,
                stage.pk,
                outcome,
                reason,
                rng.choice(LOSS_COMMENTS) if reason else "",
                closed_at,
                entered,
                position,
                manager,
                _jsonb({}),
                None,
                created,
                entered,
                manager,
                normalize.search_text(title),
                path[-2].pk if outcome == StageKind.LOST and len(path) > 1 else None,
            )
        )
        previous = None
        for index, (visited, at) in enumerate(zip(path, moments, strict=True)):
            seconds = int((at - moments[index - 1]).total_seconds()) if index else None
            changes.append(
                (deal_id, previous.pk if previous else None, visited.pk, at, seconds, manager)
            )
            previous = visited
        history.append(
            (
                RecordType.DEAL,
                deal_id,
                "record",
                None,
                _jsonb(title),
                manager,
                "",
                ChangeVia.IMPORT,
                str(uuid.UUID(int=rng.getrandbits(128))),
                created,
            )
        )
        if number % 10_000 == 9_999:
            _flush(deals, changes, history)
    _flush(deals, changes, history)
    # COPY bypasses the actions: rebuild the board's and forecast's totals once at the end.
    from crm.actions.deal_totals import refresh_deal_totals

    refresh_deal_totals(None)
    context.deal_ids = [*context.deal_ids, *ids]
    context.count("deals", count)


def _flush(
    deals: list[tuple[Any, ...]], changes: list[tuple[Any, ...]], history: list[tuple[Any, ...]]
) -> None:
    from crm.seeding import _copy_history

    copy_rows(
        "crm_deal",
        [
            "id",
            "title",
            "contact_id",
            "company_id",
            "amount",
            "currency",
            "expected_close_date",
            "pipeline_id",
            "stage_id",
            "status",
            "loss_reason_id",
            "loss_comment",
            "closed_at",
            "stage_entered_at",
            "board_position",
            "responsible_id",
            "custom",
            "archived_at",
            "created_at",
            "updated_at",
            "created_by_id",
            "name_search",
            "lost_from_stage_id",
        ],
        deals,
    )
    copy_rows(
        "crm_dealstagechange",
        ["deal_id", "from_stage_id", "to_stage_id", "at", "seconds_in_previous", "actor_id"],
        changes,
    )
    _copy_history(history)
    deals.clear()
    changes.clear()
    history.clear()


SEED_STEPS.append(
    SeedStep(
        name="deals",
        run=seed_deals,
        help="Add N deals over the workspace's pipelines, with their stage changes.",
        tables=("crm_deal", "crm_dealstagechange", "crm_dealtotal"),
    )
)
