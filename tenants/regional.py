"""Region of a workspace: country and time zone, their guesses and how they are offered.

The audience is Ukrainian and Russian-speaking businesses first, so the time zones
they use come first, with names in the reader's language and their UTC offset; the
rest follow from the IANA table of canonical zones (`zone.tab`), which never lists a
deprecated alias such as `Europe/Kiev`.
"""

import functools
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Aliases older data or browsers may still send, mapped to today's canonical name.
DEPRECATED_ZONE_ALIASES = {
    "Europe/Kiev": "Europe/Kyiv",
    "Europe/Uzhgorod": "Europe/Kyiv",
    "Europe/Zaporozhye": "Europe/Kyiv",
    "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Rangoon": "Asia/Yangon",
    "Europe/Nicosia": "Asia/Nicosia",
    "Etc/UTC": "UTC",
    "Etc/GMT": "UTC",
    "GMT": "UTC",
    "W-SU": "Europe/Moscow",
}

# The zones people here use, first in every list, with their names in the reader's language.
COMMON_ZONES: dict[str, object] = {
    "Europe/Kyiv": pgettext_lazy("time zone", "Kyiv"),
    "Europe/Moscow": pgettext_lazy("time zone", "Moscow"),
    "Europe/Kaliningrad": pgettext_lazy("time zone", "Kaliningrad"),
    "Europe/Samara": pgettext_lazy("time zone", "Samara"),
    "Asia/Yekaterinburg": pgettext_lazy("time zone", "Yekaterinburg"),
    "Asia/Omsk": pgettext_lazy("time zone", "Omsk"),
    "Asia/Novosibirsk": pgettext_lazy("time zone", "Novosibirsk"),
    "Asia/Krasnoyarsk": pgettext_lazy("time zone", "Krasnoyarsk"),
    "Asia/Irkutsk": pgettext_lazy("time zone", "Irkutsk"),
    "Asia/Yakutsk": pgettext_lazy("time zone", "Yakutsk"),
    "Asia/Vladivostok": pgettext_lazy("time zone", "Vladivostok"),
    "Asia/Magadan": pgettext_lazy("time zone", "Magadan"),
    "Asia/Kamchatka": pgettext_lazy("time zone", "Kamchatka"),
    "Europe/Minsk": pgettext_lazy("time zone", "Minsk"),
    "Europe/Chisinau": pgettext_lazy("time zone", "Chisinau"),
    "Europe/Warsaw": pgettext_lazy("time zone", "Warsaw"),
    "Europe/Vilnius": pgettext_lazy("time zone", "Vilnius"),
    "Europe/Riga": pgettext_lazy("time zone", "Riga"),
    "Europe/Tallinn": pgettext_lazy("time zone", "Tallinn"),
    "Asia/Almaty": pgettext_lazy("time zone", "Almaty"),
    "Asia/Tashkent": pgettext_lazy("time zone", "Tashkent"),
    "Asia/Bishkek": pgettext_lazy("time zone", "Bishkek"),
    "Asia/Tbilisi": pgettext_lazy("time zone", "Tbilisi"),
    "Asia/Yerevan": pgettext_lazy("time zone", "Yerevan"),
    "Asia/Baku": pgettext_lazy("time zone", "Baku"),
    "Europe/Istanbul": pgettext_lazy("time zone", "Istanbul"),
    "Europe/Berlin": pgettext_lazy("time zone", "Berlin"),
    "Europe/London": pgettext_lazy("time zone", "London"),
    "UTC": pgettext_lazy("time zone", "UTC"),
}

# What a signup in each language means when the browser says nothing better.
LANGUAGE_REGION_DEFAULTS = {
    "uk": ("UA", "Europe/Kyiv"),
    "ru": ("RU", "Europe/Moscow"),
    "en": ("GB", "Europe/London"),
}
FALLBACK_REGION = ("UA", "Europe/Kyiv")


@dataclass(frozen=True)
class Region:
    country: str
    time_zone: str


def _zone_tab_paths() -> Iterable[Path]:
    for root in zoneinfo.TZPATH:
        yield Path(root) / "zone.tab"


@functools.cache
def zone_countries() -> dict[str, str]:
    """Canonical IANA zone -> ISO country code, from zone.tab (no deprecated aliases)."""
    for path in _zone_tab_paths():
        if path.exists():
            mapping: dict[str, str] = {}
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.startswith("#") or not line.strip():
                    continue
                parts = line.split("\t")
                if len(parts) >= 3:
                    mapping[parts[2]] = parts[0]
            return mapping
    # No system table: every zone the runtime knows, minus the aliases we know of.
    known = zoneinfo.available_timezones()
    return {name: "" for name in known if name not in DEPRECATED_ZONE_ALIASES and "/" in name}


def canonical_zone(name: str) -> str | None:
    """The canonical spelling of a time zone name, or None for an unknown one."""
    name = (name or "").strip()
    name = DEPRECATED_ZONE_ALIASES.get(name, name)
    if name in zone_countries() or name in COMMON_ZONES:
        return name
    return None


def utc_offset_label(name: str, at: datetime | None = None) -> str:
    """ "UTC+02:00" for the zone's offset now (or at `at`)."""
    moment = at or timezone.now()
    offset = moment.astimezone(zoneinfo.ZoneInfo(name)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


# The IANA regions (the first part of a zone's name), as a reader says them.
ZONE_REGIONS: dict[str, object] = {
    "Africa": pgettext_lazy("time zone region", "Africa"),
    "America": pgettext_lazy("time zone region", "America"),
    "Antarctica": pgettext_lazy("time zone region", "Antarctica"),
    "Arctic": pgettext_lazy("time zone region", "Arctic"),
    "Asia": pgettext_lazy("time zone region", "Asia"),
    "Atlantic": pgettext_lazy("time zone region", "Atlantic"),
    "Australia": pgettext_lazy("time zone region", "Australia"),
    "Europe": pgettext_lazy("time zone region", "Europe"),
    "Indian": pgettext_lazy("time zone region", "Indian Ocean"),
    "Pacific": pgettext_lazy("time zone region", "Pacific"),
}


@functools.lru_cache(maxsize=4096)
def _city_name(name: str, language: str) -> str:
    """The zone's city in `language`, from CLDR (Babel): "Абиджан" for Africa/Abidjan."""
    from babel import Locale, UnknownLocaleError
    from babel.dates import get_timezone_location

    try:
        return str(get_timezone_location(name, locale=Locale.parse(language), return_city=True))
    except (UnknownLocaleError, LookupError, ValueError):
        return name.split("/")[-1].replace("_", " ")


def zone_label(name: str) -> str:
    """A zone as people read it: "Kyiv (UTC+02:00)", in the active language."""
    from django.utils import translation

    name = DEPRECATED_ZONE_ALIASES.get(name, name)
    city = COMMON_ZONES.get(name)
    if city is None:
        language = (translation.get_language() or "en").split("-")[0]
        city = _city_name(name, language)
        region = ZONE_REGIONS.get(name.split("/")[0]) if "/" in name else None
        city = f"{city} ({region})" if region else city
    try:
        return f"{city} · {utc_offset_label(name)}"
    except zoneinfo.ZoneInfoNotFoundError:
        return str(city)


def member_zone_info(user: object, workspace_zone: str) -> zoneinfo.ZoneInfo:
    """The zone a member sees times in: their own (My account) or else the workspace's.

    A stored zone the system no longer knows falls back to the workspace's, never a 500.
    """
    own = str(getattr(user, "time_zone", "") or "")
    if own:
        try:
            return zoneinfo.ZoneInfo(own)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return zoneinfo.ZoneInfo(workspace_zone)


def time_zone_choices() -> list[tuple[object, list[tuple[str, str]]]]:
    """Grouped choices: the common zones first, then every other canonical zone.

    Evaluated per form, in the reader's language, so offsets follow summer time.
    """
    common = [(name, zone_label(name)) for name in COMMON_ZONES]
    others = sorted(
        (name for name in zone_countries() if name not in COMMON_ZONES),
        key=lambda name: (utc_offset_label(name), name),
    )
    return [
        (_("Common"), common),
        (_("All time zones"), [(name, zone_label(name)) for name in others]),
    ]


def guess_region(
    *, language: str, browser_time_zone: str = "", accept_language: str = ""
) -> Region:
    """Country and time zone a new workspace most likely wants.

    The browser's time zone wins (it also names the country, via zone.tab); without
    it, the page's language (uk -> Ukraine/Kyiv, ru -> Russia/Moscow) and, for
    English, the region of the browser's Accept-Language (en-US -> US).
    """
    country, zone = LANGUAGE_REGION_DEFAULTS.get(language, FALLBACK_REGION)
    browser_zone = canonical_zone(browser_time_zone)
    if browser_zone is not None:
        zone = browser_zone
        country = zone_countries().get(browser_zone) or country
    elif language == "en":
        accept_country = _country_from_accept_language(accept_language)
        if accept_country:
            country = accept_country
            zone = next(
                (name for name, code in zone_countries().items() if code == accept_country),
                zone,
            )
    return Region(country=country, time_zone=zone)


def _country_from_accept_language(header: str) -> str:
    for part in header.split(","):
        tag = part.split(";")[0].strip()
        pieces = tag.replace("_", "-").split("-")
        if len(pieces) >= 2 and len(pieces[1]) == 2 and pieces[1].isalpha():
            return pieces[1].upper()
    return ""
