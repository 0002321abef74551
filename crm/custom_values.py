"""Custom field values: one definition of every rule, shared by forms, the API and import.

Storage (the `custom` JSONB column of each record; keys are CustomField.key):

    text, long_text       "string" (trimmed; at most 500 / 10,000 characters)
    integer               123 (a JSON number, within bigint)
    decimal               "1234.50" (a Decimal as a string, "." as separator)
    money                 {"amount": "12.50", "currency": "RUB"} (Decimal string, ISO 4217)
    date                  "2024-12-31" (ISO)
    datetime              "2024-12-31T07:00:00Z" (ISO, always UTC, always this shape)
    boolean               true / false
    single_choice         "choice_key"
    multiple_choice       ["choice_key", ...] (in the order of the field's choices)
    email                 "Name@Example.com" (as entered, trimmed)
    phone                 "+79161234567" (E.164)
    url                   "https://example.com/page"

An empty value is never stored: the key is absent. Dates and date-times sort as their
text (that is why their shape is fixed); numbers are cast in SQL (see
crm.selectors.custom_fields). Values of archived fields stay in the column untouched.

Input is accepted in the forms people and spreadsheets use: dates as 31.12.2024 or
2024-12-31, decimals with a comma and spaces, phones in any format of the workspace's
default country, choices by key (or by their exact label, for imports).
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import connection
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from crm.errors import CrmValidationError, ErrorCode
from crm.models.custom_fields import CustomField, FieldType, pick_translation
from crm.selectors.custom_fields import active_custom_fields, all_custom_fields

TEXT_MAX_LENGTH = 500
LONG_TEXT_MAX_LENGTH = 10_000
EMAIL_MAX_LENGTH = 254
URL_MAX_LENGTH = 2000
BIGINT_MAX = 2**63 - 1
# Digits before the decimal point a decimal or money amount may have (numeric casts).
MAX_INTEGER_DIGITS = 15
MAX_DECIMAL_PLACES = 6
DATETIME_STORAGE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
CURRENCIES = ["RUB", "UAH", "USD", "EUR", "KZT", "BYN", "GBP", "CNY", "PLN", "TRY", "GEL", "AMD"]
_CURRENCY_BY_COUNTRY = {"RU": "RUB", "UA": "UAH", "KZ": "KZT", "BY": "BYN", "US": "USD"}

_DATETIME_FORMATS = (
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
)
_TRUE = {"true", "1", "yes", "y", "on", "да", "так", "д", "t"}
_FALSE = {"false", "0", "no", "n", "off", "нет", "ні", "н", "f"}


class CustomValueError(ValueError):
    """One value a field refuses, with a message in the active language."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def required_message() -> str:
    return _("This field is required.")


# ---------------------------------------------------------------------------------
# Workspace context (default country, time zone)
# ---------------------------------------------------------------------------------


def _workspace() -> Any:
    """The current workspace row (the request's tenant, or looked up by schema)."""
    from tenants.guards import current_workspace
    from tenants.models import Workspace

    workspace = current_workspace()
    if workspace is not None:
        return workspace
    schema = getattr(connection, "schema_name", None)
    return Workspace.objects.filter(schema_name=schema).first() if schema else None


def workspace_default_country() -> str:
    workspace = _workspace()
    return str(workspace.default_country) if workspace is not None else "RU"


def workspace_timezone() -> zoneinfo.ZoneInfo:
    workspace = _workspace()
    name = workspace.time_zone if workspace is not None else "Europe/Moscow"
    return zoneinfo.ZoneInfo(name)


def default_currency() -> str:
    return _CURRENCY_BY_COUNTRY.get(workspace_default_country(), "EUR")


# ---------------------------------------------------------------------------------
# Parsing one value
# ---------------------------------------------------------------------------------


def _is_empty(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple | set):
        return all(_is_empty(item) for item in raw)
    if isinstance(raw, dict):
        return _is_empty(raw.get("amount"))
    return False


def parse_date(raw: Any) -> date | None:
    """A date from a date object or text (crm.rules.parse_date's formats); None if not."""
    from crm import rules

    if isinstance(raw, datetime) or not isinstance(raw, str | date):
        return None
    return rules.parse_date(raw)


def parse_decimal(raw: Any) -> Decimal:
    """A Decimal from a number or text with a comma or dot and any spaces."""
    if isinstance(raw, bool):
        raise CustomValueError(_("Enter a number."))
    from crm import rules

    parsed = rules.parse_number(raw)
    if parsed is None:
        raise CustomValueError(_("Enter a number, e.g. 1234,50."))
    value = parsed
    _sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):  # NaN or Infinity
        raise CustomValueError(_("Enter a number, e.g. 1234,50."))
    if len(digits) + exponent > MAX_INTEGER_DIGITS:
        raise CustomValueError(_("This number is too large."))
    if -exponent > MAX_DECIMAL_PLACES:
        raise CustomValueError(
            _("Use at most %(places)d digits after the decimal point.")
            % {"places": MAX_DECIMAL_PLACES}
        )
    return value


def _text(field: CustomField, raw: Any, max_length: int) -> str:
    if isinstance(raw, dict | list | tuple | set):
        raise CustomValueError(_("Enter text."))
    text = str(raw).strip()
    if field.field_type == FieldType.TEXT and ("\n" in text or "\r" in text):
        text = " ".join(text.split())
    if len(text) > max_length:
        raise CustomValueError(
            _("Use at most %(count)d characters (now %(length)d).")
            % {"count": max_length, "length": len(text)}
        )
    return text


def _integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise CustomValueError(_("Enter a whole number."))
    if isinstance(raw, int):
        value = raw
    else:
        try:
            number = parse_decimal(raw)
        except CustomValueError as error:
            raise CustomValueError(_("Enter a whole number.")) from error
        if number != number.to_integral_value():
            raise CustomValueError(_("Enter a whole number."))
        value = int(number)
    if abs(value) > BIGINT_MAX:
        raise CustomValueError(_("This number is too large."))
    return value


def _money(field: CustomField, raw: Any) -> dict[str, str] | None:
    if isinstance(raw, dict):
        amount, currency = raw.get("amount"), raw.get("currency")
    elif isinstance(raw, list | tuple):
        amount, currency = ([*list(raw), None, None])[:2]
    else:
        amount, currency = raw, None
        if isinstance(raw, str):
            match = re.fullmatch(r"\s*(.*?)\s*([A-Za-z]{3})\s*", raw)
            if match:
                amount, currency = match.group(1), match.group(2)
    if _is_empty(amount):
        return None
    value = parse_decimal(amount)
    if -int(value.as_tuple().exponent) < 2:
        value = value.quantize(Decimal("0.01"))
    if not currency:
        default = field.default if isinstance(field.default, dict) else {}
        currency = default.get("currency") or default_currency()
    currency = str(currency).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise CustomValueError(_("Choose a currency (a three-letter code such as RUB)."))
    return {"amount": format(value, "f"), "currency": currency}


def _date(raw: Any) -> str:
    day = parse_date(raw)
    if day is None or not 1000 <= day.year <= 9999:
        raise CustomValueError(_("Enter a date, e.g. 31.12.2024."))
    return day.isoformat()


def _datetime(raw: Any) -> str:
    moment: datetime | None = None
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, str):
        text = raw.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            for pattern in _DATETIME_FORMATS:
                try:
                    moment = datetime.strptime(text, pattern)  # noqa: DTZ007 (made aware below)
                    break
                except ValueError:
                    continue
    if moment is None or not 1000 <= moment.year <= 9999:
        raise CustomValueError(_("Enter a date and time, e.g. 31.12.2024 14:30."))
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=workspace_timezone())
    return moment.astimezone(UTC).strftime(DATETIME_STORAGE_FORMAT)


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CustomValueError(_("Choose yes or no."))


def _choice_key(field: CustomField, raw: Any, allowed_archived: set[str]) -> str:
    if not isinstance(raw, str | int):
        raise CustomValueError(_("Choose one of the options."))
    text = str(raw).strip()
    for choice in field.choices:
        if choice["key"] == text and (not choice.get("archived") or text in allowed_archived):
            return text
    # Imports bring labels: accept an exact label in any language.
    folded = text.casefold()
    for choice in field.active_choices:
        if any(label.casefold() == folded for label in choice.get("labels", {}).values()):
            return str(choice["key"])
    raise CustomValueError(_("“%(value)s” is not one of the options.") % {"value": text})


def _email(raw: Any) -> str:
    text = str(raw).strip()
    try:
        validate_email(text)
    except ValidationError as error:
        raise CustomValueError(_("Enter a valid e-mail address.")) from error
    if len(text) > EMAIL_MAX_LENGTH:
        raise CustomValueError(_("Enter a valid e-mail address."))
    return text


def _phone(raw: Any) -> str:
    text = str(raw).strip()
    try:
        number = phonenumbers.parse(text, workspace_default_country())
    except phonenumbers.NumberParseException as error:
        raise CustomValueError(_("Enter a valid phone number, e.g. +7 916 123-45-67.")) from error
    if not phonenumbers.is_valid_number(number):
        raise CustomValueError(_("Enter a valid phone number, e.g. +7 916 123-45-67."))
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _url(raw: Any) -> str:
    text = str(raw).strip()
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        text = "https://" + text
    try:
        URLValidator(schemes=["http", "https"])(text)
    except ValidationError as error:
        raise CustomValueError(_("Enter a valid link, e.g. https://example.com.")) from error
    if len(text) > URL_MAX_LENGTH:
        raise CustomValueError(_("This link is too long."))
    return text


def normalize_value(field: CustomField, raw: Any, *, current: Any = None) -> Any:
    """The stored form of `raw` for `field`, or None for an empty value.

    Accepts what people type and what is already stored (so normalising twice is
    harmless). `current` is the record's stored value: an archived choice it already
    holds stays acceptable. Raises CustomValueError with a translated message.
    """
    if _is_empty(raw):
        return None
    kind = field.field_type
    if kind == FieldType.TEXT:
        return _text(field, raw, TEXT_MAX_LENGTH) or None
    if kind == FieldType.LONG_TEXT:
        return _text(field, raw, LONG_TEXT_MAX_LENGTH) or None
    if kind == FieldType.INTEGER:
        return _integer(raw)
    if kind == FieldType.DECIMAL:
        return format(parse_decimal(raw), "f")
    if kind == FieldType.MONEY:
        return _money(field, raw)
    if kind == FieldType.DATE:
        return _date(raw)
    if kind == FieldType.DATETIME:
        return _datetime(raw)
    if kind == FieldType.BOOLEAN:
        return _boolean(raw)
    held = set(current if isinstance(current, list) else [current] if current else [])
    if kind == FieldType.SINGLE_CHOICE:
        return _choice_key(field, raw, held)
    if kind == FieldType.MULTIPLE_CHOICE:
        items = raw if isinstance(raw, list | tuple | set) else [raw]
        keys = {_choice_key(field, item, held) for item in items if not _is_empty(item)}
        order = [choice["key"] for choice in field.choices]
        return sorted(keys, key=order.index) or None
    if kind == FieldType.EMAIL:
        return _email(raw)
    if kind == FieldType.PHONE:
        return _phone(raw)
    if kind == FieldType.URL:
        return _url(raw)
    raise CustomValueError(_("Unknown field type."))


# ---------------------------------------------------------------------------------
# Whole records
# ---------------------------------------------------------------------------------


def clean_custom_values(
    *,
    entity: str,
    values: dict[str, Any],
    current: dict[str, Any] | None = None,
    partial: bool = False,
) -> dict[str, Any]:
    """Validate `values` (key -> raw value) and return the record's new `custom` dict.

    - `current` is the record's stored dict, None when the record is being created (then
      active fields absent from `values` get their default).
    - Keys absent from `values` keep their current value; None or "" clears one.
    - Required active fields must have a value after the change, unless `partial` (an
      API PATCH): then only clearing a required field is refused, so records created
      before the field became required can still be edited.
    - Values of archived fields are kept untouched (incoming ones are ignored); keys no
      definition knows are refused.

    Raises CrmValidationError with "custom.<key>" keys (code "required" when every
    problem is a missing value, "invalid" otherwise).
    """
    if not isinstance(values, dict):
        raise CrmValidationError({"custom": [_("Custom values must be an object of key: value.")]})
    by_key = {field.key: field for field in all_custom_fields(entity)}
    creating = current is None
    result: dict[str, Any] = dict(current or {})
    errors: dict[str, list[str]] = {}
    missing: set[str] = set()

    for key, raw in values.items():
        field = by_key.get(key)
        if field is None:
            errors[f"custom.{key}"] = [_("There is no such field.")]
            continue
        if field.archived_at is not None:
            continue
        try:
            stored = normalize_value(field, raw, current=result.get(key))
        except CustomValueError as error:
            errors[f"custom.{key}"] = [error.message]
            continue
        if stored is None:
            result.pop(key, None)
            if field.required:
                missing.add(key)
        else:
            result[key] = stored

    active = [field for field in by_key.values() if field.archived_at is None]
    if creating:
        for field in active:
            if field.key not in values and field.default is not None:
                result[field.key] = field.default
    if creating or not partial:
        missing |= {field.key for field in active if field.required and field.key not in result}
    for key in missing:
        errors.setdefault(f"custom.{key}", [required_message()])
    if errors:
        only_missing = set(errors) == {f"custom.{key}" for key in missing}
        raise CrmValidationError(
            errors, code=ErrorCode.REQUIRED if only_missing else ErrorCode.INVALID
        )
    return result


def _is_blank_standard(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set | dict):
        return len(value) == 0
    return False


def missing_required_fields(
    *, entity: str, standard: dict[str, Any], custom: dict[str, Any]
) -> list[str]:
    """Names of the required fields this record lacks: standard names, then "custom.<key>".

    `standard` maps the names of crm.entities.STANDARD_FIELDS to the record's values
    (lists for multi-valued fields); a name absent from it counts as empty.
    """
    from crm.selectors.custom_fields import required_standard_fields

    missing = [
        name for name in required_standard_fields(entity) if _is_blank_standard(standard.get(name))
    ]
    missing += [
        f"custom.{field.key}"
        for field in active_custom_fields(entity)
        if field.required and field.key not in (custom or {})
    ]
    return missing


# ---------------------------------------------------------------------------------
# Output: cards, lists, the API
# ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomValueDisplay:
    """One custom field of a record as a card or list shows it."""

    key: str
    label: str
    help_text: str
    field_type: str
    value: Any  # the stored value (None when empty)
    text: str  # formatted for reading, in the requested language ("" when empty)
    href: str = ""  # mailto:, tel: or the link itself, for tappable values

    @property
    def is_empty(self) -> bool:
        return self.value is None


def display_text(field: CustomField, stored: Any, language: str | None = None) -> str:
    """The stored value formatted for reading in `language` (default: the active one)."""
    if stored is None:
        return ""
    if language is None or language == translation.get_language():
        return _display_text_or_stored(field, stored)  # a card's dozen values: no override
    with translation.override(language):
        return _display_text_or_stored(field, stored)


def _display_text_or_stored(field: CustomField, stored: Any) -> str:
    try:
        return _display_text(field, stored)
    except (ValueError, TypeError, InvalidOperation, phonenumbers.NumberParseException):
        # A value stored by an older definition: show it as it is rather than fail.
        return str(stored)


def _display_text(field: CustomField, stored: Any) -> str:
    kind = field.field_type
    if kind == FieldType.INTEGER:
        return formats.number_format(int(stored), use_l10n=True, force_grouping=True)
    if kind == FieldType.DECIMAL:
        return formats.number_format(Decimal(stored), use_l10n=True, force_grouping=True)
    if kind == FieldType.MONEY:
        amount = formats.number_format(
            Decimal(stored["amount"]), use_l10n=True, force_grouping=True
        )
        return f"{amount}\u00a0{stored['currency']}"
    if kind == FieldType.DATE:
        return formats.date_format(date.fromisoformat(stored), "DATE_FORMAT")
    if kind == FieldType.DATETIME:
        moment = datetime.fromisoformat(stored.replace("Z", "+00:00"))
        return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    if kind == FieldType.BOOLEAN:
        return _("Yes") if stored else _("No")
    if kind == FieldType.SINGLE_CHOICE:
        return field.choice_label(stored)
    if kind == FieldType.MULTIPLE_CHOICE:
        return ", ".join(field.choice_label(key) for key in stored)
    if kind == FieldType.PHONE:
        return str(
            phonenumbers.format_number(
                phonenumbers.parse(stored), phonenumbers.PhoneNumberFormat.INTERNATIONAL
            )
        )
    return str(stored)


def _href(field: CustomField, stored: Any) -> str:
    if stored is None:
        return ""
    if field.field_type == FieldType.EMAIL:
        return f"mailto:{stored}"
    if field.field_type == FieldType.PHONE:
        return f"tel:{stored}"
    if field.field_type == FieldType.URL:
        return str(stored)
    return ""


def custom_values_for_display(
    entity: str, values: dict[str, Any] | None, language: str | None = None
) -> list[CustomValueDisplay]:
    """Every active field of `entity`, in order, with this record's value formatted.

    Empty fields are included (is_empty) so a card can show or skip them; archived
    fields are left out, their values stay stored.
    """
    values = values or {}
    if language is not None and language != translation.get_language():
        with translation.override(language):
            return custom_values_for_display(entity, values)
    return [
        CustomValueDisplay(
            key=field.key,
            label=field.label,
            help_text=field.help_text,
            field_type=field.field_type,
            value=values.get(field.key),
            text=display_text(field, values.get(field.key)),
            href=_href(field, values.get(field.key)),
        )
        for field in active_custom_fields(entity)
    ]


def api_value(field: CustomField, stored: Any) -> Any:
    """The stored value with its real JSON type (numbers as numbers)."""
    if stored is None:
        return None
    if field.field_type == FieldType.DECIMAL:
        number = Decimal(stored)
        return int(number) if number == number.to_integral_value() else float(number)
    return stored


def custom_values_for_api(entity: str, values: dict[str, Any] | None) -> dict[str, Any]:
    """key -> value for every active field of `entity` (None when empty).

    Integers and decimals are JSON numbers, yes/no booleans, dates and date-times ISO
    strings, choices their keys (a list for multiple choice), money
    {"amount": "12.50", "currency": "RUB"} (the amount stays a decimal string: never a
    float for money). Archived fields are left out.
    """
    values = values or {}
    return {
        field.key: api_value(field, values.get(field.key)) for field in active_custom_fields(entity)
    }


# ---------------------------------------------------------------------------------
# Django forms (the web UI and the import wizard reuse the same rules)
# ---------------------------------------------------------------------------------

FORM_FIELD_PREFIX = "custom_"


def form_field_name(key: str) -> str:
    return f"{FORM_FIELD_PREFIX}{key}"


class MoneyWidget(forms.MultiWidget):
    template_name = "crm/fields/widgets/money.html"

    def __init__(self, attrs: dict[str, Any] | None = None):
        currency_choices = [(code, code) for code in CURRENCIES]
        super().__init__(
            [
                forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                forms.Select(choices=currency_choices),
            ],
            attrs,
        )

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, dict):
            return [value.get("amount"), value.get("currency")]
        return [None, default_currency()]


class _KeepsHeldChoices:
    """A choice widget that also offers the archived choices the record still holds.

    Without it, editing a record whose value is an archived choice would show it as
    empty and saving would clear it; with it, the value stays (marked as archived).
    """

    definition: CustomField
    choices: Any

    def optgroups(self, name: str, value: list[str], attrs: dict[str, Any] | None = None) -> Any:
        offered = {str(key) for key, _label in self.choices}
        held = [key for key in value if key and key not in offered]
        if held:
            self.choices = list(self.choices) + [
                (
                    key,
                    _("%(choice)s (archived choice)")
                    % {"choice": self.definition.choice_label(key)},
                )
                for key in held
            ]
        return super().optgroups(name, value, attrs)  # type: ignore[misc]


class HeldChoicesSelect(_KeepsHeldChoices, forms.Select):
    def __init__(self, definition: CustomField, **kwargs: Any):
        self.definition = definition
        super().__init__(**kwargs)


class HeldChoicesCheckboxes(_KeepsHeldChoices, forms.CheckboxSelectMultiple):
    def __init__(self, definition: CustomField, **kwargs: Any):
        self.definition = definition
        super().__init__(**kwargs)


class CustomValueFormField(forms.Field):
    """A form field for one custom field: cleaning is `normalize_value`, nothing else."""

    def __init__(self, definition: CustomField, **kwargs: Any):
        self.definition = definition
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        try:
            # A held archived choice comes back as it was shown; the record action,
            # which knows the stored value, decides whether it may stay.
            stored = normalize_value(self.definition, value, current=value)
        except CustomValueError as error:
            raise ValidationError(error.message, code="invalid") from error
        if stored is None and self.required:
            raise ValidationError(required_message(), code="required")
        return stored

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return normalize_value(self.definition, initial) != normalize_value(
                self.definition, data
            )
        except CustomValueError:
            return True


def _widget(definition: CustomField) -> forms.Widget:
    kind = definition.field_type
    language_choices = [
        (choice["key"], pick_translation(choice.get("labels")) or choice["key"])
        for choice in definition.active_choices
    ]
    if kind == FieldType.LONG_TEXT:
        return forms.Textarea(attrs={"rows": 3, "maxlength": LONG_TEXT_MAX_LENGTH})
    if kind == FieldType.TEXT:
        return forms.TextInput(attrs={"maxlength": TEXT_MAX_LENGTH})
    if kind == FieldType.INTEGER:
        return forms.TextInput(attrs={"inputmode": "numeric"})
    if kind == FieldType.DECIMAL:
        return forms.TextInput(attrs={"inputmode": "decimal"})
    if kind == FieldType.MONEY:
        return MoneyWidget()
    if kind == FieldType.DATE:
        return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    if kind == FieldType.DATETIME:
        return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    if kind == FieldType.BOOLEAN:
        return forms.Select(choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))])
    if kind == FieldType.SINGLE_CHOICE:
        return HeldChoicesSelect(definition, choices=[("", "—"), *language_choices])
    if kind == FieldType.MULTIPLE_CHOICE:
        return HeldChoicesCheckboxes(definition, choices=language_choices)
    if kind == FieldType.EMAIL:
        return forms.EmailInput()
    if kind == FieldType.PHONE:
        return forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})
    if kind == FieldType.URL:
        return forms.URLInput()
    return forms.TextInput()


def custom_form_fields(entity: str) -> dict[str, forms.Field]:
    """Form fields for the active custom fields of `entity`, named "custom_<key>".

    Add them to a form (`form.fields.update(...)`); give them initial values with
    `custom_form_initial`, and turn cleaned data into values with
    `custom_values_from_form`. Cleaning is the same `normalize_value` the API uses.
    """
    return {
        form_field_name(definition.key): CustomValueFormField(
            definition,
            label=definition.label,
            help_text=definition.help_text,
            required=definition.required,
            widget=_widget(definition),
        )
        for definition in active_custom_fields(entity)
    }


def form_initial_value(definition: CustomField, stored: Any) -> Any:
    """A stored value in the shape its widget shows."""
    if stored is None:
        return None
    if definition.field_type == FieldType.DATETIME:
        moment = datetime.fromisoformat(stored.replace("Z", "+00:00"))
        return timezone.localtime(moment, workspace_timezone()).strftime("%Y-%m-%dT%H:%M")
    if definition.field_type == FieldType.BOOLEAN:
        return "true" if stored else "false"
    return stored


def custom_form_initial(entity: str, values: dict[str, Any] | None) -> dict[str, Any]:
    """Initial data for `custom_form_fields` from a record's stored values."""
    values = values or {}
    return {
        form_field_name(definition.key): form_initial_value(definition, values[definition.key])
        for definition in active_custom_fields(entity)
        if definition.key in values
    }


def custom_values_from_form(entity: str, cleaned_data: dict[str, Any]) -> dict[str, Any]:
    """key -> value from a form's cleaned data, ready for the record actions.

    Every active field present on the form is included (None when emptied), so an
    action passing this to `clean_custom_values` clears what the user cleared.
    """
    return {
        definition.key: cleaned_data.get(form_field_name(definition.key))
        for definition in active_custom_fields(entity)
        if form_field_name(definition.key) in cleaned_data
    }
