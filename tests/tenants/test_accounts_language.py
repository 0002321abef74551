"""Choosing the interface language inside a workspace (POST /settings/language/)."""

import re

import pytest
from django.core import mail
from django.test import Client
from django_tenants.utils import schema_context

from tenants.members.models import User
from tests.conftest import PASSWORD, host_of

pytestmark = pytest.mark.django_db

COOKIE = "kartoteka_language"
INVITEE = "ann@acme.example.com"
# allauth ships catalogs for every language we offer, so its login page proves the switch.
SIGN_IN = {"en": "Log in", "uk": "Увійти", "ru": "Войти"}


def _html_lang(response) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r'<html lang="([^"]*)"', response.content.decode())
    assert match is not None
    return match.group(1)


def _stored_language(workspace) -> str:  # type: ignore[no-untyped-def]
    with schema_context(workspace.workspace.schema_name):
        return User.objects.get(pk=workspace.owner.pk).language


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_member_language_choice_is_remembered_and_next_page_uses_it(
    workspace, owner_client, language
):
    with schema_context(workspace.workspace.schema_name):
        User.objects.filter(pk=workspace.owner.pk).update(language="")

    response = owner_client.post("/settings/language/", {"language": language, "next": "/account/"})

    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert _stored_language(workspace) == language
    assert response.cookies[COOKIE].value == language
    assert _html_lang(owner_client.get("/account/")) == language


def test_member_language_follows_them_to_another_browser(workspace, owner_client):
    owner_client.post("/settings/language/", {"language": "uk"})
    browser = Client(HTTP_HOST=host_of(workspace))
    browser.post("/accounts/login/", {"login": workspace.owner.email, "password": PASSWORD})

    page = browser.get("/")

    assert COOKIE not in browser.cookies
    assert _html_lang(page) == "uk"


def test_member_choice_wins_over_language_cookie(workspace, owner_client):
    owner_client.post("/settings/language/", {"language": "ru"})
    owner_client.cookies[COOKIE] = "en"

    assert _html_lang(owner_client.get("/")) == "ru"


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_visitor_language_choice_sets_cookie_and_translates_login_page(workspace, language):
    visitor = Client(HTTP_HOST=host_of(workspace))

    response = visitor.post(
        "/settings/language/", {"language": language, "next": "/accounts/login/"}
    )

    assert response.status_code == 302
    assert response.cookies[COOKIE].value == language
    login_page = visitor.get("/accounts/login/")
    assert _html_lang(login_page) == language
    assert SIGN_IN[language] in login_page.content.decode()
    assert _stored_language(workspace) == ""  # the owner has not chosen


def test_without_a_choice_pages_use_workspace_default_language(make_workspace):
    ukrainian = make_workspace("kyiv", language="uk")
    visitor = Client(HTTP_HOST=host_of(ukrainian))

    page = visitor.get("/accounts/login/")

    assert _html_lang(page) == "uk"
    assert SIGN_IN["uk"] in page.content.decode()


def test_unknown_language_is_ignored(workspace, owner_client):
    response = owner_client.post("/settings/language/", {"language": "de", "next": "/account/"})

    assert response.status_code == 302
    assert COOKIE not in response.cookies
    assert _stored_language(workspace) == ""  # the owner has not chosen
    assert _html_lang(owner_client.get("/account/")) == "en"


def test_language_switch_does_not_redirect_to_another_host(owner_client):
    response = owner_client.post(
        "/settings/language/", {"language": "uk", "next": "https://evil.example.com/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_language_switch_accepts_only_post(workspace, owner_client):
    response = owner_client.get("/settings/language/", {"language": "uk"})

    assert response.status_code == 405
    assert _stored_language(workspace) == ""  # the owner has not chosen


def _invite_and_accept(workspace, owner_client, capture, *, chosen: str | None = None) -> Client:  # type: ignore[no-untyped-def]
    """Invite ann@ and accept in a fresh browser (after picking `chosen` on the invitation page)."""
    with capture(execute=True):
        owner_client.post("/settings/members/", {"email": INVITEE, "role": "member"})
    [message] = [m for m in mail.outbox if m.to == [INVITEE]]
    path = re.search(r"http://[^/\s]+(/invite/[^/\s]+/)", message.body).group(1)  # type: ignore[union-attr]
    browser = Client(HTTP_HOST=host_of(workspace))
    if chosen is not None:
        browser.post("/settings/language/", {"language": chosen, "next": path})
    browser.post(path, {"full_name": "Ann", "password1": PASSWORD, "password2": PASSWORD})
    return browser


def test_invited_member_who_chose_no_language_follows_the_workspace_default(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    browser = _invite_and_accept(workspace, owner_client, django_capture_on_commit_callbacks)
    assert _html_lang(browser.get("/")) == "en"

    owner_client.post(
        "/settings/workspace/",
        {
            "name": "Acme",
            "default_country": "RU",
            "time_zone": "Europe/Moscow",
            "default_language": "uk",
        },
    )

    assert _html_lang(browser.get("/")) == "uk"
    with schema_context(workspace.workspace.schema_name):
        assert User.objects.get(email=INVITEE).language == ""


def test_language_chosen_on_the_invitation_page_is_remembered_on_the_new_member(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    _invite_and_accept(workspace, owner_client, django_capture_on_commit_callbacks, chosen="ru")
    other_browser = Client(HTTP_HOST=host_of(workspace))
    other_browser.post("/accounts/login/", {"login": INVITEE, "password": PASSWORD})

    page = other_browser.get("/")

    assert page.context["user"].email == INVITEE
    assert _html_lang(page) == "ru"
    with schema_context(workspace.workspace.schema_name):
        assert User.objects.get(email=INVITEE).language == "ru"
