"""The public landing page, the workspace home page and the error pages."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils import translation

from tenants.members.models import Role, User
from tenants.regional import zone_label

logger = logging.getLogger(__name__)


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "landing.html")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The workspace's first screen: what to do next (onboarding.checklist), then the work."""
    from crm.selectors.tasks import day_work
    from onboarding.checklist import checklist_dismissed, checklist_for

    checklist = checklist_for(request.user)  # type: ignore[arg-type]
    return render(
        request,
        "home.html",
        {
            "day": day_work(request.user),  # type: ignore[arg-type]
            "checklist": checklist,
            "checklist_done": all(item.done for item in checklist),
            "checklist_dismissed": checklist_dismissed(request.user),  # type: ignore[arg-type]
            "workspace_zone": zone_label(request.tenant.time_zone),  # type: ignore[attr-defined]
        },
    )


# ---------------------------------------------------------------- error pages
#
# Every error is a page of the product: styled, in the reader's language, saying what
# happened and the way on. Wired as handler400/403/404/500 in both URL confs and as
# CSRF_FAILURE_VIEW. They must work with DEBUG off and on any host, so they assume
# little: the language may not be active yet (a bad Host header fails before the
# middleware that picks it), and the 500 page falls back to a page with no context.


def _ensure_language(request: HttpRequest) -> None:
    from tenants.members.language import language_from_query

    chosen = language_from_query(request)
    if chosen or not getattr(request, "LANGUAGE_CODE", None):
        language = chosen or translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language


def _workspace_admins(request: HttpRequest) -> list[User]:
    workspace = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if workspace is None or workspace.schema_name == settings.PUBLIC_SCHEMA_NAME:
        return []
    if user is None or not user.is_authenticated:
        return []
    return list(
        User.objects.filter(is_active=True, role__in=[Role.OWNER, Role.ADMIN]).order_by(
            "role", "full_name", "email"
        )[:5]
    )


def _error_page(
    request: HttpRequest, status: int, extra: dict[str, object] | None = None
) -> HttpResponse:
    _ensure_language(request)
    context: dict[str, object] = {"status": status, **(extra or {})}
    return HttpResponse(
        loader.render_to_string(f"errors/{status}.html", context, request), status=status
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 403, {"workspace_admins": _workspace_admins(request)})


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error_page(request, 403, {"csrf_failure": True})


def server_error(request: HttpRequest) -> HttpResponse:
    try:
        return _error_page(request, 500)
    except Exception:  # The page that reports a failure must not fail itself.
        logger.exception("the 500 page failed; answering with the plain one")
        body = loader.render_to_string(
            "errors/500_plain.html", {"support_email": settings.SUPPORT_EMAIL}
        )
        return HttpResponse(body, status=500)
