"""Login limits count clients, not the proxy in front of us (issue 6, point 2).

Production runs behind one reverse proxy (TRUSTED_PROXY_COUNT=1): every request reaches
gunicorn from the proxy's address, and the proxy appends the client's address to
X-Forwarded-For. These tests play that proxy.
"""

import secrets

import pytest
from django.test import Client, RequestFactory

from tenants.client_address import client_ip
from tenants.members.models import User
from tests.conftest import PASSWORD, add_member, host_of

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


def _random_client_address() -> str:
    # Limits live in Redis beyond a test's transaction: each test gets its own clients.
    return f"203.0.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 1}"


def _through_proxy(client_address: str, spoofed: str = "") -> dict[str, str]:
    """What gunicorn sees of a request the proxy forwarded for `client_address`.

    `spoofed` is what the client itself sent as X-Forwarded-For; the proxy appends.
    """
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


@pytest.fixture
def behind_one_proxy(settings):  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="1.2.3.4")

    assert client_ip(request) == "198.51.100.9"


def test_behind_one_proxy_the_client_is_the_address_the_proxy_appended(behind_one_proxy):
    request = RequestFactory().get("/", **_through_proxy("198.51.100.9", spoofed="1.2.3.4"))

    assert client_ip(request) == "198.51.100.9"


def test_behind_one_proxy_a_request_without_the_header_is_the_peer(behind_one_proxy):
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.9")

    assert client_ip(request) == "198.51.100.9"


def test_behind_one_proxy_a_malformed_forwarded_address_is_the_peer(behind_one_proxy):
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="not-an-address")

    assert client_ip(request) == PROXY


def test_allauth_and_axes_ask_the_same_function(settings):
    from allauth.account.adapter import get_adapter
    from axes.helpers import get_client_ip_address

    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", **_through_proxy("198.51.100.9", spoofed="1.2.3.4"))

    assert get_adapter(request).get_client_ip(request) == "198.51.100.9"
    assert get_client_ip_address(request) == "198.51.100.9"


# ---------------------------------------------------------------- workspace login (allauth)


def _login(client: Client, email: str, password: str, **meta: str):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"login": email, "password": password}, **meta)


def test_one_clients_failed_logins_do_not_limit_another_client(
    workspace, behind_one_proxy, settings
):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip"}
    add_member(workspace, email="bob@acme.example.com")
    attacker, colleague = _random_client_address(), _random_client_address()
    browser = Client(HTTP_HOST=host_of(workspace), HTTP_ACCEPT_LANGUAGE="en")

    for attempt in range(5):
        _login(browser, workspace.owner.email, f"wrong-{attempt}", **_through_proxy(attacker))
    limited = _login(browser, workspace.owner.email, PASSWORD, **_through_proxy(attacker))
    other = Client(HTTP_HOST=host_of(workspace), HTTP_ACCEPT_LANGUAGE="en")
    allowed = _login(other, "bob@acme.example.com", PASSWORD, **_through_proxy(colleague))

    assert limited.status_code != 302
    assert "Too many failed login attempts" in limited.content.decode()
    assert allowed.status_code == 302


def test_a_spoofed_forwarded_header_does_not_escape_the_limit(
    workspace, behind_one_proxy, settings
):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip"}
    attacker = _random_client_address()
    browser = Client(HTTP_HOST=host_of(workspace), HTTP_ACCEPT_LANGUAGE="en")

    for attempt in range(5):
        # A fresh made-up address in front each time; the proxy still appends the real one.
        spoofed = _random_client_address()
        _login(browser, "x@example.com", f"wrong-{attempt}", **_through_proxy(attacker, spoofed))
    limited = _login(
        browser, workspace.owner.email, PASSWORD, **_through_proxy(attacker, "192.0.2.1")
    )

    assert "Too many failed login attempts" in limited.content.decode()


# ---------------------------------------------------------------- operator console (axes)


@pytest.fixture
def operator(platform) -> User:  # type: ignore[no-untyped-def]
    return User.objects.create_superuser(email="operator@kartoteka.example.com", password=PASSWORD)


def _console_login(client: Client, password: str, **meta: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "operator@kartoteka.example.com", "password": password, "next": "/admin/"},
        **meta,
    )


def test_console_lockout_of_one_client_does_not_lock_out_the_operator(
    operator, behind_one_proxy, settings
):
    attacker, operator_address = _random_client_address(), _random_client_address()
    browser = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en")

    for attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        _console_login(browser, f"wrong-{attempt}", **_through_proxy(attacker))
    locked = _console_login(browser, PASSWORD, **_through_proxy(attacker))
    operator_browser = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en")
    allowed = _console_login(operator_browser, PASSWORD, **_through_proxy(operator_address))

    assert locked.status_code == 429
    assert allowed.status_code == 302
    assert allowed["Location"] == "/admin/"


def test_console_lockout_holds_against_a_spoofed_forwarded_header(
    operator, behind_one_proxy, settings
):
    attacker = _random_client_address()
    browser = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en")

    for attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        spoofed = _random_client_address()
        _console_login(browser, f"wrong-{attempt}", **_through_proxy(attacker, spoofed))
    locked = _console_login(browser, PASSWORD, **_through_proxy(attacker, "192.0.2.1"))

    assert locked.status_code == 429


def test_limits_count_an_ipv6_client_by_its_64_network(behind_one_proxy):
    from tenants.client_address import client_ip_for_limits

    first = RequestFactory().get("/", **_through_proxy("2001:db8:1:2:aaaa::1"))
    second = RequestFactory().get("/", **_through_proxy("2001:db8:1:2:ffff:1:2:3"))
    neighbour = RequestFactory().get("/", **_through_proxy("2001:db8:1:3::1"))

    assert client_ip_for_limits(first) == client_ip_for_limits(second) == "2001:db8:1:2::"
    assert client_ip_for_limits(neighbour) == "2001:db8:1:3::"
    assert client_ip(first) == "2001:db8:1:2:aaaa::1"


def test_ipv4_clients_are_counted_one_by_one(behind_one_proxy):
    from tenants.client_address import client_ip_for_limits

    request = RequestFactory().get("/", **_through_proxy("198.51.100.9"))

    assert client_ip_for_limits(request) == "198.51.100.9"


def test_signups_rotating_addresses_of_one_ipv6_network_share_the_limit(
    platform, behind_one_proxy, settings
):
    settings.SIGNUPS_PER_CLIENT_PER_HOUR = 1
    network = f"2001:db8:{secrets.randbelow(65000):x}:{secrets.randbelow(65000):x}"
    browser = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en")

    def signup(host_part: str):  # type: ignore[no-untyped-def]
        return browser.post(
            "/signup/",
            {
                "name": "Shop",
                "subdomain": f"v6-{secrets.token_hex(4)}",
                "email": f"o-{secrets.token_hex(4)}@example.com",
                "password": PASSWORD,
            },
            **_through_proxy(f"{network}::{host_part}"),
        )

    assert signup("1").status_code == 200
    assert signup("2").status_code == 429
