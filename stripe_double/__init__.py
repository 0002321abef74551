"""A stateful Stripe test double: Stripe's REST API on loopback for the real ``stripe`` SDK.

Tests (and ``make run`` without a Stripe key) point ``stripe.api_base`` at it::

    import stripe, stripe_double

    with stripe_double.run(webhook_url=url, webhook_secret="whsec_x") as double:
        stripe.api_key = "sk_test_double"
        stripe.api_base = double.url
        ...
        double.complete_checkout(session.id)
        double.advance_clock(days=31)

Never imported by the product's runtime code; see ``stripe_double/README.md``.
"""

from .engine import API_VERSION, TEST_CARDS, Engine
from .errors import StripeError
from .server import DoubleServer, run
from .webhooks import SignedWebhook, sign

__all__ = [
    "API_VERSION",
    "TEST_CARDS",
    "DoubleServer",
    "Engine",
    "SignedWebhook",
    "StripeError",
    "run",
    "sign",
]
