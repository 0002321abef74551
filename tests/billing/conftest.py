"""Billing tests: the real stripe SDK against the project's Stripe test double over HTTP.

Webhooks are kept by the double (manual mode) and posted, signed as Stripe signs them,
to the real endpoint through Django's test client; the Celery task that processes each
one runs eagerly once the webhook's transaction commits, as it would in a worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, TestCase
from django_tenants.utils import schema_context

from billing.models import Subscription
from tests.conftest import host_of
from tests.stripe_double_fixture import (  # noqa: F401
    TEST_WEBHOOK_SECRET,
    stripe_double,
    stripe_double_factory,
)

LOGIN_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"
WEBHOOK_PATH = "/billing/stripe/webhook/"


@pytest.fixture
def stripe_settings(settings, stripe_double):  # type: ignore[no-untyped-def]  # noqa: F811
    """Billing's settings pointed at the double; returns the double."""
    settings.STRIPE_SECRET_KEY = "sk_test_double"
    settings.STRIPE_API_BASE = stripe_double.url
    settings.STRIPE_WEBHOOK_SECRET = TEST_WEBHOOK_SECRET
    return stripe_double


def post_webhook(payload: bytes, signature: str | None) -> Any:
    """Post one webhook to the public site's endpoint, running the on-commit task."""
    client = Client(HTTP_HOST="localhost")
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature is not None else {}
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(WEBHOOK_PATH, data=payload, content_type="application/json", **headers)


@pytest.fixture
def deliver(stripe_settings) -> Callable[[], list[int]]:  # type: ignore[no-untyped-def]
    """Post every webhook the double has for us, in order; returns the HTTP statuses."""

    def run() -> list[int]:
        return [
            post_webhook(hook.payload, hook.signature).status_code
            for hook in stripe_settings.take_webhooks()
        ]

    return run


def admin_client(new) -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_HOST=host_of(new))
    with schema_context(new.workspace.schema_name):
        client.force_login(new.owner, backend=LOGIN_BACKEND)
    return client


def subscription(new) -> Subscription:  # type: ignore[no-untyped-def]
    return Subscription.objects.select_related("plan", "workspace").get(workspace=new.workspace)
