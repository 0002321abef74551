"""The public site's "Log in": by workspace address, or by e-mail (find my workspace)."""

import pytest
from django.core import mail
from django.test import Client


@pytest.mark.parametrize(
    "typed", ["acme", "ACME", "acme.localhost", "http://acme.localhost:8000/accounts/login/"]
)
def test_public_login_goes_to_the_workspace_login_page(workspace, typed):
    response = Client(HTTP_HOST="localhost").post("/login/", {"address": typed})

    assert response.status_code == 302
    assert response["Location"].startswith("http://acme.localhost:8000/accounts/login/?lang=")


def test_public_login_says_when_there_is_no_such_workspace(platform):
    client = Client(HTTP_HOST="localhost")
    client.cookies["kartoteka_language"] = "en"

    response = client.post("/login/", {"address": "nobody-here"})

    assert response.status_code == 200
    assert "There is no workspace at “nobody-here.localhost:8000”" in response.content.decode()


def test_public_login_with_an_email_sends_the_workspace_list(
    workspace, django_capture_on_commit_callbacks
):
    client = Client(HTTP_HOST="localhost")
    client.cookies["kartoteka_language"] = "uk"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/login/", {"address": "owner@acme.example.com"})

    assert response.status_code == 200
    [message] = mail.outbox
    assert message.to == ["owner@acme.example.com"]
    assert "Вітаємо" in message.body, "in the language of the page"


def test_public_pages_offer_log_in(platform):
    page = Client(HTTP_HOST="localhost").get("/").content.decode()
    assert 'href="http://localhost:8000/login/"' in page
