"""Request middleware: find the workspace for the host, then apply the member's preferences."""

import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse, set_urlconf
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_tenants.middleware.main import TenantMainMiddleware

from tenants.db import enter_public_schema
from tenants.members import language as language_rule
from tenants.models import Workspace, WorkspaceStatus


def _language_switch_response(request: HttpRequest) -> HttpResponse:
    """The language switch where no session exists (unknown host, suspended workspace)."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, {request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language in language_rule.supported_languages():
        language_rule.set_language_cookie(response, language)
    return response


def _is_language_switch(request: HttpRequest, urlconf: str) -> bool:
    return request.method == "POST" and request.path == reverse("set_language", urlconf=urlconf)


class WorkspaceMiddleware(TenantMainMiddleware):
    """django-tenants' host -> workspace routing, with a friendly page for unknown hosts.

    A suspended workspace answers every request with a notice; its data stays. Both
    pages keep their language switch working (it only sets the cookie here).
    """

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        try:
            request.get_host()
        except DisallowedHost:
            # django-tenants answers an empty 404 here; say where Kartoteka is instead.
            enter_public_schema()
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
            set_urlconf(request.urlconf)
            from saas_platform.views import bad_request

            return bad_request(request)
        response = super().process_request(request)
        if response is not None:
            return response
        workspace = request.tenant  # type: ignore[attr-defined]
        if workspace.status == WorkspaceStatus.SUSPENDED:
            if _is_language_switch(request, settings.ROOT_URLCONF):
                return _language_switch_response(request)
            language = language_rule.language_for_anonymous(request, workspace.default_language)
            translation.activate(language)
            request.LANGUAGE_CODE = language
            if request.path.startswith("/api/"):
                # Scripts get the API's JSON error shape, not a page.
                return JsonResponse(
                    {
                        "code": "suspended",
                        "message": _("This workspace is suspended. Its data is kept."),
                        "fields": {},
                    },
                    status=403,
                )
            return render(
                request,
                "workspace_suspended.html",
                {"suspended": workspace, "support_email": settings.SUPPORT_EMAIL},
                status=403,
            )
        return None

    def no_tenant_found(self, request: HttpRequest, hostname: str) -> HttpResponse:
        enter_public_schema()
        request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
        set_urlconf(request.urlconf)
        if _is_language_switch(request, settings.PUBLIC_SCHEMA_URLCONF):
            return _language_switch_response(request)
        language = language_rule.language_for_anonymous(
            request, translation.get_language_from_request(request)
        )
        translation.activate(language)
        request.LANGUAGE_CODE = language
        return render(
            request,
            "unknown_workspace.html",
            {"hostname": hostname, "support_email": settings.SUPPORT_EMAIL},
            status=404,
        )


class MemberPreferencesMiddleware:
    """Activate the language and time zone a person expects in their workspace.

    Language: see tenants.members.language (a choice made now wins and is remembered).
    Time zone: the member's own when they chose one (My account), else the workspace's.
    The public site keeps Django's negotiation.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        workspace = getattr(request, "tenant", None)
        if workspace is None or workspace.schema_name == settings.PUBLIC_SCHEMA_NAME:
            return self.get_response(request)
        chosen = language_rule.language_from_query(request)
        if chosen:
            self._remember(request, chosen)
        language = chosen or self._language_for(request, workspace)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        timezone.activate(self._zone_for(request, workspace))
        response = self.get_response(request)
        timezone.deactivate()
        if chosen:
            language_rule.set_language_cookie(response, chosen)
        return response

    @staticmethod
    def _zone_for(request: HttpRequest, workspace: Any) -> zoneinfo.ZoneInfo:
        from tenants.regional import member_zone_info

        return member_zone_info(getattr(request, "user", None), workspace.time_zone)

    @staticmethod
    def _remember(request: HttpRequest, language: str) -> None:
        from tenants.members import actions

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language != language:
                actions.set_member_language(acting_user=user, language=language)
        else:
            language_rule.note_language_choice(request, language)

    @staticmethod
    def _language_for(request: HttpRequest, workspace: Workspace) -> str:
        supported = language_rule.supported_languages()
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language in supported:
            return str(user.language)
        return language_rule.language_for_anonymous(request, workspace.default_language)
