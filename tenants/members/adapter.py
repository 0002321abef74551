"""allauth behaviour for workspaces: no open sign-up, people join by invitation."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from tenants.client_address import client_ip
from tenants.members.language import remember_language_choice


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # A workspace is joined by invitation; a business signs up on the public site.
        return False

    def login(self, request: HttpRequest, user: Any) -> None:
        super().login(request, user)
        # A language picked on the login page wins over the saved one, and is saved.
        remember_language_choice(request, user)

    def is_safe_url(self, url: str | None) -> bool:
        """Only the current host: allauth's default also trusts every host in ALLOWED_HOSTS,
        which here is every workspace, an attacker's included."""
        request = context.request
        return url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )

    def get_client_ip(self, request: HttpRequest) -> str:
        """The address allauth's rate limits count: the same as axes' and signup's."""
        return client_ip(request)
