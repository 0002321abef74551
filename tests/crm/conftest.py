"""Fixtures for the CRM tests: a workspace entered as the current tenant, and its people.

`in_workspace` enters `workspace` (tests.conftest) with django-tenants' tenant_context, so
the connection carries the Workspace row (its default country and status, which the
actions read) for the whole test. `owner`, `admin`, `member` and `member2` are members of
it with those roles (made through the real invitation actions). `only_own` turns on
"members see only their own clients". `make_contact` / `make_company` create records
through the real actions.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from crm.actions import clients as actions
from crm.selectors.custom_fields import clear_custom_field_cache
from tenants.members.models import User
from tests.conftest import add_member


@pytest.fixture
def in_workspace(workspace) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    clear_custom_field_cache()
    with tenant_context(workspace.workspace):
        yield workspace
    clear_custom_field_cache()


@pytest.fixture
def owner(in_workspace) -> User:  # type: ignore[no-untyped-def]
    return User.objects.get(pk=in_workspace.owner.pk)


def _member(new: Any, email: str, role: str) -> User:
    made = add_member(new, email=email, role=role)
    # add_member leaves its own schema context; come back to the full tenant.
    from django.db import connection

    connection.set_tenant(new.workspace)
    return User.objects.get(pk=made.pk)


@pytest.fixture
def admin(in_workspace) -> User:  # type: ignore[no-untyped-def]
    return _member(in_workspace, "admin@acme.example.com", "admin")


@pytest.fixture
def member(in_workspace) -> User:  # type: ignore[no-untyped-def]
    return _member(in_workspace, "masha@acme.example.com", "member")


@pytest.fixture
def member2(in_workspace) -> User:  # type: ignore[no-untyped-def]
    return _member(in_workspace, "petya@acme.example.com", "member")


@pytest.fixture
def only_own(owner) -> None:  # type: ignore[no-untyped-def]
    actions.update_crm_settings(acting_user=owner, members_see_only_own=True)


@pytest.fixture
def make_contact(in_workspace):  # type: ignore[no-untyped-def]
    def make(acting_user: User, **data: Any) -> Any:
        allow = data.pop("allow_duplicate", False)
        data.setdefault("first_name", "Мария")
        return actions.create_contact(acting_user=acting_user, data=data, allow_duplicate=allow)

    return make


@pytest.fixture
def make_company(in_workspace):  # type: ignore[no-untyped-def]
    def make(acting_user: User, **data: Any) -> Any:
        allow = data.pop("allow_duplicate", False)
        data.setdefault("name", "Ромашка")
        return actions.create_company(acting_user=acting_user, data=data, allow_duplicate=allow)

    return make
