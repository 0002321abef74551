"""The billing banner every workspace page shows: trial days left, past due, read-only."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from billing.selectors import banner_state


def _banner(request: HttpRequest) -> dict[str, object] | None:
    workspace = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if (
        workspace is None
        or workspace.schema_name == settings.PUBLIC_SCHEMA_NAME
        or user is None
        or not user.is_authenticated
    ):
        return None
    return banner_state(workspace)


def billing_banner(request: HttpRequest) -> dict[str, object]:
    """Lazy: costs its one query only on pages that show the banner."""
    return {"billing_banner": SimpleLazyObject(lambda: _banner(request) or {})}
