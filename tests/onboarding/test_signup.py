"""Signing up on the public site lands the business, logged in, in a ready workspace."""

import pytest
from django_tenants.utils import schema_context

from tenants.members.models import Role, User
from tenants.models import Domain, Workspace

pytestmark = pytest.mark.django_db


def _signup(client, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "name": "Acme Ltd",
        "subdomain": "acme",
        "email": "boss@acme.example.com",
        "password": "correct-horse-battery-staple",
    }
    data.update(overrides)
    return client.post("/signup/", data)


def test_signup_creates_workspace_and_lands_logged_in(platform, public_client, client):
    response = _signup(public_client)

    assert response.status_code == 302
    assert response["Location"].startswith("http://acme.localhost:8000/welcome/")
    workspace = Workspace.objects.get(subdomain="acme")
    assert workspace.schema_name.startswith("ws_")
    assert Domain.objects.filter(domain="acme.localhost", tenant=workspace).exists()
    with schema_context(workspace.schema_name):
        owner = User.objects.get()
        assert owner.email == "boss@acme.example.com"
        assert owner.role == Role.OWNER

    welcome_path = response["Location"].removeprefix("http://acme.localhost:8000")
    landed = client.get(welcome_path, HTTP_HOST="acme.localhost", follow=True)
    assert landed.status_code == 200
    assert "Acme Ltd" in landed.content.decode()
    assert landed.context["user"].email == "boss@acme.example.com"
