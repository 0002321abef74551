"""Creating and editing contacts and companies from the forms: several phones, errors per
field in the reader's language, the duplicate warning ("open it" or "save anyway")."""

import pytest

from crm.models import Company, Contact
from tests.crm.views_helpers import browser_for, text_of

pytestmark = pytest.mark.django_db


def _rows(prefix: str, rows: list[dict[str, str]]) -> dict[str, str]:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{index}-{name}"] = value
    return data


def _contact_form(**fields: str) -> dict[str, str]:
    data = {"surname": "", "first_name": "", **fields}
    data.update(_rows("phones", [{"label": "mobile", "number": fields.pop("phone", "")}]))
    data.update(_rows("emails", [{"address": fields.pop("email", "")}]))
    data.update(_rows("messengers", []))
    data.update(_rows("companies", []))
    data.pop("phone", None)
    data.pop("email", None)
    return data


def test_new_contact_with_two_labelled_phones_is_created_and_announced(in_workspace, owner):
    data = _contact_form(surname="Иванова", first_name="Мария")
    data.update(
        _rows(
            "phones",
            [
                {"label": "mobile", "number": "8 (916) 123-45-67"},
                {"label": "work", "number": "+7 495 765-43-21"},
            ],
        )
    )

    response = browser_for(in_workspace, owner).post("/contacts/new/", data, follow=True)

    contact = Contact.objects.get(surname="Иванова")
    assert sorted((p.label, p.e164) for p in contact.phones.all()) == [
        ("mobile", "+79161234567"),
        ("work", "+74957654321"),
    ]
    assert contact.responsible_id == owner.pk
    assert "“Иванова Мария” created." in text_of(response)
    assert response.redirect_chain[-1][0] == f"/contacts/{contact.pk}/"


def test_invalid_phone_is_refused_beside_the_phones_in_the_readers_language(in_workspace, owner):
    data = _contact_form(surname="Иванова", phone="12")

    response = browser_for(in_workspace, owner, language="ru").post("/contacts/new/", data)

    html = text_of(response)
    assert response.status_code == 200
    assert not Contact.objects.exists()
    phones = html.split('id="phones-title"')[1].split("</section>")[0]
    assert 'class="errorlist"' in phones
    assert "телефон" in phones.lower() or "номер" in phones.lower()


def test_contact_without_a_name_gets_the_error_on_the_name_field(in_workspace, owner):
    response = browser_for(in_workspace, owner).post("/contacts/new/", _contact_form())

    html = text_of(response)
    assert 'id="field-first_name"' in html
    field = html.split('id="field-first_name"')[1].split("</div>")[0]
    assert "errorlist" in field


def test_duplicate_phone_warns_with_the_record_and_its_manager_then_saves_anyway(
    in_workspace, owner, admin, make_contact
):
    existing = make_contact(admin, surname="Петров", phones=["+7 916 123-45-67"])
    data = _contact_form(surname="Петров", first_name="Пётр", phone="89161234567")
    client = browser_for(in_workspace, owner)

    warned = client.post("/contacts/new/", data)

    html = text_of(warned)
    assert 'id="duplicate-warning"' in html
    assert f'href="/contacts/{existing.pk}/"' in html
    assert "responsible: admin" in html
    assert Contact.objects.count() == 1

    saved = client.post("/contacts/new/", {**data, "allow_duplicate": "1"})

    assert saved.status_code == 302
    assert Contact.objects.count() == 2


def test_duplicate_warning_names_only_the_owner_when_the_member_may_not_see_it(
    in_workspace, owner, member, only_own, make_contact
):
    make_contact(owner, surname="Секретный", emails=["secret@example.com"])
    data = _contact_form(surname="Новый", email="SECRET@example.com")

    html = text_of(browser_for(in_workspace, member).post("/contacts/new/", data))

    assert 'id="duplicate-warning"' in html
    assert "a client of" in html
    assert "Секретный" not in html
    assert "/contacts/1/" not in html


def test_editing_a_contact_keeps_its_phones_and_records_the_change(
    in_workspace, owner, make_contact
):
    contact = make_contact(owner, surname="Иванова", phones=["+7 916 123-45-67"])
    client = browser_for(in_workspace, owner)
    page = text_of(client.get(f"/contacts/{contact.pk}/edit/"))
    assert 'value="+7 916 123-45-67"' in page

    data = _contact_form(surname="Иванова", first_name="Мария", position="Директор")
    data.update(_rows("phones", [{"label": "mobile", "number": "+7 916 123-45-67"}]))
    response = client.post(f"/contacts/{contact.pk}/edit/", data, follow=True)

    contact = Contact.objects.get(pk=contact.pk)
    assert contact.position == "Директор"
    assert [p.e164 for p in contact.phones.all()] == ["+79161234567"]
    assert "Changes to “Иванова Мария” saved." in text_of(response)


def test_new_company_with_tax_number_and_contact_person_prefilled(
    in_workspace, owner, make_company
):
    client = browser_for(in_workspace, owner)
    data = {"name": "Ромашка", "tax_number": "7707083893"}
    data.update(_rows("phones", [{"label": "work", "number": "+7 495 123-45-67"}]))
    data.update(_rows("emails", [{"address": "info@romashka.ru"}]))

    response = client.post("/companies/new/", data)

    company = Company.objects.get(name="Ромашка")
    assert response.status_code == 302
    assert company.tax_number == "7707083893"
    page = text_of(client.get(f"/contacts/new/?company={company.pk}"))
    assert 'value="Ромашка"' in page


def test_wrong_tax_number_is_refused_on_its_field(in_workspace, owner):
    data = {"name": "Ромашка", "tax_number": "7707083894"}
    data.update(_rows("phones", []))
    data.update(_rows("emails", []))

    html = text_of(browser_for(in_workspace, owner).post("/companies/new/", data))

    field = html.split('id="field-tax_number"')[1].split("</div>")[0]
    assert "errorlist" in field
    assert not Company.objects.exists()
