"""/api/custom-fields, and custom values in their real JSON types on records."""

import pytest

from tenants.api_keys.models import ApiKeyScope
from tests.api.conftest import ApiClient, assert_error, make_key

pytestmark = pytest.mark.django_db


def _field(api, **data):  # type: ignore[no-untyped-def]
    response = api.post("/api/custom-fields", {"entity": "contact", **data})
    assert response.status_code == 201, response.content.decode()
    return response.json()


def test_owner_defines_fields_and_scripts_read_them(workspace, api):
    created = _field(
        api,
        field_type="single_choice",
        key="segment",
        labels={"ru": "Сегмент", "en": "Segment"},
        choices=[{"key": "b2b", "labels": {"en": "B2B"}}, {"labels": {"en": "Retail"}}],
        required=False,
    )

    assert created["key"] == "segment"
    assert created["label"] == "Segment"
    assert [choice["key"] for choice in created["choices"]] == ["b2b", "retail"]
    assert api.get(f"/api/custom-fields/{created['id']}").json() == created
    assert [f["key"] for f in api.get("/api/custom-fields", {"entity": "contact"}).json()] == [
        "segment"
    ]
    assert api.get("/api/custom-fields", {"entity": "company"}).json() == []


def test_custom_values_come_back_in_their_real_types(workspace, api):
    for key, field_type in [
        ("budget", "integer"),
        ("rate", "decimal"),
        ("price", "money"),
        ("since", "date"),
        ("active", "boolean"),
        ("note", "text"),
    ]:
        _field(api, key=key, field_type=field_type, labels={"en": key})
    _field(
        api,
        key="channels",
        field_type="multiple_choice",
        labels={"en": "Channels"},
        choices=[
            {"key": "sms", "labels": {"en": "SMS"}},
            {"key": "mail", "labels": {"en": "Mail"}},
        ],
    )

    contact = api.post(
        "/api/contacts",
        {
            "first_name": "Олег",
            "custom": {
                "budget": 1500,
                "rate": "2.5",
                "price": {"amount": "12.50", "currency": "RUB"},
                "since": "2024-03-01",
                "active": True,
                "note": "важный",
                "channels": ["sms", "mail"],
            },
        },
    )

    assert contact.status_code == 201, contact.content
    custom = contact.json()["custom"]
    assert custom["budget"] == 1500
    assert custom["rate"] == 2.5
    assert custom["price"] == {"amount": "12.50", "currency": "RUB"}
    assert custom["since"] == "2024-03-01"
    assert custom["active"] is True
    assert custom["note"] == "важный"
    assert sorted(custom["channels"]) == ["mail", "sms"]


@pytest.mark.parametrize(
    ("field_type", "value"),
    [
        ("integer", "lots"),
        ("integer", 1.5),
        ("date", "yesterday"),
        ("boolean", "perhaps"),
        ("email", "not-an-email"),
        ("url", "not a url"),
    ],
)
def test_wrong_custom_value_is_a_422_naming_the_field(workspace, api, field_type, value):
    _field(api, key="extra", field_type=field_type, labels={"en": "Extra"})

    body = assert_error(
        api.post("/api/contacts", {"first_name": "Олег", "custom": {"extra": value}}),
        422,
        "invalid",
    )

    assert "custom.extra" in body["fields"], body


def test_unknown_custom_key_is_a_422(workspace, api):
    body = assert_error(
        api.post("/api/contacts", {"first_name": "Олег", "custom": {"nope": 1}}), 422, "invalid"
    )

    assert any("nope" in field for field in body["fields"]), body


def test_required_custom_field_holds_on_the_api(workspace, api):
    _field(api, key="contract", field_type="text", labels={"en": "Contract"}, required=True)

    body = assert_error(api.post("/api/contacts", {"first_name": "Олег"}), 422, "required")

    assert list(body["fields"]) == ["custom.contract"]
    ok = api.post("/api/contacts", {"first_name": "Олег", "custom": {"contract": "Д-1"}})
    assert ok.status_code == 201


def test_partial_update_merges_custom_values_and_null_clears(workspace, api):
    _field(api, key="budget", field_type="integer", labels={"en": "Budget"})
    _field(api, key="note", field_type="text", labels={"en": "Note"})
    contact = api.post(
        "/api/contacts", {"first_name": "Олег", "custom": {"budget": 5, "note": "a"}}
    ).json()

    changed = api.patch(f"/api/contacts/{contact['id']}", {"custom": {"budget": 7}}).json()
    cleared = api.patch(f"/api/contacts/{contact['id']}", {"custom": {"note": None}}).json()

    assert changed["custom"] == {"budget": 7, "note": "a"}
    assert cleared["custom"] == {"budget": 7, "note": None}


def test_update_and_archive_a_field_keeps_values(workspace, api):
    field = _field(api, key="budget", field_type="integer", labels={"en": "Budget"})
    contact = api.post("/api/contacts", {"first_name": "Олег", "custom": {"budget": 5}}).json()

    renamed = api.patch(f"/api/custom-fields/{field['id']}", {"labels": {"en": "Money"}}).json()
    archived = api.post(f"/api/custom-fields/{field['id']}/archive").json()

    assert renamed["label"] == "Money"
    assert archived["archived"] is True
    assert api.get("/api/custom-fields").json() == []
    assert api.get(f"/api/contacts/{contact['id']}").json()["custom"] == {}
    restored = api.post(f"/api/custom-fields/{field['id']}/restore").json()
    assert restored["archived"] is False
    assert api.get(f"/api/contacts/{contact['id']}").json()["custom"] == {"budget": 5}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"entity": "deal", "field_type": "text", "labels": {"en": "X"}}, "entity"),
        ({"entity": "contact", "field_type": "colour", "labels": {"en": "X"}}, "field_type"),
        ({"entity": "contact", "field_type": "text", "labels": {}}, "labels"),
        ({"entity": "contact", "field_type": "text", "labels": {"de": "X"}}, "labels.de"),
        ({"entity": "contact", "field_type": "single_choice", "labels": {"en": "X"}}, "choices"),
        ({"entity": "contact", "field_type": "text", "labels": {"en": "X"}, "key": "1bad"}, "key"),
    ],
)
def test_bad_field_definition_is_a_422(workspace, api, payload, field):
    response = api.post("/api/custom-fields", payload)

    assert response.status_code == 422, response.content
    assert field in response.json()["fields"], response.json()


def test_read_key_reads_definitions_but_cannot_change_them(workspace, api):
    field = _field(api, key="budget", field_type="integer", labels={"en": "Budget"})
    reader = ApiClient(workspace, make_key(workspace, scope=ApiKeyScope.READ))

    assert reader.get("/api/custom-fields").status_code == 200
    assert reader.get(f"/api/custom-fields/{field['id']}").status_code == 200
    assert_error(
        reader.post(
            "/api/custom-fields", {"entity": "contact", "field_type": "text", "labels": {"en": "X"}}
        ),
        403,
        "forbidden",
    )
    assert_error(reader.post(f"/api/custom-fields/{field['id']}/archive"), 403, "forbidden")
    assert_error(api.get("/api/custom-fields/999999"), 404, "not_found")
