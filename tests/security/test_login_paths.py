"""No path logs a member in past their second factor or the login limits (issue 6, points 1, 9).

The public site's hand-off into a new workspace is the one login that is not allauth's
form: it is a POST from the public site's origin with an opaque, single-use token.
"""

import base64
import binascii
import contextlib

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django_tenants.utils import schema_context

from tenants.members.handoff import make_login_handoff
from tenants.models import Workspace
from tests.conftest import PASSWORD, host_of
from tests.handoff import handoff_of, post_welcome, welcome_into

pytestmark = pytest.mark.django_db

SIGNUP = {
    "name": "Charlie",
    "subdomain": "charlie",
    "email": "boss@charlie.example.com",
    "password": PASSWORD,
}


def _logged_in(client: Client) -> bool:
    return client.get("/").wsgi_request.user.is_authenticated


def test_repeated_signup_of_an_owner_with_two_factor_does_not_log_in(platform, visitor):
    # Given: charlie signed up a minute ago and turned on TOTP.
    handoff_of(visitor.post("/signup/", SIGNUP))
    workspace = Workspace.objects.get(subdomain="charlie")
    with schema_context(workspace.schema_name):
        from tenants.members.models import User

        TOTP.activate(User.objects.get(), generate_totp_secret())

    # When: a fresh browser posts the same signup again.
    stranger = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en")
    again = stranger.post("/signup/", SIGNUP)

    # Then: the address is taken; nothing hands a session over.
    assert again.status_code == 200
    page = again.content.decode()
    assert "is already taken" in page
    assert "data-auto-submit" not in page
    assert "/welcome/" not in page


def test_repeated_signup_with_wrong_passwords_gives_no_way_in(platform, visitor):
    handoff_of(visitor.post("/signup/", SIGNUP))
    stranger = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en")

    answers = [
        stranger.post("/signup/", {**SIGNUP, "password": f"wrong-guess-number-{n}"})
        for n in range(3)
    ] + [stranger.post("/signup/", SIGNUP)]

    for answer in answers:
        assert "data-auto-submit" not in answer.content.decode()


def test_handoff_refuses_a_member_who_has_turned_on_two_factor(workspace):
    with schema_context(workspace.workspace.schema_name):
        TOTP.activate(workspace.owner, generate_totp_secret())
    token = make_login_handoff(schema_name=workspace.workspace.schema_name, user=workspace.owner)
    browser = Client(HTTP_HOST=host_of(workspace))

    response = welcome_into(browser, workspace, token)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not _logged_in(browser)


def test_handoff_by_get_does_not_log_in(workspace):
    token = make_login_handoff(schema_name=workspace.workspace.schema_name, user=workspace.owner)
    browser = Client(HTTP_HOST=host_of(workspace))

    response = browser.get("/welcome/", {"token": token})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not _logged_in(browser)
    # The token is still good for the real hand-off.
    assert welcome_into(browser, workspace, token)["Location"] == "/"


@pytest.mark.parametrize(
    "origin",
    [
        "",
        "null",
        "http://evil.example.com",
        "http://globex.localhost:8000",
        "https://localhost:8000",
    ],
)
def test_handoff_from_another_origin_does_not_log_in(workspace, origin):
    # A page elsewhere (an attacker's workspace included) cannot log a visitor in (login CSRF).
    token = make_login_handoff(schema_name=workspace.workspace.schema_name, user=workspace.owner)
    browser = Client(HTTP_HOST=host_of(workspace))

    response = post_welcome(browser, token, host=host_of(workspace), origin=origin)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not _logged_in(browser)


def test_handoff_token_is_opaque(workspace):
    token = make_login_handoff(schema_name=workspace.workspace.schema_name, user=workspace.owner)

    readable = token
    for decode in (base64.urlsafe_b64decode, base64.b64decode):
        with contextlib.suppress(binascii.Error, ValueError):
            readable += decode(token + "=" * (-len(token) % 4)).decode("latin-1")

    assert workspace.workspace.schema_name not in readable
    assert "schema" not in readable
    assert '"user"' not in readable
    assert ":" not in token


def test_handoff_token_lives_two_minutes_at_most(workspace):
    from django.core.cache import cache

    from tenants.members import handoff

    token = make_login_handoff(schema_name=workspace.workspace.schema_name, user=workspace.owner)

    with schema_context(workspace.workspace.schema_name):
        key = cache.make_and_validate_key(handoff._cache_key(token))
        ttl = cache._cache.get_client(key).ttl(key)  # type: ignore[attr-defined]

    assert 0 < ttl <= 120


def test_only_the_known_paths_call_djangos_login():
    # allauth's login form checks the second factor and the limits; anything that calls
    # django.contrib.auth.login() itself skips both. The two that do are reviewed:
    # the hand-off (refuses members with a second factor, single-use token, Origin check)
    # and invitation acceptance (a brand-new member, no second factor yet, single-use token).
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent.parent
    callers = set()
    for app in ("saas_platform", "tenants", "onboarding", "crm", "billing"):
        for source in (root / app).rglob("*.py"):
            tree = ast.parse(source.read_text(encoding="utf-8"))
            imported_login = {
                alias.asname or alias.name
                for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module == "django.contrib.auth"
                for alias in node.names
                if alias.name in {"login", "alogin"}
            }
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                    if name in imported_login or name in {"perform_login", "complete_login"}:
                        callers.add(f"{source.relative_to(root)}:{name}")

    assert callers == {"onboarding/views.py:login", "tenants/members/views.py:login"}


def test_allauth_logs_in_only_through_its_login_form():
    from django.conf import settings

    assert settings.ACCOUNT_LOGIN_ON_PASSWORD_RESET is False
    assert settings.ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION is False
    assert settings.ACCOUNT_LOGIN_BY_CODE_ENABLED is False
