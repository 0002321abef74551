"""Two-factor authentication on the workspace host: TOTP through allauth's pages, recovery codes."""

from urllib.parse import parse_qs, urlparse

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD, add_member, host_of

pytestmark = pytest.mark.django_db

EMAIL = "careful@acme.example.com"


@pytest.fixture(autouse=True)
def _tolerate_one_time_step(settings):  # type: ignore[no-untyped-def]
    # A code computed at the very end of a 30-second step must still pass a moment later.
    settings.MFA_TOTP_TOLERANCE = 1


def _totp_code(secret: str) -> str:
    """The code an authenticator app shows now for `secret`."""
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def _login(client: Client, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"login": EMAIL, "password": password})


def _is_logged_in(client: Client) -> bool:
    response = client.get("/")
    return response.status_code == 200 and response.context["user"].email == EMAIL


def _open_totp_activation(client: Client):  # type: ignore[no-untyped-def]
    """Log in and open the TOTP page; allauth first asks for the password again."""
    _login(client)
    asked = client.get("/accounts/2fa/totp/activate/")
    assert asked.status_code == 302
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    page = client.post(asked["Location"], {"password": PASSWORD}, follow=True)
    assert page.request["PATH_INFO"] == "/accounts/2fa/totp/activate/"
    return page


def _secret_shown_on(page) -> str:  # type: ignore[no-untyped-def]
    """The secret in the otpauth:// URL the QR code encodes, as an authenticator app reads it."""
    return parse_qs(urlparse(page.context["totp_url"]).query)["secret"][0]


def _activate_totp(client: Client) -> tuple[str, list[str]]:
    """Turn TOTP on through allauth's pages; returns the secret and the recovery codes shown."""
    secret = _secret_shown_on(_open_totp_activation(client))
    activated = client.post("/accounts/2fa/totp/activate/", {"code": _totp_code(secret)})
    assert activated.status_code == 302, activated.content.decode()
    codes_page = client.get(activated["Location"])
    assert codes_page.status_code == 200
    return secret, list(codes_page.context["unused_codes"])


@pytest.fixture
def member(workspace):  # type: ignore[no-untyped-def]
    # Invited members have a verified e-mail, which allauth requires before adding 2FA.
    return add_member(workspace, email=EMAIL)


def test_member_enables_totp_and_gets_recovery_codes(workspace, member):
    client = Client(HTTP_HOST=host_of(workspace))

    _secret, codes = _activate_totp(client)

    assert len(codes) == 10
    assert len(set(codes)) == 10
    with schema_context(workspace.workspace.schema_name):
        kinds = set(Authenticator.objects.filter(user=member).values_list("type", flat=True))
    assert kinds == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
    assert client.get("/account/").context["mfa_enabled"] is True


def test_totp_activation_rejects_a_wrong_code(workspace, member):
    client = Client(HTTP_HOST=host_of(workspace))
    secret = _secret_shown_on(_open_totp_activation(client))
    wrong = f"{(int(_totp_code(secret)) + 1) % 1_000_000:06d}"

    response = client.post("/accounts/2fa/totp/activate/", {"code": wrong})

    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    with schema_context(workspace.workspace.schema_name):
        assert not Authenticator.objects.filter(user=member).exists()


def test_unverified_email_cannot_enable_totp(workspace):
    # The owner of a new workspace has not confirmed the signup e-mail yet.
    client = Client(HTTP_HOST=host_of(workspace))
    client.post("/accounts/login/", {"login": workspace.owner.email, "password": PASSWORD})

    response = client.get("/accounts/2fa/totp/activate/", follow=True)

    assert response.request["PATH_INFO"] == "/accounts/2fa/"
    assert "once your e-mail address is confirmed" in response.content.decode()
    with schema_context(workspace.workspace.schema_name):
        assert not Authenticator.objects.exists()


def test_with_totp_on_password_alone_does_not_log_in(workspace, member):
    _activate_totp(Client(HTTP_HOST=host_of(workspace)))
    client = Client(HTTP_HOST=host_of(workspace))

    response = _login(client)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert not _is_logged_in(client)


def test_with_totp_on_login_succeeds_with_the_current_code(workspace, member):
    secret, _codes = _activate_totp(Client(HTTP_HOST=host_of(workspace)))
    client = Client(HTTP_HOST=host_of(workspace))
    _login(client)

    response = client.post("/accounts/2fa/authenticate/", {"code": _totp_code(secret)})

    assert response.status_code == 302
    assert _is_logged_in(client)


def test_with_totp_on_a_wrong_code_does_not_log_in(workspace, member):
    secret, _codes = _activate_totp(Client(HTTP_HOST=host_of(workspace)))
    client = Client(HTTP_HOST=host_of(workspace))
    _login(client)
    wrong = f"{(int(_totp_code(secret)) + 500_000) % 1_000_000:06d}"

    response = client.post("/accounts/2fa/authenticate/", {"code": wrong})

    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert not _is_logged_in(client)


def test_recovery_code_logs_in_once(workspace, member):
    _secret, codes = _activate_totp(Client(HTTP_HOST=host_of(workspace)))
    first = Client(HTTP_HOST=host_of(workspace))
    _login(first)

    used = first.post("/accounts/2fa/authenticate/", {"code": codes[0]})

    assert used.status_code == 302
    assert _is_logged_in(first)
    second = Client(HTTP_HOST=host_of(workspace))
    _login(second)
    reused = second.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert reused.status_code == 200
    assert "Incorrect code." in reused.content.decode()
    assert not _is_logged_in(second)
    another = second.post("/accounts/2fa/authenticate/", {"code": codes[1]})
    assert another.status_code == 302
    assert _is_logged_in(second)
