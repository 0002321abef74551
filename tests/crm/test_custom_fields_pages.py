"""Settings pages for custom fields and required fields, as owners, admins and members see them."""

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from crm.actions.custom_fields import create_custom_field
from crm.models import CustomField, RequiredStandardField
from tenants.members.actions import set_member_language
from tests.conftest import add_member
from tests.cross_workspace import logged_in_client


@pytest.fixture
def owner(workspace) -> Client:  # type: ignore[no-untyped-def]
    client = logged_in_client(workspace)
    client.cookies["django_language"] = "en"
    return client


def make_field(workspace, **extra) -> CustomField:  # type: ignore[no-untyped-def]
    values = {"entity": "contact", "field_type": "text", "labels": {"en": "Contract"}}
    values.update(extra)
    with schema_context(workspace.workspace.schema_name):
        return create_custom_field(acting_user=workspace.owner, **values)


def fields_of(workspace) -> list[CustomField]:  # type: ignore[no-untyped-def]
    with schema_context(workspace.workspace.schema_name):
        return list(CustomField.objects.order_by("position"))


def test_owner_adds_a_choice_field_and_sees_it_listed(workspace, owner):
    response = owner.post(
        "/settings/fields/contact/new/",
        {
            "label_ru": "Уровень",
            "label_en": "Tier",
            "field_type": "single_choice",
            "required": "on",
            "choice-count": "3",
            "choice-0-en": "Gold",
            "choice-0-ru": "Золото",
            "choice-1-en": "Silver",
            "choice-2-en": "",
            "default": "Silver",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Field “Tier” added." in page
    assert "Tier" in page
    [field] = fields_of(workspace)
    assert (field.key, field.required, field.default) == ("tier", True, "silver")
    assert [c["key"] for c in field.choices] == ["gold", "silver"]
    assert field.labels == {"ru": "Уровень", "en": "Tier"}


def test_create_form_shows_errors_in_the_readers_language(workspace, owner):
    response = owner.post("/settings/fields/contact/new/", {"field_type": "integer"})
    assert "Give the field a name in at least one language." in response.content.decode()
    with schema_context(workspace.workspace.schema_name):
        set_member_language(acting_user=workspace.owner, language="ru")
    response = owner.post(
        "/settings/fields/contact/new/",
        {"field_type": "integer", "label_ru": "Сотрудников", "default": "много"},
    )
    assert "Введите целое число." in response.content.decode()
    assert fields_of(workspace) == []


def test_renaming_a_field_and_its_choices_keeps_keys(workspace, owner):
    field = make_field(
        workspace,
        field_type="multiple_choice",
        key="channels",
        choices=[{"labels": {"en": "Mail"}}, {"labels": {"en": "Phone"}}],
    )
    response = owner.get(f"/settings/fields/{field.pk}/edit/")
    assert 'value="Mail"' in response.content.decode()
    response = owner.post(
        f"/settings/fields/{field.pk}/edit/",
        {
            "label_en": "Channels",
            "choice-count": "3",
            "choice-0-key": "mail",
            "choice-0-en": "E-mail",
            "choice-1-key": "phone",
            "choice-1-en": "",
            "choice-2-en": "Fax",
        },
        follow=True,
    )
    assert "Field “Channels” saved." in response.content.decode()
    [field] = fields_of(workspace)
    assert field.key == "channels"
    assert [(c["key"], c["labels"]["en"], c["archived"]) for c in field.choices] == [
        ("mail", "E-mail", False),
        ("fax", "Fax", False),
        ("phone", "Phone", True),
    ]


def test_move_buttons_reorder_fields(workspace, owner):
    make_field(workspace, key="first", labels={"en": "First"})
    second = make_field(workspace, key="second", labels={"en": "Second"})
    response = owner.post(f"/settings/fields/{second.pk}/move/", {"direction": "up"}, follow=True)
    assert "“Second” moved up." in response.content.decode()
    assert [f.key for f in fields_of(workspace)] == ["second", "first"]
    page = owner.get("/settings/fields/contact/").content.decode()
    assert page.index("Second") < page.index("First")


def test_archive_hides_the_field_and_restore_brings_it_back(workspace, owner):
    field = make_field(workspace)
    response = owner.post(f"/settings/fields/{field.pk}/archive/", follow=True)
    page = response.content.decode()
    assert "is archived" in page
    assert "Archived fields" in page
    assert fields_of(workspace)[0].archived_at is not None
    response = owner.post(f"/settings/fields/{field.pk}/restore/", follow=True)
    assert "is back" in response.content.decode()
    assert fields_of(workspace)[0].archived_at is None


def test_type_change_page_explains_then_converts(workspace, owner):
    field = make_field(workspace, field_type="integer", labels={"en": "Seats"})
    page = owner.get(f"/settings/fields/{field.pk}/type/?field_type=decimal").content.decode()
    assert "This change is safe." in page
    assert "nothing can be lost" in page
    response = owner.post(f"/settings/fields/{field.pk}/type/", {"field_type": "decimal"})
    assert response.status_code == 302
    assert fields_of(workspace)[0].field_type == "decimal"


def test_required_fields_page_saves_standard_and_custom_fields(workspace, owner):
    make_field(workspace, key="contract")
    page = owner.get("/settings/fields/contact/required/").content.decode()
    assert "Phones" in page
    assert "Contract" in page
    response = owner.post(
        "/settings/fields/contact/required/",
        {"standard_phones": "on", "standard_source": "on", "custom_contract": "on"},
        follow=True,
    )
    assert "Required fields saved." in response.content.decode()
    with schema_context(workspace.workspace.schema_name):
        assert sorted(RequiredStandardField.objects.values_list("field", flat=True)) == [
            "phones",
            "source",
        ]
        assert CustomField.objects.get(key="contract").required


def test_unknown_entity_is_not_found(owner):
    assert owner.get("/settings/fields/spaceship/").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/settings/fields/contact/"),
        ("post", "/settings/fields/contact/new/"),
        ("post", "/settings/fields/{id}/edit/"),
        ("post", "/settings/fields/{id}/type/"),
        ("post", "/settings/fields/{id}/move/"),
        ("post", "/settings/fields/{id}/archive/"),
        ("post", "/settings/fields/contact/required/"),
    ],
)
def test_member_is_refused_every_settings_page(workspace, method, path):
    field = make_field(workspace)
    member = add_member(workspace, email="manager@acme.example.com")
    client = logged_in_client(workspace, member)
    response = getattr(client, method)(
        path.format(id=field.pk), {"label_en": "Hijacked", "field_type": "integer"}
    )
    assert response.status_code == 403
    [unchanged] = fields_of(workspace)
    assert (unchanged.label_in("en"), unchanged.field_type, unchanged.archived_at) == (
        "Contract",
        "text",
        None,
    )


def test_another_workspaces_field_is_not_found(workspace, other_workspace):
    field = make_field(workspace)
    intruder = logged_in_client(other_workspace)
    assert intruder.get(f"/settings/fields/{field.pk}/edit/").status_code == 404
    assert intruder.post(f"/settings/fields/{field.pk}/archive/").status_code == 404
    assert fields_of(workspace)[0].archived_at is None


def test_settings_list_runs_a_fixed_number_of_queries(
    workspace, owner, django_assert_max_num_queries
):
    for number in range(8):
        make_field(workspace, key=f"f{number}", labels={"en": f"Field {number}"})
    with django_assert_max_num_queries(12):
        response = owner.get("/settings/fields/contact/")
    assert response.status_code == 200
