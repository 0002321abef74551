"""Decoding Stripe's form-encoded parameters into nested Python values.

The SDK sends ``application/x-www-form-urlencoded`` bodies (and query strings for GET/DELETE)
with bracketed keys: ``items[0][price]=price_1``, ``expand[0]=latest_invoice``,
``metadata[workspace]=acme``. Stripe's API turns those into nested objects and arrays; the
double does the same so handlers work on plain dicts and lists.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


class FormError(ValueError):
    """A parameter name Stripe would refuse (unbalanced brackets and the like)."""


def parse_form(body: str) -> dict[str, Any]:
    """Nested parameters from a form-encoded string (query string or request body)."""
    root: dict[str, Any] = {}
    for raw_key, value in parse_qsl(body, keep_blank_values=True):
        match = _KEY.match(raw_key)
        if not match:
            raise FormError(raw_key)
        parts = [match.group(1), *_PART.findall(match.group(2))]
        _assign(root, parts, value)
    return _listify(root)


def _assign(node: dict[str, Any], parts: list[str], value: str) -> None:
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "":
            # ``expand[]=a&expand[]=b``: append, keyed by position.
            part = str(len(node))
        if last:
            node[part] = value
        else:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child


def _listify(value: Any) -> Any:
    """Dicts keyed 0..n-1 become lists, recursively (what Stripe does with ``items[0]``)."""
    if not isinstance(value, dict):
        return value
    converted = {k: _listify(v) for k, v in value.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted
