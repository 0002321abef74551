"""Fixtures shared by the whole suite.

The test database is created and migrated once per xdist worker by pytest-django
(public schema), then `ensure_platform_rows` adds the public site and the
template workspace (the one full tenant migration of the run). Every workspace a
test needs is a clone of that template, made by the real signup action inside
the test's transaction, so it vanishes on rollback: no per-test migrations, no
leftovers.
"""

from collections.abc import Callable, Iterable, Iterator
from itertools import count

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from tenants.actions import NewWorkspace, create_workspace, ensure_platform_rows

PASSWORD = "correct-horse-battery-staple"
_sequence = count(1)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        ensure_platform_rows()


@pytest.fixture(autouse=True)
def _back_to_public_schema() -> Iterator[None]:
    """Whatever a test entered, the next one starts in the public schema."""
    yield
    connection.set_schema_to_public()


@pytest.fixture
def platform(db) -> None:  # type: ignore[no-untyped-def]
    """The public site and template rows (re-created after a transactional test's flush)."""
    ensure_platform_rows()


WorkspaceFactory = Callable[..., NewWorkspace]


@pytest.fixture
def make_workspace(platform) -> WorkspaceFactory:  # type: ignore[no-untyped-def]
    """Create a workspace through the signup action; returns the NewWorkspace."""

    def make(
        subdomain: str | None = None,
        *,
        name: str | None = None,
        owner_email: str | None = None,
        password: str = PASSWORD,
        language: str = "en",
    ) -> NewWorkspace:
        number = next(_sequence)
        subdomain = subdomain or f"team{number}"
        connection.set_schema_to_public()
        return create_workspace(
            name=name or f"Team {number}",
            subdomain=subdomain,
            owner_email=owner_email or f"owner@{subdomain}.example.com",
            owner_password=password,
            language=language,
        )

    return make


@pytest.fixture
def workspace(make_workspace) -> NewWorkspace:  # type: ignore[no-untyped-def]
    return make_workspace("acme", name="Acme")


@pytest.fixture
def other_workspace(make_workspace) -> NewWorkspace:  # type: ignore[no-untyped-def]
    return make_workspace("globex", name="Globex")


def host_of(new: NewWorkspace) -> str:
    return f"{new.workspace.subdomain}.localhost"


@pytest.fixture
def public_client() -> Client:
    return Client(HTTP_HOST="localhost")


@pytest.fixture
def owner_client(workspace) -> Client:  # type: ignore[no-untyped-def]
    """A browser logged in as the owner of `workspace`, on its host."""
    client = Client(HTTP_HOST=host_of(workspace))
    with schema_context(workspace.workspace.schema_name):
        client.force_login(
            workspace.owner, backend="allauth.account.auth_backends.AuthenticationBackend"
        )
    return client


def add_member(new: NewWorkspace, *, email: str, role: str = "member", password: str = PASSWORD):  # type: ignore[no-untyped-def]
    """Invite and accept through the real actions; returns the member (in the workspace)."""
    from django.test import TestCase

    from tenants.members import actions

    with schema_context(new.workspace.schema_name):
        with TestCase.captureOnCommitCallbacks(execute=True):
            invitation = actions.invite_member(acting_user=new.owner, email=email, role=role)
        token = _token_for(invitation)
        return actions.accept_invitation(
            token=token, full_name=email.split("@")[0], password=password
        )


def _token_for(invitation) -> str:  # type: ignore[no-untyped-def]
    """Read the raw token back from the invitation e-mail, as the invitee would."""
    from django.core import mail

    for message in reversed(mail.outbox):
        if invitation.email in message.to:
            return message.body.split("/invite/")[1].split("/")[0]
    raise AssertionError(f"no invitation e-mail to {invitation.email}")


def drop_workspace_schemas(schema_names: Iterable[str]) -> None:
    """Drop schemas a committing (transactional) test cloned; never the template."""
    from django.conf import settings
    from psycopg import sql

    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        for schema_name in sorted(set(schema_names) - {settings.TENANT_BASE_SCHEMA}):
            cursor.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema_name))
            )


def confirm_owner_address(new: NewWorkspace) -> None:
    """Mark the owner's address confirmed, as their confirmation link does (directory too)."""
    from allauth.account.models import EmailAddress

    from tenants.members.actions import sync_member_directory

    with schema_context(new.workspace.schema_name):
        EmailAddress.objects.filter(user=new.owner).update(verified=True)
        sync_member_directory(member=new.owner)
