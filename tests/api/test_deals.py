"""/api/deals, /api/pipelines, /api/stages, /api/loss-reasons."""

import pytest

from crm.actions import clients as client_actions
from crm.actions import deals as deal_actions
from crm.models import CrmSettings
from tests.api.conftest import ApiClient, assert_error, fresh_owner, inside, member_with_key

pytestmark = pytest.mark.django_db


def _stages(api: ApiClient) -> dict[str, int]:
    pipelines = api.get("/api/pipelines").json()
    return {stage["name"]: stage["id"] for stage in pipelines[0]["stages"]}


def test_a_deal_is_created_moved_lost_with_a_reason_and_reopened(workspace, api):
    stages = _stages(api)
    contact = api.post("/api/contacts", {"first_name": "Олег"}).json()

    created = api.post(
        "/api/deals",
        {
            "title": "Поставка",
            "contact_id": contact["id"],
            "amount": "150000.00",
            "expected_close_date": "2026-12-20",
        },
    )
    assert created.status_code == 201, created.content
    deal = created.json()
    assert deal["stage"]["name"] == "New"
    assert deal["currency"] == "RUB"
    assert deal["amount"] == "150000.00"
    assert deal["contact"] == {"id": contact["id"], "name": "Олег"}

    moved = api.patch(f"/api/deals/{deal['id']}", {"stage_id": stages["Proposal"]})
    assert moved.json()["stage"]["name"] == "Proposal"
    assert moved.json()["probability"] == 50

    body = assert_error(
        api.post(f"/api/deals/{deal['id']}/move", {"stage_id": stages["Lost"]}), 422, "required"
    )
    assert "loss_reason" in body["fields"]
    reasons = api.get("/api/loss-reasons").json()
    lost = api.post(
        f"/api/deals/{deal['id']}/lose",
        {"loss_reason_id": reasons[0]["id"], "loss_comment": "дорого"},
    ).json()
    assert (lost["status"], lost["loss_reason"]["id"], lost["loss_comment"]) == (
        "lost",
        reasons[0]["id"],
        "дорого",
    )

    reopened = api.post(f"/api/deals/{deal['id']}/reopen").json()
    assert (reopened["status"], reopened["stage"]["name"]) == ("open", "Proposal")


def test_deal_list_filters(workspace, api):
    stages = _stages(api)
    api.post("/api/deals", {"title": "A", "expected_close_date": "2026-12-01"})
    api.post(
        "/api/deals",
        {"title": "B", "expected_close_date": "2027-01-05", "stage_id": stages["Negotiation"]},
    )
    api.post("/api/deals", {"title": "C", "stage_id": stages["Won"]})

    def titles(**params):  # type: ignore[no-untyped-def]
        return [d["title"] for d in api.get("/api/deals", params).json()["items"]]

    assert titles() == ["A", "B", "C"]
    assert titles(status="won") == ["C"]
    assert titles(stage=stages["Negotiation"]) == ["B"]
    assert titles(close_month="2026-12") == ["A"]
    page = api.get("/api/deals", {"limit": 2}).json()
    assert len(page["items"]) == 2
    assert page["next_cursor"]
    rest = api.get("/api/deals", {"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [d["title"] for d in rest["items"]] == ["C"]
    assert_error(api.get("/api/deals", {"close_month": "декабрь"}), 422, "invalid")


def test_bad_input_is_a_422_and_writes_nothing(workspace, api):
    assert_error(api.post("/api/deals", {"title": ""}), 422, "invalid")
    assert_error(api.post("/api/deals", {"title": "X", "currency": "XYZ"}), 422, "invalid")
    assert_error(api.post("/api/deals", {"title": "X", "stage_id": 999999}), 422, "invalid")
    assert_error(api.post("/api/deals", {"title": "X", "surprise": 1}), 422, "invalid")
    assert api.get("/api/deals").json()["items"] == []


def test_a_member_key_sees_and_moves_only_own_deals_when_members_see_only_own(workspace, api):
    _member, key = member_with_key(workspace, email="masha@acme.example.com")
    with inside(workspace):
        owner = fresh_owner(workspace)
        client_actions.update_crm_settings(acting_user=owner, members_see_only_own=True)
        theirs = deal_actions.create_deal(acting_user=owner, data={"title": "Чужая"})
        assert CrmSettings.objects.get().members_see_only_own
    member_api = ApiClient(workspace, key, **{"Accept-Language": "en"})
    own = member_api.post("/api/deals", {"title": "Моя"}).json()

    assert [d["title"] for d in member_api.get("/api/deals").json()["items"]] == ["Моя"]
    assert_error(member_api.get(f"/api/deals/{theirs.pk}"), 404, "not_found")
    assert_error(member_api.patch(f"/api/deals/{theirs.pk}", {"title": "x"}), 404, "not_found")
    assert member_api.get(f"/api/deals/{own['id']}").status_code == 200
    forecast = member_api.get("/api/deals/forecast").json()
    assert forecast["losses"] == []


def test_only_admin_keys_shape_pipelines(workspace, api):
    _member, key = member_with_key(workspace, email="masha@acme.example.com")
    member_api = ApiClient(workspace, key, **{"Accept-Language": "en"})
    pipeline = api.get("/api/pipelines").json()[0]

    assert_error(
        member_api.post(f"/api/pipelines/{pipeline['id']}/stages", {"name": "X", "probability": 5}),
        403,
        "forbidden",
    )
    created = api.post(
        f"/api/pipelines/{pipeline['id']}/stages", {"name": "Demo", "probability": 60}
    )
    assert created.status_code == 201
    stage = created.json()
    assert api.patch(f"/api/stages/{stage['id']}", {"probability": 65}).json()["probability"] == 65
    archived = api.post(f"/api/stages/{stage['id']}/archive", {}).json()
    assert archived["archived"] is True
    new_pipeline = api.post("/api/pipelines", {"name": "Tenders"})
    assert new_pipeline.status_code == 201
    kinds = sorted(s["kind"] for s in new_pipeline.json()["stages"])
    assert kinds == ["lost", "open", "won"]


def test_deals_are_in_the_openapi_schema(workspace, api):
    schema = api.get("/api/openapi.json").json()
    assert "/api/deals" in schema["paths"]
    assert "/api/deals/{deal_id}/move" in schema["paths"]
    assert "/api/pipelines" in schema["paths"]
