"""The request side of the read-only rule: a read-only workspace refuses every write request.

One place for every page, form, htmx call and API endpoint, including the ones later
issues add: a request that is not GET/HEAD/OPTIONS on a workspace host is refused with
a translated page (or JSON for API clients) while `Workspace.status` says read-only.
Logging in and out, the language switch and views marked `allowed_when_read_only`
(billing, export) keep working. Costs no query: the workspace row is already on the
request (loaded by WorkspaceMiddleware).
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from tenants.guards import WorkspaceReadOnlyError, workspace_is_writable
from tenants.models import Workspace

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# URL names that must keep working in a read-only workspace (no data of the workspace changes).
DEFAULT_EXEMPT_URL_NAMES = frozenset(
    {
        "account_login",
        "account_logout",
        "account_reauthenticate",
        "mfa_authenticate",
        "mfa_reauthenticate",
        "set_language",
        # POST /api/exports only reads (like the Exports page, marked allowed_when_read_only).
        "api_export_create",
    }
)


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return request.path.startswith("/api/") or (
        "application/json" in accept and "text/html" not in accept
    )


def read_only_response(request: HttpRequest, workspace: Workspace) -> HttpResponse:
    """The refusal a write request gets in a read-only workspace (403, translated)."""
    error = WorkspaceReadOnlyError(workspace)
    subscribe_url = ""
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_workspace_admin", False):
        url_name = getattr(settings, "READ_ONLY_SUBSCRIBE_URL_NAME", "")
        try:
            subscribe_url = reverse(url_name) if url_name else ""
        except NoReverseMatch:
            subscribe_url = ""
    if _wants_json(request):
        # The REST API's error shape (code, message, fields), so scripts read one format.
        body: dict[str, object] = {"code": "read_only", "message": error.message, "fields": {}}
        if subscribe_url:
            body["subscribe_url"] = subscribe_url
        return JsonResponse(body, status=403)
    return render(
        request,
        "tenants/read_only.html",
        {"message": error.message, "subscribe_url": subscribe_url},
        status=403,
    )


class ReadOnlyWorkspaceMiddleware:
    """Refuses non-safe requests in a read-only workspace; see the module docstring."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.exempt_url_names = DEFAULT_EXEMPT_URL_NAMES | frozenset(
            getattr(settings, "READ_ONLY_EXEMPT_URL_NAMES", ())
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if request.method in SAFE_METHODS:
            return None
        workspace = getattr(request, "tenant", None)
        if not isinstance(workspace, Workspace) or workspace_is_writable(workspace):
            return None
        if getattr(view_func, "allowed_when_read_only", False):
            return None
        match = request.resolver_match
        if match is not None and match.url_name in self.exempt_url_names:
            return None
        return read_only_response(request, workspace)
