"""Inviting people into a workspace from /settings/members/ and accepting the e-mailed link."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.members import actions
from tenants.members.models import AuditEntry, Invitation, Role, User
from tenants.models import MemberDirectoryEntry
from tests.conftest import PASSWORD, add_member, host_of

pytestmark = pytest.mark.django_db

INVITEE = "newcomer@acme.example.com"
NOT_VALID = "This invitation is not valid"


def _invite(client: Client, capture, email: str = INVITEE, role: str = "member"):  # type: ignore[no-untyped-def]
    """Submit the invite form; the e-mail goes out when the request's transaction commits."""
    with capture(execute=True):
        return client.post("/settings/members/", {"email": email, "role": role})


def _invitation_path(email: str = INVITEE) -> str:
    """The accept link of the newest invitation e-mail to `email`, checked to be on acme's host."""
    for message in reversed(mail.outbox):
        if message.to == [email]:
            match = re.search(r"http://acme\.localhost(?::\d+)?(/invite/[^/\s]+/)", message.body)
            assert match is not None, message.body
            return match.group(1)
    raise AssertionError(f"no invitation e-mail to {email}")


def _accept(client: Client, path: str, name: str = "New Comer", password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(path, {"full_name": name, "password1": password, "password2": password})


def _client_for(member, workspace) -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_HOST=host_of(workspace))
    with schema_context(workspace.workspace.schema_name):
        client.force_login(member, backend="allauth.account.auth_backends.AuthenticationBackend")
    return client


def test_admin_invites_by_email_and_the_link_is_on_the_workspace_host(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    response = _invite(owner_client, django_capture_on_commit_callbacks, role="admin")

    assert response.status_code == 302
    assert response["Location"] == "/settings/members/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [INVITEE]
    assert message.subject == "You are invited to a workspace on Kartoteka"
    assert "“Acme”" in message.body
    assert "as Admin" in message.body
    assert _invitation_path().startswith("/invite/")
    page = owner_client.get("/settings/members/")
    assert f"Invitation sent to {INVITEE}." in page.content.decode()
    assert INVITEE in page.content.decode()


def test_invitation_writes_audit_entry_by_the_inviter(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    _invite(owner_client, django_capture_on_commit_callbacks, role="admin")

    with schema_context(workspace.workspace.schema_name):
        entry = AuditEntry.objects.get(action=AuditEntry.Action.MEMBER_INVITED)
        assert entry.actor == workspace.owner
        assert entry.target == INVITEE
        assert entry.changes == {"role": [None, "admin"]}
        invitation = Invitation.objects.get()
        assert invitation.invited_by == workspace.owner
        assert invitation.role == Role.ADMIN


def test_invitation_page_shows_form_with_inviter_and_role(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    _invite(owner_client, django_capture_on_commit_callbacks, role="admin")
    visitor = Client(HTTP_HOST=host_of(workspace))

    page = visitor.get(_invitation_path())

    assert page.status_code == 200
    content = page.content.decode()
    assert "Join Acme" in content
    assert f"{workspace.owner.email} invited you as Admin." in content
    assert f'value="{INVITEE}" readonly' in content
    assert 'name="password1"' in content


@pytest.mark.parametrize("role", ["owner", "admin", "member"])
def test_accepting_invitation_logs_new_member_in_with_invited_role(
    workspace, owner_client, django_capture_on_commit_callbacks, role
):
    _invite(owner_client, django_capture_on_commit_callbacks, role=role)
    visitor = Client(HTTP_HOST=host_of(workspace))

    response = _accept(visitor, _invitation_path())

    assert response.status_code == 302
    assert response["Location"] == "/"
    home = visitor.get("/")
    assert home.status_code == 200
    assert home.context["user"].email == INVITEE
    assert "Welcome! You have joined Acme." in home.content.decode()
    with schema_context(workspace.workspace.schema_name):
        member = User.objects.get(email=INVITEE)
        assert member.role == role
        assert member.full_name == "New Comer"
        assert member.emailaddress_set.get().verified
    settings_page = visitor.get("/settings/members/")
    assert settings_page.status_code == (403 if role == "member" else 200)


def test_new_member_can_log_in_later_with_chosen_password(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    _invite(owner_client, django_capture_on_commit_callbacks)
    _accept(Client(HTTP_HOST=host_of(workspace)), _invitation_path(), password="my-own-secret-77")
    browser = Client(HTTP_HOST=host_of(workspace))

    response = browser.post("/accounts/login/", {"login": INVITEE, "password": "my-own-secret-77"})

    assert response.status_code == 302
    assert browser.get("/").context["user"].email == INVITEE


def test_accepting_writes_joined_audit_entry_and_directory_entry(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    _invite(owner_client, django_capture_on_commit_callbacks, role="admin")

    _accept(Client(HTTP_HOST=host_of(workspace)), _invitation_path())

    with schema_context(workspace.workspace.schema_name):
        member = User.objects.get(email=INVITEE)
        joined = AuditEntry.objects.get(action=AuditEntry.Action.MEMBER_JOINED)
        assert joined.actor == member
        assert joined.changes == {"role": [None, "admin"]}
        invitation = Invitation.objects.get()
        assert invitation.accepted_by == member
        assert invitation.accepted_at is not None
    entry = MemberDirectoryEntry.objects.get(workspace=workspace.workspace, user_id=member.pk)
    assert (entry.email, entry.role, entry.is_active) == (INVITEE, "admin", True)


def test_accept_form_with_mismatched_passwords_shows_error(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    _invite(owner_client, django_capture_on_commit_callbacks)
    visitor = Client(HTTP_HOST=host_of(workspace))

    response = visitor.post(
        _invitation_path(),
        {"full_name": "New Comer", "password1": PASSWORD, "password2": PASSWORD + "x"},
    )

    assert response.status_code == 200
    assert "The two passwords do not match." in response.content.decode()
    with schema_context(workspace.workspace.schema_name):
        assert not User.objects.filter(email=INVITEE).exists()


def test_accept_form_rejects_a_weak_password(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    _invite(owner_client, django_capture_on_commit_callbacks)
    visitor = Client(HTTP_HOST=host_of(workspace))

    response = _accept(visitor, _invitation_path(), password="12345678")

    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    with schema_context(workspace.workspace.schema_name):
        assert not User.objects.filter(email=INVITEE).exists()


def test_invitation_link_is_single_use(workspace, owner_client, django_capture_on_commit_callbacks):
    _invite(owner_client, django_capture_on_commit_callbacks)
    path = _invitation_path()
    _accept(Client(HTTP_HOST=host_of(workspace)), path)
    second_visitor = Client(HTTP_HOST=host_of(workspace))

    shown = second_visitor.get(path)
    posted = _accept(second_visitor, path, name="Impostor")

    assert shown.status_code == 404
    assert NOT_VALID in shown.content.decode()
    assert posted.status_code == 404
    with schema_context(workspace.workspace.schema_name):
        assert User.objects.filter(email__iexact=INVITEE).count() == 1
        assert not User.objects.filter(full_name="Impostor").exists()


def test_revoked_invitation_link_is_not_valid(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    _invite(owner_client, django_capture_on_commit_callbacks)
    path = _invitation_path()
    with schema_context(workspace.workspace.schema_name):
        invitation = Invitation.objects.get()

    revoked = owner_client.post(f"/settings/invitations/{invitation.pk}/revoke/", follow=True)

    assert f"The invitation for {INVITEE} was revoked." in revoked.content.decode()
    visitor = Client(HTTP_HOST=host_of(workspace))
    assert visitor.get(path).status_code == 404
    assert NOT_VALID in visitor.get(path).content.decode()
    assert _accept(visitor, path).status_code == 404
    with schema_context(workspace.workspace.schema_name):
        entry = AuditEntry.objects.get(action=AuditEntry.Action.INVITATION_REVOKED)
        assert (entry.actor, entry.target) == (workspace.owner, INVITEE)
        assert not User.objects.filter(email=INVITEE).exists()


def test_expired_invitation_link_is_not_valid(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    _invite(owner_client, django_capture_on_commit_callbacks)
    path = _invitation_path()
    with schema_context(workspace.workspace.schema_name):
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    visitor = Client(HTTP_HOST=host_of(workspace))

    shown = visitor.get(path)

    assert shown.status_code == 404
    assert NOT_VALID in shown.content.decode()
    assert _accept(visitor, path).status_code == 404
    assert "Expired" in owner_client.get("/settings/members/").content.decode()


def test_unknown_invitation_link_is_not_valid(workspace):
    visitor = Client(HTTP_HOST=host_of(workspace))

    response = visitor.get("/invite/not-a-real-token/")

    assert response.status_code == 404
    assert NOT_VALID in response.content.decode()


def test_reinviting_replaces_the_old_link(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    _invite(owner_client, django_capture_on_commit_callbacks, role="member")
    old_path = _invitation_path()

    _invite(owner_client, django_capture_on_commit_callbacks, role="admin")

    new_path = _invitation_path()
    assert new_path != old_path
    visitor = Client(HTTP_HOST=host_of(workspace))
    assert visitor.get(old_path).status_code == 404
    assert visitor.get(new_path).status_code == 200
    _accept(visitor, new_path)
    with schema_context(workspace.workspace.schema_name):
        assert User.objects.get(email=INVITEE).role == Role.ADMIN
        assert Invitation.objects.filter(revoked_at__isnull=True).count() == 1


def test_reinviting_lists_one_pending_invitation(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    _invite(owner_client, django_capture_on_commit_callbacks)
    _invite(owner_client, django_capture_on_commit_callbacks, email=INVITEE.upper())

    page = owner_client.get("/settings/members/")

    assert len(page.context["invitations"]) == 1


def test_inviting_an_existing_member_gives_a_form_error(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    add_member(workspace, email="already@acme.example.com")
    mail.outbox.clear()

    response = _invite(
        owner_client, django_capture_on_commit_callbacks, email="Already@acme.example.com"
    )

    assert response.status_code == 200
    assert "Already@acme.example.com is already a member of this workspace." in (
        response.content.decode()
    )
    assert response.context["invite_form"].errors["email"]
    assert mail.outbox == []
    with schema_context(workspace.workspace.schema_name):
        assert not Invitation.objects.filter(accepted_at__isnull=True).exists()


def test_inviting_a_deactivated_member_says_to_reactivate(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    member = add_member(workspace, email="gone@acme.example.com")
    with schema_context(workspace.workspace.schema_name):
        actions.deactivate_member(acting_user=workspace.owner, member=member)
    mail.outbox.clear()

    response = _invite(
        owner_client, django_capture_on_commit_callbacks, email="gone@acme.example.com"
    )

    assert response.status_code == 200
    assert "is a deactivated member: reactivate them instead." in response.content.decode()
    assert mail.outbox == []


def test_inviting_an_invalid_address_gives_a_form_error(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    response = _invite(owner_client, django_capture_on_commit_callbacks, email="not-an-email")

    assert response.status_code == 200
    assert response.context["invite_form"].errors["email"]
    assert mail.outbox == []


def test_inviting_with_an_unknown_role_gives_a_form_error(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    response = _invite(owner_client, django_capture_on_commit_callbacks, role="superuser")

    assert response.status_code == 200
    assert response.context["invite_form"].errors["role"]
    assert mail.outbox == []


def test_member_gets_403_on_members_page(workspace, django_capture_on_commit_callbacks):
    member = add_member(workspace, email="plain@acme.example.com", role="member")
    mail.outbox.clear()
    client = _client_for(member, workspace)

    shown = client.get("/settings/members/")
    posted = _invite(client, django_capture_on_commit_callbacks)

    assert shown.status_code == 403
    assert posted.status_code == 403
    assert mail.outbox == []
    with schema_context(workspace.workspace.schema_name):
        assert not Invitation.objects.filter(email=INVITEE).exists()


def test_visitor_is_sent_to_login_from_members_page(workspace):
    response = Client(HTTP_HOST=host_of(workspace)).get("/settings/members/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_admin_can_invite_admins_and_members(workspace, django_capture_on_commit_callbacks):
    admin = add_member(workspace, email="admin@acme.example.com", role="admin")
    client = _client_for(admin, workspace)

    _invite(client, django_capture_on_commit_callbacks, email="a@acme.example.com", role="admin")
    _invite(client, django_capture_on_commit_callbacks, email="m@acme.example.com", role="member")

    with schema_context(workspace.workspace.schema_name):
        invited = dict(Invitation.objects.filter(invited_by=admin).values_list("email", "role"))
    assert invited == {"a@acme.example.com": "admin", "m@acme.example.com": "member"}


def test_only_owners_can_invite_owners(workspace, django_capture_on_commit_callbacks):
    admin = add_member(workspace, email="admin@acme.example.com", role="admin")
    mail.outbox.clear()
    client = _client_for(admin, workspace)

    response = _invite(client, django_capture_on_commit_callbacks, role="owner")

    assert response.status_code == 200
    # The form does not offer "Owner" to an admin, and refuses it when sent anyway.
    assert "Select a valid choice" in response.content.decode()
    assert response.context["invite_form"].fields["role"].choices == [
        ("admin", "Admin"),
        ("member", "Member"),
    ]
    assert mail.outbox == []
    with schema_context(workspace.workspace.schema_name):
        assert not Invitation.objects.filter(email=INVITEE).exists()


def test_logged_in_person_following_an_invitation_is_asked_to_log_out(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    _invite(owner_client, django_capture_on_commit_callbacks)

    page = owner_client.get(_invitation_path())

    assert page.status_code == 200
    assert f"This invitation is for {INVITEE}." in page.content.decode()
    with schema_context(workspace.workspace.schema_name):
        assert Invitation.objects.get().accepted_at is None
