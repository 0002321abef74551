"""Every write of tasks, recurring series, date reminders and notifications.

(The daily-work issue grows this module; the missed-call rule below is shared with the
timeline, whose call logging calls it.)
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Activity, ActivityKind, Direction, Task, TaskOrigin
from crm.selectors.access import crm_settings


def create_callback_for_missed_call(activity: Activity) -> Task | None:
    """A call-back task for the client's responsible manager, once per missed call.

    Due `CrmSettings.callback_within_minutes` after the call. Returns None when the entry
    is not a missed call or the client has no responsible manager. Idempotent: the task
    is keyed by the call's uuid, so telephony delivering the same event twice, or a
    retried worker, makes one task.
    """
    if activity.kind != ActivityKind.CALL or activity.direction != Direction.MISSED:
        return None
    client = activity.contact or activity.company
    assignee = getattr(client, "responsible", None)
    if client is None or assignee is None or not assignee.is_active:
        return None
    key = f"missed-call:{activity.uuid}"
    due_at = activity.occurred_at + dt.timedelta(minutes=crm_settings().callback_within_minutes)
    local_due = timezone.localtime(due_at)
    with transaction.atomic():
        task, _created = Task.objects.get_or_create(
            occurrence_key=key,
            defaults={
                "title": _("Call back: %(client)s") % {"client": client.display_name},
                "description": activity.number,
                "due_at": due_at,
                "due_date": local_due.date(),
                "due_has_time": True,
                "assignee": assignee,
                "contact": activity.contact,
                "company": activity.company,
                "deal": activity.deal,
                "origin": TaskOrigin.MISSED_CALL,
                "created_by": activity.author,
            },
        )
    return task
