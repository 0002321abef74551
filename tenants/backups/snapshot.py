"""Dump one workspace schema, and load a dump into another, with COPY.

Why COPY and not pg_dump: the machines here run PostgreSQL 15 (CI) and 18 (embedded),
and a dump made by a newer pg_dump may not restore into an older server; pg_dump's
output also names the source schema, which a restore must never trust. `COPY (SELECT
<columns> FROM <table>) TO STDOUT` of every table inside one REPEATABLE READ READ ONLY
transaction gives a consistent snapshot in PostgreSQL's version-independent text
format, and `COPY ... FROM STDIN` loads it into whatever schema we choose: a fresh
clone of the template, so the structure always comes from our own migrations.

Both sides use their own psycopg connection (not Django's), so the snapshot's
isolation level is really the first statement of its transaction, and so a long
backup never holds a request's connection. Schema, table and column names come from
the catalogue of the schema we chose, and reach SQL only through `sql.Identifier`.
"""

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

import psycopg
from django.db import connection
from psycopg import sql


@dataclass
class TableDump:
    """What the manifest keeps about one table."""

    name: str
    columns: list[str]
    rows: int = 0
    sha256: str = ""


@dataclass
class SequenceState:
    name: str
    last_value: int
    is_called: bool


@dataclass
class SchemaSnapshot:
    tables: list[TableDump] = field(default_factory=list)
    sequences: list[SequenceState] = field(default_factory=list)
    migrations: list[tuple[str, str]] = field(default_factory=list)


@contextmanager
def own_connection(*, autocommit: bool = False) -> Iterator[psycopg.Connection[Any]]:
    """A new psycopg connection to the project's database, closed on exit."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=autocommit) as raw:
        yield raw


def _tables(cursor: psycopg.Cursor[Any], schema: str) -> list[str]:
    cursor.execute(
        """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname
        """,
        [schema],
    )
    return [row[0] for row in cursor.fetchall()]


def _columns(cursor: psycopg.Cursor[Any], schema: str, table: str) -> list[str]:
    # Generated columns are computed by the server on load, so they are neither dumped
    # nor loaded.
    cursor.execute(
        """
        SELECT a.attname FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0
          AND NOT a.attisdropped AND a.attgenerated = ''
        ORDER BY a.attnum
        """,
        [schema, table],
    )
    return [row[0] for row in cursor.fetchall()]


def _sequences(cursor: psycopg.Cursor[Any], schema: str) -> list[str]:
    cursor.execute(
        """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind = 'S' ORDER BY c.relname
        """,
        [schema],
    )
    return [row[0] for row in cursor.fetchall()]


def dump_schema(
    schema: str,
    open_table_file: Callable[[str], IO[bytes]],
    *,
    on_table: Callable[[TableDump], None] | None = None,
) -> SchemaSnapshot:
    """Write every table of `schema` to the files `open_table_file(name)` returns.

    One REPEATABLE READ transaction: every table is read as of the same moment, so
    rows written while the backup runs are either wholly in it or wholly absent (an
    activity is never there without its contact). Returns the manifest's facts: the
    column list, row count and SHA-256 of each table, sequence positions, migrations.
    """
    snapshot = SchemaSnapshot()
    with own_connection() as raw, raw.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for table in _tables(cursor, schema):
            dump = TableDump(name=table, columns=_columns(cursor, schema, table))
            digest = hashlib.sha256()
            query = sql.SQL("COPY (SELECT {columns} FROM {table}) TO STDOUT").format(
                columns=sql.SQL(", ").join(sql.Identifier(column) for column in dump.columns),
                table=sql.Identifier(schema, table),
            )
            with open_table_file(table) as target, cursor.copy(query) as copy:
                for block in copy:
                    data = bytes(block)
                    digest.update(data)
                    dump.rows += data.count(b"\n")
                    target.write(data)
            dump.sha256 = digest.hexdigest()
            snapshot.tables.append(dump)
            if on_table is not None:
                on_table(dump)
        for sequence in _sequences(cursor, schema):
            cursor.execute(
                sql.SQL("SELECT last_value, is_called FROM {}").format(
                    sql.Identifier(schema, sequence)
                )
            )
            last_value, is_called = cursor.fetchone()  # type: ignore[misc]
            snapshot.sequences.append(SequenceState(sequence, int(last_value), bool(is_called)))
        cursor.execute(
            sql.SQL("SELECT app, name FROM {} ORDER BY id").format(
                sql.Identifier(schema, "django_migrations")
            )
        )
        snapshot.migrations = [(app, name) for app, name in cursor.fetchall()]
        raw.rollback()
    return snapshot


def load_schema(
    schema: str,
    tables: list[TableDump],
    sequences: list[SequenceState],
    open_table_file: Callable[[str], IO[bytes]],
    *,
    on_table: Callable[[TableDump], None] | None = None,
) -> None:
    """Replace the content of every table of `schema` with the dumped rows, in one transaction.

    The target is a schema we made (a clone of the template, or migrated to the
    backup's state): it is emptied first, so the template's own rows (migration
    records, content types, permissions) are replaced by the backup's, which its
    foreign keys point at. Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so
    tables load in any order and are checked together at commit.

    For speed, the schema's foreign keys and secondary indexes are dropped before the
    rows go in and re-created from their own definitions afterwards, in the same
    transaction: one bulk index build and one validating query per foreign key instead of
    an index update and a deferred trigger per row (several times faster at 100,000
    contacts). A failure rolls all of it back, and the schema is ours, made for this load.
    """
    with own_connection() as raw, raw.cursor() as cursor:
        present = set(_tables(cursor, schema))
        missing = [table.name for table in tables if table.name not in present]
        if missing:
            raise ValueError(f"the target schema lacks tables {missing}")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        foreign_keys, indexes = _drop_foreign_keys_and_indexes(cursor, schema)
        if present:
            cursor.execute(
                sql.SQL("TRUNCATE {} RESTART IDENTITY").format(
                    sql.SQL(", ").join(sql.Identifier(schema, name) for name in sorted(present))
                )
            )
        for table in tables:
            query = sql.SQL("COPY {table} ({columns}) FROM STDIN").format(
                table=sql.Identifier(schema, table.name),
                columns=sql.SQL(", ").join(sql.Identifier(column) for column in table.columns),
            )
            with open_table_file(table.name) as source, cursor.copy(query) as copy:
                while block := source.read(1024 * 1024):
                    copy.write(block)
            if on_table is not None:
                on_table(table)
        for definition in indexes:
            cursor.execute(definition)
        for table_name, constraint, definition in foreign_keys:
            cursor.execute(
                sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                    sql.Identifier(schema, table_name), sql.Identifier(constraint)
                )
                + sql.SQL(definition)
            )
        present_sequences = set(_sequences(cursor, schema))
        for sequence in sequences:
            if sequence.name not in present_sequences:
                continue
            qualified = sql.Identifier(schema, sequence.name).as_string(cursor)
            cursor.execute(
                "SELECT setval(%s::regclass, %s, %s)",
                [qualified, sequence.last_value, sequence.is_called],
            )
        raw.commit()


def _drop_foreign_keys_and_indexes(
    cursor: psycopg.Cursor[Any], schema: str
) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Drop the foreign keys and the indexes that back no constraint; return their DDL.

    The definitions come from PostgreSQL itself (pg_get_constraintdef, pg_get_indexdef),
    schema-qualified, so re-running them rebuilds exactly what was there.
    """
    cursor.execute(
        "SELECT c.relname, con.conname, pg_get_constraintdef(con.oid) "
        "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND con.contype = 'f' ORDER BY c.relname, con.conname",
        [schema],
    )
    foreign_keys = [(str(t), str(name), str(ddl)) for t, name, ddl in cursor.fetchall()]
    cursor.execute(
        "SELECT ic.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class ic ON ic.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = ic.relnamespace "
        "WHERE n.nspname = %s "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid) "
        "ORDER BY ic.relname",
        [schema],
    )
    index_rows = cursor.fetchall()
    for table_name, constraint, _definition in foreign_keys:
        cursor.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(schema, table_name), sql.Identifier(constraint)
            )
        )
    for index_name, _definition in index_rows:
        cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(schema, index_name)))
    return foreign_keys, [str(definition) for _name, definition in index_rows]


def row_counts(schema: str) -> dict[str, int]:
    """The number of rows of every table in `schema` (exact counts, for verification)."""
    counts: dict[str, int] = {}
    with own_connection(autocommit=True) as raw, raw.cursor() as cursor:
        for table in _tables(cursor, schema):
            cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table)))
            counts[table] = int(cursor.fetchone()[0])  # type: ignore[index]
    return counts
