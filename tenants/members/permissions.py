"""View guards for the workspace."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def workspace_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-in owners and admins only; members get 403, visitors the login page."""

    @login_required
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_workspace_admin:  # type: ignore[union-attr]
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return guarded
