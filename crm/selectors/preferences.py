"""A member's own choices for their pages."""

from typing import Any

from crm.models import ListColumns


def saved_list_columns(user: Any, record_type: str) -> list[str] | None:
    """The column keys `user` chose for the `record_type` list, or None for the defaults."""
    if not getattr(user, "pk", None):
        return None
    found = ListColumns.objects.filter(member_id=user.pk, record_type=record_type).first()
    return list(found.columns) if found is not None and found.columns else None
