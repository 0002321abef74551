"""Records as the API shows them (plain dicts matching crm.api.schemas).

Built only from what the selectors loaded (select_related, and the children's
`loaded_*` lists of crm.selectors.row_loading), so shaping a page of records runs no
further queries.
"""

from typing import Any

from crm.custom_values import custom_values_for_api
from crm.models import ConsentRecord, RecordType


def _member(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.display_name, "email": user.email}


def _source(source: Any) -> dict[str, Any] | None:
    return None if source is None else {"id": source.pk, "name": source.name}


# Records come from crm.selectors.row_loading: their children are plain `loaded_*` lists,
# attributes the models do not declare, hence `Any` below.
def _phones(record: Any) -> list[dict[str, str]]:
    return [
        {"number": phone.e164, "raw": phone.raw, "label": phone.label}
        for phone in record.loaded_phones
    ]


def _common(record: Any, record_type: str) -> dict[str, Any]:
    return {
        "id": record.pk,
        "source": _source(record.source),
        "responsible": _member(record.responsible),
        "pinned_note": record.pinned_note,
        "tags": sorted((tag.name for tag in record.loaded_tags), key=str.casefold),
        "phones": _phones(record),
        "emails": [email.address for email in record.loaded_emails],
        "custom": custom_values_for_api(record_type, record.custom),
        "archived": record.archived_at is not None,
        "archived_at": record.archived_at,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


def contact_out(contact: Any, matched_on: str | None = None) -> dict[str, Any]:
    return {
        **_common(contact, RecordType.CONTACT),
        "full_name": contact.full_name,
        "surname": contact.surname,
        "first_name": contact.first_name,
        "patronymic": contact.patronymic,
        "form_of_address": contact.form_of_address,
        "birthday": contact.birthday,
        "position": contact.position,
        "address": contact.address,
        "messengers": [
            {"kind": messenger.kind, "handle": messenger.handle}
            for messenger in contact.loaded_messengers
        ],
        "companies": [
            {"company_id": link.company_id, "name": link.company.name, "position": link.position}
            for link in contact.loaded_company_links
        ],
        "consent_personal_data": contact.consent_personal_data or None,
        "consent_advertising": contact.consent_advertising or None,
        "matched_on": matched_on,
    }


def company_out(
    company: Any, matched_on: str | None = None, *, with_contacts: bool = False
) -> dict[str, Any]:
    data = {
        **_common(company, RecordType.COMPANY),
        "name": company.name,
        "legal_name": company.legal_name,
        "tax_number": company.tax_number,
        "industry": company.industry,
        "headcount": company.headcount,
        "website": company.website,
        "addresses": [
            {"label": str(item.get("label", "")), "text": str(item.get("text", ""))}
            for item in company.addresses or []
            if isinstance(item, dict)
        ],
        "matched_on": matched_on,
    }
    if with_contacts:
        data["contacts"] = [
            {
                "contact_id": link.contact_id,
                "name": link.contact.display_name,
                "position": link.position,
            }
            for link in company.loaded_contact_links
        ]
    return data


def consent_out(consent: ConsentRecord) -> dict[str, Any]:
    return {
        "id": consent.pk,
        "kind": consent.kind,
        "status": consent.status,
        "at": consent.at,
        "source": consent.source,
        "text_version": consent.text_version,
        "recorded_by": _member(consent.recorded_by),
        "recorded_by_label": consent.recorded_by_label,
    }
