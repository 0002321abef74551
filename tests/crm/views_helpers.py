"""Helpers for the CRM page tests: a browser logged in as a member, in English."""

from typing import Any

from django.conf import settings
from django.test import Client

from tests.conftest import host_of

BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


def browser_for(workspace: Any, user: Any, language: str = "en") -> Client:
    """A Client on the workspace's host, logged in as `user`, reading `language`."""
    client = Client(HTTP_HOST=host_of(workspace))
    client.force_login(user, backend=BACKEND)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def text_of(response: Any) -> str:
    return response.content.decode()
