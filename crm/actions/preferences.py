"""Writes of a member's own page preferences (no workspace data changes, so no history)."""

from collections.abc import Sequence

from django.db import transaction

from crm.models import ListColumns, RecordType
from tenants.members.models import User


@transaction.atomic
def save_list_columns(*, acting_user: User, record_type: str, columns: Sequence[str]) -> None:
    """Keep the columns `acting_user` shows on a list, in order; empty means the defaults.

    Allowed in a read-only workspace: it changes how a page looks, not the client base.
    """
    if record_type not in RecordType.values:
        raise ValueError(record_type)
    ListColumns.objects.update_or_create(
        member=acting_user,
        record_type=record_type,
        defaults={"columns": [str(key)[:120] for key in columns][:60]},
    )
