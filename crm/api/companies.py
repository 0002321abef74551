"""/api/companies: list (filters, search, cursor), get (with its people), create, partial
update, archive, restore."""

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
from crm.api.presenters import company_out
from crm.api.schemas import (
    ArchivedState,
    CompanyDetailOut,
    CompanyIn,
    CompanyPage,
    CompanyPatch,
)
from crm.models import RecordType
from crm.selectors import api_records

router = Router(tags=["Companies"])


class CompanyQuery(Schema):
    q: str | None = SchemaField(
        None,
        max_length=200,
        description="Search: name fragments, tax number, phone or its last 4+ digits, e-mail, "
        "searchable custom fields. Best matches first, no cursor.",
    )
    responsible: list[int] = SchemaField(default_factory=list, description="Member ids.")
    tag: list[int] = SchemaField(default_factory=list, description="Tag ids (any of).")
    source: list[int] = SchemaField(default_factory=list, description="Source ids (any of).")
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    archived: ArchivedState = "active"
    limit: int = SchemaField(50, ge=1, le=200)
    cursor: str | None = SchemaField(None, max_length=100)


def _company_changes(payload: Schema) -> tuple[dict[str, Any], bool]:
    data = payload.model_dump(exclude_unset=True)
    allow_duplicate = bool(data.pop("allow_duplicate", False))
    if "source_id" in data:
        data["source"] = data.pop("source_id")
    if "responsible_id" in data:
        data["responsible"] = data.pop("responsible_id")
    return data, allow_duplicate


@router.get(
    "/companies",
    response={200: CompanyPage, **ERRORS},
    url_name="api_company_list",
    summary="List or search companies",
    description="Filter by query parameters; custom fields by `custom.<key>=value` (comma "
    "for any of), `custom.<key>.min` / `.max`, `custom.<key>.empty=true|false`.",
)
def api_company_list(request: HttpRequest, filters: Query[CompanyQuery]) -> dict[str, Any]:
    return client_list_response(request, filters, RecordType.COMPANY)


@router.post(
    "/companies",
    response={201: CompanyDetailOut, **WRITE_ERRORS},
    url_name="api_company_create",
    summary="Create a company",
)
def api_company_create(
    request: HttpRequest, payload: CompanyIn, allow_duplicate: bool = False
) -> Status[dict[str, Any]]:
    """Same rules as the form: required fields, tax number check digits, the duplicate check
    (409 with the other record unless `allow_duplicate`)."""
    data, allow_in_body = _company_changes(payload)
    user = acting_user(request)
    company = actions.create_company(
        acting_user=user,
        data=data,
        source=api_source(request),
        allow_duplicate=allow_duplicate or allow_in_body,
    )
    return Status(
        201, company_out(api_records.company_for_api(user, company.pk), with_contacts=True)
    )


@router.get(
    "/companies/{company_id}",
    response={200: CompanyDetailOut, **ERRORS},
    url_name="api_company_detail",
    summary="Get a company with its people",
)
def api_company_detail(request: HttpRequest, company_id: int) -> dict[str, Any]:
    company = api_records.company_for_api(acting_user(request), company_id)
    return company_out(company, with_contacts=True)


@router.patch(
    "/companies/{company_id}",
    response={200: CompanyDetailOut, **WRITE_ERRORS},
    url_name="api_company_update",
    summary="Change some fields of a company",
)
def api_company_update(
    request: HttpRequest, company_id: int, payload: CompanyPatch, allow_duplicate: bool = False
) -> dict[str, Any]:
    """Only the fields sent change; lists sent replace the company's; custom values merge."""
    data, allow_in_body = _company_changes(payload)
    user = acting_user(request)
    actions.update_company(
        acting_user=user,
        company=company_id,
        changes=data,
        source=api_source(request),
        allow_duplicate=allow_duplicate or allow_in_body,
    )
    return company_out(api_records.company_for_api(user, company_id), with_contacts=True)


@router.post(
    "/companies/{company_id}/archive",
    response={200: CompanyDetailOut, **ERRORS},
    url_name="api_company_archive",
    summary="Archive a company",
)
def api_company_archive(request: HttpRequest, company_id: int) -> dict[str, Any]:
    user = acting_user(request)
    actions.archive_company(acting_user=user, company=company_id, source=api_source(request))
    return company_out(api_records.company_for_api(user, company_id), with_contacts=True)


@router.post(
    "/companies/{company_id}/restore",
    response={200: CompanyDetailOut, **ERRORS},
    url_name="api_company_restore",
    summary="Restore an archived company",
)
def api_company_restore(request: HttpRequest, company_id: int) -> dict[str, Any]:
    user = acting_user(request)
    actions.restore_company(acting_user=user, company=company_id, source=api_source(request))
    return company_out(api_records.company_for_api(user, company_id), with_contacts=True)
