"""Which schema the database connection is in (django-tenants' connection attributes, typed)."""

from django.conf import settings
from django.db import connection


def current_schema_name() -> str:
    """The schema the default connection is set to (`public` outside any workspace)."""
    return str(getattr(connection, "schema_name", settings.PUBLIC_SCHEMA_NAME))


def enter_public_schema() -> None:
    """Point the default connection at the public schema."""
    connection.set_schema_to_public()  # type: ignore[attr-defined]
