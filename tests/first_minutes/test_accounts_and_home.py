"""allauth's e-mails as our own, the deactivated member's way back, 2FA needs a confirmed
e-mail, and the home page's data-driven checklist."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django_tenants.utils import schema_context

from onboarding.checklist import Step, checklist_for
from tenants.members import actions
from tenants.members.models import User
from tests.conftest import PASSWORD, add_member, host_of


def _set_language(workspace, user, language: str) -> None:  # type: ignore[no-untyped-def]
    with schema_context(workspace.workspace.schema_name):
        User.objects.filter(pk=user.pk).update(language=language)


@pytest.mark.parametrize(
    ("language", "subject", "line"),
    [
        ("uk", "Новий пароль", "облікового запису в “Acme” у Kartoteka"),  # noqa: RUF001
        ("ru", "Новый пароль", "Вашей учётной записи в “Acme” в Kartoteka"),
        ("en", "A new password", "your account in “Acme” on Kartoteka"),
    ],
)
def test_password_reset_email_is_ours_names_the_workspace_in_the_recipients_language(
    workspace, language, subject, line
):
    _set_language(workspace, workspace.owner, language)
    client = Client(HTTP_HOST=host_of(workspace))
    client.cookies["kartoteka_language"] = "en"  # the page's language is not the recipient's

    client.post("/accounts/password/reset/", {"email": workspace.owner.email})

    [message] = mail.outbox
    assert message.subject == f"[Kartoteka] {subject}"
    assert line in message.body
    assert "Hello from" not in message.body
    assert "/accounts/password/reset/key/" in message.body
    assert "http://acme.localhost:8000/" in message.body


def test_confirmation_email_is_ours_and_names_the_workspace(workspace, owner_client):
    _set_language(workspace, workspace.owner, "uk")
    mail.outbox.clear()

    owner_client.post("/accounts/email/", {"email": workspace.owner.email, "action_send": ""})

    [message] = mail.outbox
    assert message.subject == "[Kartoteka] Підтвердьте адресу e-mail"
    assert "“Acme”" in message.body
    assert "has given your email address" not in message.body
    assert "/accounts/confirm-email/" in message.body


def test_deactivated_member_is_told_whom_to_ask(workspace):
    leaver = add_member(workspace, email="leaver@acme.example.com")
    with schema_context(workspace.workspace.schema_name):
        actions.deactivate_member(acting_user=workspace.owner, member=leaver)
    client = Client(HTTP_HOST=host_of(workspace))
    client.cookies["kartoteka_language"] = "en"

    response = client.post(
        "/accounts/login/", {"login": "leaver@acme.example.com", "password": PASSWORD}, follow=True
    )

    page = response.content.decode()
    assert "has been deactivated by the workspace's admin" in page
    assert "ask one of them to reactivate your account" in page
    assert "mailto:owner@acme.example.com" in page


def test_inactive_page_does_not_list_admins_to_passers_by(workspace):
    client = Client(HTTP_HOST=host_of(workspace))
    client.cookies["kartoteka_language"] = "en"

    page = client.get("/accounts/inactive/").content.decode()

    assert "owner@acme.example.com" not in page
    assert "ask your workspace's owner or admin" in page


def test_home_says_two_factor_waits_for_a_confirmed_email(workspace, owner_client):
    page = owner_client.get("/").content.decode()

    mfa_item = page[page.index('id="step-enable_mfa"') :]
    mfa_item = mfa_item[: mfa_item.index("</li>")]
    assert "First confirm your e-mail address" in mfa_item
    assert "href=" not in mfa_item, "no link to a page that would refuse"
    assert 'name="action_send"' in page, "they can confirm from here"


def test_account_page_offers_to_confirm_before_two_factor(workspace, owner_client):
    page = owner_client.get("/account/").content.decode()

    assert "Available once your e-mail address is confirmed." in page
    assert 'name="action_send"' in page


def test_home_links_two_factor_once_the_email_is_confirmed(workspace, owner_client):
    with schema_context(workspace.workspace.schema_name):
        EmailAddress.objects.filter(user=workspace.owner).update(verified=True)

    page = owner_client.get("/").content.decode()

    assert 'href="/accounts/2fa/"' in page


def test_checklist_steps_appear_when_their_feature_lands(workspace):
    landed = Step("landed", "Landed", ("members",), lambda user: False)
    not_yet = Step("future", "Future", ("no_such_url_name",), lambda user: False)
    with schema_context(workspace.workspace.schema_name):
        owner = User.objects.get(pk=workspace.owner.pk)
        items = checklist_for(owner, (landed, not_yet))

    assert [item.key for item in items] == ["landed"]


def test_member_sees_no_admin_steps(workspace):
    member = add_member(workspace, email="ann@acme.example.com")
    with schema_context(workspace.workspace.schema_name):
        keys = [item.key for item in checklist_for(member)]

    assert "invite_team" not in keys
    assert "verify_email" in keys


def test_home_shows_what_to_do_next_when_the_starter_steps_are_done(workspace, owner_client):
    add_member(workspace, email="ann@acme.example.com")
    with schema_context(workspace.workspace.schema_name):
        EmailAddress.objects.filter(user=workspace.owner).update(verified=True)
        from allauth.mfa.models import Authenticator

        Authenticator.objects.create(
            user=workspace.owner, type=Authenticator.Type.TOTP, data={"secret": "x"}
        )

    page = owner_client.get("/").content.decode()

    if 'id="all-set"' in page:
        assert "Here is what you can do next" in page
    else:  # CRM steps have landed: the checklist offers them
        assert 'id="get-started"' in page
        assert "Add your first client" in page
