"""Workspace tasks that exist only for the test suite, and a real Celery worker to run them.

The tasks register with the project's Celery app when a test module imports this one.
"""

import logging
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from celery.contrib.testing.worker import start_worker
from django.db import OperationalError, connection

from tenants.members.models import User
from tenants.task_runtime import workspace_task

# How many times each flaky task ran, by the key the test passed.
attempts: Counter[str] = Counter()


@workspace_task(name="tests.member_emails")
def member_emails() -> list[str]:
    """The e-mails of the members of the workspace the task runs in, sorted."""
    return sorted(User.objects.values_list("email", flat=True))


@workspace_task(name="tests.schema_seen_by_task")
def schema_seen_by_task() -> str:
    """The schema the task's database connection is in."""
    return connection.schema_name


@workspace_task(name="tests.database_fails_until")
def database_fails_until(succeeding_attempt: int, key: str) -> int:
    """Loses its database connection until attempt `succeeding_attempt`; returns the attempt."""
    attempts[key] += 1
    if attempts[key] < succeeding_attempt:
        raise OperationalError("server closed the connection unexpectedly")
    return attempts[key]


@workspace_task(name="tests.has_a_bug")
def has_a_bug(key: str) -> None:
    """Fails the way a bug does (not a transient error)."""
    attempts[key] += 1
    raise ValueError("a bug, not a hiccup")


_LOGGERS_CELERY_RECONFIGURES = ("", "celery", "celery.task", "celery.redirected")


@contextmanager
def celery_worker() -> Iterator[str]:
    """A real Celery worker in a thread, on the real Redis broker; yields its queue.

    The queue is this process's own, so parallel test processes (xdist workers) never
    take each other's messages. Send with `apply_async(queue=...)`. Tasks run in the
    worker thread on its own database connection: the data they read must be committed.
    """
    from saas_platform.celery import app

    queue = f"kartoteka-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"
    saved_conf = {key: app.conf[key] for key in ("task_always_eager", "worker_hijack_root_logger")}
    # start_worker sets up Celery's logging on the root logger; put it back afterwards.
    saved_loggers = {
        name: (logging.getLogger(name).level, list(logging.getLogger(name).handlers))
        for name in _LOGGERS_CELERY_RECONFIGURES
    }
    app.conf.task_always_eager = False
    app.conf.worker_hijack_root_logger = False
    try:
        with start_worker(app, perform_ping_check=False, queues=[queue], loglevel="WARNING"):
            yield queue
    finally:
        app.conf.update(saved_conf)
        for name, (level, handlers) in saved_loggers.items():
            logging.getLogger(name).setLevel(level)
            logging.getLogger(name).handlers = handlers
