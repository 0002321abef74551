"""/api/tasks: the same actions, validation and access rule as the task pages."""

import pytest

from crm.actions import clients as client_actions
from tests.api.conftest import ApiClient, assert_error, fresh_owner, inside, member_with_key

pytestmark = pytest.mark.django_db


def test_create_list_get_update_complete_and_archive(api):
    contact = api.post("/api/contacts", {"first_name": "Анна"}).json()
    made = api.post(
        "/api/tasks",
        {
            "title": "Позвонить",
            "due_date": "2030-01-10",
            "due_time": "10:30",
            "contact_id": contact["id"],
        },
    )
    assert made.status_code == 201, made.content
    task = made.json()
    assert task["due_time"] == "10:30:00"
    assert task["origin"] == "api"
    assert task["status"] == "open"

    listed = api.get("/api/tasks", {"contact": contact["id"], "status": "open"}).json()
    assert [item["id"] for item in listed["items"]] == [task["id"]]
    assert api.get("/api/tasks", {"due_from": "2030-02-01"}).json()["items"] == []

    changed = api.patch(f"/api/tasks/{task['id']}", {"title": "Перезвонить", "priority": "high"})
    assert changed.json()["title"] == "Перезвонить"
    assert changed.json()["due_time"] == "10:30:00"

    done = api.post(f"/api/tasks/{task['id']}/complete", {"result": "Договорились"})
    assert done.json()["status"] == "done"
    assert done.json()["result"] == "Договорились"
    archived = api.post(f"/api/tasks/{task['id']}/archive", {})
    assert archived.json()["archived"] is True
    assert api.get("/api/tasks").json()["items"] == []


def test_a_recurring_task_through_the_api_makes_its_next_when_completed(api):
    made = api.post(
        "/api/tasks",
        {
            "title": "Отчёт",
            "due_date": "2030-01-31",
            "recurrence": {"frequency": "monthly", "month_day": 31},
        },
    ).json()
    assert made["series"]["month_day"] == 31
    api.post(f"/api/tasks/{made['id']}/complete", {})
    open_tasks = api.get("/api/tasks", {"status": "open"}).json()["items"]
    assert [item["due_date"] for item in open_tasks] == ["2030-02-28"]


def test_bad_input_is_a_422_with_messages(api):
    body = assert_error(
        api.post("/api/tasks", {"title": " ", "due_date": "2030-01-01"}), 422, "invalid"
    )
    assert "title" in body["fields"]
    assert_error(api.post("/api/tasks", {"title": "x"}), 422, "invalid")


def test_a_members_key_does_not_see_tasks_on_clients_she_cannot_see(workspace, api):
    with inside(workspace):
        client_actions.update_crm_settings(
            acting_user=fresh_owner(workspace), members_see_only_own=True
        )
    member, key = member_with_key(workspace, email="masha@acme.example.com")
    masha = ApiClient(workspace, key, **{"Accept-Language": "en"})
    contact = api.post("/api/contacts", {"first_name": "Чужой"}).json()
    theirs = api.post(
        "/api/tasks",
        {
            "title": "Чужая",
            "due_date": "2030-01-01",
            "contact_id": contact["id"],
            "assignee_id": member.pk,
        },
    ).json()
    assert masha.get("/api/tasks").json()["items"] == []
    assert_error(masha.get(f"/api/tasks/{theirs['id']}"), 404, "not_found")
    assert_error(masha.post(f"/api/tasks/{theirs['id']}/complete", {}), 404, "not_found")
    refused = masha.post(
        "/api/tasks", {"title": "Моя", "due_date": "2030-01-01", "contact_id": contact["id"]}
    )
    assert "contact" in assert_error(refused, 422, "invalid")["fields"]


def test_tasks_are_in_the_openapi_schema(api):
    schema = api.get("/api/openapi.json").json()
    assert "/api/tasks" in schema["paths"]
    assert "/api/tasks/{task_id}/complete" in schema["paths"]
