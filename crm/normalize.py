# ruff: noqa: RUF001 (Cyrillic letters and apostrophes are the point of this table)
"""Normalising what people type: names for search, phones, e-mails, tax numbers.

Pure functions, no database: the actions, the search selector and seed_crm share them,
so a value is written and looked up in exactly the same shape.

Names are searched in one script. Russian and Ukrainian names are transliterated to
plain Latin letters (a simple, lossy scheme, not a passport standard), lower-cased, so
"Иванова Мария", "ivanova" and "Ivanov Marya" meet on the same trigrams. Keeping the
indexed column in ASCII also keeps pg_trgm independent of the database's locale (under
some LC_CTYPE settings Cyrillic letters are not "word characters" to pg_trgm).
"""

import functools
import re
import unicodedata
from typing import Any

import phonenumbers

_CYRILLIC_TO_LATIN = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "ґ": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "є": "ye",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "і": "i",
    "ї": "yi",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "'": "",
    "’": "",
    "ʼ": "",
}
_NOT_WORD = re.compile(r"[^a-z0-9@._+-]+")
_SPACES = re.compile(r"\s+")
_DIGITS = re.compile(r"\D+")


# The same table for str.translate (one C pass instead of a dict lookup per character).
_TRANSLITERATION = str.maketrans(_CYRILLIC_TO_LATIN)


def transliterate(text: str) -> str:
    """Lower-case Latin form of `text` (Cyrillic transliterated, accents dropped)."""
    letters = text.casefold().translate(_TRANSLITERATION)
    if letters.isascii():
        return letters  # nothing to decompose: NFKD leaves ASCII as it is
    decomposed = unicodedata.normalize("NFKD", letters)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def search_text(*parts: str | None) -> str:
    """The indexed search form of a name: transliterated words separated by one space."""
    words = []
    for part in parts:
        if part:
            words.extend(_NOT_WORD.sub(" ", transliterate(part)).split())
    return " ".join(words)


def search_words(query: str) -> list[str]:
    """The words of a search query in the indexed form (see `search_text`)."""
    return search_text(query).split()


def digits_of(text: str) -> str:
    return _DIGITS.sub("", text)


def casefold_email(address: str) -> str:
    return address.strip().casefold()


class PhoneNotValidError(ValueError):
    """The text cannot be a phone number (the message is chosen by the caller)."""


def parse_phone(raw: str, *, default_country: str) -> str:
    """E.164 form of `raw`, read with the workspace's default country; raises PhoneNotValidError.

    "8 (916) 123-45-67" in a Russian workspace and "+7 916 1234567" both give
    "+79161234567". Numbers that cannot exist (wrong length for the country, unknown
    prefix) are refused: phonenumbers.is_possible_number and is_valid_number.
    """
    e164 = _parsed_phone(raw.strip(), (default_country or "RU").upper())
    if e164 is None:
        raise PhoneNotValidError(raw)
    return e164


@functools.lru_cache(maxsize=65_536)
def _parsed_phone(text: str, country: str) -> str | None:
    """parse_phone's answer for one text and country (None: not a phone), remembered.

    phonenumbers takes a good fraction of a millisecond per number; files repeat the
    same office and switchboard numbers, and a check followed by a run reads each twice.
    """
    if not text or not any(char.isdigit() for char in text):
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    fast = _plain_phone(text, country)
    if fast is not None:
        return fast
    return _full_parse(text, country)


def _full_parse(text: str, country: str) -> str | None:
    """phonenumbers' own parse and checks: every shape the fast path does not take."""
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


# ---------------------------------------------------------------- the plain-shape fast path
#
# phonenumbers.parse spends most of its ~40 µs on what a plain number does not need: the
# RFC 3966 and extension patterns, vanity letters, Unicode digits. A text made only of
# ASCII digits and the separators below (one optional leading "+") cannot hold any of
# those (extensions need a letter, "#", "~", ";" or ","), so for it parse's outcome is
# decided by the steps `_plain_phone` repeats, in parse's order, with phonenumbers' own
# helpers and metadata. It answers only when the number comes out valid; anything else
# (and every unusual case below) goes through the full parse, so a refusal is always
# phonenumbers' own. tests/crm/test_normalize_phone_fast.py compares both over many inputs.
_PLAIN_PHONE = re.compile(r"\+?[0-9 ().\-]*[0-9][0-9 ().\-]*")
_SEPARATORS = str.maketrans("", "", " ().-")

try:
    from phonenumbers.phonenumberutil import (
        _MAX_INPUT_STRING_LENGTH,
        _MAX_LENGTH_FOR_NSN,
        _MIN_LENGTH_FOR_NSN,
        COUNTRY_CODE_TO_REGION_CODE,
        ValidationResult,
        _maybe_strip_national_prefix_carrier_code,
        _test_number_length,
        region_code_for_country_code,
    )

    _FAST_PATH = True
except ImportError:  # pragma: no cover (another phonenumbers: the full parse only)
    _FAST_PATH = False

_REGION_METADATA: dict[str, Any] = {}
_IDD_PATTERNS: dict[str, re.Pattern[str] | None] = {}


def _region_metadata(region: str) -> Any:
    try:
        return _REGION_METADATA[region]
    except KeyError:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region, None)
        _REGION_METADATA[region] = metadata
        prefix = metadata.international_prefix if metadata is not None else None
        _IDD_PATTERNS[region] = re.compile(prefix) if prefix else None
        return metadata


def _plain_phone(text: str, country: str) -> str | None:
    """E.164 of a plain valid number, exactly as phonenumbers would give it; else None."""
    if not _FAST_PATH or len(text) > _MAX_INPUT_STRING_LENGTH or not _PLAIN_PHONE.fullmatch(text):
        return None
    metadata = _region_metadata(country)
    if metadata is None:
        return None  # unknown default region: parse decides
    digits = text.translate(_SEPARATORS).lstrip("+")
    if len(digits) < 3:
        return None
    if text[0] == "+":
        # _maybe_extract_country_code with a plus sign: the first known 1-3 digit code.
        if digits[0] == "0":
            return None
        for size in (1, 2, 3):
            code = int(digits[:size])
            if code in COUNTRY_CODE_TO_REGION_CODE:
                break
        else:
            return None
        national = digits[size:]
        number_region = region_code_for_country_code(code)
        if number_region != country:
            metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
                code, number_region
            )
            if metadata is None:
                return None
    else:
        idd = _IDD_PATTERNS[country]
        if idd is not None and idd.match(digits):
            return None  # an international prefix ("810", "00"...): parse's IDD path
        code = metadata.country_code
        if digits.startswith(str(code)):
            return None  # maybe the country code without "+": parse's own judgement
        national = digits
    if len(national) < _MIN_LENGTH_FOR_NSN:
        return None
    _carrier, stripped, _found = _maybe_strip_national_prefix_carrier_code(national, metadata)
    if _test_number_length(stripped, metadata) not in (
        ValidationResult.TOO_SHORT,
        ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
        ValidationResult.INVALID_LENGTH,
    ):
        national = stripped
    if not _MIN_LENGTH_FOR_NSN <= len(national) <= _MAX_LENGTH_FOR_NSN or national[0] == "0":
        return None  # too short/long, or an Italian leading zero: parse decides
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        return None
    return f"+{code}{national}"


def phone_query_digits(query: str, *, default_country: str) -> list[str]:
    """Digit strings a phone search should find as number endings.

    The digits as typed (a suffix like "4567" or "45-67"), and the full E.164 digits
    when the text reads as a complete number in the workspace's country ("8 916 ...").
    """
    typed = digits_of(query)
    if len(typed) < 4:
        return []
    candidates = [typed]
    try:
        e164_digits = parse_phone(query, default_country=default_country)[1:]
    except PhoneNotValidError:
        e164_digits = ""
    if e164_digits and e164_digits not in candidates:
        candidates.append(e164_digits)
    return candidates


def tax_number_kind(value: str) -> str | None:
    """'inn' or 'edrpou' when `value` (digits only) passes its checksum, else None.

    INN: 10 digits (organisations) or 12 (individuals) with the Russian Federal Tax
    Service's weighted checksums. EDRPOU: 8 digits with Ukraine's two-pass checksum.
    Leading zeros are significant, so the value stays a string.
    """
    if not value.isdigit():
        return None
    if len(value) == 10 and _inn10_ok(value):
        return "inn"
    if len(value) == 12 and _inn12_ok(value):
        return "inn"
    if len(value) == 8 and _edrpou_ok(value):
        return "edrpou"
    return None


def _weighted(value: str, weights: tuple[int, ...]) -> int:
    return sum(int(digit) * weight for digit, weight in zip(value, weights, strict=False))


def _inn10_ok(value: str) -> bool:
    check = _weighted(value, (2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10
    return check == int(value[9])


def _inn12_ok(value: str) -> bool:
    first = _weighted(value, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10
    second = _weighted(value, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10
    return first == int(value[10]) and second == int(value[11])


def edrpou_check_digit(first_seven: str) -> int:
    """The eighth digit of an EDRPOU code from its first seven (seed data uses it too)."""
    number = int(first_seven)
    if number < 3_000_000 or number >= 6_000_000:
        weights: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)
        alternative: tuple[int, ...] = (3, 4, 5, 6, 7, 8, 9)
    else:
        weights = (7, 1, 2, 3, 4, 5, 6)
        alternative = (9, 3, 4, 5, 6, 7, 8)
    check = _weighted(first_seven, weights) % 11
    if check == 10:
        check = _weighted(first_seven, alternative) % 11
        if check == 10:
            check = 0
    return check


def _edrpou_ok(value: str) -> bool:
    return edrpou_check_digit(value[:7]) == int(value[7])


def inn10_check_digit(first_nine: str) -> int:
    return _weighted(first_nine, (2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10


def inn12_check_digits(first_ten: str) -> str:
    first = _weighted(first_ten, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10
    second = _weighted(first_ten + str(first), (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10
    return f"{first}{second}"


def clean_spaces(text: str | None) -> str:
    return _SPACES.sub(" ", text or "").strip()
