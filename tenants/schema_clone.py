"""Cloning the template workspace into a new workspace's schema.

Why not django-tenants' clone_schema: its SQL function reads catalog views that cover
every schema of the database, so a clone took 2 s with a handful of workspaces and 6 s
with a thousand (tests/benchmarks/README.md); it re-creates its helper functions in
`public` on every call (which serialised signups); and its copy differed from the
template (unique constraint names, identity sequence types) until corrected.

Here the template is read once from the catalogs, restricted to its own namespace, into
a "blueprint", kept per process and rebuilt when the template's migration records change
(every structural change is a migration). Replaying it, with the search path set to the
new schema:

- each table is created with `LIKE <template>.<table> INCLUDING ALL`, which copies
  columns, defaults, identity sequences, NOT NULL and CHECK constraints and indexes as
  PostgreSQL's parsed trees. Re-creating them from their text (pg_get_indexdef and the
  like) would not be exact: `type IN ('a', 'b')` on a varchar reads back as a different,
  equivalent expression;
- the template's rows (migration records, content types, permissions) are copied, so its
  migrations count as applied, as django-tenants' "fake migrations" would record them,
  and its sequences' positions too;
- foreign keys are added from their definitions (plain column lists, nothing to re-parse);
- LIKE names indexes (and the unique constraints they back) and identity sequences by
  PostgreSQL's defaults, so those are renamed to the template's names, matched by their
  definitions. Django refers to them by name in later migrations.

What this cannot re-create (views, functions, triggers, custom types, standalone
sequences, policies, rules, inheritance, extended statistics) is refused with
TemplateNotClonableError rather than silently left out. tests/tenants/test_provisioning.py
compares a clone with a freshly migrated schema.
"""

import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from psycopg import sql


class TemplateNotClonableError(RuntimeError):
    """The template holds objects the blueprint cannot re-create; see the message."""


class _StaleBlueprintError(TemplateNotClonableError):
    """The clone has an index the blueprint does not know: the template changed since."""


@dataclass(frozen=True)
class _Blueprint:
    fingerprint: tuple[object, ...]
    # Relative to the search path (the new schema), reading the template by its name:
    # the tables, then (once indexes and sequences carry the template's names) the rows,
    # sequence positions and foreign keys.
    creation_script: str
    filling_script: str
    tables: list[str]
    # {table: {definition without the index's name: [the template's index names]}}
    index_names: dict[str, dict[str, list[str]]]
    # {(table, column as named, unquoted): the template's name of that column's sequence}
    sequence_names: dict[tuple[str, str], str]
    # LIKE gives every identity sequence the type bigint, whatever its column's type.
    sequence_types: list[str]


# By (database, template schema): a process may meet more than one database (tests).
_blueprints: dict[tuple[str, str], _Blueprint] = {}
_blueprints_lock = threading.Lock()

# Objects in a schema that the blueprint does not re-create.
_UNSUPPORTED_OBJECTS_QUERY = """
    SELECT 'relation ' || relname || ' (relkind ' || relkind::text || ')'
    FROM pg_class WHERE relnamespace = %(ns)s AND relkind NOT IN ('r', 'i', 'S')
    UNION ALL
    SELECT 'sequence ' || s.relname || ' (not an identity column''s)' FROM pg_class s
    WHERE s.relnamespace = %(ns)s AND s.relkind = 'S' AND NOT EXISTS (
        SELECT 1 FROM pg_depend d
        WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype = 'i'
    )
    UNION ALL
    SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = %(ns)s
    UNION ALL
    SELECT 'type ' || typname FROM pg_type
    WHERE typnamespace = %(ns)s AND typrelid = 0 AND typcategory <> 'A'
    UNION ALL
    SELECT 'trigger ' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    WHERE c.relnamespace = %(ns)s AND NOT t.tgisinternal
    UNION ALL
    SELECT 'policy ' || p.polname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
    WHERE c.relnamespace = %(ns)s
    UNION ALL
    SELECT 'rule ' || r.rulename FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
    WHERE c.relnamespace = %(ns)s
    UNION ALL
    SELECT 'inheritance of ' || c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE c.relnamespace = %(ns)s
    UNION ALL
    SELECT 'statistics ' || stxname FROM pg_statistic_ext WHERE stxnamespace = %(ns)s
    UNION ALL
    SELECT 'row security on ' || relname FROM pg_class
    WHERE relnamespace = %(ns)s AND (relrowsecurity OR relforcerowsecurity)
"""

_TABLES_QUERY = """
    SELECT c.oid::regclass::text, c.relpersistence, c.reloptions,
           obj_description(c.oid, 'pg_class'),
           array_agg(quote_ident(a.attname) ORDER BY a.attnum)
               FILTER (WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '')
    FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
    WHERE c.relnamespace = %(ns)s AND c.relkind = 'r'
    GROUP BY c.oid ORDER BY c.oid
"""

_SEQUENCES_QUERY = """
    SELECT s.oid::regclass::text, t.oid::regclass::text, a.attname,
           quote_ident(s.relname), q.seqtypid::regtype::text
    FROM pg_class s
    JOIN pg_sequence q ON q.seqrelid = s.oid
    JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
                    AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'i'
    JOIN pg_class t ON t.oid = d.refobjid
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
    WHERE s.relnamespace = %(ns)s AND s.relkind = 'S'
    ORDER BY s.oid
"""

# LIKE copies CHECK and NOT NULL constraints, and the indexes behind primary keys and
# unique constraints; foreign keys it leaves out.
_FOREIGN_KEYS_QUERY = """
    SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = %(ns)s AND contype = 'f'
    ORDER BY oid
"""

# The indexes of the named tables (resolved through the search path), with what their
# definitions need to be compared across schemas.
_INDEXES_QUERY = """
    SELECT i.indrelid::regclass::text, quote_ident(ic.relname),
           quote_ident(tn.nspname) || '.' || quote_ident(tc.relname),
           CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END,
           pg_get_indexdef(i.indexrelid)
    FROM unnest(%(tables)s::text[]) AS wanted(name)
    JOIN pg_index i ON i.indrelid = wanted.name::regclass
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_class tc ON tc.oid = i.indrelid
    JOIN pg_namespace tn ON tn.oid = tc.relnamespace
    ORDER BY i.indexrelid
"""


def clone_template(*, template_schema: str, schema_name: str) -> None:
    """Create `schema_name` as a copy of `template_schema`: structure and rows.

    Public schema, inside the caller's transaction (PostgreSQL DDL is transactional, so
    a failed provisioning leaves no schema behind). `schema_name` must not exist yet.
    The work is in a savepoint, so after a failure the caller's transaction is still
    usable: django-tenants deletes the workspace row before re-raising, and in an aborted
    transaction that would hide the real error behind another.
    """
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                _replay(cursor, _blueprint(cursor, template_schema), schema_name)
        except _StaleBlueprintError:
            # The template changed and its migration record is not written yet (a
            # non-atomic migration half-way through a release): read it again.
            with transaction.atomic():
                _replay(cursor, _blueprint(cursor, template_schema, reread=True), schema_name)


@contextmanager
def _search_path(cursor: CursorWrapper, schema_name: str) -> Iterator[None]:
    """Only `schema_name` on the search path, for this block of the transaction.

    Unqualified names then resolve in (and pg_get_*, regclass print them relative to)
    that schema. Afterwards the previous search path is set again: django-tenants
    remembers the one it set. On an error nothing is reset: the rolled-back savepoint or
    transaction takes SET LOCAL with it.
    """
    cursor.execute("SELECT current_setting('search_path')")
    (previous,) = _one(cursor)
    cursor.execute(sql.SQL("SET LOCAL search_path = {}").format(sql.Identifier(schema_name)))
    yield
    cursor.execute("SELECT set_config('search_path', %s, true)", [previous])


def _replay(cursor: CursorWrapper, blueprint: _Blueprint, schema_name: str) -> None:
    cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema_name)))
    with _search_path(cursor, schema_name):
        cursor.execute(blueprint.creation_script)
        cursor.execute(
            ";\n".join(
                [
                    *_renames_to_template_names(cursor, blueprint),
                    *blueprint.sequence_types,
                    blueprint.filling_script,
                ]
            )
        )


def _one(cursor: CursorWrapper) -> tuple[Any, ...]:
    row = cursor.fetchone()
    if row is None:
        raise RuntimeError("the query returned no row")
    return tuple(row)


def _blueprint(cursor: CursorWrapper, template_schema: str, reread: bool = False) -> _Blueprint:
    cursor.execute(
        sql.SQL("SELECT count(*), max(id) FROM {}.django_migrations").format(
            sql.Identifier(template_schema)
        )
    )
    fingerprint = _one(cursor)
    key = (str(connection.settings_dict["NAME"]), template_schema)
    with _blueprints_lock:
        known = _blueprints.get(key)
    if known is not None and known.fingerprint == fingerprint and not reread:
        return known
    blueprint = _read_template(cursor, template_schema, fingerprint)
    with _blueprints_lock:
        _blueprints[key] = blueprint
    return blueprint


def _read_template(
    cursor: CursorWrapper, template_schema: str, fingerprint: tuple[object, ...]
) -> _Blueprint:
    cursor.execute("SELECT %s::regnamespace::oid", [template_schema])
    params = {"ns": _one(cursor)[0]}
    # The template's own tables, sequences and indexes come out unqualified: names that
    # resolve in the new schema when the blueprint is replayed there.
    with _search_path(cursor, template_schema):
        cursor.execute(_UNSUPPORTED_OBJECTS_QUERY, params)
        unsupported = [description for (description,) in cursor.fetchall()]
        cursor.execute(_TABLES_QUERY, params)
        tables = cursor.fetchall()
        cursor.execute(_SEQUENCES_QUERY, params)
        sequences = cursor.fetchall()
        cursor.execute(_FOREIGN_KEYS_QUERY, params)
        foreign_keys = cursor.fetchall()
        cursor.execute(_INDEXES_QUERY, {"tables": [table for table, *_rest in tables]})
        indexes = cursor.fetchall()
    if unsupported:
        raise TemplateNotClonableError(
            f"The template schema {template_schema!r} holds what the workspace clone "
            f"cannot re-create: {', '.join(unsupported)}. Teach tenants/schema_clone.py "
            "to copy it."
        )

    # Every name spliced into the statements below is quoted: by sql.Identifier here, by
    # regclass output and quote_ident in the catalog queries.
    template = sql.Identifier(template_schema).as_string(connection.connection)
    creations: list[str] = []
    copies: list[str] = []
    for table, persistence, options, comment, columns in tables:
        unlogged = "UNLOGGED " if persistence == "u" else ""
        storage = f" WITH ({', '.join(options)})" if options else ""
        creations.append(
            f"CREATE {unlogged}TABLE {table} (LIKE {template}.{table} INCLUDING ALL){storage}"
        )
        if comment is not None:
            creations.append(f"COMMENT ON TABLE {table} IS {_literal(comment)}")
        if columns:
            column_list = ", ".join(columns)
            copies.append(
                f"INSERT INTO {table} ({column_list}) OVERRIDING SYSTEM VALUE "  # noqa: S608
                f"SELECT {column_list} FROM {template}.{table}"
            )
    positions = [
        f"SELECT setval({_literal(sequence)}, last_value, is_called) "  # noqa: S608
        f"FROM {template}.{sequence}"
        for sequence, *_owner in sequences
    ]
    constraints = [
        f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
        for table, name, definition in foreign_keys
    ]
    index_names: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for table, name, *definition in indexes:
        index_names[table][_nameless_index_definition(name, *definition)].append(name)
    return _Blueprint(
        fingerprint=fingerprint,
        creation_script=";\n".join(creations),
        # Rows before the foreign keys: nothing to check row by row.
        filling_script=";\n".join([*copies, *positions, *constraints]),
        tables=[table for table, *_rest in tables],
        index_names={table: dict(names) for table, names in index_names.items()},
        sequence_names={(table, column): name for _s, table, column, name, _t in sequences},
        sequence_types=[
            f"ALTER SEQUENCE {sequence} AS {data_type}"
            for sequence, _table, _column, _name, data_type in sequences
        ],
    )


def _nameless_index_definition(
    name: str, qualified_table: str, unique: str, definition: str
) -> str:
    # pg_get_indexdef always qualifies the table with its schema (PostgreSQL 10.3 on).
    prefix = f"CREATE {unique}INDEX {name} ON {qualified_table} "
    if not definition.startswith(prefix):
        raise TemplateNotClonableError(f"Unexpected index definition: {definition}")
    return definition[len(prefix) :]


def _renames_to_template_names(cursor: CursorWrapper, blueprint: _Blueprint) -> list[str]:
    """ALTER statements giving the clone's indexes and sequences the template's names."""
    moves: list[tuple[str, str, str]] = []  # (INDEX or SEQUENCE, current name, template's)
    in_use: set[str] = set()
    unmatched = {
        table: {definition: list(names) for definition, names in definitions.items()}
        for table, definitions in blueprint.index_names.items()
    }
    cursor.execute(_INDEXES_QUERY, {"tables": blueprint.tables})
    for table, name, *definition in cursor.fetchall():
        in_use.add(name)
        candidates = unmatched.get(table, {}).get(_nameless_index_definition(name, *definition))
        if not candidates:
            raise _StaleBlueprintError(f"The clone's index {name} has no match in the template")
        target = name if name in candidates else candidates[0]
        candidates.remove(target)
        moves.append(("INDEX", name, target))
    if blueprint.sequence_names:
        cursor.execute(
            # The column's name as it is, unquoted: pg_get_serial_sequence takes it literally.
            "SELECT pg_get_serial_sequence(t, c) "
            "FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS x(t, c, n) ORDER BY n",
            [
                [table for table, _column in blueprint.sequence_names],
                [column for _table, column in blueprint.sequence_names],
            ],
        )
        for target, (qualified,) in zip(
            blueprint.sequence_names.values(), cursor.fetchall(), strict=True
        ):
            name = str(qualified).split(".", 1)[1]  # the schema's name is ws_<hex>
            in_use.add(name)
            moves.append(("SEQUENCE", name, target))
    moves = [(kind, current, target) for kind, current, target in moves if current != target]
    statements = []
    if {target for _kind, _current, target in moves} & in_use:
        # A name one object must take is still another's: step aside through unique names.
        parked = []
        for number, (kind, current, target) in enumerate(moves):
            parking = f"kartoteka_clone_{number}"
            statements.append(f"ALTER {kind} {current} RENAME TO {parking}")
            parked.append((kind, parking, target))
        moves = parked
    statements.extend(
        f"ALTER {kind} {current} RENAME TO {target}" for kind, current, target in moves
    )
    return statements


def _literal(value: object) -> str:
    return sql.Literal(str(value)).as_string(connection.connection)
