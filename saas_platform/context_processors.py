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
        # Each language in its own name: "Українська", "Русский", "English".
        "platform_languages": [
            (code, name)
            for code, name in settings.LANGUAGE_NATIVE_NAMES.items()
            if code in dict(settings.LANGUAGES)
        ],
        "support_email": settings.SUPPORT_EMAIL,
    }
