"""What the security review tried and found holding: kept so by these tests (issue 6).

Other members of this baseline live elsewhere: every workspace route with A's session on
B's host (tests/test_isolation_routes.py), invitation and reset links across workspaces,
the hand-off bound to its workspace (tests/test_isolation.py), invitation links after
acceptance, revocation and expiry (tests/tenants/test_invitations.py), deactivation and
password reset (tests/tenants/test_members.py, test_accounts.py), find-my-workspace's equal
answers (tests/onboarding/test_find_workspace.py), /admin/ on a workspace host
(tests/onboarding/test_operator_console.py).
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_tenants.utils import schema_context

from tenants.members import actions
from tenants.members.models import Role, User
from tests.conftest import PASSWORD, add_member, host_of
from tests.cross_workspace import link_path_in_mail, logged_in_through_form
from tests.isolation_registry import ISOLATION_CHECKS, CrossWorkspaceSample

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- sessions and hosts


@pytest.mark.parametrize("path", ["/", "/settings/members/", "/account/", "/accounts/email/"])
def test_workspace_session_on_the_public_host_finds_no_workspace_page(workspace, path):
    browser_a = logged_in_through_form(workspace, workspace.owner.email)
    public = Client(HTTP_HOST="localhost")
    public.cookies[settings.SESSION_COOKIE_NAME] = browser_a.cookies[
        settings.SESSION_COOKIE_NAME
    ].value

    response = public.get(path)

    if path == "/":
        # The public landing page, for an anonymous visitor.
        assert response.status_code == 200
        assert not response.wsgi_request.user.is_authenticated
    else:
        assert response.status_code == 404
    assert workspace.owner.email not in response.content.decode()


def _host_variants(target: str, other: str) -> list[dict[str, str]]:
    """Requests that name `target`'s host in some way while really arriving for `other`."""
    return [
        {"HTTP_HOST": target.upper()},
        {"HTTP_HOST": f"{target}."},
        {"HTTP_HOST": f"www.{target}"},
        {"HTTP_HOST": f"{target}:8000"},
        {"HTTP_HOST": f"{target}:1"},
        {"HTTP_HOST": other, "HTTP_X_FORWARDED_HOST": target},
        {"HTTP_HOST": other, "HTTP_FORWARDED": f"host={target};proto=https"},
        {"HTTP_HOST": other, "HTTP_X_FORWARDED_SERVER": target},
    ]


@pytest.mark.parametrize("variant", range(8))
def test_host_header_variants_never_carry_a_session_to_another_workspace(
    workspace, other_workspace, variant
):
    # Given: A's owner's session cookie.
    browser_a = logged_in_through_form(workspace, workspace.owner.email)
    headers = _host_variants(host_of(other_workspace), host_of(workspace))[variant]

    # When: it is sent with a host that names B (or B's host dressed up).
    browser = Client()
    browser.cookies[settings.SESSION_COOKIE_NAME] = browser_a.cookies[
        settings.SESSION_COOKIE_NAME
    ].value
    response = browser.get("/settings/members/", **headers)

    # Then: nobody is logged in on B; A's page, if shown at all, is A's own (X-Forwarded-*
    # and Forwarded are not believed: the Host header chooses the workspace).
    page = response.content.decode()
    assert other_workspace.owner.email not in page
    if response.status_code == 200:
        assert response.wsgi_request.tenant.pk == workspace.workspace.pk
    else:
        assert response.status_code in (302, 400, 404)
        # (An unknown host is answered before anyone is looked up.)
        user = getattr(response.wsgi_request, "user", None)
        assert user is None or not user.is_authenticated


def test_absolute_uri_naming_another_workspace_is_served_by_the_host_header(
    workspace, other_workspace
):
    browser_a = logged_in_through_form(workspace, workspace.owner.email)

    response = browser_a.get(f"http://{host_of(other_workspace)}/settings/members/")

    assert response.status_code == 200
    assert response.wsgi_request.tenant.pk == workspace.workspace.pk
    assert other_workspace.owner.email not in response.content.decode()


def test_forwarded_host_is_not_used_to_build_links(workspace):
    browser = Client(HTTP_HOST=host_of(workspace), HTTP_X_FORWARDED_HOST="evil.example.com")

    browser.post("/accounts/password/reset/", {"email": workspace.owner.email})

    path = link_path_in_mail(workspace.owner.email, "/accounts/password/reset/key/")
    assert path.startswith("/accounts/password/reset/key/")
    from django.core import mail

    assert "evil.example.com" not in mail.outbox[-1].body


@pytest.mark.parametrize("host", ["acme.localhost", "ACME.localhost", "www.acme.localhost"])
def test_admin_is_absent_on_workspace_hosts_whatever_the_spelling(workspace, host):
    response = Client(HTTP_HOST=host).get("/admin/")

    assert response.status_code == 404


# ---------------------------------------------------------------- invitation tokens


def test_extra_email_and_role_fields_on_acceptance_are_ignored(
    workspace, django_capture_on_commit_callbacks
):
    with (
        schema_context(workspace.workspace.schema_name),
        django_capture_on_commit_callbacks(execute=True),
    ):
        actions.invite_member(acting_user=workspace.owner, email="anna@example.com", role="member")
    path = link_path_in_mail("anna@example.com", "/invite/")

    response = Client(HTTP_HOST=host_of(workspace)).post(
        path,
        {
            "full_name": "Anna",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "email": "boss@elsewhere.example.com",
            "role": "owner",
            "is_staff": "on",
        },
    )

    assert response.status_code == 302
    with schema_context(workspace.workspace.schema_name):
        anna = User.objects.get(full_name="Anna")
        assert (anna.email, anna.role, anna.is_staff) == ("anna@example.com", Role.MEMBER, False)
        assert not User.objects.filter(email="boss@elsewhere.example.com").exists()


# ---------------------------------------------------------------- CSRF


_ANY_SAMPLE = CrossWorkspaceSample(
    member_id=1,
    invitation_id=1,
    invitation_token="x" * 43,
    reset_uidb36="1",
    reset_key="set-password",
    email_confirmation_key="x" * 64,
    login_handoff_token="x" * 43,
    api_key="kt_" + "x" * 40,
    api_key_id=1,
    contact_id=1,
    company_id=1,
    tag_id=1,
    source_id=1,
    custom_field_id=1,
)
# The hand-off is a cross-origin POST by design; it checks the Origin header instead.
_CSRF_EXEMPT = {"welcome"}
_POST_ROUTES = [
    *sorted(
        name
        for name, check in ISOLATION_CHECKS.items()
        if check.method == "post" and name not in _CSRF_EXEMPT
    ),
    "account_login",
    "account_reset_password",
    "mfa_activate_totp",
    "account_reauthenticate",
]


@pytest.mark.parametrize("route_name", _POST_ROUTES)
def test_every_workspace_post_without_a_csrf_token_is_refused(workspace, route_name):
    from tests.cross_workspace import logged_in_client

    check = ISOLATION_CHECKS[route_name]
    url = reverse(route_name, urlconf=settings.ROOT_URLCONF, kwargs=check.url_kwargs(_ANY_SAMPLE))
    browser = logged_in_client(workspace)
    browser.handler.enforce_csrf_checks = True

    response = browser.post(url, {**check.form_data(_ANY_SAMPLE), "name": "Changed"})

    # The REST API ignores the session cookie altogether (Bearer keys only): a browser's
    # session, the thing CSRF abuses, gets 401 there.
    refused = (401, 403) if route_name.startswith("api:") else (403,)
    assert response.status_code in refused, response.content.decode()[:500]


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/signup/", {"name": "A", "subdomain": "csrf-test", "email": "a@example.com"}),
        ("/find-workspace/", {"email": "a@example.com"}),
        ("/i18n/setlang/", {"language": "uk"}),
        ("/admin/login/", {"username": "x@example.com", "password": "x"}),
    ],
)
def test_every_public_post_without_a_csrf_token_is_refused(platform, path, data):
    browser = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)

    response = browser.post(path, data)

    assert response.status_code == 403


# ---------------------------------------------------------------- answers alike


def _screen(response, secret: str = "") -> str:  # type: ignore[no-untyped-def]
    page = response.content.decode()
    if secret:
        page = page.replace(secret, "EMAIL")
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", page)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "CSRF", page)


def test_login_answers_alike_for_known_and_unknown_addresses(workspace):
    browser = Client(HTTP_HOST=host_of(workspace), HTTP_ACCEPT_LANGUAGE="en")

    known = browser.post(
        "/accounts/login/", {"login": workspace.owner.email, "password": "wrong-password-1"}
    )
    unknown = browser.post(
        "/accounts/login/", {"login": "nobody@example.com", "password": "wrong-password-1"}
    )

    assert known.status_code == unknown.status_code == 200
    assert _screen(known, workspace.owner.email) == _screen(unknown, "nobody@example.com")


def test_password_reset_answers_alike_for_known_and_unknown_addresses(workspace):
    browser = Client(HTTP_HOST=host_of(workspace), HTTP_ACCEPT_LANGUAGE="en")

    known = browser.post("/accounts/password/reset/", {"email": workspace.owner.email})
    unknown = browser.post("/accounts/password/reset/", {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


# ---------------------------------------------------------------- stored XSS

XSS_WORKSPACE = "<script>alert('ws')</script>"
XSS_MEMBER = '<img src=x onerror="alert(1)">'
XSS_EMAIL = '"<svg/onload=alert(2)>"@example.com'


@pytest.fixture
def hostile(make_workspace, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """A workspace whose name, members' names and an invited address carry script."""
    new = make_workspace("hostile", name=XSS_WORKSPACE)
    with schema_context(new.workspace.schema_name):
        User.objects.filter(pk=new.owner.pk).update(full_name=XSS_MEMBER)
    member = add_member(new, email="m@example.com")
    with schema_context(new.workspace.schema_name):
        User.objects.filter(pk=member.pk).update(full_name=XSS_MEMBER + "2")
        with django_capture_on_commit_callbacks(execute=True):
            actions.invite_member(acting_user=new.owner, email=XSS_EMAIL, role="member")
        new.owner.refresh_from_db()
    return new


def _assert_escaped(page: str) -> None:
    for payload in (XSS_WORKSPACE, XSS_MEMBER, "<svg/onload=alert(2)>"):
        assert payload not in page
    assert "<script>alert" not in page
    assert "onerror=" not in page.replace("onerror=&quot;", "")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/settings/members/",
        "/settings/workspace/",
        "/account/",
        "/accounts/email/",
        "/accounts/2fa/",
    ],
)
def test_names_with_script_are_escaped_on_every_workspace_page(hostile, path):
    from tests.cross_workspace import logged_in_client

    page = logged_in_client(hostile).get(path, follow=True).content.decode()

    _assert_escaped(page)
    if path in ("/", "/settings/members/"):
        assert "&lt;script&gt;" in page or "&lt;img" in page


def test_names_with_script_are_escaped_on_the_login_and_invitation_pages(
    hostile, django_capture_on_commit_callbacks
):
    with (
        schema_context(hostile.workspace.schema_name),
        django_capture_on_commit_callbacks(execute=True),
    ):
        actions.invite_member(acting_user=hostile.owner, email="new@example.com", role="member")
    visitor = Client(HTTP_HOST=host_of(hostile))

    login = visitor.get("/accounts/login/").content.decode()
    invitation = visitor.get(link_path_in_mail("new@example.com", "/invite/")).content.decode()

    _assert_escaped(login)
    _assert_escaped(invitation)
    assert "&lt;script&gt;alert(&#x27;ws&#x27;)&lt;/script&gt;" in login


def test_names_with_script_are_escaped_in_the_operator_console(hostile):
    User.objects.create_superuser(email="operator@kartoteka.example.com", password=PASSWORD)
    console = Client(HTTP_HOST="localhost")
    console.post(
        "/admin/login/?next=/admin/",
        {"username": "operator@kartoteka.example.com", "password": PASSWORD, "next": "/admin/"},
    )

    listing = console.get("/admin/tenants/workspace/").content.decode()
    change = console.get(
        f"/admin/tenants/workspace/{hostile.workspace.pk}/change/"
    ).content.decode()
    searched = console.get("/admin/tenants/workspace/", {"q": XSS_EMAIL}).content.decode()

    for page in (listing, change, searched):
        _assert_escaped(page)
    assert "&lt;script&gt;" in listing
