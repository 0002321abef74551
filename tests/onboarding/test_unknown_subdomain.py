"""A host that names no workspace gets a friendly page that leads back to the public site."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _visit(host: str, path: str = "/"):  # type: ignore[no-untyped-def]
    return Client(HTTP_HOST=host, HTTP_ACCEPT_LANGUAGE="en").get(path)


def test_unknown_subdomain_shows_a_friendly_not_found_page(platform):
    response = _visit("nope.localhost")

    assert response.status_code == 404
    page = response.content.decode()
    assert "There is no workspace here" in page
    assert "We could not find a workspace at <strong>nope.localhost</strong>" in page


def test_unknown_subdomain_page_links_to_signup_and_find_my_workspace_on_the_public_host(
    platform,
):
    response = _visit("nope.localhost")

    page = response.content.decode()
    assert 'href="http://localhost:8000/signup/"' in page
    assert 'href="http://localhost:8000/find-workspace/"' in page
    assert 'class="brand" href="http://localhost:8000/"' in page


def test_unknown_subdomain_page_is_styled_like_the_public_site(platform):
    response = _visit("nope.localhost")

    page = response.content.decode()
    assert '<link rel="stylesheet" href="/static/kartoteka/app.css">' in page
    assert '<header class="topbar">' in page
    assert "© Kartoteka" in page


def test_unknown_subdomain_is_not_found_on_any_path(platform):
    response = _visit("nope.localhost:8000", "/settings/members/")

    assert response.status_code == 404
    assert "We could not find a workspace at <strong>nope.localhost</strong>" in (
        response.content.decode()
    )


def test_unknown_subdomain_page_is_in_the_visitors_language(platform):
    response = Client(HTTP_HOST="nope.localhost", HTTP_ACCEPT_LANGUAGE="ru").get("/")

    assert response.status_code == 404
    assert '<html lang="ru">' in response.content.decode()
