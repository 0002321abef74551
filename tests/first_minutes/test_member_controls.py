"""Controls that would be refused are not offered; the history reads in the reader's language."""

from django.test import Client
from django_tenants.utils import schema_context

from tenants.members import actions
from tenants.members.models import User
from tests.conftest import add_member, host_of

BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


def _client_for(member, workspace, language: str = "en") -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_HOST=host_of(workspace))
    client.cookies["kartoteka_language"] = language
    with schema_context(workspace.workspace.schema_name):
        client.force_login(member, backend=BACKEND)
    return client


def _row(page: str, member_id: int) -> str:
    start = page.index(f'<tr id="member-{member_id}">')
    return page[start : page.index("</tr>", start)]


def test_admin_is_not_offered_controls_over_the_owner(workspace):
    admin = add_member(workspace, email="admin@acme.example.com", role="admin")

    response = _client_for(admin, workspace).get("/settings/members/")

    page = response.content.decode()
    owner_row = _row(page, workspace.owner.pk)
    assert "<select" not in owner_row
    assert "Deactivate" not in owner_row
    assert "Only owners can change an owner." in owner_row
    invite_roles = [
        value for value, _label in response.context["invite_form"]["role"].field.choices
    ]
    assert invite_roles == ["admin", "member"]


def test_owner_is_offered_owner_controls_but_not_on_the_last_owner(workspace, owner_client):
    member = add_member(workspace, email="ann@acme.example.com")

    response = owner_client.get("/settings/members/")

    page = response.content.decode()
    assert 'value="owner"' in _row(page, member.pk)
    assert "Deactivate" in _row(page, member.pk)
    owner_row = _row(page, workspace.owner.pk)
    assert "<select" not in owner_row, "the last owner cannot be demoted"
    assert "Deactivate" not in owner_row


def test_second_owner_can_be_changed_by_an_owner(workspace, owner_client):
    second = add_member(workspace, email="co@acme.example.com", role="owner")

    page = owner_client.get("/settings/members/").content.decode()

    assert "<select" in _row(page, second.pk)
    assert "Deactivate" in _row(page, second.pk)


def test_deactivate_asks_for_confirmation_without_inline_script(workspace, owner_client):
    add_member(workspace, email="ann@acme.example.com")

    page = owner_client.get("/settings/members/").content.decode()

    assert "data-confirm=" in page
    assert "onsubmit" not in page


def test_members_and_invitations_use_the_list_pattern(workspace, owner_client):
    with schema_context(workspace.workspace.schema_name):
        actions.invite_member(
            acting_user=workspace.owner, email="new@acme.example.com", role="member"
        )

    page = owner_client.get("/settings/members/").content.decode()

    assert page.count('class="data-table"') == 2
    assert 'data-label="Role"' in page


def test_settings_history_shows_labels_and_values_in_the_readers_language(workspace):
    owner = workspace.owner
    client = _client_for(owner, workspace, "uk")
    client.post(
        "/settings/workspace/",
        {
            "name": "Acme",
            "default_country": "UA",
            "time_zone": "Europe/Kyiv",
            "default_language": "uk",
        },
    )
    add_member(workspace, email="ann@acme.example.com", role="admin")
    with schema_context(workspace.workspace.schema_name):
        ann = User.objects.get(email="ann@acme.example.com")
        actions.change_member_role(acting_user=owner, member=ann, role="member")

    page = client.get("/settings/workspace/").content.decode()

    assert "<strong>Часовий пояс</strong>: Москва · UTC+03:00 → Київ · UTC+02:00" in page
    assert "<strong>Країна за замовчуванням</strong>: Росія → Україна" in page
    assert "<strong>Мова за замовчуванням</strong>: Англійська → Українська" in page
    assert "time_zone:" not in page
    members_page = client.get("/settings/members/").content.decode()
    assert members_page  # the members page renders in Ukrainian too
