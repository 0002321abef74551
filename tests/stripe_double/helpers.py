"""Small builders shared by the double's tests (all through the real SDK)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

import stripe

# 1 April 2026 00:00 UTC: April has 30 days, so a monthly period is exactly 30 days.
APRIL_1 = calendar.timegm(dt.datetime(2026, 4, 1, tzinfo=dt.UTC).timetuple())
DAY = 86400


def seat_price(
    amount: int = 1000, interval: str = "month", name: str = "Team plan", **extra: Any
) -> stripe.Price:
    product = stripe.Product.create(name=name)
    return stripe.Price.create(
        product=product.id,
        unit_amount=amount,
        currency="eur",
        recurring={"interval": interval},
        **extra,
    )


def clocked_customer(
    frozen_time: int = APRIL_1, card: str | None = "pm_card_visa", **extra: Any
) -> tuple[stripe.test_helpers.TestClock, stripe.Customer]:
    clock = stripe.test_helpers.TestClock.create(frozen_time=frozen_time)
    params: dict[str, Any] = {"email": "owner@example.com", "test_clock": clock.id, **extra}
    if card:
        params["payment_method"] = card
    customer = stripe.Customer.create(**params)
    return clock, customer


def advance(clock: stripe.test_helpers.TestClock, to: int) -> None:
    stripe.test_helpers.TestClock.advance(clock.id, frozen_time=to)
