"""`workspace_task`: never sent or run outside a workspace, runs inside the one it came from."""

import io
import logging
import uuid
from collections.abc import Iterator

import pytest
from celery.result import EagerResult
from django.conf import settings
from django.db import OperationalError
from django_tenants.utils import schema_context

from saas_platform.observability import WorkspaceLogFilter
from tenants.task_runtime import WorkspaceRequiredError
from tests.conftest import add_member
from tests.tenants.tasks_for_tests import (
    attempts,
    celery_worker,
    database_fails_until,
    has_a_bug,
    member_emails,
    schema_seen_by_task,
)


def test_workspace_task_sent_from_public_schema_is_refused_at_send_time(db):
    with pytest.raises(WorkspaceRequiredError, match="send it from inside a workspace"):
        member_emails.delay()


def test_workspace_task_sent_from_template_schema_is_refused_at_send_time(platform):
    with (
        schema_context(settings.TENANT_BASE_SCHEMA),
        pytest.raises(WorkspaceRequiredError),
    ):
        member_emails.delay()


def test_workspace_task_run_in_public_schema_fails_loudly(db):
    with pytest.raises(WorkspaceRequiredError, match="ran in schema 'public'"):
        member_emails.apply(throw=True)


def test_workspace_task_called_directly_in_public_schema_fails_loudly(db):
    with pytest.raises(WorkspaceRequiredError):
        member_emails()


def test_worker_refuses_a_workspace_task_whose_message_names_the_public_schema():
    # Given: a message that slipped past the send-time check (sent by name, not through
    # the task), naming the public schema.
    from saas_platform.celery import app

    with celery_worker() as queue:
        # When: a real worker receives it.
        result = app.send_task(
            member_emails.name, queue=queue, headers={"_schema_name": settings.PUBLIC_SCHEMA_NAME}
        )

        # Then: the task fails with the reason, instead of reading the public schema.
        with pytest.raises(WorkspaceRequiredError):
            result.get(timeout=30)


def test_workspace_task_runs_inside_the_workspace_it_was_sent_from(workspace, other_workspace):
    add_member(workspace, email="alice@acme.example.com")

    with schema_context(workspace.workspace.schema_name):
        result = member_emails.delay()
        schema = schema_seen_by_task.delay().get()

    assert isinstance(result, EagerResult)  # the suite runs tasks eagerly, in this thread
    assert result.get() == ["alice@acme.example.com", "owner@acme.example.com"]
    assert schema == workspace.workspace.schema_name


def test_workspace_task_sent_with_a_schema_header_runs_in_that_workspace(
    workspace, other_workspace
):
    with schema_context(workspace.workspace.schema_name):
        emails = member_emails.apply_async(
            headers={"_schema_name": other_workspace.workspace.schema_name}
        ).get()

    assert emails == ["owner@globex.example.com"]


def test_workspace_task_policy_retries_transient_errors_with_backoff():
    assert OperationalError in member_emails.autoretry_for
    assert ConnectionError in member_emails.autoretry_for
    assert ValueError not in member_emails.autoretry_for
    assert member_emails.retry_backoff is True
    assert member_emails.retry_backoff_max == 600
    assert member_emails.retry_jitter is True
    assert member_emails.max_retries == 5
    assert member_emails.acks_late is True


@pytest.fixture
def eager_retries() -> Iterator[None]:
    """Let eagerly run tasks retry: with errors propagating, Celery raises Retry instead."""
    from saas_platform.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = settings.CELERY_TASK_EAGER_PROPAGATES


def test_workspace_task_is_retried_after_losing_its_database_connection(workspace, eager_retries):
    key = uuid.uuid4().hex

    with schema_context(workspace.workspace.schema_name):
        succeeded_on = database_fails_until.delay(3, key).get()

    assert succeeded_on == 3


def test_workspace_task_gives_up_after_five_retries(workspace, eager_retries):
    key = uuid.uuid4().hex

    with schema_context(workspace.workspace.schema_name):
        result = database_fails_until.delay(100, key)

    assert result.failed()
    assert isinstance(result.result, OperationalError)
    assert attempts[key] == 1 + 5


def test_workspace_task_with_a_bug_is_not_retried(workspace):
    key = uuid.uuid4().hex

    with schema_context(workspace.workspace.schema_name), pytest.raises(ValueError, match="a bug"):
        has_a_bug.delay(key).get()

    assert attempts[key] == 1


def test_log_record_names_the_workspace_it_was_written_in(workspace):
    record = logging.LogRecord("crm", logging.INFO, __file__, 1, "hello", None, None)

    with schema_context(workspace.workspace.schema_name):
        WorkspaceLogFilter().filter(record)

    assert record.workspace == workspace.workspace.schema_name


def test_log_record_outside_workspaces_names_the_public_schema(db):
    record = logging.LogRecord("billing", logging.INFO, __file__, 1, "hello", None, None)

    WorkspaceLogFilter().filter(record)

    assert record.workspace == "public"


@pytest.fixture
def console_log() -> Iterator[io.StringIO]:
    """What the configured console handler (settings.LOGGING) writes, captured."""
    handler = next(
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, WorkspaceLogFilter) for f in handler.filters)
    )
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    stream = io.StringIO()
    previous = handler.setStream(stream)  # type: ignore[attr-defined]
    yield stream
    handler.setStream(previous)  # type: ignore[attr-defined]
    root.setLevel(level)


def test_task_log_lines_carry_the_workspace(workspace, console_log):
    with schema_context(workspace.workspace.schema_name):
        member_emails.delay().get()

    lines = [line for line in console_log.getvalue().splitlines() if "tests.member_emails" in line]
    assert lines
    assert all(f"workspace={workspace.workspace.schema_name} " in line for line in lines)
