"""Workspaces through the API: ids are per workspace, keys are per workspace, never data."""

import pytest

from tests.api.conftest import ApiClient, assert_error, make_key

pytestmark = pytest.mark.django_db


def test_another_workspaces_key_gets_401_even_for_ids_that_exist_in_both(
    workspace, other_workspace
):
    acme = ApiClient(workspace, make_key(workspace))
    globex = ApiClient(other_workspace, make_key(other_workspace))
    acme_contact = acme.post("/api/contacts", {"surname": "Секретов", "first_name": "Акме"}).json()
    globex_contact = globex.post(
        "/api/contacts", {"surname": "Глобексов", "first_name": "Г"}
    ).json()
    acme_key_on_globex = ApiClient(other_workspace, acme.headers["Authorization"].split()[1])

    for path in ("/api/contacts", f"/api/contacts/{acme_contact['id']}", "/api/tags"):
        response = acme_key_on_globex.get(path)
        assert_error(response, 401, "unauthorized")
        assert "Секретов" not in response.content.decode()
        assert "Глобексов" not in response.content.decode()
    assert_error(
        acme_key_on_globex.patch(f"/api/contacts/{globex_contact['id']}", {"surname": "X"}),
        401,
        "unauthorized",
    )
    assert globex.get(f"/api/contacts/{globex_contact['id']}").json()["surname"] == "Глобексов"


def test_each_workspaces_key_sees_only_its_own_records(workspace, other_workspace):
    acme = ApiClient(workspace, make_key(workspace))
    globex = ApiClient(other_workspace, make_key(other_workspace))
    acme_contact = acme.post("/api/contacts", {"surname": "Секретов", "first_name": "Акме"}).json()
    for number in range(2):
        acme.post("/api/contacts", {"first_name": f"Акме {number}"})

    assert globex.get("/api/contacts").json()["items"] == []
    assert globex.get("/api/contacts", {"q": "Секретов"}).json()["items"] == []
    # The id of A's contact is simply not found in B (ids are per workspace schema).
    missing = globex.get(f"/api/contacts/{acme_contact['id'] + 100}")
    assert_error(missing, 404, "not_found")
