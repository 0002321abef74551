"""Stripe-shaped API errors: the status and ``{"error": {...}}`` body Stripe answers with."""

from __future__ import annotations

from typing import Any


class StripeError(Exception):
    """Raised by the engine; the server turns it into Stripe's error response."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        if self.decline_code:
            error["decline_code"] = self.decline_code
        error.update(self.extra)
        return {"error": error}


def missing(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(
        f"No such {kind}: '{object_id}'", status=404, code="resource_missing", param=param
    )


def required(param: str) -> StripeError:
    return StripeError(f"Missing required param: {param}.", code="parameter_missing", param=param)


def invalid(param: str, message: str) -> StripeError:
    return StripeError(message, code="parameter_invalid_empty", param=param)


def unknown(param: str) -> StripeError:
    return StripeError(
        f"Received unknown parameter: {param}", code="parameter_unknown", param=param
    )


def card_declined(message: str = "Your card was declined.", **extra: Any) -> StripeError:
    return StripeError(
        message,
        status=402,
        type="card_error",
        code="card_declined",
        decline_code="generic_decline",
        extra=extra,
    )
