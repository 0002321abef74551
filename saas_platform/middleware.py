"""Request middleware: find the workspace for the host, then apply the member's preferences."""

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import set_urlconf
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.middleware.main import TenantMainMiddleware

from tenants.db import enter_public_schema
from tenants.models import Workspace, WorkspaceStatus


class WorkspaceMiddleware(TenantMainMiddleware):
    """django-tenants' host -> workspace routing, with a friendly page for unknown hosts.

    A suspended workspace answers every request with a notice; its data stays.
    """

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        response = super().process_request(request)
        if response is not None:
            return response
        workspace = request.tenant  # type: ignore[attr-defined]
        if workspace.status == WorkspaceStatus.SUSPENDED:
            translation.activate(workspace.default_language)
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
            return render(request, "workspace_suspended.html", {"suspended": workspace}, status=403)
        return None

    def no_tenant_found(self, request: HttpRequest, hostname: str) -> HttpResponse:
        enter_public_schema()
        request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
        set_urlconf(request.urlconf)
        translation.activate(translation.get_language_from_request(request))
        return render(
            request,
            "unknown_workspace.html",
            {"hostname": hostname},
            status=404,
        )


class MemberPreferencesMiddleware:
    """Activate the language and time zone a person expects in their workspace.

    Language: the member's saved choice, else the language cookie, else the workspace
    default. Time zone: the workspace's. The public site keeps Django's negotiation.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        workspace = getattr(request, "tenant", None)
        if workspace is not None and workspace.schema_name != settings.PUBLIC_SCHEMA_NAME:
            language = self._language_for(request, workspace)
            translation.activate(language)
            request.LANGUAGE_CODE = language
            timezone.activate(zoneinfo.ZoneInfo(workspace.time_zone))
        response = self.get_response(request)
        timezone.deactivate()
        return response

    @staticmethod
    def _language_for(request: HttpRequest, workspace: Workspace) -> str:
        supported = {code for code, _name in settings.LANGUAGES}
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language in supported:
            return user.language
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if cookie in supported:
            return cookie
        return workspace.default_language
