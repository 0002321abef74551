"""Deals: stages, probability, forecast sums, won/lost, stage history, access, fields."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from crm.actions import custom_fields as field_actions
from crm.actions import deals as actions
from crm.errors import CrmNotFoundError, CrmValidationError, ErrorCode
from crm.models import ChangeRecord, Deal, DealStageChange, LossReason, RecordType, Stage
from crm.selectors import deals as selectors

pytestmark = pytest.mark.django_db


def _stages() -> dict[str, Stage]:
    pipeline = actions.ensure_default_pipeline()
    return {stage.name: stage for stage in pipeline.stages.order_by("position")}


def _deal(user, **data):  # type: ignore[no-untyped-def]
    data.setdefault("title", "Поставка")
    return actions.create_deal(acting_user=user, data=data)


def test_default_pipeline_is_made_once_in_the_workspace_language(owner):
    connection.tenant.default_language = "ru"
    first = actions.ensure_default_pipeline()
    again = actions.ensure_default_pipeline()

    assert first.pk == again.pk
    assert first.name == "Продажи"
    names = [(s.name, s.probability, s.kind) for s in first.stages.order_by("position")]
    assert names == [
        ("Новая", 10, "open"),
        ("Квалификация", 25, "open"),
        ("Предложение", 50, "open"),
        ("Переговоры", 75, "open"),
        ("Выиграна", 100, "won"),
        ("Проиграна", 0, "lost"),
    ]
    assert LossReason.objects.filter(name="Дорого").exists()


def test_new_deal_starts_in_the_first_open_stage_with_the_country_currency(owner):
    deal = _deal(owner, amount="150 000,50")

    assert deal.stage.name == "New"
    assert deal.status == "open"
    assert deal.currency == "RUB"
    assert deal.amount == Decimal("150000.50")
    assert deal.responsible_id == owner.pk
    change = DealStageChange.objects.get(deal=deal)
    assert change.from_stage_id is None
    assert change.seconds_in_previous is None


def test_bad_amount_and_currency_are_refused_with_messages(owner):
    with pytest.raises(CrmValidationError) as error:
        _deal(owner, amount="много", currency="XYZ")
    assert set(error.value.field_errors) == {"amount", "currency"}
    assert Deal.objects.count() == 0


def test_move_records_the_stage_change_with_time_in_previous_stage(owner):
    stages = _stages()
    deal = _deal(owner)
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=timezone.now() - dt.timedelta(hours=5))

    actions.move_deal(acting_user=owner, deal=deal.pk, stage=stages["Proposal"].pk)

    change = DealStageChange.objects.filter(deal=deal).order_by("-id").first()
    assert change is not None
    assert change.from_stage_id == stages["New"].pk
    assert change.to_stage_id == stages["Proposal"].pk
    assert 5 * 3600 - 5 <= change.seconds_in_previous <= 5 * 3600 + 60
    history = ChangeRecord.objects.filter(record_type=RecordType.DEAL, record_id=deal.pk)
    assert history.filter(field="stage", new=stages["Proposal"].pk).exists()


def test_moving_into_a_won_stage_wins_the_deal(owner):
    stages = _stages()
    deal = _deal(owner)

    moved = actions.move_deal(acting_user=owner, deal=deal.pk, stage=stages["Won"].pk)

    assert moved.status == "won"
    assert moved.closed_at is not None


def test_lost_needs_a_reason(owner):
    stages = _stages()
    deal = _deal(owner)

    with pytest.raises(CrmValidationError) as error:
        actions.lose_deal(acting_user=owner, deal=deal.pk, loss_reason=None)
    assert error.value.code == ErrorCode.REQUIRED
    with pytest.raises(CrmValidationError):
        actions.move_deal(acting_user=owner, deal=deal.pk, stage=stages["Lost"].pk)
    deal.refresh_from_db()
    assert deal.status == "open"

    reason = LossReason.objects.get(name="Too expensive")
    lost = actions.lose_deal(
        acting_user=owner, deal=deal.pk, loss_reason=reason.pk, loss_comment="Нашли дешевле"
    )
    assert (lost.status, lost.loss_reason_id, lost.loss_comment) == (
        "lost",
        reason.pk,
        "Нашли дешевле",
    )
    assert lost.stage_id == stages["Lost"].pk


def test_reopen_returns_to_the_stage_the_deal_was_lost_from(owner):
    stages = _stages()
    deal = _deal(owner)
    actions.move_deal(acting_user=owner, deal=deal.pk, stage=stages["Negotiation"].pk)
    actions.lose_deal(acting_user=owner, deal=deal.pk, loss_reason=LossReason.objects.first())

    reopened = actions.reopen_deal(acting_user=owner, deal=deal.pk)

    assert reopened.stage_id == stages["Negotiation"].pk
    assert reopened.status == "open"
    assert reopened.loss_reason_id is None
    assert reopened.closed_at is None


def test_forecast_weights_open_deals_by_stage_probability(owner, member):
    stages = _stages()
    today = dt.date(2026, 11, 15)
    december = dt.date(2026, 12, 10)
    _deal(owner, amount="100000", expected_close_date="2026-11-20", stage=stages["New"].pk)
    _deal(owner, amount="200000", expected_close_date="2026-11-30", stage=stages["Negotiation"].pk)
    _deal(member, amount="40000", expected_close_date=december, stage=stages["Proposal"].pk)
    _deal(
        owner,
        amount="999",
        currency="USD",
        expected_close_date=december,
        stage=stages["Qualification"].pk,
    )
    # Not in the forecast: won, no close date, beyond the horizon, archived.
    _deal(owner, amount="5000", expected_close_date="2026-11-20", stage=stages["Won"].pk)
    _deal(owner, amount="5000", stage=stages["New"].pk)
    _deal(owner, amount="5000", expected_close_date="2027-09-01", stage=stages["New"].pk)
    archived = _deal(owner, amount="5000", expected_close_date="2026-11-20")
    actions.archive_deal(acting_user=owner, deal=archived.pk)

    forecast = selectors.deal_forecast(owner, today=today)

    november = dt.date(2026, 11, 1)
    assert forecast.months[0] == november
    assert len(forecast.months) == 6
    assert forecast.total.cell(november) == [
        ("RUB", Decimal("160000.00"), Decimal("200000") + Decimal("100000"), 2)
    ]
    assert forecast.total.cell(dt.date(2026, 12, 1)) == [
        ("RUB", Decimal("20000.00"), Decimal("40000"), 1),
        ("USD", Decimal("249.75"), Decimal("999"), 1),
    ]
    by_manager = {row.manager_id: row for row in forecast.rows}
    assert by_manager[member.pk].cell(dt.date(2026, 12, 1)) == [
        ("RUB", Decimal("20000.00"), Decimal("40000"), 1)
    ]
    assert by_manager[owner.pk].cell(november)[0][1] == Decimal("160000.00")


def test_forecast_counts_losses_per_stage_and_reason(owner):
    stages = _stages()
    expensive = LossReason.objects.get(name="Too expensive")
    competitor = LossReason.objects.get(name="Chose a competitor")
    for stage, reason in [
        ("Proposal", expensive),
        ("Proposal", expensive),
        ("Proposal", competitor),
        ("Negotiation", competitor),
    ]:
        deal = _deal(owner)
        actions.move_deal(acting_user=owner, deal=deal.pk, stage=stages[stage].pk)
        actions.lose_deal(acting_user=owner, deal=deal.pk, loss_reason=reason)

    losses = selectors.deal_forecast(owner).losses

    assert [(row.stage_name, row.count, row.reasons) for row in losses] == [
        ("Proposal", 3, [("Too expensive", 2), ("Chose a competitor", 1)]),
        ("Negotiation", 1, [("Chose a competitor", 1)]),
    ]


def test_members_who_see_only_their_own_see_only_their_deals(owner, member, member2, only_own):
    own = _deal(member, title="Моя")
    other = _deal(member2, title="Чужая")

    assert list(selectors.visible_deals(member)) == [own]
    assert set(selectors.visible_deals(owner)) == {own, other}
    with pytest.raises(CrmNotFoundError):
        actions.update_deal(acting_user=member, deal=other.pk, changes={"title": "x"})
    with pytest.raises(CrmNotFoundError):
        selectors.deal_card(member, other.pk)
    board = selectors.deal_board(member, actions.ensure_default_pipeline(), selectors.DealFilter())
    assert sum(column.count for column in board.columns) == 1


def test_a_member_cannot_link_a_deal_to_a_client_they_cannot_see(
    owner, member, only_own, make_contact
):
    hidden = make_contact(owner, first_name="Скрытый")
    with pytest.raises(CrmValidationError) as error:
        _deal(member, contact=hidden.pk)
    assert "contact" in error.value.field_errors


def test_required_standard_and_custom_fields_hold_for_deals(owner):
    field_actions.set_required_standard_fields(
        acting_user=owner, entity="deal", fields=["amount", "expected_close_date"]
    )
    field_actions.create_custom_field(
        acting_user=owner,
        entity="deal",
        field_type="text",
        labels={"ru": "Канал", "en": "Channel"},
        key="kanal",
        required=True,
    )
    with pytest.raises(CrmValidationError) as error:
        _deal(owner)
    assert error.value.code == ErrorCode.REQUIRED
    assert {"amount", "expected_close_date", "custom.kanal"} <= set(error.value.field_errors)

    deal = _deal(owner, amount=10, expected_close_date="2026-12-01", custom={"kanal": "сайт"})
    assert deal.custom == {"kanal": "сайт"}


def test_only_admins_shape_pipelines(owner, member):
    pipeline = actions.ensure_default_pipeline()
    with pytest.raises(PermissionDenied):
        actions.create_stage(acting_user=member, pipeline=pipeline, name="X", probability=5)
    actions.create_stage(acting_user=owner, pipeline=pipeline, name="Демо", probability=60)
    names = [s.name for s in pipeline.stages.order_by("position")]
    assert names.index("Демо") == names.index("Negotiation") + 1


def test_a_stage_with_deals_is_archived_only_by_moving_them(owner):
    stages = _stages()
    deal = _deal(owner, stage=stages["Qualification"].pk)

    with pytest.raises(CrmValidationError):
        actions.archive_stage(acting_user=owner, stage=stages["Qualification"].pk)
    actions.archive_stage(
        acting_user=owner, stage=stages["Qualification"].pk, move_deals_to=stages["Proposal"].pk
    )

    deal.refresh_from_db()
    assert deal.stage_id == stages["Proposal"].pk
    assert Stage.objects.get(pk=stages["Qualification"].pk).archived_at is not None


def test_the_last_won_stage_cannot_be_archived(owner):
    stages = _stages()
    with pytest.raises(CrmValidationError):
        actions.archive_stage(acting_user=owner, stage=stages["Won"].pk)
    assert Stage.objects.get(pk=stages["Won"].pk).archived_at is None


def test_board_positions_order_moves_within_a_column(owner):
    stages = _stages()
    first = _deal(owner, title="A")
    second = _deal(owner, title="B")
    third = _deal(owner, title="C")
    # New deals go on top: C, B, A.
    column = lambda: [  # noqa: E731
        d.title for d in Deal.objects.filter(stage=stages["New"]).order_by("board_position", "id")
    ]
    assert column() == ["C", "B", "A"]

    actions.move_deal(
        acting_user=owner, deal=first.pk, stage=stages["New"].pk, before_deal=third.pk
    )
    assert column() == ["A", "C", "B"]
    actions.move_deal(acting_user=owner, deal=first.pk, stage=stages["New"].pk, before_deal=None)
    assert column() == ["C", "B", "A"]
    actions.move_deal(
        acting_user=owner, deal=second.pk, stage=stages["New"].pk, before_deal=third.pk
    )
    assert column() == ["B", "C", "A"]


def test_board_counts_and_sums_per_currency(owner):
    stages = _stages()
    _deal(owner, amount=100, stage=stages["New"].pk)
    _deal(owner, amount=50, stage=stages["New"].pk)
    _deal(owner, amount=7, currency="USD", stage=stages["New"].pk)

    board = selectors.deal_board(owner, actions.ensure_default_pipeline(), selectors.DealFilter())

    column = board.columns[0]
    assert column.count == 3
    assert column.sums == {"RUB": Decimal("150"), "USD": Decimal("7")}


def test_deal_history_records_changes(owner):
    deal = _deal(owner, amount=100)
    actions.update_deal(acting_user=owner, deal=deal.pk, changes={"amount": "250"})

    entries = selectors.deal_history(deal)
    amount = next(entry for entry in entries if entry.field == "amount" and entry.old)
    assert (amount.old, amount.new) == ("100.00", "250.00")
