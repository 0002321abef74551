"""Refusing parameters Stripe would refuse, using the SDK's own parameter definitions.

Real Stripe answers ``400 parameter_unknown`` ("Received unknown parameter: items[0][qty]")
for any parameter an endpoint does not take; code that passed the double with a misspelt
parameter would otherwise fail only against real Stripe. The ``stripe`` SDK ships a
``TypedDict`` per endpoint (``stripe.params.SubscriptionModifyParams`` and its nested
``SubscriptionModifyParamsItem``...), generated from Stripe's OpenAPI spec: the double checks
each request's keys against them, recursively. Endpoints without a known class are not checked.
"""

from __future__ import annotations

import importlib
import re
import sys
from functools import cache
from typing import Any

from .errors import unknown

_CLASS = re.compile(r"\b([A-Z][A-Za-z0-9]*Params[A-Za-z0-9]*)\b")


@cache
def _request_option_keys() -> frozenset[str]:
    from stripe._request_options import RequestOptions

    return frozenset(RequestOptions.__annotations__)


@cache
def resolve(dotted: str) -> type | None:
    """``"SubscriptionModifyParams"`` or ``"checkout.SessionCreateParams"`` -> the class."""
    module_name, _, name = dotted.rpartition(".")
    try:
        module = importlib.import_module(f"stripe.params{'.' + module_name if module_name else ''}")
        found = getattr(module, name)
    except (ImportError, AttributeError):
        return None
    return found if isinstance(found, type) else None


@cache
def fields(cls: type) -> dict[str, type | None]:
    """Each parameter name of ``cls`` and the params class of its value (when it has one)."""
    annotations: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        annotations.update(getattr(klass, "__annotations__", {}))
    module = sys.modules[cls.__module__]
    result: dict[str, type | None] = {}
    for name, annotation in annotations.items():
        if name in _request_option_keys():
            continue
        names = set(_CLASS.findall(str(annotation)))
        nested = getattr(module, names.pop(), None) if len(names) == 1 else None
        result[name] = nested if isinstance(nested, type) else None
    return result


def check(params: dict[str, Any], dotted: str | None) -> None:
    """Raise Stripe's ``parameter_unknown`` error for the first parameter ``dotted`` lacks."""
    if not dotted:
        return
    cls = resolve(dotted)
    if cls is not None:
        _check(params, cls, "")


def _check(params: dict[str, Any], cls: type, prefix: str) -> None:
    known = fields(cls)
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else key
        if key not in known:
            raise unknown(name)
        nested = known[key]
        if nested is None:
            continue
        if isinstance(value, dict):
            _check(value, nested, name)
        elif isinstance(value, list):
            for i, element in enumerate(value):
                if isinstance(element, dict):
                    _check(element, nested, f"{name}[{i}]")
