"""The validation rules of client records: one definition, used by the actions and the import.

crm.actions.clients (forms, the API) and the import engine (onboarding.importing) read
phones, e-mails, messengers, tax numbers, websites, dates and numbers through these
functions, so a value a form refuses is refused by an import too, with the same message.

Each `parse_*` takes the raw value and a `FieldErrors` collector, returns the cleaned
value (or an empty one) and adds a translated message under the field's name when the
value cannot be used. They also accept what spreadsheets bring: dates as `31.12.2024`,
`31.12.24`, `2024-12-31` or an Excel serial day number, numbers with decimal commas and
spaces (or no-break spaces) between thousands, phones in the workspace's default
country, and tax numbers whose leading zero a spreadsheet dropped (restored only when
the checksum then passes).

No database access here except the workspace row the connection already carries.
"""

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import normalize
from crm.errors import CrmValidationError, ErrorCode
from crm.models import MessengerKind, PhoneLabel

# Day 0 of Excel's serial dates (1900 system, with its 29 Feb 1900 bug folded in).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y", "%Y.%m.%d", "%d-%m-%Y")
_NUMBER_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_URL = URLValidator(schemes=["http", "https"])
# Read once: the enums' `.values` builds a new list on every access.
_PHONE_LABELS = frozenset(PhoneLabel.values)
_MESSENGER_KINDS = frozenset(MessengerKind.values)
# The two shapes nearly every file uses, read without strptime (it is slow per row).
_DAY_FIRST = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


class FieldErrors:
    """Messages per field, and whether every one of them is only "this is required"."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.only_required = True

    def add(self, name: str, message: str, *, required: bool = False) -> None:
        if message not in self.fields.get(name, []):
            self.fields.setdefault(name, []).append(message)
        self.only_required = self.only_required and required

    def absorb(self, error: CrmValidationError) -> None:
        for name, messages in error.field_errors.items():
            for message in messages:
                self.add(name, message, required=error.code == ErrorCode.REQUIRED)

    def raise_if_any(self) -> None:
        if self.fields:
            code = ErrorCode.REQUIRED if self.only_required else ErrorCode.INVALID
            raise CrmValidationError(self.fields, code=code)


def default_country() -> str:
    """The current workspace's default country for phone numbers (RU outside one)."""
    tenant = getattr(connection, "tenant", None)
    country = getattr(tenant, "default_country", None)
    return str(country or "RU")


def text(value: Any) -> str:
    """One line of text: inner runs of spaces collapsed, trimmed."""
    return normalize.clean_spaces(str(value)) if value is not None else ""


def long_text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def phone_message(raw: str) -> str:
    return _("“%(number)s” cannot be a phone number. Check the digits and the country code.") % {
        "number": raw
    }


def parse_phones(
    items: Any, errors: FieldErrors, *, country: str | None = None
) -> list[tuple[str, str, str]]:
    """[(e164, raw, label)] from text or {"number"/"raw", "label"} items; bad ones reported."""
    parsed: list[tuple[str, str, str]] = []
    if items is None:
        return parsed
    if isinstance(items, str):
        items = [items]
    country = country or default_country()
    for item in items:
        if isinstance(item, Mapping):
            raw = text(item.get("number") or item.get("raw") or item.get("e164") or "")
            label = str(item.get("label") or PhoneLabel.MOBILE)
        else:
            raw, label = text(item), PhoneLabel.MOBILE
        if not raw:
            continue
        if label not in _PHONE_LABELS:
            errors.add("phones", _("Unknown phone label “%(label)s”.") % {"label": label})
            continue
        try:
            e164 = normalize.parse_phone(raw, default_country=country)
        except normalize.PhoneNotValidError:
            errors.add("phones", phone_message(raw))
            continue
        if any(existing[0] == e164 for existing in parsed):
            continue
        parsed.append((e164, raw[:64], label))
    return parsed


def email_message(address: str) -> str:
    return _("“%(email)s” is not a valid e-mail address.") % {"email": address}


def parse_emails(items: Any, errors: FieldErrors) -> list[str]:
    """The valid, distinct (case-folded) addresses of `items`, as entered; bad ones reported."""
    parsed: list[str] = []
    if items is None:
        return parsed
    if isinstance(items, str):
        items = [items]
    seen: set[str] = set()
    for item in items:
        address = text(item.get("address") if isinstance(item, Mapping) else item)
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            errors.add("emails", email_message(address))
            continue
        folded = normalize.casefold_email(address)
        if folded in seen:
            continue
        seen.add(folded)
        parsed.append(address)
    return parsed


def parse_messengers(items: Any, errors: FieldErrors) -> list[tuple[str, str]]:
    parsed: list[tuple[str, str]] = []
    for item in items or []:
        if not isinstance(item, Mapping):
            errors.add("messengers", _("Give a messenger and a handle."))
            continue
        kind, handle = str(item.get("kind") or ""), text(item.get("handle"))
        if not handle:
            continue
        if kind not in _MESSENGER_KINDS:
            errors.add("messengers", _("Unknown messenger “%(kind)s”.") % {"kind": kind})
            continue
        parsed.append((kind, handle[:100]))
    return parsed


def tax_number_message() -> str:
    return _(
        "Enter a valid tax number: an INN of 10 or 12 digits or an EDRPOU code of "
        "8 digits (the check digits do not match)."
    )


def parse_tax_number(value: Any, errors: FieldErrors, *, restore_zeros: bool = False) -> str:
    """An INN (10/12 digits) or EDRPOU (8) with a passing checksum; "" for nothing.

    `restore_zeros` (imports): a spreadsheet that read the number as a number dropped its
    leading zero, so 7, 9 or 11 digits get one back when the checksum then passes.
    """
    cleaned = text(value).replace(" ", "").replace("-", "").replace("\u00a0", "")
    if cleaned.endswith(".0") and cleaned[:-2].isdigit():
        cleaned = cleaned[:-2]
    if not cleaned:
        return ""
    if normalize.tax_number_kind(cleaned) is None:
        padded = "0" + cleaned
        if restore_zeros and len(cleaned) in (7, 9, 11) and normalize.tax_number_kind(padded):
            return padded
        errors.add("tax_number", tax_number_message())
    return cleaned


def parse_website(value: Any, errors: FieldErrors) -> str:
    address = text(value)
    if not address:
        return ""
    if "://" not in address:
        address = f"https://{address}"
    try:
        _URL(address)
    except ValidationError:
        errors.add("website", _("Enter a valid website address."))
    return address[:300]


def parse_date(value: Any, *, excel_serial: bool = False) -> dt.date | None:
    """A date from a date or text: 2024-12-31, 31.12.2024, 31.12.24, 31/12/2024; else None.

    `excel_serial` (imports): a whole number between 1 and 2958465 is Excel's day count
    (a date cell read without its format), e.g. 45657 is 2024-12-31.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None:
        return None
    raw = str(value).strip()
    if not raw:
        return None
    if " " in raw:
        # "31.12.2024 0:00:00" from spreadsheets that store dates as date-times.
        raw = raw.split(" ", 1)[0]
    if "T" in raw and raw[:4].isdigit():
        raw = raw.split("T", 1)[0]
    quick = _DAY_FIRST.fullmatch(raw) or _ISO_DATE.fullmatch(raw)
    if quick is not None:
        first, second, third = (int(part) for part in quick.groups())
        if quick.re is _ISO_DATE:
            year, month, day = first, second, third
        else:
            day, month = first, second
            year = third if len(quick.group(3)) == 4 else _two_digit_year(third)
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw, pattern).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    if excel_serial:
        serial = raw[:-2] if raw.endswith(".0") else raw
        if serial.isdigit() and 1 <= int(serial) <= 2_958_465:
            return _EXCEL_EPOCH + dt.timedelta(days=int(serial))
    return None


def _two_digit_year(year: int) -> int:
    """strptime's rule for %y: 69-99 are 1969-1999, 0-68 are 2000-2068."""
    return 1900 + year if year >= 69 else 2000 + year


def parse_birthday(
    value: Any, errors: FieldErrors, *, excel_serial: bool = False, today: dt.date | None = None
) -> dt.date | None:
    if value in (None, ""):
        return None
    parsed = parse_date(value, excel_serial=excel_serial)
    if parsed is None:
        errors.add("birthday", _("Enter a valid date."))
        return None
    if parsed > (today or timezone.localdate()):
        errors.add("birthday", _("A birthday cannot be in the future."))
    return parsed


def parse_number(value: Any) -> Decimal | None:
    """A Decimal from a number or text such as `12 345,67`, `1,5`, `-3.25`; None if not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        value = repr(value)
    cleaned = _NUMBER_SPACES.sub("", str(value))
    if cleaned.count(",") == 1 and "." in cleaned and cleaned.index(".") < cleaned.index(","):
        cleaned = cleaned.replace(".", "")  # 1.234,56
    elif cleaned.count(",") == 1 and "." in cleaned:
        cleaned = cleaned.replace(",", "")  # 1,234.56
    cleaned = cleaned.replace(",", ".")
    if not _NUMBER.fullmatch(cleaned):
        return None
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_headcount(value: Any, errors: FieldErrors) -> int | None:
    if value in (None, ""):
        return None
    number = parse_number(value)
    if number is None or number < 0 or number != number.to_integral_value():
        errors.add("headcount", _("Enter a whole number."))
        return None
    if number > 2_147_483_647:
        errors.add("headcount", _("This number is too large."))
        return None
    return int(number)


def parse_addresses(items: Any) -> list[dict[str, str]]:
    parsed = []
    if isinstance(items, str):
        items = [items]
    for item in items or []:
        if isinstance(item, Mapping):
            body, label = long_text(item.get("text")), text(item.get("label"))
        else:
            body, label = long_text(item), ""
        if body:
            parsed.append({"label": label[:60], "text": body})
    return parsed
