"""List filters from a request: the standard ones from the query schema, custom fields from
`custom.<key>` parameters, all into the ClientFilter the pages and segments use.

Values of custom fields stay as typed here; the custom-field engine reads them as the
field's type when the list is filtered, and refuses (422) a value the field cannot hold.
"""

import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from crm.api.common import acting_user, decode_cursor, encode_cursor
from crm.api.presenters import company_out, contact_out
from crm.custom_values import CustomValueError, normalize_value
from crm.errors import CrmValidationError
from crm.models import RecordType
from crm.selectors import api_records
from crm.selectors.custom_fields import custom_field_by_key
from crm.selectors.lists import ClientFilter, CustomCondition

CUSTOM_PARAMETER = re.compile(r"^custom\.([a-z][a-z0-9_]{0,49})(?:\.(min|max|empty))?$")


def _checked(field: Any, raw: str, parameter: str) -> str:
    """`raw` unchanged, after making sure the field could hold it (else a 422 naming it)."""
    try:
        normalize_value(field, raw)
    except CustomValueError as error:
        raise CrmValidationError({parameter: [error.message]}) from error
    return raw


def _custom_conditions(request: HttpRequest, entity: str) -> list[CustomCondition]:
    conditions: dict[str, CustomCondition] = {}
    for parameter in request.GET:
        if not parameter.startswith("custom."):
            continue
        raw = str(request.GET.get(parameter, ""))
        match = CUSTOM_PARAMETER.match(parameter)
        field = custom_field_by_key(entity, match.group(1)) if match else None
        if match is None or field is None or field.is_archived:
            raise CrmValidationError({parameter: [_("There is no such custom field.")]})
        key, part = match.group(1), match.group(2)
        if part == "empty":
            wants_empty = raw.strip().lower() in {"1", "true", "yes"}
            conditions[f"{key}.empty"] = CustomCondition(
                key=key, op="empty" if wants_empty else "not_empty"
            )
        elif part in ("min", "max"):
            condition = conditions.setdefault(f"{key}.range", CustomCondition(key=key, op="range"))
            setattr(condition, part, _checked(field, raw, parameter))
        else:
            # The engine reads each value as the field's type (crm.selectors.lists._custom_q).
            values = [
                _checked(field, value.strip(), parameter)
                for value in raw.split(",")
                if value.strip()
            ]
            conditions[key] = CustomCondition(key=key, op="any_of", values=values)
    return list(conditions.values())


def client_filter(request: HttpRequest, query: Any, entity: str) -> ClientFilter:
    """The ClientFilter for a list request (`query`: the endpoint's validated query schema)."""
    data: dict[str, Any] = {
        "responsible": list(query.responsible),
        "tags": list(query.tag),
        "sources": list(query.source),
        "created_from": query.created_from,
        "created_to": query.created_to,
        "archived": query.archived,
    }
    for name in ("consent_personal_data", "consent_advertising", "company"):
        if getattr(query, name, None) is not None:
            data[name] = getattr(query, name)
    filters = ClientFilter.from_dict(data)
    filters.custom = _custom_conditions(request, entity)
    return filters


def client_list_response(request: HttpRequest, query: Any, record_type: str) -> dict[str, Any]:
    """The contacts' or companies' list endpoint: the best matches when `q` is given, else
    a cursor page, each record as the API shows it."""
    user = acting_user(request)
    filters = client_filter(request, query, record_type)
    is_contact = record_type == RecordType.CONTACT
    present: Callable[..., dict[str, Any]] = contact_out if is_contact else company_out
    if query.q:
        found = api_records.search_for_api(
            user, record_type, query.q, filters=filters, limit=query.limit
        )
        return {
            "items": [present(record, matched_on) for record, matched_on in found],
            "next_cursor": None,
        }
    page = api_records.contacts_page_for_api if is_contact else api_records.companies_page_for_api
    rows, more = page(
        user, filters=filters, after_id=decode_cursor(query.cursor), limit=query.limit
    )
    return {
        "items": [present(record) for record in rows],
        "next_cursor": encode_cursor(rows[-1].pk) if more and rows else None,
    }
