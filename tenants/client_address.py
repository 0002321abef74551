"""The address of the client behind our reverse proxies: one answer for every limit.

allauth's login and reset limits (through the account adapter), django-axes' lockouts of
the operator console and the signup limits all ask `client_ip`, so they agree on who the
client is. `settings.TRUSTED_PROXY_COUNT` says how many proxies of ours append to
X-Forwarded-For; the client is the entry the outermost of them appended. Entries further
left were written by the client itself and are never believed. With no trusted proxy
(development) the header is ignored and the client is REMOTE_ADDR.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's IP address as our outermost trusted proxy saw it (REMOTE_ADDR without one)."""
    remote_addr = str(request.META.get("REMOTE_ADDR", ""))
    proxy_count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if proxy_count <= 0:
        return remote_addr
    forwarded = [
        entry.strip()
        for entry in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if entry.strip()
    ]
    if len(forwarded) < proxy_count:
        # Not through all of our proxies: the nearest address we know is the peer's.
        return remote_addr
    return _valid_ip(forwarded[-proxy_count]) or remote_addr


# One IPv6 client usually holds a whole /64: limits count the network, not each address
# (allauth does the same for its own limits with ALLAUTH_RATE_LIMIT_IPV6_PREFIX, 64).
IPV6_LIMIT_PREFIX = 64


def client_ip_for_limits(request: HttpRequest) -> str:
    """`client_ip`, with an IPv6 address widened to its /64 network's first address.

    What signup limits, find-my-workspace limits and django-axes' lockouts count, so that a
    client cannot step around them by rotating the addresses of its own IPv6 network.
    """
    address = client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        network = ipaddress.ip_network(f"{parsed}/{IPV6_LIMIT_PREFIX}", strict=False)
        return str(network.network_address)
    return address
