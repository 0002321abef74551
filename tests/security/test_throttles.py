"""Signups and invitations are limited; e-mails keep user-chosen text in its place (point 4)."""

import secrets

import pytest
from django.core import mail
from django.test import Client
from django_tenants.utils import schema_context

from tenants.members import actions
from tenants.models import Workspace
from tenants.policy import WorkspacePolicy
from tests.conftest import PASSWORD
from tests.handoff import handoff_of

pytestmark = pytest.mark.django_db


def _address() -> str:
    return f"198.18.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 1}"


def _signup(client: Client, number: int, email: str | None = None, **meta: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/signup/",
        {
            "name": f"Shop {number}",
            "subdomain": f"shop-{secrets.token_hex(3)}-{number}",
            "email": email or f"owner-{secrets.token_hex(4)}@example.com",
            "password": PASSWORD,
        },
        **meta,
    )


def _customer_workspaces() -> int:
    return Workspace.objects.filter(kind=Workspace.Kind.CUSTOMER).count()


def test_signups_from_one_client_are_limited_per_hour(platform, visitor, settings):
    settings.SIGNUPS_PER_CLIENT_PER_HOUR = 2
    client_address = _address()

    allowed = [_signup(visitor, n, REMOTE_ADDR=client_address) for n in range(2)]
    refused = _signup(visitor, 3, REMOTE_ADDR=client_address)
    other_client = _signup(visitor, 4, REMOTE_ADDR=_address())

    for response in allowed:
        handoff_of(response)
    assert refused.status_code == 429
    assert "Too many sign-up attempts" in refused.content.decode()
    handoff_of(other_client)
    assert _customer_workspaces() == 3


def test_signups_for_one_email_are_limited_per_hour_from_any_client(platform, visitor, settings):
    settings.SIGNUPS_PER_EMAIL_PER_HOUR = 2
    email = f"Someone-{secrets.token_hex(4)}@Example.com"

    for n in range(2):
        handoff_of(_signup(visitor, n, email=email, REMOTE_ADDR=_address()))
    refused = _signup(visitor, 3, email=email.lower(), REMOTE_ADDR=_address())

    assert refused.status_code == 429
    assert _customer_workspaces() == 2


class _TwoAnHour(WorkspacePolicy):
    def invitations_per_hour(self, workspace):  # type: ignore[no-untyped-def]
        return 2


def test_invitations_are_limited_per_workspace_and_hour_by_the_policy(
    workspace, owner_client, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("tenants.members.actions.workspace_policy", lambda: _TwoAnHour())

    with django_capture_on_commit_callbacks(execute=True):
        sent = [
            owner_client.post(
                "/settings/members/", {"email": f"p{n}@example.com", "role": "member"}
            )
            for n in range(2)
        ]
        refused = owner_client.post(
            "/settings/members/", {"email": "p3@example.com", "role": "member"}
        )

    assert [response.status_code for response in sent] == [302, 302]
    assert refused.status_code == 200
    assert "has sent 2 invitations in the last hour" in refused.content.decode()
    assert sorted(message.to[0] for message in mail.outbox) == ["p0@example.com", "p1@example.com"]


def test_default_invitation_allowance_comes_from_settings(workspace, settings):
    from tenants.policy import workspace_policy

    settings.INVITATIONS_PER_HOUR = 7

    assert workspace_policy().invitations_per_hour(workspace.workspace) == 7


def test_invitation_subject_carries_no_user_chosen_text(
    make_workspace, django_capture_on_commit_callbacks
):
    name = "Kartoteka Security Team: your account is locked, log in at evil.example.com " * 2
    new = make_workspace("bait", name=name[:100])
    with schema_context(new.workspace.schema_name):
        new.owner.full_name = "Kartoteka Support\n\nKartoteka: pay now at evil.example.com"
        new.owner.save(update_fields=["full_name"])
        with django_capture_on_commit_callbacks(execute=True):
            actions.invite_member(acting_user=new.owner, email="victim@example.com", role="member")

    [message] = [m for m in mail.outbox if m.to == ["victim@example.com"]]

    assert message.subject == "You are invited to a workspace on Kartoteka"
    body_lines = message.body.splitlines()
    quoted = [line for line in body_lines if "invited you to join the workspace" in line]
    assert len(quoted) == 1
    assert "“Kartoteka Support Kartoteka: pay now at evil.example.com”" in quoted[0]
    assert "evil.example.com log in" not in message.body  # the name is cut at 60 characters
    assert not any(line.startswith("Kartoteka:") for line in body_lines)
    assert "(bait.localhost)" in quoted[0]


def test_find_my_workspace_email_quotes_and_bounds_workspace_names(
    make_workspace, visitor, django_capture_on_commit_callbacks
):
    from tests.conftest import confirm_owner_address

    email = f"p-{secrets.token_hex(4)}@example.com"
    confirm_owner_address(
        make_workspace(
            "bait", name="Bait\nKartoteka: your password expired, reset at x" * 2, owner_email=email
        )
    )

    with django_capture_on_commit_callbacks(execute=True):
        visitor.post("/find-workspace/", {"email": email})

    [message] = [m for m in mail.outbox if m.to == [email]]
    [line] = [line for line in message.body.splitlines() if "bait.localhost" in line]
    assert line.startswith("- “Bait Kartoteka: your password expired")
    assert "”: http://bait.localhost:8000/" in line
    assert not any(line.startswith("Kartoteka:") for line in message.body.splitlines())


# Text a workspace chose, written to pose as the platform (newlines start a fake paragraph).
HOSTILE_WORKSPACE = (
    "Bait\n\nKartoteka: your account is locked, log in at evil.example.com to keep it"
)
HOSTILE_PERSON = "Kartoteka Support\n\nKartoteka: your card was charged, call +1 555 0100 now"


def _assert_user_text_is_contained(message, texts: list[str]) -> None:  # type: ignore[no-untyped-def]
    """No user-chosen text in the subject; in the body quoted, bounded, never a line of its own."""
    lines = message.body.splitlines()
    assert not any(line.lstrip("- ").startswith("Kartoteka:") for line in lines), message.body
    for text in texts:
        flat = " ".join(text.split())
        head = flat[:12]
        assert head not in message.subject
        assert flat not in message.body, "not bounded"
        for line in lines:
            start = line.find(head)
            while start != -1:
                assert start > 0, f"not quoted: {line}"
                assert line[start - 1] in '“«"', f"not quoted: {line}"
                start = line.find(head, start + 1)


@pytest.fixture
def bait(platform):  # type: ignore[no-untyped-def]
    from tenants.actions import create_workspace

    return create_workspace(
        name=HOSTILE_WORKSPACE,
        subdomain="bait",
        owner_email=f"victim-{secrets.token_hex(4)}@example.com",
        owner_password=PASSWORD,
        language="en",
        owner_full_name=HOSTILE_PERSON,
    )


def _mail_to(address: str):  # type: ignore[no-untyped-def]
    messages = [m for m in mail.outbox if m.to == [address]]
    assert messages, [m.to for m in mail.outbox]
    return messages[-1]


def test_invitation_email_contains_the_names_people_chose(bait, django_capture_on_commit_callbacks):
    with (
        schema_context(bait.workspace.schema_name),
        django_capture_on_commit_callbacks(execute=True),
    ):
        actions.invite_member(acting_user=bait.owner, email="invitee@example.com", role="member")

    _assert_user_text_is_contained(
        _mail_to("invitee@example.com"), [HOSTILE_WORKSPACE, HOSTILE_PERSON]
    )


def test_address_confirmation_email_contains_the_names_people_chose(bait):
    from tenants.members.handoff import make_login_handoff
    from tests.handoff import welcome_into

    token = make_login_handoff(schema_name=bait.workspace.schema_name, user=bait.owner)
    welcome_into(Client(), bait, token)

    _assert_user_text_is_contained(_mail_to(bait.owner.email), [HOSTILE_WORKSPACE, HOSTILE_PERSON])


def test_password_reset_emails_contain_the_names_people_chose(bait):
    from tests.conftest import host_of

    browser = Client(HTTP_HOST=host_of(bait), HTTP_ACCEPT_LANGUAGE="en")
    browser.post("/accounts/password/reset/", {"email": bait.owner.email})
    browser.post("/accounts/password/reset/", {"email": "stranger@example.com"})

    _assert_user_text_is_contained(_mail_to(bait.owner.email), [HOSTILE_WORKSPACE, HOSTILE_PERSON])
    _assert_user_text_is_contained(
        _mail_to("stranger@example.com"), [HOSTILE_WORKSPACE, HOSTILE_PERSON]
    )


def test_find_my_workspace_email_contains_the_names_people_chose(
    bait, visitor, django_capture_on_commit_callbacks
):
    from tests.conftest import confirm_owner_address

    confirm_owner_address(bait)
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post("/find-workspace/", {"email": bait.owner.email})

    _assert_user_text_is_contained(_mail_to(bait.owner.email), [HOSTILE_WORKSPACE, HOSTILE_PERSON])


def test_find_my_workspace_emails_from_one_client_are_limited_per_hour(
    platform, visitor, settings, django_capture_on_commit_callbacks
):
    settings.WORKSPACE_REMINDERS_PER_CLIENT_PER_HOUR = 2
    client_address = _address()
    strangers = [f"s{n}-{secrets.token_hex(4)}@example.com" for n in range(3)]

    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            visitor.post("/find-workspace/", {"email": email}, REMOTE_ADDR=client_address)
            for email in strangers
        ]
        other = visitor.post("/find-workspace/", {"email": strangers[2]}, REMOTE_ADDR=_address())

    assert {answer.status_code for answer in answers} == {other.status_code} == {200}
    mailed = sorted(message.to[0] for message in mail.outbox)
    assert mailed == sorted([strangers[0], strangers[1], strangers[2]])
    assert len(mail.outbox) == 3  # the third stranger got one e-mail, from the other client
