"""The operator console: Django admin on the public host, for platform staff only."""

import re

import pytest
from django.test import Client
from django.utils import formats, timezone, translation
from django_tenants.utils import schema_context

from tenants.members.models import User
from tenants.models import Workspace, WorkspaceStatus
from tests.conftest import PASSWORD, add_member

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/tenants/workspace/"
OPERATOR_EMAIL = "operator@kartoteka.example.com"


@pytest.fixture
def operator(platform) -> User:  # type: ignore[no-untyped-def]
    """A platform operator: a staff superuser of the public schema."""
    return User.objects.create_superuser(email=OPERATOR_EMAIL, password=PASSWORD)


def _console_login(email: str, password: str) -> tuple[Client, object]:
    client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": email, "password": password, "next": "/admin/"},
    )
    return client, response


@pytest.fixture
def console(operator) -> Client:  # type: ignore[no-untyped-def]
    """A browser logged in to the operator console."""
    client, response = _console_login(OPERATOR_EMAIL, PASSWORD)
    assert response.status_code == 302, response.content.decode()
    return client


def _row_cells(response, workspace: Workspace) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The changelist row of `workspace`, as {column: text shown}."""
    changelist = response.context["cl"]
    [row] = [item for item in changelist.result_list if item.pk == workspace.pk]
    with translation.override("en"):
        created = formats.localize(timezone.template_localtime(row.created_at))
    page = response.content.decode()
    assert re.search(
        rf'<th class="field-name"><a href="/admin/tenants/workspace/{workspace.pk}/change/'
        rf'[^"]*">{workspace.name}</a></th>',
        page,
    )
    assert f'<td class="field-subdomain">{workspace.subdomain}</td>' in page
    assert f'<td class="field-created_at nowrap">{created}</td>' in page
    return {
        "owner_email": row.owner_email,
        "members_count": row.members_count,
        "status": row.get_status_display(),
    }


def test_operator_logs_in_to_the_console_on_the_public_host(operator):
    client, response = _console_login(OPERATOR_EMAIL, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_console_lists_every_workspace_with_owner_members_and_status(make_workspace, console):
    acme = make_workspace("acme", name="Acme", owner_email="boss@acme.example.com")
    add_member(acme, email="manager@acme.example.com")
    add_member(acme, email="seller@acme.example.com")
    globex = make_workspace("globex", name="Globex", owner_email="ceo@globex.example.com")

    response = console.get(CHANGELIST)

    assert response.status_code == 200
    page = response.content.decode()
    for header in ("Name", "Subdomain", "Created", "Owner e-mail", "Members", "Status"):
        assert f">{header}</a>" in page or f"<span>{header}</span>" in page
    assert '<td class="field-owner_email">boss@acme.example.com</td>' in page
    assert '<td class="field-members_count">3</td>' in page
    assert '<td class="field-owner_email">ceo@globex.example.com</td>' in page
    assert '<td class="field-members_count">1</td>' in page
    assert _row_cells(response, acme.workspace) == {
        "owner_email": "boss@acme.example.com",
        "members_count": 3,
        "status": "Active",
    }
    assert _row_cells(response, globex.workspace) == {
        "owner_email": "ceo@globex.example.com",
        "members_count": 1,
        "status": "Active",
    }


def test_console_does_not_list_the_public_site_or_the_template(make_workspace, console):
    make_workspace("acme", name="Acme")

    response = console.get(CHANGELIST)

    listed = {workspace.subdomain for workspace in response.context["cl"].result_list}
    assert listed == {"acme"}
    assert "_template" not in response.content.decode()
    assert "ws_template" not in response.content.decode()
    assert "1 workspace" in response.content.decode()


def test_console_members_count_leaves_out_deactivated_members(make_workspace, console):
    acme = make_workspace("acme", name="Acme")
    member = add_member(acme, email="leaver@acme.example.com")
    with schema_context(acme.workspace.schema_name):
        from tenants.members.actions import deactivate_member

        deactivate_member(acting_user=acme.owner, member=member)

    response = console.get(CHANGELIST)

    assert _row_cells(response, acme.workspace)["members_count"] == 1


def test_console_search_by_member_email_finds_the_workspace_once(make_workspace, console):
    acme = make_workspace("acme", name="Acme", owner_email="boss@acme.example.com")
    add_member(acme, email="anna@shared.example.com")
    add_member(acme, email="anna.two@shared.example.com")
    make_workspace("globex", name="Globex")

    response = console.get(CHANGELIST, {"q": "shared.example.com"})

    assert [workspace.subdomain for workspace in response.context["cl"].result_list] == ["acme"]
    assert _row_cells(response, acme.workspace)["members_count"] == 3


def test_console_shows_a_workspace_with_its_address(make_workspace, console):
    acme = make_workspace("acme", name="Acme")

    response = console.get(f"/admin/tenants/workspace/{acme.workspace.pk}/change/")

    assert response.status_code == 200
    assert "http://acme.localhost:8000/" in response.content.decode()


def test_workspace_members_credentials_do_not_open_the_console(make_workspace, platform):
    acme = make_workspace("acme", owner_email="boss@acme.example.com")
    with schema_context(acme.workspace.schema_name):
        # Even a member who is staff and superuser inside their own workspace.
        User.objects.filter(pk=acme.owner.pk).update(is_staff=True, is_superuser=True)

    client, response = _console_login("boss@acme.example.com", PASSWORD)

    assert response.status_code == 200
    assert "Please enter the correct e-mail and password for a staff account." in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_console_is_not_served_on_a_workspace_host(make_workspace, operator):
    make_workspace("acme")
    client = Client(HTTP_HOST="acme.localhost", HTTP_ACCEPT_LANGUAGE="en")

    response = client.get("/admin/")

    assert response.status_code == 404


def test_suspending_a_workspace_makes_its_host_answer_403_with_a_notice(
    make_workspace, console, owner_client, workspace
):
    response = console.post(
        CHANGELIST,
        {"action": "suspend", "_selected_action": [workspace.workspace.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert Workspace.objects.get(pk=workspace.workspace.pk).status == WorkspaceStatus.SUSPENDED
    for path in ("/", "/settings/members/", "/accounts/login/"):
        suspended = owner_client.get(path)
        assert suspended.status_code == 403
        assert "Acme is suspended" in suspended.content.decode()
        assert "All its data is kept" in suspended.content.decode()
    assert _row_cells(console.get(CHANGELIST), workspace.workspace)["status"] == "Suspended"


def test_suspending_one_workspace_leaves_the_others_working(make_workspace, console):
    acme = make_workspace("acme", name="Acme")
    make_workspace("globex", name="Globex")

    console.post(
        CHANGELIST, {"action": "suspend", "_selected_action": [acme.workspace.pk], "post": "yes"}
    )

    globex_home = Client(HTTP_HOST="globex.localhost").get("/accounts/login/")
    assert globex_home.status_code == 200


def test_restoring_a_suspended_workspace_brings_it_back(
    make_workspace, console, owner_client, workspace
):
    console.post(
        CHANGELIST,
        {"action": "suspend", "_selected_action": [workspace.workspace.pk], "post": "yes"},
    )

    response = console.post(
        CHANGELIST, {"action": "restore", "_selected_action": [workspace.workspace.pk]}
    )

    assert response.status_code == 302
    home = owner_client.get("/")
    assert home.status_code == 200
    assert "Hello, owner@acme.example.com!" in home.content.decode()
    assert Workspace.objects.get(pk=workspace.workspace.pk).status == WorkspaceStatus.ACTIVE


def test_console_login_locks_after_five_failures(operator):
    for _ in range(4):
        _client, failed = _console_login(OPERATOR_EMAIL, "wrong-password")
        assert failed.status_code == 200
    _client, fifth = _console_login(OPERATOR_EMAIL, "wrong-password")

    client, with_right_password = _console_login(OPERATOR_EMAIL, PASSWORD)

    assert fifth.status_code == 429
    assert with_right_password.status_code == 429
    assert "too many login attempts" in with_right_password.content.decode()
    assert "_auth_user_id" not in client.session


def test_suspend_asks_for_confirmation_first(make_workspace, console):
    acme = make_workspace("acme", name="Acme")

    response = console.post(
        CHANGELIST, {"action": "suspend", "_selected_action": [acme.workspace.pk]}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Suspend this workspace?" in page
    assert "Acme (acme)" in page
    assert 'name="post" value="yes"' in page
    assert Workspace.objects.get(pk=acme.workspace.pk).status == WorkspaceStatus.ACTIVE


@pytest.mark.parametrize(
    ("count", "text"), [(1, "Suspended 1 workspace."), (2, "Suspended 2 workspaces.")]
)
def test_suspend_message_uses_the_right_plural(make_workspace, console, count, text):
    ids = [make_workspace(name=f"Team {n}").workspace.pk for n in range(count)]

    response = console.post(
        CHANGELIST, {"action": "suspend", "_selected_action": ids, "post": "yes"}, follow=True
    )

    assert text in response.content.decode()


def test_workspace_page_is_read_only_without_save_buttons(make_workspace, console):
    acme = make_workspace("acme", name="Acme")

    page = console.get(f"/admin/tenants/workspace/{acme.workspace.pk}/change/").content.decode()

    assert 'name="_save"' not in page
    assert 'name="_continue"' not in page


def test_console_calls_operators_operators(console):
    page = console.get("/admin/").content.decode()

    assert ">Operators<" in page
    assert ">Members<" not in page
