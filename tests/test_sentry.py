"""Errors reach Sentry tagged with the workspace, and without anyone's personal data."""

from collections.abc import Iterator

import pytest
import sentry_sdk
from django.conf import settings
from django_tenants.utils import schema_context
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from saas_platform.observability import init_sentry


class CapturingTransport(Transport):
    """Keeps what the SDK would send to Sentry, instead of sending it."""

    def __init__(self, options=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(options)
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)

    @property
    def events(self) -> list[dict]:
        return [e.get_event() for e in self.envelopes if e.get_event() is not None]  # type: ignore[misc]

    @property
    def sent_bytes(self) -> bytes:
        return b"".join(envelope.serialize() for envelope in self.envelopes)


@pytest.fixture
def sentry() -> Iterator[CapturingTransport]:
    """Sentry as production starts it, sending to a capturing transport; off again after."""
    transport = CapturingTransport()
    init_sentry(dsn="https://public-key@sentry.invalid/1", environment="test", transport=transport)
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def test_error_on_a_workspace_page_is_reported_with_its_workspace_and_no_personal_data(
    workspace, owner_client, sentry, monkeypatch
):
    # Given: the owner of A, on A's host, and a page that breaks.
    email = workspace.owner.email

    def broken_render(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the home page broke")

    monkeypatch.setattr("saas_platform.views.render", broken_render)

    # When: they send their address to it, in the query string and in the form body.
    with pytest.raises(RuntimeError):
        owner_client.post(f"/?email={email}", {"note": f"call {email} back"})

    # Then: Sentry gets the error, tagged with A's schema, and nothing personal.
    assert sentry.events
    for event in sentry.events:
        assert event["tags"]["workspace"] == workspace.workspace.schema_name
        assert "user" not in event
        assert not {"cookies", "data", "headers", "query_string", "env"} & set(
            event.get("request", {})
        )
    errors = [event for event in sentry.events if "exception" in event]
    assert errors[0]["exception"]["values"][-1]["value"] == "the home page broke"
    sent = sentry.sent_bytes
    assert email.encode() not in sent
    assert owner_client.cookies[settings.SESSION_COOKIE_NAME].value.encode() not in sent


def test_error_captured_inside_a_workspace_is_tagged_with_it(workspace, sentry):
    with schema_context(workspace.workspace.schema_name):
        try:
            raise ValueError("import row 7 is broken")
        except ValueError as error:
            sentry_sdk.capture_exception(error)

    [event] = sentry.events
    assert event["tags"]["workspace"] == workspace.workspace.schema_name


def test_error_outside_workspaces_is_tagged_with_the_public_schema(db, sentry):
    sentry_sdk.capture_message("stripe webhook could not be verified")

    [event] = sentry.events
    assert event["tags"]["workspace"] == "public"


def test_local_variables_holding_personal_data_are_not_sent(workspace, sentry):
    with schema_context(workspace.workspace.schema_name):
        member_email = workspace.owner.email  # a local of the failing frame
        try:
            raise LookupError(f"no contact for member {workspace.owner.pk}")
        except LookupError as error:
            sentry_sdk.capture_exception(error)

    assert member_email.encode() not in sentry.sent_bytes


def test_sentry_stays_off_without_a_dsn():
    init_sentry(dsn="", environment="test")

    assert not sentry_sdk.get_client().is_active()
