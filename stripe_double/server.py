"""The HTTP face of the double: Stripe's REST API under ``/v1``, pages and test controls.

``DoubleServer`` runs a ``ThreadingHTTPServer`` on loopback in a background thread. Every
API request is handled while holding the engine's lock (the double is a test tool: one
request at a time keeps its state consistent); webhooks for the events a request caused are
handed to the deliverer after the lock is released.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import pages
from .engine import DAY, Engine, as_bool, as_int
from .errors import StripeError, missing, required
from .forms import FormError, parse_form
from .objects import list_object, new_id
from .params import check as check_params
from .webhooks import Deliverer, Poster, SignedWebhook

Params = dict[str, Any]
Handler = Callable[[Engine, Params, tuple[str, ...]], Any]

ROUTES: list[tuple[str, re.Pattern[str], Handler, str | None]] = []


def route(method: str, pattern: str, params: str | None = None) -> Callable[[Handler], Handler]:
    """Register a handler; ``params`` names the SDK's parameter class for the endpoint
    (``stripe.params.<params>``), whose keys are the only ones accepted."""

    def register(fn: Handler) -> Handler:
        ROUTES.append((method, re.compile(f"^{pattern}$"), fn, params))
        return fn

    return register


ID = r"([A-Za-z0-9_]+)"


def _list(engine: Engine, items: list[dict[str, Any]], params: Params, url: str) -> Any:
    return engine.paginate(items, params, url)


def _filter_created(items: list[dict[str, Any]], params: Params) -> list[dict[str, Any]]:
    created = params.get("created")
    if isinstance(created, dict):
        for op, fn in (
            ("gt", lambda a, b: a > b),
            ("gte", lambda a, b: a >= b),
            ("lt", lambda a, b: a < b),
            ("lte", lambda a, b: a <= b),
        ):
            if op in created:
                bound = as_int(created[op], f"created[{op}]")
                items = [i for i in items if fn(int(i["created"]), bound)]
    elif created not in (None, ""):
        items = [i for i in items if int(i["created"]) == as_int(created, "created")]
    return items


# ---------------------------------------------------------------- customers


@route("POST", "/v1/customers", "CustomerCreateParams")
def _create_customer(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.create_customer(p)


@route("GET", "/v1/customers", "CustomerListParams")
def _list_customers(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    items = e.all("customer")
    if p.get("email"):
        items = [c for c in items if c["email"] == p["email"]]
    if p.get("test_clock"):
        items = [c for c in items if c["test_clock"] == p["test_clock"]]
    return _list(e, _filter_created(items, p), p, "/v1/customers")


@route("GET", "/v1/customers/search", "CustomerSearchParams")
def _search_customers(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return _search(e, "customer", p, "/v1/customers/search")


def _search(e: Engine, kind: str, p: Params, url: str) -> Any:
    if "query" not in p:
        raise required("query")
    found = e.search(kind, str(p["query"]))
    limit = as_int(p.get("limit", 10), "limit")
    return {
        "object": "search_result",
        "data": [e.render(x) for x in found[:limit]],
        "has_more": len(found) > limit,
        "next_page": None,
        "url": url,
    }


@route("GET", f"/v1/customers/{ID}", "CustomerRetrieveParams")
def _get_customer(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.get(g[0], "customer")


@route("POST", f"/v1/customers/{ID}", "CustomerModifyParams")
def _update_customer(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.update_customer(g[0], p)


@route("DELETE", f"/v1/customers/{ID}", "CustomerDeleteParams")
def _delete_customer(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.delete_customer(g[0])


@route("GET", f"/v1/customers/{ID}/payment_methods", "CustomerListPaymentMethodsParams")
def _customer_pms(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    e.get(g[0], "customer")
    items = [pm for pm in e.all("payment_method") if pm["customer"] == g[0]]
    return _list(e, items, p, f"/v1/customers/{g[0]}/payment_methods")


# ---------------------------------------------------------------- payment methods


@route("POST", "/v1/payment_methods", "PaymentMethodCreateParams")
def _create_pm(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    card: Params = p["card"] if isinstance(p.get("card"), dict) else {}
    token = card.get("token") or p.get("payment_method") or "pm_card_visa"
    return e.create_payment_method(str(token))


@route("GET", f"/v1/payment_methods/{ID}", "PaymentMethodRetrieveParams")
def _get_pm(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.get(g[0], "payment_method")


@route("GET", "/v1/payment_methods", "PaymentMethodListParams")
def _list_pms(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    items = e.all("payment_method")
    if p.get("customer"):
        items = [pm for pm in items if pm["customer"] == p["customer"]]
    return _list(e, items, p, "/v1/payment_methods")


@route("POST", f"/v1/payment_methods/{ID}/attach", "PaymentMethodAttachParams")
def _attach_pm(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    if not p.get("customer"):
        raise required("customer")
    return e.attach_payment_method(g[0], str(p["customer"]))


@route("POST", f"/v1/payment_methods/{ID}/detach", "PaymentMethodDetachParams")
def _detach_pm(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.detach_payment_method(g[0])


# ---------------------------------------------------------------- products and prices


@route("POST", "/v1/products", "ProductCreateParams")
def _create_product(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.create_product(p)


@route("GET", "/v1/products", "ProductListParams")
def _list_products(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    items = e.all("product")
    if "active" in p:
        items = [x for x in items if x["active"] == as_bool(p["active"])]
    if p.get("ids"):
        ids = p["ids"] if isinstance(p["ids"], list) else [p["ids"]]
        items = [x for x in items if x["id"] in ids]
    return _list(e, items, p, "/v1/products")


@route("GET", "/v1/products/search", "ProductSearchParams")
def _search_products(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return _search(e, "product", p, "/v1/products/search")


@route("GET", f"/v1/products/{ID}", "ProductRetrieveParams")
def _get_product(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.get(g[0], "product")


@route("POST", f"/v1/products/{ID}", "ProductModifyParams")
def _update_product(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.update_product(g[0], p)


@route("DELETE", f"/v1/products/{ID}", "ProductDeleteParams")
def _delete_product(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    prod = e.get(g[0], "product")
    if any(pr["product"] == g[0] for pr in e.all("price")):
        raise StripeError("This product cannot be deleted because it has one or more prices.")
    del e.objects[g[0]]
    e.emit("product.deleted", prod)
    return {"id": g[0], "object": "product", "deleted": True}


@route("POST", "/v1/prices", "PriceCreateParams")
def _create_price(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.create_price(p)


@route("GET", "/v1/prices", "PriceListParams")
def _list_prices(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return _list(e, e.list_prices(p), p, "/v1/prices")


@route("GET", "/v1/prices/search", "PriceSearchParams")
def _search_prices(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return _search(e, "price", p, "/v1/prices/search")


@route("GET", f"/v1/prices/{ID}", "PriceRetrieveParams")
def _get_price(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.get(g[0], "price")


@route("POST", f"/v1/prices/{ID}", "PriceModifyParams")
def _update_price(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.update_price(g[0], p)


# ---------------------------------------------------------------- subscriptions


@route("POST", "/v1/subscriptions", "SubscriptionCreateParams")
def _create_sub(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.create_subscription(p)


@route("GET", "/v1/subscriptions", "SubscriptionListParams")
def _list_subs(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    items = e.all("subscription")
    status = p.get("status")
    if status == "all":
        pass
    elif status:
        items = [s for s in items if s["status"] == status]
    else:
        items = [s for s in items if s["status"] not in ("canceled", "incomplete_expired")]
    for key in ("customer", "test_clock"):
        if p.get(key):
            items = [s for s in items if s[key] == p[key]]
    if p.get("price"):
        items = [
            s for s in items if any(i["price"]["id"] == p["price"] for i in s["items"]["data"])
        ]
    return _list(e, _filter_created(items, p), p, "/v1/subscriptions")


@route("GET", "/v1/subscriptions/search", "SubscriptionSearchParams")
def _search_subs(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return _search(e, "subscription", p, "/v1/subscriptions/search")


@route("GET", f"/v1/subscriptions/{ID}", "SubscriptionRetrieveParams")
def _get_sub(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.get(g[0], "subscription")


@route("POST", f"/v1/subscriptions/{ID}", "SubscriptionModifyParams")
def _update_sub(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.update_subscription(g[0], p)


@route("DELETE", f"/v1/subscriptions/{ID}", "SubscriptionCancelParams")
def _cancel_sub(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.cancel_subscription(g[0], p)


@route("POST", f"/v1/subscriptions/{ID}/resume", "SubscriptionResumeParams")
def _resume_sub(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.resume_subscription(g[0])


def _pick(p: Params, *keys: str) -> Params:
    return {k: p[k] for k in keys if k in p}


@route("POST", "/v1/subscription_items", "SubscriptionItemCreateParams")
def _create_si(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    if not p.get("subscription"):
        raise required("subscription")
    spec = _pick(p, "price", "price_data", "quantity", "metadata")
    update = _pick(p, "proration_behavior", "proration_date", "payment_behavior")
    before = {
        i["id"] for i in e.get(p["subscription"], "subscription", "subscription")["items"]["data"]
    }
    sub = e.update_subscription(str(p["subscription"]), {**update, "items": [spec]})
    return next(i for i in sub["items"]["data"] if i["id"] not in before)


@route("GET", "/v1/subscription_items", "SubscriptionItemListParams")
def _list_si(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    if not p.get("subscription"):
        raise required("subscription")
    sub = e.get(p["subscription"], "subscription", "subscription")
    url = f"/v1/subscription_items?subscription={sub['id']}"
    return _list(e, list(sub["items"]["data"]), p, url)


@route("GET", f"/v1/subscription_items/{ID}", "SubscriptionItemRetrieveParams")
def _get_si(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.get(g[0], "subscription_item")


@route("POST", f"/v1/subscription_items/{ID}", "SubscriptionItemModifyParams")
def _update_si(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    item = e.get(g[0], "subscription_item")
    spec = {"id": g[0], **_pick(p, "price", "price_data", "quantity", "metadata")}
    update = _pick(p, "proration_behavior", "proration_date", "payment_behavior")
    e.update_subscription(str(item["subscription"]), {**update, "items": [spec]})
    return e.objects[g[0]]


@route("DELETE", f"/v1/subscription_items/{ID}", "SubscriptionItemDeleteParams")
def _delete_si(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    item = e.get(g[0], "subscription_item")
    update = _pick(p, "proration_behavior", "proration_date")
    e.update_subscription(
        str(item["subscription"]), {**update, "items": [{"id": g[0], "deleted": "true"}]}
    )
    return {"id": g[0], "object": "subscription_item", "deleted": True}


# ---------------------------------------------------------------- invoices and items


@route("POST", "/v1/invoices", "InvoiceCreateParams")
def _create_invoice(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.create_invoice(p)


@route("POST", "/v1/invoices/create_preview", "InvoiceCreatePreviewParams")
def _preview_invoice(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.preview_invoice(p)


@route("GET", "/v1/invoices", "InvoiceListParams")
def _list_invoices(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return _list(e, _filter_created(e.list_invoices(p), p), p, "/v1/invoices")


@route("GET", "/v1/invoices/search", "InvoiceSearchParams")
def _search_invoices(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return _search(e, "invoice", p, "/v1/invoices/search")


@route("GET", f"/v1/invoices/{ID}", "InvoiceRetrieveParams")
def _get_invoice(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.get(g[0], "invoice")


@route("POST", f"/v1/invoices/{ID}", "InvoiceModifyParams")
def _update_invoice(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    inv = e.get(g[0], "invoice")
    from .engine import metadata_update

    if "metadata" in p:
        inv["metadata"] = metadata_update(inv["metadata"], p["metadata"])
    if "description" in p:
        inv["description"] = p["description"] or None
    if "auto_advance" in p:
        inv["auto_advance"] = as_bool(p["auto_advance"])
    e.emit("invoice.updated", inv)
    return inv


@route("DELETE", f"/v1/invoices/{ID}", "InvoiceDeleteParams")
def _delete_invoice(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    inv = e.get(g[0], "invoice")
    if inv["status"] != "draft":
        raise StripeError("You can only delete draft invoices.")
    for line in inv["lines"]["data"]:
        details = (line.get("parent") or {}).get("invoice_item_details") or {}
        if details.get("invoice_item") in e.objects:
            e.objects[details["invoice_item"]]["invoice"] = None
    del e.objects[g[0]]
    e.emit("invoice.deleted", inv)
    return {"id": g[0], "object": "invoice", "deleted": True}


@route("POST", f"/v1/invoices/{ID}/finalize", "InvoiceFinalizeInvoiceParams")
def _finalize_invoice(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    inv = e.finalize_invoice(e.get(g[0], "invoice"))
    automatic = inv["collection_method"] == "charge_automatically"
    if (
        inv["status"] == "open"
        and automatic
        and as_bool(p.get("auto_advance", inv["auto_advance"]))
    ) and e.attempt_payment(inv):
        e.after_invoice_settled(inv)
    return inv


@route("POST", f"/v1/invoices/{ID}/pay", "InvoicePayParams")
def _pay_invoice(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.pay_invoice(g[0], p)


@route("POST", f"/v1/invoices/{ID}/void", "InvoiceVoidInvoiceParams")
def _void_invoice(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.void_invoice(g[0])


@route("POST", f"/v1/invoices/{ID}/mark_uncollectible", "InvoiceMarkUncollectibleParams")
def _uncollectible(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.mark_uncollectible(g[0])


@route("POST", f"/v1/invoices/{ID}/send", "InvoiceSendInvoiceParams")
def _send_invoice(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    inv = e.get(g[0], "invoice")
    e.emit("invoice.sent", inv)
    return inv


@route("GET", f"/v1/invoices/{ID}/lines", "InvoiceListLinesParams")
def _invoice_lines(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    inv = e.get(g[0], "invoice")
    return _list(e, list(inv["lines"]["data"]), p, f"/v1/invoices/{g[0]}/lines")


@route("POST", "/v1/invoiceitems", "InvoiceItemCreateParams")
def _create_ii(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.create_invoiceitem(p)


@route("GET", "/v1/invoiceitems", "InvoiceItemListParams")
def _list_ii(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    items = e.all("invoiceitem")
    if p.get("customer"):
        items = [i for i in items if i["customer"] == p["customer"]]
    if p.get("invoice"):
        items = [i for i in items if i["invoice"] == p["invoice"]]
    if "pending" in p:
        want = as_bool(p["pending"])
        items = [i for i in items if (i["invoice"] is None) == want]
    return _list(e, items, p, "/v1/invoiceitems")


@route("GET", f"/v1/invoiceitems/{ID}", "InvoiceItemRetrieveParams")
def _get_ii(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.get(g[0], "invoiceitem")


@route("POST", f"/v1/invoiceitems/{ID}", "InvoiceItemModifyParams")
def _update_ii(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    ii = e.get(g[0], "invoiceitem")
    from .engine import metadata_update

    if ii["invoice"] and e.objects[ii["invoice"]]["status"] != "draft":
        raise StripeError("This invoice item is on a finalized invoice and cannot be updated.")
    if "description" in p:
        ii["description"] = p["description"] or None
    if "amount" in p:
        ii["amount"] = ii["net_amount"] = as_int(p["amount"], "amount")
    if "metadata" in p:
        ii["metadata"] = metadata_update(ii["metadata"], p["metadata"])
    e.emit("invoiceitem.updated", ii)
    return ii


@route("DELETE", f"/v1/invoiceitems/{ID}", "InvoiceItemDeleteParams")
def _delete_ii(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.delete_invoiceitem(g[0])


# ---------------------------------------------------------------- checkout and portal


@route("POST", "/v1/checkout/sessions", "checkout.SessionCreateParams")
def _create_cs(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.create_checkout_session(p)


@route("GET", "/v1/checkout/sessions", "checkout.SessionListParams")
def _list_cs(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    items = e.all("checkout.session")
    for key in ("customer", "subscription", "payment_intent", "status"):
        if p.get(key):
            items = [s for s in items if s[key] == p[key]]
    return _list(e, items, p, "/v1/checkout/sessions")


@route("GET", f"/v1/checkout/sessions/{ID}", "checkout.SessionRetrieveParams")
def _get_cs(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.get(g[0], "checkout.session")


@route("POST", f"/v1/checkout/sessions/{ID}/expire", "checkout.SessionExpireParams")
def _expire_cs(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.expire_checkout(g[0])


@route("GET", f"/v1/checkout/sessions/{ID}/line_items", "checkout.SessionListLineItemsParams")
def _cs_lines(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    lines = e.checkout_line_items(g[0])
    return list_object(
        lines[: as_int(p.get("limit", 10), "limit")], f"/v1/checkout/sessions/{g[0]}/line_items"
    )


@route("POST", "/v1/billing_portal/sessions", "billing_portal.SessionCreateParams")
def _create_bps(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.create_portal_session(p)


@route("POST", "/v1/billing_portal/configurations", "billing_portal.ConfigurationCreateParams")
def _create_bpc(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    now = e.global_now()
    return {
        "id": new_id("bpc"),
        "object": "billing_portal.configuration",
        "active": True,
        "business_profile": p.get("business_profile") or {},
        "created": now,
        "updated": now,
        "default_return_url": p.get("default_return_url"),
        "features": p.get("features") or {},
        "is_default": False,
        "livemode": False,
        "metadata": p.get("metadata") or {},
    }


# ---------------------------------------------------------------- payments


@route("POST", "/v1/payment_intents", "PaymentIntentCreateParams")
def _create_pi(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.create_payment_intent(p)


@route("GET", "/v1/payment_intents", "PaymentIntentListParams")
def _list_pi(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    items = e.all("payment_intent")
    if p.get("customer"):
        items = [i for i in items if i["customer"] == p["customer"]]
    return _list(e, items, p, "/v1/payment_intents")


@route("GET", f"/v1/payment_intents/{ID}", "PaymentIntentRetrieveParams")
def _get_pi(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.get(g[0], "payment_intent")


@route("POST", f"/v1/payment_intents/{ID}", "PaymentIntentModifyParams")
def _update_pi(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    from .engine import metadata_update

    pi = e.get(g[0], "payment_intent")
    if "metadata" in p:
        pi["metadata"] = metadata_update(pi["metadata"], p["metadata"])
    if "description" in p:
        pi["description"] = p["description"] or None
    if "amount" in p and pi["status"] != "succeeded":
        pi["amount"] = as_int(p["amount"], "amount")
    return pi


@route("POST", f"/v1/payment_intents/{ID}/confirm", "PaymentIntentConfirmParams")
def _confirm_pi(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.confirm_payment_intent(g[0], p)


@route("POST", f"/v1/payment_intents/{ID}/cancel", "PaymentIntentCancelParams")
def _cancel_pi(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.cancel_payment_intent(g[0], p)


@route("GET", f"/v1/charges/{ID}", "ChargeRetrieveParams")
def _get_charge(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.get(g[0], "charge")


@route("GET", "/v1/charges", "ChargeListParams")
def _list_charges(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    items = e.all("charge")
    for key in ("customer", "payment_intent"):
        if p.get(key):
            items = [c for c in items if c[key] == p[key]]
    return _list(e, items, p, "/v1/charges")


@route("POST", "/v1/refunds", "RefundCreateParams")
def _create_refund(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.create_refund(p)


@route("GET", "/v1/refunds", "RefundListParams")
def _list_refunds(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    items = e.all("refund")
    for key in ("charge", "payment_intent"):
        if p.get(key):
            items = [r for r in items if r[key] == p[key]]
    return _list(e, items, p, "/v1/refunds")


@route("GET", f"/v1/refunds/{ID}", "RefundRetrieveParams")
def _get_refund(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.get(g[0], "refund")


# ---------------------------------------------------------------- events and clocks


@route("GET", "/v1/events", "EventListParams")
def _list_events(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    items = e.all("event")
    if p.get("type"):
        pattern = str(p["type"])
        if pattern.endswith("*"):
            items = [x for x in items if x["type"].startswith(pattern[:-1])]
        else:
            items = [x for x in items if x["type"] == pattern]
    if p.get("types"):
        types = p["types"] if isinstance(p["types"], list) else [p["types"]]
        items = [x for x in items if x["type"] in types]
    return _list(e, _filter_created(items, p), p, "/v1/events")


@route("GET", f"/v1/events/{ID}", "EventRetrieveParams")
def _get_event(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.get(g[0], "event")


@route("POST", "/v1/test_helpers/test_clocks", "test_helpers.TestClockCreateParams")
def _create_clock(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.create_clock(p)


@route("GET", "/v1/test_helpers/test_clocks", "test_helpers.TestClockListParams")
def _list_clocks(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return _list(e, e.all("test_helpers.test_clock"), p, "/v1/test_helpers/test_clocks")


@route("GET", f"/v1/test_helpers/test_clocks/{ID}", "test_helpers.TestClockRetrieveParams")
def _get_clock(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.get(g[0], "test_helpers.test_clock")


@route("DELETE", f"/v1/test_helpers/test_clocks/{ID}", "test_helpers.TestClockDeleteParams")
def _delete_clock(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    return e.delete_clock(g[0])


@route("POST", f"/v1/test_helpers/test_clocks/{ID}/advance", "test_helpers.TestClockAdvanceParams")
def _advance_clock(e: Engine, p: Params, g: tuple[str, ...]) -> Any:
    if "frozen_time" not in p:
        raise required("frozen_time")
    return e.advance_clock(g[0], as_int(p["frozen_time"], "frozen_time"))


# ---------------------------------------------------------------- the server


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    double: DoubleServer


class _RequestHandler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "StripeDouble/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.double.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # ---------------------------------------------------------- plumbing

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: Any, extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", extra)

    def _redirect(self, location: str) -> None:
        self._send(303, b"", "text/plain", {"Location": location})

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        raw = self._body()
        try:
            if path.startswith("/v1/"):
                self._api(method, path, split.query, raw)
            elif path.startswith("/_double/"):
                self._control(method, path, split.query, raw)
            elif path == "/":
                self._send(200, b"Stripe test double\n", "text/plain")
            else:
                self._json(404, missing_route(path).body())
        except Exception as exc:
            self.server.double.last_error = exc
            self._json(500, {"error": {"type": "api_error", "message": f"double: {exc!r}"}})

    # ---------------------------------------------------------- /v1 API

    def _api(self, method: str, path: str, query: str, raw: bytes) -> None:
        double = self.server.double
        engine = double.engine
        request_id = new_id("req", 14)
        headers = {"Request-Id": request_id, "Stripe-Version": engine.api_version}
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or len(auth) <= len("Bearer "):
            self._json(
                401,
                {
                    "error": {
                        "type": "invalid_request_error",
                        "message": "You did not provide an API key. You need to provide your "
                        "API key in the Authorization header, using Bearer auth.",
                    }
                },
                headers,
            )
            return
        try:
            params = parse_form(query) if method in ("GET", "DELETE") else {}
            if raw and method != "GET":
                params.update(parse_form(raw.decode()))
        except (FormError, UnicodeDecodeError) as exc:
            self._json(400, StripeError(f"Invalid parameter name: {exc}").body(), headers)
            return
        expand = params.pop("expand", [])
        if isinstance(expand, str):
            expand = [expand]
        key = self.headers.get("Idempotency-Key")
        fingerprint = json.dumps([method, path, params, expand], sort_keys=True)
        events: list[dict[str, Any]] = []
        with engine.lock:
            if key and method == "POST" and key in engine.idempotency:
                seen_fp, status, body = engine.idempotency[key]
                if seen_fp != fingerprint:
                    status, body = (
                        400,
                        json.dumps(
                            StripeError(
                                "Keys for idempotent requests can only be used with the same "
                                "parameters they were first used with. Try using a key other than "
                                f"'{key}' if you meant to execute a different request.",
                                type="idempotency_error",
                            ).body()
                        ),
                    )
                    headers["Idempotency-Key"] = key
                    self._send(status, body.encode(), "application/json", headers)
                    return
                headers["Idempotent-Replayed"] = "true"
                headers["Idempotency-Key"] = key
                self._send(status, body.encode(), "application/json", headers)
                return
            engine.request_context = {"id": request_id, "idempotency_key": key}
            engine.api_version = self.headers.get("Stripe-Version") or engine.api_version
            try:
                status, payload = 200, self._call(engine, method, path, params)
                if isinstance(payload, dict) and payload.get("object") not in (
                    None,
                    "list",
                    "search_result",
                ):
                    payload = engine.render(payload)
                payload = engine.expand(payload, [str(x) for x in expand])
            except StripeError as exc:
                # Events of what did happen (a declined charge...) are still sent; the
                # engine validates before it changes anything, so a refused call has none.
                status, payload = exc.status, exc.body()
            finally:
                engine.request_context = {"id": None, "idempotency_key": None}
            body = json.dumps(payload)
            if key and method == "POST" and status < 500:
                engine.idempotency[key] = (fingerprint, status, body)
                headers["Idempotency-Key"] = key
            events = engine.take_outbox()
        double.deliverer.submit(events)
        self._send(status, body.encode(), "application/json", headers)

    @staticmethod
    def _call(engine: Engine, method: str, path: str, params: Params) -> Any:
        allowed = []
        for verb, pattern, handler, params_class in ROUTES:
            match = pattern.match(path)
            if match:
                if verb == method:
                    check_params(params, params_class)
                    return handler(engine, params, match.groups())
                allowed.append(verb)
        raise missing_route(path)

    # ---------------------------------------------------------- pages and controls

    def _control(self, method: str, path: str, query: str, raw: bytes) -> None:
        double = self.server.double
        engine = double.engine
        content_type = self.headers.get("Content-Type", "")
        if raw and "json" in content_type:
            data: dict[str, Any] = json.loads(raw or b"{}")
        else:
            data = {k: v[0] for k, v in parse_qs(raw.decode() if raw else "").items()}
            data.update({k: v[0] for k, v in parse_qs(query).items()})
        parts = path.split("/")[2:]
        events: list[dict[str, Any]] = []
        reply: tuple[int, bytes, str, dict[str, str]] | None = None
        with engine.lock:
            try:
                reply = self._control_inner(double, method, parts, data)
            except StripeError as exc:
                reply = (exc.status, json.dumps(exc.body()).encode(), "application/json", {})
            events = engine.take_outbox()
        double.deliverer.submit(events)
        if method == "POST" and parts == ["webhooks", "deliver"]:
            reply = (
                200,
                json.dumps({"statuses": double.deliver_pending()}).encode(),
                "application/json",
                {},
            )
        status, body, ctype, extra = reply
        self._send(status, body, ctype, extra)

    def _control_inner(
        self, double: DoubleServer, method: str, parts: list[str], data: dict[str, Any]
    ) -> tuple[int, bytes, str, dict[str, str]]:
        engine = double.engine
        html = "text/html; charset=utf-8"

        def ok(payload: Any) -> tuple[int, bytes, str, dict[str, str]]:
            return 200, json.dumps(payload).encode(), "application/json", {}

        def redirect(location: str) -> tuple[int, bytes, str, dict[str, str]]:
            return 303, b"", "text/plain", {"Location": location}

        head = parts[0] if parts else ""
        if head == "health":
            return ok({"ok": True})
        if head == "checkout" and len(parts) >= 2:
            cs = engine.get(parts[1], "checkout.session")
            action = parts[2] if len(parts) > 2 else ""
            if method == "GET" and not action:
                return 200, pages.checkout_page(engine, cs).encode(), html, {}
            if method == "POST" and action in ("pay", "complete"):
                card = str(data.get("card") or "pm_card_visa")
                email = data.get("email") or None
                try:
                    engine.complete_checkout(cs["id"], card=card, email=email)
                except StripeError as exc:
                    if action == "complete":
                        raise
                    return 402, pages.checkout_page(engine, cs, exc.message).encode(), html, {}
                if action == "complete":
                    return ok(engine.render(cs))
                return redirect(str(cs["success_url"]).replace("{CHECKOUT_SESSION_ID}", cs["id"]))
            if method == "POST" and action in ("decline", "fail"):
                engine.fail_checkout(cs["id"])
                if action == "fail":
                    return ok(engine.render(cs))
                return (
                    402,
                    pages.checkout_page(engine, cs, "Your card was declined.").encode(),
                    html,
                    {},
                )
            if method == "POST" and action == "expire":
                return ok(engine.render(engine.expire_checkout(cs["id"])))
        if head == "portal" and len(parts) >= 2:
            bps = engine.get(parts[1], "billing_portal.session")
            action = parts[2] if len(parts) > 2 else ""
            if method == "GET" and not action:
                return 200, pages.portal_page(engine, bps).encode(), html, {}
            if method == "POST":
                message = ""
                if action == "cancel":
                    engine.portal_cancel(bps["id"], str(data.get("subscription")))
                    message = "Your subscription will be canceled at the end of the period."
                elif action == "renew":
                    engine.portal_renew(bps["id"], str(data.get("subscription")))
                    message = "Your subscription was renewed."
                elif action == "card":
                    try:
                        engine.portal_update_card(
                            bps["id"], str(data.get("card") or "pm_card_visa")
                        )
                        message = "Your card was updated."
                    except StripeError as exc:
                        message = exc.message
                return 200, pages.portal_page(engine, bps, message).encode(), html, {}
        if head == "invoices" and len(parts) >= 2:
            inv = engine.get(parts[1], "invoice")
            if len(parts) > 2 and parts[2] == "pdf":
                return 200, pages.invoice_pdf(inv), "application/pdf", {}
            if method == "POST" and len(parts) > 2 and parts[2] == "pay":
                try:
                    engine.pay_invoice(
                        inv["id"], {"payment_method": data.get("card") or "pm_card_visa"}
                    )
                    message = "Thank you: the invoice is paid."
                    status = 200
                except StripeError as exc:
                    message, status = exc.message, exc.status
                return status, pages.invoice_page(engine, inv, message).encode(), html, {}
            return 200, pages.invoice_page(engine, inv).encode(), html, {}
        if head == "receipts":
            return 200, pages.page("Receipt", "<h1>Receipt</h1><p>Paid.</p>").encode(), html, {}
        if method == "POST" and head == "clock":
            double._advance_locked(
                seconds=float(data.get("seconds", 0)) + float(data.get("days", 0)) * DAY,
                to=int(data["to"]) if data.get("to") else None,
            )
            return ok({"now": engine.global_now()})
        if method == "GET" and head == "clock":
            return ok({"now": engine.global_now()})
        if (
            method == "POST"
            and head == "customers"
            and len(parts) == 3
            and parts[2] == "card_failing"
        ):
            engine.set_card_failing(parts[1], as_bool(data.get("failing", True)))
            return ok({"customer": parts[1], "failing": as_bool(data.get("failing", True))})
        if method == "GET" and head == "events":
            if as_bool(data.get("pending", False)):
                return ok([copy.deepcopy(e) for e in double.deliverer.pending()])
            return ok([engine.render(e) for e in engine.events])
        if method == "POST" and head == "webhooks" and parts[1:] == ["deliver"]:
            # Delivery happens after the lock is released, by the caller below.
            return ok({"scheduled": True})
        if method == "POST" and head == "config":
            if "webhook_url" in data:
                double.deliverer.url = data["webhook_url"] or None
            if "webhook_secret" in data:
                double.deliverer.secret = data["webhook_secret"]
            if "webhook_mode" in data:
                double.deliverer.mode = data["webhook_mode"]
            return ok({"webhook_url": double.deliverer.url, "webhook_mode": double.deliverer.mode})
        raise missing_route("/_double/" + "/".join(parts))


def missing_route(path: str) -> StripeError:
    return StripeError(
        f"Unrecognized request URL (path: {path}). The Stripe test double does not implement it.",
        status=404,
    )


class DoubleServer:
    """A running double. Use ``stripe_double.run(...)`` to make one.

    Attributes: ``url`` (give it to ``stripe.api_base``), ``engine`` (the state),
    ``deliverer`` (webhook state). Methods are the test controls.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_url: str | None = None,
        webhook_secret: str = "whsec_test_double",
        webhook_mode: str = "sync",
        webhook_poster: Poster | None = None,
        retry_delays: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0),
        public_url: str | None = None,
        retry_schedule_days: tuple[int, ...] = (3, 5, 7),
        after_final_failure: str = "cancel",
        upcoming_days: int = 7,
        verbose: bool = False,
    ) -> None:
        self.verbose = verbose
        self.last_error: BaseException | None = None
        self._httpd = _HTTPServer((host, port), _RequestHandler)
        self._httpd.double = self
        bound_port = self._httpd.server_address[1]
        self.url = f"http://{host}:{bound_port}"
        self.port = bound_port
        self.engine = Engine(
            base_url=public_url or self.url,
            retry_schedule_days=retry_schedule_days,
            after_final_failure=after_final_failure,
            upcoming_days=upcoming_days,
        )
        self.deliverer = Deliverer(
            url=webhook_url,
            secret=webhook_secret,
            mode=webhook_mode,
            retry_delays=retry_delays,
            poster=webhook_poster,
        )
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------- lifecycle

    def start(self) -> DoubleServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="stripe-double",
                daemon=True,
            )
            self._thread.start()
            self.deliverer.start()
        return self

    def stop(self) -> None:
        self.deliverer.stop()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> DoubleServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        self.deliverer.start()
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self.deliverer.stop()

    # ------------------------------------------------------------- configuring

    def configure_webhooks(
        self,
        *,
        url: str | None = None,
        secret: str | None = None,
        mode: str | None = None,
        poster: Poster | None = None,
    ) -> None:
        """Point webhooks somewhere else (e.g. a live_server URL known only later)."""
        if url is not None:
            self.deliverer.url = url
        if secret is not None:
            self.deliverer.secret = secret
        if mode is not None:
            self.deliverer.mode = mode
        if poster is not None:
            self.deliverer.poster = poster

    @property
    def webhook_secret(self) -> str:
        return self.deliverer.secret

    # ------------------------------------------------------------- test controls

    def _run(self, fn: Callable[[Engine], Any]) -> Any:
        """Run ``fn`` under the engine's lock, then deliver the events it caused."""
        with self.engine.lock:
            error: BaseException | None = None
            result: Any = None
            try:
                result = fn(self.engine)
                result = self.engine.render(result) if isinstance(result, dict) else result
            except BaseException as exc:  # re-raised below, after what happened is sent
                error = exc
            events = self.engine.take_outbox()
        self.deliverer.submit(events)
        if error is not None:
            raise error
        return result

    def _advance_locked(self, *, seconds: float = 0, to: int | None = None) -> None:
        target = int(to) if to is not None else self.engine.global_now() + int(seconds)
        self.engine.advance(None, target)

    def now(self) -> int:
        """The double's current time on its global clock (Unix seconds)."""
        with self.engine.lock:
            return self.engine.global_now()

    def advance_clock(
        self,
        *,
        days: float = 0,
        hours: float = 0,
        seconds: float = 0,
        to: int | None = None,
        clock: str | None = None,
    ) -> int:
        """Let time pass: renewals, trial ends, retries and their webhooks happen in order.

        Without ``clock`` this moves the global clock (customers not on a test clock);
        with ``clock`` it advances that Stripe test clock. Returns the new time.
        """
        delta = int(days * DAY + hours * 3600 + seconds)

        def go(engine: Engine) -> int:
            if clock:
                current = int(engine.get(clock, "test_helpers.test_clock")["frozen_time"])
                target = int(to) if to is not None else current + delta
                engine.advance_clock(clock, target)
                return target
            target = int(to) if to is not None else engine.global_now() + delta
            engine.advance(None, target)
            return target

        return int(self._run(go))

    def complete_checkout(
        self, session_id: str, *, card: str = "pm_card_visa", email: str | None = None
    ) -> dict[str, Any]:
        """Pay a Checkout Session as the customer would on its page."""
        return dict(self._run(lambda e: e.complete_checkout(session_id, card=card, email=email)))

    def fail_checkout(self, session_id: str) -> dict[str, Any]:
        """The customer's card is declined on the Checkout page (the session stays open)."""
        return dict(self._run(lambda e: e.fail_checkout(session_id)))

    def expire_checkout(self, session_id: str) -> dict[str, Any]:
        return dict(self._run(lambda e: e.expire_checkout(session_id)))

    def set_card_failing(self, customer_id: str, failing: bool = True) -> None:
        """Every charge to this customer fails (True) or works again (False)."""
        self._run(lambda e: e.set_card_failing(customer_id, failing))

    def update_card(self, customer_id: str, card: str = "pm_card_visa") -> dict[str, Any]:
        """The customer puts a new card on file (as in the portal); open invoices are retried."""

        def go(engine: Engine) -> dict[str, Any]:
            pm = engine.attach_payment_method(card, customer_id)
            engine.failing_customers.discard(customer_id)
            for sub in engine.all("subscription"):
                if sub["customer"] == customer_id and sub["default_payment_method"]:
                    sub["default_payment_method"] = pm["id"]
            engine.update_customer(
                customer_id, {"invoice_settings": {"default_payment_method": pm["id"]}}
            )
            return pm

        return dict(self._run(go))

    def get(self, object_id: str) -> dict[str, Any]:
        """Any stored object by id (as the API would return it)."""

        def go(engine: Engine) -> dict[str, Any]:
            if object_id not in engine.objects:
                raise missing("object", object_id)
            return engine.objects[object_id]

        return dict(self._run(go))

    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        """Every event so far, oldest first (optionally of one type)."""
        with self.engine.lock:
            found = [self.engine.render(e) for e in self.engine.events]
        return [e for e in found if type is None or e["type"] == type]

    def event_types(self) -> list[str]:
        return [e["type"] for e in self.events()]

    def pending_events(self) -> list[dict[str, Any]]:
        """Events not yet delivered to (or taken by) the webhook endpoint."""
        return [copy.deepcopy(e) for e in self.deliverer.pending()]

    def take_webhooks(self) -> list[SignedWebhook]:
        """Every undelivered event as a signed webhook (payload + headers) for a test client
        to post; they count as delivered afterwards."""
        return self.deliverer.take()

    def deliver_pending(self) -> list[int]:
        """Post every undelivered event to the webhook URL now; returns the HTTP statuses."""
        return self.deliverer.deliver_pending()

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        """Block until background delivery (and retries) are done."""
        return self.deliverer.wait_idle(timeout)

    def sign(self, payload: bytes, timestamp: int | None = None) -> str:
        """A ``Stripe-Signature`` header for ``payload`` with this double's secret."""
        from .webhooks import sign

        return sign(payload, self.deliverer.secret, timestamp)

    def reset(self) -> None:
        """Forget every object and event (the server keeps running)."""
        with self.engine.lock:
            fresh = Engine(
                base_url=self.engine.base_url,
                retry_schedule_days=tuple(self.engine.retry_schedule_days),
                after_final_failure=self.engine.after_final_failure,
                upcoming_days=self.engine.upcoming_days,
            )
            self.engine.__dict__.update({k: v for k, v in fresh.__dict__.items() if k != "lock"})
        with self.deliverer.lock:
            self.deliverer.deliveries.clear()
            self.deliverer.order.clear()


def run(
    *,
    webhook_url: str | None = None,
    webhook_secret: str = "whsec_test_double",
    webhook_mode: str = "sync",
    port: int = 0,
    host: str = "127.0.0.1",
    **options: Any,
) -> DoubleServer:
    """Start a double in a background thread; use it as a context manager or call ``stop()``.

    >>> with stripe_double.run(webhook_url="http://127.0.0.1:8000/billing/stripe/webhook/",
    ...                        webhook_secret="whsec_x") as double:
    ...     stripe.api_base = double.url
    """
    server = DoubleServer(
        host=host,
        port=port,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        webhook_mode=webhook_mode,
        **options,
    )
    return server.start()
