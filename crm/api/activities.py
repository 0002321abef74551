"""/api/activities: the timeline through the API — list (filters, cursor), get, log, change,
archive, restore, and documents (multipart upload, download).

The same actions as the card (crm.actions.timeline), so the per-kind rules, the file
checks, the missed-call task and the access rule are the same. A key acts as its member:
it sees the entries of the clients that member sees; editing follows "author or admin",
archiving "admins only".
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field as SchemaField
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from pydantic import StringConstraints

from crm.actions import timeline as actions
from crm.api.common import ERRORS, acting_user, decode_cursor, encode_cursor
from crm.api.schemas import StrictInput
from crm.errors import CrmNotFoundError, CrmValidationError
from crm.models import Activity
from crm.selectors.timeline import activities_for_api
from tenants.files import attachment_response

router = Router(tags=["Timeline"])

KindName = Literal[
    "call", "meeting", "email", "message", "proposal", "invoice", "payment", "document", "note"
]
DirectionName = Literal["incoming", "outgoing", "missed"]
Short = Annotated[str, StringConstraints(max_length=255)]
Long = Annotated[str, StringConstraints(max_length=20_000)]


class AuthorOut(Schema):
    id: int | None
    name: str


class ActivityOut(Schema):
    id: int
    uuid: UUID
    kind: str
    contact_id: int | None
    company_id: int | None
    deal_id: int | None
    occurred_at: dt.datetime
    direction: str
    subject: str
    text: str
    number: str
    amount: Decimal | None
    currency: str
    status: str
    duration_seconds: int | None
    details: dict[str, Any] = SchemaField(
        description="What only this kind has: outcome (call), place, participants, ends_at "
        "(meeting), channel (e-mail, message)."
    )
    file_name: str
    file_size: int | None
    file_url: str | None = SchemaField(description="Download through the API (same key).")
    author: AuthorOut
    created_at: dt.datetime
    edited_at: dt.datetime | None
    archived_at: dt.datetime | None


class ActivityPage(Schema):
    items: list[ActivityOut]
    next_cursor: str | None


class ActivityFields(StrictInput):
    occurred_at: dt.datetime | None = SchemaField(
        None, description="When it happened (a meeting's start, a payment's date). Now if absent."
    )
    direction: DirectionName | None = SchemaField(
        None, description="Calls: incoming, outgoing or missed; e-mails and messages: in or out."
    )
    subject: Short | None = None
    text: Long | None = None
    number: Annotated[str, StringConstraints(max_length=64)] | None = SchemaField(
        None, description="A call's phone number; a proposal's, invoice's or payment's number."
    )
    amount: Decimal | None = SchemaField(None, ge=0, max_digits=16, decimal_places=2)
    currency: Annotated[str, StringConstraints(max_length=3)] | None = None
    status: Annotated[str, StringConstraints(max_length=32)] | None = SchemaField(
        None,
        description="Proposals: draft, sent, accepted, rejected; invoices: draft, sent, "
        "paid, overdue, cancelled.",
    )
    duration_seconds: int | None = SchemaField(None, ge=0, le=86400)
    outcome: str | None = SchemaField(
        None,
        max_length=32,
        description="Calls: reached, no_answer, busy, call_back, voicemail, wrong_number.",
    )
    ends_at: dt.datetime | None = None
    place: Short | None = None
    participants: list[Annotated[str, StringConstraints(max_length=200)]] | None = SchemaField(
        None, max_length=50
    )
    channel: str | None = SchemaField(
        None, max_length=16, description="Messages: telegram, whatsapp, viber, sms, other."
    )


class ActivityIn(ActivityFields):
    kind: KindName
    contact_id: int | None = None
    company_id: int | None = None
    deal_id: int | None = None
    uuid: UUID | None = SchemaField(
        None,
        description="Your id of this event: sending the same uuid again returns the entry "
        "already logged (and makes no second call-back task for a missed call).",
    )


class ActivityQuery(Schema):
    contact: int | None = None
    company: int | None = None
    deal: int | None = None
    kind: list[KindName] = SchemaField(default_factory=list)
    since: dt.datetime | None = SchemaField(None, description="occurred_at on or after.")
    until: dt.datetime | None = SchemaField(None, description="occurred_at on or before.")
    archived: Literal["active", "archived", "all"] = "active"
    limit: int = SchemaField(50, ge=1, le=200)
    cursor: str | None = SchemaField(None, max_length=100)


def activity_out(request: HttpRequest, activity: Activity) -> dict[str, Any]:
    author = activity.author
    name = (author.full_name or author.email) if author is not None else activity.author_label
    return {
        "id": activity.pk,
        "uuid": activity.uuid,
        "kind": activity.kind,
        "contact_id": activity.contact_id,
        "company_id": activity.company_id,
        "deal_id": activity.deal_id,
        "occurred_at": activity.occurred_at,
        "direction": activity.direction,
        "subject": activity.subject,
        "text": activity.text,
        "number": activity.number,
        "amount": activity.amount,
        "currency": activity.currency,
        "status": activity.status,
        "duration_seconds": activity.duration_seconds,
        "details": activity.details or {},
        "file_name": activity.file_name,
        "file_size": activity.file_size,
        "file_url": f"/api/activities/{activity.pk}/file" if activity.file else None,
        "author": {"id": activity.author_id, "name": name or ""},
        "created_at": activity.created_at,
        "edited_at": activity.edited_at,
        "archived_at": activity.archived_at,
    }


@router.get(
    "/activities",
    response={200: ActivityPage, **ERRORS},
    url_name="api_activity_list",
    summary="List timeline entries",
    description="Entries of the clients the key's member sees, oldest id first; filter by "
    "contact, company, deal, kind (repeat for several), since/until.",
)
def api_activity_list(request: HttpRequest, filters: Query[ActivityQuery]) -> dict[str, Any]:
    rows, more = activities_for_api(
        acting_user(request),
        contact=filters.contact,
        company=filters.company,
        deal=filters.deal,
        kinds=list(filters.kind),
        since=filters.since,
        until=filters.until,
        archived=filters.archived,
        after_id=decode_cursor(filters.cursor),
        limit=filters.limit,
    )
    return {
        "items": [activity_out(request, row) for row in rows],
        "next_cursor": encode_cursor(rows[-1].pk) if more and rows else None,
    }


@router.post(
    "/activities",
    response={201: ActivityOut, 200: ActivityOut, **ERRORS},
    url_name="api_activity_create",
    summary="Log a timeline entry (every kind but documents)",
    description="Per-kind rules as on the card. A missed call creates the call-back task "
    "of the client's responsible manager. Documents: POST /activities/document.",
)
def api_activity_create(request: HttpRequest, payload: ActivityIn) -> Status[dict[str, Any]]:
    data = payload.model_dump(exclude_none=True)
    if data.get("kind") == "document":
        raise CrmValidationError({"kind": [_("Upload documents to /api/activities/document.")]})
    for name in ("contact", "company", "deal"):
        if f"{name}_id" in data:
            data[name] = data.pop(f"{name}_id")
    user = acting_user(request)
    existed = payload.uuid is not None and Activity.objects.filter(uuid=payload.uuid).exists()
    activity = actions.log_activity(acting_user=user, data=data)
    return Status(
        200 if existed else 201, activity_out(request, actions.get_activity(user, activity.pk))
    )


@router.post(
    "/activities/document",
    response={201: ActivityOut, **ERRORS},
    url_name="api_activity_upload",
    summary="Attach a document to a timeline (multipart/form-data)",
    description="Fields: file, and contact_id / company_id / deal_id, optional text and "
    "occurred_at. The size limit and the allowed types are the card's.",
)
def api_activity_upload(
    request: HttpRequest,
    file: File[UploadedFile],
    contact_id: Form[int | None] = None,
    company_id: Form[int | None] = None,
    deal_id: Form[int | None] = None,
    text: Form[str] = "",
    occurred_at: Form[dt.datetime | None] = None,
) -> Status[dict[str, Any]]:
    user = acting_user(request)
    activity = actions.log_activity(
        acting_user=user,
        data={
            "kind": "document",
            "contact": contact_id,
            "company": company_id,
            "deal": deal_id,
            "text": text[:20_000],
            "occurred_at": occurred_at,
            "file": file,
        },
    )
    return Status(201, activity_out(request, actions.get_activity(user, activity.pk)))


@router.get(
    "/activities/{activity_id}",
    response={200: ActivityOut, **ERRORS},
    url_name="api_activity_detail",
    summary="Get a timeline entry",
)
def api_activity_detail(request: HttpRequest, activity_id: int) -> dict[str, Any]:
    return activity_out(request, actions.get_activity(acting_user(request), activity_id))


@router.patch(
    "/activities/{activity_id}",
    response={200: ActivityOut, **ERRORS},
    url_name="api_activity_update",
    summary="Change a timeline entry (the previous version is kept)",
    description="Only the fields sent change; the kind and the clients stay. The author or "
    "an owner/admin may edit.",
)
def api_activity_update(
    request: HttpRequest, activity_id: int, payload: ActivityFields
) -> dict[str, Any]:
    user = acting_user(request)
    changes = payload.model_dump(exclude_unset=True)
    actions.edit_activity(acting_user=user, activity=activity_id, changes=changes)
    return activity_out(request, actions.get_activity(user, activity_id))


@router.post(
    "/activities/{activity_id}/archive",
    response={200: ActivityOut, **ERRORS},
    url_name="api_activity_archive",
    summary="Archive a timeline entry (owners and admins)",
)
def api_activity_archive(request: HttpRequest, activity_id: int) -> dict[str, Any]:
    user = acting_user(request)
    actions.archive_activity(acting_user=user, activity=activity_id)
    return activity_out(request, actions.get_activity(user, activity_id))


@router.post(
    "/activities/{activity_id}/restore",
    response={200: ActivityOut, **ERRORS},
    url_name="api_activity_restore",
    summary="Restore an archived timeline entry (owners and admins)",
)
def api_activity_restore(request: HttpRequest, activity_id: int) -> dict[str, Any]:
    user = acting_user(request)
    actions.restore_activity(acting_user=user, activity=activity_id)
    return activity_out(request, actions.get_activity(user, activity_id))


@router.get(
    "/activities/{activity_id}/file",
    response={200: None, **ERRORS},
    url_name="api_activity_file",
    summary="Download a document's file",
)
def api_activity_file(request: HttpRequest, activity_id: int) -> FileResponse:
    activity = actions.get_activity(acting_user(request), activity_id)
    if not activity.file:
        raise CrmNotFoundError()
    try:
        handle = activity.file.storage.open(activity.file.name or "", "rb")
    except FileNotFoundError as error:
        raise CrmNotFoundError() from error
    return attachment_response(handle, filename=activity.file_name or "file")
