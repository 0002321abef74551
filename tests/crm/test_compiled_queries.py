"""Querysets compiled once (crm.selectors.compiled): the same rows as the ORM gives, the
values of each call, and no reuse of SQL that depends on more than its values."""

from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import Contact
from crm.selectors.compiled import CompiledQuery

pytestmark = pytest.mark.django_db


def _by_surname(shape: bool, *, surname: str, ids: list[int]) -> QuerySet[Any]:
    contacts = Contact.objects.filter(surname=surname, pk__in=ids).select_related("responsible")
    return contacts.order_by("-id" if shape else "id")


def test_a_compiled_query_gives_each_call_its_own_values(owner, make_contact):
    first = make_contact(owner, surname="Иванов")
    second = make_contact(owner, surname="Иванов", phones=["+79160000001"])
    other = make_contact(owner, surname="Петров")
    query = CompiledQuery(_by_surname)

    for _round in range(2):  # the second round runs the SQL compiled in the first
        found = query(False, surname="Иванов", ids=[first.pk, second.pk])
        assert [contact.pk for contact in found] == [first.pk, second.pk]
        assert found[0].responsible == owner  # select_related filled, no query for it
        assert query(True, surname="Иванов", ids=[first.pk, second.pk])[0].pk == second.pk
        assert [c.pk for c in query(False, surname="Петров", ids=[other.pk, first.pk])] == [
            other.pk
        ]
        assert query(False, surname="Петров", ids=[first.pk]) == []


def test_a_compiled_query_runs_one_query_and_reads_the_loaded_relations(owner, make_contact):
    contact = make_contact(owner, surname="Иванов")
    query = CompiledQuery(_by_surname)
    query(False, surname="Иванов", ids=[contact.pk])

    with CaptureQueriesContext(connection) as captured:
        found = query(False, surname="Иванов", ids=[contact.pk])
        assert found[0].responsible.email == owner.email

    assert len(captured.captured_queries) == 1


def _per_day(_shape: Any, *, surname: str) -> QuerySet[Any]:
    return (
        Contact.objects.filter(surname=surname)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(count=Count("id"))
        .order_by("day")
    )


def test_a_query_that_depends_on_the_time_zone_is_built_every_time(owner, make_contact):
    make_contact(owner, surname="Иванов")
    query = CompiledQuery(_per_day)
    query((), surname="Иванов")

    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        with timezone.override(zone):
            expected = timezone.localtime(Contact.objects.get().created_at, timezone=None).date()
            assert query((), surname="Иванов") == [{"day": expected, "count": 1}]


def test_a_value_the_database_gets_changed_is_built_every_time(owner, make_contact):
    make_contact(owner, surname="Иванов")

    def containing(_shape: Any, *, fragment: str) -> QuerySet[Any]:
        return Contact.objects.filter(surname__contains=fragment)  # LIKE %fragment%

    query = CompiledQuery(containing)
    query((), fragment="ван")

    assert len(query((), fragment="ван")) == 1
    assert query((), fragment="пет") == []
