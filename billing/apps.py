from django.apps import AppConfig


class BillingConfig(AppConfig):
    """Plans, subscriptions, seats and Stripe (filled by the billing issue)."""

    name = "billing"
    verbose_name = "Billing"
