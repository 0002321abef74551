"""The workspace's REST API: one NinjaAPI at /api/ on workspace hosts only.

Every endpoint lives in an app's router (crm.api) and calls that app's actions and
selectors, so the API keeps the same rules as the pages. This module owns what is
common to every endpoint: authentication by API key (tenants.api_keys.auth), the docs
served from our own static files, and one error shape for everything that can go wrong:

    {"code": "<stable code>", "message": "<translated>", "fields": {"<field>": ["..."]}}

Bad input never ends in a 500: malformed JSON (400), a body too large (413), wrong
types, unknown or missing fields (422) all answer in that shape.
"""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer

from crm.custom_values import CustomValueError
from crm.errors import CrmNotFoundError, CrmValidationError, DuplicateFound
from tenants.api_keys.auth import ApiKeyAuth, ApiKeyScopeError, activate_api_language
from tenants.guards import WorkspaceReadOnlyError

logger = logging.getLogger(__name__)

API_DESCRIPTION = """
The REST API of a Kartoteka workspace. Every request needs an API key of this
workspace, created by an owner or admin under Settings → API keys, sent as
`Authorization: Bearer <key>`. A key acts as the member who created it: it sees the
clients that member sees. Keys with read access may only use GET.

Errors are JSON: `{"code": ..., "message": ..., "fields": {field: [messages]}}`.
Messages follow `Accept-Language` (ru, uk, en), else the key owner's language.
Lists are paginated by cursor: pass the `next_cursor` of a page as `cursor`.
"""


class Utf8JsonRenderer(JSONRenderer):
    """JSON with Cyrillic as it is, not \\u escapes (the body is UTF-8 anyway)."""

    json_dumps_params = {"ensure_ascii": False}


class WorkspaceApi(NinjaAPI):
    """NinjaAPI whose error handlers speak the caller's language even before authentication."""

    def on_exception(self, request: HttpRequest, exc: Any) -> HttpResponse:
        if not getattr(request, "api_language_chosen", False):
            # Not authenticated: no key owner to follow, only the request and the workspace.
            activate_api_language(request)
        return super().on_exception(request, exc)


api = WorkspaceApi(
    title="Kartoteka API",
    version="1",
    description=API_DESCRIPTION,
    urls_namespace="api",
    auth=ApiKeyAuth(),
    docs=Swagger(settings={"persistAuthorization": True, "validatorUrl": None}),
    docs_url="/docs",
    renderer=Utf8JsonRenderer(),
    openapi_url="/openapi.json",
)


def error_response(
    request: HttpRequest,
    *,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
    **extra: Any,
) -> HttpResponse:
    """The API's one error shape."""
    body = {"code": code, "message": message, "fields": fields or {}, **extra}
    return api.create_response(request, body, status=status)


SCHEMA_PARAMETERS = frozenset({"payload", "filters"})


# Pydantic's error types, grouped into the few messages a person needs (translated).
def _type_message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind.startswith("int_") or kind == "int_from_float":
        return _("Enter a whole number.")
    if kind.startswith(("float_", "decimal_")) and kind not in {"decimal_max_digits"}:
        return _("Enter a number.")
    if kind.startswith("bool_"):
        return _("Enter true or false.")
    if kind == "string_type":
        return _("Enter text.")
    if kind == "string_too_long":
        return _("Too long: at most %(limit)s characters.") % {
            "limit": context.get("max_length", "?")
        }
    if kind == "string_too_short":
        return _("This field may not be empty.")
    if kind in {"too_long"}:
        return _("Too many items: at most %(limit)s.") % {"limit": context.get("max_length", "?")}
    if kind.startswith("date_") and not kind.startswith("datetime"):
        return _("Enter a date as YYYY-MM-DD.")
    if kind.startswith("datetime_"):
        return _("Enter a date and time in ISO 8601, e.g. 2026-12-06T14:30:00+03:00.")
    if kind in {"list_type", "tuple_type", "set_type"}:
        return _("Enter a list.")
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return _("Enter an object.")
    if kind in {"enum", "literal_error"}:
        return _("Choose one of: %(choices)s.") % {"choices": context.get("expected", "")}
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return _("The value is out of range.")
    if kind == "value_error":
        return str(context.get("error") or error.get("msg") or _("This value is not valid."))
    return _("This value is not valid.")


def _field_name(location: tuple[Any, ...] | list[Any]) -> str:
    """Where pydantic says the error is, as the name of the field the caller sent.

    ("body", "payload", "phones", 0, "number") -> "phones.0.number";
    ("query", "filters", "tag", 0) -> "tag"; ("path", "contact_id") -> "contact_id".
    Endpoints name their body parameter `payload` and their query schema `filters`.
    """
    source, *parts = list(location) or ["body"]
    if parts and parts[0] in SCHEMA_PARAMETERS:
        parts = parts[1:]
    # Pydantic marks an error in a dictionary's key as "[key]": the key is the field.
    parts = [part for part in parts if part != "[key]"]
    if source == "query":
        # A repeated query parameter (?tag=1&tag=x) is one field to the caller.
        while parts and isinstance(parts[-1], int):
            parts = parts[:-1]
    return ".".join(str(part) for part in parts) or "__all__"


@api.exception_handler(NinjaValidationError)
def _invalid_input(request: HttpRequest, error: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for item in error.errors:
        if item.get("type") == "json_invalid":
            return _malformed(request)
        fields.setdefault(_field_name(item.get("loc", ())), []).append(_type_message(item))
    return error_response(
        request,
        status=422,
        code="invalid",
        message=_("Some fields are not valid."),
        fields=fields,
    )


def _malformed(request: HttpRequest) -> HttpResponse:
    return error_response(
        request,
        status=400,
        code="malformed",
        message=_("The request body is not valid JSON."),
    )


@api.exception_handler(CrmValidationError)
def _crm_invalid(request: HttpRequest, error: CrmValidationError) -> HttpResponse:
    required = str(error.code) == "required"
    return error_response(
        request,
        status=422,
        code=str(error.code),
        message=_("Required fields are missing.") if required else _("Some fields are not valid."),
        fields=error.field_errors,
    )


@api.exception_handler(DuplicateFound)
def _duplicate(request: HttpRequest, error: DuplicateFound) -> HttpResponse:
    return error_response(
        request,
        status=409,
        code="duplicate",
        message=_(
            "Another record already has this phone, e-mail or tax number. Open it, or send "
            "the request again with allow_duplicate=true to save anyway."
        ),
        duplicates=[
            {
                "record_type": match.record_type,
                "id": match.record_id if match.visible else None,
                "name": match.record_name if match.visible else None,
                "matched_on": match.matched_on,
                "matched_value": match.matched_value,
                "responsible_id": match.responsible_id,
                "responsible_name": match.responsible_name,
            }
            for match in error.matches
        ],
    )


@api.exception_handler(CustomValueError)
def _custom_value_invalid(request: HttpRequest, error: CustomValueError) -> HttpResponse:
    # A custom field value the engine refused where no field name was attached to it.
    return error_response(
        request,
        status=422,
        code="invalid",
        message=_("Some fields are not valid."),
        fields={"custom": [error.message]},
    )


@api.exception_handler(DjangoValidationError)
def _django_invalid(request: HttpRequest, error: DjangoValidationError) -> HttpResponse:
    if hasattr(error, "error_dict"):
        fields = {field: list(messages) for field, messages in error.message_dict.items()}
    else:
        fields = {"__all__": list(error.messages)}
    return error_response(
        request,
        status=422,
        code="invalid",
        message=" ".join(error.messages) or _("Some fields are not valid."),
        fields=fields,
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    response = error_response(
        request,
        status=401,
        code="unauthorized",
        message=_(
            "A valid API key of this workspace is required, sent as 'Authorization: Bearer <key>'."
        ),
    )
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(ApiKeyScopeError)
def _read_only_key(request: HttpRequest, error: ApiKeyScopeError) -> HttpResponse:
    return error_response(request, status=403, code="forbidden", message=error.message)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    return error_response(
        request,
        status=403,
        code="forbidden",
        message=str(error) or _("You are not allowed to do this."),
    )


@api.exception_handler(WorkspaceReadOnlyError)
def _workspace_read_only(request: HttpRequest, error: WorkspaceReadOnlyError) -> HttpResponse:
    return error_response(request, status=403, code="read_only", message=error.message)


def _not_found(request: HttpRequest, error: Any) -> HttpResponse:
    return error_response(
        request, status=404, code="not_found", message=_("Not found (or not yours to see).")
    )


api.add_exception_handler(Http404, _not_found)
api.add_exception_handler(CrmNotFoundError, _not_found)
api.add_exception_handler(ObjectDoesNotExist, _not_found)


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
    return error_response(
        request,
        status=413,
        code="too_large",
        message=_("The request body is too large (at most %(limit)s KB).")
        % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024},
    )


@api.exception_handler(TooManyFieldsSent)
def _too_many_fields(request: HttpRequest, error: TooManyFieldsSent) -> HttpResponse:
    return error_response(
        request, status=400, code="malformed", message=_("The request has too many fields.")
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    if error.status_code == 400:
        # django-ninja raises this one for a body it cannot parse.
        return _malformed(request)
    return error_response(request, status=error.status_code, code="error", message=str(error))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, error: Exception) -> HttpResponse:
    # A bug, not bad input: logged with its traceback (and so sent to Sentry), answered in
    # the API's shape rather than Django's HTML page.
    logger.exception("API request failed: %s %s", request.method, request.path)
    return error_response(
        request,
        status=500,
        code="server_error",
        message=_("Something went wrong on our side. Please try again later."),
    )


api.add_router("/", "tenants.api_keys.api.router")
api.add_router("/", "crm.api.contacts.router")
api.add_router("/", "crm.api.companies.router")
api.add_router("/", "crm.api.taxonomy.router")
api.add_router("/", "crm.api.custom_fields.router")
api.add_router("/", "crm.api.deals.router")
api.add_router("/", "crm.api.activities.router")
api.add_router("/", "crm.api.tasks.router")
api.add_router("/", "onboarding.importing.api.router")
api.add_router("/", "onboarding.exporting.api.router")
