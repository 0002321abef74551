"""Saved segments: named list filters shared in the workspace."""

from typing import Any

from django.db.models import QuerySet

from crm.errors import CrmNotFoundError
from crm.models import Segment
from crm.selectors.lists import ClientFilter


def segments_for(user: Any, record_type: str) -> QuerySet[Segment]:
    """The workspace's segments for contacts or companies, by name (everyone sees them all;
    the records each one lists are still only those the member may see)."""
    return (
        Segment.objects.filter(record_type=record_type)
        .select_related("created_by")
        .order_by("name")
    )


def segment_filter(segment: Segment) -> ClientFilter:
    return ClientFilter.from_dict(segment.filters)


def get_segment(segment_id: int) -> Segment:
    found = Segment.objects.filter(pk=segment_id).first()
    if found is None:
        raise CrmNotFoundError()
    return found
