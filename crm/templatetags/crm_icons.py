"""heroicons' `heroicon_mini` / `heroicon_outline` tags, each icon rendered once per process.

The heroicons tags copy the icon's SVG tree and serialise it on every use (about a
hundred function calls each, a dozen uses on a card); the result depends only on the
arguments. `{% load heroicons crm_icons %}` puts these in place of the originals.
"""

from functools import lru_cache
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from heroicons.templatetags import heroicons

register = template.Library()


@lru_cache(maxsize=512)
def _icon(style: str, name: str, size: Any, attributes: tuple[tuple[str, str], ...]) -> str:
    tag = heroicons.heroicon_mini if style == "mini" else heroicons.heroicon_outline
    return str(tag(name, size=size, **dict(attributes)))


def icon(style: str, name: str, size: Any, attributes: dict[str, Any]) -> SafeString:
    """The icon's markup (heroicons escapes the attributes), from the process's cache."""
    # str() is what heroicons does to every attribute value: equal strings, equal markup.
    key = tuple(sorted((key, str(value)) for key, value in attributes.items()))
    return mark_safe(_icon(style, str(name), size, key))  # noqa: S308 (heroicons' markup)


@register.simple_tag
def heroicon_mini(name: str, *, size: int | None = 20, **attributes: Any) -> SafeString:
    return icon("mini", name, size, attributes)


@register.simple_tag
def heroicon_outline(name: str, *, size: int | None = 24, **attributes: Any) -> SafeString:
    return icon("outline", name, size, attributes)
