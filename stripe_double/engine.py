"""The double's state and behaviour: Stripe's objects and what happens to them over time.

One ``Engine`` holds every object in memory behind one re-entrant lock; the HTTP server and
the Python test API call its methods while holding ``engine.lock``. Every change that Stripe
would announce appends an event to ``engine.outbox``; the caller hands the outbox to the
webhook deliverer *after* releasing the lock, so a webhook handler may call back into the
double without deadlocking.

Time: each customer lives either on a test clock (``customer.test_clock``) whose
``frozen_time`` only moves when the clock is advanced, or on the double's global clock
(real time plus an offset that ``advance_clock`` increases). Renewals, trial ends and payment
retries happen when a clock moves past them, in time order.
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import json
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import objects as o
from .errors import StripeError, card_declined, invalid, missing, required

API_VERSION = "2026-10-28.endive"

Obj = dict[str, Any]

# Magic payment method ids, as in Stripe's test mode (https://docs.stripe.com/testing).
# value: (brand, last4, behaviour) with behaviour "ok", "fail_charge" (attaches, every charge
# declines) or "fail_attach" (declined at once).
TEST_CARDS: dict[str, tuple[str, str, str]] = {
    "pm_card_visa": ("visa", "4242", "ok"),
    "pm_card_mastercard": ("mastercard", "4444", "ok"),
    "pm_card_amex": ("amex", "8431", "ok"),
    "pm_card_chargeCustomerFail": ("visa", "0341", "fail_charge"),
    "pm_card_visa_chargeDeclined": ("visa", "0002", "fail_attach"),
    "pm_card_chargeDeclined": ("visa", "0002", "fail_attach"),
    "tok_visa": ("visa", "4242", "ok"),
    "tok_chargeCustomerFail": ("visa", "0341", "fail_charge"),
    "tok_chargeDeclined": ("visa", "0002", "fail_attach"),
}

DAY = 86400

KIND_BY_PREFIX = {
    "cus": "customer",
    "prod": "product",
    "price": "price",
    "sub": "subscription",
    "si": "subscription item",
    "in": "invoice",
    "ii": "invoice item",
    "cs": "checkout session",
    "bps": "billing portal session",
    "pi": "payment_intent",
    "ch": "charge",
    "re": "refund",
    "pm": "PaymentMethod",
    "evt": "event",
    "clock": "test clock",
}


def clone(value: Any) -> Any:
    """A deep copy of JSON data (what every stored object is); several times faster than
    ``copy.deepcopy``. Shared references are not kept: use ``copy.deepcopy`` for those."""
    return json.loads(json.dumps(value))


def as_int(value: Any, param: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeError(
            f"Invalid integer: {value}", code="parameter_invalid_integer", param=param
        ) from None


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1", "yes")


def metadata_update(current: dict[str, str], value: Any) -> dict[str, str]:
    """Stripe's metadata rules: ``metadata=""`` clears, ``metadata[k]=""`` removes a key."""
    if value in ("", None):
        return {}
    if not isinstance(value, dict):
        raise invalid("metadata", "Invalid hash")
    merged = dict(current)
    for key, val in value.items():
        if val == "":
            merged.pop(key, None)
        else:
            merged[key] = str(val)
    return merged


def add_interval(anchor: int, interval: str, count: int, times: int = 1) -> int:
    """``anchor`` moved by ``times`` × ``count`` intervals, keeping the anchor's day of month."""
    n = count * times
    if interval == "day":
        return anchor + n * DAY
    if interval == "week":
        return anchor + n * 7 * DAY
    months = n * 12 if interval == "year" else n
    start = dt.datetime.fromtimestamp(anchor, tz=dt.UTC)
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())


def next_period_end(anchor: int, start: int, interval: str, count: int) -> int:
    """The first billing boundary after ``start`` for a cycle anchored at ``anchor``."""
    k = 1
    while True:
        end = add_interval(anchor, interval, count, k)
        if end > start:
            return end
        k += 1


def fmt_money(amount: int, currency: str) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount) / 100:.2f} {currency.upper()}"


def fmt_date(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%d %b %Y")


def prorate(amount: int, remaining: int, total: int) -> int:
    """``amount`` × remaining/total, rounded half up to the smallest currency unit."""
    if total <= 0:
        return 0
    value = Decimal(amount) * Decimal(remaining) / Decimal(total)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class Engine:
    """All of the double's Stripe state. Call methods while holding ``self.lock``."""

    def __init__(
        self,
        *,
        base_url: str = "http://127.0.0.1",
        retry_schedule_days: Iterable[int] = (3, 5, 7),
        after_final_failure: str = "cancel",
        upcoming_days: int = 7,
    ) -> None:
        self.lock = threading.RLock()
        self.upcoming_days = upcoming_days
        self.upcoming_sent: set[tuple[str, int]] = set()
        self.base_url = base_url
        self.retry_schedule_days = list(retry_schedule_days)
        self.after_final_failure = after_final_failure
        self.objects: dict[str, Obj] = {}
        self.seq: dict[str, int] = {}
        self.ids_by_kind: dict[str, list[str]] = {}
        self.retrying: set[str] = set()  # invoices with a payment retry scheduled
        self._counter = 0
        self.events: list[Obj] = []
        self.outbox: list[Obj] = []
        self.time_offset = 0
        self.failing_customers: set[str] = set()
        self.failing_pms: set[str] = set()
        self.trial_warned: set[str] = set()
        self.request_context: dict[str, Any] = {"id": None, "idempotency_key": None}
        self.api_version = API_VERSION
        self._current_time: int | None = None
        self.idempotency: dict[str, tuple[str, int, str]] = {}

    # ------------------------------------------------------------------ time

    def global_now(self) -> int:
        return int(time.time()) + self.time_offset

    def now_for_customer(self, customer_id: str | None) -> int:
        if self._current_time is not None:
            return self._current_time
        if customer_id:
            cust = self.objects.get(customer_id)
            if cust and cust.get("test_clock"):
                clock = self.objects.get(cust["test_clock"])
                if clock:
                    return int(clock["frozen_time"])
        return self.global_now()

    def now(self) -> int:
        return self._current_time if self._current_time is not None else self.global_now()

    # ------------------------------------------------------------------ storage

    def _store(self, obj: Obj) -> Obj:
        self._counter += 1
        self.objects[obj["id"]] = obj
        self.seq[obj["id"]] = self._counter
        self.ids_by_kind.setdefault(obj["object"], []).append(obj["id"])
        return obj

    def get(self, oid: Any, kind: str, param: str = "id") -> Obj:
        obj = self.objects.get(str(oid)) if oid else None
        if obj is None or obj.get("object") != kind:
            label = KIND_BY_PREFIX.get(str(oid).split("_", 1)[0], kind) if oid else kind
            raise missing(label, str(oid), param)
        return obj

    def each(self, kind: str) -> list[Obj]:
        """Objects of one kind in creation order (cheaper than ``all``: no sorting)."""
        found = (self.objects.get(i) for i in self.ids_by_kind.get(kind, []))
        return [v for v in found if v is not None and v.get("object") == kind]

    def all(self, kind: str) -> list[Obj]:
        """Objects of one kind, newest first (Stripe's list order)."""
        # The per-kind id index only grows; deleted (or preview-only) ids are skipped here.
        ids = self.ids_by_kind.get(kind, [])
        found = [self.objects[i] for i in ids if i in self.objects]
        found = [v for v in found if v.get("object") == kind]
        found.sort(key=lambda v: (v.get("created", 0), self.seq[v["id"]]), reverse=True)
        return found

    def paginate(self, items: list[Obj], params: dict[str, Any], url: str) -> Obj:
        limit = as_int(params.get("limit", 10), "limit")
        if not 1 <= limit <= 100:
            raise invalid("limit", "Invalid limit: must be between 1 and 100")
        start = 0
        if params.get("starting_after"):
            ids = [i["id"] for i in items]
            if params["starting_after"] in ids:
                start = ids.index(params["starting_after"]) + 1
        elif params.get("ending_before"):
            ids = [i["id"] for i in items]
            if params["ending_before"] in ids:
                end = ids.index(params["ending_before"])
                page = items[max(0, end - limit) : end]
                return o.list_object([self.render(i) for i in page], url, end - limit > 0)
        page = items[start : start + limit]
        has_more = start + limit < len(items)
        return o.list_object([self.render(i) for i in page], url, has_more)

    def render(self, obj: Obj) -> Obj:
        """A detached copy of an object as the API returns it (without the double's own
        ``_``-prefixed bookkeeping keys)."""
        return clone({k: v for k, v in obj.items() if not k.startswith("_")})

    @contextmanager
    def atomic(self, *ids: str) -> Iterator[None]:
        """Undo everything on a StripeError: new objects and events go, the named objects
        come back as they were (copied together, so shared references stay shared)."""
        saved = copy.deepcopy({i: self.objects[i] for i in ids if i in self.objects})
        keys = set(self.objects)
        n_events, n_outbox = len(self.events), len(self.outbox)
        try:
            yield
        except StripeError:
            for key in set(self.objects) - keys:
                del self.objects[key]
            self.objects.update(saved)
            del self.events[n_events:]
            del self.outbox[n_outbox:]
            raise

    # ------------------------------------------------------------------ events

    def emit(self, etype: str, obj: Obj, previous: dict[str, Any] | None = None) -> Obj:
        cust = obj.get("customer") if isinstance(obj.get("customer"), str) else None
        evt = o.event(o.new_id("evt"), self.now_for_customer(cust), self.api_version)
        evt["type"] = etype
        evt["data"] = {"object": self.render(obj)}
        if previous:
            evt["data"]["previous_attributes"] = clone(previous)
        evt["request"] = dict(self.request_context)
        self._store(evt)
        self.events.append(evt)
        self.outbox.append(evt)
        return evt

    def take_outbox(self) -> list[Obj]:
        out, self.outbox = self.outbox, []
        return out

    @staticmethod
    def changed(before: Obj, after: Obj, keys: Iterable[str]) -> dict[str, Any]:
        return {k: clone(before.get(k)) for k in keys if before.get(k) != after.get(k)}

    def _emit_sub_updated(self, sub: Obj, before: Obj) -> None:
        keys = [
            "status",
            "items",
            "cancel_at_period_end",
            "cancel_at",
            "canceled_at",
            "trial_end",
            "latest_invoice",
            "default_payment_method",
            "metadata",
            "billing_cycle_anchor",
            "pause_collection",
            "ended_at",
        ]
        previous = self.changed(before, sub, keys)
        if previous:
            self.emit("customer.subscription.updated", sub, previous)

    # ------------------------------------------------------------------ customers

    def create_customer(self, params: dict[str, Any]) -> Obj:
        clock_id = params.get("test_clock")
        if clock_id:
            self.get(clock_id, "test_helpers.test_clock", "test_clock")
        created = int(self.objects[clock_id]["frozen_time"]) if clock_id else self.global_now()
        cust = o.customer(o.new_id("cus", 14), created)
        cust["test_clock"] = clock_id or None
        self._store(cust)
        self._apply_customer_params(cust, params)
        self.emit("customer.created", cust)
        return cust

    def _apply_customer_params(self, cust: Obj, params: dict[str, Any]) -> None:
        for key in ("email", "name", "description", "phone"):
            if key in params:
                cust[key] = params[key] or None
        if "preferred_locales" in params:
            cust["preferred_locales"] = list(params["preferred_locales"] or [])
        if "metadata" in params:
            cust["metadata"] = metadata_update(cust["metadata"], params["metadata"])
        if "address" in params and isinstance(params["address"], dict):
            address = o._address()
            address.update({k: v for k, v in params["address"].items() if k in address})
            cust["address"] = address
        if params.get("payment_method"):
            pm = self.attach_payment_method(params["payment_method"], cust["id"])
            cust["invoice_settings"]["default_payment_method"] = pm["id"]
        settings = params.get("invoice_settings")
        if isinstance(settings, dict) and "default_payment_method" in settings:
            pm_id = settings["default_payment_method"] or None
            if pm_id:
                pm = self.get(pm_id, "payment_method", "invoice_settings[default_payment_method]")
                if pm["customer"] != cust["id"]:
                    raise StripeError(
                        f"The customer does not have a payment method with the ID {pm_id}. "
                        "The payment method must be attached to the customer.",
                        code="resource_missing",
                        param="invoice_settings[default_payment_method]",
                    )
            cust["invoice_settings"]["default_payment_method"] = pm_id

    def update_customer(self, cid: str, params: dict[str, Any]) -> Obj:
        cust = self.get(cid, "customer")
        before = clone(cust)
        self._apply_customer_params(cust, params)
        previous = self.changed(
            before,
            cust,
            ["email", "name", "description", "phone", "metadata", "invoice_settings", "address"],
        )
        if previous:
            self.emit("customer.updated", cust, previous)
        if (
            before["invoice_settings"]["default_payment_method"]
            != cust["invoice_settings"]["default_payment_method"]
            and cust["invoice_settings"]["default_payment_method"]
        ):
            self.retry_open_invoices(cust["id"])
        return cust

    def delete_customer(self, cid: str) -> Obj:
        cust = self.get(cid, "customer")
        for sub in self.each("subscription"):
            if sub["customer"] == cid and sub["status"] not in ("canceled", "incomplete_expired"):
                self.cancel_subscription(sub["id"], {})
        del self.objects[cid]
        self.emit("customer.deleted", cust)
        return o.deleted("customer", cid)

    def search(self, kind: str, query: str) -> list[Obj]:
        """Stripe's search language, the common subset: ``field:'v'`` and
        ``metadata['k']:'v'`` clauses joined by AND."""
        import re

        clauses = re.findall(
            r"(metadata\[['\"]([^'\"]+)['\"]\]|[a-z_]+)\s*:\s*['\"]([^'\"]*)['\"]", query
        )
        results = []
        for obj in self.all(kind):
            ok = True
            for field, meta_key, value in clauses:
                if meta_key:
                    ok = ok and obj.get("metadata", {}).get(meta_key) == value
                else:
                    ok = ok and str(obj.get(field)) == value
            if ok:
                results.append(obj)
        return results

    # ------------------------------------------------------------------ payment methods

    def create_payment_method(self, token: str, customer_id: str | None = None) -> Obj:
        """A card payment method from a test token (``pm_card_visa``, ``tok_visa`` ...)."""
        brand, last4, behaviour = TEST_CARDS.get(token, ("visa", "4242", "ok"))
        pm = o.payment_method(o.new_id("pm"), self.now_for_customer(customer_id), brand, last4)
        self._store(pm)
        if behaviour == "fail_charge":
            self.failing_pms.add(pm["id"])
        if behaviour == "fail_attach":
            self.failing_pms.add(pm["id"])
            pm["metadata"]["double_fail_attach"] = "true"
        return pm

    def attach_payment_method(self, pm_ref: str, customer_id: str) -> Obj:
        cust = self.get(customer_id, "customer", "customer")
        if pm_ref in TEST_CARDS:
            pm = self.create_payment_method(pm_ref, customer_id)
        else:
            pm = self.get(pm_ref, "payment_method", "payment_method")
        if pm["metadata"].get("double_fail_attach"):
            raise card_declined()
        if pm["customer"] and pm["customer"] != cust["id"]:
            raise StripeError(
                "This PaymentMethod was previously used without being attached to a Customer "
                "or was detached from a Customer, and may not be used again.",
                param="payment_method",
            )
        if pm["customer"] != cust["id"]:
            pm["customer"] = cust["id"]
            self.emit("payment_method.attached", pm)
        return pm

    def detach_payment_method(self, pm_id: str) -> Obj:
        pm = self.get(pm_id, "payment_method")
        cust_id = pm["customer"]
        pm["customer"] = None
        if cust_id and cust_id in self.objects:
            cust = self.objects[cust_id]
            if cust["invoice_settings"]["default_payment_method"] == pm_id:
                cust["invoice_settings"]["default_payment_method"] = None
        self.emit("payment_method.detached", pm, {"customer": cust_id})
        return pm

    def default_pm(self, customer_id: str, sub: Obj | None = None) -> str | None:
        if sub and sub.get("default_payment_method"):
            return str(sub["default_payment_method"])
        cust = self.objects.get(customer_id)
        if not cust:
            return None
        pm = cust["invoice_settings"]["default_payment_method"]
        return str(pm) if pm else None

    def can_charge(self, customer_id: str, pm_id: str | None) -> bool:
        return (
            bool(pm_id)
            and pm_id not in self.failing_pms
            and (customer_id not in self.failing_customers)
        )

    def set_card_failing(self, customer_id: str, failing: bool = True) -> None:
        self.get(customer_id, "customer", "customer")
        if failing:
            self.failing_customers.add(customer_id)
        else:
            self.failing_customers.discard(customer_id)

    # ------------------------------------------------------------------ products and prices

    def create_product(self, params: dict[str, Any]) -> Obj:
        if not params.get("name"):
            raise required("name")
        pid = params.get("id") or o.new_id("prod", 14)
        if pid in self.objects:
            raise StripeError(
                f"Product already exists: '{pid}'", code="resource_already_exists", param="id"
            )
        prod = o.product(pid, self.global_now())
        self._store(prod)
        self._apply_product_params(prod, params)
        self.emit("product.created", prod)
        if isinstance(params.get("default_price_data"), dict):
            data = dict(params["default_price_data"])
            data["product"] = pid
            price = self.create_price(data)
            prod["default_price"] = price["id"]
        return prod

    def _apply_product_params(self, prod: Obj, params: dict[str, Any]) -> None:
        for key in ("name", "description", "unit_label", "statement_descriptor", "url"):
            if key in params:
                prod[key] = params[key] or None if key != "name" else params[key]
        if "active" in params:
            prod["active"] = as_bool(params["active"])
        if "metadata" in params:
            prod["metadata"] = metadata_update(prod["metadata"], params["metadata"])
        if "default_price" in params:
            if params["default_price"]:
                self.get(params["default_price"], "price", "default_price")
            prod["default_price"] = params["default_price"] or None
        if "marketing_features" in params:
            prod["marketing_features"] = [
                {"name": f.get("name")} for f in params["marketing_features"] or []
            ]

    def update_product(self, pid: str, params: dict[str, Any]) -> Obj:
        prod = self.get(pid, "product")
        before = clone(prod)
        self._apply_product_params(prod, params)
        prod["updated"] = self.global_now()
        self.emit(
            "product.updated",
            prod,
            self.changed(
                before, prod, ["name", "description", "active", "metadata", "default_price"]
            ),
        )
        return prod

    def create_price(self, params: dict[str, Any]) -> Obj:
        if "currency" not in params:
            raise required("currency")
        product_id = params.get("product")
        if not product_id and isinstance(params.get("product_data"), dict):
            product_id = self.create_product(params["product_data"])["id"]
        if not product_id:
            raise required("product")
        self.get(product_id, "product", "product")
        if "unit_amount" in params:
            amount = as_int(params["unit_amount"], "unit_amount")
        elif "unit_amount_decimal" in params:
            amount = int(Decimal(str(params["unit_amount_decimal"])))
        else:
            raise required("unit_amount")
        if amount < 0:
            raise invalid("unit_amount", "This value must be greater than or equal to 0.")
        lookup_key = params.get("lookup_key") or None
        if lookup_key:
            holders = [p for p in self.each("price") if p["lookup_key"] == lookup_key]
            if holders and not as_bool(params.get("transfer_lookup_key", False)):
                raise StripeError(
                    f"A price (`{holders[0]['id']}`) already uses that lookup key.",
                    param="lookup_key",
                )
            for holder in holders:
                holder["lookup_key"] = None
        price = o.price(o.new_id("price"), self.global_now())
        price["product"] = product_id
        price["currency"] = str(params["currency"]).lower()
        price["unit_amount"] = amount
        price["unit_amount_decimal"] = str(amount)
        price["lookup_key"] = lookup_key
        price["nickname"] = params.get("nickname") or None
        price["metadata"] = metadata_update({}, params.get("metadata", {}))
        if "active" in params:
            price["active"] = as_bool(params["active"])
        if params.get("tax_behavior"):
            price["tax_behavior"] = params["tax_behavior"]
        rec = params.get("recurring")
        if isinstance(rec, dict):
            interval = rec.get("interval")
            if interval not in ("day", "week", "month", "year"):
                raise invalid("recurring[interval]", "Invalid recurring[interval]")
            trial = rec.get("trial_period_days")
            price["recurring"] = o.recurring(
                interval,
                as_int(rec.get("interval_count", 1), "recurring[interval_count]"),
                as_int(trial, "recurring[trial_period_days]") if trial else None,
            )
            price["type"] = "recurring"
        self._store(price)
        self.emit("price.created", price)
        return price

    def update_price(self, pid: str, params: dict[str, Any]) -> Obj:
        price = self.get(pid, "price")
        before = clone(price)
        if "active" in params:
            price["active"] = as_bool(params["active"])
        if "nickname" in params:
            price["nickname"] = params["nickname"] or None
        if "metadata" in params:
            price["metadata"] = metadata_update(price["metadata"], params["metadata"])
        if "lookup_key" in params:
            key = params["lookup_key"] or None
            if key:
                for other in self.each("price"):
                    if other["lookup_key"] == key and other["id"] != pid:
                        if not as_bool(params.get("transfer_lookup_key", False)):
                            raise StripeError(
                                f"A price (`{other['id']}`) already uses that lookup key.",
                                param="lookup_key",
                            )
                        other["lookup_key"] = None
            price["lookup_key"] = key
        self.emit(
            "price.updated",
            price,
            self.changed(before, price, ["active", "nickname", "metadata", "lookup_key"]),
        )
        return price

    def list_prices(self, params: dict[str, Any]) -> list[Obj]:
        prices = self.all("price")
        if "active" in params:
            prices = [p for p in prices if p["active"] == as_bool(params["active"])]
        if params.get("product"):
            prices = [p for p in prices if p["product"] == params["product"]]
        if params.get("currency"):
            prices = [p for p in prices if p["currency"] == params["currency"]]
        if params.get("type"):
            prices = [p for p in prices if p["type"] == params["type"]]
        if params.get("lookup_keys"):
            keys = params["lookup_keys"]
            keys = keys if isinstance(keys, list) else [keys]
            prices = [p for p in prices if p["lookup_key"] in keys]
        rec = params.get("recurring")
        if isinstance(rec, dict) and rec.get("interval"):
            prices = [
                p
                for p in prices
                if p["recurring"] and p["recurring"]["interval"] == rec["interval"]
            ]
        return prices

    # ------------------------------------------------------------------ invoice items

    def create_invoiceitem(self, params: dict[str, Any]) -> Obj:
        cust_id = params.get("customer")
        if not cust_id:
            raise required("customer")
        self.get(cust_id, "customer", "customer")
        quantity = as_int(params.get("quantity", 1), "quantity")
        price_id = None
        product_id = None
        if params.get("pricing", {}) and isinstance(params.get("pricing"), dict):
            price_id = params["pricing"].get("price")
        price_id = price_id or params.get("price")
        if price_id:
            price = self.get(price_id, "price", "price")
            unit = int(price["unit_amount"])
            amount = unit * quantity
            product_id = price["product"]
            currency = price["currency"]
        elif "amount" in params:
            amount = as_int(params["amount"], "amount")
            unit = amount // quantity if quantity else amount
            currency = str(params.get("currency", "usd")).lower()
        elif isinstance(params.get("price_data"), dict):
            data = params["price_data"]
            unit = as_int(data.get("unit_amount", 0), "price_data[unit_amount]")
            amount = unit * quantity
            product_id = data.get("product")
            currency = str(data.get("currency", "usd")).lower()
        else:
            raise required("amount")
        sub_id = params.get("subscription") or None
        if sub_id:
            self.get(sub_id, "subscription", "subscription")
        ii = self._new_invoiceitem(
            cust_id,
            amount=amount,
            unit_amount=unit,
            quantity=quantity,
            currency=currency,
            description=params.get("description"),
            subscription_id=sub_id,
            price_id=price_id,
            product_id=product_id,
            proration=False,
        )
        ii["metadata"] = metadata_update({}, params.get("metadata", {}))
        if params.get("invoice"):
            inv = self.get(params["invoice"], "invoice", "invoice")
            if inv["status"] != "draft":
                raise StripeError(
                    "You can only add invoice items to draft invoices.", param="invoice"
                )
            self._attach_item_to_invoice(inv, ii)
            self._recompute_totals(inv)
        return ii

    def _new_invoiceitem(
        self,
        customer_id: str,
        *,
        amount: int,
        unit_amount: int,
        quantity: int,
        currency: str,
        description: str | None,
        subscription_id: str | None,
        price_id: str | None = None,
        product_id: str | None = None,
        proration: bool = False,
        period: tuple[int, int] | None = None,
        subscription_item_id: str | None = None,
    ) -> Obj:
        now = self.now_for_customer(customer_id)
        ii = o.invoiceitem(o.new_id("ii"), now)
        ii.update(
            amount=amount,
            net_amount=amount,
            currency=currency,
            customer=customer_id,
            description=description,
            quantity=quantity,
            quantity_decimal=str(quantity),
            proration=proration,
            pricing=o.pricing(price_id, product_id, unit_amount),
        )
        ii["test_clock"] = self.objects[customer_id].get("test_clock")
        if period:
            ii["period"] = {"start": period[0], "end": period[1]}
        if subscription_id:
            ii["parent"] = {
                "subscription_details": {"subscription": subscription_id},
                "type": "subscription_details",
            }
        self._store(ii)
        self.emit("invoiceitem.created", ii)
        return ii

    @staticmethod
    def item_subscription(ii: Obj) -> str | None:
        parent = ii.get("parent") or {}
        details = parent.get("subscription_details") or {}
        sub = details.get("subscription")
        return str(sub) if sub else None

    def pending_items(self, customer_id: str, subscription_id: str | None) -> list[Obj]:
        items = [
            ii
            for ii in self.each("invoiceitem")
            if ii["customer"] == customer_id
            and ii["invoice"] is None
            and (subscription_id is None or self.item_subscription(ii) in (None, subscription_id))
        ]
        items.sort(key=lambda i: self.seq[i["id"]])
        return items

    def delete_invoiceitem(self, ii_id: str) -> Obj:
        ii = self.get(ii_id, "invoiceitem")
        if ii["invoice"]:
            inv = self.objects[ii["invoice"]]
            if inv["status"] != "draft":
                raise StripeError("This invoice item is on a finalized invoice.")
            inv["lines"]["data"] = [
                ln
                for ln in inv["lines"]["data"]
                if ((ln.get("parent") or {}).get("invoice_item_details") or {}).get("invoice_item")
                != ii_id
            ]
            self._recompute_totals(inv)
        del self.objects[ii_id]
        self.emit("invoiceitem.deleted", ii)
        return o.deleted("invoiceitem", ii_id)

    # ------------------------------------------------------------------ invoices

    def _new_invoice(
        self,
        customer_id: str,
        *,
        subscription: Obj | None,
        billing_reason: str,
        period: tuple[int, int] | None = None,
    ) -> Obj:
        cust = self.get(customer_id, "customer", "customer")
        now = self.now_for_customer(customer_id)
        inv = o.invoice(o.new_id("in"), now)
        inv.update(
            customer=customer_id,
            customer_email=cust["email"],
            customer_name=cust["name"],
            customer_phone=cust["phone"],
            customer_address=clone(cust["address"]),
            billing_reason=billing_reason,
            test_clock=cust["test_clock"],
            currency=subscription["currency"] if subscription else (cust["currency"] or "usd"),
        )
        if period:
            inv["period_start"], inv["period_end"] = period
        if subscription:
            inv["subscription"] = subscription["id"]
            inv["parent"] = o.invoice_parent(subscription["id"])
            inv["parent"]["subscription_details"]["metadata"] = dict(subscription["metadata"])
            inv["default_payment_method"] = subscription["default_payment_method"]
        self._store(inv)
        return inv

    def _sub_line(
        self, inv: Obj, item: Obj, amount: int, description: str, period: tuple[int, int]
    ) -> Obj:
        price = item["price"]
        line = o.line_item(o.new_id("il"), inv["id"])
        line.update(
            amount=amount,
            subtotal=amount,
            currency=price["currency"],
            description=description,
            quantity=item["quantity"],
            quantity_decimal=str(item["quantity"]),
            subscription=item["subscription"],
            period={"start": period[0], "end": period[1]},
            pricing=o.pricing(price["id"], price["product"], int(price["unit_amount"])),
            parent={
                "invoice_item_details": None,
                "subscription_item_details": {
                    "invoice_item": None,
                    "proration": False,
                    "proration_details": {"credited_items": None},
                    "subscription": item["subscription"],
                    "subscription_item": item["id"],
                },
                "type": "subscription_item_details",
            },
        )
        inv["lines"]["data"].append(line)
        return line

    def _attach_item_to_invoice(self, inv: Obj, ii: Obj) -> None:
        ii["invoice"] = inv["id"]
        line = o.line_item(o.new_id("il"), inv["id"])
        sub_id = self.item_subscription(ii)
        line.update(
            amount=ii["amount"],
            subtotal=ii["amount"],
            currency=ii["currency"],
            description=ii["description"],
            quantity=ii["quantity"],
            quantity_decimal=str(ii["quantity"]),
            subscription=sub_id,
            period=clone(ii["period"]),
            metadata=dict(ii["metadata"]),
            pricing=clone(ii["pricing"]),
            parent={
                "invoice_item_details": {
                    "invoice_item": ii["id"],
                    "proration": ii["proration"],
                    "proration_details": {"credited_items": None},
                    "subscription": sub_id,
                },
                "subscription_item_details": None,
                "type": "invoice_item_details",
            },
        )
        inv["lines"]["data"].append(line)

    def _recompute_totals(self, inv: Obj) -> None:
        total = sum(int(line["amount"]) for line in inv["lines"]["data"])
        inv["subtotal"] = inv["subtotal_excluding_tax"] = total
        inv["total"] = inv["total_excluding_tax"] = total
        inv["amount_due"] = max(total, 0)
        inv["amount_remaining"] = inv["amount_due"] - inv["amount_paid"]

    def create_invoice(self, params: dict[str, Any]) -> Obj:
        cust_id = params.get("customer")
        if not cust_id:
            raise required("customer")
        sub = None
        if params.get("subscription"):
            sub = self.get(params["subscription"], "subscription", "subscription")
        inv = self._new_invoice(cust_id, subscription=sub, billing_reason="manual")
        inv["metadata"] = metadata_update({}, params.get("metadata", {}))
        inv["description"] = params.get("description") or None
        if "auto_advance" in params:
            inv["auto_advance"] = as_bool(params["auto_advance"])
        if params.get("collection_method"):
            inv["collection_method"] = params["collection_method"]
            if params["collection_method"] == "send_invoice":
                days = as_int(params.get("days_until_due", 30), "days_until_due")
                inv["due_date"] = inv["created"] + days * DAY
        if params.get("pending_invoice_items_behavior", "exclude") == "include":
            for ii in self.pending_items(cust_id, sub["id"] if sub else None):
                self._attach_item_to_invoice(inv, ii)
        self._recompute_totals(inv)
        self.emit("invoice.created", inv)
        return inv

    def finalize_invoice(self, inv: Obj) -> Obj:
        if inv["status"] != "draft":
            raise StripeError(
                "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
                code="invoice_not_editable" if inv["status"] != "draft" else None,
            )
        cust = self.objects[inv["customer"]]
        now = self.now_for_customer(inv["customer"])
        self._recompute_totals(inv)
        # A credit balance on the customer (negative balance) pays part of the invoice.
        inv["starting_balance"] = cust["balance"]
        applied = 0
        if inv["total"] < 0:
            applied = inv["total"]
        elif cust["balance"] < 0:
            applied = -min(-cust["balance"], inv["total"])
        cust["balance"] += applied if inv["total"] < 0 else -applied
        if inv["total"] >= 0:
            inv["amount_due"] = inv["total"] + applied
        inv["ending_balance"] = cust["balance"]
        inv["amount_remaining"] = inv["amount_due"]
        inv["status"] = "open"
        inv["number"] = f"{cust['invoice_prefix']}-{cust['next_invoice_sequence']:04d}"
        cust["next_invoice_sequence"] += 1
        inv["status_transitions"]["finalized_at"] = now
        inv["effective_at"] = now
        inv["hosted_invoice_url"] = f"{self.base_url}/_double/invoices/{inv['id']}"
        inv["invoice_pdf"] = f"{self.base_url}/_double/invoices/{inv['id']}/pdf"
        inv["webhooks_delivered_at"] = now
        self.emit("invoice.finalized", inv)
        if inv["amount_due"] == 0:
            self._mark_paid(inv, now)
        return inv

    def _mark_paid(self, inv: Obj, now: int) -> None:
        inv["amount_paid"] = inv["amount_due"]
        inv["amount_remaining"] = 0
        inv["status"] = "paid"
        inv["status_transitions"]["paid_at"] = now
        inv["next_payment_attempt"] = None
        inv["auto_advance"] = False
        self.emit("invoice.paid", inv)
        self.emit("invoice.payment_succeeded", inv)

    def attempt_payment(self, inv: Obj, *, raise_on_failure: bool = False) -> bool:
        """Charge an open invoice to the customer's card; True when paid."""
        if inv["status"] == "paid":
            return True
        if inv["status"] != "open":
            raise StripeError(f"Invoice is {inv['status']}; only open invoices can be paid.")
        now = self.now_for_customer(inv["customer"])
        sub = self.objects.get(inv["subscription"]) if inv["subscription"] else None
        pm_id = inv["default_payment_method"] or self.default_pm(inv["customer"], sub)
        inv["attempted"] = True
        inv["attempt_count"] += 1
        if inv["amount_due"] == 0:
            self._mark_paid(inv, now)
            return True
        pi = self._charge(
            customer_id=inv["customer"],
            amount=inv["amount_due"],
            currency=inv["currency"],
            pm_id=pm_id,
            description=f"Invoice {inv['number']}",
            metadata={},
        )
        if pi["status"] == "succeeded":
            self._mark_paid(inv, now)
            return True
        delays = self.retry_schedule_days
        if inv["attempt_count"] <= len(delays):
            inv["next_payment_attempt"] = now + delays[inv["attempt_count"] - 1] * DAY
            self.retrying.add(inv["id"])
        else:
            inv["next_payment_attempt"] = None
        self.emit("invoice.payment_failed", inv)
        if raise_on_failure:
            raise card_declined()
        return False

    def pay_invoice(self, iid: str, params: dict[str, Any]) -> Obj:
        inv = self.get(iid, "invoice")
        if inv["status"] == "paid":
            raise StripeError("Invoice is already paid", code="invoice_already_paid")
        if inv["status"] == "draft":
            self.finalize_invoice(inv)
        if params.get("payment_method"):
            inv["default_payment_method"] = self.attach_payment_method(
                params["payment_method"], inv["customer"]
            )["id"]
        if as_bool(params.get("paid_out_of_band", False)):
            self._mark_paid(inv, self.now_for_customer(inv["customer"]))
        elif inv["status"] == "open":
            self.attempt_payment(inv, raise_on_failure=True)
        self.after_invoice_settled(inv)
        return inv

    def void_invoice(self, iid: str) -> Obj:
        inv = self.get(iid, "invoice")
        if inv["status"] not in ("open", "uncollectible"):
            raise StripeError("You can only void open invoices.")
        inv["status"] = "void"
        inv["status_transitions"]["voided_at"] = self.now_for_customer(inv["customer"])
        inv["next_payment_attempt"] = None
        self.emit("invoice.voided", inv)
        self.after_invoice_settled(inv)
        return inv

    def mark_uncollectible(self, iid: str) -> Obj:
        inv = self.get(iid, "invoice")
        if inv["status"] != "open":
            raise StripeError("You can only mark open invoices uncollectible.")
        inv["status"] = "uncollectible"
        inv["status_transitions"]["marked_uncollectible_at"] = self.now_for_customer(
            inv["customer"]
        )
        inv["next_payment_attempt"] = None
        self.emit("invoice.marked_uncollectible", inv)
        self.after_invoice_settled(inv)
        return inv

    def after_invoice_settled(self, inv: Obj) -> None:
        """A subscription's invoice paid (or written off): its status may move on."""
        if not inv["subscription"] or inv["subscription"] not in self.objects:
            return
        sub = self.objects[inv["subscription"]]
        if sub["status"] not in ("incomplete", "past_due", "unpaid"):
            return
        still_open = [
            i
            for i in self.each("invoice")
            if i["subscription"] == sub["id"] and i["status"] == "open"
        ]
        if inv["status"] in ("paid", "void", "uncollectible") and not still_open:
            before = clone(sub)
            sub["status"] = (
                "active"
                if not sub["trial_end"]
                or sub["trial_end"] <= self.now_for_customer(sub["customer"])
                else "trialing"
            )
            self._emit_sub_updated(sub, before)

    def retry_open_invoices(self, customer_id: str) -> None:
        """A new card: retry the customer's unpaid automatic invoices (as the portal does)."""
        for inv in sorted(self.each("invoice"), key=lambda i: self.seq[i["id"]]):
            retry = inv["customer"] == customer_id and inv["status"] == "open"
            if retry and inv["auto_advance"] and self.attempt_payment(inv):
                self.after_invoice_settled(inv)

    def _invoice_subscription(
        self,
        sub: Obj,
        *,
        billing_reason: str,
        period: tuple[int, int],
        full_items: bool,
        include_pending: bool = True,
        description_prefix: str = "",
    ) -> Obj:
        """Draft an invoice for a subscription: each item for the period and pending items."""
        inv = self._new_invoice(
            sub["customer"], subscription=sub, billing_reason=billing_reason, period=period
        )
        if full_items:
            trialing = sub["status"] == "trialing"
            for item in sub["items"]["data"]:
                price = item["price"]
                product = self.objects.get(price["product"], {})
                unit = 0 if trialing else int(price["unit_amount"])
                if trialing:
                    desc = f"Trial period for {product.get('name', '')}"
                else:
                    rec = price["recurring"] or {}
                    desc = (
                        f"{description_prefix}{item['quantity']} × {product.get('name', '')} "
                        f"(at {fmt_money(int(price['unit_amount']), price['currency'])} "
                        f"/ {rec.get('interval', 'month')})"
                    )
                self._sub_line(inv, item, unit * int(item["quantity"]), desc, period)
        if include_pending:
            for ii in self.pending_items(sub["customer"], sub["id"]):
                self._attach_item_to_invoice(inv, ii)
        self._recompute_totals(inv)
        sub["latest_invoice"] = inv["id"]
        self.emit("invoice.created", inv)
        return inv

    def list_invoices(self, params: dict[str, Any]) -> list[Obj]:
        invoices = self.all("invoice")
        invoices = [i for i in invoices if not i.get("_preview")]
        for key in ("customer", "subscription", "status", "collection_method"):
            if params.get(key):
                invoices = [i for i in invoices if i[key] == params[key]]
        return invoices

    # ------------------------------------------------------------------ charges

    def _charge(
        self,
        *,
        customer_id: str | None,
        amount: int,
        currency: str,
        pm_id: str | None,
        description: str | None,
        metadata: dict[str, str],
        payment_intent: Obj | None = None,
    ) -> Obj:
        """Create (or confirm) a payment intent and its charge; emits Stripe's events."""
        now = self.now_for_customer(customer_id)
        pi = payment_intent or o.payment_intent(o.new_id("pi"), now)
        if payment_intent is None:
            pi.update(
                amount=amount,
                currency=currency,
                customer=customer_id,
                description=description,
                metadata=dict(metadata),
            )
            self._store(pi)
            self.emit("payment_intent.created", pi)
        pi["payment_method"] = pm_id
        if not pm_id:
            pi["status"] = "requires_payment_method"
            pi["last_payment_error"] = {
                "type": "invalid_request_error",
                "code": "payment_intent_payment_attempt_failed",
                "message": "The customer has no default payment method.",
            }
            self.emit("payment_intent.payment_failed", pi)
            return pi
        ok = self.can_charge(customer_id or "", pm_id)
        pm = self.objects.get(pm_id)
        ch = o.charge(o.new_id("ch"), now)
        ch.update(
            amount=amount,
            amount_captured=amount if ok else 0,
            captured=ok,
            paid=ok,
            currency=currency,
            customer=customer_id,
            description=description,
            payment_intent=pi["id"],
            payment_method=pm_id,
            status="succeeded" if ok else "failed",
            outcome=o.outcome(ok),
            failure_code=None if ok else "card_declined",
            failure_message=None if ok else "Your card was declined.",
            receipt_url=f"{self.base_url}/_double/receipts/{pi['id']}",
            metadata=dict(pi["metadata"]),
        )
        if pm:
            ch["payment_method_details"] = {
                "card": o.charge_card_details(pm["card"]),
                "type": "card",
            }
        self._store(ch)
        pi["latest_charge"] = ch["id"]
        if ok:
            pi["status"] = "succeeded"
            pi["amount_received"] = amount
            pi["last_payment_error"] = None
            self.emit("charge.succeeded", ch)
            self.emit("payment_intent.succeeded", pi)
        else:
            pi["status"] = "requires_payment_method"
            pi["last_payment_error"] = o.payment_error(
                "Your card was declined.", clone(pm), ch["id"]
            )
            self.emit("charge.failed", ch)
            self.emit("payment_intent.payment_failed", pi)
        return pi

    def create_payment_intent(self, params: dict[str, Any]) -> Obj:
        if "amount" not in params:
            raise required("amount")
        if "currency" not in params:
            raise required("currency")
        cust_id = params.get("customer") or None
        if cust_id:
            self.get(cust_id, "customer", "customer")
        pi = o.payment_intent(o.new_id("pi"), self.now_for_customer(cust_id))
        pi.update(
            amount=as_int(params["amount"], "amount"),
            currency=str(params["currency"]).lower(),
            customer=cust_id,
            description=params.get("description") or None,
            metadata=metadata_update({}, params.get("metadata", {})),
            receipt_email=params.get("receipt_email") or None,
        )
        self._store(pi)
        self.emit("payment_intent.created", pi)
        if params.get("payment_method"):
            pi["payment_method"] = self._resolve_pm(params["payment_method"], cust_id)
            pi["status"] = "requires_confirmation"
        if as_bool(params.get("confirm", False)):
            self.confirm_payment_intent(pi["id"], {})
        return pi

    def _resolve_pm(self, ref: str, customer_id: str | None) -> str:
        if ref in TEST_CARDS:
            if customer_id:
                return str(self.attach_payment_method(ref, customer_id)["id"])
            return str(self.create_payment_method(ref)["id"])
        return str(self.get(ref, "payment_method", "payment_method")["id"])

    def confirm_payment_intent(self, pi_id: str, params: dict[str, Any]) -> Obj:
        pi = self.get(pi_id, "payment_intent")
        if pi["status"] == "succeeded":
            raise StripeError(
                "This PaymentIntent's status is succeeded and it cannot be confirmed.",
                code="payment_intent_unexpected_state",
            )
        if params.get("payment_method"):
            pi["payment_method"] = self._resolve_pm(params["payment_method"], pi["customer"])
        pm_id = pi["payment_method"] or (
            self.default_pm(pi["customer"]) if pi["customer"] else None
        )
        if not pm_id:
            raise StripeError(
                "You cannot confirm this PaymentIntent because it's missing a payment method.",
                code="payment_intent_unexpected_state",
            )
        self._charge(
            customer_id=pi["customer"],
            amount=pi["amount"],
            currency=pi["currency"],
            pm_id=pm_id,
            description=pi["description"],
            metadata=pi["metadata"],
            payment_intent=pi,
        )
        if pi["status"] != "succeeded":
            raise card_declined(payment_intent=self.render(pi))
        return pi

    def cancel_payment_intent(self, pi_id: str, params: dict[str, Any]) -> Obj:
        pi = self.get(pi_id, "payment_intent")
        if pi["status"] in ("succeeded", "canceled"):
            raise StripeError(
                f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}.",
                code="payment_intent_unexpected_state",
            )
        pi["status"] = "canceled"
        pi["canceled_at"] = self.now_for_customer(pi["customer"])
        pi["cancellation_reason"] = params.get("cancellation_reason") or "requested_by_customer"
        self.emit("payment_intent.canceled", pi)
        return pi

    def create_refund(self, params: dict[str, Any]) -> Obj:
        if params.get("payment_intent"):
            pi = self.get(params["payment_intent"], "payment_intent", "payment_intent")
            if not pi["latest_charge"] or pi["status"] != "succeeded":
                raise StripeError(
                    "This PaymentIntent does not have a successful charge to refund.",
                    code="charge_not_refundable",
                    param="payment_intent",
                )
            ch = self.objects[pi["latest_charge"]]
        elif params.get("charge"):
            ch = self.get(params["charge"], "charge", "charge")
        else:
            raise required("payment_intent")
        remaining = int(ch["amount_captured"]) - int(ch["amount_refunded"])
        amount = as_int(params.get("amount", remaining), "amount")
        if amount <= 0 or amount > remaining:
            raise StripeError(
                f"Refund amount ({fmt_money(amount, ch['currency'])}) is greater than "
                f"unrefunded amount on charge ({fmt_money(remaining, ch['currency'])})",
                code="amount_too_large",
                param="amount",
            )
        now = self.now_for_customer(ch["customer"])
        ref = o.refund(o.new_id("re"), now)
        ref.update(
            amount=amount,
            charge=ch["id"],
            currency=ch["currency"],
            customer=ch["customer"],
            payment_intent=ch["payment_intent"],
            payment_method=ch["payment_method"],
            reason=params.get("reason") or None,
            metadata=metadata_update({}, params.get("metadata", {})),
        )
        self._store(ref)
        before = clone(ch)
        ch["amount_refunded"] += amount
        ch["refunded"] = ch["amount_refunded"] >= ch["amount_captured"]
        ch["refunds"]["data"].insert(0, clone(ref))
        self.emit("refund.created", ref)
        self.emit("charge.refunded", ch, self.changed(before, ch, ["amount_refunded", "refunded"]))
        return ref

    # ------------------------------------------------------------------ subscriptions

    def _price_for_item(self, spec: dict[str, Any], param: str) -> Obj:
        if spec.get("price"):
            price = self.get(spec["price"], "price", f"{param}[price]")
        elif isinstance(spec.get("price_data"), dict):
            data = dict(spec["price_data"])
            price = self.create_price(data)
        else:
            raise required(f"{param}[price]")
        if price["type"] != "recurring":
            raise StripeError(
                "The price specified is set to `type=one_time` but this field only accepts "
                "prices with `type=recurring`.",
                param=f"{param}[price]",
            )
        if not price["active"]:
            raise StripeError(
                "The price specified is inactive. This field only accepts active prices.",
                param=f"{param}[price]",
            )
        return price

    def _make_item(
        self, sub: Obj, price: Obj, quantity: int, metadata: Any, start: int, end: int
    ) -> Obj:
        item = o.subscription_item(o.new_id("si", 14), start)
        item.update(
            subscription=sub["id"],
            price=clone(price),
            plan=o.plan_from_price(price),
            quantity=quantity,
            metadata=metadata_update({}, metadata or {}),
            current_period_start=start,
            current_period_end=end,
        )
        self._store(item)
        return item

    @staticmethod
    def period_of(sub: Obj) -> tuple[int, int]:
        items = sub["items"]["data"]
        if not items:
            return sub["billing_cycle_anchor"], sub["billing_cycle_anchor"]
        return int(items[0]["current_period_start"]), int(items[0]["current_period_end"])

    def _interval_of(self, sub: Obj) -> tuple[str, int]:
        rec = sub["items"]["data"][0]["price"]["recurring"]
        return rec["interval"], int(rec["interval_count"])

    def create_subscription(self, params: dict[str, Any]) -> Obj:
        cust_id = params.get("customer")
        if not cust_id:
            raise required("customer")
        cust = self.get(cust_id, "customer", "customer")
        specs = params.get("items")
        if not specs:
            raise required("items")
        if not isinstance(specs, list):
            raise invalid("items", "Invalid array")
        prices = [self._price_for_item(spec, f"items[{i}]") for i, spec in enumerate(specs)]
        quantities = [
            as_int(spec.get("quantity", 1), f"items[{i}][quantity]") for i, spec in enumerate(specs)
        ]
        for i, qty in enumerate(quantities):
            if qty < 0:
                raise invalid(f"items[{i}][quantity]", "Quantity must be positive.")
        currencies = {p["currency"] for p in prices}
        intervals = {(p["recurring"]["interval"], p["recurring"]["interval_count"]) for p in prices}
        if len(currencies) > 1 or len(intervals) > 1:
            raise StripeError(
                "All prices on a subscription must have the same `recurring.interval` and "
                "`currency`.",
                param="items",
            )
        now = self.now_for_customer(cust_id)
        trial_end: int | None = None
        if params.get("trial_end") and params["trial_end"] != "now":
            trial_end = as_int(params["trial_end"], "trial_end")
            if trial_end <= now:
                raise StripeError(
                    "Invalid timestamp: must be an integer Unix timestamp in the future.",
                    param="trial_end",
                )
        elif params.get("trial_period_days"):
            days = as_int(params["trial_period_days"], "trial_period_days")
            trial_end = now + days * DAY if days > 0 else None
        elif as_bool(params.get("trial_from_plan", False)):
            days = prices[0]["recurring"]["trial_period_days"]
            trial_end = now + int(days) * DAY if days else None
        pm_id = None
        if params.get("default_payment_method"):
            pm_id = self._resolve_pm(params["default_payment_method"], cust_id)
            pm = self.objects[pm_id]
            if pm["customer"] != cust_id:
                raise StripeError(
                    "The customer does not have a payment method with the ID "
                    f"{pm_id}. The payment method must be attached to the customer.",
                    param="default_payment_method",
                )
        behaviour = params.get("payment_behavior", "allow_incomplete")
        first_amount = sum(
            int(p["unit_amount"]) * q for p, q in zip(prices, quantities, strict=True)
        )
        effective_pm = pm_id or self.default_pm(cust_id)
        if (
            behaviour == "error_if_incomplete"
            and trial_end is None
            and first_amount > 0
            and not self.can_charge(cust_id, effective_pm)
        ):
            raise card_declined()

        sub = o.subscription(o.new_id("sub"), now)
        sub.update(
            customer=cust_id,
            currency=prices[0]["currency"],
            default_payment_method=pm_id,
            test_clock=cust["test_clock"],
            metadata=metadata_update({}, params.get("metadata", {})),
            description=params.get("description") or None,
        )
        if params.get("collection_method"):
            sub["collection_method"] = params["collection_method"]
            sub["days_until_due"] = (
                as_int(params.get("days_until_due", 30), "days_until_due")
                if params["collection_method"] == "send_invoice"
                else None
            )
        settings = params.get("trial_settings")
        if isinstance(settings, dict):
            behaviour_end = (settings.get("end_behavior") or {}).get("missing_payment_method")
            if behaviour_end:
                sub["trial_settings"]["end_behavior"]["missing_payment_method"] = behaviour_end
        interval, count = (
            prices[0]["recurring"]["interval"],
            prices[0]["recurring"]["interval_count"],
        )
        if trial_end:
            start, end = now, trial_end
            sub["trial_start"], sub["trial_end"] = now, trial_end
            sub["billing_cycle_anchor"] = trial_end
            sub["status"] = "trialing"
        else:
            start, end = now, add_interval(now, interval, count)
            sub["billing_cycle_anchor"] = now
        sub["start_date"] = now
        self._store(sub)
        for spec, price, qty in zip(specs, prices, quantities, strict=True):
            sub["items"]["data"].append(
                self._make_item(sub, price, qty, spec.get("metadata"), start, end)
            )
        if params.get("cancel_at_period_end") is not None and as_bool(
            params["cancel_at_period_end"]
        ):
            sub["cancel_at_period_end"] = True
            sub["cancel_at"] = end
        if params.get("cancel_at"):
            sub["cancel_at"] = as_int(params["cancel_at"], "cancel_at")
        inv = self._invoice_subscription(
            sub, billing_reason="subscription_create", period=(start, start), full_items=True
        )
        # Stripe announces the subscription (as it is now) before its first invoice settles.
        if sub["status"] != "trialing":
            sub["status"] = "incomplete"
        created_evt = self.emit("customer.subscription.created", sub)
        self.finalize_invoice(inv)
        paid = inv["status"] == "paid"
        if not paid and sub["collection_method"] == "charge_automatically":
            if behaviour != "default_incomplete":
                paid = self.attempt_payment(inv)
        elif sub["collection_method"] == "send_invoice" and not paid:
            paid = False
        before = clone(sub)
        if sub["status"] != "trialing":
            if paid or sub["collection_method"] == "send_invoice":
                sub["status"] = "active"
            else:
                sub["status"] = "incomplete"
        if before["status"] != sub["status"]:
            self._emit_sub_updated(sub, before)
        else:
            created_evt["data"]["object"] = self.render(sub)
        return sub

    def _apply_item_changes(
        self, sub: Obj, specs: list[dict[str, Any]], now: int
    ) -> list[tuple[Obj | None, Obj | None, int, int]]:
        """Apply ``items[]`` changes; returns (old price, new price, old qty, new qty) per
        changed item, for proration."""
        changes: list[tuple[Obj | None, Obj | None, int, int]] = []
        start, end = self.period_of(sub)
        for i, spec in enumerate(specs):
            param = f"items[{i}]"
            if spec.get("id"):
                item = self.get(spec["id"], "subscription_item", f"{param}[id]")
                if item["subscription"] != sub["id"]:
                    raise missing("subscription item", spec["id"], f"{param}[id]")
                if as_bool(spec.get("deleted", False)):
                    changes.append((item["price"], None, int(item["quantity"]), 0))
                    sub["items"]["data"] = [
                        x for x in sub["items"]["data"] if x["id"] != item["id"]
                    ]
                    del self.objects[item["id"]]
                    continue
                old_price, old_qty = item["price"], int(item["quantity"])
                new_price = old_price
                if spec.get("price") or spec.get("price_data"):
                    new_price = clone(self._price_for_item(spec, param))
                new_qty = as_int(spec.get("quantity", old_qty), f"{param}[quantity]")
                if new_qty < 0:
                    raise invalid(f"{param}[quantity]", "Quantity must be positive.")
                if "metadata" in spec:
                    item["metadata"] = metadata_update(item["metadata"], spec["metadata"])
                if new_price["id"] != old_price["id"] or new_qty != old_qty:
                    item["price"] = new_price
                    item["plan"] = o.plan_from_price(new_price)
                    item["quantity"] = new_qty
                    changes.append((old_price, new_price, old_qty, new_qty))
            else:
                price = self._price_for_item(spec, param)
                qty = as_int(spec.get("quantity", 1), f"{param}[quantity]")
                item = self._make_item(sub, price, qty, spec.get("metadata"), start, end)
                sub["items"]["data"].append(item)
                changes.append((None, clone(price), 0, qty))
        if not sub["items"]["data"]:
            raise StripeError("A subscription must have at least one active item.", param="items")
        return changes

    def _proration_items(
        self,
        sub: Obj,
        changes: list[tuple[Obj | None, Obj | None, int, int]],
        at: int,
    ) -> list[tuple[int, str, Obj, int]]:
        """(amount, description, price, quantity) per proration line, by the remaining
        fraction of the current period (to the second, as Stripe does)."""
        start, end = self.period_of(sub)
        remaining, total = max(end - at, 0), end - start
        lines: list[tuple[int, str, Obj, int]] = []
        for old_price, new_price, old_qty, new_qty in changes:
            if old_price is not None and old_qty:
                name = self.objects.get(old_price["product"], {}).get("name", "")
                amount = -prorate(int(old_price["unit_amount"]) * old_qty, remaining, total)
                desc = f"Unused time on {old_qty} × {name} after {fmt_date(at)}"
                if amount:
                    lines.append((amount, desc, old_price, old_qty))
            if new_price is not None and new_qty:
                name = self.objects.get(new_price["product"], {}).get("name", "")
                amount = prorate(int(new_price["unit_amount"]) * new_qty, remaining, total)
                desc = f"Remaining time on {new_qty} × {name} after {fmt_date(at)}"
                if amount:
                    lines.append((amount, desc, new_price, new_qty))
        return lines

    def update_subscription(self, sid: str, params: dict[str, Any]) -> Obj:
        """Change a subscription; all or nothing, as Stripe's API (a refused change leaves no
        trace)."""
        sub = self.get(sid, "subscription")
        items = [i["id"] for i in sub["items"]["data"]]
        with self.atomic(sid, sub["customer"], *items):
            return self._update_subscription(sid, params)

    def _update_subscription(self, sid: str, params: dict[str, Any]) -> Obj:
        sub = self.get(sid, "subscription")
        if sub["status"] in ("canceled", "incomplete_expired"):
            raise StripeError(
                "A canceled subscription can only update its cancellation_details and metadata."
            )
        now = self.now_for_customer(sub["customer"])
        before = clone(sub)
        behaviour = params.get("proration_behavior", "create_prorations")
        if behaviour not in ("create_prorations", "always_invoice", "none"):
            raise invalid("proration_behavior", f"Invalid proration_behavior: {behaviour}")
        payment_behavior = params.get("payment_behavior", "allow_incomplete")
        prorate_at = as_int(params.get("proration_date", now), "proration_date")

        if "metadata" in params:
            sub["metadata"] = metadata_update(sub["metadata"], params["metadata"])
        if "description" in params:
            sub["description"] = params["description"] or None
        if "default_payment_method" in params:
            sub["default_payment_method"] = (
                self._resolve_pm(params["default_payment_method"], sub["customer"])
                if params["default_payment_method"]
                else None
            )
        if "cancel_at_period_end" in params:
            flag = as_bool(params["cancel_at_period_end"])
            sub["cancel_at_period_end"] = flag
            sub["cancel_at"] = self.period_of(sub)[1] if flag else None
            sub["canceled_at"] = now if flag else None
            if flag:
                details = params.get("cancellation_details") or {}
                sub["cancellation_details"] = {
                    "comment": details.get("comment") or None,
                    "feedback": details.get("feedback") or None,
                    "reason": "cancellation_requested",
                }
            else:
                sub["cancellation_details"] = {"comment": None, "feedback": None, "reason": None}
        if "cancel_at" in params:
            value = params["cancel_at"]
            sub["cancel_at"] = as_int(value, "cancel_at") if value not in ("", None) else None
            sub["canceled_at"] = now if sub["cancel_at"] else None
        if isinstance(params.get("trial_settings"), dict):
            end_behavior = (params["trial_settings"].get("end_behavior") or {}).get(
                "missing_payment_method"
            )
            if end_behavior:
                sub["trial_settings"]["end_behavior"]["missing_payment_method"] = end_behavior
        if "pause_collection" in params:
            value = params["pause_collection"]
            sub["pause_collection"] = (
                {"behavior": value.get("behavior", "void"), "resumes_at": value.get("resumes_at")}
                if isinstance(value, dict)
                else None
            )

        specs = params.get("items") or []
        if specs and not isinstance(specs, list):
            raise invalid("items", "Invalid array")
        old_interval = self._interval_of(sub)
        if specs and payment_behavior == "error_if_incomplete" and sub["status"] != "trialing":
            # Stripe refuses the whole update when the immediate charge would fail.
            pm = self.default_pm(sub["customer"], sub)
            if behaviour == "always_invoice" and not self.can_charge(sub["customer"], pm):
                trial = clone(sub)
                probe = self._proration_items(trial, self._dry_changes(trial, specs), prorate_at)
                if sum(a for a, *_ in probe) > 0:
                    raise card_declined()
        changes = self._apply_item_changes(sub, specs, now) if specs else []
        new_interval = self._interval_of(sub)
        trial_end_param = params.get("trial_end")
        ends_trial_now = trial_end_param == "now" and sub["status"] == "trialing"
        if trial_end_param not in (None, "", "now"):
            new_end = as_int(trial_end_param, "trial_end")
            sub["trial_end"] = new_end
            if sub["status"] == "trialing":
                for item in sub["items"]["data"]:
                    item["current_period_end"] = new_end
                sub["billing_cycle_anchor"] = new_end
        reset_anchor = (
            params.get("billing_cycle_anchor") == "now"
            or (changes and new_interval != old_interval and sub["status"] != "trialing")
            or ends_trial_now
        )
        invoice: Obj | None = None
        if ends_trial_now:
            sub["trial_end"] = now
            sub["status"] = "active"
        if changes and sub["status"] in ("active", "past_due", "unpaid") and not ends_trial_now:
            if reset_anchor:
                # A new billing period starts now: credit the unused old period, bill the new one.
                if behaviour != "none":
                    for amount, desc, price, qty in self._proration_items(
                        before, [(c[0], None, c[2], 0) for c in changes if c[0]], prorate_at
                    ):
                        self._new_invoiceitem(
                            sub["customer"],
                            amount=amount,
                            unit_amount=int(price["unit_amount"]),
                            quantity=qty,
                            currency=sub["currency"],
                            description=desc,
                            subscription_id=sub["id"],
                            price_id=price["id"],
                            product_id=price["product"],
                            proration=True,
                            period=(prorate_at, self.period_of(before)[1]),
                        )
            else:
                if behaviour != "none":
                    period_end = self.period_of(sub)[1]
                    for amount, desc, price, qty in self._proration_items(sub, changes, prorate_at):
                        self._new_invoiceitem(
                            sub["customer"],
                            amount=amount,
                            unit_amount=int(price["unit_amount"]),
                            quantity=qty,
                            currency=sub["currency"],
                            description=desc,
                            subscription_id=sub["id"],
                            price_id=price["id"],
                            product_id=price["product"],
                            proration=True,
                            period=(prorate_at, period_end),
                        )
                if behaviour == "always_invoice":
                    period = (prorate_at, self.period_of(sub)[1])
                    invoice = self._invoice_subscription(
                        sub,
                        billing_reason="subscription_update",
                        period=period,
                        full_items=False,
                    )
        if reset_anchor and sub["status"] in ("active", "past_due", "unpaid"):
            interval, count = self._interval_of(sub)
            end = add_interval(now, interval, count)
            for item in sub["items"]["data"]:
                item["current_period_start"], item["current_period_end"] = now, end
            sub["billing_cycle_anchor"] = now
            if sub["cancel_at_period_end"]:
                sub["cancel_at"] = end
            invoice = self._invoice_subscription(
                sub,
                billing_reason="subscription_update",
                period=(now, end),
                full_items=True,
            )
        if invoice is not None:
            self.finalize_invoice(invoice)
            if self._charge_failed(sub, invoice):
                sub["status"] = "past_due"
        self._emit_sub_updated(sub, before)
        return sub

    def _dry_changes(
        self, sub: Obj, specs: list[dict[str, Any]]
    ) -> list[tuple[Obj | None, Obj | None, int, int]]:
        """Item changes computed on a copy (for a refusal before anything is stored)."""
        changes: list[tuple[Obj | None, Obj | None, int, int]] = []
        items = {i["id"]: i for i in sub["items"]["data"]}
        for i, spec in enumerate(specs):
            item = items.get(spec.get("id", ""))
            new_price = (
                self._price_for_item(spec, f"items[{i}]")
                if spec.get("price")
                else (item["price"] if item else None)
            )
            if item:
                qty = (
                    0
                    if as_bool(spec.get("deleted", False))
                    else as_int(spec.get("quantity", item["quantity"]), "quantity")
                )
                changes.append((item["price"], new_price, int(item["quantity"]), qty))
            else:
                changes.append((None, new_price, 0, as_int(spec.get("quantity", 1), "quantity")))
        return changes

    def preview_invoice(self, params: dict[str, Any]) -> Obj:
        """``POST /v1/invoices/create_preview``: what would be invoiced, nothing stored."""
        cust_id = params.get("customer")
        details = params.get("subscription_details") or {}
        sub_id = params.get("subscription")
        if not cust_id and sub_id:
            cust_id = self.get(sub_id, "subscription", "subscription")["customer"]
        if not cust_id:
            raise required("customer")
        snapshot_objects = self.objects
        snapshot_events = self.events
        snapshot_outbox = self.outbox
        # Work on a copy of the state and throw it away: a new dict of the same objects, with
        # deep copies of those a preview may change (the customer, its subscriptions and
        # their items, its invoice items), copied together so shared references stay shared.
        subs = [x for x in self.each("subscription") if x["customer"] == cust_id]
        changeable = [cust_id, *(x["id"] for x in subs)]
        changeable += [i["id"] for x in subs for i in x["items"]["data"]]
        changeable += [i["id"] for i in self.each("invoiceitem") if i["customer"] == cust_id]
        copies = copy.deepcopy({i: self.objects[i] for i in changeable if i in self.objects})
        self.objects = {**self.objects, **copies}
        self.events, self.outbox = [], []
        failing_pms = set(self.failing_pms)
        try:
            if sub_id:
                sub = self.get(sub_id, "subscription", "subscription")
                update: dict[str, Any] = {}
                if details.get("items"):
                    update["items"] = details["items"]
                update["proration_behavior"] = details.get(
                    "proration_behavior", "create_prorations"
                )
                if details.get("proration_date"):
                    update["proration_date"] = details["proration_date"]
                if details.get("billing_cycle_anchor"):
                    update["billing_cycle_anchor"] = details["billing_cycle_anchor"]
                if update.get("items"):
                    self._apply_preview_update(sub, update)
                immediate = update["proration_behavior"] == "always_invoice"
                if immediate:
                    pending = self.pending_items(cust_id, sub_id)
                    start = (
                        int(pending[0]["period"]["start"])
                        if pending
                        else self.now_for_customer(cust_id)
                    )
                    inv = self._preview_from(
                        sub, pending, full_items=False, period=(start, self.period_of(sub)[1])
                    )
                else:
                    start, end = self.period_of(sub)
                    interval, count = self._interval_of(sub)
                    nxt = (end, add_interval(end, interval, count))
                    saved_status = sub["status"]
                    if sub["status"] == "trialing":
                        sub["status"] = "active"
                    inv = self._preview_from(
                        sub, self.pending_items(cust_id, sub_id), full_items=True, period=nxt
                    )
                    sub["status"] = saved_status
                    inv["billing_reason"] = "upcoming"
            else:
                inv = self._new_invoice(cust_id, subscription=None, billing_reason="upcoming")
                for ii in self.pending_items(cust_id, None):
                    self._attach_item_to_invoice(inv, ii)
                self._recompute_totals(inv)
            result = self.render(inv)
        finally:
            self.objects = snapshot_objects
            self.events = snapshot_events
            self.outbox = snapshot_outbox
            self.failing_pms = failing_pms
        result["id"] = f"upcoming_{result['id']}"
        result["lines"]["url"] = f"/v1/invoices/{result['id']}/lines"
        for line in result["lines"]["data"]:
            line["invoice"] = result["id"]
        return result

    def _apply_preview_update(self, sub: Obj, update: dict[str, Any]) -> None:
        upd = dict(update)
        if upd["proration_behavior"] == "always_invoice":
            upd["proration_behavior"] = "create_prorations"
        self.update_subscription(sub["id"], upd)

    def _preview_from(
        self, sub: Obj, pending: list[Obj], *, full_items: bool, period: tuple[int, int]
    ) -> Obj:
        inv = self._new_invoice(
            sub["customer"], subscription=sub, billing_reason="subscription_update", period=period
        )
        if full_items:
            for item in sub["items"]["data"]:
                price = item["price"]
                product = self.objects.get(price["product"], {})
                desc = f"{item['quantity']} × {product.get('name', '')}"
                self._sub_line(
                    inv, item, int(price["unit_amount"]) * int(item["quantity"]), desc, period
                )
        for ii in pending:
            self._attach_item_to_invoice(inv, ii)
        self._recompute_totals(inv)
        cust = self.objects[sub["customer"]]
        if cust["balance"] < 0 and inv["total"] > 0:
            inv["amount_due"] = max(inv["total"] + cust["balance"], 0)
            inv["amount_remaining"] = inv["amount_due"]
        inv["status"] = "draft"
        return inv

    def cancel_subscription(self, sid: str, params: dict[str, Any]) -> Obj:
        sub = self.get(sid, "subscription")
        if sub["status"] in ("canceled", "incomplete_expired"):
            raise StripeError(
                f"No such subscription: '{sid}' (it is already canceled)",
                status=404,
                code="resource_missing",
                param="id",
            )
        now = self.now_for_customer(sub["customer"])
        self._end_subscription(sub, now, reason="cancellation_requested")
        if as_bool(params.get("invoice_now", False)):
            pending = self.pending_items(sub["customer"], sid)
            if pending:
                inv = self._invoice_subscription(
                    sub, billing_reason="subscription_cycle", period=(now, now), full_items=False
                )
                self.finalize_invoice(inv)
                if inv["status"] == "open":
                    self.attempt_payment(inv)
        return sub

    def _end_subscription(self, sub: Obj, at: int, *, reason: str) -> None:
        sub["status"] = "canceled"
        sub["ended_at"] = at
        sub["canceled_at"] = sub["canceled_at"] or at
        sub["cancel_at_period_end"] = False
        sub["cancellation_details"]["reason"] = reason
        for inv in self.each("invoice"):
            if inv["subscription"] == sub["id"] and inv["status"] == "open":
                inv["next_payment_attempt"] = None
                inv["auto_advance"] = False
        self.emit("customer.subscription.deleted", sub)

    def resume_subscription(self, sid: str) -> Obj:
        sub = self.get(sid, "subscription")
        if sub["status"] != "paused":
            raise StripeError("Only paused subscriptions can be resumed.")
        before = clone(sub)
        now = self.now_for_customer(sub["customer"])
        interval, count = self._interval_of(sub)
        end = add_interval(now, interval, count)
        for item in sub["items"]["data"]:
            item["current_period_start"], item["current_period_end"] = now, end
        sub["billing_cycle_anchor"] = now
        sub["status"] = "active"
        inv = self._invoice_subscription(
            sub, billing_reason="subscription_cycle", period=(now, end), full_items=True
        )
        self.finalize_invoice(inv)
        if inv["status"] == "open" and not self.attempt_payment(inv):
            sub["status"] = "past_due"
        self.emit("customer.subscription.resumed", sub)
        self._emit_sub_updated(sub, before)
        return sub

    # ------------------------------------------------------------------ time passing

    def _due_times(self, clock_id: str | None, until: int) -> list[tuple[int, str, str]]:
        """The next things that happen to subscriptions/invoices on one clock up to ``until``."""
        due: list[tuple[int, str, str]] = []
        for sub in self.each("subscription"):
            if sub["test_clock"] != clock_id:
                continue
            status = sub["status"]
            if status in ("canceled", "incomplete_expired", "paused"):
                continue
            if status == "incomplete":
                expiry = sub["created"] + 23 * 3600
                if expiry <= until:
                    due.append((expiry, "expire", sub["id"]))
                continue
            if status == "trialing" and sub["id"] not in self.trial_warned and sub["trial_end"]:
                warn = max(int(sub["trial_end"]) - 3 * DAY, int(sub["trial_start"] or 0))
                if warn <= until:
                    due.append((warn, "trial_will_end", sub["id"]))
            if (
                sub["cancel_at"]
                and sub["cancel_at"] < self.period_of(sub)[1]
                and sub["cancel_at"] <= until
            ):
                due.append((int(sub["cancel_at"]), "cancel_at", sub["id"]))
            start, end = self.period_of(sub)
            if end <= until:
                due.append((end, "period_end", sub["id"]))
            upcoming = end - self.upcoming_days * DAY
            if (
                self.upcoming_days
                and status in ("active", "past_due")
                and not sub["cancel_at_period_end"]
                and (sub["id"], end) not in self.upcoming_sent
                and start < upcoming <= until
            ):
                due.append((upcoming, "upcoming", sub["id"]))
        for inv_id in sorted(self.retrying, key=self.seq.__getitem__):
            inv = self.objects.get(inv_id)
            if inv is None or inv["status"] != "open" or not inv["next_payment_attempt"]:
                self.retrying.discard(inv_id)
                continue
            if inv["test_clock"] != clock_id:
                continue
            nxt = inv["next_payment_attempt"]
            if nxt and nxt <= until and inv["auto_advance"]:
                due.append((int(nxt), "retry", inv["id"]))
        due.sort()
        return due

    def advance(self, clock_id: str | None, until: int) -> None:
        """Let time pass on one clock (None: the global clock) up to ``until``."""
        for _ in range(10000):
            due = self._due_times(clock_id, until)
            if not due:
                break
            when, what, oid = due[0]
            self._current_time = when
            try:
                self._happen(what, oid, when)
            finally:
                self._current_time = None
        if clock_id:
            self.objects[clock_id]["frozen_time"] = until
        else:
            self.time_offset += max(0, until - self.global_now())

    def _happen(self, what: str, oid: str, when: int) -> None:
        obj = self.objects[oid]
        if what == "retry":
            if self.attempt_payment(obj):
                self.after_invoice_settled(obj)
            elif obj["next_payment_attempt"] is None and obj["subscription"]:
                self._final_failure(self.objects[obj["subscription"]], obj, when)
            return
        sub = obj
        before = clone(sub)
        if what == "expire":
            sub["status"] = "incomplete_expired"
            sub["ended_at"] = when
            for inv in self.each("invoice"):
                if inv["subscription"] == sub["id"] and inv["status"] == "open":
                    inv["status"] = "void"
                    inv["next_payment_attempt"] = None
                    inv["status_transitions"]["voided_at"] = when
                    self.emit("invoice.voided", inv)
            self._emit_sub_updated(sub, before)
            return
        if what == "upcoming":
            self.upcoming_sent.add((sub["id"], self.period_of(sub)[1]))
            preview = self.preview_invoice({"subscription": sub["id"]})
            del preview["id"]  # Stripe's upcoming invoice has no id
            evt = self.emit("invoice.upcoming", sub)
            evt["data"]["object"] = preview
            return
        if what == "trial_will_end":
            self.trial_warned.add(sub["id"])
            self.emit("customer.subscription.trial_will_end", sub)
            return
        if what == "cancel_at":
            self._end_subscription(sub, when, reason="cancellation_requested")
            return
        # period_end
        if sub["cancel_at_period_end"] or (sub["cancel_at"] and sub["cancel_at"] <= when):
            self._end_subscription(sub, when, reason="cancellation_requested")
            return
        interval, count = self._interval_of(sub)
        start = when
        end = next_period_end(int(sub["billing_cycle_anchor"]), start, interval, count)
        ending_trial = sub["status"] == "trialing"
        pm = self.default_pm(sub["customer"], sub)
        if ending_trial and not pm:
            action = sub["trial_settings"]["end_behavior"]["missing_payment_method"]
            if action == "cancel":
                self._end_subscription(sub, when, reason="payment_failed")
                return
            if action == "pause":
                sub["status"] = "paused"
                self.emit("customer.subscription.paused", sub)
                self._emit_sub_updated(sub, before)
                return
        for item in sub["items"]["data"]:
            item["current_period_start"], item["current_period_end"] = start, end
        if ending_trial:
            sub["status"] = "active"
        inv = self._invoice_subscription(
            sub, billing_reason="subscription_cycle", period=(start, end), full_items=True
        )
        self.finalize_invoice(inv)
        if self._charge_failed(sub, inv):
            sub["status"] = "past_due"
        self._emit_sub_updated(sub, before)

    def _charge_failed(self, sub: Obj, inv: Obj) -> bool:
        """Charge a finalized subscription invoice automatically; True when it failed."""
        automatic = sub["collection_method"] == "charge_automatically"
        return inv["status"] == "open" and automatic and not self.attempt_payment(inv)

    def _final_failure(self, sub: Obj, inv: Obj, when: int) -> None:
        """Every retry failed: Stripe's 'subscription status after all retries fail' setting."""
        if sub["status"] in ("canceled", "incomplete_expired"):
            return
        before = clone(sub)
        if self.after_final_failure == "cancel":
            self._end_subscription(sub, when, reason="payment_failed")
        elif self.after_final_failure == "unpaid":
            sub["status"] = "unpaid"
            self._emit_sub_updated(sub, before)

    # ------------------------------------------------------------------ test clocks

    def create_clock(self, params: dict[str, Any]) -> Obj:
        if "frozen_time" not in params:
            raise required("frozen_time")
        clock = o.test_clock(
            o.new_id("clock"), self.global_now(), as_int(params["frozen_time"], "frozen_time")
        )
        clock["name"] = params.get("name") or None
        self._store(clock)
        self.emit("test_helpers.test_clock.created", clock)
        return clock

    def advance_clock(self, clock_id: str, frozen_time: int) -> Obj:
        clock = self.get(clock_id, "test_helpers.test_clock")
        if frozen_time < clock["frozen_time"]:
            raise StripeError(
                "The frozen_time must be after the test clock's current frozen time.",
                param="frozen_time",
            )
        self.advance(clock_id, frozen_time)
        clock["status"] = "ready"
        self.emit("test_helpers.test_clock.ready", clock)
        return clock

    def delete_clock(self, clock_id: str) -> Obj:
        self.get(clock_id, "test_helpers.test_clock")
        for cust in [c for c in self.each("customer") if c["test_clock"] == clock_id]:
            self.delete_customer(cust["id"])
        del self.objects[clock_id]
        return o.deleted("test_helpers.test_clock", clock_id)

    # ------------------------------------------------------------------ checkout and portal

    def create_checkout_session(self, params: dict[str, Any]) -> Obj:
        mode = params.get("mode")
        if not mode:
            raise required("mode")
        if mode not in ("payment", "subscription"):
            raise invalid(
                "mode", f"Invalid mode: {mode} (the double supports payment, subscription)"
            )
        if not params.get("success_url") and params.get("ui_mode", "hosted") == "hosted":
            raise required("success_url")
        line_specs = params.get("line_items") or []
        if not line_specs:
            raise required("line_items")
        cust_id = params.get("customer") or None
        if cust_id:
            self.get(cust_id, "customer", "customer")
        now = self.now_for_customer(cust_id)
        total = 0
        currency = None
        lines = []
        for i, spec in enumerate(line_specs):
            if spec.get("price"):
                price = self.get(spec["price"], "price", f"line_items[{i}][price]")
            elif isinstance(spec.get("price_data"), dict):
                data = dict(spec["price_data"])
                price = self.create_price(data)
            else:
                raise required(f"line_items[{i}][price]")
            if mode == "subscription" and price["type"] != "recurring":
                raise StripeError(
                    "You must provide at least one recurring price in `subscription` mode "
                    "when using prices.",
                    param=f"line_items[{i}][price]",
                )
            if mode == "payment" and price["type"] == "recurring":
                raise StripeError(
                    "You specified `payment` mode but passed a recurring price. Either switch "
                    "to `subscription` mode or use only one-time prices.",
                    param=f"line_items[{i}][price]",
                )
            qty = as_int(spec.get("quantity", 1), f"line_items[{i}][quantity]")
            total += int(price["unit_amount"]) * qty
            currency = price["currency"]
            lines.append({"price": price["id"], "quantity": qty})
        cs = o.checkout_session(f"cs_test_{o.new_id('x', 58)[2:]}", now)
        cs.update(
            mode=mode,
            success_url=params.get("success_url"),
            cancel_url=params.get("cancel_url") or None,
            client_reference_id=params.get("client_reference_id") or None,
            customer=cust_id,
            customer_email=params.get("customer_email") or None,
            metadata=metadata_update({}, params.get("metadata", {})),
            currency=currency,
            amount_subtotal=total,
            amount_total=total,
            locale=params.get("locale") or None,
            url=f"{self.base_url}/_double/checkout/{'{id}'}",
        )
        cs["url"] = f"{self.base_url}/_double/checkout/{cs['id']}"
        if params.get("expires_at"):
            cs["expires_at"] = as_int(params["expires_at"], "expires_at")
        if mode == "payment":
            cs["customer_creation"] = params.get("customer_creation", "if_required")
            cs["payment_method_collection"] = None
        else:
            cs["payment_method_collection"] = params.get("payment_method_collection", "always")
        cs["_line_items"] = lines
        cs["_subscription_data"] = params.get("subscription_data") or {}
        cs["_payment_intent_data"] = params.get("payment_intent_data") or {}
        self._store(cs)
        return cs

    def public(self, obj: Obj) -> Obj:
        """Drop the double's private ``_``-keys before an object leaves."""
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    def checkout_line_items(self, cs_id: str) -> list[Obj]:
        cs = self.get(cs_id, "checkout.session")
        result = []
        for line in cs["_line_items"]:
            price = self.objects[line["price"]]
            product = self.objects.get(price["product"], {})
            amount = int(price["unit_amount"]) * int(line["quantity"])
            result.append(
                {
                    "id": o.new_id("li"),
                    "object": "item",
                    "amount_discount": 0,
                    "amount_subtotal": amount,
                    "amount_tax": 0,
                    "amount_total": amount,
                    "currency": price["currency"],
                    "description": product.get("name"),
                    "price": clone(price),
                    "quantity": line["quantity"],
                    "metadata": {},
                    "adjustable_quantity": None,
                }
            )
        return result

    def complete_checkout(
        self, cs_id: str, *, card: str = "pm_card_visa", email: str | None = None
    ) -> Obj:
        """What happens when a person pays on the Checkout page."""
        cs = self.get(cs_id, "checkout.session")
        if cs["status"] != "open":
            raise StripeError(f"This Checkout Session is {cs['status']}.", param="session")
        behaviour = TEST_CARDS.get(card, ("visa", "4242", "ok"))[2]
        if behaviour == "fail_attach" or (
            cs["customer"] and cs["customer"] in self.failing_customers
        ):
            self.fail_checkout(cs_id)
            raise card_declined()
        cust_id = cs["customer"]
        email = email or cs["customer_email"] or "customer@example.com"
        if not cust_id and (cs["mode"] == "subscription" or cs["customer_creation"] == "always"):
            cust_id = self.create_customer({"email": email})["id"]
        pm_id: str | None = None
        if cust_id:
            pm_id = self.attach_payment_method(card, cust_id)["id"]
        else:
            pm_id = self.create_payment_method(card)["id"]
        cs["customer"] = cust_id
        cs["customer_details"] = o.customer_details(email, None)
        if cs["mode"] == "subscription" and cust_id:
            cust = self.objects[cust_id]
            if not cust["invoice_settings"]["default_payment_method"]:
                self.update_customer(
                    cust_id, {"invoice_settings": {"default_payment_method": pm_id}}
                )
            data = cs["_subscription_data"]
            params: dict[str, Any] = {
                "customer": cust_id,
                "items": [dict(line) for line in cs["_line_items"]],
                "default_payment_method": pm_id,
                "metadata": data.get("metadata", {}),
            }
            for key in ("trial_period_days", "trial_end", "description", "trial_settings"):
                if data.get(key):
                    params[key] = data[key]
            if behaviour == "fail_charge" and not (
                data.get("trial_period_days") or data.get("trial_end")
            ):
                self.fail_checkout(cs_id)
                raise card_declined()
            sub = self.create_subscription(params)
            cs["subscription"] = sub["id"]
            cs["invoice"] = sub["latest_invoice"]
            cs["payment_status"] = (
                "paid"
                if self.objects[sub["latest_invoice"]]["amount_due"] > 0
                else "no_payment_required"
            )
        else:
            pi_data = cs["_payment_intent_data"]
            pi = self._charge(
                customer_id=cust_id,
                amount=int(cs["amount_total"]),
                currency=cs["currency"] or "usd",
                pm_id=pm_id,
                description=pi_data.get("description"),
                metadata=metadata_update({}, pi_data.get("metadata", {})),
            )
            cs["payment_intent"] = pi["id"]
            if pi["status"] != "succeeded":
                raise card_declined()
            cs["payment_status"] = "paid"
        cs["status"] = "complete"
        cs["url"] = None  # Stripe shows the URL only while the session is open
        self.emit("checkout.session.completed", self.public(cs))
        return cs

    def fail_checkout(self, cs_id: str) -> Obj:
        """A declined card on the Checkout page: the session stays open (as in Stripe),
        and a payment-mode session records the failed payment intent."""
        cs = self.get(cs_id, "checkout.session")
        if cs["status"] != "open":
            raise StripeError(f"This Checkout Session is {cs['status']}.", param="session")
        cs["_declines"] = int(cs.get("_declines", 0)) + 1
        if cs["mode"] == "payment":
            pi = self._charge(
                customer_id=cs["customer"],
                amount=int(cs["amount_total"]),
                currency=cs["currency"] or "usd",
                pm_id=self.create_payment_method("pm_card_chargeCustomerFail")["id"],
                description=None,
                metadata={},
            )
            cs["payment_intent"] = pi["id"]
        return cs

    def expire_checkout(self, cs_id: str) -> Obj:
        cs = self.get(cs_id, "checkout.session")
        if cs["status"] != "open":
            raise StripeError(
                f'Only Checkout Sessions with a status in ["open"] can be expired. This '
                f'Checkout Session has a status of "{cs["status"]}".',
                param="session",
            )
        cs["status"] = "expired"
        cs["url"] = None
        self.emit("checkout.session.expired", self.public(cs))
        return cs

    def create_portal_session(self, params: dict[str, Any]) -> Obj:
        cust_id = params.get("customer")
        if not cust_id:
            raise required("customer")
        self.get(cust_id, "customer", "customer")
        bps = o.portal_session(o.new_id("bps"), self.now_for_customer(cust_id))
        bps.update(
            customer=cust_id,
            return_url=params.get("return_url") or None,
            locale=params.get("locale") or None,
        )
        if params.get("configuration"):
            bps["configuration"] = params["configuration"]
        bps["url"] = f"{self.base_url}/_double/portal/{bps['id']}"
        self._store(bps)
        return bps

    def portal_cancel(self, bps_id: str, sub_id: str) -> Obj:
        bps = self.get(bps_id, "billing_portal.session")
        sub = self.get(sub_id, "subscription")
        if sub["customer"] != bps["customer"]:
            raise missing("subscription", sub_id)
        return self.update_subscription(sub_id, {"cancel_at_period_end": "true"})

    def portal_renew(self, bps_id: str, sub_id: str) -> Obj:
        bps = self.get(bps_id, "billing_portal.session")
        sub = self.get(sub_id, "subscription")
        if sub["customer"] != bps["customer"]:
            raise missing("subscription", sub_id)
        return self.update_subscription(sub_id, {"cancel_at_period_end": "false"})

    def portal_update_card(self, bps_id: str, card: str) -> Obj:
        bps = self.get(bps_id, "billing_portal.session")
        cust_id = bps["customer"]
        pm = self.attach_payment_method(card, cust_id)
        if card in TEST_CARDS and TEST_CARDS[card][2] == "ok":
            self.failing_customers.discard(cust_id)
        for sub in self.each("subscription"):
            if sub["customer"] == cust_id and sub["default_payment_method"]:
                before = clone(sub)
                sub["default_payment_method"] = pm["id"]
                self._emit_sub_updated(sub, before)
        self.update_customer(cust_id, {"invoice_settings": {"default_payment_method": pm["id"]}})
        return pm

    # ------------------------------------------------------------------ expansion

    def expand(self, obj: Any, paths: list[str]) -> Any:
        if isinstance(obj, dict) and obj.get("object") == "checkout.session":
            if "line_items" in paths:
                # Only present when expanded, as in Stripe.
                lines = self.checkout_line_items(obj["id"])
                obj["line_items"] = o.list_object(
                    lines, f"/v1/checkout/sessions/{obj['id']}/line_items"
                )
            paths = [p for p in paths if p != "line_items"]
        for path in paths:
            self._expand_path(obj, path.split("."))
        return obj

    def _expand_path(self, node: Any, parts: list[str]) -> None:
        if not parts or node is None:
            return
        head, rest = parts[0], parts[1:]
        if isinstance(node, list):
            for element in node:
                self._expand_path(element, parts)
            return
        if not isinstance(node, dict) or head not in node:
            return
        value = node[head]
        if isinstance(value, str) and value in self.objects:
            value = self.public(self.render(self.objects[value]))
            node[head] = value
        self._expand_path(value, rest)
