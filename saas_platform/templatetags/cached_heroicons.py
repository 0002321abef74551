"""The heroicons template tags, memoised: registered as the `heroicons` library in settings.

The package's tags deep-copy the icon's parsed SVG and serialise it with ElementTree on every
use; a contact list draws ~50 icons (column picker, sort arrows, buttons), the navigation
six on every page, and that was a few milliseconds of each request. An icon's markup depends
only on its style, name, size and attributes, so each combination is built once per process.
Templates keep `{% load heroicons %}` and the same tags.
"""

from __future__ import annotations

import functools

import heroicons
from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@functools.lru_cache(maxsize=1024)
def _cached_markup(
    style: str, name: str, size: int | None, attrs: tuple[tuple[str, str], ...]
) -> SafeString:
    return mark_safe(heroicons._render_icon(style, name, size, dict(attrs)))  # noqa: S308


def _render(style: str, name: str, size: int | None, attrs: dict[str, object]) -> SafeString:
    # As the package's own tag: attribute values are escaped as plain text (a literal from a
    # template arrives as SafeString; `+ ""` makes it a plain str again).
    plain = tuple(
        sorted(
            (key, value + "" if isinstance(value, SafeString) else str(value))
            for key, value in attrs.items()
        )
    )
    return _cached_markup(style, str(name), size, plain)


@register.simple_tag
def heroicon_micro(name: str, *, size: int | None = 16, **attrs: object) -> SafeString:
    return _render("micro", name, size, attrs)


@register.simple_tag
def heroicon_mini(name: str, *, size: int | None = 20, **attrs: object) -> SafeString:
    return _render("mini", name, size, attrs)


@register.simple_tag
def heroicon_outline(name: str, *, size: int | None = 24, **attrs: object) -> SafeString:
    return _render("outline", name, size, attrs)


@register.simple_tag
def heroicon_solid(name: str, *, size: int | None = 24, **attrs: object) -> SafeString:
    return _render("solid", name, size, attrs)
