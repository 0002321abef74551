"""Idempotency keys, the HTML pages (Checkout, portal, invoices), test controls and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import stripe

from .helpers import seat_price


def test_same_key_same_params_replays_the_first_answer(stripe_double):
    first = stripe.Customer.create(email="idem@example.com", idempotency_key="signup-42")
    again = stripe.Customer.create(email="idem@example.com", idempotency_key="signup-42")
    assert again.id == first.id
    assert len(stripe.Customer.list().data) == 1
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(stripe_double.events("customer.created")) == 1


def test_same_key_other_params_is_an_idempotency_error(stripe_double):
    stripe.Customer.create(email="a@example.com", idempotency_key="k-1")
    with pytest.raises(stripe.IdempotencyError) as err:
        stripe.Customer.create(email="b@example.com", idempotency_key="k-1")
    assert err.value.http_status == 400
    assert err.value.error.type == "idempotency_error"


def test_idempotent_subscription_create_and_checkout(stripe_double):
    price = seat_price(100)
    customer = stripe.Customer.create(payment_method="pm_card_visa")
    params = {"customer": customer.id, "items": [{"price": price.id, "quantity": 2}]}
    one = stripe.Subscription.create(**params, idempotency_key="sub-1")
    two = stripe.Subscription.create(**params, idempotency_key="sub-1")
    assert one.id == two.id
    assert len(stripe.Subscription.list(customer=customer.id).data) == 1
    s1 = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 1}],
        success_url="https://x.example/ok",
        idempotency_key="cs-1",
    )
    s2 = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 1}],
        success_url="https://x.example/ok",
        idempotency_key="cs-1",
    )
    assert s1.id == s2.id


def test_an_error_answer_is_replayed_too(stripe_double):
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Subscription.create(
            customer="cus_missing", items=[{"price": "price_x"}], idempotency_key="bad"
        )
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe.Subscription.create(
            customer="cus_missing", items=[{"price": "price_x"}], idempotency_key="bad"
        )
    assert err.value.http_status == 404


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def post(url: str, data: dict[str, str]) -> tuple[int, str, dict[str, str]]:
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(), method="POST")  # noqa: S310 - loopback
    try:
        with opener.open(request) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def get(url: str) -> tuple[int, bytes, str]:
    with urllib.request.urlopen(url) as response:  # noqa: S310 - loopback
        return response.status, response.read(), response.headers["Content-Type"]


def test_checkout_page_pay_redirects_to_success_url(stripe_double):
    price = seat_price(900, name="Team")
    session = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 4}],
        success_url="https://app.example/billing/return?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="https://app.example/billing/",
    )
    status, body, ctype = get(session.url)
    html = body.decode()
    assert status == 200
    assert ctype.startswith("text/html")
    assert "Team" in html
    assert "36.00 EUR" in html
    assert 'data-testid="pay"' in html.replace("'", '"')
    status, _, headers = post(
        f"{session.url}/pay", {"card": "pm_card_visa", "email": "o@example.com"}
    )
    assert status == 303
    assert headers["Location"] == f"https://app.example/billing/return?session_id={session.id}"
    done = stripe.checkout.Session.retrieve(session.id)
    assert done.status == "complete"
    assert stripe.Customer.retrieve(done.customer).email == "o@example.com"
    status, body, _ = get(session.url)
    assert "complete" in body.decode()


def test_checkout_page_decline_shows_the_error_and_stays_open(stripe_double):
    price = seat_price(900)
    session = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 1}],
        success_url="https://app.example/ok",
    )
    status, html, _ = post(f"{session.url}/decline", {})
    assert status == 402
    assert "Your card was declined." in html
    status, html, _ = post(f"{session.url}/pay", {"card": "pm_card_chargeDeclined"})
    assert status == 402
    assert "declined" in html
    assert stripe.checkout.Session.retrieve(session.id).status == "open"


def test_control_endpoints_complete_and_advance(stripe_double):
    price = seat_price(900)
    session = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 1}],
        success_url="https://app.example/ok",
    )
    status, body, _ = post(f"{stripe_double.url}/_double/checkout/{session.id}/complete", {})
    assert status == 200
    sub_id = json.loads(body)["subscription"]
    status, body, _ = post(f"{stripe_double.url}/_double/clock", {"days": "31"})
    assert status == 200
    assert len(stripe.Invoice.list(subscription=sub_id).data) == 2
    customer = stripe.Subscription.retrieve(sub_id).customer
    status, _, _ = post(
        f"{stripe_double.url}/_double/customers/{customer}/card_failing", {"failing": "true"}
    )
    assert status == 200
    post(f"{stripe_double.url}/_double/clock", {"days": "31"})
    assert stripe.Subscription.retrieve(sub_id).status == "past_due"
    status, body, _ = get(f"{stripe_double.url}/_double/events?pending=1")
    assert "invoice.payment_failed" in [e["type"] for e in json.loads(body)]


def test_portal_page_cancel_and_update_card(stripe_double):
    price = seat_price(900, name="Team")
    customer = stripe.Customer.create(email="p@example.com", payment_method="pm_card_visa")
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id, "quantity": 2}]
    )
    portal = stripe.billing_portal.Session.create(
        customer=customer.id, return_url="https://app.example/b"
    )
    status, body, _ = get(portal.url)
    html = body.decode()
    assert status == 200
    assert "2 × Team" in html
    assert "visa •••• 4242" in html
    assert "https://app.example/b" in html
    status, html, _ = post(f"{portal.url}/cancel", {"subscription": sub.id})
    assert status == 200
    assert "canceled at the end of the period" in html
    assert stripe.Subscription.retrieve(sub.id).cancel_at_period_end is True
    post(f"{portal.url}/renew", {"subscription": sub.id})
    assert stripe.Subscription.retrieve(sub.id).cancel_at_period_end is False
    status, html, _ = post(f"{portal.url}/card", {"card": "pm_card_mastercard"})
    assert "mastercard •••• 4444" in html
    pm = stripe.Customer.retrieve(customer.id).invoice_settings.default_payment_method
    assert stripe.PaymentMethod.retrieve(pm).card.last4 == "4444"


def test_hosted_invoice_page_and_pdf(stripe_double):
    price = seat_price(900)
    customer = stripe.Customer.create(payment_method="pm_card_visa")
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id}], expand=["latest_invoice"]
    )
    invoice = sub.latest_invoice
    status, body, _ = get(invoice.hosted_invoice_url)
    assert status == 200
    assert "9.00 EUR" in body.decode()
    status, body, ctype = get(invoice.invoice_pdf)
    assert ctype == "application/pdf"
    assert body.startswith(b"%PDF-1.4")
    assert invoice.number.encode() in body


def test_unknown_route_is_a_stripe_404(stripe_double):
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe.Coupon.create(percent_off=10)
    assert err.value.http_status == 404
    assert "Unrecognized request URL" in err.value.user_message


def test_cli_serves_the_api(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stripe_double",
            "--port",
            str(port),
            "--webhook-secret",
            "whsec_cli",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                _, body, _ = get(f"{url}/_double/health")
                break
            except OSError:
                time.sleep(0.1)
        assert json.loads(body) == {"ok": True}
        client = stripe.StripeClient("sk_test_cli", base_addresses={"api": url})
        customer = client.v1.customers.create(params={"email": "cli@example.com"})
        assert customer.id.startswith("cus_")
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert f"Stripe test double on {url}" in output


def test_hosted_invoice_page_pays_an_open_invoice(stripe_double):
    price = seat_price(900)
    customer = stripe.Customer.create(payment_method="pm_card_chargeCustomerFail")
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id}], expand=["latest_invoice"]
    )
    assert sub.status == "incomplete"
    url = sub.latest_invoice.hosted_invoice_url
    status, body, _ = get(url)
    assert 'data-testid="pay"' in body.decode().replace("'", '"')
    status, html, _ = post(f"{url}/pay", {"card": "pm_card_chargeCustomerFail"})
    assert status == 402
    assert "declined" in html
    status, html, _ = post(f"{url}/pay", {"card": "pm_card_visa"})
    assert status == 200
    assert "the invoice is paid" in html
    assert stripe.Invoice.retrieve(sub.latest_invoice.id).status == "paid"
    assert stripe.Subscription.retrieve(sub.id).status == "active"
