"""Bearer authentication of the REST API by workspace API keys, and who a request acts as.

`Authorization: Bearer <key>` is looked up in the schema of the request's host only, so
another workspace's key is simply unknown here (401), never a way in. A request acts as
the member who created the key, with that member's role and client visibility; history
names the key. Keys with the read scope may only use safe methods (GET, HEAD, OPTIONS).
Export endpoints use ApiKeyAuth(export=True) instead: they need the separate export scope (an
export only reads, so a read key with that scope may start one).
"""

from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from tenants.api_keys.actions import api_key_for_secret
from tenants.api_keys.models import ApiKey
from tenants.members.models import User

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiKeyScopeError(Exception):
    """A read-only key was used for a write (answered 403)."""

    @property
    def message(self) -> str:
        return _("This API key may only read. Create a key with read and write access.")


def requested_language(request: HttpRequest) -> str | None:
    """The first supported language in the request's Accept-Language header, if any."""
    header = request.headers.get("Accept-Language", "")
    if not header:
        return None
    supported = {code for code, _name in settings.LANGUAGES}
    for language, _quality in translation.trans_real.parse_accept_lang_header(header):
        code = language.split("-")[0].lower()
        if code in supported:
            return code
    return None


def activate_api_language(request: HttpRequest, member: User | None = None) -> str:
    """Use Accept-Language, else the key owner's language, else the workspace's default."""
    language = requested_language(request)
    if language is None and member is not None and member.language:
        language = member.language
    if language is None:
        workspace = getattr(request, "tenant", None)
        language = getattr(workspace, "default_language", None) or settings.LANGUAGE_CODE
    translation.activate(language)
    request.LANGUAGE_CODE = language
    cast(Any, request).api_language_chosen = True
    return language


class ApiKeyExportScopeError(ApiKeyScopeError):
    """A key without the export scope, or whose creator no longer exports (answered 403)."""

    def __init__(self, *, creator_not_admin: bool = False):
        super().__init__()
        self.creator_not_admin = creator_not_admin

    @property
    def message(self) -> str:
        if self.creator_not_admin:
            return _(
                "Only owners and admins export, and the member this API key acts as is no "
                "longer one."
            )
        return _(
            "This API key may not export. An owner or admin can create a key with the "
            "export access under Settings → API keys."
        )


class ApiKeyAuth(HttpBearer):
    """django-ninja auth: the request's workspace's active key, or None (401).

    `ApiKeyAuth(export=True)` is the export endpoints' auth: the export scope, whatever
    the method, and a creator who is still an active owner or admin (a demoted admin's key
    stops exporting). One class for both, so the OpenAPI schema has one bearer scheme.
    """

    def __init__(self, *, export: bool = False):
        super().__init__()
        self.export = export

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        api_key = api_key_for_secret(token.strip())
        if api_key is None:
            return None
        activate_api_language(request, api_key.created_by)
        # The member as `request.user`, so Django tooling (logs, Sentry) sees who acted.
        request.user = api_key.created_by
        self.check_scope(request, api_key)
        return api_key

    def check_scope(self, request: HttpRequest, api_key: ApiKey) -> None:
        if self.export:
            if not api_key.can_export:
                raise ApiKeyExportScopeError()
            if not api_key.created_by.is_workspace_admin:
                raise ApiKeyExportScopeError(creator_not_admin=True)
        elif request.method not in SAFE_METHODS and not api_key.can_write:
            raise ApiKeyScopeError()


def request_api_key(request: HttpRequest) -> ApiKey:
    """The key an authenticated API request came with."""
    return cast(ApiKey, cast(Any, request).auth)


def acting_member(request: HttpRequest) -> User:
    """The member an API request acts as: the key's creator."""
    return request_api_key(request).created_by
