"""Find my workspace: an e-mail lists a person's workspaces; the screen never tells."""

import re
import uuid

import pytest
from django_tenants.utils import schema_context

from tenants.members import actions as member_actions
from tests.conftest import add_member, confirm_owner_address

pytestmark = pytest.mark.django_db

SUBJECT = "Your Kartoteka workspaces"


def _new_address() -> str:
    # The hourly limit lives in Redis and outlives a test's transaction: a fresh address
    # per test keeps runs (and xdist workers) from eating one another's allowance.
    return f"person-{uuid.uuid4().hex[:12]}@example.com"


def _ask(visitor, email: str, capture):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return visitor.post("/find-workspace/", {"email": email})


def _screen(response, email: str) -> str:  # type: ignore[no-untyped-def]
    """The page as a person sees it, with their address and the per-render CSRF token masked."""
    page = response.content.decode().replace(email, "EMAIL")
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", page)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "CSRF", page)


def _workspace_list_emails(mailoutbox, email: str) -> list:  # type: ignore[no-untyped-def]
    return [m for m in mailoutbox if m.subject == SUBJECT and m.to == [email]]


def test_find_workspace_page_asks_for_an_email(platform, visitor):
    response = visitor.get("/find-workspace/")

    assert response.status_code == 200
    assert "Enter your e-mail and we will send you the addresses of your workspaces" in (
        response.content.decode()
    )


def test_find_workspace_answers_the_same_whether_or_not_the_address_has_workspaces(
    make_workspace, visitor, django_capture_on_commit_callbacks
):
    member_email, stranger_email = _new_address(), _new_address()
    confirm_owner_address(make_workspace("acme", name="Acme", owner_email=member_email))

    for_member = _ask(visitor, member_email, django_capture_on_commit_callbacks)
    for_stranger = _ask(visitor, stranger_email, django_capture_on_commit_callbacks)

    assert for_member.status_code == for_stranger.status_code == 200
    assert "Check your e-mail" in for_member.content.decode()
    assert _screen(for_member, member_email) == _screen(for_stranger, stranger_email)


def test_find_workspace_emails_the_names_and_addresses_of_the_members_workspaces(
    make_workspace, visitor, mailoutbox, django_capture_on_commit_callbacks
):
    email = _new_address()
    confirm_owner_address(make_workspace("acme", name="Acme Trading", owner_email=email))
    globex = make_workspace("globex", name="Globex Corp")
    add_member(globex, email=email)
    make_workspace("initech", name="Initech")  # someone else's
    mailoutbox.clear()

    _ask(visitor, email.upper(), django_capture_on_commit_callbacks)

    [message] = _workspace_list_emails(mailoutbox, email.upper())
    assert "“Acme Trading”: http://acme.localhost:8000/" in message.body
    assert "“Globex Corp”: http://globex.localhost:8000/" in message.body
    assert "Initech" not in message.body
    assert "initech" not in message.body


def test_find_workspace_does_not_list_a_workspace_where_the_member_was_deactivated(
    make_workspace, visitor, mailoutbox, django_capture_on_commit_callbacks
):
    email = _new_address()
    confirm_owner_address(make_workspace("acme", name="Acme Trading", owner_email=email))
    globex = make_workspace("globex", name="Globex Corp")
    member = add_member(globex, email=email)
    with schema_context(globex.workspace.schema_name):
        member_actions.deactivate_member(acting_user=globex.owner, member=member)
    mailoutbox.clear()

    _ask(visitor, email, django_capture_on_commit_callbacks)

    [message] = _workspace_list_emails(mailoutbox, email)
    assert "“Acme Trading”: http://acme.localhost:8000/" in message.body
    assert "Globex" not in message.body


def test_find_workspace_tells_an_address_without_workspaces_that_it_has_none(
    make_workspace, visitor, mailoutbox, django_capture_on_commit_callbacks
):
    make_workspace("acme", name="Acme Trading")
    email = _new_address()

    _ask(visitor, email, django_capture_on_commit_callbacks)

    [message] = _workspace_list_emails(mailoutbox, email)
    assert "this address is not a member of any workspace" in message.body
    assert "http://localhost:8000/signup/" in message.body
    assert "Acme" not in message.body


def test_find_workspace_sends_at_most_three_emails_an_hour_and_the_screen_does_not_change(
    platform, visitor, mailoutbox, django_capture_on_commit_callbacks
):
    email = _new_address()
    first_three = [_ask(visitor, email, django_capture_on_commit_callbacks) for _ in range(3)]

    fourth = _ask(visitor, email, django_capture_on_commit_callbacks)

    assert len(_workspace_list_emails(mailoutbox, email)) == 3
    assert fourth.status_code == 200
    assert _screen(fourth, email) == _screen(first_three[0], email)


def test_find_workspace_limit_counts_an_address_however_it_is_capitalised(
    platform, visitor, mailoutbox, django_capture_on_commit_callbacks
):
    email = _new_address()
    for variant in (email, email.upper(), email.title()):
        _ask(visitor, variant, django_capture_on_commit_callbacks)

    _ask(visitor, f"  {email.upper()} ", django_capture_on_commit_callbacks)

    assert len([m for m in mailoutbox if m.subject == SUBJECT]) == 3


def test_find_workspace_limit_of_one_address_does_not_stop_another(
    platform, visitor, mailoutbox, django_capture_on_commit_callbacks
):
    limited, other = _new_address(), _new_address()
    for _ in range(4):
        _ask(visitor, limited, django_capture_on_commit_callbacks)

    _ask(visitor, other, django_capture_on_commit_callbacks)

    assert len(_workspace_list_emails(mailoutbox, other)) == 1


def test_find_workspace_rejects_a_malformed_address_and_sends_nothing(
    platform, visitor, mailoutbox, django_capture_on_commit_callbacks
):
    response = _ask(visitor, "not-an-address", django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert mailoutbox == []
