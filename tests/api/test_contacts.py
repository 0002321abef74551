"""/api/contacts: the same rules as the contact form, through the same actions."""

import pytest
from django_tenants.utils import schema_context

from crm.actions.custom_fields import set_required_standard_fields
from crm.models import ChangeRecord, Contact
from tenants.api_keys.models import ApiKeyScope
from tenants.models import Workspace, WorkspaceStatus
from tests.api.conftest import ApiClient, assert_error, fresh_owner, inside, make_key

pytestmark = pytest.mark.django_db

MARIA = {
    "surname": "Иванова",
    "first_name": "Мария",
    "patronymic": "Петровна",
    "phones": [{"number": "8 (916) 123-45-67", "label": "work"}],
    "emails": ["Maria.Ivanova@Example.com"],
}


def _contacts(new) -> list[Contact]:  # type: ignore[no-untyped-def]
    with schema_context(new.workspace.schema_name):
        return list(Contact.objects.order_by("pk"))


def test_create_contact_returns_it_as_stored(workspace, api):
    response = api.post(
        "/api/contacts",
        {
            **MARIA,
            "form_of_address": "Маша",
            "birthday": "1990-05-17",
            "messengers": [{"kind": "telegram", "handle": "@masha"}],
            "tags": ["VIP", "опт"],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["full_name"] == "Иванова Мария Петровна"
    assert body["phones"] == [
        {"number": "+79161234567", "raw": "8 (916) 123-45-67", "label": "work"}
    ]
    assert body["emails"] == ["Maria.Ivanova@Example.com"]
    assert body["birthday"] == "1990-05-17"
    assert body["messengers"] == [{"kind": "telegram", "handle": "@masha"}]
    assert body["tags"] == ["opt", "VIP"] or sorted(body["tags"]) == sorted(["VIP", "опт"])
    assert body["responsible"]["id"] == workspace.owner.pk
    assert body["archived"] is False
    (contact,) = _contacts(workspace)
    assert contact.pk == body["id"]
    assert api.get(f"/api/contacts/{contact.pk}").json() == body


def test_changes_through_the_api_name_the_key_in_history(workspace, api):
    contact_id = api.post("/api/contacts", MARIA).json()["id"]
    api.patch(f"/api/contacts/{contact_id}", {"position": "Бухгалтер"})

    with schema_context(workspace.workspace.schema_name):
        records = list(ChangeRecord.objects.filter(record_id=contact_id))
    assert records
    assert {record.via for record in records} == {"api"}
    assert {record.actor_label for record in records} == {"Owner script"}
    assert {record.actor_id for record in records} == {workspace.owner.pk}
    assert any(record.field == "position" and record.new == "Бухгалтер" for record in records)


def test_contact_needs_a_name(workspace, api):
    body = assert_error(
        api.post("/api/contacts", {"phones": [{"number": "+79161234567"}]}), 422, "invalid"
    )

    assert "first_name" in body["fields"]
    assert _contacts(workspace) == []


def test_impossible_phone_is_refused_in_the_callers_language(workspace, owner_key):
    english = ApiClient(workspace, owner_key, **{"Accept-Language": "en"})
    russian = ApiClient(workspace, owner_key, **{"Accept-Language": "ru"})
    payload = {"first_name": "Олег", "phones": [{"number": "12"}]}

    en = assert_error(english.post("/api/contacts", payload), 422, "invalid")
    ru = assert_error(russian.post("/api/contacts", payload), 422, "invalid")

    assert "cannot be a phone number" in en["fields"]["phones"][0]
    assert ru["message"] == "Некоторые поля заполнены неверно."
    assert en["message"] == "Some fields are not valid."
    assert _contacts(workspace) == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"first_name": "Олег", "nickname": "Олежка"}, "nickname"),
        ({"first_name": "Олег", "birthday": "17.05.90x"}, "birthday"),
        ({"first_name": "Олег", "birthday": 19900517}, "birthday"),
        ({"first_name": ["Олег"]}, "first_name"),
        ({"first_name": "Олег", "phones": "+79161234567"}, "phones"),
        (
            {"first_name": "Олег", "phones": [{"number": "+79161234567", "label": "pager"}]},
            "phones.0.label",
        ),
        ({"first_name": "Олег", "responsible_id": "boss"}, "responsible_id"),
        ({"first_name": "Олег", "tags": ["x"] * 51}, "tags"),
        ({"first_name": "Я" * 101}, "first_name"),
        ({"first_name": "Олег", "emails": ["not-an-email"]}, "emails"),
        ({"first_name": "Олег", "source_id": 999999}, "source"),
        ({"first_name": "Олег", "responsible_id": 999999}, "responsible"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(workspace, api, payload, field):
    response = api.post("/api/contacts", payload)

    body = assert_error(response, 422, "invalid")
    assert field in body["fields"], body
    assert all(isinstance(message, str) and message for message in body["fields"][field])
    assert _contacts(workspace) == []


def test_unknown_field_says_so(workspace, api):
    body = assert_error(
        api.post("/api/contacts", {"first_name": "Олег", "nick": "x"}), 422, "invalid"
    )

    assert body["fields"] == {"nick": ["Unknown field."]}


@pytest.mark.parametrize("raw", ['{"first_name": "Олег",', "not json", "[1, 2", '{"a": }'])
def test_malformed_json_is_a_400(workspace, api, raw):
    response = api.post("/api/contacts", raw=raw)

    assert_error(response, 400, "malformed")
    assert _contacts(workspace) == []


@pytest.mark.parametrize("raw", ["[]", '"text"', "42", "null"])
def test_json_that_is_not_an_object_is_a_422(workspace, api, raw):
    response = api.post("/api/contacts", raw=raw)

    assert response.status_code in (400, 422)
    assert response.json()["code"] in ("invalid", "malformed")


def test_huge_body_is_a_413(workspace, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = api.post("/api/contacts", {"first_name": "Олег", "pinned_note": "x" * 20_000})

    assert_error(response, 413, "too_large")


def test_required_fields_hold_on_the_api(workspace, api):
    with inside(workspace):
        set_required_standard_fields(
            acting_user=fresh_owner(workspace), entity="contact", fields=["emails"]
        )

    body = assert_error(api.post("/api/contacts", {"first_name": "Олег"}), 422, "required")

    assert list(body["fields"]) == ["emails"]
    assert _contacts(workspace) == []
    assert (
        api.post("/api/contacts", {"first_name": "Олег", "emails": ["o@x.ru"]}).status_code == 201
    )


def test_duplicate_phone_is_a_409_naming_the_other_record_and_its_manager(workspace, api):
    first = api.post("/api/contacts", MARIA).json()

    response = api.post(
        "/api/contacts", {"first_name": "Маша", "phones": [{"number": "+7 916 123 45 67"}]}
    )

    body = assert_error(response, 409, "duplicate")
    (match,) = body["duplicates"]
    assert match["id"] == first["id"]
    assert match["record_type"] == "contact"
    assert match["matched_on"] == "phone"
    assert match["responsible_id"] == workspace.owner.pk
    assert match["responsible_name"]
    assert len(_contacts(workspace)) == 1


def test_allow_duplicate_saves_anyway(workspace, api):
    api.post("/api/contacts", MARIA)

    by_query = api.post("/api/contacts?allow_duplicate=true", {**MARIA, "first_name": "Маша"})
    by_body = api.post("/api/contacts", {**MARIA, "allow_duplicate": True})

    assert by_query.status_code == 201
    assert by_body.status_code == 201
    assert len(_contacts(workspace)) == 3


def test_duplicate_on_update_is_a_409(workspace, api):
    api.post("/api/contacts", MARIA)
    other = api.post("/api/contacts", {"first_name": "Олег"}).json()

    response = api.patch(f"/api/contacts/{other['id']}", {"emails": ["maria.ivanova@example.com"]})

    assert_error(response, 409, "duplicate")
    assert api.get(f"/api/contacts/{other['id']}").json()["emails"] == []
    allowed = api.patch(
        f"/api/contacts/{other['id']}?allow_duplicate=true",
        {"emails": ["maria.ivanova@example.com"]},
    )
    assert allowed.json()["emails"] == ["maria.ivanova@example.com"]


def test_partial_update_changes_only_what_was_sent(workspace, api):
    created = api.post("/api/contacts", {**MARIA, "position": "Бухгалтер", "tags": ["VIP"]}).json()

    response = api.patch(f"/api/contacts/{created['id']}", {"position": "Главный бухгалтер"})

    assert response.status_code == 200
    updated = response.json()
    assert updated["position"] == "Главный бухгалтер"
    for unchanged in ("surname", "first_name", "phones", "emails", "tags"):
        assert updated[unchanged] == created[unchanged]


def test_missing_contact_is_a_404(workspace, api):
    assert_error(api.get("/api/contacts/999999"), 404, "not_found")
    assert_error(api.patch("/api/contacts/999999", {"position": "x"}), 404, "not_found")
    assert_error(api.post("/api/contacts/999999/archive"), 404, "not_found")


def test_id_that_is_not_a_number_is_a_422(workspace, api):
    body = assert_error(api.get("/api/contacts/abc"), 422, "invalid")

    assert "contact_id" in body["fields"]


def test_archive_and_restore(workspace, api):
    contact_id = api.post("/api/contacts", MARIA).json()["id"]

    archived = api.post(f"/api/contacts/{contact_id}/archive")

    assert archived.status_code == 200
    assert archived.json()["archived"] is True
    assert api.get("/api/contacts").json()["items"] == []
    assert [
        c["id"] for c in api.get("/api/contacts", {"archived": "archived"}).json()["items"]
    ] == [contact_id]
    restored = api.post(f"/api/contacts/{contact_id}/restore")
    assert restored.json()["archived"] is False
    assert [c["id"] for c in api.get("/api/contacts").json()["items"]] == [contact_id]


def test_read_key_cannot_write(workspace):
    reader = ApiClient(
        workspace, make_key(workspace, scope=ApiKeyScope.READ), **{"Accept-Language": "en"}
    )

    body = assert_error(reader.post("/api/contacts", MARIA), 403, "forbidden")

    assert "may only read" in body["message"]
    assert _contacts(workspace) == []
    assert reader.get("/api/contacts").status_code == 200


def test_read_only_workspace_refuses_writes_but_still_reads(workspace, api):
    contact_id = api.post("/api/contacts", MARIA).json()["id"]
    Workspace.objects.filter(pk=workspace.workspace.pk).update(status=WorkspaceStatus.READ_ONLY)

    body = assert_error(
        api.patch(f"/api/contacts/{contact_id}", {"position": "x"}), 403, "read_only"
    )

    assert "read-only" in body["message"]
    assert api.get(f"/api/contacts/{contact_id}").status_code == 200
    assert_error(api.post("/api/contacts", {"first_name": "Олег"}), 403, "read_only")


def test_link_and_unlink_a_company(workspace, api):
    contact_id = api.post("/api/contacts", MARIA).json()["id"]
    company_id = api.post("/api/companies", {"name": "Ромашка"}).json()["id"]

    linked = api.put(
        f"/api/contacts/{contact_id}/companies/{company_id}", {"position": "Бухгалтер"}
    )

    assert linked.status_code == 200
    assert linked.json() == {
        "contact_id": contact_id,
        "company_id": company_id,
        "position": "Бухгалтер",
    }
    assert api.get(f"/api/contacts/{contact_id}").json()["companies"] == [
        {"company_id": company_id, "name": "Ромашка", "position": "Бухгалтер"}
    ]
    assert api.get(f"/api/companies/{company_id}").json()["contacts"][0]["contact_id"] == contact_id
    unlinked = api.delete(f"/api/contacts/{contact_id}/companies/{company_id}")
    assert unlinked.status_code == 204
    assert api.get(f"/api/contacts/{contact_id}").json()["companies"] == []
    assert_error(api.put(f"/api/contacts/{contact_id}/companies/999999", {}), 404, "not_found")


def test_create_contact_with_its_companies(workspace, api):
    company_id = api.post("/api/companies", {"name": "Ромашка"}).json()["id"]

    response = api.post(
        "/api/contacts", {**MARIA, "companies": [{"company_id": company_id, "position": "CEO"}]}
    )

    assert response.json()["companies"] == [
        {"company_id": company_id, "name": "Ромашка", "position": "CEO"}
    ]


def test_consents_are_recorded_and_their_history_kept(workspace, api):
    contact_id = api.post("/api/contacts", MARIA).json()["id"]

    given = api.post(
        f"/api/contacts/{contact_id}/consents",
        {"kind": "advertising", "status": "given", "text_version": "Рассылка v2"},
    )
    withdrawn = api.post(
        f"/api/contacts/{contact_id}/consents", {"kind": "advertising", "status": "withdrawn"}
    )

    assert given.status_code == withdrawn.status_code == 201
    assert given.json()["source"] == "api"
    assert given.json()["recorded_by_label"] == "Owner script"
    consents = api.get(f"/api/contacts/{contact_id}/consents").json()
    assert consents["advertising"] == "withdrawn"
    assert consents["personal_data"] is None
    assert [item["status"] for item in consents["history"]] == ["withdrawn", "given"]
    assert consents["history"][1]["text_version"] == "Рассылка v2"
    assert api.get(f"/api/contacts/{contact_id}").json()["consent_advertising"] == "withdrawn"


def test_consent_input_is_checked(workspace, api):
    contact_id = api.post("/api/contacts", MARIA).json()["id"]

    body = assert_error(
        api.post(f"/api/contacts/{contact_id}/consents", {"kind": "spam", "status": "given"}),
        422,
        "invalid",
    )
    assert "kind" in body["fields"]
    future = api.post(
        f"/api/contacts/{contact_id}/consents",
        {"kind": "advertising", "status": "given", "at": "2999-01-01T00:00:00+00:00"},
    )
    assert "at" in assert_error(future, 422, "invalid")["fields"]
