"""What every CRM endpoint shares: who acts, history's source, cursors, error schemas."""

import base64
import binascii
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema

from crm.errors import CrmValidationError
from crm.history import ChangeSource
from crm.models import ChangeVia
from tenants.api_keys.auth import acting_member, request_api_key
from tenants.members.models import User

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def acting_user(request: HttpRequest) -> User:
    """The member an API request acts as (the key's creator, with their role and visibility)."""
    return acting_member(request)


def api_source(request: HttpRequest) -> ChangeSource:
    """History's source for a change made through the API: "via API key <name>"."""
    return ChangeSource(ChangeVia.API, label=request_api_key(request).name)


def encode_cursor(last_id: int) -> str:
    """An opaque cursor for "the records after this one".

    Pages go by ascending id, so records created meanwhile never shift a page.
    """
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The id a cursor points after; CrmValidationError for a cursor we did not make."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _sep, value = text.partition(":")
        if kind != "id":
            raise ValueError(text)
        return int(value)
    except (ValueError, UnicodeDecodeError, binascii.Error) as error:
        raise CrmValidationError(
            {"cursor": [_("This cursor is not valid: pass the next_cursor of a page.")]}
        ) from error


class ErrorOut(Schema):
    """Every error: a stable code, a translated message, translated messages per field."""

    code: str
    message: str
    fields: dict[str, list[str]]


class DuplicateOut(Schema):
    """Another record that shares a phone, an e-mail or a tax number.

    `id` and `name` are null when the key's member may not see that record (members who
    see only their own clients); the responsible manager is always named.
    """

    record_type: str
    id: int | None
    name: str | None
    matched_on: str
    matched_value: str
    responsible_id: int | None
    responsible_name: str


class DuplicateErrorOut(ErrorOut):
    duplicates: list[DuplicateOut]


ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: DuplicateErrorOut}
