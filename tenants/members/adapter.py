"""allauth behaviour for workspaces: no open sign-up, people join by invitation."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from tenants.client_address import client_ip
from tenants.db import current_schema_name
from tenants.members.actions import quoted_for_email
from tenants.members.language import remember_language_choice
from tenants.models import Workspace
from tenants.selectors import workspace_url

INACTIVE_LOGIN_SESSION_KEY = "kartoteka_inactive_login"


def _current_workspace() -> Workspace | None:
    """The customer workspace whose schema the connection is in (None on the public site)."""
    schema = current_schema_name()
    if schema == settings.PUBLIC_SCHEMA_NAME:
        return None
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Workspace) and tenant.schema_name == schema:
        return tenant
    return Workspace.objects.filter(schema_name=schema).first()


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # A workspace is joined by invitation; a business signs up on the public site.
        return False

    def login(self, request: HttpRequest, user: Any) -> None:
        super().login(request, user)
        # A language picked on the login page wins over the saved one, and is saved.
        remember_language_choice(request, user)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """allauth's e-mails (confirm address, password reset) as the product's own.

        Our templates (saas_platform/templates/account/email/) name the workspace and
        link to it; they are written in the recipient's language (their saved choice,
        else the workspace's default), as the invitation e-mail is.
        """
        workspace = _current_workspace()
        user = context.get("user")
        language = getattr(user, "language", "") or (
            workspace.default_language if workspace is not None else ""
        )
        context = {
            **context,
            "workspace": workspace,
            # The name is the business's own words: quoted and bounded, never a line of its own.
            "workspace_name": f"“{quoted_for_email(workspace.name)}”" if workspace else "",
            "workspace_url": workspace_url(workspace) if workspace is not None else "",
        }
        with translation.override(language or settings.LANGUAGE_CODE):
            super().send_mail(template_prefix, email, context)

    def respond_user_inactive(self, request: HttpRequest, user: Any) -> HttpResponse:
        """The "account deactivated" page, which then names the admins to ask.

        Only after a real login attempt by a deactivated member (a session flag), so the
        page never lists the workspace's admins to any visitor who opens its URL.
        """
        request.session[INACTIVE_LOGIN_SESSION_KEY] = True
        return super().respond_user_inactive(request, user)

    def is_safe_url(self, url: str | None) -> bool:
        """Only the current host: allauth's default also trusts every host in ALLOWED_HOSTS,
        which here is every workspace, an attacker's included."""
        request = context.request
        if request is None:  # outside a request: relative URLs only
            return url_has_allowed_host_and_scheme(url, allowed_hosts=set())
        return url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )

    def get_client_ip(self, request: HttpRequest) -> str:
        """The address allauth's rate limits count: the same as axes' and signup's."""
        return client_ip(request)
