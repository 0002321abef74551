"""Provisioning: a cloned workspace is the same as a migrated one, named by us, all or nothing."""

import json
import re
import secrets

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg import sql

from tenants.actions import create_workspace
from tenants.models import Domain, MemberDirectoryEntry, Workspace
from tenants.schema_clone import TemplateNotClonableError, clone_template
from tests.conftest import PASSWORD

# What a workspace schema is made of, read from PostgreSQL's catalogs; %(schema)s is the schema.
STRUCTURE_QUERIES = {
    "tables": """
        SELECT table_name, table_type FROM information_schema.tables
        WHERE table_schema = %(schema)s
    """,
    "columns": """
        -- The position among the table's columns, not attnum: dropped columns leave gaps.
        SELECT table_name, column_name,
               row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position),
               data_type, udt_name,
               character_maximum_length, numeric_precision, numeric_scale, is_nullable,
               column_default, is_identity, identity_generation, collation_name
        FROM information_schema.columns WHERE table_schema = %(schema)s
    """,
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %(schema)s
    """,
    "constraints": """
        SELECT t.relname, c.conname, c.contype, pg_get_constraintdef(c.oid, true),
               c.condeferrable, c.condeferred
        FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
        WHERE c.connamespace = %(schema)s::regnamespace
    """,
    # pg_sequences, not information_schema.sequences: the latter hides identity sequences.
    "sequences": """
        SELECT sequencename, data_type::text, start_value, min_value, max_value, increment_by,
               cycle, cache_size
        FROM pg_sequences WHERE schemaname = %(schema)s
    """,
    # Which column owns each sequence, and in which schema that column's table is.
    "sequence_owners": """
        SELECT s.relname, t.relnamespace::regnamespace::text, t.relname, a.attname, d.deptype
        FROM pg_class s
        JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
                         AND d.refclassid = 'pg_class'::regclass
        JOIN pg_class t ON t.oid = d.refobjid
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
        WHERE s.relkind = 'S' AND s.relnamespace = %(schema)s::regnamespace
    """,
    "triggers": """
        SELECT t.relname, g.tgname, pg_get_triggerdef(g.oid)
        FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
        WHERE NOT g.tgisinternal AND t.relnamespace = %(schema)s::regnamespace
    """,
    "views": """
        SELECT table_name, view_definition FROM information_schema.views
        WHERE table_schema = %(schema)s
    """,
    "comments": """
        SELECT c.relname, a.attname, d.description
        FROM pg_description d JOIN pg_class c ON c.oid = d.objoid
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
        WHERE d.classoid = 'pg_class'::regclass AND c.relnamespace = %(schema)s::regnamespace
    """,
}


def _structure(schema_name: str) -> dict[str, list[tuple[str, ...]]]:
    """The schema's tables, columns, indexes, constraints, sequences, with its name replaced."""

    def normalised(value: object) -> str:
        return str(value).replace(schema_name, "<schema>")

    structure = {}
    with connection.cursor() as cursor:
        for part, query in STRUCTURE_QUERIES.items():
            cursor.execute(query, {"schema": schema_name})
            structure[part] = sorted(
                tuple(normalised(value) for value in row) for row in cursor.fetchall()
            )
    return structure


def _workspace_schemas() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ws\\_%%'")
        return {name for (name,) in cursor.fetchall()}


def test_cloned_workspace_has_the_structure_of_a_freshly_migrated_one(workspace, settings):
    # Given: a schema built by running every tenant migration, not by cloning.
    settings.TENANT_CREATION_FAKES_MIGRATIONS = False
    migrated = Workspace(
        schema_name=f"ws_{secrets.token_hex(6)}", name="Migrated", subdomain="migrated"
    )
    migrated.save(verbosity=0)

    # When: both schemas are read from the catalogs.
    cloned_structure = _structure(workspace.workspace.schema_name)
    migrated_structure = _structure(migrated.schema_name)

    # Then: the clone has exactly what migrations create.
    assert len(migrated_structure["tables"]) > 10
    assert migrated_structure["indexes"]
    assert migrated_structure["constraints"]
    assert migrated_structure["sequences"]
    for part in STRUCTURE_QUERIES:
        assert cloned_structure[part] == migrated_structure[part], part


def _rows(schema_name: str, query: str) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL(query).format(schema=sql.Identifier(schema_name)))
        return sorted(cursor.fetchall())


def test_cloned_workspace_has_the_rows_migrations_write(workspace, settings):
    # Given: a schema built by running every tenant migration.
    settings.TENANT_CREATION_FAKES_MIGRATIONS = False
    migrated = Workspace(
        schema_name=f"ws_{secrets.token_hex(6)}", name="Migrated", subdomain="migrated"
    )
    migrated.save(verbosity=0)
    cloned = workspace.workspace.schema_name

    # Then: the same migrations count as applied, the same content types and permissions.
    for query in (
        "SELECT app, name FROM {schema}.django_migrations",
        "SELECT app_label, model FROM {schema}.django_content_type",
        "SELECT p.codename, t.app_label, t.model FROM {schema}.auth_permission p"
        " JOIN {schema}.django_content_type t ON t.id = p.content_type_id",
    ):
        assert _rows(cloned, query) == _rows(migrated.schema_name, query), query
    assert ("members", "0001_initial") in _rows(
        cloned, "SELECT app, name FROM {schema}.django_migrations"
    )


@pytest.fixture
def custom_template(platform):  # type: ignore[no-untyped-def]
    """A template-shaped schema (a clone) for tests to add objects to before cloning it."""
    return create_workspace(
        name="Template-ish", subdomain="templateish", owner_email="t@example.com",
        owner_password=None,
    ).workspace.schema_name  # fmt: skip


def _clone(template: str) -> str:
    schema_name = f"ws_{secrets.token_hex(6)}"
    clone_template(template_schema=template, schema_name=schema_name)
    return schema_name


def test_clone_keeps_names_expressions_sequences_and_comments_exactly(custom_template):
    # Given: a template with what a migration may create and a text copy would get wrong:
    # IN-lists on varchar (which read back as a different expression), indexes whose
    # names are PostgreSQL's defaults for each other, an integer identity sequence with
    # its own name and position, a unique constraint, comments, and names needing quotes
    # on an ALWAYS identity table with a row.
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL(
                """
                SET LOCAL search_path = {schema};
                CREATE TABLE shelf (
                    id integer GENERATED BY DEFAULT AS IDENTITY
                        (SEQUENCE NAME shelf_numbers START WITH 100) PRIMARY KEY,
                    a integer NOT NULL,
                    b integer,
                    kind varchar(20) NOT NULL DEFAULT 'box'
                        CONSTRAINT shelf_kind_known CHECK (kind IN ('box', 'crate')),
                    CONSTRAINT shelf_a_b_pair UNIQUE (a, b)
                );
                CREATE INDEX shelf_b_idx ON shelf (a);
                CREATE INDEX shelf_a_idx ON shelf (b);
                CREATE UNIQUE INDEX shelf_one_crate ON shelf (a) WHERE kind IN ('crate');
                COMMENT ON TABLE shelf IS 'Where things are kept';
                COMMENT ON COLUMN shelf.kind IS 'Box or crate';
                SELECT nextval('shelf_numbers');
                CREATE TABLE "Crate Box" (
                    "Number" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    "Label" text NOT NULL
                );
                INSERT INTO "Crate Box" ("Label") VALUES ('kept');
                SET LOCAL search_path = public;
                """
            ).format(schema=sql.Identifier(custom_template))
        )

    # When
    cloned = _clone(custom_template)

    # Then
    assert _structure(cloned) == _structure(custom_template)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("INSERT INTO {}.shelf (a) VALUES (1) RETURNING id").format(
                sql.Identifier(cloned)
            )
        )
        assert cursor.fetchone() == (101,)
        cursor.execute(
            sql.SQL('SELECT "Number", "Label" FROM {}."Crate Box"').format(sql.Identifier(cloned))
        )
        assert cursor.fetchall() == [(1, "kept")]


def test_clone_follows_a_template_changed_without_a_new_migration_record(custom_template):
    # Given: the template was cloned once (its blueprint is kept), then gained an index
    # before any migration record says so, as half-way through a non-atomic migration.
    _clone(custom_template)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("CREATE INDEX late_index ON {}.members_user (date_joined)").format(
                sql.Identifier(custom_template)
            )
        )

    # When
    cloned = _clone(custom_template)

    # Then: the clone is the template as it is now.
    assert _structure(cloned) == _structure(custom_template)
    assert "late_index" in str(_structure(cloned)["indexes"])


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("CREATE VIEW {schema}.v AS SELECT 1 AS one", "relation v"),
        ("CREATE SEQUENCE {schema}.counter", "sequence counter"),
        (
            "CREATE FUNCTION {schema}.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
            "function f",
        ),
        ("CREATE TYPE {schema}.mood AS ENUM ('ok')", "type mood"),
    ],
    ids=["view", "sequence", "function", "type"],
)
def test_clone_refuses_a_template_holding_what_it_cannot_copy(custom_template, statement, named):
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL(statement).format(schema=sql.Identifier(custom_template)))

    with pytest.raises(TemplateNotClonableError, match=named):
        _clone(custom_template)


def test_cloned_workspace_counts_its_own_ids(workspace, other_workspace):
    # A clone's identity sequences are its own: both first owners are member 1.
    assert workspace.owner.pk == other_workspace.owner.pk == 1


def test_schema_name_is_generated_not_taken_from_the_subdomain(make_workspace):
    created = make_workspace("acme-shop", name="Acme Shop")

    schema_name = created.workspace.schema_name

    assert re.fullmatch(r"ws_[0-9a-f]{12}", schema_name)
    assert "acme" not in schema_name
    assert schema_name in _workspace_schemas()


def test_each_workspace_gets_its_own_schema_name(make_workspace):
    first = make_workspace("first-shop")
    second = make_workspace("second-shop")

    assert first.workspace.schema_name != second.workspace.schema_name


def test_subdomain_shaped_like_sql_is_refused_before_any_schema_exists(platform):
    schemas_before = _workspace_schemas()

    with pytest.raises(ValidationError) as refused:
        create_workspace(
            name="Evil",
            subdomain='x"; DROP SCHEMA public CASCADE; --',
            owner_email="evil@example.com",
            owner_password=PASSWORD,
        )

    assert refused.value.error_dict["subdomain"][0].code == "invalid_characters"
    assert _workspace_schemas() == schemas_before


@pytest.mark.parametrize(
    "bad_owner",
    [
        {"owner_email": "not-an-e-mail", "owner_password": PASSWORD},
        {"owner_email": "owner@example.com", "owner_password": "12345678"},
    ],
    ids=["invalid-email", "weak-password"],
)
def test_failed_provisioning_leaves_no_workspace_schema_domain_or_member(platform, bad_owner):
    # Given: the owner details fail only after the schema and the domain were made.
    schemas_before = _workspace_schemas()

    # When
    with pytest.raises(ValidationError):
        create_workspace(name="Acme", subdomain="acme", **bad_owner)

    # Then: nothing of it is left, and the subdomain is still free.
    assert not Workspace.objects.filter(subdomain="acme").exists()
    assert not Domain.objects.filter(domain__startswith="acme.").exists()
    assert not MemberDirectoryEntry.objects.exists()
    assert _workspace_schemas() == schemas_before
    assert (
        create_workspace(
            name="Acme", subdomain="acme", owner_email="owner@example.com", owner_password=PASSWORD
        ).workspace.subdomain
        == "acme"
    )


def test_create_workspace_command_prints_one_json_object(platform, capsys):
    call_command(
        "create_workspace",
        "--name", "Acme",
        "--subdomain", "acme",
        "--owner-email", "boss@acme.example.com",
        "--owner-password", PASSWORD,
        "--json",
    )  # fmt: skip

    printed = json.loads(capsys.readouterr().out)
    workspace = Workspace.objects.get(subdomain="acme")
    assert printed["schema"] == workspace.schema_name
    assert printed["subdomain"] == "acme"
    assert printed["url"] == "http://acme.localhost:8000/"
    assert isinstance(printed["seconds"], float)
    assert printed["seconds"] >= 0


def test_create_workspace_command_reports_a_taken_subdomain(make_workspace, capsys):
    make_workspace("acme")

    with pytest.raises(CommandError, match="acme"):
        call_command(
            "create_workspace",
            "--name", "Acme again",
            "--subdomain", "acme",
            "--owner-email", "other@example.com",
            "--json",
        )  # fmt: skip

    assert capsys.readouterr().out == ""
    assert Workspace.objects.filter(kind=Workspace.Kind.CUSTOMER).count() == 1
