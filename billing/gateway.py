"""Every call billing makes to Stripe, through the official SDK, in one module.

Configured from settings on each call (STRIPE_SECRET_KEY, STRIPE_API_BASE), so the same
code talks to real Stripe or to the test double. Every create call carries an idempotency
key; every change of a subscription says its `proration_behavior`.
"""

from __future__ import annotations

import json
from typing import Any

import stripe
from django.conf import settings

StripeError = stripe.StripeError
SignatureVerificationError = stripe.SignatureVerificationError
InvalidRequestError = stripe.InvalidRequestError


def _plain(obj: Any) -> dict[str, Any]:
    """Stripe's answer as plain dicts and lists (what billing stores and compares)."""
    return dict(obj.to_dict())


def hosted_page_origins() -> list[str]:
    """Where Checkout and the Customer Portal are served (the test double: its own host)."""
    from urllib.parse import urlsplit

    base = urlsplit(settings.STRIPE_API_BASE or "https://api.stripe.com")
    if base.hostname == "api.stripe.com":
        return ["https://checkout.stripe.com", "https://billing.stripe.com"]
    return [f"{base.scheme}://{base.netloc}"]


def _configure() -> None:
    stripe.api_key = settings.STRIPE_SECRET_KEY or "sk_test_double"
    stripe.api_base = settings.STRIPE_API_BASE or "https://api.stripe.com"
    stripe.max_network_retries = 2


def verify_webhook(payload: bytes, signature: str) -> dict[str, Any]:
    """Parse a webhook body after checking its Stripe-Signature header on the raw bytes.

    Raises SignatureVerificationError for a missing, forged or stale signature (older
    than STRIPE_WEBHOOK_TOLERANCE seconds) and ValueError for a body that is not JSON
    or not an event.
    """
    text = payload.decode("utf-8")
    stripe.WebhookSignature.verify_header(
        text, signature, settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_WEBHOOK_TOLERANCE
    )
    event = json.loads(text)
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise ValueError("not a Stripe event")
    return event


def create_product(*, name: str, idempotency_key: str, metadata: dict[str, str]) -> dict[str, Any]:
    _configure()
    return _plain(
        stripe.Product.create(name=name, metadata=metadata, idempotency_key=idempotency_key)
    )


def create_price(
    *,
    product: str,
    unit_amount: int,
    currency: str,
    interval: str,
    lookup_key: str,
    idempotency_key: str,
) -> dict[str, Any]:
    _configure()
    return _plain(
        stripe.Price.create(
            product=product,
            unit_amount=unit_amount,
            currency=currency,
            recurring={"interval": interval},
            lookup_key=lookup_key,
            idempotency_key=idempotency_key,
        )
    )


def create_customer(
    *, name: str, email: str, metadata: dict[str, str], idempotency_key: str
) -> dict[str, Any]:
    _configure()
    return _plain(
        stripe.Customer.create(
            name=name, email=email, metadata=metadata, idempotency_key=idempotency_key
        )
    )


def create_checkout_session(
    *,
    customer: str,
    price: str,
    quantity: int,
    success_url: str,
    cancel_url: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> dict[str, Any]:
    """A subscription-mode Checkout Session whose quantity the customer cannot change."""
    _configure()
    return _plain(
        stripe.checkout.Session.create(
            mode="subscription",
            customer=customer,
            client_reference_id=metadata.get("workspace_id", ""),
            line_items=[
                {"price": price, "quantity": quantity, "adjustable_quantity": {"enabled": False}}
            ],
            success_url=success_url,
            cancel_url=cancel_url,
            metadata=metadata,
            subscription_data={"metadata": metadata},
            idempotency_key=idempotency_key,
        )
    )


def retrieve_checkout_session(session_id: str) -> dict[str, Any]:
    _configure()
    return _plain(stripe.checkout.Session.retrieve(session_id))


def retrieve_subscription(subscription_id: str) -> dict[str, Any]:
    _configure()
    return _plain(stripe.Subscription.retrieve(subscription_id))


def retrieve_invoice(invoice_id: str) -> dict[str, Any]:
    _configure()
    return _plain(stripe.Invoice.retrieve(invoice_id))


def list_subscriptions(customer: str) -> list[dict[str, Any]]:
    _configure()
    found = stripe.Subscription.list(customer=customer, status="all", limit=20)
    return [_plain(subscription) for subscription in found.data]


def change_subscription_item(
    *,
    subscription_id: str,
    item_id: str,
    price: str,
    quantity: int,
    proration_behavior: str,
    idempotency_key: str,
) -> dict[str, Any]:
    """Set the subscription's one item to `price` x `quantity`.

    proration_behavior: "always_invoice" (added seats, upgrades: charged now) or "none"
    (reductions, downgrades: the new amount applies from the next renewal).
    """
    _configure()
    return _plain(
        stripe.Subscription.modify(
            subscription_id,
            items=[{"id": item_id, "price": price, "quantity": quantity}],
            proration_behavior=proration_behavior,
            idempotency_key=idempotency_key,
        )
    )


def set_cancel_at_period_end(
    *, subscription_id: str, cancel: bool, idempotency_key: str
) -> dict[str, Any]:
    _configure()
    return _plain(
        stripe.Subscription.modify(
            subscription_id,
            cancel_at_period_end=cancel,
            proration_behavior="none",
            idempotency_key=idempotency_key,
        )
    )


def create_portal_session(
    *, customer: str, return_url: str, idempotency_key: str
) -> dict[str, Any]:
    _configure()
    return _plain(
        stripe.billing_portal.Session.create(
            customer=customer, return_url=return_url, idempotency_key=idempotency_key
        )
    )


# ---------------------------------------------------------------- one-off backups, add-ons


def create_payment_checkout_session(
    *,
    customer: str,
    amount: int,
    currency: str,
    product_name: str,
    success_url: str,
    cancel_url: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> dict[str, Any]:
    """A payment-mode Checkout Session for one item of `amount` cents (a one-off purchase)."""
    _configure()
    return _plain(
        stripe.checkout.Session.create(
            mode="payment",
            customer=customer,
            client_reference_id=metadata.get("workspace_id", ""),
            line_items=[
                {
                    "price_data": {
                        "currency": currency,
                        "unit_amount": amount,
                        "product_data": {"name": product_name},
                    },
                    "quantity": 1,
                }
            ],
            success_url=success_url,
            cancel_url=cancel_url,
            metadata=metadata,
            payment_intent_data={"metadata": metadata, "description": product_name},
            idempotency_key=idempotency_key,
        )
    )


def create_invoice_item(
    *,
    customer: str,
    subscription: str,
    amount: int,
    currency: str,
    description: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> dict[str, Any]:
    """A pending invoice item on the customer: the subscription's next invoice collects it.

    A negative `amount` is a credit on that invoice.
    """
    _configure()
    return _plain(
        stripe.InvoiceItem.create(
            customer=customer,
            subscription=subscription,
            amount=amount,
            currency=currency,
            description=description,
            metadata=metadata,
            idempotency_key=idempotency_key,
        )
    )


def retrieve_invoice_item(invoice_item_id: str) -> dict[str, Any]:
    _configure()
    return _plain(stripe.InvoiceItem.retrieve(invoice_item_id))


def delete_invoice_item(invoice_item_id: str) -> dict[str, Any]:
    """Remove a pending invoice item (Stripe refuses once an invoice was finalized with it)."""
    _configure()
    return _plain(stripe.InvoiceItem.delete(invoice_item_id))


def create_refund(
    *, payment_intent: str, metadata: dict[str, str], idempotency_key: str
) -> dict[str, Any]:
    """Refund the whole successful charge of a payment intent."""
    _configure()
    return _plain(
        stripe.Refund.create(
            payment_intent=payment_intent,
            reason="requested_by_customer",
            metadata=metadata,
            idempotency_key=idempotency_key,
        )
    )


def create_addon_price(
    *,
    product_name: str,
    unit_amount: int,
    currency: str,
    interval: str,
    lookup_key: str,
    idempotency_key: str,
) -> dict[str, Any]:
    """A recurring price with its own product (an add-on of a subscription)."""
    _configure()
    return _plain(
        stripe.Price.create(
            product_data={"name": product_name},
            unit_amount=unit_amount,
            currency=currency,
            recurring={"interval": interval},
            lookup_key=lookup_key,
            idempotency_key=idempotency_key,
        )
    )


def add_subscription_item(
    *, subscription: str, price: str, metadata: dict[str, str], idempotency_key: str
) -> dict[str, Any]:
    """Add an item (an add-on) to a subscription; prorated onto the next invoice."""
    _configure()
    return _plain(
        stripe.SubscriptionItem.create(
            subscription=subscription,
            price=price,
            quantity=1,
            metadata=metadata,
            proration_behavior="create_prorations",
            idempotency_key=idempotency_key,
        )
    )


def delete_subscription_item(*, item_id: str) -> dict[str, Any]:
    """Remove an add-on item; the unused time is credited on the next invoice."""
    _configure()
    return _plain(stripe.SubscriptionItem.delete(item_id, proration_behavior="create_prorations"))
