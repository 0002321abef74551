"""Every error page is the product's: styled, translated, saying what happened and the way on.

pytest-django runs with DEBUG off, as production does.
"""

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenants.actions import set_workspace_status
from tenants.members.models import User
from tenants.models import WorkspaceStatus
from tests.conftest import add_member, host_of

STYLESHEET = 'href="/static/kartoteka/app.css"'


def _client(host: str, language: str = "", **kwargs: object) -> Client:
    client = Client(HTTP_HOST=host, **kwargs)  # type: ignore[arg-type]
    if language:
        client.cookies["kartoteka_language"] = language
    return client


def test_debug_is_off_in_these_tests(settings):
    assert settings.DEBUG is False


@pytest.mark.parametrize(
    ("language", "title"),
    [("en", "There is no such page"), ("uk", "Такої сторінки немає"), ("ru", "Такой страницы нет")],
)
def test_404_on_the_public_site_is_styled_and_translated(platform, language, title):
    response = _client("localhost", language).get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert STYLESHEET in page
    assert title in page
    assert 'href="http://localhost:8000/login/"' in page, "the way on"


def test_404_in_a_workspace_leads_back_to_it(workspace, owner_client):
    response = owner_client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Back to Acme" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Only the workspace's owners and admins can open this page."),
        ("uk", "Цю сторінку можуть відкрити лише власники та адміністратори робочого простору."),
        (
            "ru",
            "Эту страницу могут открыть только владельцы и администраторы рабочего пространства.",
        ),
    ],
)
def test_403_for_a_member_on_admin_pages_names_who_to_ask(workspace, language, text):
    member = add_member(workspace, email="ann@acme.example.com")
    client = _client(host_of(workspace))
    with schema_context(workspace.workspace.schema_name):
        User.objects.filter(pk=member.pk).update(language=language)
        client.force_login(member, backend="allauth.account.auth_backends.AuthenticationBackend")

    response = client.get("/settings/members/")

    assert response.status_code == 403
    page = response.content.decode()
    assert STYLESHEET in page
    assert text in page
    assert "owner@acme.example.com" in page
    assert 'href="/"' in page


def test_400_for_a_host_we_do_not_serve_is_styled_and_points_to_the_site(platform):
    response = _client("127.0.0.1:8000", "uk").get("/")

    assert response.status_code == 400
    page = response.content.decode()
    assert STYLESHEET in page
    assert "http://localhost:8000/" in page
    assert '<html lang="uk">' in page


def test_500_is_styled_and_translated(platform, monkeypatch):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("saas_platform.views.render", broken)
    client = _client("localhost", "ru", raise_request_exception=False)

    response = client.get("/")

    assert response.status_code == 500
    page = response.content.decode()
    assert STYLESHEET in page
    assert "Что-то пошло не так" in page


def test_csrf_failure_explains_and_is_styled(platform):
    client = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    client.cookies["kartoteka_language"] = "en"

    response = client.post("/find-workspace/", {"email": "a@example.com"})

    assert response.status_code == 403
    assert "The form you sent was out of date" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "title"),
    [("uk", "Тут немає робочого простору"), ("en", "There is no workspace here")],
)
def test_unknown_workspace_is_styled_and_its_css_loads(platform, language, title):
    client = _client("nowhere.localhost", language)

    page = client.get("/")
    css = client.get("/static/kartoteka/app.css")

    assert page.status_code == 404
    assert title in page.content.decode()
    assert css.status_code == 200


def test_language_switch_works_on_an_unknown_host(platform):
    client = _client("nowhere.localhost")

    response = client.post("/i18n/setlang/", {"language": "uk", "next": "/"})

    assert response.status_code == 302
    assert client.cookies["kartoteka_language"].value == "uk"
    assert "Тут немає робочого простору" in client.get("/").content.decode()


def test_suspended_workspace_is_styled_names_support_and_switches_language(workspace, settings):
    operator = User(email="op@example.com", is_staff=True)
    set_workspace_status(
        acting_operator=operator, workspace=workspace.workspace, status=WorkspaceStatus.SUSPENDED
    )
    client = _client(host_of(workspace))

    switched = client.post("/settings/language/", {"language": "uk", "next": "/"})
    page = client.get("/")
    css = client.get("/static/kartoteka/app.css")

    assert switched.status_code == 302
    assert page.status_code == 403
    text = page.content.decode()
    assert "призупинено" in text
    assert f"mailto:{settings.SUPPORT_EMAIL}" in text
    assert css.status_code == 200


@pytest.mark.parametrize("host", ["localhost", "acme.localhost", "nowhere.localhost"])
def test_favicon_answers_on_every_host(workspace, host):
    response = Client(HTTP_HOST=host).get("/favicon.ico")

    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"
