"""seed_crm --deals: deals the product's own rules would have made, with their stage paths."""

import pytest
from django.db.models import Count

from crm import seeding
from crm.models import Deal, DealStageChange, StageKind
from crm.selectors import deals as selectors

pytestmark = pytest.mark.django_db


def test_seed_deals_makes_consistent_deals_with_stage_changes(in_workspace, owner, member):
    made = seeding.seed_workspace(contacts=30, companies=5, seed=3, more={"deals": 60})

    assert made["deals"] == 60
    deals = list(Deal.objects.select_related("stage"))
    assert len(deals) == 60
    assert {deal.responsible_id for deal in deals} <= {owner.pk, member.pk}
    for deal in deals:
        assert deal.status == deal.stage.kind
        assert deal.pipeline_id == deal.stage.pipeline_id
        assert deal.currency == "RUB"
        if deal.status == StageKind.LOST:
            assert deal.loss_reason_id is not None
            assert deal.lost_from_stage_id is not None
        if deal.status == StageKind.OPEN:
            assert deal.closed_at is None
    changes = dict(
        DealStageChange.objects.values("deal_id")
        .annotate(n=Count("id"))
        .values_list("deal_id", "n")
    )
    assert set(changes) == {deal.pk for deal in deals}
    last = {change.deal_id: change for change in DealStageChange.objects.order_by("at", "id")}
    for deal in deals:
        assert last[deal.pk].to_stage_id == deal.stage_id
        assert last[deal.pk].at == deal.stage_entered_at
    board = selectors.deal_board(owner, deals[0].pipeline, selectors.DealFilter())
    assert (
        sum(column.count for column in board.columns)
        == Deal.objects.filter(pipeline=deals[0].pipeline).count()
    )


def test_seed_deals_runs_before_later_steps():
    names = [step.name for step in seeding.SEED_STEPS]
    assert names[0] == "deals"
