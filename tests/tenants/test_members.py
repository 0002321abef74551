"""Managing members from /settings/members/: roles, deactivation, reactivation, the audit trail."""

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django_tenants.utils import schema_context

from tenants.members import actions
from tenants.members.models import AuditEntry, Invitation, Role, User
from tenants.models import MemberDirectoryEntry
from tests.conftest import PASSWORD, add_member, host_of

pytestmark = pytest.mark.django_db

BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


def _client_for(member, workspace) -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_HOST=host_of(workspace))
    with schema_context(workspace.workspace.schema_name):
        client.force_login(member, backend=BACKEND)
    return client


def _fresh(member, workspace) -> User:  # type: ignore[no-untyped-def]
    with schema_context(workspace.workspace.schema_name):
        return User.objects.get(pk=member.pk)


def _directory_entry(member, workspace) -> MemberDirectoryEntry:  # type: ignore[no-untyped-def]
    return MemberDirectoryEntry.objects.get(workspace=workspace.workspace, user_id=member.pk)


def _sessions_of(member, workspace) -> int:  # type: ignore[no-untyped-def]
    with schema_context(workspace.workspace.schema_name):
        return sum(
            1
            for session in Session.objects.all()
            if str(session.get_decoded().get("_auth_user_id")) == str(member.pk)
        )


def _audit(workspace, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with schema_context(workspace.workspace.schema_name):
        return list(AuditEntry.objects.filter(action=action).select_related("actor"))


def _page_text(client: Client) -> str:
    return client.get("/settings/members/").content.decode()


def test_members_page_lists_members_with_roles_and_status(workspace, owner_client):
    add_member(workspace, email="ann@acme.example.com", role="admin")
    gone = add_member(workspace, email="bob@acme.example.com")
    with schema_context(workspace.workspace.schema_name):
        actions.deactivate_member(acting_user=workspace.owner, member=gone)

    response = owner_client.get("/settings/members/")

    assert response.status_code == 200
    listed = [(m.email, m.role, m.is_active) for m in response.context["members"]]
    assert sorted(listed[:2]) == [
        ("ann@acme.example.com", "admin", True),
        ("owner@acme.example.com", "owner", True),
    ]
    assert listed[2] == ("bob@acme.example.com", "member", False), "active members come first"
    content = response.content.decode()
    assert "Deactivated" in content
    assert f'action="/settings/members/{gone.pk}/reactivate/"' in content


def test_owner_changes_a_members_role(workspace, owner_client):
    member = add_member(workspace, email="ann@acme.example.com")

    response = owner_client.post(
        f"/settings/members/{member.pk}/role/", {"role": "admin"}, follow=True
    )

    assert response.status_code == 200
    assert "ann is now Admin." in response.content.decode()
    assert _fresh(member, workspace).role == Role.ADMIN
    assert _client_for(member, workspace).get("/settings/members/").status_code == 200


def test_role_change_writes_audit_entry_and_syncs_directory(workspace, owner_client):
    member = add_member(workspace, email="ann@acme.example.com")

    owner_client.post(f"/settings/members/{member.pk}/role/", {"role": "admin"})

    [entry] = _audit(workspace, AuditEntry.Action.ROLE_CHANGED)
    assert entry.actor == workspace.owner
    assert entry.target == "ann@acme.example.com"
    assert entry.changes == {"role": ["member", "admin"]}
    assert _directory_entry(member, workspace).role == "admin"


def test_setting_the_same_role_writes_nothing(workspace, owner_client):
    member = add_member(workspace, email="ann@acme.example.com", role="admin")

    owner_client.post(f"/settings/members/{member.pk}/role/", {"role": "admin"})

    assert _audit(workspace, AuditEntry.Action.ROLE_CHANGED) == []


def test_unknown_role_is_refused(workspace, owner_client):
    member = add_member(workspace, email="ann@acme.example.com")

    response = owner_client.post(
        f"/settings/members/{member.pk}/role/", {"role": "god"}, follow=True
    )

    assert "Unknown role." in response.content.decode()
    assert _fresh(member, workspace).role == Role.MEMBER


def test_last_owner_cannot_be_demoted(workspace, owner_client):
    owner = workspace.owner

    response = owner_client.post(
        f"/settings/members/{owner.pk}/role/", {"role": "admin"}, follow=True
    )

    assert response.status_code == 200
    assert "is the last owner. Make someone else an owner first." in response.content.decode()
    assert _fresh(owner, workspace).role == Role.OWNER
    assert _directory_entry(owner, workspace).role == "owner"
    assert _audit(workspace, AuditEntry.Action.ROLE_CHANGED) == []


def test_last_active_owner_cannot_be_demoted_while_other_owner_is_deactivated(
    workspace, owner_client
):
    other_owner = add_member(workspace, email="co@acme.example.com", role="owner")
    with schema_context(workspace.workspace.schema_name):
        actions.deactivate_member(acting_user=workspace.owner, member=other_owner)

    response = owner_client.post(
        f"/settings/members/{workspace.owner.pk}/role/", {"role": "member"}, follow=True
    )

    assert "is the last owner." in response.content.decode()
    assert _fresh(workspace.owner, workspace).role == Role.OWNER


def test_owner_can_step_down_when_another_owner_remains(workspace, owner_client):
    add_member(workspace, email="co@acme.example.com", role="owner")

    owner_client.post(f"/settings/members/{workspace.owner.pk}/role/", {"role": "admin"})

    assert _fresh(workspace.owner, workspace).role == Role.ADMIN


def test_last_owner_cannot_be_deactivated(workspace, owner_client):
    owner = workspace.owner

    response = owner_client.post(f"/settings/members/{owner.pk}/deactivate/", follow=True)

    assert response.status_code == 200
    assert "You cannot deactivate yourself." in response.content.decode()
    assert _fresh(owner, workspace).is_active
    assert _audit(workspace, AuditEntry.Action.MEMBER_DEACTIVATED) == []


def test_last_owner_cannot_be_deactivated_by_an_admin(workspace):
    admin = add_member(workspace, email="admin@acme.example.com", role="admin")

    response = _client_for(admin, workspace).post(
        f"/settings/members/{workspace.owner.pk}/deactivate/", follow=True
    )

    assert "Only owners can change another owner." in response.content.decode()
    assert _fresh(workspace.owner, workspace).is_active


def test_admin_cannot_change_an_owners_role(workspace):
    admin = add_member(workspace, email="admin@acme.example.com", role="admin")
    add_member(workspace, email="co@acme.example.com", role="owner")

    response = _client_for(admin, workspace).post(
        f"/settings/members/{workspace.owner.pk}/role/", {"role": "member"}, follow=True
    )

    assert "Only owners can change another owner." in response.content.decode()
    assert _fresh(workspace.owner, workspace).role == Role.OWNER


def test_admin_cannot_deactivate_an_owner_even_when_others_remain(workspace):
    admin = add_member(workspace, email="admin@acme.example.com", role="admin")
    co_owner = add_member(workspace, email="co@acme.example.com", role="owner")

    response = _client_for(admin, workspace).post(
        f"/settings/members/{co_owner.pk}/deactivate/", follow=True
    )

    assert "Only owners can change another owner." in response.content.decode()
    assert _fresh(co_owner, workspace).is_active


def test_admin_cannot_make_someone_an_owner(workspace):
    admin = add_member(workspace, email="admin@acme.example.com", role="admin")
    member = add_member(workspace, email="ann@acme.example.com")

    response = _client_for(admin, workspace).post(
        f"/settings/members/{member.pk}/role/", {"role": "owner"}, follow=True
    )

    assert "Only owners can make someone an owner." in response.content.decode()
    assert _fresh(member, workspace).role == Role.MEMBER


def test_admin_manages_members_and_other_admins(workspace):
    admin = add_member(workspace, email="admin@acme.example.com", role="admin")
    other_admin = add_member(workspace, email="admin2@acme.example.com", role="admin")
    member = add_member(workspace, email="ann@acme.example.com")
    client = _client_for(admin, workspace)

    client.post(f"/settings/members/{member.pk}/role/", {"role": "admin"})
    client.post(f"/settings/members/{other_admin.pk}/deactivate/")

    assert _fresh(member, workspace).role == Role.ADMIN
    assert not _fresh(other_admin, workspace).is_active


def test_member_gets_403_on_every_member_action(workspace):
    member = add_member(workspace, email="ann@acme.example.com")
    other = add_member(workspace, email="bob@acme.example.com")
    client = _client_for(member, workspace)

    responses = [
        client.post(f"/settings/members/{other.pk}/role/", {"role": "admin"}),
        client.post(f"/settings/members/{member.pk}/role/", {"role": "owner"}),
        client.post(f"/settings/members/{other.pk}/deactivate/"),
        client.post(f"/settings/members/{other.pk}/reactivate/"),
    ]

    assert [response.status_code for response in responses] == [403, 403, 403, 403]
    assert _fresh(other, workspace).role == Role.MEMBER
    assert _fresh(other, workspace).is_active
    assert _fresh(member, workspace).role == Role.MEMBER


def test_member_actions_accept_only_post(workspace, owner_client):
    member = add_member(workspace, email="ann@acme.example.com")

    response = owner_client.get(f"/settings/members/{member.pk}/deactivate/")

    assert response.status_code == 405
    assert _fresh(member, workspace).is_active


def test_action_on_unknown_member_is_404(owner_client):
    response = owner_client.post("/settings/members/999999/deactivate/")

    assert response.status_code == 404


def test_deactivated_member_is_logged_out_everywhere_at_once(workspace, owner_client):
    member = add_member(workspace, email="ann@acme.example.com")
    laptop = _client_for(member, workspace)
    phone = Client(HTTP_HOST=host_of(workspace))
    phone.post("/accounts/login/", {"login": "ann@acme.example.com", "password": PASSWORD})
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 200
    assert _sessions_of(member, workspace) == 2

    response = owner_client.post(f"/settings/members/{member.pk}/deactivate/", follow=True)

    assert "ann is deactivated and logged out everywhere." in response.content.decode()
    assert _sessions_of(member, workspace) == 0
    for browser in (laptop, phone):
        again = browser.get("/")
        assert again.status_code == 302
        assert again["Location"].startswith("/accounts/login/")
    assert owner_client.get("/").status_code == 200


def test_deactivated_member_cannot_log_in(workspace, owner_client):
    member = add_member(workspace, email="ann@acme.example.com")
    owner_client.post(f"/settings/members/{member.pk}/deactivate/")
    browser = Client(HTTP_HOST=host_of(workspace))

    response = browser.post(
        "/accounts/login/", {"login": "ann@acme.example.com", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/inactive/"
    assert browser.get("/").status_code == 302


def test_deactivation_deletes_nothing_the_member_created(
    workspace, owner_client, django_capture_on_commit_callbacks
):
    admin = add_member(workspace, email="admin@acme.example.com", role="admin")
    with (
        schema_context(workspace.workspace.schema_name),
        django_capture_on_commit_callbacks(execute=True),
    ):
        invitation = actions.invite_member(
            acting_user=admin, email="friend@acme.example.com", role="member"
        )

    owner_client.post(f"/settings/members/{admin.pk}/deactivate/")

    with schema_context(workspace.workspace.schema_name):
        kept = User.objects.get(pk=admin.pk)
        assert not kept.is_active
        assert kept.deactivated_at is not None
        assert kept.role == Role.ADMIN
        assert Invitation.objects.get(pk=invitation.pk).invited_by_id == admin.pk
        authored = set(AuditEntry.objects.filter(actor=admin).values_list("action", flat=True))
        assert authored == {AuditEntry.Action.MEMBER_JOINED, AuditEntry.Action.MEMBER_INVITED}
    assert "admin@acme.example.com" in _page_text(owner_client)


def test_deactivation_writes_audit_entry_and_syncs_directory(workspace, owner_client):
    member = add_member(workspace, email="ann@acme.example.com")

    owner_client.post(f"/settings/members/{member.pk}/deactivate/")

    [entry] = _audit(workspace, AuditEntry.Action.MEMBER_DEACTIVATED)
    assert (entry.actor, entry.target) == (workspace.owner, "ann@acme.example.com")
    assert _directory_entry(member, workspace).is_active is False


def test_reactivated_member_logs_in_again_with_the_same_role(workspace, owner_client):
    member = add_member(workspace, email="ann@acme.example.com", role="admin")
    owner_client.post(f"/settings/members/{member.pk}/deactivate/")

    response = owner_client.post(f"/settings/members/{member.pk}/reactivate/", follow=True)

    assert "ann can log in again." in response.content.decode()
    browser = Client(HTTP_HOST=host_of(workspace))
    browser.post("/accounts/login/", {"login": "ann@acme.example.com", "password": PASSWORD})
    assert browser.get("/").context["user"].email == "ann@acme.example.com"
    assert browser.get("/settings/members/").status_code == 200
    refreshed = _fresh(member, workspace)
    assert refreshed.is_active
    assert refreshed.deactivated_at is None


def test_reactivation_writes_audit_entry_and_syncs_directory(workspace, owner_client):
    member = add_member(workspace, email="ann@acme.example.com")
    owner_client.post(f"/settings/members/{member.pk}/deactivate/")

    owner_client.post(f"/settings/members/{member.pk}/reactivate/")

    [entry] = _audit(workspace, AuditEntry.Action.MEMBER_REACTIVATED)
    assert (entry.actor, entry.target) == (workspace.owner, "ann@acme.example.com")
    assert _directory_entry(member, workspace).is_active is True


def test_admin_cannot_reactivate_an_owner(workspace, owner_client):
    co_owner = add_member(workspace, email="co@acme.example.com", role="owner")
    admin = add_member(workspace, email="admin@acme.example.com", role="admin")
    owner_client.post(f"/settings/members/{co_owner.pk}/deactivate/")

    response = _client_for(admin, workspace).post(
        f"/settings/members/{co_owner.pk}/reactivate/", follow=True
    )

    assert "Only owners can change another owner." in response.content.decode()
    assert not _fresh(co_owner, workspace).is_active


def test_directory_lists_every_member_with_role_and_status(workspace, owner_client):
    member = add_member(workspace, email="ann@acme.example.com", role="admin")
    owner_client.post(f"/settings/members/{member.pk}/deactivate/")

    rows = set(
        MemberDirectoryEntry.objects.filter(workspace=workspace.workspace).values_list(
            "email", "role", "is_active"
        )
    )

    assert rows == {
        ("owner@acme.example.com", "owner", True),
        ("ann@acme.example.com", "admin", False),
    }


def test_members_page_query_count_does_not_grow_with_members(
    workspace, owner_client, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    for number in range(8):
        add_member(workspace, email=f"m{number}@acme.example.com", role="admin")
    for number in range(5):
        with (
            schema_context(workspace.workspace.schema_name),
            django_capture_on_commit_callbacks(execute=True),
        ):
            actions.invite_member(
                acting_user=workspace.owner, email=f"i{number}@acme.example.com", role="member"
            )
    mail.outbox.clear()

    owner_client.get("/settings/members/")  # the bell's unread count is cached from here on
    # Routing (3), session, user, members, invitations: 7, whatever the number of rows.
    with django_assert_max_num_queries(8):
        response = owner_client.get("/settings/members/")

    assert response.status_code == 200
    assert len(response.context["members"]) == 9
    assert len(response.context["invitations"]) == 5


def test_admin_who_demotes_themselves_lands_on_home_not_a_403(workspace):
    admin = add_member(workspace, email="admin@acme.example.com", role="admin")
    client = Client(HTTP_HOST=host_of(workspace))
    with schema_context(workspace.workspace.schema_name):
        client.force_login(admin, backend="allauth.account.auth_backends.AuthenticationBackend")

    response = client.post(f"/settings/members/{admin.pk}/role/", {"role": "member"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    with schema_context(workspace.workspace.schema_name):
        admin.refresh_from_db()
        assert admin.role == "member"


def test_housekeeping_removes_expired_sessions_and_keeps_live_ones(workspace):
    from datetime import timedelta

    from django.utils import timezone

    from tenants.members.tasks import clear_expired_sessions

    with schema_context(workspace.workspace.schema_name):
        Session.objects.create(
            session_key="expired", session_data="", expire_date=timezone.now() - timedelta(days=1)
        )
        Session.objects.create(
            session_key="live", session_data="", expire_date=timezone.now() + timedelta(days=1)
        )

        deleted = clear_expired_sessions.apply().get()

        assert deleted == 1
        assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
