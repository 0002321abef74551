"""/api/contacts: list (filters, search, cursor), get, create, partial update, archive,
restore, company links and consents."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field as SchemaField
from ninja import Query, Router, Schema, Status

from crm.actions import clients as actions
from crm.api.common import (
    ERRORS,
    WRITE_ERRORS,
    acting_user,
    api_source,
)
from crm.api.filters import client_list_response
from crm.api.presenters import consent_out, contact_out
from crm.api.schemas import (
    ArchivedState,
    ConsentIn,
    ConsentOut,
    ConsentStateOut,
    ContactIn,
    ContactOut,
    ContactPage,
    ContactPatch,
    LinkIn,
    LinkOut,
)
from crm.models import RecordType
from crm.selectors import api_records

router = Router(tags=["Contacts"])


class ContactQuery(Schema):
    q: str | None = SchemaField(
        None,
        max_length=200,
        description="Search: name fragments (typos forgiven), phone or its last 4+ digits, "
        "e-mail or its part, searchable custom fields. Best matches first, no cursor.",
    )
    responsible: list[int] = SchemaField(default_factory=list, description="Member ids.")
    tag: list[int] = SchemaField(default_factory=list, description="Tag ids (any of).")
    source: list[int] = SchemaField(default_factory=list, description="Source ids (any of).")
    company: int | None = SchemaField(None, description="Only the people of this company.")
    consent_personal_data: str | None = SchemaField(None, pattern="^(given|withdrawn|none)$")
    consent_advertising: str | None = SchemaField(None, pattern="^(given|withdrawn|none)$")
    created_from: dt.date | None = SchemaField(
        None, description="Created on or after (YYYY-MM-DD)."
    )
    created_to: dt.date | None = SchemaField(None, description="Created on or before (YYYY-MM-DD).")
    archived: ArchivedState = "active"
    limit: int = SchemaField(50, ge=1, le=200)
    cursor: str | None = SchemaField(None, max_length=100)


def _contact_changes(payload: Schema) -> tuple[dict[str, Any], bool]:
    """The action's input mapping from a request body (only the fields sent, on update)."""
    data = payload.model_dump(exclude_unset=True)
    allow_duplicate = bool(data.pop("allow_duplicate", False))
    if "source_id" in data:
        data["source"] = data.pop("source_id")
    if "responsible_id" in data:
        data["responsible"] = data.pop("responsible_id")
    if "companies" in data:
        data["companies"] = [
            {"company": link["company_id"], "position": link["position"]}
            for link in data["companies"]
        ]
    return data, allow_duplicate


@router.get(
    "/contacts",
    response={200: ContactPage, **ERRORS},
    url_name="api_contact_list",
    summary="List or search contacts",
    description="Filter by query parameters; custom fields by `custom.<key>=value` (comma "
    "for any of), `custom.<key>.min` / `.max`, `custom.<key>.empty=true|false`.",
)
def api_contact_list(request: HttpRequest, filters: Query[ContactQuery]) -> dict[str, Any]:
    return client_list_response(request, filters, RecordType.CONTACT)


@router.post(
    "/contacts",
    response={201: ContactOut, **WRITE_ERRORS},
    url_name="api_contact_create",
    summary="Create a contact",
)
def api_contact_create(
    request: HttpRequest, payload: ContactIn, allow_duplicate: bool = False
) -> Status[dict[str, Any]]:
    """Same rules as the form: required fields, valid phones and e-mails, the duplicate check
    (409 with the other record unless `allow_duplicate`)."""
    data, allow_in_body = _contact_changes(payload)
    user = acting_user(request)
    contact = actions.create_contact(
        acting_user=user,
        data=data,
        source=api_source(request),
        allow_duplicate=allow_duplicate or allow_in_body,
    )
    return Status(201, contact_out(api_records.contact_for_api(user, contact.pk)))


@router.get(
    "/contacts/{contact_id}",
    response={200: ContactOut, **ERRORS},
    url_name="api_contact_detail",
    summary="Get a contact",
)
def api_contact_detail(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    return contact_out(api_records.contact_for_api(acting_user(request), contact_id))


@router.patch(
    "/contacts/{contact_id}",
    response={200: ContactOut, **WRITE_ERRORS},
    url_name="api_contact_update",
    summary="Change some fields of a contact",
)
def api_contact_update(
    request: HttpRequest, contact_id: int, payload: ContactPatch, allow_duplicate: bool = False
) -> dict[str, Any]:
    """Only the fields sent change. Lists sent (phones, e-mails, messengers, tags) replace the
    contact's; custom values sent merge into its (null clears one)."""
    data, allow_in_body = _contact_changes(payload)
    user = acting_user(request)
    actions.update_contact(
        acting_user=user,
        contact=contact_id,
        changes=data,
        source=api_source(request),
        allow_duplicate=allow_duplicate or allow_in_body,
    )
    return contact_out(api_records.contact_for_api(user, contact_id))


@router.post(
    "/contacts/{contact_id}/archive",
    response={200: ContactOut, **ERRORS},
    url_name="api_contact_archive",
    summary="Archive a contact",
)
def api_contact_archive(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    user = acting_user(request)
    actions.archive_contact(acting_user=user, contact=contact_id, source=api_source(request))
    return contact_out(api_records.contact_for_api(user, contact_id))


@router.post(
    "/contacts/{contact_id}/restore",
    response={200: ContactOut, **ERRORS},
    url_name="api_contact_restore",
    summary="Restore an archived contact",
)
def api_contact_restore(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    user = acting_user(request)
    actions.restore_contact(acting_user=user, contact=contact_id, source=api_source(request))
    return contact_out(api_records.contact_for_api(user, contact_id))


@router.put(
    "/contacts/{contact_id}/companies/{company_id}",
    response={200: LinkOut, **ERRORS},
    url_name="api_contact_link_company",
    summary="Make the contact one of a company's people (or change the position)",
)
def api_contact_link_company(
    request: HttpRequest, contact_id: int, company_id: int, payload: LinkIn
) -> dict[str, Any]:
    link = actions.link_contact_to_company(
        acting_user=acting_user(request),
        contact=contact_id,
        company=company_id,
        position=payload.position,
        source=api_source(request),
    )
    return {"contact_id": link.contact_id, "company_id": link.company_id, "position": link.position}


@router.delete(
    "/contacts/{contact_id}/companies/{company_id}",
    response={204: None, **ERRORS},
    url_name="api_contact_unlink_company",
    summary="Remove the contact from a company's people (both records stay)",
)
def api_contact_unlink_company(
    request: HttpRequest, contact_id: int, company_id: int
) -> Status[None]:
    actions.unlink_contact_from_company(
        acting_user=acting_user(request),
        contact=contact_id,
        company=company_id,
        source=api_source(request),
    )
    return Status(204, None)


@router.get(
    "/contacts/{contact_id}/consents",
    response={200: ConsentStateOut, **ERRORS},
    url_name="api_contact_consents",
    summary="The contact's consents: current state and full history",
)
def api_contact_consents(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    contact, history = api_records.consent_history_for_api(acting_user(request), contact_id)
    return {
        "personal_data": contact.consent_personal_data or None,
        "advertising": contact.consent_advertising or None,
        "history": [consent_out(consent) for consent in history],
    }


@router.post(
    "/contacts/{contact_id}/consents",
    response={201: ConsentOut, **ERRORS},
    url_name="api_contact_record_consent",
    summary="Record a consent given or withdrawn (earlier records stay as proof)",
)
def api_contact_record_consent(
    request: HttpRequest, contact_id: int, payload: ConsentIn
) -> Status[dict[str, Any]]:
    record = actions.give_consent if payload.status == "given" else actions.withdraw_consent
    consent = record(
        acting_user=acting_user(request),
        contact=contact_id,
        kind=payload.kind,
        consent_source=payload.source,
        text_version=payload.text_version,
        at=payload.at,
        source=api_source(request),
    )
    return Status(201, consent_out(consent))
