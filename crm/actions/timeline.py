"""Every write to the timeline: log, edit, archive and restore an activity.

Input is a plain mapping, the same from the card's forms and the API:

    uuid (optional: an entry already logged under it is returned, nothing new is made),
    kind (crm.models.ActivityKind), contact / company / deal (ids or instances: at least
    one), occurred_at (aware datetime or ISO text; now when absent), and per kind:
    call:      direction (incoming | outgoing | missed), duration_seconds, outcome
               (CallOutcome), number (a phone, stored as typed), text
    meeting:   occurred_at (its start), ends_at, place, participants (list of names), text
    email:     direction (incoming | outgoing), subject, text
    message:   channel (MessageChannel), direction (incoming | outgoing), text
    proposal:  number, amount, currency, status (ProposalStatus), text
    invoice:   number, amount, currency, status (InvoiceStatus), text
    payment:   amount, currency, occurred_at (the payment's date), number, text
    document:  file (an uploaded file, checked by crm.timeline_files), text
    note:      text

Rules: the acting member must see every client the entry is on; the author or an
owner/admin may edit (the previous values are kept in ActivityVersion); only owners and
admins archive and restore ("deleting is an archive"). A missed call creates the
client's call-back task (crm.actions.tasks) in the same transaction.

"Last contact" (Contact/Company.last_contact_at) is the latest time the team actually
spoke or wrote with the client: calls that were answered or made (not missed), meetings,
e-mails and messages, not in the future, not archived. Proposals, invoices, payments,
documents and notes are paperwork about the client, not contact with them. A company's
last contact also counts the entries on its people. It is recomputed from the table
(never just pushed forward), so archiving or moving an entry back in time is right too.

Refusals: CrmValidationError (translated messages per field), CrmNotFoundError (an entry
or client the member may not see), PermissionDenied (a role refusal),
tenants.guards.WorkspaceReadOnlyError.
"""

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import normalize
from crm.errors import CrmNotFoundError, CrmValidationError
from crm.models import (
    Activity,
    ActivityKind,
    ActivityVersion,
    Company,
    Contact,
    ContactCompany,
    Deal,
    Direction,
)
from crm.selectors.access import can_see, sees_all_clients
from crm.selectors.deals import can_see_deal
from crm.timeline_files import FileRefused, check_upload
from tenants.guards import ensure_workspace_writable
from tenants.members.models import User


class CallOutcome(models.TextChoices):
    REACHED = "reached", gettext_lazy("Talked")
    NO_ANSWER = "no_answer", gettext_lazy("No answer")
    BUSY = "busy", gettext_lazy("Busy")
    CALL_BACK = "call_back", gettext_lazy("Asked to call back")
    VOICEMAIL = "voicemail", gettext_lazy("Left a voicemail")
    WRONG_NUMBER = "wrong_number", gettext_lazy("Wrong number")


class MessageChannel(models.TextChoices):
    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"
    VIBER = "viber", "Viber"
    SMS = "sms", gettext_lazy("SMS")
    OTHER = "other", gettext_lazy("Other")


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", gettext_lazy("Draft")
    SENT = "sent", gettext_lazy("Sent")
    ACCEPTED = "accepted", gettext_lazy("Accepted")
    REJECTED = "rejected", gettext_lazy("Rejected")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", gettext_lazy("Draft")
    SENT = "sent", gettext_lazy("Sent")
    PAID = "paid", gettext_lazy("Paid")
    OVERDUE = "overdue", gettext_lazy("Overdue")
    CANCELLED = "cancelled", gettext_lazy("Cancelled")


CURRENCIES = ("RUB", "UAH", "USD", "EUR", "KZT", "BYN", "GBP", "CNY")
# Kinds that are contact with the client (see the module's docstring).
CONTACT_KINDS = (ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.EMAIL, ActivityKind.MESSAGE)
MAX_TEXT = 20_000
MAX_DURATION_SECONDS = 24 * 3600
MAX_AMOUNT = Decimal("99999999999999.99")
# Columns (and details) an edit may change, kept in ActivityVersion.snapshot.
VERSIONED = (
    "occurred_at",
    "direction",
    "subject",
    "text",
    "number",
    "amount",
    "currency",
    "status",
    "duration_seconds",
    "details",
    "file_name",
)


def counts_as_contact() -> Q:
    """Entries that are contact with the client (for last_contact_at)."""
    return (
        Q(kind__in=CONTACT_KINDS)
        & ~Q(kind=ActivityKind.CALL, direction=Direction.MISSED)
        & Q(archived_at__isnull=True)
    )


# ---------------------------------------------------------------- input


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise CrmValidationError(self.fields)


def _text(value: Any, limit: int = 255) -> str:
    return normalize.clean_spaces(str(value))[:limit] if value not in (None, "") else ""


def _long_text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _moment(value: Any, errors: _Errors, name: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    moment = value if isinstance(value, dt.datetime) else None
    if moment is None and isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(12, 0))
    if moment is None and isinstance(value, str):
        try:
            moment = parse_datetime(value.strip())
        except ValueError:
            moment = None
        if moment is None:
            try:
                moment = dt.datetime.combine(dt.date.fromisoformat(value.strip()), dt.time(12))
            except ValueError:
                moment = None
    if moment is None:
        errors.add(name, _("Enter a date and time, e.g. 2026-12-06 14:30."))
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if (
        not dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
        <= moment
        <= timezone.now() + dt.timedelta(days=3660)
    ):
        errors.add(name, _("This date is out of range."))
        return None
    return moment


def _amount(value: Any, errors: _Errors, *, required: bool) -> Decimal | None:
    if value in (None, ""):
        if required:
            errors.add("amount", _("Enter the amount."))
        return None
    try:
        amount = Decimal(str(value).replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation:
        errors.add("amount", _("Enter the amount as a number, e.g. 15000.50."))
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        errors.add("amount", _("Enter an amount from 0 to 99,999,999,999,999."))
        return None
    if amount != amount.quantize(Decimal("0.01")):
        errors.add("amount", _("At most two digits after the decimal point."))
        return None
    return amount


def _currency(value: Any, errors: _Errors, *, needed: bool) -> str:
    code = _text(value, 10).upper()
    if not code:
        if needed:
            errors.add("currency", _("Choose the currency."))
        return ""
    if code not in CURRENCIES:
        errors.add(
            "currency", _("Choose one of: %(choices)s.") % {"choices": ", ".join(CURRENCIES)}
        )
        return ""
    return code


def _choice(
    value: Any, choices: type[models.TextChoices], errors: _Errors, name: str, *, required: bool
) -> str:
    text = _text(value, 32)
    if not text:
        if required:
            errors.add(name, _("Choose one."))
        return ""
    if text not in choices.values:
        labels = ", ".join(str(label) for label in choices.labels)
        errors.add(name, _("Choose one of: %(choices)s.") % {"choices": labels})
        return ""
    return text


def _duration(value: Any, errors: _Errors) -> int | None:
    if value in (None, ""):
        return None
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        errors.add("duration_seconds", _("Enter the duration as a whole number of seconds."))
        return None
    if not 0 <= seconds <= MAX_DURATION_SECONDS:
        errors.add("duration_seconds", _("A call lasts from 0 seconds to 24 hours."))
        return None
    return seconds


def _participants(value: Any, errors: _Errors) -> list[str]:
    if value in (None, ""):
        return []
    items = value.replace(";", ",").split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        errors.add("participants", _("Enter the participants as a list of names."))
        return []
    names = [_text(item, 200) for item in items]
    names = [name for name in names if name]
    if len(names) > 50:
        errors.add("participants", _("At most 50 participants."))
        return []
    return names


def _clean(
    kind: str, data: Mapping[str, Any], errors: _Errors, *, current: Activity | None
) -> dict[str, Any]:
    """The entry's columns from `data` for `kind` (what `data` omits keeps `current`'s)."""

    def given(name: str) -> Any:
        if name in data:
            return data[name]
        if current is None:
            return None
        if name in {"outcome", "place", "participants", "channel", "ends_at"}:
            return current.details.get(name)
        return getattr(current, name)

    values: dict[str, Any] = {
        "direction": "",
        "subject": "",
        "number": "",
        "amount": None,
        "currency": "",
        "status": "",
        "duration_seconds": None,
        "details": {},
    }
    occurred_at = _moment(given("occurred_at"), errors, "occurred_at")
    values["occurred_at"] = occurred_at or (current.occurred_at if current else timezone.now())
    text = _long_text(given("text"))
    if len(text) > MAX_TEXT:
        errors.add("text", _("The text is too long: at most 20,000 characters."))
    values["text"] = text[:MAX_TEXT]
    if kind == ActivityKind.CALL:
        values["direction"] = _choice(
            given("direction"), Direction, errors, "direction", required=True
        )
        duration = _duration(given("duration_seconds"), errors)
        if values["direction"] == Direction.MISSED and duration:
            errors.add("duration_seconds", _("A missed call has no duration."))
        values["duration_seconds"] = duration
        outcome = _choice(given("outcome"), CallOutcome, errors, "outcome", required=False)
        # A missed call has no outcome (the quick form's default one is dropped).
        if outcome and values["direction"] != Direction.MISSED:
            values["details"]["outcome"] = outcome
        values["number"] = _text(given("number"), 64)
        if values["number"] and len(normalize.digits_of(values["number"])) < 3:
            errors.add("number", _("Enter the phone number with its digits."))
    elif kind == ActivityKind.MEETING:
        ends_at = _moment(given("ends_at"), errors, "ends_at")
        if ends_at is not None and ends_at <= values["occurred_at"]:
            errors.add("ends_at", _("A meeting ends after it starts."))
        elif ends_at is not None:
            values["details"]["ends_at"] = ends_at.isoformat()
        place = _text(given("place"), 255)
        if place:
            values["details"]["place"] = place
        participants = _participants(given("participants"), errors)
        if participants:
            values["details"]["participants"] = participants
        values["subject"] = _text(given("subject"))
    elif kind in {ActivityKind.EMAIL, ActivityKind.MESSAGE}:
        direction = _choice(given("direction"), Direction, errors, "direction", required=True)
        if direction == Direction.MISSED:
            errors.add("direction", _("Choose incoming or outgoing."))
        values["direction"] = direction
        if kind == ActivityKind.MESSAGE:
            values["details"]["channel"] = _choice(
                given("channel"), MessageChannel, errors, "channel", required=True
            )
        else:
            values["details"]["channel"] = "email"
        values["subject"] = _text(given("subject"))
        if not text and not values["subject"]:
            errors.add("text", _("Enter the text of the message."))
    elif kind in {ActivityKind.PROPOSAL, ActivityKind.INVOICE}:
        values["number"] = _text(given("number"), 64)
        if not values["number"]:
            errors.add("number", _("Enter the number."))
        values["amount"] = _amount(given("amount"), errors, required=True)
        values["currency"] = _currency(given("currency"), errors, needed=True)
        statuses = ProposalStatus if kind == ActivityKind.PROPOSAL else InvoiceStatus
        values["status"] = _choice(given("status"), statuses, errors, "status", required=True)
        values["subject"] = _text(given("subject"))
    elif kind == ActivityKind.PAYMENT:
        values["amount"] = _amount(given("amount"), errors, required=True)
        if values["amount"] == 0:
            errors.add("amount", _("A payment is more than zero."))
        values["currency"] = _currency(given("currency"), errors, needed=True)
        values["number"] = _text(given("number"), 64)
    elif kind == ActivityKind.NOTE:
        if not text:
            errors.add("text", _("Write the note."))
    elif kind == ActivityKind.DOCUMENT:
        values["subject"] = _text(given("subject"))
    return values


def _search_text(values: Mapping[str, Any], file_name: str) -> str:
    details = values.get("details") or {}
    return normalize.search_text(
        values.get("subject"),
        values.get("text"),
        values.get("number"),
        details.get("place"),
        " ".join(details.get("participants") or []),
        file_name,
    )


# ---------------------------------------------------------------- access


def _ensure_active(acting_user: Any) -> None:
    if acting_user is None or not getattr(acting_user, "is_active", False):
        raise PermissionDenied(_("Only active members can do this."))


def _resolve(model: type[Any], value: Any, name: str) -> Any:
    if value in (None, ""):
        return None
    if isinstance(value, model):
        return value
    try:
        pk = int(value)
    except (TypeError, ValueError) as error:
        raise CrmValidationError({name: [_("Enter a valid id.")]}) from error
    query = model.objects.filter(pk=pk)
    if model is Deal:
        query = query.select_related("contact", "company")
    found = query.first()
    if found is None:
        raise CrmNotFoundError()
    return found


def ensure_can_see_activity(user: Any, activity: Activity) -> None:
    """CrmNotFoundError unless `user` sees a client (or the deal) the entry is on."""
    sees_all = sees_all_clients(user)
    if sees_all and getattr(user, "is_active", False):
        return
    owners = [record for record in (activity.contact, activity.company) if record is not None]
    if any(can_see(user, record, sees_all=sees_all) for record in owners):
        return
    if activity.deal is not None and can_see_deal(user, activity.deal, sees_all=sees_all):
        return
    raise CrmNotFoundError()


def get_activity(user: Any, activity_id: Any) -> Activity:
    """The entry `activity_id` if `user` may see it (CrmNotFoundError otherwise)."""
    try:
        pk = int(activity_id)
    except (TypeError, ValueError) as error:
        raise CrmNotFoundError() from error
    found = (
        Activity.objects.select_related(
            "contact", "company", "deal", "deal__contact", "deal__company", "author"
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise CrmNotFoundError()
    ensure_can_see_activity(user, found)
    return found


# ---------------------------------------------------------------- last contact


def refresh_last_contact(
    *, contact_ids: Iterable[int] = (), company_ids: Iterable[int] = ()
) -> None:
    """Recompute last_contact_at of these contacts and companies (and the contacts'
    companies) from their entries, set-based in two UPDATEs."""
    contacts = {pk for pk in contact_ids if pk}
    companies = {pk for pk in company_ids if pk}
    if contacts:
        companies |= set(
            ContactCompany.objects.filter(contact_id__in=contacts).values_list(
                "company_id", flat=True
            )
        )
    now = timezone.now()
    counted = Activity.objects.filter(counts_as_contact(), occurred_at__lte=now)
    if contacts:
        latest = (
            counted.filter(contact_id=OuterRef("pk"))
            .order_by("-occurred_at")
            .values("occurred_at")[:1]
        )
        Contact.objects.filter(pk__in=contacts).update(last_contact_at=Subquery(latest))
    if companies:
        own = (
            counted.filter(company_id=OuterRef("pk"))
            .order_by("-occurred_at")
            .values("occurred_at")[:1]
        )
        people = (
            counted.filter(
                contact_id__in=ContactCompany.objects.filter(
                    company_id=OuterRef(OuterRef("pk"))
                ).values("contact_id")
            )
            .order_by("-occurred_at")
            .values("occurred_at")[:1]
        )
        # PostgreSQL's GREATEST skips NULLs: the later of the company's own and its people's.
        Company.objects.filter(pk__in=companies).update(
            last_contact_at=Greatest(Subquery(own), Subquery(people))
        )


def _refresh_for(activity: Activity, *extra: Activity | None) -> None:
    entries = [activity, *(entry for entry in extra if entry is not None)]
    refresh_last_contact(
        contact_ids=[entry.contact_id for entry in entries if entry.contact_id],
        company_ids=[entry.company_id for entry in entries if entry.company_id],
    )


# ---------------------------------------------------------------- actions


def _attach(activity: Activity, upload: Any, errors: _Errors) -> None:
    if not isinstance(upload, UploadedFile):
        errors.add("file", _("Choose a file to attach."))
        return
    try:
        checked = check_upload(upload)
    except FileRefused as refusal:
        errors.add("file", str(refusal))
        return
    activity.file_name = checked.name
    activity.file_size = checked.size
    activity.file_type = checked.content_type
    activity.file.save(checked.name, upload, save=False)


def _delete_stored(activity: Activity, stored_name: str) -> None:
    if stored_name and activity.file.name != stored_name:
        activity.file.storage.delete(stored_name)


def _known_by_uuid(acting_user: Any, value: Any) -> Activity | None:
    """The entry already logged under this uuid (telephony or an API client repeating
    one event): logging it again changes nothing and makes no second call-back task."""
    if value in (None, ""):
        return None
    try:
        key = uuid.UUID(str(value))
    except ValueError as error:
        raise CrmValidationError({"uuid": [_("Enter a valid UUID.")]}) from error
    found = Activity.objects.filter(uuid=key).values_list("pk", flat=True).first()
    if found is None:
        return None
    if acting_user is None:
        return Activity.objects.get(pk=found)
    return get_activity(acting_user, found)


def log_activity(
    *,
    acting_user: User | None,
    data: Mapping[str, Any],
    author_label: str = "",
) -> Activity:
    """Log one entry on a contact's, a company's and/or a deal's timeline.

    `acting_user` None is the system (telephony, an import) and then `author_label` says
    who. A missed call makes the call-back task in the same transaction. A document's
    file is stored first and removed again if the entry cannot be written.
    """
    ensure_workspace_writable()
    if acting_user is not None:
        _ensure_active(acting_user)
    errors = _Errors()
    kind = str(data.get("kind") or "")
    if kind not in ActivityKind.values:
        raise CrmValidationError(
            {
                "kind": [
                    _("Choose one of: %(choices)s.")
                    % {"choices": ", ".join(str(label) for label in ActivityKind.labels)}
                ]
            }
        )
    known = _known_by_uuid(acting_user, data.get("uuid"))
    if known is not None:
        return known
    contact = _resolve(Contact, data.get("contact"), "contact")
    company = _resolve(Company, data.get("company"), "company")
    deal = _resolve(Deal, data.get("deal"), "deal")
    if contact is None and company is None and deal is None:
        raise CrmValidationError({"__all__": [_("Choose the contact, company or deal.")]})
    if acting_user is not None:
        sees_all = sees_all_clients(acting_user)
        for record in (contact, company):
            if record is not None and not can_see(acting_user, record, sees_all=sees_all):
                raise CrmNotFoundError()
        if deal is not None and not can_see_deal(acting_user, deal, sees_all=sees_all):
            raise CrmNotFoundError()
    values = _clean(kind, data, errors, current=None)
    activity = Activity(
        **({"uuid": uuid.UUID(str(data["uuid"]))} if data.get("uuid") else {}),
        kind=kind,
        contact=contact,
        company=company,
        deal=deal,
        author=acting_user,
        author_label=_text(author_label, 200),
        **values,
    )
    if kind == ActivityKind.DOCUMENT:
        errors.raise_if_any()
        _attach(activity, data.get("file"), errors)
    errors.raise_if_any()
    activity.search_text = _search_text(values, activity.file_name)
    try:
        with transaction.atomic():
            activity.save()
            _refresh_for(activity)
            if kind == ActivityKind.CALL and activity.direction == Direction.MISSED:
                from crm.actions.tasks import create_callback_for_missed_call

                create_callback_for_missed_call(activity)
    except Exception:
        if activity.file:
            activity.file.storage.delete(activity.file.name or "")
        raise
    return activity


def _snapshot(activity: Activity) -> dict[str, Any]:
    snap: dict[str, Any] = {}
    for name in VERSIONED:
        value = getattr(activity, name)
        if isinstance(value, dt.datetime):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        snap[name] = value
    snap["file"] = activity.file.name if activity.file else ""
    return snap


def _ensure_may_edit(acting_user: Any, activity: Activity) -> None:
    _ensure_active(acting_user)
    if activity.author_id != acting_user.pk and not acting_user.is_workspace_admin:
        raise PermissionDenied(_("Only the author or an admin can edit this entry."))


def edit_activity(
    *, acting_user: User, activity: Activity | int, changes: Mapping[str, Any]
) -> Activity:
    """Change an entry (only the fields in `changes`); the previous values become a version.

    The kind and the clients stay (log a new entry instead). A document may get a new
    file; the previous file stays in storage, reachable from its version.
    """
    ensure_workspace_writable()
    _ensure_active(acting_user)
    found = get_activity(acting_user, activity if isinstance(activity, int) else activity.pk)
    _ensure_may_edit(acting_user, found)
    if found.archived_at is not None:
        raise CrmValidationError({"__all__": [_("Restore the entry before editing it.")]})
    unknown = set(changes) - {
        *VERSIONED,
        "outcome",
        "place",
        "participants",
        "channel",
        "ends_at",
        "file",
        "kind",
    }
    if unknown or changes.get("kind", found.kind) != found.kind:
        raise CrmValidationError(
            {name: [_("This cannot be changed.")] for name in sorted(unknown) or ["kind"]}
        )
    errors = _Errors()
    before = _snapshot(found)
    values = _clean(found.kind, changes, errors, current=found)
    previous_name = (found.file.name or "") if found.file else ""
    for name, value in values.items():
        setattr(found, name, value)
    if found.kind == ActivityKind.DOCUMENT and changes.get("file") is not None:
        errors.raise_if_any()
        _attach(found, changes["file"], errors)
    errors.raise_if_any()
    after = _snapshot(found)
    if after == before:
        return found
    found.search_text = _search_text(values, found.file_name)
    found.edited_at = timezone.now()
    try:
        with transaction.atomic():
            ActivityVersion.objects.create(
                activity=found, snapshot=before, edited_by=acting_user, edited_at=found.edited_at
            )
            found.save()
            if any(before[name] != after[name] for name in ("occurred_at", "direction")):
                _refresh_for(found)
            if (
                found.kind == ActivityKind.CALL
                and found.direction == Direction.MISSED
                and before["direction"] != Direction.MISSED
            ):
                # A call corrected to "missed" needs its call-back like one logged so.
                from crm.actions.tasks import create_callback_for_missed_call

                create_callback_for_missed_call(found)
    except Exception:
        _delete_stored(found, previous_name)
        raise
    return found


def _set_archived(acting_user: User, activity: Activity | int, *, archived: bool) -> Activity:
    ensure_workspace_writable()
    _ensure_active(acting_user)
    found = get_activity(acting_user, activity if isinstance(activity, int) else activity.pk)
    if not acting_user.is_workspace_admin:
        raise PermissionDenied(_("Only owners and admins can archive timeline entries."))
    if (found.archived_at is not None) == archived:
        return found
    with transaction.atomic():
        Activity.objects.filter(pk=found.pk).update(
            archived_at=timezone.now() if archived else None,
            archived_by=acting_user if archived else None,
            updated_at=timezone.now(),
        )
        found.refresh_from_db(fields=["archived_at", "archived_by", "updated_at"])
        _refresh_for(found)
    return found


@transaction.atomic
def archive_activity(*, acting_user: User, activity: Activity | int) -> Activity:
    """Hide an entry from the timeline (owners and admins only; restorable)."""
    return _set_archived(acting_user, activity, archived=True)


@transaction.atomic
def restore_activity(*, acting_user: User, activity: Activity | int) -> Activity:
    """Bring an archived entry back (owners and admins only)."""
    return _set_archived(acting_user, activity, archived=False)


__all__ = [
    "CONTACT_KINDS",
    "CURRENCIES",
    "CallOutcome",
    "InvoiceStatus",
    "MessageChannel",
    "ProposalStatus",
    "archive_activity",
    "can_see_deal",
    "counts_as_contact",
    "edit_activity",
    "ensure_can_see_activity",
    "get_activity",
    "log_activity",
    "refresh_last_contact",
    "restore_activity",
]
