"""Webhook signing and delivery, as Stripe does it.

Signature: ``Stripe-Signature: t=<unix ts>,v1=<hex HMAC-SHA256 of "<ts>.<body>" keyed with
the endpoint secret>`` over the exact bytes posted, so ``stripe.Webhook.construct_event``
verifies it. Delivery modes:

- ``"sync"``: each event is posted before the API call that caused it returns (after the
  double's lock is released, so the receiver may call back into the double);
- ``"background"``: a worker thread posts events in order;
- ``"manual"`` (or no URL configured): events wait until a test takes them
  (``DoubleServer.take_webhooks()``) or delivers them (``deliver_pending()``).

A non-2xx answer (or a connection error) is retried by the background worker after
``retry_delays`` seconds (Stripe retries for days; tests want it quick).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload``."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    signed = f"{ts}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


def event_payload(event: dict[str, Any]) -> bytes:
    """The body Stripe posts: the event as pretty-printed JSON."""
    return json.dumps(event, indent=2).encode()


@dataclass
class SignedWebhook:
    """One webhook as it would be posted: body bytes and headers (for a test client)."""

    event: dict[str, Any]
    payload: bytes
    headers: dict[str, str]

    @property
    def signature(self) -> str:
        return self.headers["Stripe-Signature"]


@dataclass
class Delivery:
    event: dict[str, Any]
    attempts: int = 0
    delivered: bool = False
    taken: bool = False
    last_status: int | None = None
    next_try: float = 0.0
    history: list[int] = field(default_factory=list)


Poster = Callable[[bytes, dict[str, str]], int]


class Deliverer:
    """Holds every event's delivery state and posts them to the configured endpoint."""

    def __init__(
        self,
        *,
        url: str | None = None,
        secret: str = "whsec_test_double",
        mode: str = "sync",
        retry_delays: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0),
        timeout: float = 10.0,
        poster: Poster | None = None,
    ) -> None:
        if mode not in ("sync", "background", "manual"):
            raise ValueError(f"unknown webhook mode {mode!r}")
        self.url = url
        self.secret = secret
        self.mode = mode
        self.retry_delays = retry_delays
        self.timeout = timeout
        self.poster = poster
        self.lock = threading.Condition()
        self.deliveries: dict[str, Delivery] = {}
        self.order: list[str] = []
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._in_flight = 0

    # ------------------------------------------------------------- configuration

    @property
    def active(self) -> bool:
        return self.mode != "manual" and (self.url is not None or self.poster is not None)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._worker, name="stripe-double-webhooks", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        with self.lock:
            self._stopped = True
            self.lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # ------------------------------------------------------------- intake

    def submit(self, events: list[dict[str, Any]]) -> None:
        """New events from one API call (called without the engine's lock)."""
        if not events:
            return
        with self.lock:
            for event in events:
                event["pending_webhooks"] = 1 if self.active else 0
                self.deliveries[event["id"]] = Delivery(event=event)
                self.order.append(event["id"])
            self.lock.notify_all()
        if self.active and self.mode == "sync":
            for event in events:
                self._attempt(self.deliveries[event["id"]])

    # ------------------------------------------------------------- posting

    def signed(self, event: dict[str, Any], timestamp: int | None = None) -> SignedWebhook:
        payload = event_payload(event)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign(payload, self.secret, timestamp),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        return SignedWebhook(event=event, payload=payload, headers=headers)

    def _post(self, hook: SignedWebhook) -> int:
        if self.poster is not None:
            return int(self.poster(hook.payload, hook.headers))
        if self.url is None:
            return 0
        request = urllib.request.Request(  # noqa: S310 - a loopback URL the test configured
            self.url, data=hook.payload, headers=hook.headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except (OSError, urllib.error.URLError):
            return 0

    def _attempt(self, delivery: Delivery) -> bool:
        with self.lock:
            if delivery.delivered or delivery.taken:
                return True
            self._in_flight += 1
        try:
            status = self._post(self.signed(delivery.event))
        finally:
            with self.lock:
                self._in_flight -= 1
        with self.lock:
            delivery.attempts += 1
            delivery.last_status = status
            delivery.history.append(status)
            if 200 <= status < 300:
                delivery.delivered = True
                delivery.event["pending_webhooks"] = 0
            else:
                index = min(delivery.attempts - 1, len(self.retry_delays) - 1)
                if delivery.attempts > len(self.retry_delays):
                    delivery.next_try = float("inf")  # gave up, as Stripe does after 3 days
                else:
                    delivery.next_try = time.monotonic() + self.retry_delays[index]
                self.lock.notify_all()
            self.lock.notify_all()
            return delivery.delivered

    def _next_due(self) -> Delivery | None:
        now = time.monotonic()
        for eid in self.order:
            d = self.deliveries[eid]
            if d.delivered or d.taken or d.next_try == float("inf"):
                continue
            if self.mode == "sync" and d.attempts == 0:
                continue  # the request thread is posting it
            if d.next_try <= now:
                return d
        return None

    def _worker(self) -> None:
        while True:
            with self.lock:
                if self._stopped:
                    return
                due = self._next_due() if self.active else None
                if due is None:
                    self.lock.wait(timeout=0.1)
                    continue
            self._attempt(due)

    # ------------------------------------------------------------- for tests

    def pending(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                self.deliveries[e].event
                for e in self.order
                if not self.deliveries[e].delivered and not self.deliveries[e].taken
            ]

    def take(self) -> list[SignedWebhook]:
        """Signed webhooks for every undelivered event; they count as delivered after."""
        with self.lock:
            result = []
            for eid in self.order:
                d = self.deliveries[eid]
                if d.delivered or d.taken:
                    continue
                d.taken = True
                d.event["pending_webhooks"] = 0
                result.append(self.signed(d.event))
            return result

    def deliver_pending(self) -> list[int]:
        """Post every undelivered event now, in order; returns the statuses."""
        with self.lock:
            todo = [
                self.deliveries[e]
                for e in self.order
                if not self.deliveries[e].delivered and not self.deliveries[e].taken
            ]
        saved, self.mode = self.mode, "sync" if self.mode == "manual" else self.mode
        try:
            return [(self._attempt(d) and 200) or (d.last_status or 0) for d in todo]
        finally:
            self.mode = saved

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no event is waiting for its first or a retried delivery."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                busy = self._in_flight > 0 or any(
                    not d.delivered and not d.taken and d.next_try != float("inf")
                    for d in self.deliveries.values()
                )
                if not busy or not self.active:
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.lock.wait(timeout=min(remaining, 0.05))

    def status_of(self, event_id: str) -> Delivery | None:
        with self.lock:
            return self.deliveries.get(event_id)
