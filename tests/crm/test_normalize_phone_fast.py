# ruff: noqa: RUF001 (full-width and Arabic-Indic digits are the point of some inputs)
"""The plain-shape fast path of crm.normalize.parse_phone gives phonenumbers' own answers.

`_plain_phone` answers only for plain valid numbers; whatever it answers must be what
the full parse (phonenumbers.parse, is_possible_number, is_valid_number, E.164) gives,
and parse_phone as a whole must agree with the full parse on every input. Compared over
many generated inputs: real numbers of many countries in national, international and
E.164 forms with assorted separators, prefixes (8, 0, 00, 810, the code without "+"),
random digit strings of every length, invalid numbers, extensions, letters and odd
punctuation, read with several default countries.
"""

import random

import phonenumbers
import pytest

from crm import normalize

DEFAULT_COUNTRIES = ("RU", "UA", "BY", "KZ", "US", "GB", "DE", "IT", "PL", "FR", "IL", "BR")
EXAMPLE_REGIONS = (
    *DEFAULT_COUNTRIES,
    "AR",
    "AU",
    "CN",
    "IN",
    "JP",
    "MX",
    "NL",
    "SE",
    "TR",
    "UZ",
    "GE",
    "AM",
    "AZ",
    "KG",
    "MD",
    "LT",
    "LV",
    "EE",
    "CZ",
    "CI",
    "SM",
    "VA",
    "NZ",
    "CA",
    "AE",
)
FORMATS = (
    phonenumbers.PhoneNumberFormat.NATIONAL,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.E164,
)
TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
)


def _separated(rng: random.Random, digits: str) -> str:
    out = []
    for char in digits:
        out.append(char)
        if rng.random() < 0.3:
            out.append(rng.choice([" ", "-", ".", "(", ")", " (", ") ", "  ", "--"]))
    return "".join(out)


def _examples(rng: random.Random) -> list[str]:
    texts = []
    for region in EXAMPLE_REGIONS:
        for kind in TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            national = str(example.national_number)
            for _round in range(5):
                # Vary the example's last digits: valid and invalid neighbours.
                keep = max(1, len(national) - rng.randint(1, 5))
                tail = "".join(rng.choice("0123456789") for _ in range(len(national) - keep))
                number = phonenumbers.PhoneNumber(
                    country_code=example.country_code,
                    national_number=int(national[:keep] + tail),
                    italian_leading_zero=example.italian_leading_zero,
                )
                for form in FORMATS:
                    texts.append(phonenumbers.format_number(number, form))
                digits = national[:keep] + tail
                code = str(example.country_code)
                texts += [
                    "+" + code + digits,
                    "+" + code + " " + _separated(rng, digits),
                    code + digits,
                    code + " " + _separated(rng, digits),
                    "8" + digits,
                    "8 " + _separated(rng, digits),
                    "0" + digits,
                    "00" + code + digits,
                    "810" + code + digits,
                    "011" + code + digits,
                    "+" + code + "0" + digits,
                    "+" + code + "8" + digits,
                    _separated(rng, digits),
                    "(" + digits[:3] + ") " + digits[3:],
                    "+" + _separated(rng, code + digits),
                ]
    return texts


def _random_digits(rng: random.Random) -> list[str]:
    texts = []
    for length in range(1, 22):
        for _round in range(12):
            digits = "".join(rng.choice("0123456789") for _ in range(length))
            texts += [digits, "+" + digits, _separated(rng, digits), "+ " + _separated(rng, digits)]
            texts += ["8" + digits, "7" + digits, "38" + digits, "+7" + digits, "+380" + digits]
    return texts


ODD = [
    "+7 916 123-45-67",
    "8 (495) 123-45-67",
    "+7 (916) 123 45 67 доб. 12",
    "+7 916 123-45-67 ext 5",
    "+7 916 123-45-67 x5",
    "8 495 123-45-67#",
    "8 495 1234567;ext=12",
    "8 495 1234567,,12",
    "+7 916 CALL-ME1",
    "1-800-FLOWERS",
    "+7 916 123 45 67/x2",
    "tel:+7-916-123-45-67",
    "+7\u00a0916\u00a01234567",
    "+7\t9161234567",
    "＋７ ９１６ １２３ ４５ ６７",
    "٠٩١٦١٢٣٤٥٦٧",
    "++7 916 1234567",
    "+(7) 916 1234567",
    "(+7) 916 1234567",
    "+7 916 1234567 " + " " * 250,
    "+7" + " " * 260 + "9161234567",
    "--+7 916 1234567",
    "+7..916..1234567",
    "+-7-916-1234567",
    "((((8)))) 495 1234567",
    "8 (495) 123-45-67)",
    "+",
    "+0 123 456",
    "+00 123 456",
    "+999 123 456 789",
    "+800 1234 5678",
    "+882 1234 567890",
    "+39 06 1234 5678",
    "+39 3123456789",
    "+44 (0) 20 7946 0958",
    "+380 (44) 123-45-67",
    "0 44 123 45 67",
    "80 44 123 45 67",
    "+375 29 123-45-67",
    "8 029 123-45-67",
    "+1 (212) 555-0123",
    "1 212 555 0123",
    "+7 700 123 4567",
    "8 700 123 4567",
    "12",
    "123",
    "8 800 555 35 35",
    "+7 800 555-35-35",
]


@pytest.fixture(scope="module")
def inputs() -> list[str]:
    rng = random.Random(1729)
    return [*ODD, *_examples(rng), *_random_digits(rng)]


def test_the_fast_path_answers_exactly_as_phonenumbers(inputs: list[str]) -> None:
    fast_answers = 0
    for country in DEFAULT_COUNTRIES:
        for raw in inputs:
            text = raw.strip()
            if text.startswith("00"):
                text = "+" + text[2:]  # what _parsed_phone does first
            full = normalize._full_parse(text, country)
            fast = normalize._plain_phone(text, country)
            if fast is not None:
                fast_answers += 1
                assert fast == full, (raw, country, fast, full)
            normalize._parsed_phone.cache_clear()
            try:
                whole: str | None = normalize.parse_phone(raw, default_country=country)
            except normalize.PhoneNotValidError:
                whole = None
            expected = normalize._full_parse(text, country) if text else None
            if not text or not any(char.isdigit() for char in text):
                expected = None
            assert whole == expected, (raw, country, whole, expected)
    # Not vacuous: plenty of inputs went the fast way.
    assert fast_answers > 3_000


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("+7 916 123-45-67", "RU", "+79161234567"),
        ("8 (495) 123-45-67", "RU", "+74951234567"),
        ("(495) 123-45-67", "RU", "+74951234567"),
        ("+380 44 123 45 67", "RU", "+380441234567"),
        ("044 123 45 67", "UA", "+380441234567"),
        ("+1 212 555 0123", "UA", "+12125550123"),
        ("+1 (201) 555-0123", "RU", "+12015550123"),
    ],
)
def test_common_shapes_take_the_fast_path(raw: str, country: str, e164: str | None) -> None:
    assert normalize._plain_phone(raw, country) == e164
    assert normalize._full_parse(raw, country) == e164


def test_unusual_shapes_go_to_the_full_parse() -> None:
    # An extension, letters, a non-breaking space: phonenumbers reads them, not the fast path.
    for raw in ("+7 916 123-45-67 доб. 12", "+7 916 123-45-67 x5", "+7\u00a0916\u00a01234567"):
        assert normalize._plain_phone(raw, "RU") is None
        assert normalize.parse_phone(raw, default_country="RU") == "+79161234567"
