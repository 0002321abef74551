"""The one decorator for Celery tasks that work inside a workspace.

tenant-schemas-celery puts the current schema in each message's headers and switches
the worker's connection to it before the task runs. `workspace_task` adds what the
project needs on top: it refuses to run (or even to be sent) outside a workspace,
refuses a task that writes (the default: `writes=True`) in a read-only workspace,
tags logs and Sentry with the schema, and sets the retry policy in one place.
"""

import logging
from collections.abc import Callable
from typing import Any

import sentry_sdk
from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from tenant_schemas_celery.task import TenantTask

from tenants.db import current_schema_name
from tenants.guards import WorkspaceReadOnlyError
from tenants.models import Workspace, WorkspaceStatus

logger = logging.getLogger(__name__)


class WorkspaceRequiredError(RuntimeError):
    """A workspace task was sent or run outside any workspace."""


def _is_workspace_schema(schema_name: str | None) -> bool:
    return bool(schema_name) and schema_name not in (
        settings.PUBLIC_SCHEMA_NAME,
        settings.TENANT_BASE_SCHEMA,
    )


class WorkspaceTask(TenantTask):
    """Base class of every workspace task; see `workspace_task`."""

    abstract = True
    # Transient database or broker trouble is retried with backoff; bugs are not.
    autoretry_for = (OperationalError, InterfaceError, ConnectionError)
    retry_backoff = True
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5
    acks_late = True
    # Whether the task changes the workspace's data: such a task is refused (not retried)
    # while the workspace is read-only. Tasks that only read, or that keep the platform's
    # own state (billing, housekeeping), say `writes=False`.
    writes = True

    def apply_async(
        self,
        args=None,
        kwargs=None,
        task_id=None,
        producer=None,
        link=None,
        link_error=None,
        shadow=None,
        **options,
    ):
        headers = options.get("headers") or {}
        schema_name = headers.get("_schema_name", current_schema_name())
        if not _is_workspace_schema(schema_name):
            raise WorkspaceRequiredError(
                f"{self.name} is a workspace task; send it from inside a workspace "
                f"(schema_context), not from {schema_name!r}."
            )
        return super().apply_async(
            args, kwargs, task_id, producer, link, link_error, shadow, **options
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        schema_name = current_schema_name()
        if not _is_workspace_schema(schema_name):
            raise WorkspaceRequiredError(
                f"{self.name} ran in schema {schema_name!r}; workspace tasks need a workspace."
            )
        if self.writes:
            self._refuse_if_read_only(schema_name)
        with sentry_sdk.new_scope() as scope:
            scope.set_tag("workspace", schema_name)
            logger.info("task %s started", self.name)
            return super().__call__(*args, **kwargs)

    def _refuse_if_read_only(self, schema_name: str) -> None:
        # Read now, not from the (possibly cached) tenant row the worker entered with.
        status = (
            Workspace.objects.filter(schema_name=schema_name)
            .values_list("status", flat=True)
            .first()
        )
        if status in (WorkspaceStatus.READ_ONLY, WorkspaceStatus.SUSPENDED):
            logger.warning("task %s refused: the workspace is read-only", self.name)
            raise WorkspaceReadOnlyError()


def workspace_task(func: Callable[..., Any] | None = None, **options: Any) -> Any:
    """Declare a Celery task that runs inside the workspace it was sent from.

    Use as `@workspace_task` or `@workspace_task(name=..., max_retries=..., writes=False)`.
    Send it from inside a workspace (a request on a workspace host, or `schema_context`).
    `writes` (default True): the task changes the workspace's data, so it is refused while
    the workspace is read-only; say `writes=False` for tasks that only read.
    """
    decorator = shared_task(base=WorkspaceTask, **options)
    return decorator(func) if func is not None else decorator
