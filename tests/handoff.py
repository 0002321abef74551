"""The public site's hand-off into a new workspace, as a browser performs it."""

import re

from django.test import Client

from tests.conftest import host_of

PUBLIC_ORIGIN = "http://localhost:8000"
_FORM = re.compile(
    r'<form method="post" action="(?P<action>[^"]+)" data-auto-submit>\s*'
    r'<input type="hidden" name="token" value="(?P<token>[^"]+)">'
)


def handoff_of(response) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The (action URL, token) of the hand-off form a successful signup shows."""
    assert response.status_code == 200, response.status_code
    match = _FORM.search(response.content.decode())
    assert match, response.content.decode()[:3000]
    return match["action"], match["token"]


def post_welcome(
    client: Client, token: str, *, host: str | None = None, origin: str = PUBLIC_ORIGIN, **extra
):  # type: ignore[no-untyped-def]
    """POST a hand-off token to a workspace's welcome view, as the public site's form does."""
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    if host:
        headers["HTTP_HOST"] = host
    return client.post("/welcome/", {"token": token}, **headers, **extra)


def welcome_into(client: Client, new, token: str, **extra):  # type: ignore[no-untyped-def]
    """POST `token` to `new`'s welcome view from the public site's origin."""
    return post_welcome(client, token, host=host_of(new), **extra)
