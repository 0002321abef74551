"""/api/companies: tax numbers, duplicates by tax number, people, partial update."""

import pytest

from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db

VALID_INN = "7707083893"


def test_create_company_returns_it_as_stored(workspace, api):
    response = api.post(
        "/api/companies",
        {
            "name": "Ромашка",
            "legal_name": "ООО «Ромашка»",  # noqa: RUF001
            "tax_number": VALID_INN,
            "industry": "Розница",
            "headcount": 12,
            "website": "romashka.ru",
            "addresses": [{"label": "office", "text": "Москва, Тверская 1"}],
            "phones": ["+7 495 123-45-67"],
            "emails": ["info@romashka.ru"],
            "tags": ["опт"],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["tax_number"] == VALID_INN
    assert body["headcount"] == 12
    assert body["website"] == "https://romashka.ru"
    assert body["addresses"] == [{"label": "office", "text": "Москва, Тверская 1"}]
    assert body["phones"][0]["number"] == "+74951234567"
    assert body["contacts"] == []
    assert api.get(f"/api/companies/{body['id']}").json() == body


def test_tax_number_with_a_wrong_check_digit_is_refused(workspace, api):
    body = assert_error(
        api.post("/api/companies", {"name": "Ромашка", "tax_number": "7707083894"}), 422, "invalid"
    )

    assert "tax_number" in body["fields"]


def test_leading_zeros_of_a_tax_number_are_kept(workspace, api):
    # EDRPOU 00032129 (a real Ukrainian code with leading zeros).
    response = api.post("/api/companies", {"name": "Ощадбанк", "tax_number": "00032129"})

    assert response.status_code == 201, response.content
    assert response.json()["tax_number"] == "00032129"


def test_company_needs_a_name(workspace, api):
    body = assert_error(api.post("/api/companies", {"legal_name": "x"}), 422, "invalid")

    assert body["fields"]["name"] == ["This field is required."]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "X", "headcount": -1}, "headcount"),
        ({"name": "X", "headcount": "many"}, "headcount"),
        ({"name": "X", "website": "not a site"}, "website"),
        ({"name": "X", "addresses": "Москва"}, "addresses"),
        ({"name": "X", "color": "red"}, "color"),
    ],
)
def test_bad_company_input_is_a_422(workspace, api, payload, field):
    body = assert_error(api.post("/api/companies", payload), 422, "invalid")

    assert field in body["fields"], body


def test_same_tax_number_is_a_409_unless_allowed(workspace, api):
    first = api.post("/api/companies", {"name": "Ромашка", "tax_number": VALID_INN}).json()

    body = assert_error(
        api.post("/api/companies", {"name": "Ромашка 2", "tax_number": VALID_INN}), 409, "duplicate"
    )

    assert body["duplicates"][0]["id"] == first["id"]
    assert body["duplicates"][0]["matched_on"] == "tax_number"
    allowed = api.post(
        "/api/companies", {"name": "Ромашка 2", "tax_number": VALID_INN, "allow_duplicate": True}
    )
    assert allowed.status_code == 201


def test_partial_update_and_archive(workspace, api):
    company = api.post("/api/companies", {"name": "Ромашка", "industry": "Розница"}).json()

    updated = api.patch(f"/api/companies/{company['id']}", {"headcount": 40}).json()

    assert updated["headcount"] == 40
    assert updated["industry"] == "Розница"
    assert api.post(f"/api/companies/{company['id']}/archive").json()["archived"] is True
    assert api.get("/api/companies").json()["items"] == []
    assert api.post(f"/api/companies/{company['id']}/restore").json()["archived"] is False
    assert_error(api.get("/api/companies/999999"), 404, "not_found")
