"""An invitation carries its sender's rights only while the sender has them (issue 6, point 3)."""

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenants.members import actions
from tenants.members.models import AuditEntry, Invitation, Role, User
from tests.conftest import PASSWORD, add_member, host_of
from tests.cross_workspace import link_path_in_mail

pytestmark = pytest.mark.django_db

INVITEE = "second@example.com"


def _invite_as(new, inviter: User, role: str, capture, email: str = INVITEE) -> str:  # type: ignore[no-untyped-def]
    """`inviter` invites `email`; returns the link's path from the e-mail."""
    with schema_context(new.workspace.schema_name), capture(execute=True):
        actions.invite_member(acting_user=inviter, email=email, role=role)
    return link_path_in_mail(email, "/invite/")


def _accept(new, path: str):  # type: ignore[no-untyped-def]
    browser = Client(HTTP_HOST=host_of(new), HTTP_ACCEPT_LANGUAGE="en")
    return browser.post(path, {"full_name": "Holder", "password1": PASSWORD, "password2": PASSWORD})


def _members_named(new, email: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with schema_context(new.workspace.schema_name):
        return list(User.objects.filter(email__iexact=email).values_list("email", "role"))


def test_deactivating_an_admin_revokes_their_open_invitations(
    workspace, django_capture_on_commit_callbacks
):
    admin = add_member(workspace, email="admin@acme.example.com", role=Role.ADMIN)
    path = _invite_as(workspace, admin, Role.ADMIN, django_capture_on_commit_callbacks)

    with schema_context(workspace.workspace.schema_name):
        actions.deactivate_member(acting_user=workspace.owner, member=admin)
    response = _accept(workspace, path)

    assert response.status_code == 404
    assert _members_named(workspace, INVITEE) == []
    with schema_context(workspace.workspace.schema_name):
        invitation = Invitation.objects.get(email=INVITEE)
        assert invitation.revoked_at is not None
        entry = AuditEntry.objects.get(action=AuditEntry.Action.INVITATION_REVOKED, target=INVITEE)
        assert entry.actor == workspace.owner
        assert entry.changes["reason"] == ["", "inviter_deactivated"]
        assert entry.changes["invited_by"] == ["admin@acme.example.com", ""]


def test_demoting_an_admin_revokes_their_open_invitations(
    workspace, django_capture_on_commit_callbacks
):
    admin = add_member(workspace, email="admin@acme.example.com", role=Role.ADMIN)
    path = _invite_as(workspace, admin, Role.ADMIN, django_capture_on_commit_callbacks)

    with schema_context(workspace.workspace.schema_name):
        actions.change_member_role(acting_user=workspace.owner, member=admin, role=Role.MEMBER)
    response = _accept(workspace, path)

    assert response.status_code == 404
    assert _members_named(workspace, INVITEE) == []
    with schema_context(workspace.workspace.schema_name):
        assert AuditEntry.objects.get(
            action=AuditEntry.Action.INVITATION_REVOKED, target=INVITEE
        ).changes["reason"] == ["", "inviter_role_changed"]


def test_demoting_an_owner_to_admin_revokes_only_their_owner_invitations(
    workspace, django_capture_on_commit_callbacks
):
    with schema_context(workspace.workspace.schema_name):
        second_owner = actions.change_member_role(
            acting_user=workspace.owner,
            member=add_member(workspace, email="co@acme.example.com"),
            role=Role.OWNER,
        )
    owner_link = _invite_as(
        workspace, second_owner, Role.OWNER, django_capture_on_commit_callbacks, "o@example.com"
    )
    member_link = _invite_as(
        workspace, second_owner, Role.MEMBER, django_capture_on_commit_callbacks, "m@example.com"
    )

    with schema_context(workspace.workspace.schema_name):
        actions.change_member_role(
            acting_user=workspace.owner, member=second_owner, role=Role.ADMIN
        )

    assert _accept(workspace, owner_link).status_code == 404
    assert _accept(workspace, member_link).status_code == 302
    assert _members_named(workspace, "o@example.com") == []
    assert _members_named(workspace, "m@example.com") == [("m@example.com", Role.MEMBER)]


def test_acceptance_checks_the_inviter_still_may_invite_that_role(
    workspace, django_capture_on_commit_callbacks
):
    # However the inviter lost the right (here: a direct change nobody audited), the link stops.
    admin = add_member(workspace, email="admin@acme.example.com", role=Role.ADMIN)
    path = _invite_as(workspace, admin, Role.ADMIN, django_capture_on_commit_callbacks)
    with schema_context(workspace.workspace.schema_name):
        User.objects.filter(pk=admin.pk).update(role=Role.MEMBER)

    shown = Client(HTTP_HOST=host_of(workspace)).get(path)
    response = _accept(workspace, path)

    assert shown.status_code == 404
    assert response.status_code == 404
    assert _members_named(workspace, INVITEE) == []


def test_reactivating_the_inviter_does_not_bring_revoked_invitations_back(
    workspace, django_capture_on_commit_callbacks
):
    admin = add_member(workspace, email="admin@acme.example.com", role=Role.ADMIN)
    path = _invite_as(workspace, admin, Role.MEMBER, django_capture_on_commit_callbacks)
    with schema_context(workspace.workspace.schema_name):
        actions.deactivate_member(acting_user=workspace.owner, member=admin)
        actions.reactivate_member(acting_user=workspace.owner, member=admin)

    assert _accept(workspace, path).status_code == 404


def test_deactivating_a_member_leaves_other_admins_invitations_open(
    workspace, django_capture_on_commit_callbacks
):
    admin = add_member(workspace, email="admin@acme.example.com", role=Role.ADMIN)
    path = _invite_as(workspace, workspace.owner, Role.ADMIN, django_capture_on_commit_callbacks)

    with schema_context(workspace.workspace.schema_name):
        actions.deactivate_member(acting_user=workspace.owner, member=admin)

    assert _accept(workspace, path).status_code == 302
    assert _members_named(workspace, INVITEE) == [(INVITEE, Role.ADMIN)]
