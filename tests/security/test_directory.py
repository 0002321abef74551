"""The public member directory lists confirmed, current addresses only (points 5 and 6)."""

import secrets

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django_tenants.utils import schema_context

from tenants.models import MemberDirectoryEntry
from tenants.selectors import workspaces_of_email
from tests.conftest import PASSWORD, add_member, host_of
from tests.cross_workspace import link_path_in_mail, logged_in_through_form
from tests.handoff import welcome_into

pytestmark = pytest.mark.django_db


def _find_my_workspace_list(visitor, email: str, capture) -> str:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        visitor.post("/find-workspace/", {"email": email})
    [message] = [m for m in mail.outbox if m.to == [email]]
    return message.body


def test_signup_with_someone_elses_address_puts_nothing_in_their_list(
    make_workspace, visitor, django_capture_on_commit_callbacks
):
    victim = f"victim-{secrets.token_hex(4)}@example.com"
    make_workspace("squatter", name="Squatter Inc", owner_email=victim)

    body = _find_my_workspace_list(visitor, victim, django_capture_on_commit_callbacks)

    assert "Squatter" not in body
    assert "squatter.localhost" not in body
    assert "not a member of any workspace" in body


def test_owner_appears_in_find_my_workspace_once_the_address_is_confirmed(make_workspace):
    email = f"boss-{secrets.token_hex(4)}@example.com"
    new = make_workspace("acme", name="Acme", owner_email=email)
    assert workspaces_of_email(email) == []

    # The owner follows the link from the "confirm your address" e-mail.
    browser = Client(HTTP_HOST=host_of(new))
    from tenants.members.handoff import make_login_handoff

    welcome_into(
        browser, new, make_login_handoff(schema_name=new.workspace.schema_name, user=new.owner)
    )
    browser.post(link_path_in_mail(email, "/accounts/confirm-email/"))

    assert [workspace.subdomain for workspace in workspaces_of_email(email)] == ["acme"]


def test_invited_member_is_in_find_my_workspace_at_once(make_workspace):
    new = make_workspace("acme")
    email = f"anna-{secrets.token_hex(4)}@example.com"

    add_member(new, email=email)

    assert [workspace.subdomain for workspace in workspaces_of_email(email)] == ["acme"]


def test_operators_still_see_an_unconfirmed_owner(make_workspace):
    from tenants.selectors import workspaces_for_operators

    new = make_workspace("acme", owner_email="unconfirmed@acme.example.com")

    row = workspaces_for_operators().get(pk=new.workspace.pk)

    assert row.owner_email == "unconfirmed@acme.example.com"
    assert row.members_count == 1


def _directory_row(new, user_id: int) -> tuple[str, bool]:  # type: ignore[no-untyped-def]
    entry = MemberDirectoryEntry.objects.get(workspace=new.workspace, user_id=user_id)
    return entry.email, entry.email_verified


def test_changing_the_address_on_the_account_pages_keeps_the_directory_current(
    make_workspace, django_capture_on_commit_callbacks
):
    # Given: Anna joined by invitation with her old address, and is logged in.
    new = make_workspace("acme")
    old = f"anna-old-{secrets.token_hex(3)}@example.com"
    fresh = f"anna-new-{secrets.token_hex(3)}@example.com"
    anna = add_member(new, email=old)
    browser = logged_in_through_form(new, old)

    # When: she adds a new address, confirms it, makes it primary and removes the old one.
    browser.post("/accounts/email/", {"email": fresh, "action_add": ""})
    assert _directory_row(new, anna.pk) == (old, True)
    browser.post(link_path_in_mail(fresh, "/accounts/confirm-email/"))
    browser.post("/accounts/email/", {"email": fresh, "action_primary": ""})
    browser.post("/accounts/email/", {"email": old, "action_remove": ""})

    # Then: the directory, find-my-workspace and the console know only the new address.
    with schema_context(new.workspace.schema_name):
        assert list(EmailAddress.objects.filter(user=anna).values_list("email", "primary")) == [
            (fresh, True)
        ]
    assert _directory_row(new, anna.pk) == (fresh, True)
    assert workspaces_of_email(old) == []
    assert [workspace.subdomain for workspace in workspaces_of_email(fresh)] == ["acme"]


def test_making_a_confirmed_address_primary_updates_the_directory_at_once(make_workspace):
    new = make_workspace("acme")
    old, fresh = "anna@example.com", "anna.petrova@example.com"
    anna = add_member(new, email=old)
    with schema_context(new.workspace.schema_name):
        EmailAddress.objects.create(user=anna, email=fresh, verified=True, primary=False)
    browser = logged_in_through_form(new, old, PASSWORD)

    browser.post("/accounts/email/", {"email": fresh, "action_primary": ""})

    assert _directory_row(new, anna.pk) == (fresh, True)
