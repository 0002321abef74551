from tests.stripe_double_fixture import stripe_double, stripe_double_factory  # noqa: F401
