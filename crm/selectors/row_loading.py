"""How a page of contacts or companies loads its children: one query for all of them.

Shared by the list pages and the API. A page shows each record's phones, e-mails, tags,
companies (and, in the API, messengers or a company's people). Django's prefetching
costs a compiled query and a model instance per child, and that was a third of a list
page's time; here one SQL statement returns every child of the page's records as JSON
arrays (one correlated subquery per kind, each on its owner index), and each child
becomes a small read-only object with the attributes the pages and the API read.

Each collection lands in a plain list attribute: `loaded_phones`, `loaded_emails`,
`loaded_tags`, `loaded_company_links`, `loaded_messengers`, `loaded_contact_links`.
The orders are the models' own (phones, e-mails and messengers by position then id,
tags by name, links by id), so what a page shows does not change.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.query import ModelIterable
from psycopg import sql

from crm.models import Company, Contact, ContactCompany, Email, Messenger, Phone, Tag


@dataclass(frozen=True, slots=True)
class LoadedPhone:
    e164: str
    raw: str
    label: str


@dataclass(frozen=True, slots=True)
class LoadedEmail:
    address: str


@dataclass(frozen=True, slots=True)
class LoadedTag:
    pk: int
    name: str


@dataclass(frozen=True, slots=True)
class LoadedMessenger:
    kind: str
    handle: str


@dataclass(frozen=True, slots=True)
class LinkedCompany:
    pk: int
    name: str


@dataclass(frozen=True, slots=True)
class LoadedCompanyLink:
    """A contact's place in a company: `company` carries the company's id and name."""

    company_id: int
    position: str
    company: LinkedCompany


@dataclass(frozen=True, slots=True)
class LoadedContactLink:
    """A company's person: `contact` is an unsaved Contact with the name parts only, so its
    display name follows the model's own rule."""

    contact_id: int
    position: str
    contact: Contact


def _table(model: Any) -> sql.Identifier:
    return sql.Identifier(model._meta.db_table)


# One `json_agg` subquery per kind of child, correlated on `r.id`; {owner} is the child's
# column naming its contact or company.
_SUBQUERIES = {
    "phones": "SELECT json_agg(json_build_array(c.e164, c.raw, c.label) ORDER BY c.position, c.id)"
    " FROM {phone} c WHERE c.{owner} = r.id",
    "emails": "SELECT json_agg(c.address ORDER BY c.position, c.id)"
    " FROM {email} c WHERE c.{owner} = r.id",
    "tags": "SELECT json_agg(json_build_array(t.id, t.name) ORDER BY t.name)"
    " FROM {tags_through} c JOIN {tag} t ON t.id = c.tag_id WHERE c.{owner} = r.id",
    "messengers": "SELECT json_agg(json_build_array(c.kind, c.handle) ORDER BY c.position, c.id)"
    " FROM {messenger} c WHERE c.contact_id = r.id",
    "company_links": "SELECT json_agg(json_build_array(c.company_id, c.position, k.name)"
    " ORDER BY c.id) FROM {link} c JOIN {company} k ON k.id = c.company_id"
    " WHERE c.contact_id = r.id",
    "contact_links": "SELECT json_agg(json_build_array(c.contact_id, c.position, p.surname,"
    " p.first_name, p.patronymic) ORDER BY c.id) FROM {link} c JOIN {contact} p"
    " ON p.id = c.contact_id WHERE c.company_id = r.id",
}


def _statement(model: type[Contact] | type[Company], kinds: Sequence[str]) -> sql.Composed:
    names = {
        "owner": sql.Identifier("contact_id" if model is Contact else "company_id"),
        "phone": _table(Phone),
        "email": _table(Email),
        "tag": _table(Tag),
        "tags_through": _table(model.tags.through),
        "messenger": _table(Messenger),
        "link": _table(ContactCompany),
        "company": _table(Company),
        "contact": _table(Contact),
    }
    subqueries = [
        sql.SQL("({})").format(sql.SQL(_SUBQUERIES[kind]).format(**names)) for kind in kinds
    ]
    return sql.SQL("SELECT r.id, {} FROM unnest(%s::bigint[]) AS r(id)").format(
        sql.SQL(", ").join(subqueries)
    )


def _build(kind: str, items: list[Any]) -> list[Any]:
    if kind == "phones":
        return [LoadedPhone(e164, raw, label) for e164, raw, label in items]
    if kind == "emails":
        return [LoadedEmail(address) for address in items]
    if kind == "tags":
        return [LoadedTag(pk, name) for pk, name in items]
    if kind == "messengers":
        return [LoadedMessenger(kind_, handle) for kind_, handle in items]
    if kind == "company_links":
        return [
            LoadedCompanyLink(company_id, position, LinkedCompany(company_id, name))
            for company_id, position, name in items
        ]
    return [
        LoadedContactLink(
            contact_id,
            position,
            Contact(id=contact_id, surname=surname, first_name=first, patronymic=patronymic),
        )
        for contact_id, position, surname, first, patronymic in items
    ]


def attach_children(records: Sequence[Any], kinds: Sequence[str]) -> None:
    """Set `loaded_<kind>` on each of `records` (contacts or companies), in one query."""
    if not records:
        return
    model = type(records[0])
    ids = [record.pk for record in records]
    with connection.cursor() as cursor:
        cursor.execute(_statement(model, kinds), [ids])
        found = {row[0]: row[1:] for row in cursor.fetchall()}
    for record in records:
        values = found.get(record.pk, (None,) * len(kinds))
        for kind, items in zip(kinds, values, strict=True):
            setattr(record, f"loaded_{kind}", _build(kind, items) if items else [])


class _RowsWithChildren(QuerySet[Any]):
    """A queryset that, once it has fetched its records, attaches their children."""

    _children: tuple[str, ...] = ()

    def _clone(self) -> "_RowsWithChildren":
        clone: _RowsWithChildren = super()._clone()  # type: ignore[misc]
        clone._children = self._children
        return clone

    def _fetch_all(self) -> None:
        fetching = self._result_cache is None
        super()._fetch_all()
        if fetching and self._children and self._iterable_class is ModelIterable:
            attach_children(self._result_cache or [], self._children)


def _with_children(records: QuerySet[Any], kinds: tuple[str, ...]) -> QuerySet[Any]:
    rows = records.select_related("responsible", "source")
    # QuerySet offers no public way to change a queryset's class; this clone is our own.
    rows.__class__ = _RowsWithChildren
    rows._children = kinds  # type: ignore[attr-defined]
    return rows


def contact_rows(records: QuerySet[Contact], *, with_messengers: bool = False) -> QuerySet[Contact]:
    """Contacts with responsible, source, phones, e-mails, tags, companies (and messengers)."""
    kinds = ("phones", "emails", "tags", "company_links")
    return _with_children(records, (*kinds, "messengers") if with_messengers else kinds)


def company_rows(records: QuerySet[Company], *, with_contacts: bool = False) -> QuerySet[Company]:
    """Companies with responsible, source, phones, e-mails, tags (and their people)."""
    kinds = ("phones", "emails", "tags")
    return _with_children(records, (*kinds, "contact_links") if with_contacts else kinds)
