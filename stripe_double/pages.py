"""The double's HTML pages: hosted Checkout, the Customer Portal and hosted invoices.

Plain HTML forms (no JavaScript) so a person, a browser test or an HTTP client can click
"Pay", "Decline", "Cancel subscription"... Buttons carry stable ``data-testid`` attributes.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from .engine import TEST_CARDS, Engine, fmt_money

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f6f8fa;color:#1a1f36}
main{max-width:32rem;margin:0 auto;padding:1rem}
h1{font-size:1.3rem} .box{background:#fff;border:1px solid #e3e8ee;border-radius:8px;
padding:1rem;margin:1rem 0} table{width:100%;border-collapse:collapse}
td,th{padding:.3rem;text-align:left;border-bottom:1px solid #eee;font-size:.9rem}
button{font-size:1rem;padding:.6rem 1rem;border-radius:6px;border:1px solid #635bff;
background:#635bff;color:#fff;cursor:pointer;margin:.2rem 0}
button.secondary{background:#fff;color:#635bff} .error{color:#b00020;font-weight:600}
.note{color:#697386;font-size:.85rem} select{font-size:1rem;padding:.4rem;max-width:100%}
"""

CARD_LABELS = {
    "pm_card_visa": "Visa •••• 4242 (pays)",
    "pm_card_mastercard": "Mastercard •••• 4444 (pays)",
    "pm_card_chargeCustomerFail": "Visa •••• 0341 (attaches, later charges fail)",
    "pm_card_chargeDeclined": "Visa •••• 0002 (declined)",
}


def page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main><p class='note'>Stripe test double — no real money moves.</p>"
        f"{body}</main></body></html>"
    )


def date(ts: int | None) -> str:
    if not ts:
        return "—"
    return dt.datetime.fromtimestamp(int(ts), tz=dt.UTC).strftime("%d %b %Y %H:%M UTC")


def _card_select(name: str = "card") -> str:
    options = "".join(
        f"<option value='{key}'>{escape(label)}</option>"
        for key, label in CARD_LABELS.items()
        if key in TEST_CARDS
    )
    return (
        f"<label for='{name}'>Card</label><br>"
        f"<select id='{name}' name='{name}' data-testid='card'>{options}</select>"
    )


def checkout_page(engine: Engine, cs: dict[str, Any], error: str | None = None) -> str:
    rows = []
    for line in engine.checkout_line_items(cs["id"]):
        price = line["price"]
        rec = price.get("recurring")
        per = f" / {rec['interval']}" if rec else ""
        rows.append(
            f"<tr><td>{escape(str(line['description']))}</td><td>× {line['quantity']}</td>"
            f"<td>{escape(fmt_money(price['unit_amount'], price['currency']))}{per}</td>"
            f"<td>{escape(fmt_money(line['amount_total'], line['currency']))}</td></tr>"
        )
    trial = (cs.get("_subscription_data") or {}).get("trial_period_days")
    trial_note = f"<p>Free trial: {escape(str(trial))} days.</p>" if trial else ""
    status = cs["status"]
    if status != "open":
        actions = f"<p data-testid='status'>This Checkout Session is {escape(status)}.</p>"
    else:
        actions = (
            f"<form method='post' action='/_double/checkout/{cs['id']}/pay'>"
            f"<p><label for='email'>Email</label><br><input id='email' name='email' "
            f"type='email' value='{escape(cs.get('customer_email') or '')}'></p>"
            f"<p>{_card_select()}</p>"
            "<button type='submit' data-testid='pay'>Pay</button></form>"
            f"<form method='post' action='/_double/checkout/{cs['id']}/decline'>"
            "<button type='submit' class='secondary' data-testid='decline'>"
            "Decline (card refused)</button></form>"
        )
    cancel = (
        f"<p><a href='{escape(cs['cancel_url'])}' data-testid='cancel'>← Back</a></p>"
        if cs.get("cancel_url")
        else ""
    )
    err = f"<p class='error' role='alert' data-testid='error'>{escape(error)}</p>" if error else ""
    body = (
        f"<h1>Checkout ({escape(cs['mode'])})</h1>{err}<div class='box'><table>"
        "<tr><th>Item</th><th>Qty</th><th>Price</th><th>Total</th></tr>"
        f"{''.join(rows)}</table><p><strong>Total due today: "
        f"{escape(fmt_money(0 if trial else cs['amount_total'], cs['currency'] or 'usd'))}"
        f"</strong></p>{trial_note}</div>{actions}{cancel}"
    )
    return page("Checkout — Stripe test double", body)


def _product_name(engine: Engine, price: dict[str, Any]) -> str:
    return str(engine.objects.get(price["product"], {}).get("name", ""))


def portal_page(engine: Engine, bps: dict[str, Any], message: str | None = None) -> str:
    cust = engine.objects[bps["customer"]]
    pm_id = cust["invoice_settings"]["default_payment_method"]
    card = "none"
    if pm_id and pm_id in engine.objects:
        pm = engine.objects[pm_id]["card"]
        card = f"{pm['brand']} •••• {pm['last4']}"
    subs = []
    for sub in engine.all("subscription"):
        if sub["customer"] != cust["id"]:
            continue
        start, end = engine.period_of(sub)
        items = ", ".join(
            f"{it['quantity']} × {escape(_product_name(engine, it['price']))}"
            for it in sub["items"]["data"]
        )
        if sub["status"] in ("canceled", "incomplete_expired"):
            action = ""
        elif sub["cancel_at_period_end"]:
            action = (
                f"<p>Cancels on {date(end)}.</p>"
                f"<form method='post' action='/_double/portal/{bps['id']}/renew'>"
                f"<input type='hidden' name='subscription' value='{sub['id']}'>"
                "<button type='submit' data-testid='renew'>Renew subscription</button></form>"
            )
        else:
            action = (
                f"<form method='post' action='/_double/portal/{bps['id']}/cancel'>"
                f"<input type='hidden' name='subscription' value='{sub['id']}'>"
                "<button type='submit' class='secondary' data-testid='cancel-subscription'>"
                "Cancel subscription</button></form>"
            )
        subs.append(
            f"<div class='box' data-testid='subscription'><p><strong>{items}</strong></p>"
            f"<p>Status: <span data-testid='subscription-status'>{escape(sub['status'])}</span>"
            f"</p><p>Current period: {date(start)} – {date(end)}</p>{action}</div>"
        )
    invoices = []
    for inv in engine.all("invoice"):
        if inv["customer"] != cust["id"] or inv["status"] == "draft":
            continue
        invoices.append(
            f"<tr><td>{escape(inv['number'] or inv['id'])}</td><td>{date(inv['created'])}</td>"
            f"<td>{escape(fmt_money(inv['total'], inv['currency']))}</td>"
            f"<td>{escape(inv['status'])}</td>"
            f"<td><a href='/_double/invoices/{inv['id']}'>View</a></td></tr>"
        )
    msg = f"<p role='status' data-testid='message'>{escape(message)}</p>" if message else ""
    back = (
        f"<p><a href='{escape(bps['return_url'])}' data-testid='return'>← Return</a></p>"
        if bps.get("return_url")
        else ""
    )
    body = (
        f"<h1>Billing for {escape(cust.get('email') or cust['id'])}</h1>{msg}"
        f"<div class='box'><p>Payment method: <span data-testid='card-on-file'>"
        f"{escape(card)}</span></p>"
        f"<form method='post' action='/_double/portal/{bps['id']}/card'>{_card_select()} "
        "<button type='submit' data-testid='update-card'>Update card</button></form></div>"
        f"{''.join(subs)}<div class='box'><h2>Invoices</h2><table>"
        "<tr><th>Number</th><th>Date</th><th>Total</th><th>Status</th><th></th></tr>"
        f"{''.join(invoices)}</table></div>{back}"
    )
    return page("Billing portal — Stripe test double", body)


def invoice_page(engine: Engine, inv: dict[str, Any], message: str | None = None) -> str:
    lines = "".join(
        f"<tr><td>{escape(str(line['description']))}</td><td>{line['quantity']}</td>"
        f"<td>{escape(fmt_money(line['amount'], line['currency']))}</td></tr>"
        for line in inv["lines"]["data"]
    )
    body = (
        f"<h1>Invoice {escape(inv['number'] or inv['id'])}</h1><div class='box'>"
        f"<p>Status: <span data-testid='invoice-status'>{escape(inv['status'])}</span></p>"
        f"<p>Date: {date(inv['created'])}</p><table><tr><th>Description</th><th>Qty</th>"
        f"<th>Amount</th></tr>{lines}</table>"
        f"<p><strong>Amount due: {escape(fmt_money(inv['amount_due'], inv['currency']))}"
        f"</strong></p><p>Paid: {escape(fmt_money(inv['amount_paid'], inv['currency']))}</p>"
        f"<p><a href='/_double/invoices/{inv['id']}/pdf'>Download PDF</a></p></div>"
    )
    if message:
        body = f"<p role='status' data-testid='message'>{escape(message)}</p>{body}"
    if inv["status"] == "open":
        body += (
            f"<form method='post' action='/_double/invoices/{inv['id']}/pay'>"
            f"<p>{_card_select()}</p>"
            "<button type='submit' data-testid='pay'>Pay this invoice</button></form>"
        )
    return page(f"Invoice {inv['number'] or inv['id']}", body)


def invoice_pdf(inv: dict[str, Any]) -> bytes:
    """A minimal valid one-page PDF naming the invoice and its total."""
    text = (
        (
            f"Invoice {inv['number'] or inv['id']} - "
            f"total {fmt_money(inv['total'], inv['currency'])} - {inv['status']}"
        )
        .replace("(", "[")
        .replace(")", "]")
    )
    content = f"BT /F1 14 Tf 50 780 Td ({text}) Tj ET".encode("latin-1", "replace")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
