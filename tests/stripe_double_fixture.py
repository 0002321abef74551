"""Pytest fixtures for tests that talk to Stripe: the real SDK against the Stripe test double.

Use them from a conftest (``from tests.stripe_double_fixture import stripe_double  # noqa:
F401``) or import ``stripe_double_server`` directly. The fixture points the SDK's module
globals (``stripe.api_key``, ``stripe.api_base``) at a fresh double and restores them after.

Webhooks: by default they are kept (``webhook_mode="manual"``) so a test decides how to
deliver them: ``double.take_webhooks()`` gives signed payloads to post with Django's test
client, or ``double.configure_webhooks(url=live_server.url + "/billing/stripe/webhook/",
mode="sync")`` posts them for real.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import stripe

import stripe_double as double_package
from stripe_double import DoubleServer

TEST_API_KEY = "sk_test_double"
TEST_WEBHOOK_SECRET = "whsec_test_double_secret"


@contextmanager
def stripe_double_server(**options: Any) -> Iterator[DoubleServer]:
    """A running double with the SDK pointed at it; the SDK's settings are restored after."""
    options.setdefault("webhook_secret", TEST_WEBHOOK_SECRET)
    options.setdefault("webhook_mode", "manual")
    saved = (stripe.api_key, stripe.api_base, stripe.max_network_retries)
    with double_package.run(**options) as double:
        stripe.api_key = TEST_API_KEY
        stripe.api_base = double.url
        stripe.max_network_retries = 0
        try:
            yield double
        finally:
            stripe.api_key, stripe.api_base, stripe.max_network_retries = saved


@pytest.fixture
def stripe_double_factory() -> Iterator[Callable[..., DoubleServer]]:
    """Start a double with options (``webhook_url``, ``webhook_mode``, ``retry_delays``...)."""
    stack: list[Any] = []

    def make(**options: Any) -> DoubleServer:
        manager = stripe_double_server(**options)
        double = manager.__enter__()
        stack.append(manager)
        return double

    yield make
    while stack:
        stack.pop().__exit__(None, None, None)


@pytest.fixture
def stripe_double(stripe_double_factory: Callable[..., DoubleServer]) -> DoubleServer:
    """A fresh double, webhooks kept for the test to take (``take_webhooks()``)."""
    return stripe_double_factory()
