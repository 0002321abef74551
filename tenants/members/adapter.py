"""allauth behaviour for workspaces: no open sign-up, people join by invitation."""

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # A workspace is joined by invitation; a business signs up on the public site.
        return False
