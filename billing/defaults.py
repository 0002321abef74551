"""The plans a new installation starts with (seeded by billing's migration 0002).

A constant: migrations import it, so it must never import models.
"""

from decimal import Decimal

DEFAULT_PLANS: list[dict[str, object]] = [
    {
        "code": "start",
        "name": "Start",
        "rank": 10,
        "price_per_seat_monthly": Decimal("9.00"),
        "price_per_seat_yearly": Decimal("90.00"),
        "max_custom_fields": 10,
        "storage_gb": 5,
        "api_access": False,
        "scheduled_backups": False,
        "is_default": False,
        "currency": "usd",
        "backup_price": Decimal("10.00"),
        "trial_days": 14,
    },
    {
        "code": "team",
        "name": "Team",
        "rank": 20,
        "price_per_seat_monthly": Decimal("15.00"),
        "price_per_seat_yearly": Decimal("150.00"),
        "max_custom_fields": 50,
        "storage_gb": 20,
        "api_access": True,
        "scheduled_backups": False,
        "is_default": True,
        "currency": "usd",
        "backup_price": Decimal("10.00"),
        "trial_days": 14,
    },
    {
        "code": "business",
        "name": "Business",
        "rank": 30,
        "price_per_seat_monthly": Decimal("25.00"),
        "price_per_seat_yearly": Decimal("250.00"),
        "max_custom_fields": None,
        "storage_gb": 100,
        "api_access": True,
        "scheduled_backups": True,
        "is_default": False,
        "currency": "usd",
        "backup_price": Decimal("10.00"),
        "trial_days": 14,
    },
]
