"""Querysets whose SQL is compiled once per process: later calls only swap the values.

Building a queryset (filter, annotate, select_related) and compiling it to SQL is most of
the Python a card page spends on its queries: the contact card's row with its eight JSON
arrays alone cost thousands of function calls each time, to produce the same SQL with
other numbers in it. `CompiledQuery` builds the queryset once with placeholder values,
compiles it, notes where each placeholder landed among the parameters, and from then on
runs that SQL with the real values through Django's own row handling (model instances,
select_related, values, annotations, converters), so callers get what the queryset gives.

Only the values may vary between calls; anything that changes the SQL's shape (who sees
what, how many ids an IN holds, how many branches a UNION has) goes in the `shape` key,
and each shape is compiled once. The SQL names no schema (the tenant's search_path picks
it), so one compilation serves every workspace. A queryset whose SQL depends on more than
its values, such as the active time zone (date truncation) or the language, is refused
when first compiled: it is compiled twice, under two zones and with two sets of
placeholders, and must give the same SQL with the placeholders in the same places.
"""

import copy
import datetime as dt
import itertools
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone, translation

# Placeholder integers: inside PostgreSQL's integer range (Django turns an out-of-range
# comparison into an empty result at compile time), far from any real id or count.
_INT_BASES = (1_987_650_000, 1_876_540_000)
_MOMENT_BASES = (
    dt.datetime(1901, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
    dt.datetime(1902, 3, 4, 5, 6, 7, tzinfo=dt.UTC),
)
# Compiled under each of these (time zone, language): the SQL must come out the same.
_SETTINGS = (("UTC", "en"), ("Pacific/Kiritimati", "ru"))


class NotCompilable(Exception):
    """The queryset's SQL depends on more than the values: it is run the ordinary way."""


@dataclass(frozen=True)
class _Slot:
    position: int  # in the parameters
    name: str  # the value's name
    index: int | None  # the element, for a list value


def _placeholder(kind: Any, set_number: int, serial: int) -> Any:
    if kind is int:
        return _INT_BASES[set_number] + serial
    if kind is str:
        return f"\u27e6compiled-{set_number}-{serial}\u27e7"
    if kind is dt.datetime:
        return _MOMENT_BASES[set_number] + dt.timedelta(seconds=serial)
    if kind is dt.date:
        return _MOMENT_BASES[set_number].date() + dt.timedelta(days=serial)
    raise NotCompilable(f"no placeholder for {kind!r}")


def _placeholders(values: dict[str, Any], set_number: int) -> dict[str, Any]:
    serial = itertools.count(1)
    made: dict[str, Any] = {}
    for name, value in sorted(values.items()):
        if isinstance(value, list | tuple):
            made[name] = [_placeholder(_kind(item), set_number, next(serial)) for item in value]
        else:
            made[name] = _placeholder(_kind(value), set_number, next(serial))
    return made


def _kind(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        raise NotCompilable("booleans and None change the SQL: put them in the shape")
    for kind in (int, str, dt.datetime, dt.date):  # a datetime is a date too: it comes first
        if isinstance(value, kind):
            return kind
    raise NotCompilable(f"no placeholder for {type(value)!r}")


def _slots(params: Sequence[Any], placeholders: dict[str, Any]) -> list[_Slot]:
    where: dict[tuple[type, Any], tuple[str, int | None]] = {}
    for name, value in placeholders.items():
        if isinstance(value, list):
            for index, item in enumerate(value):
                where[(type(item), item)] = (name, index)
        else:
            where[(type(value), value)] = (name, None)
    slots = []
    for position, param in enumerate(params):
        found = where.get((type(param), param))
        if found is not None:
            slots.append(_Slot(position, found[0], found[1]))
    seen = {(slot.name, slot.index) for slot in slots}
    if seen != set(where.values()):
        raise NotCompilable("a value is not passed to the database as it was given")
    return slots


class _QueryView:
    """The queryset's Query, answering get_compiler() with the ready compiler."""

    def __init__(self, query: Any, compiler: Any) -> None:
        self._query = query
        self._compiler = compiler

    def get_compiler(self, *args: Any, **kwargs: Any) -> Any:
        return self._compiler

    def __getattr__(self, name: str) -> Any:
        return getattr(self._query, name)


class _QuerySetView:
    """What Django's iterables read of a queryset (ModelIterable, ValuesIterable, ...)."""

    def __init__(self, queryset: QuerySet[Any], compiler: Any) -> None:
        self.db = queryset.db
        self.model = queryset.model
        self.query = _QueryView(queryset.query, compiler)
        self._fields = queryset._fields  # type: ignore[attr-defined]
        self._known_related_objects = queryset._known_related_objects  # type: ignore[attr-defined]


class _Compiled:
    def __init__(
        self,
        queryset: QuerySet[Any],
        compiler: Any,
        sql: str,
        params: Sequence[Any],
        slots: list[_Slot],
    ) -> None:
        self.queryset = queryset
        self.compiler = compiler  # as_sql() has filled select, klass_info, col_count...
        self.sql = sql
        self.params = list(params)
        self.slots = slots

    def rows(self, values: dict[str, Any]) -> list[Any]:
        params = list(self.params)
        for slot in self.slots:
            value = values[slot.name]
            params[slot.position] = value if slot.index is None else value[slot.index]
        compiler = copy.copy(self.compiler)
        compiler.connection = connections[self.queryset.db]
        sql = self.sql
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        iterable_class: Any = self.queryset._iterable_class
        return list(iterable_class(_QuerySetView(self.queryset, compiler)))


class CompiledQuery:
    """`build(**values)` -> a queryset, compiled once per `shape`; call it with the values.

    `build` must be a pure function of its arguments: `shape` (hashable; booleans, list
    lengths, anything that changes the SQL) and the values (ints, strings, dates,
    aware datetimes, or lists of them, each passed to the database as given). A queryset whose
    SQL cannot be reused is evaluated the ordinary way on every call (NotCompilable).
    """

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        self._build = build
        self._compiled: dict[Hashable, _Compiled | None] = {}
        self._lock = threading.Lock()

    def __call__(self, shape: Hashable = (), **values: Any) -> list[Any]:
        key = (shape, tuple(sorted((name, _length(value)) for name, value in values.items())))
        if key in self._compiled:
            compiled = self._compiled[key]
        else:
            with self._lock:
                compiled = self._compiled[key] = self._compile(shape, values)
        if compiled is None:
            return list(self._build(shape, **values))
        return compiled.rows(values)

    def _compile(self, shape: Hashable, values: dict[str, Any]) -> _Compiled | None:
        try:
            results = []
            for set_number, (zone, language) in enumerate(_SETTINGS):
                placeholders = _placeholders(values, set_number)
                with timezone.override(zone), translation.override(language):
                    queryset = self._build(shape, **placeholders)
                    if queryset._prefetch_related_lookups:  # type: ignore[attr-defined]
                        raise NotCompilable("prefetch_related runs queries of its own")
                    compiler = queryset.query.get_compiler(using=queryset.db)
                    sql, params = compiler.as_sql()
                results.append((queryset, compiler, sql, list(params), placeholders))
        except NotCompilable:
            return None
        (queryset, compiler, sql, params, placeholders), other = results
        try:
            slots = _slots(params, placeholders)
            if (sql, slots) != (other[2], _slots(other[3], other[4])) or any(
                params[position] != other[3][position]
                for position in set(range(len(params))) - {slot.position for slot in slots}
            ):
                raise NotCompilable("the SQL depends on more than the values")
        except NotCompilable:
            return None
        return _Compiled(queryset, compiler, sql, params, slots)


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, list | tuple) else None
