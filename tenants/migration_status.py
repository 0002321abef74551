"""Which workspace schemas are behind on migrations, found without running `migrate`.

`migrate_schemas` loads the migration graph and checks every schema one by one,
which with thousands of schemas takes minutes even when nothing is to be done.
Comparing each schema's django_migrations with the set of tenant migrations on
disk takes one small query per schema.
"""

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from psycopg import sql


def tenant_migrations_on_disk() -> set[tuple[str, str]]:
    """(app_label, migration_name) of every migration of the apps in a workspace schema."""
    tenant_labels = {_label_for(name) for name in settings.TENANT_APPS}
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {key for key in loader.graph.nodes if key[0] in tenant_labels}


def _label_for(app_name: str) -> str:
    for config in apps.get_app_configs():
        if config.name == app_name:
            return config.label
    raise LookupError(app_name)


def schemas_behind(schema_names: list[str]) -> list[str]:
    """The schemas among `schema_names` that lack at least one migration on disk."""
    expected = tenant_migrations_on_disk()
    behind = []
    with connection.cursor() as cursor:
        for schema_name in schema_names:
            cursor.execute(
                sql.SQL("SELECT app, name FROM {}.django_migrations").format(
                    sql.Identifier(schema_name)
                )
            )
            applied = {(app, name) for app, name in cursor.fetchall()}
            if not expected <= applied:
                behind.append(schema_name)
    return behind
