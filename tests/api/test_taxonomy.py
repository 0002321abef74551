"""/api/tags and /api/sources."""

import pytest

from tenants.api_keys.models import ApiKeyScope
from tests.api.conftest import ApiClient, assert_error, make_key

pytestmark = pytest.mark.django_db


def test_tags_are_listed_renamed_and_deleted(workspace, api):
    contact = api.post("/api/contacts", {"first_name": "Олег", "tags": ["VIP", "опт"]}).json()
    tags = api.get("/api/tags").json()
    assert [tag["name"] for tag in tags] == ["VIP", "опт"]
    vip = next(tag for tag in tags if tag["name"] == "VIP")

    renamed = api.patch(f"/api/tags/{vip['id']}", {"name": "Важный"})

    assert renamed.json() == {"id": vip["id"], "name": "Важный"}
    assert sorted(api.get(f"/api/contacts/{contact['id']}").json()["tags"]) == ["Важный", "опт"]
    assert api.delete(f"/api/tags/{vip['id']}").status_code == 204
    assert api.get(f"/api/contacts/{contact['id']}").json()["tags"] == ["опт"]
    assert_error(api.delete(f"/api/tags/{vip['id']}"), 404, "not_found")
    assert_error(api.patch("/api/tags/999999", {"name": "x"}), 404, "not_found")


def test_tag_rename_is_checked(workspace, api):
    api.post("/api/contacts", {"first_name": "Олег", "tags": ["VIP", "опт"]})
    vip = api.get("/api/tags").json()[0]

    assert (
        "name"
        in assert_error(api.patch(f"/api/tags/{vip['id']}", {"name": "опт"}), 422, "invalid")[
            "fields"
        ]
    )
    assert "name" in assert_error(api.patch(f"/api/tags/{vip['id']}", {}), 422, "invalid")["fields"]


def test_sources_are_created_renamed_archived_and_used(workspace, api):
    created = api.post("/api/sources", {"name": "Выставка"})
    assert created.status_code == 201
    source = created.json()

    contact = api.post("/api/contacts", {"first_name": "Олег", "source_id": source["id"]}).json()
    renamed = api.patch(f"/api/sources/{source['id']}", {"name": "Выставка 2026"}).json()
    archived = api.post(f"/api/sources/{source['id']}/archive").json()

    assert contact["source"] == {"id": source["id"], "name": "Выставка"}
    assert renamed["name"] == "Выставка 2026"
    assert archived["archived"] is True
    assert api.get("/api/sources").json() == []
    assert [s["id"] for s in api.get("/api/sources", {"archived": "true"}).json()] == [source["id"]]
    assert api.get(f"/api/contacts/{contact['id']}").json()["source"]["name"] == "Выставка 2026"
    assert "name" in assert_error(api.post("/api/sources", {"name": ""}), 422, "invalid")["fields"]


def test_read_key_lists_but_cannot_change_tags_or_sources(workspace, api):
    api.post("/api/contacts", {"first_name": "Олег", "tags": ["VIP"]})
    tag_id = api.get("/api/tags").json()[0]["id"]
    reader = ApiClient(workspace, make_key(workspace, scope=ApiKeyScope.READ))

    assert reader.get("/api/tags").status_code == 200
    assert reader.get("/api/sources").status_code == 200
    assert_error(reader.post("/api/sources", {"name": "x"}), 403, "forbidden")
    assert_error(reader.patch(f"/api/tags/{tag_id}", {"name": "x"}), 403, "forbidden")
    assert_error(reader.delete(f"/api/tags/{tag_id}"), 403, "forbidden")
    assert api.get("/api/tags").json()[0]["name"] == "VIP"
