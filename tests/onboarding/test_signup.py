"""Signing up on the public site lands the business, logged in, in a ready workspace."""

import re

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenants.members.models import Role, User
from tenants.models import Domain, Workspace
from tests.handoff import handoff_of, post_welcome

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

    action, token = handoff_of(response)
    assert action == "http://acme.localhost:8000/welcome/"
    workspace = Workspace.objects.get(subdomain="acme")
    assert workspace.schema_name.startswith("ws_")
    assert Domain.objects.filter(domain="acme.localhost", tenant=workspace).exists()
    with schema_context(workspace.schema_name):
        owner = User.objects.get()
        assert owner.email == "boss@acme.example.com"
        assert owner.role == Role.OWNER

    landed = post_welcome(client, token, host="acme.localhost", follow=True)
    assert landed.status_code == 200
    assert "Acme Ltd" in landed.content.decode()
    assert landed.context["user"].email == "boss@acme.example.com"


def test_signup_page_asks_for_no_card(platform, visitor):
    response = visitor.get("/signup/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "no card needed" in page
    assert set(response.context["form"].fields) == {
        "name",
        "subdomain",
        "full_name",
        "email",
        "password",
        "country",
        "time_zone",
        "browser_time_zone",
    }
    assert 'name="card' not in page


def test_signup_page_scripts_and_stylesheet_are_served(platform, visitor):
    page = visitor.get("/signup/").content.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)

    served = {asset: visitor.get(asset).status_code for asset in assets}

    assert any("htmx" in asset for asset in assets), assets
    assert any(asset.endswith(".css") for asset in assets), assets
    assert set(served.values()) == {200}, served


def test_landing_page_links_to_signup_and_find_my_workspace(platform, visitor):
    response = visitor.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="/signup/"' in page
    assert 'href="/find-workspace/"' in page


def test_signup_normalises_an_uppercase_subdomain_to_lowercase(platform, visitor):
    response = _signup(visitor, subdomain="  AcMe-Shop ")

    assert handoff_of(response)[0] == "http://acme-shop.localhost:8000/welcome/"
    workspace = Workspace.objects.get(subdomain="acme-shop")
    assert Domain.objects.filter(domain="acme-shop.localhost", tenant=workspace).exists()


def test_welcome_link_logs_in_only_once(platform, visitor, browser):
    _action, token = handoff_of(_signup(visitor))
    first = post_welcome(browser, token, host="acme.localhost")
    stranger = Client(HTTP_ACCEPT_LANGUAGE="en")

    reused = post_welcome(stranger, token, host="acme.localhost", follow=True)

    assert (first.status_code, first["Location"]) == (302, "/")
    assert reused.status_code == 200
    assert "This sign-in link has expired" in reused.content.decode()
    assert not reused.context["user"].is_authenticated


def test_welcome_sends_the_owner_an_address_confirmation_email(
    platform, visitor, browser, mailoutbox
):
    _action, token = handoff_of(_signup(visitor))

    landed = post_welcome(browser, token, host="acme.localhost", follow=True)

    assert "We have sent you an e-mail to confirm your address" in landed.content.decode()
    assert [message.to for message in mailoutbox] == [["boss@acme.example.com"]]


def test_subdomain_check_says_a_free_address_is_free(platform, visitor):
    response = visitor.get("/signup/check-subdomain/", {"subdomain": "Fresh-Bakery"})

    assert response.status_code == 200
    assert "fresh-bakery.localhost:8000 is free" in response.content.decode()


def test_subdomain_check_says_a_taken_address_is_taken(make_workspace, visitor):
    make_workspace("bakery")

    response = visitor.get("/signup/check-subdomain/", {"subdomain": "bakery"})

    page = response.content.decode()
    assert "is already taken" in page
    assert "is free" not in page


@pytest.mark.parametrize("subdomain", ["www", "admin", "api"])
def test_subdomain_check_says_a_reserved_address_is_reserved(platform, visitor, subdomain):
    response = visitor.get("/signup/check-subdomain/", {"subdomain": subdomain})

    page = response.content.decode()
    assert "is reserved" in page
    assert "is free" not in page


def test_subdomain_check_explains_invalid_characters(platform, visitor):
    response = visitor.get("/signup/check-subdomain/", {"subdomain": "my shop"})

    page = response.content.decode()
    assert "Use only Latin letters a-z, digits and hyphens" in page
    assert "is free" not in page


def test_subdomain_check_says_nothing_for_an_empty_address(platform, visitor):
    response = visitor.get("/signup/check-subdomain/", {"subdomain": "  "})

    assert response.status_code == 200
    assert response.content.decode().strip() == ""
