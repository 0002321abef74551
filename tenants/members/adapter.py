"""allauth behaviour for workspaces: no open sign-up, people join by invitation."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from tenants.members.language import remember_language_choice


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # A workspace is joined by invitation; a business signs up on the public site.
        return False

    def login(self, request: HttpRequest, user: Any) -> None:
        super().login(request, user)
        # A language picked on the login page wins over the saved one, and is saved.
        remember_language_choice(request, user)
