"""Helpers for API tests: keys made by the real action, a client that sends them."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenants.api_keys.actions import create_api_key
from tenants.api_keys.models import ApiKeyScope
from tests.conftest import add_member, host_of


def make_key(
    new, *, scope: str = ApiKeyScope.READ_WRITE, user=None, name: str | None = None
) -> str:  # type: ignore[no-untyped-def]
    """A key of workspace `new` created by `user` (default: its owner); returns the secret."""
    from tenants.api_keys.models import ApiKey

    with schema_context(new.workspace.schema_name):
        name = name or f"key {ApiKey.objects.count() + 1}"
        return create_api_key(acting_user=user or new.owner, name=name, scope=scope).secret


def member_with_key(new, *, email: str, scope: str = ApiKeyScope.READ_WRITE):  # type: ignore[no-untyped-def]
    """A plain member and a key acting as them, through the real actions.

    Only owners and admins create keys, so the member creates it while an admin and is
    then made a member: the key follows the creator's role as it is now.
    """
    from tenants.members.actions import change_member_role

    member = add_member(new, email=email, role="admin")
    key = make_key(new, scope=scope, user=member, name=f"{email} script")
    with schema_context(new.workspace.schema_name):
        member = change_member_role(acting_user=new.owner, member=member, role="member")
    return member, key


class ApiClient:
    """A script talking to one workspace's API with one key."""

    def __init__(self, new, key: str | None, **headers: str):  # type: ignore[no-untyped-def]
        self.client = Client(HTTP_HOST=host_of(new))
        self.headers = dict(headers)
        if key is not None:
            self.headers["Authorization"] = f"Bearer {key}"

    def _send(
        self,
        method: str,
        path: str,
        body: Any = None,
        raw: str | bytes | None = None,
        **headers: str,
    ):  # type: ignore[no-untyped-def]
        all_headers = {**self.headers, **headers}
        call = getattr(self.client, method)
        if method == "get":
            return call(path, body or {}, headers=all_headers)
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        return call(path, data=data, content_type="application/json", headers=all_headers)

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str):  # type: ignore[no-untyped-def]
        return self._send("get", path, params, **headers)

    def post(self, path: str, body: Any = None, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self._send("post", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self._send("patch", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self._send("put", path, body, **kwargs)

    def delete(self, path: str, body: Any = None, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self._send("delete", path, body, **kwargs)


@pytest.fixture
def owner_key(workspace) -> str:  # type: ignore[no-untyped-def]
    return make_key(workspace, name="Owner script")


@pytest.fixture
def api(workspace, owner_key) -> ApiClient:  # type: ignore[no-untyped-def]
    """The owner's read-and-write key on `workspace`'s host, English messages."""
    return ApiClient(workspace, owner_key, **{"Accept-Language": "en"})


def assert_error(response, status: int, code: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The response is the API's JSON error with this status and code; returns its body."""
    assert response.status_code == status, response.content.decode()[:2000]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["fields"], dict)
    return body


@contextmanager
def inside(new) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Enter workspace `new` as the current tenant (for setting data up through actions)."""
    from django.db import connection
    from django_tenants.utils import tenant_context

    from crm.selectors.custom_fields import clear_custom_field_cache

    clear_custom_field_cache()
    with tenant_context(new.workspace):
        yield
    clear_custom_field_cache()
    connection.set_schema_to_public()


def fresh_owner(new):  # type: ignore[no-untyped-def]
    """The owner of `new`, read inside it (call within `inside(new)`)."""
    from tenants.members.models import User

    return User.objects.get(pk=new.owner.pk)
