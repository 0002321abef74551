"""A read-only workspace refuses every write path it has, keeps reads, and costs no query."""

import contextlib
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context, tenant_context

from billing import actions
from billing.models import OperatorAction, Plan, SeatLedgerEntry, SubscriptionStatus
from tenants.guards import WorkspaceReadOnlyError, ensure_workspace_writable
from tenants.members import actions as member_actions
from tenants.members.models import Invitation, User
from tenants.models import Workspace, WorkspaceStatus
from tests.billing.conftest import admin_client, subscription
from tests.conftest import add_member
from tests.tenants.tasks_for_tests import member_emails

pytestmark = pytest.mark.django_db


@pytest.fixture
def read_only(workspace):  # type: ignore[no-untyped-def]
    """`workspace`, with a member and an open invitation, after its trial ran out."""
    member = add_member(workspace, email="ann@acme.example.com")
    with schema_context(workspace.workspace.schema_name):
        member_actions.invite_member(
            acting_user=workspace.owner, email="later@example.com", role="member"
        )
    actions.expire_trials(now=subscription(workspace).trial_ends_at + timedelta(seconds=1))
    workspace.workspace.refresh_from_db()
    assert workspace.workspace.status == WorkspaceStatus.READ_ONLY
    return workspace, member


WRITE_REQUESTS = [
    ("/settings/members/", {"email": "bob@example.com", "role": "member"}),
    ("/settings/workspace/", {"name": "Changed", "default_country": "RU"}),
    ("/account/", {}),
]


def test_every_write_request_is_refused_with_a_way_to_subscribe_for_admins(read_only):
    read_only, member = read_only
    client = admin_client(read_only)
    member_id = member.pk
    with schema_context(read_only.workspace.schema_name):
        invitation_id = Invitation.objects.get(email="later@example.com").pk
    paths = [
        *WRITE_REQUESTS,
        (f"/settings/members/{member_id}/role/", {"role": "admin"}),
        (f"/settings/members/{member_id}/reactivate/", {}),
        (f"/settings/invitations/{invitation_id}/revoke/", {}),
        ("/accounts/email/", {"email": "x@example.com", "action_add": ""}),
        ("/accounts/password/change/", {"oldpassword": "a", "password1": "b", "password2": "b"}),
    ]
    for path, data in paths:
        response = client.post(path, data)
        assert response.status_code == 403, path
        text = response.content.decode()
        assert "read-only" in text, path
        assert "/settings/billing/" in text, path

    api_style = client.post("/settings/members/", {}, HTTP_ACCEPT="application/json")
    assert api_style.json()["code"] == "read_only"
    with schema_context(read_only.workspace.schema_name):
        assert Invitation.objects.filter(email="bob@example.com").count() == 0
        assert User.objects.get(pk=member_id).role == "member"
    assert Workspace.objects.get(pk=read_only.workspace.pk).name == "Acme"


def test_a_member_is_told_to_ask_an_admin(read_only):
    from tests.cross_workspace import logged_in_client

    read_only, member = read_only
    client = logged_in_client(read_only, member)
    refused = client.post("/account/", {})
    assert refused.status_code == 403
    assert "Ask an admin of this workspace to subscribe." in refused.content.decode()
    assert "/settings/billing/" not in refused.content.decode()
    response = client.post("/settings/language/", {"language": "uk"})
    assert response.status_code == 302  # the language switch still works


def test_reads_login_logout_and_billing_keep_working(read_only):
    read_only, _member = read_only
    client = admin_client(read_only)

    for path in ("/", "/settings/members/", "/settings/workspace/", "/settings/billing/"):
        response = client.get(path)
        assert response.status_code == 200, path
    assert "This workspace is read-only" in client.get("/").content.decode()
    assert client.post("/accounts/logout/").status_code == 302
    from django.test import Client

    from tests.conftest import PASSWORD, host_of

    fresh = Client(HTTP_HOST=host_of(read_only))
    login = fresh.post(
        "/accounts/login/", {"login": "owner@acme.example.com", "password": PASSWORD}
    )
    assert login.status_code == 302


def test_actions_and_write_tasks_refuse_while_reads_run(read_only):
    read_only, _member = read_only
    with tenant_context(read_only.workspace):
        with pytest.raises(WorkspaceReadOnlyError):
            ensure_workspace_writable()
        with pytest.raises(WorkspaceReadOnlyError):
            member_actions.invite_member(
                acting_user=read_only.owner, email="x@example.com", role="member"
            )
        from tests.tenants.tasks_for_tests import schema_seen_by_task

        # A task that writes (the default) is refused; one that only reads runs.
        with pytest.raises(WorkspaceReadOnlyError):
            schema_seen_by_task.delay().get()
    assert member_emails.writes is True


def test_guard_costs_no_query_on_a_loaded_workspace(read_only):
    read_only, _member = read_only
    with tenant_context(read_only.workspace), CaptureQueriesContext(connection) as queries:
        for _ in range(1000):
            with contextlib.suppress(WorkspaceReadOnlyError):
                ensure_workspace_writable()
    assert len(queries) == 0


def test_inviting_during_trial_has_no_seat_limit(workspace):
    for n in range(3):
        add_member(workspace, email=f"m{n}@acme.example.com")
    assert subscription(workspace).status == SubscriptionStatus.TRIALING


def test_trial_reminders_are_sent_3_and_1_days_before_once_each(
    workspace, django_capture_on_commit_callbacks
):
    ends = subscription(workspace).trial_ends_at
    mail.outbox.clear()

    def run(now):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return actions.send_trial_reminders(now=now)

    assert run(ends - timedelta(days=5)) == 0
    assert run(ends - timedelta(days=3) + timedelta(minutes=1)) == 1
    assert run(ends - timedelta(days=2)) == 0
    assert run(ends - timedelta(hours=23)) == 1
    assert run(ends - timedelta(hours=1)) == 0

    assert len(mail.outbox) == 2
    assert mail.outbox[0].to == ["owner@acme.example.com"]
    assert "3 days" in mail.outbox[0].subject
    assert "1 day" in mail.outbox[1].subject
    assert "/settings/billing/" in mail.outbox[1].body


def test_create_workspace_json_carries_the_trial_end(platform, capsys):
    call_command(
        "create_workspace",
        "--name",
        "Cmd",
        "--subdomain",
        "cmdtrial",
        "--owner-email",
        "o@cmd.example.com",
        "--json",
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed["trial_ends_at"]
    assert subscription_for("cmdtrial").status == SubscriptionStatus.TRIALING


def subscription_for(subdomain: str):  # type: ignore[no-untyped-def]
    from billing.models import Subscription

    return Subscription.objects.get(workspace__subdomain=subdomain)


def test_operator_actions_are_recorded_with_old_and_new(read_only, django_user_model):
    read_only, _member = read_only
    operator = django_user_model.objects.create_superuser("op@example.com", "pw-operator-1")

    actions.extend_trial(acting_operator=operator, workspace=read_only.workspace, days=7)
    assert Workspace.objects.get(pk=read_only.workspace.pk).status == WorkspaceStatus.ACTIVE
    actions.grant_free_seats(acting_operator=operator, workspace=read_only.workspace, seats=2)
    actions.comp_plan(
        acting_operator=operator,
        workspace=read_only.workspace,
        plan=Plan.objects.get(code="business"),
        seats=3,
    )

    recorded = list(
        OperatorAction.objects.filter(workspace=read_only.workspace)
        .order_by("created_at")
        .values_list("action", "old", "new")
    )
    assert [row[0] for row in recorded] == ["extend_trial", "grant_free_seats", "comp_plan"]
    assert recorded[0][1]["status"] == "read_only"
    assert recorded[1][1:] == ({"free_seats": 0}, {"free_seats": 2})
    assert recorded[2][2]["plan"] == "business"
    state = subscription(read_only)
    assert (state.status, state.seats_allowed, state.comped) == ("active", 5, True)
    assert (
        SeatLedgerEntry.objects.filter(
            workspace=read_only.workspace, actor="op@example.com"
        ).count()
        == 2
    )


def test_operator_console_lists_billing_with_mrr(workspace, django_user_model):
    from django.test import Client

    django_user_model.objects.create_superuser("op2@example.com", "pw-operator-2")
    client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en")
    login = client.post(
        "/admin/login/?next=/admin/",
        {"username": "op2@example.com", "password": "pw-operator-2", "next": "/admin/"},
    )
    assert login.status_code == 302

    page = client.get("/admin/billing/subscription/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "acme" in text
    assert "MRR" in text


def test_pricing_page_speaks_the_visitors_language(platform):
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    text = client.get("/pricing/").content.decode()
    assert "Тарифи" in text
    assert "Business" in text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    assert "за место в месяц" in client.get("/pricing/").content.decode()
