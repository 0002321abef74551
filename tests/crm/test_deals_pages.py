"""The deal pages: board, list, forecast, card, forms, settings; and their query counts."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.actions import custom_fields as field_actions
from crm.actions import deals as actions
from crm.models import Deal, LossReason, Stage
from crm.selectors import deals as selectors
from tests.crm.views_helpers import browser_for, text_of

pytestmark = pytest.mark.django_db


def _stages() -> dict[str, Stage]:
    pipeline = actions.ensure_default_pipeline()
    return {stage.name: stage for stage in pipeline.stages.all()}


def _deal(user, **data):  # type: ignore[no-untyped-def]
    data.setdefault("title", "Deal")
    return actions.create_deal(acting_user=user, data=data)


def test_board_shows_columns_with_count_and_sum_and_a_move_control(in_workspace, owner):
    stages = _stages()
    _deal(owner, title="Окна", amount="120000", stage=stages["Proposal"].pk)
    _deal(owner, title="Двери", amount="30000", stage=stages["Proposal"].pk)

    response = browser_for(in_workspace, owner).get("/deals/")

    page = text_of(response)
    assert response.status_code == 200
    assert "Окна" in page
    assert "Двери" in page
    assert "150,000 RUB" in page
    assert 'class="deal-move"' in page
    assert "Sortable.min.js" in page


def test_moving_with_the_card_form_changes_the_stage(in_workspace, owner):
    stages = _stages()
    deal = _deal(owner)
    browser = browser_for(in_workspace, owner)

    response = browser.post(f"/deals/{deal.pk}/move/", {"stage": stages["Negotiation"].pk})

    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage_id == stages["Negotiation"].pk


def test_dragging_answers_json_with_the_new_column_totals(in_workspace, owner):
    stages = _stages()
    deal = _deal(owner, amount=500)
    browser = browser_for(in_workspace, owner)

    response = browser.post(
        f"/deals/{deal.pk}/move/",
        {"stage": stages["Qualification"].pk, "before": ""},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 200
    columns = response.json()["columns"]
    assert columns[str(stages["Qualification"].pk)] == {"count": 1, "sums": "500 RUB"}
    assert columns[str(stages["New"].pk)]["count"] == 0


def test_moving_into_lost_asks_for_the_reason(in_workspace, owner):
    stages = _stages()
    deal = _deal(owner)
    browser = browser_for(in_workspace, owner)

    answer = browser.post(
        f"/deals/{deal.pk}/move/",
        {"stage": stages["Lost"].pk},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 409
    assert answer.json()["redirect"].startswith(f"/deals/{deal.pk}/lose/")

    empty = browser.post(f"/deals/{deal.pk}/lose/", {"loss_reason": ""})
    assert empty.status_code == 200
    assert "This field is required." in text_of(empty)
    reason = LossReason.objects.first()
    assert reason is not None
    browser.post(f"/deals/{deal.pk}/lose/", {"loss_reason": reason.pk, "loss_comment": "x"})
    deal.refresh_from_db()
    assert (deal.status, deal.loss_reason_id) == ("lost", reason.pk)


def test_deal_is_created_from_the_form_with_a_contact_and_custom_field(
    in_workspace, owner, make_contact
):
    contact = make_contact(owner, first_name="Олег", surname="Петров")
    field_actions.create_custom_field(
        acting_user=owner, entity="deal", field_type="integer", labels={"en": "Seats"}, key="seats"
    )
    stages = _stages()
    browser = browser_for(in_workspace, owner)
    form_page = browser.get(f"/deals/new/?contact={contact.pk}")
    assert "Seats" in text_of(form_page)

    response = browser.post(
        "/deals/new/",
        {
            "title": "Лицензии",
            "contact": f"#{contact.pk}",
            "amount": "990.50",
            "currency": "USD",
            "stage": stages["New"].pk,
            "responsible": owner.pk,
            "custom_seats": "12",
        },
    )

    assert response.status_code == 302, text_of(response)[:3000]
    deal = Deal.objects.get(title="Лицензии")
    assert (deal.contact_id, deal.currency, deal.custom) == (contact.pk, "USD", {"seats": 12})
    card = browser.get(f"/deals/{deal.pk}/")
    assert "Stage history" in text_of(card)
    assert 'id="timeline"' in text_of(card)  # the deal's own timeline, with quick entry
    assert f'action="/timeline/deal/{deal.pk}/log/"' in text_of(card)
    contact_card = browser.get(f"/contacts/{contact.pk}/")
    assert "Лицензии" in text_of(contact_card)


def test_form_errors_are_shown_not_500(in_workspace, owner):
    stages = _stages()
    response = browser_for(in_workspace, owner).post(
        "/deals/new/",
        {"title": "", "amount": "abc", "currency": "RUB", "stage": stages["New"].pk},
    )
    assert response.status_code == 200
    assert Deal.objects.count() == 0


def test_list_filters_by_manager_and_close_month(in_workspace, owner, member):
    _deal(owner, title="Моя сделка", expected_close_date="2026-12-10")
    _deal(member, title="Сделка Маши", expected_close_date="2026-12-11")
    _deal(member, title="Январская", expected_close_date="2027-01-11")
    browser = browser_for(in_workspace, owner)

    page = text_of(
        browser.get("/deals/list/", {"responsible": member.pk, "close_month": "2026-12"})
    )

    assert "Сделка Маши" in page
    assert "Моя сделка" not in page
    assert "Январская" not in page
    assert 'class="data-table"' in page


def test_forecast_page_shows_weighted_sums(in_workspace, owner):
    stages = _stages()
    today = timezone.localdate()
    _deal(owner, amount="1000", expected_close_date=today, stage=stages["Negotiation"].pk)

    page = text_of(browser_for(in_workspace, owner).get("/deals/forecast/"))

    assert "750 RUB" in page
    assert "1,000 RUB" in page


def test_a_member_who_sees_only_own_cannot_open_others_deals(in_workspace, owner, member, only_own):
    theirs = _deal(owner, title="Секрет")
    browser = browser_for(in_workspace, member)

    assert browser.get(f"/deals/{theirs.pk}/").status_code == 404
    assert browser.post(f"/deals/{theirs.pk}/move/", {"stage": 1}).status_code == 404
    assert "Секрет" not in text_of(browser.get("/deals/"))
    assert "Секрет" not in text_of(browser.get("/deals/list/"))


def test_pipeline_settings_are_for_admins(in_workspace, owner, member):
    assert browser_for(in_workspace, member).get("/settings/pipelines/").status_code == 403
    browser = browser_for(in_workspace, owner)
    assert browser.get("/settings/pipelines/").status_code == 200
    pipeline = actions.ensure_default_pipeline()

    browser.post(
        f"/settings/pipelines/{pipeline.pk}/stages/",
        {"name": "Demo", "probability": "60", "kind": "open"},
    )
    bad = browser.post(
        f"/settings/pipelines/{pipeline.pk}/stages/",
        {"name": "Bad", "probability": "150", "kind": "open"},
    )

    assert bad.status_code == 302
    assert pipeline.stages.filter(name="Demo", probability=60).exists()
    assert not pipeline.stages.filter(name="Bad").exists()


def test_custom_fields_settings_offer_deal_fields(in_workspace, owner):
    browser = browser_for(in_workspace, owner)
    page = browser.get("/settings/fields/deal/")
    assert page.status_code == 200
    required = browser.get("/settings/fields/deal/required/")
    assert required.status_code == 200
    assert "Expected close date" in text_of(required)


def _board_queries(user) -> int:  # type: ignore[no-untyped-def]
    pipeline = actions.ensure_default_pipeline()
    with CaptureQueriesContext(connection) as captured:
        board = selectors.deal_board(user, pipeline, selectors.DealFilter(), per_column=3)
        for column in board.columns:
            for deal in column.deals:
                _ = (deal.contact, deal.company, deal.responsible)
    return len(captured.captured_queries)


def test_board_query_count_does_not_grow_with_deals(in_workspace, owner, make_contact):
    stages = _stages()
    contact = make_contact(owner, first_name="Олег")
    for index in range(2):
        _deal(owner, contact=contact.pk, stage=stages["New"].pk, amount=index)
    few = _board_queries(owner)
    for name in ("New", "Proposal", "Negotiation", "Won"):
        for index in range(6):
            _deal(owner, contact=contact.pk, stage=stages[name].pk, amount=index)

    many = _board_queries(owner)

    assert many == few
    assert many <= 5


def test_board_page_query_count_is_constant(in_workspace, owner):
    stages = _stages()
    browser = browser_for(in_workspace, owner)
    _deal(owner, stage=stages["New"].pk)
    browser.get("/deals/")
    with CaptureQueriesContext(connection) as few:
        browser.get("/deals/")
    for name in ("New", "Proposal", "Won"):
        for _index in range(5):
            _deal(owner, stage=stages[name].pk)
    with CaptureQueriesContext(connection) as many:
        browser.get("/deals/")
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("language", ["ru", "uk", "en"])
def test_dates_formatted_for_many_rows_read_as_django_formats_them(language):
    from django.utils import translation
    from django.utils.formats import date_format

    from crm.views.dates import date_formatter

    days = [dt.date(2026, month, 5 + month) for month in range(1, 13)]
    days += [dt.date(999, 2, 3), dt.date(2031, 7, 14)]
    zone = dt.timezone(dt.timedelta(hours=3))
    moments = [dt.datetime(2026, month, 1, month + 8, month * 4, tzinfo=zone) for month in (1, 5)]
    moments += [dt.datetime(2026, 11, 29, 0, 5, tzinfo=zone)]
    with translation.override(language):
        for name, values in (
            ("SHORT_DATE_FORMAT", days),
            ("DATE_FORMAT", days),
            ("DATETIME_FORMAT", moments),
            ("SHORT_DATETIME_FORMAT", moments),
        ):
            formatter = date_formatter(name)
            assert [formatter(value) for value in values] == [
                date_format(value, name) for value in values
            ]
