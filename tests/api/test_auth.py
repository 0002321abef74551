"""API authentication: a valid key of this workspace with the right scope, or JSON 401/403."""

import pytest
from django_tenants.utils import schema_context

from tenants.api_keys import actions
from tenants.api_keys.models import ApiKey
from tenants.members.actions import deactivate_member
from tests.api.conftest import ApiClient, assert_error, make_key, member_with_key
from tests.conftest import host_of

pytestmark = pytest.mark.django_db


def test_key_authenticates_as_its_creator(workspace, api):
    response = api.get("/api/me")

    assert response.status_code == 200
    assert response.json() == {
        "id": response.json()["id"],
        "name": "Owner script",
        "scopes": ["read", "write"],
        "member_id": workspace.owner.pk,
        "member_email": workspace.owner.email,
        "member_role": "owner",
    }


def test_missing_key_is_a_json_401(workspace):
    response = ApiClient(workspace, None).get("/api/me")

    body = assert_error(response, 401, "unauthorized")
    assert "Bearer" in body["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer kt_not-a-real-key",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer " + "x" * 5000,
        "kt_only-the-key",
    ],
)
def test_invalid_key_is_a_json_401(workspace, header):
    response = ApiClient(workspace, None, Authorization=header).get("/api/me")

    assert_error(response, 401, "unauthorized")


def test_revoked_key_is_a_json_401(workspace):
    secret = make_key(workspace)
    with schema_context(workspace.workspace.schema_name):
        actions.revoke_api_key(acting_user=workspace.owner, api_key=ApiKey.objects.get())

    assert_error(ApiClient(workspace, secret).get("/api/me"), 401, "unauthorized")


def test_key_of_a_deactivated_member_stops_working(workspace):
    member, secret = member_with_key(workspace, email="leaver@acme.example.com")
    assert ApiClient(workspace, secret).get("/api/me").status_code == 200
    with schema_context(workspace.workspace.schema_name):
        deactivate_member(acting_user=workspace.owner, member=member)

    assert_error(ApiClient(workspace, secret).get("/api/me"), 401, "unauthorized")


def test_key_of_another_workspace_is_unknown_here(workspace, other_workspace):
    secret_of_acme = make_key(workspace)

    response = ApiClient(other_workspace, secret_of_acme).get("/api/me")

    assert_error(response, 401, "unauthorized")
    assert workspace.owner.email not in response.content.decode()


def test_api_is_not_served_on_the_public_site(workspace, owner_key, public_client):
    response = public_client.get("/api/me", headers={"Authorization": f"Bearer {owner_key}"})

    assert response.status_code == 404
    assert public_client.get("/api/openapi.json").status_code == 404


def test_messages_follow_accept_language(workspace):
    response = ApiClient(workspace, None, **{"Accept-Language": "uk"}).get("/api/me")

    assert "Bearer" in response.json()["message"]
    english = ApiClient(workspace, None, **{"Accept-Language": "en"}).get("/api/me")
    assert response.json()["message"] != english.json()["message"]


def test_host_header_decides_the_workspace(workspace, other_workspace):
    acme_key = make_key(workspace)
    globex_key = make_key(other_workspace)

    assert ApiClient(workspace, acme_key).get("/api/me").json()["member_email"] == (
        workspace.owner.email
    )
    assert ApiClient(other_workspace, globex_key).get("/api/me").json()["member_email"] == (
        other_workspace.owner.email
    )
    assert host_of(workspace) != host_of(other_workspace)


def test_suspended_workspace_answers_the_api_in_json(workspace, owner_key):
    from tenants.models import Workspace, WorkspaceStatus

    Workspace.objects.filter(pk=workspace.workspace.pk).update(status=WorkspaceStatus.SUSPENDED)

    response = ApiClient(workspace, owner_key).get("/api/contacts")

    assert_error(response, 403, "suspended")
