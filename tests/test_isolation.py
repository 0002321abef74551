"""What belongs to workspace A means nothing in workspace B: sessions, ids, links, tasks."""

from collections.abc import Iterator

import pytest
from allauth.account.models import EmailAddress
from celery.result import EagerResult
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from tenants.members import actions as member_actions
from tenants.members.handoff import make_login_handoff
from tenants.members.models import Role, User
from tests.conftest import PASSWORD, add_member, drop_workspace_schemas, host_of
from tests.cross_workspace import (
    link_path_in_mail,
    logged_in_client,
    logged_in_through_form,
    with_session_of,
)
from tests.handoff import welcome_into
from tests.tenants.tasks_for_tests import celery_worker, member_emails


def test_session_cookie_is_host_only(workspace):
    browser = logged_in_through_form(workspace, workspace.owner.email)

    cookie = browser.cookies[settings.SESSION_COOKIE_NAME]

    assert cookie["domain"] == ""


def test_session_of_workspace_a_does_not_log_in_on_workspace_b(workspace, other_workspace):
    # Given: A's owner logged in through A's login form (A's and B's owners share id 1).
    browser_a = logged_in_through_form(workspace, workspace.owner.email)
    assert browser_a.get("/").wsgi_request.user.email == workspace.owner.email
    with schema_context(other_workspace.workspace.schema_name):
        assert User.objects.filter(pk=workspace.owner.pk).exists()

    # When: the same session cookie is sent to B's host.
    browser_b = with_session_of(browser_a, other_workspace)
    response = browser_b.get("/")

    # Then: B sees a visitor and asks them to log in.
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not response.wsgi_request.user.is_authenticated
    members_page = browser_b.get("/settings/members/")
    assert members_page.status_code == 302
    assert workspace.owner.email not in members_page.content.decode()


def test_password_of_workspace_a_does_not_log_in_on_workspace_b(workspace, other_workspace):
    # Given: the same person is a member of both, with a different password in each.
    add_member(workspace, email="alice@example.com", password="alice-password-in-acme")
    add_member(other_workspace, email="alice@example.com", password="alice-password-in-globex")
    browser_b = Client(HTTP_HOST=host_of(other_workspace))

    # When: she types A's password on B's login form.
    refused = browser_b.post(
        "/accounts/login/", {"login": "alice@example.com", "password": "alice-password-in-acme"}
    )

    # Then: B does not log her in; B's own password does.
    assert refused.status_code == 200
    assert not browser_b.get("/").wsgi_request.user.is_authenticated
    accepted = browser_b.post(
        "/accounts/login/", {"login": "alice@example.com", "password": "alice-password-in-globex"}
    )
    assert accepted.status_code == 302
    assert browser_b.get("/").wsgi_request.user.email == "alice@example.com"


def test_member_id_of_workspace_a_is_not_found_on_workspace_b(workspace, other_workspace):
    # Given: A has members with ids B has never used.
    add_member(workspace, email="alice@acme.example.com")
    bob = add_member(workspace, email="bob@acme.example.com")
    with schema_context(other_workspace.workspace.schema_name):
        assert not User.objects.filter(pk=bob.pk).exists()
    owner_b = logged_in_client(other_workspace)

    # When: B's owner acts on A's member id.
    deactivated = owner_b.post(f"/settings/members/{bob.pk}/deactivate/")
    promoted = owner_b.post(f"/settings/members/{bob.pk}/role/", {"role": Role.ADMIN})

    # Then: not found in B, and A's member is untouched.
    assert deactivated.status_code == 404
    assert promoted.status_code == 404
    with schema_context(workspace.workspace.schema_name):
        bob.refresh_from_db()
        assert bob.is_active
        assert bob.role == Role.MEMBER


def test_member_id_shared_by_both_workspaces_acts_only_on_workspace_b(workspace, other_workspace):
    # Given: id 2 is Alice in A and Carol in B.
    alice = add_member(workspace, email="alice@acme.example.com")
    carol = add_member(other_workspace, email="carol@globex.example.com")
    assert alice.pk == carol.pk
    owner_b = logged_in_client(other_workspace)

    # When: B's owner deactivates member 2.
    response = owner_b.post(f"/settings/members/{carol.pk}/deactivate/", follow=True)

    # Then: B's Carol is deactivated; A's Alice is not.
    assert response.status_code == 200
    with schema_context(other_workspace.workspace.schema_name):
        assert not User.objects.get(pk=carol.pk).is_active
    with schema_context(workspace.workspace.schema_name):
        assert User.objects.get(pk=alice.pk).is_active


def test_invitation_id_of_workspace_a_is_not_found_on_workspace_b(workspace, other_workspace):
    with schema_context(workspace.workspace.schema_name):
        invitation = member_actions.invite_member(
            acting_user=workspace.owner, email="new@acme.example.com", role=Role.MEMBER
        )
    owner_b = logged_in_client(other_workspace)

    response = owner_b.post(f"/settings/invitations/{invitation.pk}/revoke/")

    assert response.status_code == 404
    with schema_context(workspace.workspace.schema_name):
        invitation.refresh_from_db()
        assert invitation.revoked_at is None


def test_invitation_link_of_workspace_a_is_not_found_on_workspace_b(
    workspace, other_workspace, django_capture_on_commit_callbacks
):
    # Given: A invited someone, and the link is in their mailbox.
    with (
        schema_context(workspace.workspace.schema_name),
        django_capture_on_commit_callbacks(execute=True),
    ):
        member_actions.invite_member(
            acting_user=workspace.owner, email="new@example.com", role=Role.ADMIN
        )
    invitation_path = link_path_in_mail("new@example.com", "/invite/")
    assert Client(HTTP_HOST=host_of(workspace)).get(invitation_path).status_code == 200

    # When: the link is opened, and submitted, on B's host.
    browser_b = Client(HTTP_HOST=host_of(other_workspace))
    opened = browser_b.get(invitation_path)
    submitted = browser_b.post(
        invitation_path,
        {"full_name": "New", "password1": PASSWORD, "password2": PASSWORD},
    )

    # Then: B knows no such invitation and has no new member.
    assert opened.status_code == 404
    assert submitted.status_code == 404
    with schema_context(other_workspace.workspace.schema_name):
        assert not User.objects.filter(email__iexact="new@example.com").exists()


def test_password_reset_link_of_workspace_a_does_not_work_on_workspace_b(
    workspace, other_workspace
):
    # Given: A's owner asked A for a password reset link (B's owner has the same user id).
    browser_a = Client(HTTP_HOST=host_of(workspace))
    browser_a.post("/accounts/password/reset/", {"email": workspace.owner.email})
    reset_path = link_path_in_mail(workspace.owner.email, "/accounts/password/reset/key/")
    assert "token_fail" not in browser_a.get(reset_path, follow=True).context

    # When: the link is opened on B's host and a new password is submitted there.
    browser_b = Client(HTTP_HOST=host_of(other_workspace))
    opened = browser_b.get(reset_path, follow=True)
    browser_b.post(
        reset_path, {"password1": "a-new-secret-for-b-9", "password2": "a-new-secret-for-b-9"}
    )

    # Then: B says the link is invalid and nobody's password changed.
    assert opened.context["token_fail"] is True
    with schema_context(other_workspace.workspace.schema_name):
        assert User.objects.get(pk=other_workspace.owner.pk).check_password(PASSWORD)
    with schema_context(workspace.workspace.schema_name):
        assert User.objects.get(pk=workspace.owner.pk).check_password(PASSWORD)


def test_email_confirmation_link_of_workspace_a_confirms_nothing_on_workspace_b(
    workspace, other_workspace
):
    # Given: A's owner got the "confirm your e-mail" link after signup; B's owner's
    # address (the same row id in B) is unconfirmed too.
    browser_a = Client(HTTP_HOST=host_of(workspace))
    token = make_login_handoff(schema_name=workspace.workspace.schema_name, user=workspace.owner)
    welcome_into(browser_a, workspace, token)
    confirm_path = link_path_in_mail(workspace.owner.email, "/accounts/confirm-email/")

    # When: the link is submitted on B's host.
    response = Client(HTTP_HOST=host_of(other_workspace)).post(confirm_path)

    # Then: no address of B is confirmed, and the link still works where it belongs.
    assert response.status_code in (302, 404)
    with schema_context(other_workspace.workspace.schema_name):
        assert not EmailAddress.objects.filter(verified=True).exists()
    assert browser_a.post(confirm_path).status_code == 302
    with schema_context(workspace.workspace.schema_name):
        assert EmailAddress.objects.get(user=workspace.owner).verified


def test_login_handoff_of_workspace_a_does_not_log_in_on_workspace_b(workspace, other_workspace):
    token = make_login_handoff(schema_name=workspace.workspace.schema_name, user=workspace.owner)
    browser_b = Client(HTTP_HOST=host_of(other_workspace))

    response = welcome_into(browser_b, other_workspace, token)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not browser_b.get("/").wsgi_request.user.is_authenticated


# ------------------------------------------------------------ Celery, in a real worker


@pytest.fixture
def committed_workspaces(transactional_db, make_workspace) -> Iterator[tuple]:
    """Two committed workspaces a worker thread can see; their schemas are dropped after."""
    acme = make_workspace("acme", name="Acme")
    globex = make_workspace("globex", name="Globex")
    add_member(acme, email="alice@acme.example.com")
    add_member(globex, email="carol@globex.example.com")
    yield acme, globex
    drop_workspace_schemas(new.workspace.schema_name for new in (acme, globex))


@pytest.fixture
def worker_queue() -> Iterator[str]:
    with celery_worker() as queue:
        yield queue


def test_task_sent_from_workspace_a_reads_only_workspace_a(committed_workspaces, worker_queue):
    acme, _globex = committed_workspaces

    with schema_context(acme.workspace.schema_name):
        result = member_emails.apply_async(queue=worker_queue)
    seen = result.get(timeout=30)

    assert not isinstance(result, EagerResult)
    assert seen == ["alice@acme.example.com", "owner@acme.example.com"]


def test_task_with_workspace_b_header_reads_only_workspace_b(committed_workspaces, worker_queue):
    _acme, globex = committed_workspaces

    result = member_emails.apply_async(
        queue=worker_queue, headers={"_schema_name": globex.workspace.schema_name}
    )
    seen = result.get(timeout=30)

    assert not isinstance(result, EagerResult)
    assert seen == ["carol@globex.example.com", "owner@globex.example.com"]
