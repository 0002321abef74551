"""The review's smaller findings (issue 6, point 9), each kept closed by a test."""

import re
import runpy
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client

from tenants.members.models import User
from tenants.validators import validate_subdomain
from tests.conftest import PASSWORD, host_of
from tests.cross_workspace import logged_in_client
from tests.handoff import handoff_of

ROOT = Path(__file__).resolve().parent.parent.parent


# ---------------------------------------------------------------- LOGIN_REDIRECT_URL


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["//evil.com", "http://evil.com/", "http://acme.localhost/"])
def test_console_login_with_a_foreign_next_lands_on_the_public_site_not_a_500(platform, target):
    User.objects.create_superuser(email="operator@kartoteka.example.com", password=PASSWORD)
    browser = Client(HTTP_HOST="localhost")

    response = browser.post(
        f"/admin/login/?next={target}",
        {"username": "operator@kartoteka.example.com", "password": PASSWORD, "next": target},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


# ---------------------------------------------------------------- Content-Security-Policy


def _csp(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    header = response["Content-Security-Policy"]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("localhost", "/"),
        ("localhost", "/signup/"),
        ("localhost", "/find-workspace/"),
        ("localhost", "/admin/login/"),
        ("nowhere.localhost", "/"),
    ],
)
def test_public_pages_send_a_strict_content_security_policy(platform, host, path):
    response = Client(HTTP_HOST=host).get(path)

    policy = _csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/settings/members/", "/settings/workspace/", "/account/", "/accounts/email/"]
)
def test_workspace_pages_send_a_strict_policy_and_need_nothing_inline(workspace, path):
    response = logged_in_client(workspace).get(path)

    page = response.content.decode()
    assert _csp(response)["script-src"] == ["'self'"]
    # Nothing the policy would block: inline scripts, handlers, styles.
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page), page
    assert not re.search(r"\son[a-z]+\s*=", page)
    assert " style=" not in page
    assert "<style" not in page


@pytest.mark.django_db
def test_login_page_needs_nothing_inline(workspace):
    page = Client(HTTP_HOST=host_of(workspace)).get("/accounts/login/").content.decode()

    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page)
    assert not re.search(r"\son[a-z]+\s*=", page)


@pytest.mark.django_db
def test_signup_page_tells_htmx_not_to_add_its_inline_style(platform):
    page = Client(HTTP_HOST="localhost").get("/signup/").content.decode()

    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false' in page
    assert page.index('name="htmx-config"') < page.index("htmx-2")
    assert not re.search(r"\son[a-z]+\s*=", page)


@pytest.mark.django_db
def test_handoff_page_may_post_to_the_new_workspace_only(platform):
    response = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en").post(
        "/signup/",
        {"name": "Acme", "subdomain": "acme", "email": "b@example.com", "password": PASSWORD},
    )

    handoff_of(response)
    assert _csp(response)["form-action"] == ["'self'", "http://acme.localhost:8000"]
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_suspended_and_unknown_workspace_pages_carry_the_security_headers(workspace):
    from tenants.models import Workspace, WorkspaceStatus

    Workspace.objects.filter(pk=workspace.workspace.pk).update(status=WorkspaceStatus.SUSPENDED)

    for host in (host_of(workspace), "nowhere.localhost"):
        response = Client(HTTP_HOST=host).get("/")
        assert response.status_code in (403, 404)
        assert _csp(response)["script-src"] == ["'self'"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"


def test_content_security_policy_is_on_in_development_and_production():
    assert "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["default-src"] == ["'self'"]


# ---------------------------------------------------------------- subdomain pattern


@pytest.mark.parametrize("value", ["acme\n", "acme\r\n", "\nacme", "ac\nme"])
def test_subdomain_with_a_newline_is_invalid(value):
    with pytest.raises(ValidationError) as raised:
        validate_subdomain(value)

    assert raised.value.code == "invalid_characters"


# ---------------------------------------------------------------- unknown-account reset e-mail


@pytest.mark.django_db
def test_reset_for_an_unknown_address_points_to_find_my_workspace_not_signup(workspace, mailoutbox):
    browser = Client(HTTP_HOST=host_of(workspace), HTTP_ACCEPT_LANGUAGE="en")

    browser.post("/accounts/password/reset/", {"email": "stranger@example.com"})

    [message] = [m for m in mailoutbox if m.to == ["stranger@example.com"]]
    assert "/accounts/signup/" not in message.body
    assert "sign up" not in message.body.lower()
    assert "http://localhost:8000/find-workspace/" in message.body
    assert "ask its admin for an invitation" in message.body


# ---------------------------------------------------------------- make run binds loopback


def test_make_run_binds_loopback_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("BIND_ADDRESS", raising=False)
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    monkeypatch.chdir(ROOT)
    sys.modules.pop("run", None)
    import run  # type: ignore[import-not-found]

    asked: list[tuple[str, int]] = []

    def port_in_use(address: str, port: int) -> bool:
        asked.append((address, port))
        return True  # stop before starting anything

    monkeypatch.setattr(run, "port_in_use", port_in_use)
    monkeypatch.setenv("PORT", "8123")

    assert run.main() == 1
    assert asked == [("127.0.0.1", 8123)]
    import os

    assert os.environ["BIND_ADDRESS"] == "127.0.0.1"


def test_make_run_binds_what_bind_address_says(monkeypatch):
    monkeypatch.setenv("BIND_ADDRESS", "0.0.0.0")  # noqa: S104
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    sys.modules.pop("run", None)
    import run  # type: ignore[import-not-found]

    asked: list[str] = []
    monkeypatch.setattr(run, "port_in_use", lambda address, port: asked.append(address) or True)

    run.main()

    assert asked == ["0.0.0.0"]  # noqa: S104


@pytest.mark.parametrize(
    ("environment", "expected"),
    [({"BIND_ADDRESS": "127.0.0.1", "PORT": "8101"}, ["127.0.0.1:8101"]), ({}, ["0.0.0.0:8000"])],
)
def test_gunicorn_binds_bind_address(monkeypatch, environment, expected):
    monkeypatch.delenv("BIND_ADDRESS", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)

    config = runpy.run_path(str(ROOT / "deploy" / "gunicorn_conf.py"))

    assert config["bind"] == expected
