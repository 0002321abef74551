"""Every write to the client base: contacts, companies, their links, consents, tags, sources,
bulk changes, hand-over, merge and undo, segments and the CRM settings.

Each action: keyword-only arguments, an explicit `acting_user`, a `source`
(crm.history.ChangeSource: form, api, import, merge, system, with an API key's name or an
import id as its label), one transaction, `ensure_workspace_writable()` first, the
access rule (crm.selectors.access), and history written in the same transaction.

Input records are plain mappings, the same from a form, the API and an import:

contact: surname, first_name, patronymic, form_of_address, birthday (date or ISO text),
    position, address, source (SourceChannel id or None), responsible (member id or None;
    the acting member on create when absent), pinned_note, tags (list of names), phones
    (list of text or {"number", "label"}), emails (list of text), messengers (list of
    {"kind", "handle"}), custom ({key: value}), companies (list of company ids or
    {"company", "position"}; create only — afterwards link/unlink).
company: name, legal_name, tax_number, industry, headcount, website, addresses (list of
    text or {"label", "text"}), source, responsible, pinned_note, tags, phones, emails,
    custom.

Refusals: CrmValidationError (per-field translated messages; code "required" when only
required fields are missing), DuplicateFound (unless allow_duplicate=True),
CrmNotFoundError (a record the member may not see), PermissionDenied (a role refusal),
tenants.guards.WorkspaceReadOnlyError.
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from crm import normalize, rules
from crm.custom_values import clean_custom_values, missing_required_fields
from crm.errors import (
    CrmNotFoundError,
    CrmValidationError,
    DuplicateFound,
    ErrorCode,
)
from crm.history import (
    COMPANY_FIELDS,
    CONTACT_FIELDS,
    FORM,
    Changeset,
    ChangeSource,
    json_value,
    record_type_of,
    snapshot,
)
from crm.models import (
    ChangeVia,
    Company,
    ConsentKind,
    ConsentRecord,
    ConsentSource,
    ConsentStatus,
    Contact,
    ContactCompany,
    CrmSettings,
    Email,
    Merge,
    Messenger,
    Phone,
    RecordType,
    Segment,
    SourceChannel,
    Tag,
)
from crm.selectors.access import (
    can_see,
    crm_settings,
    ensure_can_see,
    sees_all_clients,
    visible_records,
)
from crm.selectors.duplicates import find_duplicate_matches
from tenants.guards import ensure_workspace_writable
from tenants.members.models import AuditEntry, User

CONTACT_TEXT_FIELDS = (
    "surname",
    "first_name",
    "patronymic",
    "form_of_address",
    "position",
    "address",
    "pinned_note",
)
COMPANY_TEXT_FIELDS = ("name", "legal_name", "industry", "pinned_note")
MAX_TEXT = {
    "surname": 100,
    "first_name": 100,
    "patronymic": 100,
    "form_of_address": 150,
    "position": 150,
    "name": 255,
    "legal_name": 255,
    "industry": 120,
}


# ---------------------------------------------------------------- custom-field engine bridge


def _clean_custom(
    *, entity: str, values: Mapping[str, Any], current: Mapping[str, Any] | None, partial: bool
) -> dict[str, Any]:
    return dict(
        clean_custom_values(
            entity=entity,
            values=dict(values),
            current=dict(current) if current is not None else None,
            partial=partial,
        )
    )


def _missing_required(
    *, entity: str, standard: Mapping[str, Any], custom: Mapping[str, Any]
) -> list[str]:
    return list(
        missing_required_fields(entity=entity, standard=dict(standard), custom=dict(custom))
    )


# ---------------------------------------------------------------- helpers


def _ensure_active(acting_user: Any) -> None:
    if acting_user is None or not getattr(acting_user, "is_active", False):
        raise PermissionDenied(_("Only active members can do this."))


def _require_admin(acting_user: Any) -> None:
    _ensure_active(acting_user)
    if not acting_user.is_workspace_admin:
        raise PermissionDenied(_("Only owners and admins can do this."))


def _resolve_source(value: Any, errors: rules.FieldErrors) -> SourceChannel | None:
    if value in (None, ""):
        return None
    if isinstance(value, SourceChannel):
        return value
    found = SourceChannel.objects.filter(
        pk=_int_or_none(value) or 0, archived_at__isnull=True
    ).first()
    if found is None:
        errors.add("source", _("Choose a source from the list."))
    return found


def _resolve_responsible(value: Any, errors: rules.FieldErrors) -> User | None:
    if value in (None, ""):
        return None
    if isinstance(value, User):
        return value
    found = User.objects.filter(pk=_int_or_none(value) or 0, is_active=True).first()
    if found is None:
        errors.add("responsible", _("Choose an active member of the workspace."))
    return found


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _resolve_tags(names: Iterable[Any]) -> list[Tag]:
    """Tags by name (case-insensitive), creating the missing ones."""
    wanted: dict[str, str] = {}
    for name in names or []:
        text = rules.text(name.name if isinstance(name, Tag) else name)[:60]
        if text:
            wanted.setdefault(text.casefold(), text)
    if not wanted:
        return []
    query = Q()
    for text in wanted.values():
        query |= Q(name__iexact=text)
    existing = {tag.name.casefold(): tag for tag in Tag.objects.filter(query)}
    tags = []
    for folded, text in wanted.items():
        tag = existing.get(folded)
        if tag is None:
            tag = Tag.objects.create(name=text)
        tags.append(tag)
    return tags


def _standard_for_required(
    record: Contact | Company, collections: Mapping[str, list[Any]]
) -> dict[str, Any]:
    """The record's standard values under crm.entities.STANDARD_FIELDS' names."""
    names = CONTACT_FIELDS if isinstance(record, Contact) else COMPANY_FIELDS
    standard: dict[str, Any] = {}
    for name in names:
        if name == "archived_at":
            continue
        standard[name] = (
            getattr(record, f"{name}_id")
            if name in ("source", "responsible")
            else getattr(record, name)
        )
    if isinstance(record, Contact):
        standard["address_form"] = record.form_of_address
    standard.update(collections)
    return standard


def _check_required(
    *,
    record: Contact | Company,
    collections: Mapping[str, list[Any]],
    already_missing: set[str] | None,
    errors: rules.FieldErrors,
) -> None:
    """Report each required field the save would leave empty.

    On an edit (`already_missing` given), fields that were already empty before the
    field became required do not block it: the record stays editable and is listed as
    "to complete" until someone fills them.
    """
    missing = set(
        _missing_required(
            entity=record_type_of(record),
            standard=_standard_for_required(record, collections),
            custom=record.custom or {},
        )
    )
    if already_missing is not None:
        missing -= already_missing
    for name in sorted(missing - set(errors.fields)):
        errors.add(name, _("This field is required."), required=True)


def _collections_of(record: Contact | Company) -> dict[str, list[Any]]:
    collections: dict[str, list[Any]] = {
        "phones": [p.e164 for p in record.phones.all()],
        "emails": [e.address for e in record.emails.all()],
        "tags": [t.name for t in record.tags.all()],
    }
    if isinstance(record, Contact):
        collections["messengers"] = [m.handle for m in record.messengers.all()]
        collections["companies"] = [link.company_id for link in record.company_links.all()]
    else:
        collections["addresses"] = list(record.addresses or [])
    return collections


def _current_missing(record: Contact | Company) -> set[str]:
    return set(
        _missing_required(
            entity=record_type_of(record),
            standard=_standard_for_required(record, _collections_of(record)),
            custom=record.custom or {},
        )
    )


# ---------------------------------------------------------------- duplicates


def _check_duplicates(
    *,
    acting_user: Any,
    record_type: str,
    phones: Sequence[str],
    emails: Sequence[str],
    tax_number: str,
    exclude_id: int | None,
) -> None:
    matches = find_duplicate_matches(
        acting_user=acting_user,
        record_type=record_type,
        phones=phones,
        emails=emails,
        tax_number=tax_number,
        exclude_id=exclude_id,
    )
    if matches:
        raise DuplicateFound(matches)


# ---------------------------------------------------------------- collections


def _set_phones(record: Contact | Company, phones: list[tuple[str, str, str]]) -> None:
    owner = {"contact": record} if isinstance(record, Contact) else {"company": record}
    Phone.objects.filter(**owner).delete()
    Phone.objects.bulk_create(
        [
            Phone(
                **owner,
                e164=e164,
                raw=raw,
                label=label,
                digits_reversed=normalize.digits_of(e164)[::-1],
                position=index,
            )
            for index, (e164, raw, label) in enumerate(phones)
        ]
    )


def _set_emails(record: Contact | Company, emails: list[str]) -> None:
    owner = {"contact": record} if isinstance(record, Contact) else {"company": record}
    Email.objects.filter(**owner).delete()
    Email.objects.bulk_create(
        [
            Email(
                **owner,
                address=address,
                address_casefold=normalize.casefold_email(address),
                position=index,
            )
            for index, address in enumerate(emails)
        ]
    )


def _set_messengers(contact: Contact, messengers: list[tuple[str, str]]) -> None:
    Messenger.objects.filter(contact=contact).delete()
    Messenger.objects.bulk_create(
        [
            Messenger(contact=contact, kind=kind, handle=handle, position=index)
            for index, (kind, handle) in enumerate(messengers)
        ]
    )


def refresh_search_columns(record: Contact | Company) -> None:
    """Recompute the derived search column from the record's name fields (not saved)."""
    if isinstance(record, Contact):
        record.name_search = normalize.search_text(
            record.surname, record.first_name, record.patronymic, record.form_of_address
        )
    else:
        record.name_search = normalize.search_text(record.name, record.legal_name)


# ---------------------------------------------------------------- contacts


def _apply_contact_fields(
    contact: Contact, data: Mapping[str, Any], errors: rules.FieldErrors
) -> None:
    for name in CONTACT_TEXT_FIELDS:
        if name in data:
            value = (
                rules.long_text(data[name])
                if name in ("address", "pinned_note")
                else rules.text(data[name])
            )
            limit = MAX_TEXT.get(name)
            if limit and len(value) > limit:
                errors.add(name, _("At most %(count)d characters.") % {"count": limit})
            setattr(contact, name, value)
    if "birthday" in data:
        contact.birthday = rules.parse_birthday(data["birthday"], errors)
    if "source" in data:
        contact.source = _resolve_source(data["source"], errors)
    if "responsible" in data:
        contact.responsible = _resolve_responsible(data["responsible"], errors)


def _contact_has_name(contact: Contact, errors: rules.FieldErrors) -> None:
    if not (contact.surname or contact.first_name or contact.patronymic):
        errors.add("first_name", _("Give the contact at least a first name or a surname."))


@transaction.atomic
def create_contact(
    *,
    acting_user: User,
    data: Mapping[str, Any],
    source: ChangeSource = FORM,
    allow_duplicate: bool = False,
) -> Contact:
    """Create a contact after the workspace's validation, required-field and duplicate rules."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    errors = rules.FieldErrors()
    contact = Contact(created_by=acting_user if acting_user.pk else None)
    _apply_contact_fields(contact, data, errors)
    if "responsible" not in data:
        contact.responsible = acting_user
    _contact_has_name(contact, errors)
    phones = rules.parse_phones(data.get("phones"), errors)
    emails = rules.parse_emails(data.get("emails"), errors)
    messengers = rules.parse_messengers(data.get("messengers"), errors)
    company_links = _parse_company_links(acting_user, data.get("companies"), errors)
    try:
        contact.custom = _clean_custom(
            entity=RecordType.CONTACT, values=data.get("custom") or {}, current=None, partial=False
        )
    except CrmValidationError as error:
        errors.absorb(error)
    tag_names = [rules.text(t) for t in data.get("tags") or [] if rules.text(t)]
    _check_required(
        record=contact,
        collections={
            "phones": [p[0] for p in phones],
            "emails": emails,
            "tags": tag_names,
            "messengers": [handle for _kind, handle in messengers],
            "companies": [company.pk for company, _position in company_links],
        },
        already_missing=None,
        errors=errors,
    )
    errors.raise_if_any()
    if not allow_duplicate:
        _check_duplicates(
            acting_user=acting_user,
            record_type=RecordType.CONTACT,
            phones=[p[0] for p in phones],
            emails=emails,
            tax_number="",
            exclude_id=None,
        )
    refresh_search_columns(contact)
    contact.save()
    _set_phones(contact, phones)
    _set_emails(contact, emails)
    _set_messengers(contact, messengers)
    contact.tags.set(_resolve_tags(tag_names))
    for company, position in company_links:
        ContactCompany.objects.create(contact=contact, company=company, position=position)
    changes = Changeset(acting_user, source)
    changes.add(RecordType.CONTACT, contact.pk, "record", None, contact.display_name)
    changes.diff(RecordType.CONTACT, contact.pk, {}, _non_empty(snapshot(contact)))
    changes.save()
    return contact


def _non_empty(state: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in state.items() if value not in (None, "", [], {})}


def _parse_company_links(
    acting_user: Any, items: Any, errors: rules.FieldErrors
) -> list[tuple[Company, str]]:
    links: list[tuple[Company, str]] = []
    wanted: list[tuple[int | None, str]] = []
    for item in items or []:
        if isinstance(item, Mapping):
            wanted.append(
                (_int_or_none(item.get("company")), rules.text(item.get("position"))[:150])
            )
        elif isinstance(item, Company):
            wanted.append((item.pk, ""))
        else:
            wanted.append((_int_or_none(item), ""))
    if not wanted:
        return links
    companies = visible_records(acting_user, RecordType.COMPANY).in_bulk(
        [pk for pk, _position in wanted if pk is not None]
    )
    for pk, position in wanted:
        company = companies.get(pk) if pk is not None else None
        if company is None:
            errors.add("companies", _("Choose a company from the list."))
            continue
        if all(existing.pk != company.pk for existing, _p in links):
            links.append((company, position))
    return links


def _locked_contact(acting_user: Any, contact: Contact | int) -> Contact:
    contact_id = contact.pk if isinstance(contact, Contact) else contact
    found = Contact.objects.select_for_update().filter(pk=contact_id).first()
    if found is None:
        raise CrmNotFoundError()
    ensure_can_see(acting_user, found)
    return found


def _locked_company(acting_user: Any, company: Company | int) -> Company:
    company_id = company.pk if isinstance(company, Company) else company
    found = Company.objects.select_for_update().filter(pk=company_id).first()
    if found is None:
        raise CrmNotFoundError()
    ensure_can_see(acting_user, found)
    return found


def _updated_collections(
    record: Any,
    *,
    entity: str,
    changes: Mapping[str, Any],
    errors: rules.FieldErrors,
    phones: list[Any] | None,
    emails: list[str] | None,
    messengers: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Clean the custom values a partial update brings (onto `record`) and return the
    record's collections as they will be after it, for the required-field check.

    Shared by contact and company updates; absent keys keep what the record has.
    """
    if "custom" in changes:
        try:
            record.custom = _clean_custom(
                entity=entity,
                values=changes.get("custom") or {},
                current=record.custom,
                partial=True,
            )
        except CrmValidationError as error:
            errors.absorb(error)
    collections = _collections_of(record)
    collections["tags"] = (
        [rules.text(t) for t in changes.get("tags") or [] if rules.text(t)]
        if "tags" in changes
        else [t.name for t in record.tags.all()]
    )
    if phones is not None:
        collections["phones"] = [p[0] for p in phones]
    if emails is not None:
        collections["emails"] = emails
    if messengers is not None:
        collections["messengers"] = [handle for _kind, handle in messengers]
    return collections


@transaction.atomic
def update_contact(
    *,
    acting_user: User,
    contact: Contact | int,
    changes: Mapping[str, Any],
    source: ChangeSource = FORM,
    allow_duplicate: bool = False,
) -> Contact:
    """Change the fields given in `changes` (a partial update); others stay as they are.

    Collections given (phones, emails, messengers, tags) replace the record's; custom
    values given are merged into the record's (a None value clears that field).
    """
    ensure_workspace_writable()
    _ensure_active(acting_user)
    record = _locked_contact(acting_user, contact)
    before = snapshot(record)
    already_missing = _current_missing(record)
    errors = rules.FieldErrors()
    _apply_contact_fields(record, changes, errors)
    _contact_has_name(record, errors)
    phones = rules.parse_phones(changes["phones"], errors) if "phones" in changes else None
    emails = rules.parse_emails(changes["emails"], errors) if "emails" in changes else None
    messengers = (
        rules.parse_messengers(changes["messengers"], errors) if "messengers" in changes else None
    )
    collections = _updated_collections(
        record,
        entity=RecordType.CONTACT,
        changes=changes,
        errors=errors,
        phones=phones,
        emails=emails,
        messengers=messengers,
    )
    _check_required(
        record=record, collections=collections, already_missing=already_missing, errors=errors
    )
    errors.raise_if_any()
    if not allow_duplicate and (phones is not None or emails is not None):
        _check_duplicates(
            acting_user=acting_user,
            record_type=RecordType.CONTACT,
            phones=[p[0] for p in phones or []],
            emails=emails or [],
            tax_number="",
            exclude_id=record.pk,
        )
    refresh_search_columns(record)
    record.save()
    if phones is not None:
        _set_phones(record, phones)
    if emails is not None:
        _set_emails(record, emails)
    if messengers is not None:
        _set_messengers(record, messengers)
    if "tags" in changes:
        record.tags.set(_resolve_tags(collections["tags"]))
    _write_diff(acting_user, source, record, before)
    return record


def _write_diff(
    acting_user: Any, source: ChangeSource, record: Contact | Company, before: dict[str, Any]
) -> int:
    fresh = type(record).objects.get(pk=record.pk)
    changes = Changeset(acting_user, source)
    count = changes.diff(record_type_of(record), record.pk, before, snapshot(fresh))
    changes.save()
    return count


def _set_archived(
    acting_user: Any, record: Contact | Company, archived: bool, source: ChangeSource
) -> Contact | Company:
    before = json_value(record.archived_at)
    if archived == record.is_archived:
        return record
    record.archived_at = timezone.now() if archived else None
    if not archived:
        record.merged_into = None
    record.save(update_fields=["archived_at", "merged_into", "updated_at"])
    changes = Changeset(acting_user, source)
    changes.add(
        record_type_of(record), record.pk, "archived_at", before, json_value(record.archived_at)
    )
    changes.save()
    return record


@transaction.atomic
def archive_contact(
    *, acting_user: User, contact: Contact | int, source: ChangeSource = FORM
) -> Contact:
    """Archive a contact: hidden from lists and duplicate checks, kept whole, restorable."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    record = _locked_contact(acting_user, contact)
    _set_archived(acting_user, record, True, source)
    return record


@transaction.atomic
def restore_contact(
    *, acting_user: User, contact: Contact | int, source: ChangeSource = FORM
) -> Contact:
    """Bring an archived contact back."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    record = _locked_contact(acting_user, contact)
    _set_archived(acting_user, record, False, source)
    return record


# ---------------------------------------------------------------- companies


def _apply_company_fields(
    company: Company, data: Mapping[str, Any], errors: rules.FieldErrors
) -> None:
    for name in COMPANY_TEXT_FIELDS:
        if name in data:
            value = rules.long_text(data[name]) if name == "pinned_note" else rules.text(data[name])
            limit = MAX_TEXT.get(name)
            if limit and len(value) > limit:
                errors.add(name, _("At most %(count)d characters.") % {"count": limit})
            setattr(company, name, value)
    if "tax_number" in data:
        company.tax_number = rules.parse_tax_number(data["tax_number"], errors)
    if "website" in data:
        company.website = rules.parse_website(data["website"], errors)
    if "headcount" in data:
        company.headcount = rules.parse_headcount(data["headcount"], errors)
    if "addresses" in data:
        company.addresses = rules.parse_addresses(data["addresses"])
    if "source" in data:
        company.source = _resolve_source(data["source"], errors)
    if "responsible" in data:
        company.responsible = _resolve_responsible(data["responsible"], errors)
    if not company.name:
        errors.add("name", _("Give the company a name."))


@transaction.atomic
def create_company(
    *,
    acting_user: User,
    data: Mapping[str, Any],
    source: ChangeSource = FORM,
    allow_duplicate: bool = False,
) -> Company:
    """Create a company after the workspace's validation, required-field and duplicate rules."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    errors = rules.FieldErrors()
    company = Company(created_by=acting_user if acting_user.pk else None)
    _apply_company_fields(company, data, errors)
    if "responsible" not in data:
        company.responsible = acting_user
    phones = rules.parse_phones(data.get("phones"), errors)
    emails = rules.parse_emails(data.get("emails"), errors)
    try:
        company.custom = _clean_custom(
            entity=RecordType.COMPANY, values=data.get("custom") or {}, current=None, partial=False
        )
    except CrmValidationError as error:
        errors.absorb(error)
    tag_names = [rules.text(t) for t in data.get("tags") or [] if rules.text(t)]
    _check_required(
        record=company,
        collections={
            "phones": [p[0] for p in phones],
            "emails": emails,
            "tags": tag_names,
            "addresses": list(company.addresses or []),
        },
        already_missing=None,
        errors=errors,
    )
    errors.raise_if_any()
    if not allow_duplicate:
        _check_duplicates(
            acting_user=acting_user,
            record_type=RecordType.COMPANY,
            phones=[p[0] for p in phones],
            emails=emails,
            tax_number=company.tax_number,
            exclude_id=None,
        )
    refresh_search_columns(company)
    company.save()
    _set_phones(company, phones)
    _set_emails(company, emails)
    company.tags.set(_resolve_tags(tag_names))
    changes = Changeset(acting_user, source)
    changes.add(RecordType.COMPANY, company.pk, "record", None, company.display_name)
    changes.diff(RecordType.COMPANY, company.pk, {}, _non_empty(snapshot(company)))
    changes.save()
    return company


@transaction.atomic
def update_company(
    *,
    acting_user: User,
    company: Company | int,
    changes: Mapping[str, Any],
    source: ChangeSource = FORM,
    allow_duplicate: bool = False,
) -> Company:
    """Change the fields given in `changes` (a partial update), as update_contact does."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    record = _locked_company(acting_user, company)
    before = snapshot(record)
    already_missing = _current_missing(record)
    old_tax_number = record.tax_number
    errors = rules.FieldErrors()
    _apply_company_fields(record, changes, errors)
    phones = rules.parse_phones(changes["phones"], errors) if "phones" in changes else None
    emails = rules.parse_emails(changes["emails"], errors) if "emails" in changes else None
    collections = _updated_collections(
        record,
        entity=RecordType.COMPANY,
        changes=changes,
        errors=errors,
        phones=phones,
        emails=emails,
    )
    _check_required(
        record=record, collections=collections, already_missing=already_missing, errors=errors
    )
    errors.raise_if_any()
    tax_changed = record.tax_number != old_tax_number
    if not allow_duplicate and (phones is not None or emails is not None or tax_changed):
        _check_duplicates(
            acting_user=acting_user,
            record_type=RecordType.COMPANY,
            phones=[p[0] for p in phones or []],
            emails=emails or [],
            tax_number=record.tax_number if tax_changed else "",
            exclude_id=record.pk,
        )
    refresh_search_columns(record)
    record.save()
    if phones is not None:
        _set_phones(record, phones)
    if emails is not None:
        _set_emails(record, emails)
    if "tags" in changes:
        record.tags.set(_resolve_tags(collections["tags"]))
    _write_diff(acting_user, source, record, before)
    return record


@transaction.atomic
def archive_company(
    *, acting_user: User, company: Company | int, source: ChangeSource = FORM
) -> Company:
    """Archive a company: hidden from lists and duplicate checks, kept whole, restorable."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    record = _locked_company(acting_user, company)
    _set_archived(acting_user, record, True, source)
    return record


@transaction.atomic
def restore_company(
    *, acting_user: User, company: Company | int, source: ChangeSource = FORM
) -> Company:
    """Bring an archived company back."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    record = _locked_company(acting_user, company)
    _set_archived(acting_user, record, False, source)
    return record


# ---------------------------------------------------------------- links


@transaction.atomic
def link_contact_to_company(
    *,
    acting_user: User,
    contact: Contact | int,
    company: Company | int,
    position: str = "",
    source: ChangeSource = FORM,
) -> ContactCompany:
    """Make the contact one of the company's people (or change their position there)."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    contact_record = _locked_contact(acting_user, contact)
    company_record = _locked_company(acting_user, company)
    before_contact, before_company = snapshot(contact_record), snapshot(company_record)
    link, created = ContactCompany.objects.get_or_create(
        contact=contact_record,
        company=company_record,
        defaults={"position": rules.text(position)[:150]},
    )
    if not created and link.position != rules.text(position)[:150]:
        link.position = rules.text(position)[:150]
        link.save(update_fields=["position"])
    _write_diff(acting_user, source, contact_record, before_contact)
    _write_diff(acting_user, source, company_record, before_company)
    return link


@transaction.atomic
def unlink_contact_from_company(
    *,
    acting_user: User,
    contact: Contact | int,
    company: Company | int,
    source: ChangeSource = FORM,
) -> None:
    """Remove the contact from the company's people (both records stay)."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    contact_record = _locked_contact(acting_user, contact)
    company_record = _locked_company(acting_user, company)
    before_contact, before_company = snapshot(contact_record), snapshot(company_record)
    ContactCompany.objects.filter(contact=contact_record, company=company_record).delete()
    _write_diff(acting_user, source, contact_record, before_contact)
    _write_diff(acting_user, source, company_record, before_company)


# ---------------------------------------------------------------- consents


def _latest_consent_status(contact_id: int, kind: str) -> str:
    latest = (
        ConsentRecord.objects.filter(contact_id=contact_id, kind=kind)
        .order_by("-at", "-id")
        .values_list("status", flat=True)
        .first()
    )
    return latest or ""


def _refresh_consent_columns(contact: Contact) -> None:
    contact.consent_personal_data = _latest_consent_status(contact.pk, ConsentKind.PERSONAL_DATA)
    contact.consent_advertising = _latest_consent_status(contact.pk, ConsentKind.ADVERTISING)
    contact.save(update_fields=["consent_personal_data", "consent_advertising", "updated_at"])


def _record_consent(
    *,
    acting_user: User,
    contact: Contact | int,
    kind: str,
    status: str,
    consent_source: str,
    text_version: str,
    at: dt.datetime | None,
    source: ChangeSource,
) -> ConsentRecord:
    ensure_workspace_writable()
    _ensure_active(acting_user)
    if kind not in ConsentKind.values:
        raise CrmValidationError({"kind": [_("Unknown consent.")]})
    if consent_source not in ConsentSource.values:
        raise CrmValidationError({"source": [_("Unknown consent source.")]})
    record = _locked_contact(acting_user, contact)
    when = at or timezone.now()
    if when > timezone.now() + dt.timedelta(minutes=5):
        raise CrmValidationError({"at": [_("A consent cannot be recorded in the future.")]})
    before = (
        record.consent_personal_data
        if kind == ConsentKind.PERSONAL_DATA
        else record.consent_advertising
    )
    consent = ConsentRecord.objects.create(
        contact=record,
        kind=kind,
        status=status,
        at=when,
        source=consent_source,
        text_version=rules.long_text(text_version),
        recorded_by=acting_user if acting_user.pk else None,
        recorded_by_label=source.label[:200],
    )
    _refresh_consent_columns(record)
    after = (
        record.consent_personal_data
        if kind == ConsentKind.PERSONAL_DATA
        else record.consent_advertising
    )
    changes = Changeset(acting_user, source)
    changes.add(RecordType.CONTACT, record.pk, f"consent.{kind}", before or None, after or None)
    changes.save()
    return consent


def give_consent(
    *,
    acting_user: User,
    contact: Contact | int,
    kind: str,
    consent_source: str = ConsentSource.MANUAL,
    text_version: str = "",
    at: dt.datetime | None = None,
    source: ChangeSource = FORM,
) -> ConsentRecord:
    """Record that the contact gave consent `kind` (personal_data or advertising)."""
    with transaction.atomic():
        return _record_consent(
            acting_user=acting_user,
            contact=contact,
            kind=kind,
            status=ConsentStatus.GIVEN,
            consent_source=consent_source,
            text_version=text_version,
            at=at,
            source=source,
        )


def withdraw_consent(
    *,
    acting_user: User,
    contact: Contact | int,
    kind: str,
    consent_source: str = ConsentSource.MANUAL,
    text_version: str = "",
    at: dt.datetime | None = None,
    source: ChangeSource = FORM,
) -> ConsentRecord:
    """Record the withdrawal of consent `kind`; earlier records stay as proof."""
    with transaction.atomic():
        return _record_consent(
            acting_user=acting_user,
            contact=contact,
            kind=kind,
            status=ConsentStatus.WITHDRAWN,
            consent_source=consent_source,
            text_version=text_version,
            at=at,
            source=source,
        )


# ---------------------------------------------------------------- tags and sources


@transaction.atomic
def set_tags(
    *,
    acting_user: User,
    record: Contact | Company,
    tags: Iterable[str],
    source: ChangeSource = FORM,
) -> list[Tag]:
    """Replace the record's tags (creating tags not yet known)."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    locked = (
        _locked_contact(acting_user, record)
        if isinstance(record, Contact)
        else _locked_company(acting_user, record)
    )
    before = snapshot(locked)
    resolved = _resolve_tags(tags)
    locked.tags.set(resolved)
    _write_diff(acting_user, source, locked, before)
    return resolved


@transaction.atomic
def rename_tag(*, acting_user: User, tag: Tag | int, name: str) -> Tag:
    """Rename a tag everywhere it is used (owners and admins)."""
    ensure_workspace_writable()
    _require_admin(acting_user)
    found = Tag.objects.select_for_update().filter(pk=getattr(tag, "pk", tag)).first()
    if found is None:
        raise CrmNotFoundError()
    text = rules.text(name)[:60]
    if not text:
        raise CrmValidationError({"name": [_("Give the tag a name.")]})
    if Tag.objects.filter(name__iexact=text).exclude(pk=found.pk).exists():
        raise CrmValidationError({"name": [_("A tag with this name already exists.")]})
    found.name = text
    found.save(update_fields=["name"])
    return found


@transaction.atomic
def delete_tag(*, acting_user: User, tag: Tag | int) -> None:
    """Remove a tag from every record and delete it (owners and admins)."""
    ensure_workspace_writable()
    _require_admin(acting_user)
    Tag.objects.filter(pk=getattr(tag, "pk", tag)).delete()


@transaction.atomic
def create_source_channel(*, acting_user: User, name: str) -> SourceChannel:
    """Add a source channel to the workspace's list (owners and admins)."""
    ensure_workspace_writable()
    _require_admin(acting_user)
    text = rules.text(name)[:100]
    if not text:
        raise CrmValidationError({"name": [_("Give the source a name.")]})
    existing = SourceChannel.objects.filter(name__iexact=text).first()
    if existing is not None:
        if existing.archived_at is None:
            raise CrmValidationError({"name": [_("This source is already in the list.")]})
        existing.archived_at = None
        existing.save(update_fields=["archived_at"])
        return existing
    last = SourceChannel.objects.aggregate(last=Max("position"))["last"]
    return SourceChannel.objects.create(name=text, position=(last or 0) + 1)


@transaction.atomic
def rename_source_channel(
    *, acting_user: User, channel: SourceChannel | int, name: str
) -> SourceChannel:
    """Rename a source channel (records keep it: they refer to it by id)."""
    ensure_workspace_writable()
    _require_admin(acting_user)
    found = (
        SourceChannel.objects.select_for_update().filter(pk=getattr(channel, "pk", channel)).first()
    )
    if found is None:
        raise CrmNotFoundError()
    text = rules.text(name)[:100]
    if not text:
        raise CrmValidationError({"name": [_("Give the source a name.")]})
    if SourceChannel.objects.filter(name__iexact=text).exclude(pk=found.pk).exists():
        raise CrmValidationError({"name": [_("This source is already in the list.")]})
    found.name = text
    found.save(update_fields=["name"])
    return found


@transaction.atomic
def archive_source_channel(*, acting_user: User, channel: SourceChannel | int) -> SourceChannel:
    """Take a source off the list for new records; records that have it keep it."""
    ensure_workspace_writable()
    _require_admin(acting_user)
    found = (
        SourceChannel.objects.select_for_update().filter(pk=getattr(channel, "pk", channel)).first()
    )
    if found is None:
        raise CrmNotFoundError()
    if found.archived_at is None:
        found.archived_at = timezone.now()
        found.save(update_fields=["archived_at"])
    return found


@transaction.atomic
def reorder_source_channels(*, acting_user: User, ordered_ids: Sequence[int]) -> None:
    """Set the order of the source list (ids not given keep their place after these)."""
    ensure_workspace_writable()
    _require_admin(acting_user)
    channels = SourceChannel.objects.in_bulk(list(ordered_ids))
    for index, pk in enumerate(ordered_ids):
        channel = channels.get(pk)
        if channel is not None and channel.position != index:
            channel.position = index
            channel.save(update_fields=["position"])


# ---------------------------------------------------------------- settings


@transaction.atomic
def update_crm_settings(*, acting_user: User, members_see_only_own: bool) -> CrmSettings:
    """Choose whether members see every client or only their own (owners and admins)."""
    ensure_workspace_writable()
    _require_admin(acting_user)
    settings = crm_settings()
    settings = CrmSettings.objects.select_for_update().get(pk=settings.pk)
    if settings.members_see_only_own != members_see_only_own:
        AuditEntry.objects.create(
            actor=acting_user,
            action=AuditEntry.Action.SETTINGS_CHANGED,
            target="crm",
            changes={"members_see_only_own": [settings.members_see_only_own, members_see_only_own]},
        )
        settings.members_see_only_own = members_see_only_own
        settings.save(update_fields=["members_see_only_own", "updated_at"])
    return settings


# ---------------------------------------------------------------- bulk actions


def _locked_visible(acting_user: Any, record_type: str, ids: Iterable[int]) -> list[Any]:
    return list(
        visible_records(acting_user, record_type)
        .select_for_update()
        .filter(pk__in=list(ids))
        .order_by("pk")
    )


@transaction.atomic
def bulk_tag(
    *,
    acting_user: User,
    record_type: str,
    ids: Iterable[int],
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    source: ChangeSource = FORM,
) -> int:
    """Add and remove tags on many records the member sees; returns how many changed."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    to_add = _resolve_tags(add)
    remove_folded = {rules.text(name).casefold() for name in remove if rules.text(name)}
    to_remove = (
        [tag for tag in Tag.objects.all() if tag.name.casefold() in remove_folded]
        if remove_folded
        else []
    )
    records = _locked_visible(acting_user, record_type, ids)
    model = Contact if record_type == RecordType.CONTACT else Company
    through = model.tags.through
    owner_column = f"{model._meta.model_name}_id"
    current: dict[int, set[str]] = {}
    for owner_id, tag_name in through.objects.filter(
        **{f"{owner_column}__in": [r.pk for r in records]}
    ).values_list(owner_column, "tag__name"):
        current.setdefault(owner_id, set()).add(tag_name)
    changes = Changeset(acting_user, source)
    changed = 0
    for record in records:
        old = sorted(current.get(record.pk, set()))
        new_set = (set(old) | {t.name for t in to_add}) - {t.name for t in to_remove}
        if to_add:
            record.tags.add(*to_add)
        if to_remove:
            record.tags.remove(*to_remove)
        if sorted(new_set) != old:
            changes.add(record_type, record.pk, "tags", old, sorted(new_set))
            changed += 1
    changes.save()
    return changed


@transaction.atomic
def bulk_change_responsible(
    *,
    acting_user: User,
    record_type: str,
    ids: Iterable[int],
    responsible: User | int,
    source: ChangeSource = FORM,
) -> int:
    """Make one member responsible for many records the acting member sees."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    errors = rules.FieldErrors()
    new_owner = _resolve_responsible(responsible, errors)
    errors.raise_if_any()
    if new_owner is None:
        raise CrmValidationError({"responsible": [_("Choose an active member of the workspace.")]})
    records = _locked_visible(acting_user, record_type, ids)
    return _reassign(acting_user, record_type, records, new_owner, source)


def _reassign(
    acting_user: Any, record_type: str, records: list[Any], new_owner: User, source: ChangeSource
) -> int:
    changes = Changeset(acting_user, source)
    moving = [record for record in records if record.responsible_id != new_owner.pk]
    for record in moving:
        changes.add(record_type, record.pk, "responsible", record.responsible_id, new_owner.pk)
    model = Contact if record_type == RecordType.CONTACT else Company
    model.objects.filter(pk__in=[r.pk for r in moving]).update(
        responsible=new_owner, updated_at=timezone.now()
    )
    changes.save()
    return len(moving)


@transaction.atomic
def bulk_archive(
    *,
    acting_user: User,
    record_type: str,
    ids: Iterable[int],
    source: ChangeSource = FORM,
) -> int:
    """Archive many records at once (owners and admins only); returns how many."""
    ensure_workspace_writable()
    _require_admin(acting_user)
    records = _locked_visible(acting_user, record_type, ids)
    now = timezone.now()
    changes = Changeset(acting_user, source, at=now)
    to_archive = [record for record in records if record.archived_at is None]
    for record in to_archive:
        changes.add(record_type, record.pk, "archived_at", None, json_value(now))
    model = Contact if record_type == RecordType.CONTACT else Company
    model.objects.filter(pk__in=[r.pk for r in to_archive]).update(archived_at=now, updated_at=now)
    changes.save()
    return len(to_archive)


@transaction.atomic
def hand_over_clients(
    *,
    acting_user: User,
    from_member: User | int,
    to_member: User | int,
    source: ChangeSource = FORM,
) -> dict[str, int]:
    """Make `to_member` responsible for every contact and company of `from_member`.

    For a manager who leaves (deactivation offers it). Owners and admins only; the new
    manager must be active; archived records move too. Every record's history shows the
    change, and the audit log records the hand-over. Returns {"contacts": n, "companies": n}.
    """
    ensure_workspace_writable()
    _require_admin(acting_user)
    giver = User.objects.filter(pk=getattr(from_member, "pk", from_member)).first()
    if giver is None:
        raise CrmValidationError({"from_member": [_("Choose a member.")]})
    errors = rules.FieldErrors()
    receiver = _resolve_responsible(to_member, errors)
    if errors.fields:
        raise CrmValidationError({"to_member": errors.fields["responsible"]})
    if receiver is None:
        raise CrmValidationError({"to_member": [_("Choose an active member of the workspace.")]})
    if receiver.pk == giver.pk:
        raise CrmValidationError({"to_member": [_("Choose another member.")]})
    counts = {}
    for record_type, model in ((RecordType.CONTACT, Contact), (RecordType.COMPANY, Company)):
        records = list(
            model.objects.select_for_update().filter(responsible_id=giver.pk).order_by("pk")
        )
        counts[f"{record_type}s" if record_type == RecordType.CONTACT else "companies"] = _reassign(
            acting_user, record_type, records, receiver, source
        )
    AuditEntry.objects.create(
        actor=acting_user,
        action=AuditEntry.Action.SETTINGS_CHANGED,
        target=f"clients:{giver.email}->{receiver.email}",
        changes={"hand_over": {"from": giver.pk, "to": receiver.pk, **counts}},
    )
    return counts


# ---------------------------------------------------------------- merge and undo


@transaction.atomic
def merge_records(
    *,
    acting_user: User,
    record_type: str,
    primary: int,
    others: Sequence[int],
    choices: Mapping[str, int] | None = None,
    source: ChangeSource | None = None,
) -> Merge:
    """Merge `others` into `primary`, keeping everything; returns the Merge (undoable).

    `choices` maps a field (a standard field's name or "custom.<key>") to the id of the
    record whose value to keep; fields not named keep the primary's value, or take the
    first other record's when the primary's is empty. Every phone, e-mail, messenger,
    tag, consent and company link of the others moves to the primary; custom values
    the primary lacks are filled in; the others are archived, marked as merged into the
    primary (their history stays theirs and shows on the primary's card). The member
    must see every record involved.
    """
    ensure_workspace_writable()
    _ensure_active(acting_user)
    source = source or ChangeSource(ChangeVia.MERGE)
    choices = dict(choices or {})
    other_ids = [int(pk) for pk in others if int(pk) != int(primary)]
    if not other_ids:
        raise CrmValidationError({"__all__": [_("Choose at least two records to merge.")]})
    model: type[Contact] | type[Company] = Contact if record_type == RecordType.CONTACT else Company
    locked = {
        record.pk: record
        for record in model.objects.select_for_update()
        .filter(pk__in=[int(primary), *other_ids])
        .order_by("pk")
    }
    if len(locked) != len({int(primary), *other_ids}):
        raise CrmNotFoundError()
    sees_all = sees_all_clients(acting_user)
    for record in locked.values():
        if not can_see(acting_user, record, sees_all=sees_all):
            raise CrmNotFoundError()
        if record.archived_at is not None:
            raise CrmValidationError(
                {
                    "__all__": [
                        _("“%(name)s” is archived: restore it before merging.") % {"name": record}
                    ]
                }
            )
    target = locked[int(primary)]
    merging = [locked[pk] for pk in other_ids]
    before = snapshot(target)
    names = CONTACT_FIELDS if record_type == RecordType.CONTACT else COMPANY_FIELDS
    scalar_names = [name for name in names if name != "archived_at"]
    primary_before = {
        name: json_value(
            getattr(target, f"{name}_id" if name in ("source", "responsible") else name)
        )
        for name in scalar_names
    }
    undo: dict[str, Any] = {
        "primary_fields": primary_before,
        "primary_custom": dict(target.custom or {}),
        "moved": {},
        "links_removed": [],
        "tags_added": [],
    }
    # Field-by-field values.
    for name in scalar_names:
        attribute = f"{name}_id" if name in ("source", "responsible") else name
        chosen_id = choices.get(name)
        if chosen_id is not None and int(chosen_id) in locked:
            setattr(target, attribute, getattr(locked[int(chosen_id)], attribute))
        elif getattr(target, attribute) in (None, "", []):
            for other in merging:
                if getattr(other, attribute) not in (None, "", []):
                    setattr(target, attribute, getattr(other, attribute))
                    break
    custom = dict(target.custom or {})
    for other in merging:
        for key, value in (other.custom or {}).items():
            chosen_id = choices.get(f"custom.{key}")
            chosen = chosen_id is not None and int(chosen_id) == other.pk
            if chosen or custom.get(key) in (None, "", []):
                custom[key] = value
    target.custom = custom
    refresh_search_columns(target)
    target.save()
    # Everything attached moves to the primary.
    owner_field = "contact" if record_type == RecordType.CONTACT else "company"
    movable: list[tuple[str, Any]] = [("phones", Phone), ("emails", Email)]
    if record_type == RecordType.CONTACT:
        movable += [("messengers", Messenger), ("consents", ConsentRecord)]
    for key, row_model in movable:
        rows = list(
            row_model.objects.filter(**{f"{owner_field}_id__in": other_ids}).values_list(
                "pk", f"{owner_field}_id"
            )
        )
        undo["moved"][key] = [[pk, owner] for pk, owner in rows]
        row_model.objects.filter(pk__in=[pk for pk, _owner in rows]).update(
            **{f"{owner_field}_id": target.pk}
        )
    # Company links: move those the primary lacks, drop (and remember) the repeated ones.
    link_owner, link_other = (
        ("contact", "company") if record_type == RecordType.CONTACT else ("company", "contact")
    )
    primary_partners = set(
        ContactCompany.objects.filter(**{f"{link_owner}_id": target.pk}).values_list(
            f"{link_other}_id", flat=True
        )
    )
    moved_links = []
    for link in ContactCompany.objects.filter(**{f"{link_owner}_id__in": other_ids}).order_by("pk"):
        partner = getattr(link, f"{link_other}_id")
        if partner in primary_partners:
            undo["links_removed"].append(
                {"contact": link.contact_id, "company": link.company_id, "position": link.position}
            )
            link.delete()
        else:
            moved_links.append([link.pk, getattr(link, f"{link_owner}_id")])
            setattr(link, f"{link_owner}_id", target.pk)
            link.save(update_fields=[f"{link_owner}"])
            primary_partners.add(partner)
    undo["moved"]["links"] = moved_links
    primary_tags = set(target.tags.values_list("pk", flat=True))
    other_tags = set(
        model.tags.through.objects.filter(**{f"{owner_field}_id__in": other_ids}).values_list(
            "tag_id", flat=True
        )
    )
    added = sorted(other_tags - primary_tags)
    if added:
        target.tags.add(*added)
    undo["tags_added"] = added
    if isinstance(target, Contact):
        _refresh_consent_columns(target)
    now = timezone.now()
    model.objects.filter(pk__in=other_ids).update(
        archived_at=now, merged_into=target, updated_at=now
    )
    merge = Merge.objects.create(
        record_type=record_type,
        primary_id=target.pk,
        merged_ids=other_ids,
        undo_data=undo,
        merged_by=acting_user if acting_user.pk else None,
        merged_at=now,
    )
    changes = Changeset(acting_user, source, at=now)
    fresh = model.objects.get(pk=target.pk)
    changes.diff(record_type, target.pk, before, snapshot(fresh))
    changes.add(record_type, target.pk, "merged", None, other_ids)
    for other in merging:
        changes.add(record_type, other.pk, "merged_into", None, target.pk)
        changes.add(record_type, other.pk, "archived_at", None, json_value(now))
    changes.save()
    return merge


@transaction.atomic
def undo_merge(
    *, acting_user: User, merge: Merge | int, source: ChangeSource | None = None
) -> Merge:
    """Undo a merge: the merged records come back with what they had; the primary's
    fields return to their values before the merge.

    Owners, admins and the member who merged. Changes made to the primary after the
    merge to fields the merge did not touch are kept.
    """
    ensure_workspace_writable()
    _ensure_active(acting_user)
    source = source or ChangeSource(ChangeVia.MERGE)
    found = Merge.objects.select_for_update().filter(pk=getattr(merge, "pk", merge)).first()
    if found is None:
        raise CrmNotFoundError()
    if not (acting_user.is_workspace_admin or found.merged_by_id == acting_user.pk):
        raise PermissionDenied(_("Only owners, admins and the member who merged can undo a merge."))
    if found.undone_at is not None:
        raise CrmValidationError(
            {"__all__": [_("This merge has already been undone.")]}, code=ErrorCode.CONFLICT
        )
    record_type = found.record_type
    model: type[Contact] | type[Company] = Contact if record_type == RecordType.CONTACT else Company
    target = model.objects.select_for_update().filter(pk=found.primary_id).first()
    if target is None:
        raise CrmNotFoundError()
    before = snapshot(target)
    undo = found.undo_data
    owner_field = "contact" if record_type == RecordType.CONTACT else "company"
    row_models: dict[str, Any] = {
        "phones": Phone,
        "emails": Email,
        "messengers": Messenger,
        "consents": ConsentRecord,
    }
    for key, rows in undo.get("moved", {}).items():
        if key == "links":
            for pk, owner in rows:
                ContactCompany.objects.filter(pk=pk).update(**{f"{owner_field}_id": owner})
            continue
        for pk, owner in rows:
            row_models[key].objects.filter(pk=pk).update(**{f"{owner_field}_id": owner})
    for link in undo.get("links_removed", []):
        ContactCompany.objects.get_or_create(
            contact_id=link["contact"],
            company_id=link["company"],
            defaults={"position": link["position"]},
        )
    if undo.get("tags_added"):
        target.tags.remove(*undo["tags_added"])
    for name, value in undo.get("primary_fields", {}).items():
        attribute = f"{name}_id" if name in ("source", "responsible") else name
        if name == "birthday":
            value = parse_date(value) if value else None
        setattr(target, attribute, value)
    target.custom = undo.get("primary_custom", {})
    refresh_search_columns(target)
    target.save()
    now = timezone.now()
    model.objects.filter(pk__in=found.merged_ids).update(
        archived_at=None, merged_into=None, updated_at=now
    )
    if record_type == RecordType.CONTACT:
        for contact in Contact.objects.filter(pk__in=[target.pk, *found.merged_ids]):
            _refresh_consent_columns(contact)
    found.undone_at = now
    found.undone_by = acting_user if acting_user.pk else None
    found.save(update_fields=["undone_at", "undone_by"])
    changes = Changeset(acting_user, source, at=now)
    fresh = model.objects.get(pk=target.pk)
    changes.diff(record_type, target.pk, before, snapshot(fresh))
    changes.add(record_type, target.pk, "merge_undone", found.merged_ids, None)
    for pk in found.merged_ids:
        changes.add(record_type, pk, "merged_into", found.primary_id, None)
        changes.add(record_type, pk, "archived_at", json_value(found.merged_at), None)
    changes.save()
    return found


# ---------------------------------------------------------------- segments


@transaction.atomic
def create_segment(
    *, acting_user: User, record_type: str, name: str, filters: Mapping[str, Any]
) -> Segment:
    """Save a list filter under a name, for everyone in the workspace."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    from crm.selectors.lists import ClientFilter

    text = rules.text(name)[:120]
    if not text:
        raise CrmValidationError({"name": [_("Give the segment a name.")]})
    if record_type not in RecordType.values:
        raise CrmValidationError({"record_type": [_("Unknown kind of record.")]})
    if Segment.objects.filter(record_type=record_type, name__iexact=text).exists():
        raise CrmValidationError({"name": [_("A segment with this name already exists.")]})
    cleaned = ClientFilter.from_dict(dict(filters)).to_dict()
    return Segment.objects.create(
        record_type=record_type, name=text, filters=cleaned, created_by=acting_user
    )


@transaction.atomic
def update_segment(
    *,
    acting_user: User,
    segment: Segment | int,
    name: str | None = None,
    filters: Mapping[str, Any] | None = None,
) -> Segment:
    """Rename a segment or change its filter (its author, owners and admins)."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    from crm.selectors.lists import ClientFilter

    found = Segment.objects.select_for_update().filter(pk=getattr(segment, "pk", segment)).first()
    if found is None:
        raise CrmNotFoundError()
    if not (acting_user.is_workspace_admin or found.created_by_id == acting_user.pk):
        raise PermissionDenied(_("Only the segment's author, owners and admins can change it."))
    if name is not None:
        text = rules.text(name)[:120]
        if not text:
            raise CrmValidationError({"name": [_("Give the segment a name.")]})
        if (
            Segment.objects.filter(record_type=found.record_type, name__iexact=text)
            .exclude(pk=found.pk)
            .exists()
        ):
            raise CrmValidationError({"name": [_("A segment with this name already exists.")]})
        found.name = text
    if filters is not None:
        found.filters = ClientFilter.from_dict(dict(filters)).to_dict()
    found.save()
    return found


@transaction.atomic
def delete_segment(*, acting_user: User, segment: Segment | int) -> None:
    """Delete a segment (its author, owners and admins); no record changes."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    found = Segment.objects.select_for_update().filter(pk=getattr(segment, "pk", segment)).first()
    if found is None:
        raise CrmNotFoundError()
    if not (acting_user.is_workspace_admin or found.created_by_id == acting_user.pk):
        raise PermissionDenied(_("Only the segment's author, owners and admins can delete it."))
    found.delete()
