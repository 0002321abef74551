"""A member's own account on the workspace host: log in and out, reset a password, verify e-mail."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django_tenants.utils import schema_context

from tenants.members import actions
from tenants.members.handoff import make_login_handoff
from tests.conftest import PASSWORD, add_member, host_of
from tests.handoff import welcome_into

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-42"


def _login(client: Client, email: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"login": email, "password": password})


def _links_in(message) -> list[str]:  # type: ignore[no-untyped-def]
    return re.findall(r"https?://[^\s]+", message.body)


def _path_of(url: str, host: str) -> str:
    """The path of an absolute link, after checking it points at `host`."""
    match = re.match(r"https?://([^/:]+)(?::\d+)?(/.*)$", url)
    assert match is not None, url
    assert match.group(1) == host, f"{url} is not on {host}"
    return match.group(2)


def _is_logged_in_as(client: Client, email: str) -> bool:
    response = client.get("/")
    return response.status_code == 200 and response.context["user"].email == email


def test_member_logs_in_on_workspace_host_and_sees_home(workspace):
    client = Client(HTTP_HOST=host_of(workspace))

    response = _login(client, workspace.owner.email, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert home.context["user"].email == workspace.owner.email
    assert "Acme" in home.content.decode()


def test_login_page_renders_on_workspace_host(workspace):
    client = Client(HTTP_HOST=host_of(workspace))

    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_visitor_is_sent_to_login_from_workspace_home(workspace):
    client = Client(HTTP_HOST=host_of(workspace))

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_member_logs_out_with_post(workspace):
    client = Client(HTTP_HOST=host_of(workspace))
    _login(client, workspace.owner.email, PASSWORD)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_login_email_is_case_insensitive(workspace):
    client = Client(HTTP_HOST=host_of(workspace))

    _login(client, workspace.owner.email.upper(), PASSWORD)

    assert _is_logged_in_as(client, workspace.owner.email)


def test_wrong_password_shows_error_and_stays_anonymous(workspace):
    client = Client(HTTP_HOST=host_of(workspace))

    response = _login(client, workspace.owner.email, "not-the-password")

    assert response.status_code == 200
    assert "The e-mail address or the password is not correct." in (response.content.decode())
    assert client.get("/").status_code == 302


def test_deactivated_member_cannot_log_in(workspace):
    member = add_member(workspace, email="leaver@acme.example.com")
    with schema_context(workspace.workspace.schema_name):
        actions.deactivate_member(acting_user=workspace.owner, member=member)
    client = Client(HTTP_HOST=host_of(workspace))

    response = _login(client, "leaver@acme.example.com", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/inactive/"
    inactive_page = client.get("/accounts/inactive/").content.decode()
    assert "Your account in Acme has been deactivated by the workspace's admin." in inactive_page
    assert client.get("/").status_code == 302
    with schema_context(workspace.workspace.schema_name):
        logged_in = [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id")]
        assert logged_in == []


def test_forgotten_password_is_reset_through_a_link_on_the_workspace_host(workspace):
    client = Client(HTTP_HOST=host_of(workspace))

    requested = client.post("/accounts/password/reset/", {"email": workspace.owner.email})

    assert requested.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [workspace.owner.email]
    [link] = [url for url in _links_in(mail.outbox[0]) if "/password/reset/key/" in url]
    key_page = client.get(_path_of(link, host_of(workspace)), follow=True)
    assert key_page.status_code == 200
    assert 'name="password1"' in key_page.content.decode()
    set_password_path = key_page.redirect_chain[-1][0]

    done = client.post(set_password_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert done.status_code == 302
    fresh = Client(HTTP_HOST=host_of(workspace))
    assert _login(fresh, workspace.owner.email, PASSWORD).status_code == 200
    _login(fresh, workspace.owner.email, NEW_PASSWORD)
    assert _is_logged_in_as(fresh, workspace.owner.email)


def test_password_reset_link_works_only_once(workspace):
    client = Client(HTTP_HOST=host_of(workspace))
    client.post("/accounts/password/reset/", {"email": workspace.owner.email})
    [link] = [url for url in _links_in(mail.outbox[0]) if "/password/reset/key/" in url]
    path = _path_of(link, host_of(workspace))
    key_page = client.get(path, follow=True)
    client.post(
        key_page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    again = Client(HTTP_HOST=host_of(workspace)).get(path, follow=True)

    assert again.status_code == 200
    assert 'name="password1"' not in again.content.decode()
    assert "Invalid link" in again.content.decode()


def test_welcome_handoff_sends_email_confirmation_with_link_on_workspace_host(workspace):
    client = Client(HTTP_HOST=host_of(workspace))
    token = make_login_handoff(schema_name=workspace.workspace.schema_name, user=workspace.owner)

    response = welcome_into(client, workspace, token, follow=True)

    assert response.status_code == 200
    assert "We have sent you an e-mail to confirm your address." in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [workspace.owner.email]
    [link] = [url for url in _links_in(mail.outbox[0]) if "/confirm-email/" in url]
    _path_of(link, host_of(workspace))
    with schema_context(workspace.workspace.schema_name):
        assert not EmailAddress.objects.get(user=workspace.owner).verified


def test_following_confirmation_link_marks_email_verified(workspace):
    client = Client(HTTP_HOST=host_of(workspace))
    token = make_login_handoff(schema_name=workspace.workspace.schema_name, user=workspace.owner)
    welcome_into(client, workspace, token)
    [link] = [url for url in _links_in(mail.outbox[0]) if "/confirm-email/" in url]
    path = _path_of(link, host_of(workspace))

    shown = client.get(path)
    with schema_context(workspace.workspace.schema_name):
        still_unverified = not EmailAddress.objects.get(user=workspace.owner).verified
    confirmed = client.post(path)

    assert shown.status_code == 200
    assert workspace.owner.email in shown.content.decode()
    assert still_unverified, "a GET must not confirm (ACCOUNT_CONFIRM_EMAIL_ON_GET is off)"
    assert confirmed.status_code == 302
    with schema_context(workspace.workspace.schema_name):
        assert EmailAddress.objects.get(user=workspace.owner).verified
    assert "confirmed" in client.get("/account/").content.decode()


def test_welcome_handoff_for_verified_member_sends_no_confirmation(workspace):
    member = add_member(workspace, email="verified@acme.example.com")
    mail.outbox.clear()
    client = Client(HTTP_HOST=host_of(workspace))
    token = make_login_handoff(schema_name=workspace.workspace.schema_name, user=member)

    response = welcome_into(client, workspace, token)

    assert response.status_code == 302
    assert _is_logged_in_as(client, "verified@acme.example.com")
    assert mail.outbox == []


def test_account_page_shows_unconfirmed_email_and_two_factor_off(workspace):
    client = Client(HTTP_HOST=host_of(workspace))
    _login(client, workspace.owner.email, PASSWORD)

    page = client.get("/account/")

    assert page.status_code == 200
    assert page.context["email_verified"] is False
    assert page.context["mfa_enabled"] is False
    assert "not confirmed" in page.content.decode()


def _reset_password(client: Client, email: str, password: str) -> None:
    """Request a reset for `email`, follow the e-mailed link and set `password`."""
    mail.outbox.clear()
    client.post("/accounts/password/reset/", {"email": email})
    [link] = [url for url in _links_in(mail.outbox[0]) if "/password/reset/key/" in url]
    key_page = client.get(_path_of(link, "acme.localhost"), follow=True)
    client.post(key_page.redirect_chain[-1][0], {"password1": password, "password2": password})


def test_password_reset_logs_out_every_browser_that_was_logged_in(workspace):
    stolen = Client(HTTP_HOST=host_of(workspace))
    _login(stolen, workspace.owner.email, PASSWORD)
    assert _is_logged_in_as(stolen, workspace.owner.email)

    _reset_password(Client(HTTP_HOST=host_of(workspace)), workspace.owner.email, NEW_PASSWORD)

    assert not _is_logged_in_as(stolen, workspace.owner.email)


def test_password_reset_finds_the_member_whatever_the_case_of_the_address(workspace):
    client = Client(HTTP_HOST=host_of(workspace))

    _reset_password(client, workspace.owner.email.upper(), NEW_PASSWORD)

    _login(client, workspace.owner.email, NEW_PASSWORD)
    assert _is_logged_in_as(client, workspace.owner.email)


def test_deactivated_member_cannot_get_in_through_password_reset(workspace):
    member = add_member(workspace, email="leaver@acme.example.com")
    with schema_context(workspace.workspace.schema_name):
        actions.deactivate_member(acting_user=workspace.owner, member=member)
    mail.outbox.clear()
    client = Client(HTTP_HOST=host_of(workspace))

    client.post("/accounts/password/reset/", {"email": "leaver@acme.example.com"})

    reset_links = [
        url
        for message in mail.outbox
        for url in _links_in(message)
        if "/password/reset/key/" in url
    ]
    assert reset_links == []
    assert _login(client, "leaver@acme.example.com", PASSWORD)["Location"] == "/accounts/inactive/"
