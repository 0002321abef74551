"""Logs and Sentry events that always name the workspace and never carry personal data."""

import logging
from typing import Any

import sentry_sdk

from tenants.db import current_schema_name


class WorkspaceLogFilter(logging.Filter):
    """Adds `workspace` (the schema name) to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.workspace = current_schema_name()
        return True


# Keys of a Sentry event that may hold personal data (addresses, cookies, form bodies).
_PERSONAL_REQUEST_KEYS = ("cookies", "data", "headers", "query_string", "env")


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Tag the event with the workspace schema and strip personal data before it leaves."""
    event.setdefault("tags", {})["workspace"] = current_schema_name()
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        for key in _PERSONAL_REQUEST_KEYS:
            request.pop(key, None)
    for breadcrumb in (event.get("breadcrumbs") or {}).get("values", []):
        breadcrumb.pop("data", None)
    return event


def init_sentry(*, dsn: str, environment: str, **options: Any) -> None:
    """Start sentry-sdk when a DSN is configured; a no-op otherwise."""
    if not dsn:
        return
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        send_default_pii=False,
        # Frame locals hold requests, members and form values (e-mails, names, phones).
        include_local_variables=False,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=scrub_event,  # type: ignore[arg-type]
        traces_sample_rate=0.0,
        **options,
    )
