"""Reads for the REST API: pages of records by cursor, single records, consent history.

Every read starts from the access rule (crm.selectors.access), so a record the key's
member may not see is simply not found. Rows come with everything the API shows loaded
in a fixed number of queries, whatever the page size.
"""

from typing import Any

from django.db.models import QuerySet

from crm.errors import CrmNotFoundError
from crm.models import (
    Company,
    ConsentRecord,
    Contact,
    RecordType,
)
from crm.selectors import row_loading
from crm.selectors.access import visible_companies, visible_contacts
from crm.selectors.lists import ClientFilter, apply_filter
from crm.selectors.search import search_clients

MAX_LIMIT = 200


def _contact_rows(records: QuerySet[Contact]) -> QuerySet[Contact]:
    return row_loading.contact_rows(records, with_messengers=True)


def _company_rows(records: QuerySet[Company], *, with_contacts: bool = False) -> QuerySet[Company]:
    return row_loading.company_rows(records, with_contacts=with_contacts)


def _clamp(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


def contacts_page_for_api(
    user: Any, *, filters: ClientFilter, after_id: int | None, limit: int
) -> tuple[list[Contact], bool]:
    """Visible contacts matching `filters`, by id ascending after `after_id`.

    Returns (rows, more): `more` says whether another page follows (one row over the
    limit is read to know it, rather than a COUNT over the whole list).
    """
    records = apply_filter(visible_contacts(user), filters, RecordType.CONTACT)
    if after_id is not None:
        records = records.filter(pk__gt=after_id)
    limit = _clamp(limit)
    rows = list(_contact_rows(records).order_by("id")[: limit + 1])
    return rows[:limit], len(rows) > limit


def companies_page_for_api(
    user: Any, *, filters: ClientFilter, after_id: int | None, limit: int
) -> tuple[list[Company], bool]:
    """Visible companies matching `filters`, by id ascending after `after_id` (see contacts)."""
    records = apply_filter(visible_companies(user), filters, RecordType.COMPANY)
    if after_id is not None:
        records = records.filter(pk__gt=after_id)
    limit = _clamp(limit)
    rows = list(_company_rows(records).order_by("id")[: limit + 1])
    return rows[:limit], len(rows) > limit


def search_for_api(
    user: Any, record_type: str, query: str, *, filters: ClientFilter, limit: int
) -> list[tuple[Any, str]]:
    """The best matches of the search box for `query` among one record type, with what matched.

    Filters still apply (e.g. a tag), so the answer is "search within this list". Search
    ranks by relevance, so it has no cursor: ask for a larger limit (at most 100) instead.
    """
    include_archived = filters.archived != "active"
    hits = search_clients(
        user,
        query,
        limit=min(_clamp(limit), 100),
        record_types=(record_type,),
        include_archived=include_archived,
    )
    if not hits:
        return []
    ids = [hit.record_id for hit in hits]
    if record_type == RecordType.CONTACT:
        base: QuerySet[Any] = _contact_rows(
            apply_filter(visible_contacts(user), filters, RecordType.CONTACT)
        )
    else:
        base = _company_rows(apply_filter(visible_companies(user), filters, RecordType.COMPANY))
    loaded = base.in_bulk(ids)
    return [(loaded[hit.record_id], hit.matched_on) for hit in hits if hit.record_id in loaded]


def contact_for_api(user: Any, contact_id: int) -> Contact:
    """One contact `user` may see, archived included, everything loaded; or CrmNotFoundError."""
    found = _contact_rows(visible_contacts(user)).filter(pk=contact_id).first()
    if found is None:
        raise CrmNotFoundError()
    return found


def company_for_api(user: Any, company_id: int) -> Company:
    """One company `user` may see, archived included, with its people; or CrmNotFoundError."""
    found = _company_rows(visible_companies(user), with_contacts=True).filter(pk=company_id).first()
    if found is None:
        raise CrmNotFoundError()
    return found


def consent_history_for_api(user: Any, contact_id: int) -> tuple[Contact, list[ConsentRecord]]:
    """A visible contact and every giving and withdrawal of its consents, newest first."""
    contact = visible_contacts(user).filter(pk=contact_id).first()
    if contact is None:
        raise CrmNotFoundError()
    history = list(
        ConsentRecord.objects.filter(contact=contact)
        .select_related("recorded_by")
        .order_by("-at", "-id")
    )
    return contact, history
