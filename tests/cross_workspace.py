"""Helpers for tests that carry something of workspace A over to workspace B."""

import re

from django.conf import settings
from django.core import mail
from django.test import Client
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD, host_of

LOGIN_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


def logged_in_client(new, user=None) -> Client:  # type: ignore[no-untyped-def]
    """A browser on `new`'s host, logged in as `user` (default: its owner)."""
    client = Client(HTTP_HOST=host_of(new))
    with schema_context(new.workspace.schema_name):
        client.force_login(user or new.owner, backend=LOGIN_BACKEND)
    return client


def logged_in_through_form(new, email: str, password: str = PASSWORD) -> Client:  # type: ignore[no-untyped-def]
    """A browser that logged in on `new`'s host by typing into the login form."""
    client = Client(HTTP_HOST=host_of(new))
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def with_session_of(source: Client, new) -> Client:  # type: ignore[no-untyped-def]
    """A browser on `new`'s host that sends the session cookie `source` got elsewhere."""
    client = Client(HTTP_HOST=host_of(new))
    client.cookies[settings.SESSION_COOKIE_NAME] = source.cookies[
        settings.SESSION_COOKIE_NAME
    ].value
    return client


def link_path_in_mail(to: str, marker: str) -> str:
    """The path of the last link containing `marker` in the last e-mail to `to`."""
    for message in reversed(mail.outbox):
        if to in message.to:
            paths = re.findall(r"https?://[^/\s]+(/\S*)", message.body)
            matching = [path for path in paths if marker in path]
            if matching:
                return matching[-1]
    raise AssertionError(f"no e-mail to {to} with a link containing {marker!r}")
