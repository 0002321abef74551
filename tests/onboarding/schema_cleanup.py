"""Clean-up for tests that commit: drop the workspace schemas they cloned.

Transactional tests (`transactional_db`, `live_server`) really commit, so the
workspaces they sign up survive the test: pytest-django's flush empties the
public tables afterwards but leaves every cloned `ws_` schema behind. This
fixture drops the schemas that appeared during the test, never the template.
"""

from collections.abc import Iterator

import pytest
from django.db import connection

from tests.conftest import drop_workspace_schemas


def _workspace_schemas() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ws\\_%%'")
        return {name for (name,) in cursor.fetchall()}


@pytest.fixture(name="drop_new_workspace_schemas")
def drop_new_workspace_schemas_fixture(transactional_db) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Drop, after the test, every `ws_` schema the test created (not `ws_template`)."""
    connection.set_schema_to_public()
    before = _workspace_schemas()
    yield
    connection.set_schema_to_public()
    drop_workspace_schemas(_workspace_schemas() - before)
