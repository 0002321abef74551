"""Corrections to django-tenants' schema cloning, so a clone equals a migrated schema.

clone_schema copies tables with `LIKE ... INCLUDING ALL` and re-creates sequences, and in
two ways the copy differs from the template (tests/tenants/test_provisioning.py compares
them): unique constraints get PostgreSQL's names instead of Django's, and sequences of
`integer` identity columns become `bigint` sequences capped at the integer maximum.
Either would make a later migration behave differently in cloned workspaces.
"""

from collections import defaultdict

from django.db import connection
from django.db.backends.utils import CursorWrapper
from psycopg import sql

_SEQUENCE_TYPES = {"smallint", "integer", "bigint"}


def align_clone_with_template(*, template_schema: str, schema_name: str) -> None:
    """Make the freshly cloned `schema_name` match `template_schema` where cloning differs.

    Public schema, inside the provisioning transaction, before the clone holds any data.
    """
    with connection.cursor() as cursor:
        _restore_unique_constraint_names(cursor, template_schema, schema_name)
        _restore_sequence_types(cursor, template_schema, schema_name)


def _unique_constraints(
    cursor: CursorWrapper, schema_name: str
) -> dict[tuple[str, str], list[str]]:
    """{(table, definition): [constraint names]} of the schema's UNIQUE constraints."""
    cursor.execute(
        """
        SELECT t.relname, pg_get_constraintdef(c.oid), c.conname
        FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
        WHERE c.contype = 'u' AND c.connamespace = %s::regnamespace
        ORDER BY c.conname
        """,
        [schema_name],
    )
    names: dict[tuple[str, str], list[str]] = defaultdict(list)
    for table, definition, name in cursor.fetchall():
        names[(table, definition)].append(name)
    return names


def _restore_unique_constraint_names(
    cursor: CursorWrapper, template_schema: str, schema_name: str
) -> None:
    # A migration that drops or alters a constraint by its Django name would otherwise
    # fail in every cloned workspace while passing on the template.
    in_template = _unique_constraints(cursor, template_schema)
    in_clone = _unique_constraints(cursor, schema_name)
    for (table, definition), template_names in in_template.items():
        clone_names = in_clone.get((table, definition), [])
        wrong = [name for name in clone_names if name not in template_names]
        missing = [name for name in template_names if name not in clone_names]
        if len(wrong) != len(missing):
            continue
        for old, new in zip(wrong, missing, strict=True):
            cursor.execute(
                sql.SQL("ALTER TABLE {}.{} RENAME CONSTRAINT {} TO {}").format(
                    sql.Identifier(schema_name),
                    sql.Identifier(table),
                    sql.Identifier(old),
                    sql.Identifier(new),
                )
            )


def _sequence_types(cursor: CursorWrapper, schema_name: str) -> dict[str, str]:
    # pg_sequence by namespace, not the pg_sequences view: the view reads every sequence
    # of every workspace, so its cost grew with the number of workspaces.
    cursor.execute(
        """
        SELECT c.relname, s.seqtypid::regtype::text
        FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
        WHERE c.relnamespace = %s::regnamespace
        """,
        [schema_name],
    )
    return dict(cursor.fetchall())


def _restore_sequence_types(cursor: CursorWrapper, template_schema: str, schema_name: str) -> None:
    # A bigint sequence capped at 2**31-1 keeps that cap when a migration widens its
    # column to bigint (PostgreSQL only resets a cap that is its type's default).
    in_clone = _sequence_types(cursor, schema_name)
    for sequence, data_type in _sequence_types(cursor, template_schema).items():
        if in_clone.get(sequence, data_type) == data_type or data_type not in _SEQUENCE_TYPES:
            continue
        cursor.execute(
            sql.SQL("ALTER SEQUENCE {}.{} AS {}").format(
                sql.Identifier(schema_name), sql.Identifier(sequence), sql.SQL(data_type)
            )
        )
