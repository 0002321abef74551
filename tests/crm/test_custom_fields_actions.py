"""Changes to definitions: permissions, audit, order, type changes rewriting stored values."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import translation
from django_tenants.utils import schema_context

from crm.actions.custom_fields import (
    archive_custom_field,
    change_custom_field_type,
    create_custom_field,
    move_custom_field,
    plan_type_change,
    reorder_custom_fields,
    set_required_standard_fields,
    update_custom_field,
)
from crm.errors import CrmValidationError
from crm.models import CustomField, RequiredStandardField
from crm.selectors.custom_fields import (
    FilterOp,
    active_custom_fields,
    custom_field_filter,
    custom_field_order,
)
from tenants.guards import WorkspaceReadOnlyError
from tenants.members.models import AuditEntry
from tenants.models import WorkspaceStatus
from tests.conftest import add_member
from tests.crm.custom_fields_helpers import probe_entity


@pytest.fixture
def inside(workspace):  # type: ignore[no-untyped-def]
    with schema_context(workspace.workspace.schema_name), translation.override("en"):
        yield workspace


def field_of(owner, field_type: str, key: str = "f", entity: str = "deal", **extra):  # type: ignore[no-untyped-def]
    return create_custom_field(
        acting_user=owner,
        entity=entity,
        field_type=field_type,
        key=key,
        labels={"en": key.title()},
        **extra,
    )


CHOICES = [{"key": "a", "labels": {"en": "A"}}, {"key": "b", "labels": {"en": "B"}}]


def test_member_cannot_change_definitions(workspace):
    member = add_member(workspace, email="manager@acme.example.com")
    with schema_context(workspace.workspace.schema_name):
        with pytest.raises(PermissionDenied):
            field_of(member, "text")
        field = field_of(workspace.owner, "text")
        with pytest.raises(PermissionDenied):
            update_custom_field(acting_user=member, field=field, required=True)
        with pytest.raises(PermissionDenied):
            archive_custom_field(acting_user=member, field=field)
        with pytest.raises(PermissionDenied):
            set_required_standard_fields(acting_user=member, entity="contact", fields=["phones"])
        with pytest.raises(PermissionDenied):
            change_custom_field_type(acting_user=member, field=field, field_type="long_text")
        assert not CustomField.objects.get(pk=field.pk).required


def test_read_only_workspace_refuses_changes(inside):
    inside.workspace.status = WorkspaceStatus.READ_ONLY
    inside.workspace.save()
    connection.set_tenant(inside.workspace)
    with pytest.raises(WorkspaceReadOnlyError):
        field_of(inside.owner, "text")


def test_changes_are_in_the_audit_log(inside):
    field = field_of(inside.owner, "text", entity="contact")
    update_custom_field(acting_user=inside.owner, field=field, labels={"ru": "Договор"})
    archive_custom_field(acting_user=inside.owner, field=field)
    set_required_standard_fields(acting_user=inside.owner, entity="contact", fields=["phones"])
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions[-4:] == [
        "crm.custom_field.created",
        "crm.custom_field.changed",
        "crm.custom_field.archived",
        "crm.required_fields.changed",
    ]
    changed = AuditEntry.objects.get(action="crm.custom_field.changed")
    assert changed.changes == {"labels": [{"en": "F"}, {"ru": "Договор"}]}


def test_key_is_unique_per_entity_and_never_changes(inside):
    field = field_of(inside.owner, "text", key="contract", entity="contact")
    field_of(inside.owner, "text", key="contract", entity="company")
    with pytest.raises(CrmValidationError) as caught:
        field_of(inside.owner, "text", key="contract", entity="contact")
    assert "key" in caught.value.field_errors
    update_custom_field(acting_user=inside.owner, field=field, labels={"en": "Agreement"})
    field.refresh_from_db()
    assert field.key == "contract"


def test_reorder_and_move(inside):
    for key in ("a", "b", "c"):
        field_of(inside.owner, "text", key=key, entity="contact")
    reorder_custom_fields(acting_user=inside.owner, entity="contact", keys=["c", "a", "b"])
    assert [f.key for f in active_custom_fields("contact")] == ["c", "a", "b"]
    move_custom_field(acting_user=inside.owner, field=CustomField.objects.get(key="b"), offset=-1)
    assert [f.key for f in active_custom_fields("contact")] == ["c", "b", "a"]


def test_required_standard_fields_are_set_exactly(inside):
    set_required_standard_fields(
        acting_user=inside.owner, entity="company", fields=["tax_number", "phones"]
    )
    set_required_standard_fields(acting_user=inside.owner, entity="company", fields=["phones"])
    assert list(RequiredStandardField.objects.values_list("entity", "field")) == [
        ("company", "phones")
    ]
    with pytest.raises(CrmValidationError):
        set_required_standard_fields(acting_user=inside.owner, entity="company", fields=["nope"])


def test_integer_to_decimal_converts_every_stored_value(inside, monkeypatch):
    with probe_entity(monkeypatch) as Probe:
        field = field_of(inside.owner, "integer", key="n")
        Probe.objects.create(name="one", custom={"n": 5, "other": 1})
        Probe.objects.create(name="none", custom={"other": 2})
        plan = change_custom_field_type(acting_user=inside.owner, field=field, field_type="decimal")
        assert plan.records_with_values == 1
        assert Probe.objects.get(name="one").custom == {"n": "5", "other": 1}
        assert Probe.objects.get(name="none").custom == {"other": 2}
        field.refresh_from_db()
        assert field.field_type == "decimal"


def test_single_to_multiple_choice_wraps_values_and_back(inside, monkeypatch):
    with probe_entity(monkeypatch) as Probe:
        field = field_of(inside.owner, "single_choice", key="c", choices=CHOICES)
        Probe.objects.create(name="x", custom={"c": "b"})
        change_custom_field_type(
            acting_user=inside.owner, field=field, field_type="multiple_choice"
        )
        assert Probe.objects.get().custom == {"c": ["b"]}
        change_custom_field_type(acting_user=inside.owner, field=field, field_type="single_choice")
        assert Probe.objects.get().custom == {"c": "b"}


def test_lossy_type_changes_are_refused_with_an_explanation(inside, monkeypatch):
    with probe_entity(monkeypatch) as Probe:
        number = field_of(inside.owner, "decimal", key="x")
        many = field_of(inside.owner, "multiple_choice", key="m", choices=CHOICES)
        text = field_of(inside.owner, "long_text", key="t")
        Probe.objects.create(custom={"x": "2.5", "m": ["a", "b"], "t": "line\nline"})
        cases = [
            (number, "integer", "fractional part"),
            (many, "single_choice", "several options"),
            (text, "text", "several lines"),
            (number, "date", "could lose"),
        ]
        for field, new_type, explanation in cases:
            with pytest.raises(CrmValidationError) as caught:
                change_custom_field_type(acting_user=inside.owner, field=field, field_type=new_type)
            assert explanation in caught.value.field_errors["field_type"][0]
            field.refresh_from_db()
            assert field.field_type != new_type
        assert Probe.objects.get().custom == {"x": "2.5", "m": ["a", "b"], "t": "line\nline"}


def test_any_type_change_is_allowed_when_no_record_holds_a_value(inside, monkeypatch):
    with probe_entity(monkeypatch) as Probe:
        field = field_of(inside.owner, "text", key="t")
        Probe.objects.create(custom={})
        assert plan_type_change(field, "date").allowed
        change_custom_field_type(acting_user=inside.owner, field=field, field_type="date")
        field.refresh_from_db()
        assert field.field_type == "date"


def test_filters_and_sorting_on_typed_values(inside, monkeypatch):
    with probe_entity(monkeypatch) as Probe:
        amount = field_of(inside.owner, "decimal", key="amount")
        when = field_of(inside.owner, "date", key="when")
        colour = field_of(inside.owner, "single_choice", key="colour", choices=CHOICES)
        tags = field_of(inside.owner, "multiple_choice", key="tags", choices=CHOICES)
        Probe.objects.create(
            name="p9", custom={"amount": "9", "when": "2024-01-01", "colour": "b", "tags": ["a"]}
        )
        Probe.objects.create(
            name="p10", custom={"amount": "10.5", "when": "2024-06-01", "colour": "a"}
        )
        Probe.objects.create(name="empty", custom={})

        def names(condition, order=None):  # type: ignore[no-untyped-def]
            query = Probe.objects.filter(condition)
            return list(query.order_by(order or "name").values_list("name", flat=True))

        # Numbers compare as numbers ("10.5" > "9"), not as text.
        assert names(custom_field_filter(amount, FilterOp.RANGE, ("9,5", None))) == ["p10"]
        assert names(custom_field_filter(amount, FilterOp.EQUALS, "9.00")) == ["p9"]
        assert names(custom_field_filter(when, FilterOp.RANGE, ("01.03.2024", "2024-12-31"))) == [
            "p10"
        ]
        assert names(custom_field_filter(amount, FilterOp.IS_EMPTY)) == ["empty"]
        assert names(custom_field_filter(colour, FilterOp.ANY_OF, ["a", "b"])) == ["p10", "p9"]
        assert names(custom_field_filter(tags, FilterOp.ANY_OF, ["a"])) == ["p9"]
        assert names(custom_field_filter(colour, FilterOp.EQUALS, "b")) == ["p9"]
        everything = custom_field_filter(amount, FilterOp.RANGE, (None, None))
        assert names(everything, custom_field_order(amount, descending=True)) == [
            "p10",
            "p9",
            "empty",
        ]
        assert names(everything, custom_field_order(colour)) == ["p10", "p9", "empty"]


def test_indexed_field_gets_an_expression_index_the_sort_uses(inside, monkeypatch):
    from crm.actions.custom_fields import custom_field_index_name

    def index_definition(name: str) -> str | None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND indexname = %s",
                [name],
            )
            row = cursor.fetchone()
        return row[0] if row else None

    with probe_entity(monkeypatch):
        field = field_of(inside.owner, "integer", key="n", indexed=True)
        name = custom_field_index_name(field)
        assert "bigint" in index_definition(name)
        change_custom_field_type(acting_user=inside.owner, field=field, field_type="decimal")
        assert "numeric" in index_definition(name)
        update_custom_field(acting_user=inside.owner, field=field, indexed=False)
        assert index_definition(name) is None
