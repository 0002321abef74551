"""A card page's data in as few queries as the page budget allows (at most 15 in all).

crm.selectors.cards loads a card with one query per collection, which suits the API.
The card page also pays for the workspace routing, the session, the member, the custom
field definitions and the history's names; so here the record comes with its
collections (phones, e-mails, messengers, tags, companies, consents, the records merged
into it, the merges that can be undone) as JSON arrays of the same row, turned back into
unsaved model instances the templates read like any other. The result has the shape of
crm.selectors.cards' ContactCard / CompanyCard.
"""

from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, OuterRef, QuerySet
from django.db.models.functions import JSONObject
from django.utils.dateparse import parse_datetime

from crm.errors import CrmNotFoundError
from crm.models import (
    Company,
    ConsentRecord,
    Contact,
    ContactCompany,
    CrmSettings,
    Email,
    Merge,
    Messenger,
    Phone,
    RecordType,
    Tag,
)
from crm.selectors.access import Viewer, sees_all_clients, visible_companies, visible_contacts
from crm.selectors.cards import CARD_HISTORY_LENGTH, CompanyCard, ContactCard, _consent_states
from crm.selectors.compiled import CompiledQuery
from crm.selectors.history import history_for
from tenants.members.models import User

TAG_OWNERS = {"contact": "contacts", "company": "companies"}


def _array(queryset: QuerySet[Any], **fields: Any) -> ArraySubquery:
    return ArraySubquery(queryset.values(row=JSONObject(**fields)))


def _owned(model: Any, owner: str) -> QuerySet[Any]:
    return model.objects.filter(**{owner: OuterRef("pk")}).order_by("position", "id")


def _common_arrays(owner: str, record_type: str, model: Any) -> dict[str, ArraySubquery]:
    return {
        "phone_rows": _array(_owned(Phone, owner), id="id", e164="e164", raw="raw", label="label"),
        "email_rows": _array(_owned(Email, owner), id="id", address="address"),
        "tag_rows": _array(
            Tag.objects.filter(**{TAG_OWNERS[owner]: OuterRef("pk")}).order_by("name"),
            id="id",
            name="name",
        ),
        "merged_rows": _array(
            model.objects.filter(merged_into=OuterRef("pk")).order_by("id"), id="id"
        ),
        "merge_rows": _array(
            Merge.objects.filter(
                record_type=record_type, primary_id=OuterRef("pk"), undone_at__isnull=True
            ).order_by("-merged_at", "-id"),
            id="id",
        ),
    }


def _when(value: Any) -> Any:
    return parse_datetime(value) if isinstance(value, str) else value


def _viewer_values(user: Any, sees_all: bool) -> dict[str, int]:
    """The member's id when the query depends on it (members who see only their own)."""
    return {} if sees_all else {"user_id": user.pk}


def _contact_card_query(sees_all: bool, *, contact_id: int, user_id: int = 0) -> QuerySet[Any]:
    viewer = Viewer(user_id)
    links = ContactCompany.objects.filter(contact=OuterRef("pk")).order_by("id")
    if not sees_all:
        links = links.filter(company__responsible_id=user_id)
    return (
        visible_contacts(viewer, sees_all=sees_all)
        .select_related("responsible", "source", "merged_into")
        .annotate(
            **_common_arrays("contact", RecordType.CONTACT, Contact),
            messenger_rows=_array(
                _owned(Messenger, "contact"), id="id", kind="kind", handle="handle"
            ),
            link_rows=_array(
                links,
                id="id",
                company_id="company_id",
                company_name=F("company__name"),
                position="position",
            ),
            consent_rows=_array(
                ConsentRecord.objects.filter(contact=OuterRef("pk")).order_by("-at", "-id"),
                id="id",
                kind="kind",
                status="status",
                at="at",
                source="source",
                text_version="text_version",
                recorded_by_label="recorded_by_label",
                recorded_by_name=F("recorded_by__full_name"),
                recorded_by_email=F("recorded_by__email"),
            ),
        )
        .filter(pk=contact_id)
        .order_by("pk")[:1]
    )


CONTACT_CARD = CompiledQuery(_contact_card_query)


def _active(user: Any) -> bool:
    return user is not None and bool(getattr(user, "is_active", False))


def contact_card_page(
    user: Any, contact_id: int, *, settings_row: CrmSettings | None = None
) -> ContactCard:
    """The contact's card (as crm.selectors.cards.contact_card) in one query plus history
    (plus the CRM settings unless the caller read them: `settings_row`)."""
    sees_all = sees_all_clients(user, settings_row)
    found = (
        CONTACT_CARD(sees_all, contact_id=contact_id, **_viewer_values(user, sees_all))
        if _active(user)
        else []
    )
    contact: Any = found[0] if found else None
    if contact is None:
        raise CrmNotFoundError()
    phones = [Phone(contact=contact, **row) for row in contact.phone_rows]
    emails = [Email(contact=contact, **row) for row in contact.email_rows]
    messengers = [Messenger(contact=contact, **row) for row in contact.messenger_rows]
    tags = [Tag(**row) for row in contact.tag_rows]
    company_links = [
        ContactCompany(
            id=row["id"],
            contact=contact,
            company=Company(id=row["company_id"], name=row["company_name"]),
            position=row["position"],
        )
        for row in contact.link_rows
    ]
    consents = [_consent(contact, row) for row in contact.consent_rows]
    _cache_collections(contact, phones=phones, emails=emails, messengers=messengers, tags=tags)
    contact._prefetched_objects_cache["company_links"] = company_links
    merged_ids = [row["id"] for row in contact.merged_rows]
    return ContactCard(
        contact=contact,
        phones=phones,
        emails=emails,
        messengers=messengers,
        tags=tags,
        company_links=company_links,
        consents=_consent_states(consents),
        merged_records=[Contact(id=pk) for pk in merged_ids],
        merges=[Merge(id=row["id"]) for row in contact.merge_rows],
        history=history_for(contact, limit=CARD_HISTORY_LENGTH, merged_ids=merged_ids),
    )


def _consent(contact: Contact, row: dict[str, Any]) -> ConsentRecord:
    recorder = None
    if row.get("recorded_by_email"):
        recorder = User(full_name=row.get("recorded_by_name") or "", email=row["recorded_by_email"])
    return ConsentRecord(
        id=row["id"],
        contact=contact,
        kind=row["kind"],
        status=row["status"],
        at=_when(row["at"]),
        source=row["source"],
        text_version=row["text_version"],
        recorded_by=recorder,
        recorded_by_label=row["recorded_by_label"],
    )


def _cache_collections(record: Any, **collections: list[Any]) -> None:
    """Let `record.phones.all()` (and the others) in templates read the loaded rows."""
    cache = getattr(record, "_prefetched_objects_cache", None)
    if cache is None:
        cache = record._prefetched_objects_cache = {}
    cache.update(collections)


def _company_card_query(sees_all: bool, *, company_id: int, user_id: int = 0) -> QuerySet[Any]:
    return (
        visible_companies(Viewer(user_id), sees_all=sees_all)
        .select_related("responsible", "source", "merged_into")
        .annotate(**_common_arrays("company", RecordType.COMPANY, Company))
        .filter(pk=company_id)
        .order_by("pk")[:1]
    )


def _contact_persons_query(
    sees_all: bool, *, company_id: int, user_id: int = 0
) -> QuerySet[ContactCompany]:
    links = ContactCompany.objects.filter(company_id=company_id)
    if not sees_all:
        links = links.filter(contact__responsible_id=user_id)
    return (
        links.select_related("contact")
        .annotate(
            phone_rows=_array(
                Phone.objects.filter(contact=OuterRef("contact_id")).order_by("position", "id"),
                id="id",
                e164="e164",
                raw="raw",
                label="label",
            )
        )
        .order_by("contact__surname", "contact__first_name", "id")
    )


COMPANY_CARD = CompiledQuery(_company_card_query)
CONTACT_PERSONS = CompiledQuery(_contact_persons_query)


def company_card_page(
    user: Any, company_id: int, *, settings_row: CrmSettings | None = None
) -> CompanyCard:
    """The company's card (as crm.selectors.cards.company_card): its row, its contact
    persons with their phones, and its history."""
    sees_all = sees_all_clients(user, settings_row)
    viewer = _viewer_values(user, sees_all)
    found = COMPANY_CARD(sees_all, company_id=company_id, **viewer) if _active(user) else []
    company: Any = found[0] if found else None
    if company is None:
        raise CrmNotFoundError()
    phones = [Phone(company=company, **row) for row in company.phone_rows]
    emails = [Email(company=company, **row) for row in company.email_rows]
    tags = [Tag(**row) for row in company.tag_rows]
    contact_links = CONTACT_PERSONS(sees_all, company_id=company.pk, **viewer)
    for link in contact_links:
        link.company = company
        person = link.contact
        _cache_collections(person, phones=[Phone(contact=person, **row) for row in link.phone_rows])
    _cache_collections(company, phones=phones, emails=emails, tags=tags)
    company._prefetched_objects_cache["contact_links"] = contact_links
    merged_ids = [row["id"] for row in company.merged_rows]
    return CompanyCard(
        company=company,
        phones=phones,
        emails=emails,
        tags=tags,
        contact_links=contact_links,
        merged_records=[Company(id=pk) for pk in merged_ids],
        merges=[Merge(id=row["id"]) for row in company.merge_rows],
        history=history_for(company, limit=CARD_HISTORY_LENGTH, merged_ids=merged_ids),
    )
