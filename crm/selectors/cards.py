"""Everything one card shows, in a fixed number of queries.

contact_card: the contact with responsible and source, phones, e-mails, messengers,
tags, companies (with positions), every consent record, the records merged into it, and
the latest history entries rendered readably. company_card: the same for a company,
with its contact persons. Raises CrmNotFoundError for a record the member may not see.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch

from crm.errors import CrmNotFoundError
from crm.models import (
    Company,
    ConsentKind,
    ConsentRecord,
    Contact,
    ContactCompany,
    Email,
    Merge,
    Phone,
    RecordType,
)
from crm.selectors.access import sees_all_clients, visible_companies, visible_contacts
from crm.selectors.history import HistoryEntry, history_for

CARD_HISTORY_LENGTH = 30


@dataclass
class ConsentState:
    kind: str
    label: str
    status: str  # "given", "withdrawn" or "" (never asked)
    latest: ConsentRecord | None
    records: list[ConsentRecord] = field(default_factory=list)


@dataclass
class ContactCard:
    contact: Contact
    phones: list[Phone]
    emails: list[Email]
    messengers: list[Any]
    tags: list[Any]
    company_links: list[ContactCompany]
    consents: list[ConsentState]
    merged_records: list[Contact]
    merges: list[Merge]
    history: list[HistoryEntry]


@dataclass
class CompanyCard:
    company: Company
    phones: list[Phone]
    emails: list[Email]
    tags: list[Any]
    contact_links: list[ContactCompany]
    merged_records: list[Company]
    merges: list[Merge]
    history: list[HistoryEntry]


def _consent_states(records: list[ConsentRecord]) -> list[ConsentState]:
    states = []
    for kind, label in ConsentKind.choices:
        of_kind = [record for record in records if record.kind == kind]
        latest = of_kind[0] if of_kind else None
        states.append(
            ConsentState(
                kind=kind,
                label=str(label),
                status=latest.status if latest else "",
                latest=latest,
                records=of_kind,
            )
        )
    return states


def contact_card(
    user: Any, contact_id: int, *, history_length: int = CARD_HISTORY_LENGTH
) -> ContactCard:
    """The contact's card for `user`: about ten queries whatever the record holds.

    Companies the member may not see (members who see only their own) are left out.
    """
    sees_all = sees_all_clients(user)
    links = ContactCompany.objects.select_related("company", "company__responsible").order_by("id")
    if not sees_all:
        links = links.filter(company__responsible_id=user.pk)
    contact = (
        visible_contacts(user, sees_all=sees_all)
        .select_related("responsible", "source", "merged_into")
        .prefetch_related(
            Prefetch("phones", queryset=Phone.objects.order_by("position", "id")),
            Prefetch("emails", queryset=Email.objects.order_by("position", "id")),
            "messengers",
            "tags",
            Prefetch("company_links", queryset=links),
            Prefetch(
                "consents",
                queryset=ConsentRecord.objects.select_related("recorded_by").order_by("-at", "-id"),
            ),
            Prefetch("merged_records", queryset=Contact.objects.order_by("id")),
        )
        .filter(pk=contact_id)
        .first()
    )
    if contact is None:
        raise CrmNotFoundError()
    merged = list(contact.merged_records.all())
    merges = list(
        Merge.objects.filter(
            record_type=RecordType.CONTACT, primary_id=contact.pk, undone_at__isnull=True
        )
    )
    return ContactCard(
        contact=contact,
        phones=list(contact.phones.all()),
        emails=list(contact.emails.all()),
        messengers=list(contact.messengers.all()),
        tags=list(contact.tags.all()),
        company_links=list(contact.company_links.all()),
        consents=_consent_states(list(contact.consents.all())),
        merged_records=merged,
        merges=merges,
        history=history_for(contact, limit=history_length, merged_ids=[m.pk for m in merged]),
    )


def company_card(
    user: Any, company_id: int, *, history_length: int = CARD_HISTORY_LENGTH
) -> CompanyCard:
    """The company's card for `user`, with its contact persons: a fixed number of queries.

    Contact persons the member may not see (members who see only their own) are left out.
    """
    sees_all = sees_all_clients(user)
    links = (
        ContactCompany.objects.select_related("contact", "contact__responsible")
        .prefetch_related(
            Prefetch("contact__phones", queryset=Phone.objects.order_by("position", "id"))
        )
        .order_by("id")
    )
    if not sees_all:
        links = links.filter(contact__responsible_id=user.pk)
    company = (
        visible_companies(user, sees_all=sees_all)
        .select_related("responsible", "source", "merged_into")
        .prefetch_related(
            Prefetch("phones", queryset=Phone.objects.order_by("position", "id")),
            Prefetch("emails", queryset=Email.objects.order_by("position", "id")),
            "tags",
            Prefetch("contact_links", queryset=links),
            Prefetch("merged_records", queryset=Company.objects.order_by("id")),
        )
        .filter(pk=company_id)
        .first()
    )
    if company is None:
        raise CrmNotFoundError()
    merged = list(company.merged_records.all())
    merges = list(
        Merge.objects.filter(
            record_type=RecordType.COMPANY, primary_id=company.pk, undone_at__isnull=True
        )
    )
    return CompanyCard(
        company=company,
        phones=list(company.phones.all()),
        emails=list(company.emails.all()),
        tags=list(company.tags.all()),
        contact_links=list(company.contact_links.all()),
        merged_records=merged,
        merges=merges,
        history=history_for(company, limit=history_length, merged_ids=[m.pk for m in merged]),
    )
