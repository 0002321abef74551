"""Every workspace route, on workspace B's host, ignores a browser that is only A's member.

The checks live in tests/isolation_registry.py (one per named route). Each test sends B a
browser carrying A's session cookie, with A's ids, tokens and keys in the URL, and asserts
that B treats it as an anonymous visitor, shows nothing of A, and changes nothing.
"""

import re
from collections.abc import Iterator

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_tenants.utils import schema_context, tenant_context

from tenants.actions import create_workspace, ensure_platform_rows
from tenants.api_keys.actions import create_api_key
from tenants.api_keys.models import ApiKey, ApiKeyScope
from tenants.members import actions as member_actions
from tenants.members.handoff import make_login_handoff
from tenants.members.models import Invitation, Role, User
from tenants.models import Workspace
from tests.conftest import PASSWORD, drop_workspace_schemas, host_of
from tests.cross_workspace import link_path_in_mail, logged_in_through_form, with_session_of
from tests.handoff import welcome_into
from tests.isolation_registry import ISOLATION_CHECKS, CrossWorkspaceSample, Outcome

ACME_OWNER = "owner@iso-acme.example.com"
ACME_MEMBER = "member@iso-acme.example.com"


def _crm_records_of(acme) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A contact, company, tag, source and custom field of A, made through the actions."""
    from crm.actions import clients as crm_actions
    from crm.actions.custom_fields import create_custom_field

    with tenant_context(acme.workspace):
        owner = User.objects.get(pk=acme.owner.pk)
        source = crm_actions.create_source_channel(acting_user=owner, name="Acme fair")
        company = crm_actions.create_company(acting_user=owner, data={"name": "Acme Secret LLC"})
        contact = crm_actions.create_contact(
            acting_user=owner,
            data={
                "surname": "Acmeson",
                "first_name": "Secret",
                "source": source.pk,
                "tags": ["acme-vip"],
                "companies": [company.pk],
            },
        )
        field = create_custom_field(
            acting_user=owner, entity="contact", field_type="text", labels={"en": "Acme code"}
        )
        return {
            "contact_id": contact.pk,
            "company_id": company.pk,
            "tag_id": contact.tags.get().pk,
            "source_id": source.pk,
            "custom_field_id": field.pk,
        }


def _sample_from_acme(acme) -> tuple[CrossWorkspaceSample, Client]:  # type: ignore[no-untyped-def]
    """Ids, tokens and keys of A as its people would have them, and A's owner's browser."""
    schema = acme.workspace.schema_name
    with schema_context(schema):
        invitation_of_member = member_actions.invite_member(
            acting_user=acme.owner, email=ACME_MEMBER, role=Role.MEMBER
        )
        token = link_path_in_mail(ACME_MEMBER, "/invite/").split("/")[2]
        member = member_actions.accept_invitation(token=token, full_name="M", password=PASSWORD)
        member_actions.invite_member(
            acting_user=acme.owner, email="invited@example.com", role=Role.ADMIN
        )
        open_invitation = Invitation.objects.get(email="invited@example.com")
        assert invitation_of_member.pk != open_invitation.pk
        api_key = create_api_key(
            acting_user=acme.owner, name="Acme script", scope=ApiKeyScope.READ_WRITE
        )
    records = _crm_records_of(acme)
    invitation_token = link_path_in_mail("invited@example.com", "/invite/").split("/")[2]

    browser_a = Client(HTTP_HOST=host_of(acme))
    browser_a.post("/accounts/password/reset/", {"email": ACME_OWNER})
    reset_path = link_path_in_mail(ACME_OWNER, "/accounts/password/reset/key/")
    uidb36, reset_key = re.fullmatch(
        r"/accounts/password/reset/key/([0-9A-Za-z]+)-(.+)/", reset_path
    ).groups()  # type: ignore[union-attr]

    handoff = make_login_handoff(schema_name=schema, user=acme.owner)
    welcome_into(browser_a, acme, handoff)
    confirmation_key = link_path_in_mail(ACME_OWNER, "/accounts/confirm-email/").split("/")[3]

    sample = CrossWorkspaceSample(
        member_id=member.pk,
        invitation_id=open_invitation.pk,
        invitation_token=invitation_token,
        reset_uidb36=uidb36,
        reset_key=reset_key,
        email_confirmation_key=confirmation_key,
        login_handoff_token=make_login_handoff(schema_name=schema, user=acme.owner),
        api_key=api_key.secret,
        api_key_id=api_key.api_key.pk,
        **records,
    )
    return sample, logged_in_through_form(acme, ACME_OWNER)


@pytest.fixture(scope="module")
def acme_and_globex(django_db_setup, django_db_blocker) -> Iterator[tuple]:  # type: ignore[no-untyped-def]
    """Workspaces A (acme, with members, invitations and links) and B (globex, its owner only).

    Committed once for the module (a clone costs seconds); each test's own writes roll back.
    """
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        ensure_platform_rows()
        acme = create_workspace(
            name="Iso Acme", subdomain="iso-acme", owner_email=ACME_OWNER, owner_password=PASSWORD
        )
        globex = create_workspace(
            name="Iso Globex",
            subdomain="iso-globex",
            owner_email="owner@iso-globex.example.com",
            owner_password=PASSWORD,
        )
        mail.outbox.clear()
        try:
            sample, browser_a = _sample_from_acme(acme)
            yield acme, globex, sample, browser_a
        finally:
            drop_workspace_schemas(new.workspace.schema_name for new in (acme, globex))
            Workspace.objects.filter(pk__in=[acme.workspace.pk, globex.workspace.pk]).delete()


def _state_of(new) -> dict[str, list]:  # type: ignore[no-untyped-def]
    """What a cross-workspace request must never change: members, addresses, invitations."""
    with schema_context(new.workspace.schema_name):
        return {
            "members": list(
                User.objects.order_by("pk").values_list(
                    "pk", "email", "role", "is_active", "password", "language"
                )
            ),
            "addresses": list(
                EmailAddress.objects.order_by("pk").values_list("email", "verified", "primary")
            ),
            "invitations": list(
                Invitation.objects.order_by("pk").values_list("pk", "accepted_at", "revoked_at")
            ),
            "workspace": list(
                Workspace.objects.filter(pk=new.workspace.pk).values_list("name", "status")
            ),
            "api_keys": list(ApiKey.objects.order_by("pk").values_list("pk", "name", "revoked_at")),
        }


def test_browser_of_workspace_a_is_a_member_there(db, acme_and_globex):
    # The control for every test below: A's cookie really is a login, on A.
    _acme, _globex, _sample, browser_a = acme_and_globex

    response = browser_a.get("/")

    assert response.status_code == 200
    assert response.wsgi_request.user.email == ACME_OWNER


def test_api_key_of_workspace_a_works_there(db, acme_and_globex):
    # The control for the API's checks: A's key really is a key, on A.
    acme, _globex, sample, _browser_a = acme_and_globex

    response = Client(HTTP_HOST=host_of(acme)).get(
        "/api/me", headers={"Authorization": f"Bearer {sample.api_key}"}
    )

    assert response.status_code == 200
    assert response.json()["member_email"] == ACME_OWNER


@pytest.mark.parametrize("route_name", sorted(ISOLATION_CHECKS))
def test_route_on_workspace_b_treats_workspace_a_member_as_a_visitor(
    db, acme_and_globex, route_name
):
    # Given: a browser with A's session cookie, on B's host, and A's ids in the URL.
    acme, globex, sample, browser_a = acme_and_globex
    check = ISOLATION_CHECKS[route_name]
    url = reverse(route_name, urlconf=settings.ROOT_URLCONF, kwargs=check.url_kwargs(sample))
    browser = with_session_of(browser_a, globex)
    before = (_state_of(acme), _state_of(globex))

    # When: it requests the route (with A's API key too, for the API's routes).
    response = getattr(browser, check.method)(
        url,
        check.form_data(sample),
        headers={"Authorization": f"Bearer {sample.api_key}"},
        **check.headers,
    )

    # Then: B answers a visitor, shows nothing of A, changes nothing anywhere.
    assert not response.wsgi_request.user.is_authenticated
    shown = response.content.decode() + response.get("Location", "")
    for secret in (
        ACME_OWNER,
        ACME_MEMBER,
        host_of(acme),
        acme.workspace.name,
        "Acmeson",
        "Acme Secret LLC",
        "acme-vip",
        "Acme fair",
        "Acme code",
    ):
        assert secret not in shown
    location = response.get("Location", "")
    login_path = reverse("account_login", urlconf=settings.ROOT_URLCONF)
    if check.outcome == Outcome.LOGIN_PAGE:
        assert response.status_code == 302
        assert location.startswith(login_path)
    elif check.outcome == Outcome.NOT_FOUND:
        assert response.status_code == 404
    elif check.outcome == Outcome.VISITOR_PAGE:
        assert response.status_code == 200
    elif check.outcome == Outcome.API_UNAUTHORIZED:
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"
    else:
        assert response.status_code in (301, 302, 303)
    assert (_state_of(acme), _state_of(globex)) == before
    assert not browser.get("/").wsgi_request.user.is_authenticated
