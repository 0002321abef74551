"""The release step: which workspaces are behind, and a release that can run twice."""

import io

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from psycopg import sql

from tenants.migration_status import schemas_behind
from tenants.models import Workspace

# A reversible tenant migration (it adds one constraint) to put a workspace behind with.
APP, PREVIOUS, LATEST = "mfa", "0002_authenticator_timestamps", "0003_authenticator_type_uniq"


def _constraint_exists(schema_name: str, name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_constraint WHERE conname = %s AND connamespace = %s::regnamespace "
            "UNION SELECT 1 FROM pg_indexes WHERE indexname = %s AND schemaname = %s",
            [name, schema_name, name, schema_name],
        )
        return cursor.fetchone() is not None


def _release() -> str:
    output = io.StringIO()
    call_command("release", verbosity=0, stdout=output)
    return output.getvalue()


def test_freshly_cloned_workspaces_are_not_behind(workspace, other_workspace):
    schemas = [workspace.workspace.schema_name, other_workspace.workspace.schema_name]

    assert schemas_behind(schemas) == []


def test_schemas_behind_reports_a_workspace_missing_a_migration(workspace, other_workspace):
    # Given: A's migration history lacks one migration that is on disk.
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("DELETE FROM {}.django_migrations WHERE app = %s AND name = %s").format(
                sql.Identifier(workspace.workspace.schema_name)
            ),
            [APP, LATEST],
        )
        assert cursor.rowcount == 1

    # When
    behind = schemas_behind(
        [workspace.workspace.schema_name, other_workspace.workspace.schema_name]
    )

    # Then: A only.
    assert behind == [workspace.workspace.schema_name]


def test_release_migrates_a_workspace_that_is_behind_and_is_idempotent(workspace, other_workspace):
    # Given: A really is one migration behind (the migration was unapplied).
    schema = workspace.workspace.schema_name
    call_command(
        "migrate_schemas", APP, PREVIOUS, schema_name=schema, interactive=False, verbosity=0
    )
    connection.set_schema_to_public()
    assert schemas_behind([schema]) == [schema]
    assert not _constraint_exists(schema, "unique_authenticator_type")

    # When: the release runs, and runs again.
    first = _release()
    second = _release()

    # Then: the first migrated A, the second had nothing to do, and every workspace is current.
    assert "2 workspaces, 1 migrated" in first
    assert "2 workspaces, 0 migrated" in second
    assert _constraint_exists(schema, "unique_authenticator_type")
    customer_schemas = list(
        Workspace.objects.filter(kind=Workspace.Kind.CUSTOMER).values_list("schema_name", flat=True)
    )
    assert schemas_behind([*customer_schemas, settings.TENANT_BASE_SCHEMA]) == []
    assert Workspace.objects.filter(kind=Workspace.Kind.PUBLIC).count() == 1
    assert Workspace.objects.filter(kind=Workspace.Kind.TEMPLATE).count() == 1


def test_migrate_schemas_migrates_only_the_workspaces_that_are_behind(
    workspace, other_workspace, capsys
):
    # Given: A is one migration behind, B and the template are current.
    schema = workspace.workspace.schema_name
    call_command(
        "migrate_schemas", APP, PREVIOUS, schema_name=schema, interactive=False, verbosity=0
    )
    connection.set_schema_to_public()
    capsys.readouterr()

    # When: an operator runs the plain command for every workspace.
    call_command("migrate_schemas", tenant=True, interactive=False, verbosity=1)
    connection.set_schema_to_public()

    # Then: A alone was visited and migrated; it says what it left alone.
    printed = capsys.readouterr().out
    assert "1 of 3 workspace schemas lack a migration" in printed
    assert schema in printed
    assert other_workspace.workspace.schema_name not in printed
    assert _constraint_exists(schema, "unique_authenticator_type")
    assert schemas_behind([schema]) == []


def test_migrate_schemas_aimed_at_a_migration_still_visits_every_workspace(
    workspace, other_workspace
):
    # A backwards run names a migration: every workspace is "current", yet all must go back.
    call_command("migrate_schemas", APP, PREVIOUS, tenant=True, interactive=False, verbosity=0)
    connection.set_schema_to_public()

    schemas = [workspace.workspace.schema_name, other_workspace.workspace.schema_name]
    assert schemas_behind(schemas) == schemas
    assert not any(_constraint_exists(schema, "unique_authenticator_type") for schema in schemas)
