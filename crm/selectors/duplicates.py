"""Duplicates: records sharing a phone (E.164), an e-mail (case-folded) or a tax number.

The create and update actions raise crm.errors.DuplicateFound from these matches; the
card and the merge page list them. A member who may not see the other record (members
see only their own clients) learns who is responsible for it, never what it is.
"""

from collections.abc import Sequence
from typing import Any

from crm import normalize
from crm.errors import DuplicateMatch
from crm.models import Company, Contact, Email, Phone, RecordType
from crm.selectors.access import can_see, sees_all_clients


def find_duplicate_matches(
    *,
    acting_user: Any,
    record_type: str,
    phones: Sequence[str] = (),
    emails: Sequence[str] = (),
    tax_number: str = "",
    exclude_id: int | None = None,
) -> list[DuplicateMatch]:
    """Other non-archived records of the type sharing a phone (E.164), e-mail or tax number.

    Searches every record, visible or not: a member who may not see the other record
    learns who is responsible for it, not what it is.
    """
    model: type[Contact] | type[Company] = Contact if record_type == RecordType.CONTACT else Company
    owner_field = "contact" if record_type == RecordType.CONTACT else "company"
    hits: list[tuple[int, str, str]] = []
    if phones:
        for record_id, value in Phone.objects.filter(
            **{f"{owner_field}__isnull": False, "e164__in": list(phones)}
        ).values_list(f"{owner_field}_id", "e164"):
            hits.append((record_id, "phone", value))
    if emails:
        folded = [normalize.casefold_email(a) for a in emails]
        for record_id, value in Email.objects.filter(
            **{f"{owner_field}__isnull": False, "address_casefold__in": folded}
        ).values_list(f"{owner_field}_id", "address"):
            hits.append((record_id, "email", value))
    if tax_number and record_type == RecordType.COMPANY:
        for record_id in Company.objects.filter(tax_number=tax_number).values_list("id", flat=True):
            hits.append((record_id, "tax_number", tax_number))
    hits = [hit for hit in hits if hit[0] != exclude_id]
    if not hits:
        return []
    records = {
        record.pk: record
        for record in model.objects.filter(
            pk__in={hit[0] for hit in hits}, archived_at__isnull=True
        ).select_related("responsible")
    }
    sees_all = sees_all_clients(acting_user)
    matches = []
    seen: set[tuple[int, str]] = set()
    for record_id, matched_on, value in hits:
        record = records.get(record_id)
        if record is None or (record_id, matched_on) in seen:
            continue
        seen.add((record_id, matched_on))
        visible = can_see(acting_user, record, sees_all=sees_all)
        responsible = record.responsible
        matches.append(
            DuplicateMatch(
                record_type=record_type,
                record_id=record.pk if visible else None,
                record_name=record.display_name if visible else None,
                matched_on=matched_on,
                matched_value=value if visible else "",
                responsible_id=responsible.pk if responsible else None,
                responsible_name=responsible.display_name if responsible else "",
                visible=visible,
            )
        )
    return matches


def duplicates_of(user: Any, record: Contact | Company) -> list[DuplicateMatch]:
    """Other active records sharing a phone, e-mail or tax number with `record`."""
    record_type = RecordType.CONTACT if isinstance(record, Contact) else RecordType.COMPANY
    return find_duplicate_matches(
        acting_user=user,
        record_type=record_type,
        phones=[phone.e164 for phone in record.phones.all()],
        emails=[email.address for email in record.emails.all()],
        tax_number=record.tax_number if isinstance(record, Company) else "",
        exclude_id=record.pk,
    )


def duplicates_for_input(
    user: Any,
    record_type: str,
    *,
    phones: Sequence[str] = (),
    emails: Sequence[str] = (),
    tax_number: str = "",
    exclude_id: int | None = None,
    default_country: str = "RU",
) -> list[DuplicateMatch]:
    """Matches for values as typed (a form checking as the person types); unreadable
    phones are skipped here (the action reports them)."""
    parsed = []
    for raw in phones:
        try:
            parsed.append(normalize.parse_phone(raw, default_country=default_country))
        except normalize.PhoneNotValidError:
            continue
    return find_duplicate_matches(
        acting_user=user,
        record_type=record_type,
        phones=parsed,
        emails=[address.strip() for address in emails if address.strip()],
        tax_number=normalize.digits_of(tax_number),
        exclude_id=exclude_id,
    )
