"""Template context every page needs: where we are (public site or a workspace)."""

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, object]:
    workspace = getattr(request, "tenant", None)
    in_workspace = workspace is not None and workspace.schema_name != settings.PUBLIC_SCHEMA_NAME
    from tenants.selectors import public_site_url

    return {
        "workspace": workspace if in_workspace else None,
        "public_site_url": public_site_url("/"),
        "platform_languages": settings.LANGUAGES,
    }
