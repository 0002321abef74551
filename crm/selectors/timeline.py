"""The timeline of a contact, a company or a deal, newest first, in a fixed number of queries.

A contact's timeline also shows its (visible) companies' entries, a company's its
(visible) people's entries, each marked where it comes from. The entries are found in
one query: a UNION ALL of one branch per owner, each an index scan of the partial
(owner, -occurred_at, -id) index stopped after a page, so a client with 5,000 entries
opens as fast as one with ten; a second query loads that page's rows with their author
and clients. Pages go back in time by keyset ("show older": the last entry's
(occurred_at, id)), never by OFFSET.
"""

import base64
import binascii
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from crm import normalize
from crm.actions.timeline import can_see_deal
from crm.errors import CrmNotFoundError
from crm.models import (
    Activity,
    ActivityKind,
    ActivityVersion,
    ContactCompany,
    Deal,
)
from crm.selectors.access import sees_all_clients
from crm.selectors.compiled import CompiledQuery

PAGE_SIZE = 30
MAX_RELATED_OWNERS = 20
MAX_PEOPLE_BRANCHES = 50
RECORD_TYPES = ("contact", "company", "deal")


@dataclass
class TimelineQuery:
    """What the reader asked for: kinds (empty: all), search words, the page's start."""

    kinds: list[str] = field(default_factory=list)
    search: str = ""
    before: tuple[dt.datetime, int] | None = None
    archived: bool = False  # owners and admins: the archived entries instead

    @classmethod
    def from_params(cls, params: Any, *, prefix: str = "") -> "TimelineQuery":
        getlist = getattr(params, "getlist", None)
        kinds = getlist(f"{prefix}kind") if getlist else params.get(f"{prefix}kind") or []
        if isinstance(kinds, str):
            kinds = [kinds]
        return cls(
            kinds=[kind for kind in kinds if kind in ActivityKind.values],
            search=str(params.get(f"{prefix}q") or "")[:200],
            before=decode_position(params.get(f"{prefix}before")),
            archived=str(params.get(f"{prefix}archived") or "") == "1",
        )


@dataclass
class TimelinePage:
    record_type: str
    record: Any
    entries: list[Activity]
    next_position: str | None
    query: TimelineQuery


def encode_position(entry: Activity) -> str:
    """An opaque "entries older than this one" position."""
    text = f"{entry.occurred_at.isoformat()}|{entry.pk}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_position(value: Any) -> tuple[dt.datetime, int] | None:
    """(occurred_at, id) from a position; None for a missing or foreign one."""
    if not value:
        return None
    try:
        text = base64.urlsafe_b64decode(str(value) + "=" * (-len(str(value)) % 4)).decode()
        moment_text, _sep, pk_text = text.partition("|")
        moment = parse_datetime(moment_text)
        if moment is None:
            return None
        return moment, int(pk_text)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None


def _branches(user: Any, record_type: str, record: Any, related_ids: list[int] | None) -> list[Q]:
    """One condition per owner whose entries this timeline shows (each uses one index)."""
    if record_type == "deal":
        return [Q(deal_id=record.pk)]
    if record_type == "contact":
        if related_ids is not None:
            company_ids = list(related_ids)[:MAX_RELATED_OWNERS]
        else:
            companies = ContactCompany.objects.filter(contact_id=record.pk)
            if not sees_all_clients(user):
                companies = companies.filter(company__responsible_id=user.pk)
            company_ids = list(
                companies.order_by("id").values_list("company_id", flat=True)[:MAX_RELATED_OWNERS]
            )
        # An entry on both this contact and its company is shown once, as the contact's.
        return [Q(contact_id=record.pk)] + [
            Q(company_id=company_id) & (Q(contact_id__isnull=True) | ~Q(contact_id=record.pk))
            for company_id in company_ids
        ]
    own_entries = Q(company_id__isnull=True) | ~Q(company_id=record.pk)
    if related_ids is not None and len(related_ids) <= MAX_PEOPLE_BRANCHES:
        # One index scan per person (each stops after a page) beats reading every entry
        # of every person and sorting them.
        return [Q(company_id=record.pk)] + [
            Q(contact_id=contact_id) & own_entries for contact_id in related_ids
        ]
    people = ContactCompany.objects.filter(company_id=record.pk)
    if not sees_all_clients(user):
        people = people.filter(contact__responsible_id=user.pk)
    return [
        Q(company_id=record.pk),
        Q(contact_id__in=people.values("contact_id"))
        & (Q(company_id__isnull=True) | ~Q(company_id=record.pk)),
    ]


def _filtered(branch: Q, query: TimelineQuery) -> QuerySet[Activity]:
    entries = Activity.objects.filter(branch)
    entries = entries.filter(archived_at__isnull=not query.archived)
    if query.kinds:
        entries = entries.filter(kind__in=query.kinds)
    for word in normalize.search_words(query.search)[:8]:
        entries = entries.filter(search_text__contains=word)
    if query.before is not None:
        moment, pk = query.before
        # occurred_at <= moment lets the index scan start there; the OR settles ties.
        entries = entries.filter(occurred_at__lte=moment).filter(
            Q(occurred_at__lt=moment) | Q(occurred_at=moment, pk__lt=pk)
        )
    return entries


def _owners(
    user: Any, record_type: str, record: Any, related_ids: list[int] | None
) -> list[int] | None:
    """The other owners whose entries the timeline shows, one index scan each (as
    _branches); None when a company's people are too many for a branch each."""
    if record_type == "deal":
        return []
    if record_type == "contact":
        if related_ids is not None:
            return list(related_ids)[:MAX_RELATED_OWNERS]
        companies = ContactCompany.objects.filter(contact_id=record.pk)
        if not sees_all_clients(user):
            companies = companies.filter(company__responsible_id=user.pk)
        return list(
            companies.order_by("id").values_list("company_id", flat=True)[:MAX_RELATED_OWNERS]
        )
    if related_ids is not None and len(related_ids) <= MAX_PEOPLE_BRANCHES:
        return list(related_ids)
    return None


def _page_ids(
    shape: tuple[str, bool, int, bool],
    *,
    record_id: int,
    related: list[int],
    kinds: list[str] | None = None,
    before_at: dt.datetime | None = None,
    before_id: int | None = None,
) -> QuerySet[Any]:
    """(id, occurred_at) of a page and one more: a UNION ALL of the branches of _branches."""
    record_type, archived, limit, _has_before = shape
    if record_type == "deal":
        branches = [Q(deal_id=record_id)]
    elif record_type == "contact":
        branches = [Q(contact_id=record_id)] + [
            Q(company_id=company_id) & (Q(contact_id__isnull=True) | ~Q(contact_id=record_id))
            for company_id in related
        ]
    else:
        own_entries = Q(company_id__isnull=True) | ~Q(company_id=record_id)
        branches = [Q(company_id=record_id)] + [
            Q(contact_id=contact_id) & own_entries for contact_id in related
        ]
    before = (before_at, before_id) if before_at is not None and before_id is not None else None
    query = TimelineQuery(kinds=kinds or [], archived=archived, before=before)
    parts = [
        _filtered(branch, query).order_by("-occurred_at", "-id").values("id", "occurred_at")[:limit]
        for branch in branches
    ]
    if len(parts) == 1:
        return parts[0]
    return parts[0].union(*parts[1:], all=True).order_by("-occurred_at", "-id")[:limit]


# What an entry shows of its author and clients (crm.views.timeline_entries), and no more:
# a contact's whole row (custom fields, search columns) thirty times over is most of the
# time of loading a page.
ENTRY_RELATED_FIELDS = (
    "author__full_name",
    "author__email",
    "contact__surname",
    "contact__first_name",
    "contact__patronymic",
    "company__name",
    "deal__title",
)


def _page_rows(_shape: Any, *, ids: list[int]) -> QuerySet[Activity]:
    return (
        Activity.objects.filter(pk__in=ids)
        .select_related("author", "contact", "company", "deal")
        .only(
            *(
                field.name
                for field in Activity._meta.concrete_fields
                if field.name != "search_text"
            ),
            *ENTRY_RELATED_FIELDS,
        )
    )


TIMELINE_IDS = CompiledQuery(_page_ids)
TIMELINE_ROWS = CompiledQuery(_page_rows)


def timeline_page(
    user: Any,
    record_type: str,
    record: Any,
    query: TimelineQuery | None = None,
    *,
    page_size: int = PAGE_SIZE,
    related_ids: list[int] | None = None,
) -> TimelinePage:
    """One page of `record`'s timeline as `user` may see it (the caller checked `record`).

    Three queries at most (the related owners, the page's ids, the page's rows) whatever
    the number of entries; two when the caller passes `related_ids` (a contact's card
    knows the companies the member sees, a company's card the people). Entries carry
    `from_record` (the other client they come from, or None) and `is_edited`.
    """
    query = query or TimelineQuery()
    if query.archived and not getattr(user, "is_workspace_admin", False):
        query.archived = False
    limit = page_size + 1
    # A search's LIKE patterns are not values the compiled query can take: built each time.
    searching = bool(normalize.search_words(query.search))
    owners = None if searching else _owners(user, record_type, record, related_ids)
    if owners is not None:
        values: dict[str, Any] = {"record_id": record.pk, "related": owners}
        if query.kinds:
            values["kinds"] = list(query.kinds)
        if query.before is not None:
            values["before_at"], values["before_id"] = query.before
        found = TIMELINE_IDS(
            (record_type, query.archived, limit, query.before is not None), **values
        )
    else:
        branches = _branches(user, record_type, record, related_ids)
        parts = [
            _filtered(branch, query)
            .order_by("-occurred_at", "-id")
            .values("id", "occurred_at")[:limit]
            for branch in branches
        ]
        if len(parts) == 1:
            found = list(parts[0])
        else:
            combined = parts[0].union(*parts[1:], all=True)
            found = list(combined.order_by("-occurred_at", "-id")[:limit])
    ids = [row["id"] for row in found[:page_size]]
    rows: dict[int, Activity] = {entry.pk: entry for entry in TIMELINE_ROWS(ids=ids)} if ids else {}
    entries = [rows[pk] for pk in ids if pk in rows]
    for entry in entries:
        entry.from_record = _from_record(record_type, record, entry)  # type: ignore[attr-defined]
        entry.is_edited = entry.edited_at is not None  # type: ignore[attr-defined]
    more = len(found) > page_size
    return TimelinePage(
        record_type=record_type,
        record=record,
        entries=entries,
        next_position=encode_position(entries[-1]) if more and entries else None,
        query=query,
    )


def _from_record(record_type: str, record: Any, entry: Activity) -> Any:
    if record_type == "contact" and entry.contact_id != record.pk:
        return entry.company
    if record_type == "company" and entry.company_id != record.pk:
        return entry.contact
    return None


def visible_timeline_record(user: Any, record_type: str, record_id: int) -> Any:
    """The contact, company or deal whose timeline `user` asks for; CrmNotFoundError if not
    theirs to see."""
    from crm.selectors.access import get_visible_company, get_visible_contact

    if record_type == "contact":
        return get_visible_contact(user, record_id)
    if record_type == "company":
        return get_visible_company(user, record_id)
    if record_type == "deal":
        deal = Deal.objects.select_related("contact", "company").filter(pk=record_id).first()
        if deal is None or not can_see_deal(user, deal):
            raise CrmNotFoundError()
        return deal
    raise CrmNotFoundError()


def activity_versions(activity: Activity) -> list[ActivityVersion]:
    """The entry's earlier versions, newest first, with who edited (one query)."""
    return list(activity.versions.select_related("edited_by").order_by("-edited_at", "-id"))


def activities_for_api(
    user: Any,
    *,
    contact: int | None = None,
    company: int | None = None,
    deal: int | None = None,
    kinds: list[str] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    archived: str = "active",
    after_id: int | None = None,
    limit: int = 50,
) -> tuple[list[Activity], bool]:
    """A page of the entries `user` may see, by ascending id (the API's cursor order)."""
    entries = Activity.objects.select_related("author", "contact", "company", "deal")
    if contact is not None:
        visible_timeline_record(user, "contact", contact)
        entries = entries.filter(contact_id=contact)
    if company is not None:
        visible_timeline_record(user, "company", company)
        entries = entries.filter(company_id=company)
    if deal is not None:
        visible_timeline_record(user, "deal", deal)
        entries = entries.filter(deal_id=deal)
    if not sees_all_clients(user):
        entries = entries.filter(
            Q(contact__responsible_id=user.pk)
            | Q(company__responsible_id=user.pk)
            | Q(deal__responsible_id=user.pk)
        )
    if kinds:
        entries = entries.filter(kind__in=kinds)
    if since is not None:
        entries = entries.filter(occurred_at__gte=since)
    if until is not None:
        entries = entries.filter(occurred_at__lte=until)
    if archived == "active":
        entries = entries.filter(archived_at__isnull=True)
    elif archived == "archived":
        entries = entries.filter(archived_at__isnull=False)
    if after_id is not None:
        entries = entries.filter(pk__gt=after_id)
    rows = list(entries.order_by("id")[: limit + 1])
    return rows[:limit], len(rows) > limit
