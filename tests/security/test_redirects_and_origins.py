"""Redirects stay on the current host; only the request's own origin may POST (points 7, 8)."""

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import PASSWORD, host_of
from tests.cross_workspace import logged_in_client

pytestmark = pytest.mark.django_db

FOREIGN_TARGETS = [
    "http://evil.localhost/x",
    "http://globex.localhost:8000/",
    "http://localhost:8000/",
    "//evil.com/",
    "https://evil.com/",
    "http:evil.com",
    "/\\evil.com",
]


@pytest.mark.parametrize("target", FOREIGN_TARGETS)
def test_login_does_not_follow_next_to_another_host(workspace, target):
    browser = Client(HTTP_HOST=host_of(workspace))

    response = browser.post(
        f"/accounts/login/?next={target}",
        {"login": workspace.owner.email, "password": PASSWORD, "next": target},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_login_follows_next_on_the_same_host(workspace):
    browser = Client(HTTP_HOST=host_of(workspace))

    response = browser.post(
        "/accounts/login/",
        {"login": workspace.owner.email, "password": PASSWORD, "next": "/settings/members/"},
    )

    assert response["Location"] == "/settings/members/"


def test_login_follows_an_absolute_next_on_the_same_host(workspace):
    browser = Client(HTTP_HOST=host_of(workspace))
    target = f"http://{host_of(workspace)}/account/"

    response = browser.post(
        "/accounts/login/",
        {"login": workspace.owner.email, "password": PASSWORD, "next": target},
    )

    assert response["Location"] == target


@pytest.mark.parametrize("target", FOREIGN_TARGETS)
def test_logout_does_not_follow_next_to_another_host(workspace, target):
    browser = logged_in_client(workspace)

    response = browser.post("/accounts/logout/", {"next": target})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


@pytest.mark.parametrize("target", FOREIGN_TARGETS)
def test_workspace_language_switch_does_not_follow_next_to_another_host(workspace, target):
    browser = Client(HTTP_HOST=host_of(workspace))

    response = browser.post("/settings/language/", {"language": "uk", "next": target})

    assert response["Location"] == "/"


@pytest.mark.parametrize("target", FOREIGN_TARGETS)
def test_public_language_switch_does_not_follow_next_to_another_host(platform, target):
    browser = Client(HTTP_HOST="localhost")

    response = browser.post("/i18n/setlang/", {"language": "uk", "next": target})

    assert response["Location"] == "/"


def test_welcome_handoff_lands_on_the_workspace_home_whatever_next_says(workspace):
    from tenants.members.handoff import make_login_handoff
    from tests.handoff import welcome_into

    token = make_login_handoff(schema_name=workspace.workspace.schema_name, user=workspace.owner)
    browser = Client(HTTP_HOST=host_of(workspace))

    response = welcome_into(browser, workspace, token, QUERY_STRING="next=http://evil.localhost/")

    assert response["Location"] == "/"


# ---------------------------------------------------------------- CSRF


def _csrf_client(new) -> tuple[Client, str]:  # type: ignore[no-untyped-def]
    """A logged-in browser of `new` holding a valid CSRF cookie and token."""
    browser = logged_in_client(new)
    browser.handler.enforce_csrf_checks = True
    page = browser.get("/settings/workspace/")
    token = page.context["csrf_token"]
    return browser, str(token)


def test_post_with_own_token_from_another_workspace_origin_is_refused(
    make_workspace,
):
    golf = make_workspace("golf", name="Golf")
    browser, token = _csrf_client(golf)

    response = browser.post(
        "/settings/workspace/",
        {
            "csrfmiddlewaretoken": token,
            "name": "Renamed by bravo",
            "default_country": "RU",
            "time_zone": "Europe/Moscow",
            "default_language": "en",
        },
        HTTP_ORIGIN="http://bravo.localhost:8000",
    )

    assert response.status_code == 403
    golf.workspace.refresh_from_db()
    assert golf.workspace.name == "Golf"


def test_post_with_own_token_from_its_own_origin_is_accepted(make_workspace):
    golf = make_workspace("golf", name="Golf")
    browser, token = _csrf_client(golf)

    response = browser.post(
        "/settings/workspace/",
        {
            "csrfmiddlewaretoken": token,
            "name": "Golf Club",
            "default_country": "RU",
            "time_zone": "Europe/Moscow",
            "default_language": "en",
        },
        HTTP_ORIGIN="http://golf.localhost",
    )

    assert response.status_code == 302
    golf.workspace.refresh_from_db()
    assert golf.workspace.name == "Golf Club"


def test_no_workspace_origin_is_trusted_for_csrf():
    assert not any("*" in origin for origin in settings.CSRF_TRUSTED_ORIGINS)


def test_production_settings_trust_no_workspace_origin(monkeypatch):
    import importlib

    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    production = importlib.import_module("deploy.settings_production")
    production = importlib.reload(production)

    assert not any("*" in origin for origin in production.CSRF_TRUSTED_ORIGINS)
    assert production.TRUSTED_PROXY_COUNT == 1
    assert production.ALLAUTH_TRUSTED_PROXY_COUNT == 1
    assert production.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"] == ["'self'"]


def test_csrf_token_of_one_workspace_does_not_work_on_another(workspace, other_workspace):
    # Origin header absent (an old browser): the cookie and token are per host.
    _browser_a, token_a = _csrf_client(workspace)
    browser_b = logged_in_client(other_workspace)
    browser_b.handler.enforce_csrf_checks = True

    response = browser_b.post(
        "/settings/workspace/", {"csrfmiddlewaretoken": token_a, "name": "Hijacked"}
    )

    assert response.status_code == 403
    other_workspace.workspace.refresh_from_db()
    assert other_workspace.workspace.name == "Globex"
