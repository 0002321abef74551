"""The board's and forecast's stored totals (DealTotal) stay what the deals add up to.

Each test works deals through the real actions, then compares the totals read from
DealTotal with the same totals aggregated from the deals themselves, for the board
(all, by manager, by close month) and the forecast.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Count, Sum

from crm.actions import deals as actions
from crm.actions.deal_totals import refresh_deal_totals
from crm.models import Deal, DealTotal, LossReason, Stage
from crm.selectors import deals as selectors

pytestmark = pytest.mark.django_db


def _stages() -> dict[str, Stage]:
    pipeline = actions.ensure_default_pipeline()
    return {stage.name: stage for stage in pipeline.stages.order_by("position")}


def _deal(user: Any, **data: Any) -> Deal:
    data.setdefault("title", "Поставка")
    return actions.create_deal(acting_user=user, data=data)


def _live(**filters: Any) -> set[tuple[Any, ...]]:
    """(stage, currency, count, sum) aggregated from the unarchived deals."""
    rows = (
        Deal.objects.filter(archived_at__isnull=True, **filters)
        .order_by()
        .values("stage_id", "currency")
        .annotate(number=Count("*"), total=Sum("amount"))
    )
    return {(r["stage_id"], r["currency"], r["number"], r["total"]) for r in rows}


def _stored(user: Any, filters: selectors.DealFilter) -> set[tuple[Any, ...]]:
    pipeline = actions.ensure_default_pipeline()
    assert selectors.totals_answer(filters, sees_all=True)
    rows = selectors.column_totals(user, pipeline, filters, sees_all=True)
    return {(r["stage_id"], r["currency"], r["number"], r["total"]) for r in rows}


def _assert_totals_match(owner: Any) -> None:
    assert _stored(owner, selectors.DealFilter()) == _live()
    for manager in Deal.objects.values_list("responsible_id", flat=True).distinct():
        stored = _stored(owner, selectors.DealFilter(responsible=manager))
        assert stored == _live(responsible_id=manager)
    month = dt.date(2026, 12, 1)
    assert _stored(owner, selectors.DealFilter(close_month=month)) == _live(
        expected_close_date__gte=month, expected_close_date__lt=dt.date(2027, 1, 1)
    )


def test_totals_follow_creates_moves_edits_closing_and_archiving(owner, member):
    stages = _stages()
    reason = LossReason.objects.first()
    first = _deal(owner, amount=100, expected_close_date="2026-12-10")
    second = _deal(owner, amount=50, currency="USD", stage=stages["Proposal"].pk)
    third = _deal(member, expected_close_date="2026-12-31")  # no amount
    _assert_totals_match(owner)

    actions.move_deal(acting_user=owner, deal=first.pk, stage=stages["Negotiation"].pk)
    actions.update_deal(
        acting_user=owner,
        deal=second.pk,
        changes={"amount": "75", "responsible": member.pk, "expected_close_date": "2026-12-01"},
    )
    actions.update_deal(acting_user=owner, deal=third.pk, changes={"amount": "10"})
    _assert_totals_match(owner)

    actions.win_deal(acting_user=owner, deal=first.pk)
    actions.lose_deal(acting_user=owner, deal=second.pk, loss_reason=reason)
    _assert_totals_match(owner)

    actions.reopen_deal(acting_user=owner, deal=second.pk)
    actions.archive_deal(acting_user=owner, deal=third.pk)
    _assert_totals_match(owner)
    assert not DealTotal.objects.filter(deals=0).exists()

    actions.restore_deal(acting_user=owner, deal=third.pk)
    _assert_totals_match(owner)


def test_totals_follow_stage_kind_changes_and_archived_stages(owner):
    stages = _stages()
    _deal(owner, amount=100, stage=stages["Qualification"].pk)
    _deal(owner, amount=30, stage=stages["Qualification"].pk)

    actions.archive_stage(
        acting_user=owner, stage=stages["Qualification"].pk, move_deals_to=stages["New"].pk
    )
    _assert_totals_match(owner)
    actions.update_stage(acting_user=owner, stage=stages["New"].pk, kind="won")
    _assert_totals_match(owner)
    assert set(DealTotal.objects.values_list("status", flat=True)) == {"won"}


def test_board_sums_come_from_the_stored_totals_and_match_the_deals(owner):
    stages = _stages()
    _deal(owner, amount=100)
    _deal(owner, amount=50)
    # A stored row the deals do not back shows that the board reads the stored rows.
    DealTotal.objects.filter(stage=stages["New"]).update(deals=7)

    board = selectors.deal_board(owner, actions.ensure_default_pipeline(), selectors.DealFilter())
    assert board.columns[0].count == 7

    refresh_deal_totals(None)
    board = selectors.deal_board(owner, actions.ensure_default_pipeline(), selectors.DealFilter())
    assert board.columns[0].count == 2
    assert board.columns[0].sums == {"RUB": Decimal("150")}


def test_a_member_who_sees_only_own_clients_gets_totals_of_their_own_deals(owner, member, only_own):
    _deal(owner, amount=100)
    _deal(member, amount=7)
    pipeline = actions.ensure_default_pipeline()

    for_member = selectors.deal_board(member, pipeline, selectors.DealFilter())
    for_owner = selectors.deal_board(owner, pipeline, selectors.DealFilter())

    assert (for_member.columns[0].count, for_member.columns[0].sums) == (
        1,
        {"RUB": Decimal("7")},
    )
    assert (for_owner.columns[0].count, for_owner.columns[0].sums) == (
        2,
        {"RUB": Decimal("107")},
    )
    forecast = selectors.deal_forecast(member)
    assert all(row.manager_id == member.pk for row in forecast.rows)


def test_forecast_from_stored_totals_weights_each_stage_by_its_probability(owner, member):
    stages = _stages()
    today = dt.date(2026, 11, 15)
    _deal(owner, amount="100.05", expected_close_date="2026-11-20", stage=stages["Proposal"].pk)
    _deal(owner, amount="33.33", expected_close_date="2026-11-02", stage=stages["New"].pk)
    _deal(member, amount=7, currency="USD", expected_close_date="2027-01-31")
    _deal(member, expected_close_date="2027-02-01")  # counted, no amount
    _deal(member, amount=1000, expected_close_date="2027-06-01")  # after the six months

    forecast = selectors.deal_forecast(owner, today=today)

    # 100.05 * 50% + 33.33 * 10% = 53.358
    assert forecast.total.cell(dt.date(2026, 11, 1)) == [
        ("RUB", Decimal("53.36"), Decimal("133.38"), 2)
    ]
    assert forecast.total.cell(dt.date(2027, 1, 1)) == [("USD", Decimal("0.70"), Decimal("7"), 1)]
    assert forecast.total.cell(dt.date(2027, 2, 1)) == [("RUB", Decimal("0"), Decimal("0"), 1)]
    by_manager = {row.manager_id: row for row in forecast.rows}
    assert set(by_manager) == {owner.pk, member.pk}
    assert by_manager[member.pk].cell(dt.date(2026, 11, 1)) == []


def test_probability_changes_show_in_the_forecast_without_a_refresh(owner):
    stages = _stages()
    _deal(owner, amount=200, expected_close_date="2026-11-20", stage=stages["Proposal"].pk)
    actions.update_stage(acting_user=owner, stage=stages["Proposal"].pk, probability=20)

    forecast = selectors.deal_forecast(owner, today=dt.date(2026, 11, 15))

    assert forecast.total.cell(dt.date(2026, 11, 1)) == [
        ("RUB", Decimal("40.00"), Decimal("200"), 1)
    ]
