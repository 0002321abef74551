# ruff: noqa: RUF001 (Cyrillic text is the point of these tests)
"""Automatic column mapping: vendor exports, languages, custom fields, one column per field."""

import pytest

from crm.actions.custom_fields import archive_custom_field, create_custom_field
from onboarding.importing.mapping import (
    import_targets,
    normalise_header,
    standard_targets,
    suggest_mapping,
)
from onboarding.importing.reading import open_table
from tests.onboarding.importing import files


def mapped(
    headers: list[str], entity: str = "contacts", *, standard_only: bool = True
) -> dict[str, str | None]:
    """Header -> suggested target; the standard fields only (no database) unless told."""
    targets = standard_targets(entity) if standard_only else None
    return {item.header: item.target for item in suggest_mapping(headers, entity, targets=targets)}


def mapped_file(path, entity: str = "contacts") -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    info = open_table(path, original_name=path.name)
    return mapped(info.headers, entity)


def test_amocrm_contacts_export_maps_to_the_expected_fields(tmp_path):
    result = mapped_file(files.amocrm_contacts_csv(tmp_path))

    assert result == {
        "ID": "external_id",
        # Left out: the separate name columns beside it are more precise.
        "Полное имя контакта": None,
        "Имя": "first_name",
        "Фамилия": "surname",
        "Компания": "company_name",
        "Ответственный": "responsible",
        "Дата создания": None,
        "Кем создан": None,
        "Теги": "tags",
        "Примечание 1": "note",
        "Примечание 2": "note",
        "Рабочий телефон": "phone_work",
        "Мобильный телефон": "phone_mobile",
        "Рабочий email": "email",
        "Личный email": "email",
        "Должность (контакт)": "position",
        "Согласие на обработку ПД": "consent_personal_data",
    }


def test_bitrix24_contacts_export_maps_to_the_expected_fields(tmp_path):
    result = mapped_file(files.bitrix24_contacts_csv(tmp_path))

    assert result == {
        "ID": "external_id",
        "Обращение": "form_of_address",
        "Имя": "first_name",
        "Фамилия": "surname",
        "Отчество": "patronymic",
        "Дата рождения": "birthday",
        "Должность": "position",
        "Рабочий телефон": "phone_work",
        "Мобильный телефон": "phone_mobile",
        "Рабочий e-mail": "email",
        "Частный e-mail": "email",
        "Компания": "company_name",
        "Источник": "source",
        "Ответственный": "responsible",
        "Комментарий": "note",
        "Дата создания": None,
    }


def test_bitrix24_html_xls_maps_like_its_csv(tmp_path):
    assert mapped_file(files.bitrix24_contacts_html_xls(tmp_path)) == mapped_file(
        files.bitrix24_contacts_csv(tmp_path)
    )


def test_hubspot_export_maps_repeated_columns_to_multi_valued_fields(tmp_path):
    result = mapped_file(files.hubspot_contacts_csv(tmp_path))

    assert result == {
        "Record ID": "external_id",
        "First Name": "first_name",
        "Last Name": "surname",
        "Email": "email",
        "Phone Number": "phone",
        "Mobile Phone Number": "phone_mobile",
        "Company Name": "company_name",
        "Job Title": "position",
        "Contact owner": "responsible",
        "Lifecycle Stage": None,
        "Create Date": None,
        "Email (2)": "email",
        "Phone Number (2)": "phone",
    }


def test_pipedrive_people_export_maps_through_its_prefixes(tmp_path):
    result = mapped_file(files.pipedrive_people_csv(tmp_path))

    assert result == {
        "Person - ID": "external_id",
        "Person - Name": "full_name",
        "Person - Label": "tags",
        "Person - Organization": "company_name",
        "Person - Email - Work": "email",
        "Person - Email - Home": "email",
        "Person - Phone - Work": "phone_work",
        "Person - Phone - Mobile": "phone_mobile",
        "Person - Owner": "responsible",
        "Person - Person created": None,
    }


def test_1c_counterparty_list_maps_to_company_fields(tmp_path):
    result = mapped_file(files.onec_counterparties_xlsx(tmp_path), "companies")

    assert result == {
        "Наименование": "name",
        "Полное наименование": "legal_name",
        "ИНН": "tax_number",
        "КПП": None,
        "Юридический адрес": "address",
        "Телефон": "phone",
        "Контактное лицо": None,
        "Сумма долга": None,
        "Дата договора": None,
    }


def test_google_sheets_columns_map_and_unknown_ones_stay_unmapped(tmp_path):
    result = mapped_file(files.google_sheets_csv(tmp_path))

    assert result == {
        "Фамилия": "surname",
        "Имя": "first_name",
        "Телефон": "phone",
        "Email": "email",
        "Город": None,
        "Заметки": "note",
    }


def test_ukrainian_headers():
    result = mapped(
        ["Прізвище", "Ім'я", "По батькові", "Телефон", "Електронна пошта", "Посада",
         "Компанія", "Дата народження", "Відповідальний", "Джерело", "Примітка"]
    )  # fmt: skip

    assert list(result.values()) == [
        "surname", "first_name", "patronymic", "phone", "email", "position",
        "company_name", "birthday", "responsible", "source", "note",
    ]  # fmt: skip


def test_company_exports_of_other_systems():
    result = mapped(
        ["Название компании", "Web", "Сфера деятельности", "Кол-во сотрудников",
         "Company Domain Name", "Number of Employees", "Organization - Address", "ЄДРПОУ"],
        "companies",
    )  # fmt: skip

    assert result == {
        "Название компании": "name",
        "Web": "website",
        "Сфера деятельности": "industry",
        "Кол-во сотрудников": "headcount",
        # Already taken by "Web" / "Кол-во сотрудников": one column per single field.
        "Company Domain Name": None,
        "Number of Employees": None,
        "Organization - Address": "address",
        "ЄДРПОУ": "tax_number",
    }


def test_a_single_valued_field_takes_only_the_most_confident_column():
    suggestions = suggest_mapping(
        ["Фамилия", "Familiya", "Last name"], "contacts", targets=standard_targets("contacts")
    )

    assert [item.target for item in suggestions] == ["surname", None, None]
    assert suggestions[0].confidence == 1.0
    assert suggestions[1].confidence == 0.0
    assert suggestions[1].reason


def test_key_words_and_similar_names_match_with_lower_confidence():
    suggestions = {
        item.header: item for item in suggest_mapping(["Телефон для связи с клиентом",
                                                       "Email клиента (основной)", "Отчесво"],
                                                      "contacts",
                                                      targets=standard_targets("contacts"))
    }  # fmt: skip

    assert suggestions["Телефон для связи с клиентом"].target == "phone"
    assert 0.5 <= suggestions["Телефон для связи с клиентом"].confidence < 0.9
    assert suggestions["Email клиента (основной)"].target == "email"
    assert suggestions["Отчесво"].target == "patronymic"  # a typo
    assert suggestions["Отчесво"].confidence < 0.7


def test_transliterated_headers_match():
    result = mapped(["Familiya", "Imya", "Otchestvo", "Dolzhnost"])

    assert list(result.values()) == ["surname", "first_name", "patronymic", "position"]


def test_custom_fields_match_by_label_in_any_language_and_by_key(in_workspace, owner):
    create_custom_field(
        acting_user=owner,
        entity="contact",
        field_type="text",
        labels={"ru": "Размер обуви", "en": "Shoe size"},
        key="shoe_size",
    )
    create_custom_field(
        acting_user=owner, entity="contact", field_type="text", labels={"ru": "Город"}
    )
    create_custom_field(
        acting_user=owner, entity="company", field_type="text", labels={"ru": "КПП"}
    )

    contacts = mapped(["Shoe size", "shoe_size", "ГОРОД", "КПП"], standard_only=False)
    companies = mapped(["КПП"], "companies", standard_only=False)

    assert contacts["Shoe size"] == "custom.shoe_size"
    assert contacts["shoe_size"] is None  # the field is taken by the better match
    assert contacts["ГОРОД"].startswith("custom.")
    assert contacts["КПП"] is None  # a company field is not a contact target
    assert companies["КПП"].startswith("custom.")


def test_archived_custom_fields_are_not_targets(in_workspace, owner):
    field = create_custom_field(
        acting_user=owner, entity="contact", field_type="text", labels={"ru": "Город"}
    )
    archive_custom_field(acting_user=owner, field=field)

    assert mapped(["Город"], standard_only=False) == {"Город": None}
    assert not any(target.key.startswith("custom.") for target in import_targets("contacts"))


def test_import_targets_list_the_agreed_keys(in_workspace):
    contact_keys = {target.key for target in import_targets("contacts")}
    company_keys = {target.key for target in import_targets("companies")}

    assert {
        "surname", "first_name", "patronymic", "full_name", "form_of_address", "phone",
        "phone_mobile", "phone_work", "phone_home", "email", "telegram", "whatsapp", "viber",
        "birthday", "position", "address", "source", "responsible", "tags", "note",
        "pinned_note", "company_name", "company_tax_number", "consent_personal_data",
        "consent_advertising", "external_id",
    } == contact_keys  # fmt: skip
    assert {
        "name", "legal_name", "tax_number", "industry", "headcount", "website", "phone",
        "email", "address", "source", "responsible", "tags", "note", "pinned_note",
        "external_id",
    } == company_keys  # fmt: skip
    assert import_targets("contact") == import_targets("contacts")


def test_an_unknown_entity_is_a_programming_error():
    with pytest.raises(ValueError, match="entity"):
        suggest_mapping(["Name"], "deals")


@pytest.mark.parametrize(
    ("header", "normal"),
    [
        ("  Ёлка   ", "елка"),
        ("Person - Phone - Work", "phone work"),
        ("E-mail (рабочий)", "email рабочий"),
        ("Кол-во сотрудников", "количество сотрудников"),
    ],
)
def test_headers_are_normalised(header, normal):
    assert normalise_header(header) == normal


def test_a_full_name_column_beside_separate_name_columns_is_left_out():
    suggestions = suggest_mapping(
        ["Полное имя контакта", "Фамилия", "Имя"], "contacts", targets=standard_targets("contacts")
    )

    assert [item.target for item in suggestions] == [None, "surname", "first_name"]
    assert "separate" in suggestions[0].reason
