"""The choices a list page offers (members, tags, sources, segments), in one query.

A list page must run a fixed, small number of queries; its filter and bulk controls
need four short lists, read here as one UNION ALL instead of four queries.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, F, IntegerField, Value
from django.db.models.functions import Cast, Coalesce, NullIf

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


def list_options(record_type: str) -> ListOptions:
    """Active members, tags, active sources and the record type's segments, by name."""
    # A typed NULL: an untyped one makes PostgreSQL take the column for text.
    no_owner = Cast(Value(None), output_field=IntegerField())
    members = (
        User.objects.filter(is_active=True)
        .annotate(
            kind=Value("member", output_field=CharField()),
            ident=F("pk"),
            label=Coalesce(NullIf("full_name", Value("")), "email", output_field=CharField()),
            owner=no_owner,
        )
        .values_list("kind", "ident", "label", "owner")
    )
    tags = Tag.objects.annotate(
        kind=Value("tag", output_field=CharField()),
        ident=F("pk"),
        label=Coalesce("name", Value(""), output_field=CharField()),
        owner=no_owner,
    ).values_list("kind", "ident", "label", "owner")
    sources = (
        SourceChannel.objects.filter(archived_at__isnull=True)
        .annotate(
            kind=Value("source", output_field=CharField()),
            ident=F("pk"),
            label=Coalesce("name", Value(""), output_field=CharField()),
            owner=no_owner,
        )
        .values_list("kind", "ident", "label", "owner")
    )
    segments = (
        Segment.objects.filter(record_type=record_type)
        .annotate(
            kind=Value("segment", output_field=CharField()),
            ident=F("pk"),
            label=Coalesce("name", Value(""), output_field=CharField()),
            owner=Coalesce("created_by_id", no_owner, output_field=IntegerField()),
        )
        .values_list("kind", "ident", "label", "owner")
    )
    options = ListOptions()
    rows: list[Any] = list(members.union(tags, sources, segments, all=True))
    for kind, pk, label, owner in sorted(rows, key=lambda row: (row[0], str(row[2]).casefold())):
        getattr(options, f"{kind}s").append(Option(pk=pk, name=label, owner_id=owner))
    return options
