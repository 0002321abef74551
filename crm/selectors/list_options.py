"""The choices a list page offers (members, tags, sources, segments), in one query.

A list page must run a fixed, small number of queries; its filter and bulk controls
need four short lists, read here as one UNION ALL instead of four queries.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from psycopg import sql

from crm.models import Segment, SourceChannel, Tag
from tenants.members.models import User


@dataclass(frozen=True)
class Option:
    pk: int
    name: str
    owner_id: int | None = None  # a segment's author


@dataclass
class ListOptions:
    members: list[Option] = field(default_factory=list)
    tags: list[Option] = field(default_factory=list)
    sources: list[Option] = field(default_factory=list)
    segments: list[Option] = field(default_factory=list)


# One statement, the same every time but for the record type: building it through the ORM
# (four annotated querysets and their union) cost more than running it. Names from code.
_OPTIONS = sql.SQL(
    "SELECT 'member', id, COALESCE(NULLIF(full_name, ''), email), NULL::integer"
    " FROM {members} WHERE is_active"
    " UNION ALL SELECT 'tag', id, COALESCE(name, ''), NULL::integer FROM {tags}"
    " UNION ALL SELECT 'source', id, COALESCE(name, ''), NULL::integer FROM {sources}"
    " WHERE archived_at IS NULL"
    " UNION ALL SELECT 'segment', id, COALESCE(name, ''), created_by_id FROM {segments}"
    " WHERE record_type = %s"
).format(
    members=sql.Identifier(User._meta.db_table),
    tags=sql.Identifier(Tag._meta.db_table),
    sources=sql.Identifier(SourceChannel._meta.db_table),
    segments=sql.Identifier(Segment._meta.db_table),
)


def list_options(record_type: str) -> ListOptions:
    """Active members, tags, active sources and the record type's segments, by name."""
    with connection.cursor() as cursor:
        cursor.execute(_OPTIONS, [record_type])
        rows: list[Any] = cursor.fetchall()
    options = ListOptions()
    for kind, pk, label, owner in sorted(rows, key=lambda row: (row[0], str(row[2]).casefold())):
        getattr(options, f"{kind}s").append(Option(pk=pk, name=label, owner_id=owner))
    return options
