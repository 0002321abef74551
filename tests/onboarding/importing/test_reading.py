# ruff: noqa: RUF001 (Cyrillic text is the point of these tests)
"""Reading imported files: formats, encodings, delimiters, header rows, values, refusals.

Every file is built by tests/onboarding/importing/files.py the way the named system
exports it; each test reads it through the public interface (open_table / iter_rows).
"""

import zipfile
from pathlib import Path

import pytest
from django.utils import translation

from onboarding.importing.reading import ImportFileError, TableInfo, open_table
from tests.onboarding.importing import files


def read(path: Path, **overrides: object) -> tuple[TableInfo, list[tuple[int, list[str]]]]:
    info = open_table(path, original_name=path.name, **overrides)  # type: ignore[arg-type]
    return info, list(info.iter_rows())


def refused(path: Path, **overrides: object) -> ImportFileError:
    with pytest.raises(ImportFileError) as caught:
        open_table(path, original_name=path.name, **overrides)  # type: ignore[arg-type]
    return caught.value


# ------------------------------------------------------------------ realistic exports


def test_amocrm_contacts_export_is_read_with_its_bom_commas_and_multiline_note(tmp_path):
    info, rows = read(files.amocrm_contacts_csv(tmp_path))

    assert (info.file_format, info.encoding, info.delimiter) == ("csv", "utf-8-sig", ",")
    assert info.header_row == 0
    assert info.headers == files.AMOCRM_HEADERS
    assert [cells for _number, cells in rows] == files.AMOCRM_ROWS
    assert info.estimated_rows == 3
    # The multi-line note is one record; the next one starts 3 lines further down.
    assert [number for number, _cells in rows] == [2, 3, 6]


def test_bitrix24_csv_in_cp1251_with_quotes_and_trailing_semicolons(tmp_path):
    info, rows = read(files.bitrix24_contacts_csv(tmp_path))

    assert (info.file_format, info.encoding, info.delimiter) == ("csv", "cp1251", ";")
    assert info.encoding_confidence is not None
    assert info.encoding_confidence >= 0.75
    # The trailing ";" leaves an empty last field on every line: not a bogus column.
    assert info.headers == files.BITRIX24_HEADERS
    assert [cells for _number, cells in rows] == files.BITRIX24_ROWS
    assert rows[0][1][3] == "Ёлкин"
    assert rows[0][1][14] == 'Просил КП на "станки"; перезвонить'


def test_bitrix24_xls_that_is_an_html_table_is_read_as_html(tmp_path):
    info, rows = read(files.bitrix24_contacts_html_xls(tmp_path))

    assert (info.file_format, info.encoding) == ("html", "utf-8")
    assert info.headers == files.BITRIX24_HEADERS
    assert [cells for _number, cells in rows] == files.BITRIX24_ROWS
    assert info.preview == files.BITRIX24_ROWS


def test_hubspot_repeated_column_names_are_numbered(tmp_path):
    info, rows = read(files.hubspot_contacts_csv(tmp_path))

    assert (info.encoding, info.delimiter) == ("utf-8", ",")
    assert info.headers[3] == "Email"
    assert info.headers[-2:] == ["Email (2)", "Phone Number (2)"]
    assert len(set(info.headers)) == len(info.headers)
    assert [cells for _number, cells in rows] == files.HUBSPOT_ROWS
    assert rows[0][1][6] == "Müller & Söhne GmbH"


def test_pipedrive_people_export_with_every_field_quoted(tmp_path):
    info, rows = read(files.pipedrive_people_csv(tmp_path))

    assert (info.encoding, info.delimiter, info.header_row) == ("utf-8", ",", 0)
    assert info.headers == files.PIPEDRIVE_HEADERS
    assert [cells for _number, cells in rows] == files.PIPEDRIVE_ROWS


def test_1c_xlsx_header_found_below_the_title_and_values_shown_as_in_the_cells(tmp_path):
    info, rows = read(files.onec_counterparties_xlsx(tmp_path))

    assert info.file_format == "xlsx"
    assert info.sheets == ["Контрагенты", "Пустой"]
    assert info.sheet == "Контрагенты"
    # Row 1: merged title; row 2: the date line; row 3: empty; row 4: the header.
    assert info.header_row == 3
    assert info.headers == files.ONEC_HEADERS
    assert info.raw_top_rows[0][0] == "Список контрагентов"
    # The "Итого" line under the list is not a record.
    assert [cells for _number, cells in rows] == files.ONEC_ROWS
    assert [number for number, _cells in rows] == [5, 6, 7]
    assert info.estimated_rows == 3


def test_1c_xlsx_numbers_come_without_dot_zero_and_padded_tax_numbers_keep_zeros(tmp_path):
    _info, rows = read(files.onec_counterparties_xlsx(tmp_path))
    first, second, third = (cells for _number, cells in rows)

    assert first[2] == "7701234560"  # a number cell: no ".0"
    assert first[7] == "12345.67"
    assert first[8] == "2024-12-31"  # a date cell
    assert second[2] == "0245012349"  # shown with its leading zero by a "0000000000" format
    assert second[3] == "024501001"  # a text cell keeps its zero
    assert second[7] == "12 345,67"  # text as typed
    assert third[2] == "12345678943"  # a number cell that lost its zero: as shown
    assert third[7] == "0"


def test_1c_list_as_old_excel_xls_is_read_with_calamine(tmp_path):
    info, rows = read(files.onec_counterparties_xls(tmp_path))

    assert info.file_format == "xls"
    assert info.header_row == 3
    assert info.headers == files.ONEC_HEADERS
    first, second = (cells for _number, cells in rows)
    assert first[:4] == ["Ромашка ООО", files.ONEC_ROWS[0][1], "7701234560", "770101001"]
    assert first[7:] == ["12345.67", "2024-12-31"]
    assert second[7] == "12 345,67"


def test_google_sheets_csv(tmp_path):
    info, rows = read(files.google_sheets_csv(tmp_path))

    assert (info.encoding, info.delimiter, info.header_row) == ("utf-8", ",", 0)
    assert info.headers == files.GOOGLE_SHEETS_HEADERS
    assert [cells for _number, cells in rows] == files.GOOGLE_SHEETS_ROWS


@pytest.mark.parametrize(
    ("builder", "encoding", "delimiter"),
    [
        (files.contacts_tsv_koi8, "koi8-r", "\t"),
        (files.contacts_csv_cp866, "cp866", ";"),
        (files.contacts_csv_utf16, "utf-16", "\t"),
    ],
)
def test_other_cyrillic_encodings_are_detected(tmp_path, builder, encoding, delimiter):
    info, rows = read(builder(tmp_path))

    assert (info.encoding, info.delimiter) == (encoding, delimiter)
    assert info.headers == files.GOOGLE_SHEETS_HEADERS
    assert rows[-1][1][:2] == ["Ёжикова", "Алёна"]


def test_encoding_delimiter_and_header_row_can_be_overridden(tmp_path):
    path = files.bitrix24_contacts_csv(tmp_path)

    info, rows = read(path, encoding="koi8-r", delimiter=";", header_row=1)

    assert (info.encoding, info.delimiter, info.header_row) == ("koi8-r", ";", 1)
    assert info.headers[0] == "17"
    assert len(rows) == 1


def test_an_unknown_encoding_or_delimiter_override_is_refused(tmp_path):
    path = files.google_sheets_csv(tmp_path)

    assert refused(path, encoding="klingon-8").code == "unknown_encoding"
    assert refused(path, delimiter="ab").code == "bad_delimiter"


def test_utf8_override_on_a_cp1251_file_names_the_line(tmp_path):
    path = files.bitrix24_contacts_csv(tmp_path)

    error = refused(path, encoding="utf-8")

    assert error.code == "wrong_encoding"
    assert error.row_number == 1


def test_semicolon_file_with_commas_inside_values_keeps_the_semicolon(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text(
        "Название;Цена;Комментарий\nСтол;12,50;Дуб, светлый\nСтул;3,10;Бук, тёмный, мягкий\n",
        encoding="utf-8",
    )

    info, rows = read(path)

    assert info.delimiter == ";"
    assert rows[1][1] == ["Стул", "3,10", "Бук, тёмный, мягкий"]


def test_pipe_delimited_file(tmp_path):
    path = tmp_path / "export.txt"
    path.write_text("Name|Email|Phone\nAnn|ann@example.com|123\nBob|bob@example.com|456\n")

    info, rows = read(path)

    assert info.delimiter == "|"
    assert rows[0][1] == ["Ann", "ann@example.com", "123"]


def test_a_csv_title_above_the_header_is_skipped(tmp_path):
    path = tmp_path / "1c.csv"
    path.write_text(
        "Список контрагентов;;;\n;;;\nНаименование;ИНН;Телефон;Адрес\n"
        "Ромашка;7701234567;+74951112233;Москва\nЛютик;7702345678;;Тверь\n",
        encoding="cp1251",
    )

    info, rows = read(path)

    assert info.header_row == 2
    assert info.headers == ["Наименование", "ИНН", "Телефон", "Адрес"]
    assert [cells[0] for _number, cells in rows] == ["Ромашка", "Лютик"]
    assert [number for number, _cells in rows] == [4, 5]


def test_a_single_column_file(tmp_path):
    path = tmp_path / "emails.csv"
    path.write_text("Email\nann@example.com\nbob@example.com\n")

    info, rows = read(path)

    assert info.headers == ["Email"]
    assert [cells for _number, cells in rows] == [["ann@example.com"], ["bob@example.com"]]


def test_an_xlsx_with_another_attribute_order_falls_back_to_the_expat_reader(tmp_path):
    path = files.minimal_xlsx(tmp_path, [["Name", "City"], ["Ann &amp; Co", "Kyiv"]])
    # Rewrite the sheet with t= before r= (valid XML, not what the fast path expects).
    rewritten = tmp_path / "rewritten.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(rewritten, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = data.replace(b'<c r="A2" t="inlineStr">', b'<c t="inlineStr" r="A2">')
            target.writestr(item, data)

    info, rows = read(rewritten)

    assert info.headers == ["Name", "City"]
    assert rows == [(2, ["Ann & Co", "Kyiv"])]


def test_sheet_can_be_chosen_and_an_unknown_sheet_is_refused(tmp_path):
    path = files.onec_counterparties_xlsx(tmp_path)

    assert refused(path, sheet="Пустой").code == "empty"
    assert refused(path, sheet="Нет такого").code == "no_such_sheet"


# ------------------------------------------------------------------ ragged and odd headers


def test_ragged_rows_are_padded_and_extra_cells_get_named_columns(tmp_path):
    info, rows = read(files.ragged_csv(tmp_path))

    assert info.headers == ["Имя", "Телефон", "Email", "Column 4", "Column 5"]
    assert all(len(cells) == 5 for _number, cells in rows)
    assert rows[2][1] == ["Вера", "", "", "", ""]
    assert rows[3][1] == ["Глеб", "+79163334455", "gleb@example.com", "лишнее", "ещё"]
    assert info.overflow_count == 0


def test_a_long_row_far_below_the_sample_is_trimmed_and_reported(tmp_path):
    path = tmp_path / "long.csv"
    lines = ["Name,Phone"] + [f"Person {index},{index}" for index in range(300)]
    lines.append("Late,1,extra cell")
    path.write_text("\n".join(lines) + "\n")

    info, rows = read(path)

    assert info.headers == ["Name", "Phone"]
    assert rows[-1] == (302, ["Late", "1"])
    assert info.overflow_count == 1
    assert info.overflow_rows == [302]


def test_duplicate_and_empty_headers_are_named(tmp_path):
    info, rows = read(files.duplicate_and_empty_headers_csv(tmp_path))

    # The last column has neither a name nor values: dropped. The empty 4th has values.
    assert info.headers == ["Name", "Phone", "Phone (2)", "Column 4", "Email", "phone (3)"]
    assert rows[0][1] == ["Ann", "1", "2", "x", "ann@example.com", "3"]


def test_column_names_are_translated(tmp_path):
    with translation.override("ru"):
        info, _rows = read(files.ragged_csv(tmp_path))

    assert info.headers[3:] == ["Столбец 4", "Столбец 5"]


# ------------------------------------------------------------------ refused files


def test_an_empty_file_is_refused(tmp_path):
    assert refused(files.empty_file(tmp_path)).code == "empty"


def test_a_file_of_blank_lines_is_refused_as_empty(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("\n\n   \n\r\n\n")

    assert refused(path).code == "empty"


def test_binary_garbage_is_refused(tmp_path):
    error = refused(files.binary_garbage(tmp_path))

    assert error.code == "binary"
    assert "CSV" in str(error)


def test_a_png_renamed_csv_is_refused_by_name(tmp_path):
    error = refused(files.png_as_csv(tmp_path))

    assert error.code == "binary"
    assert "PNG" in str(error)


def test_a_zip_bomb_renamed_xlsx_is_refused_before_unpacking(tmp_path):
    path = files.zip_bomb_xlsx(tmp_path)
    assert path.stat().st_size < 2 * 1024 * 1024

    assert refused(path).code == "zip_bomb"


def test_a_zip_with_too_many_entries_is_refused(tmp_path, settings):
    settings.IMPORT_XLSX_MAX_ENTRIES = 50
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(60):
            archive.writestr(f"xl/part{index}.xml", "<a/>")

    assert refused(path).code == "zip_bomb"


def test_an_xlsx_with_a_billion_laughs_payload_is_refused(tmp_path):
    error = refused(files.billion_laughs_xlsx(tmp_path))

    assert error.code == "xml_attack"


def test_an_xlsx_with_an_external_entity_is_refused(tmp_path):
    error = refused(files.xxe_xlsx(tmp_path))

    assert error.code == "xml_attack"
    assert "root:" not in str(error)


def test_a_zip_that_is_not_a_spreadsheet_is_refused(tmp_path):
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photo.txt", "hello")

    assert refused(path).code == "zip_not_xlsx"


def test_a_truncated_xlsx_is_refused_as_damaged(tmp_path):
    path = files.onec_counterparties_xlsx(tmp_path)
    path.write_bytes(path.read_bytes()[:3000])

    assert refused(path).code == "unreadable"


def test_a_200_mb_file_is_refused_by_its_size_without_reading_it(tmp_path):
    path = files.oversized_file(tmp_path)

    error = refused(path)

    assert error.code == "too_big"
    assert "200 MB" in str(error)
    assert "50 MB" in str(error)


def test_too_many_rows_are_refused(tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 250
    path = tmp_path / "rows.csv"
    path.write_text("Name,Phone\n" + "".join(f"P{index},{index}\n" for index in range(300)))

    assert refused(path).code == "too_many_rows"


def test_too_many_rows_stop_the_iteration_of_a_file_estimated_smaller(tmp_path, settings):
    path = tmp_path / "rows.csv"
    path.write_text("Name,Phone\n" + "".join(f"P{index},{index}\n" for index in range(300)))
    info = open_table(path, original_name=path.name)
    settings.IMPORT_MAX_ROWS = 100

    with pytest.raises(ImportFileError) as caught:
        list(info.iter_rows())

    assert caught.value.code == "too_many_rows"


def test_utf8_then_cp1251_lines_are_refused_as_mixed_encodings(tmp_path):
    error = refused(files.mixed_encodings_csv(tmp_path))

    assert error.code == "mixed_encodings"
    assert error.row_number == 3
    assert "UTF-8" in str(error)


def test_cp1251_then_utf8_lines_are_refused_as_mixed_encodings(tmp_path):
    error = refused(files.mixed_encodings_cp1251_then_utf8_csv(tmp_path))

    assert error.code == "mixed_encodings"
    assert error.row_number == 3


def test_a_file_with_only_a_header_is_refused_with_its_columns_named(tmp_path):
    error = refused(files.header_only_csv(tmp_path))

    assert error.code == "no_rows"
    assert "Фамилия" in str(error)


def test_an_unterminated_quote_swallowing_the_file_is_refused_with_its_line(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text('Name,Note\nAnn,"never closed\n' + "x" * 200_000 + "\n")

    error = refused(path)

    assert error.code == "broken_csv"
    assert error.row_number == 2


def test_refusals_are_translated(tmp_path):
    with translation.override("ru"):
        ru = str(refused(files.empty_file(tmp_path)))
    with translation.override("uk"):
        uk = str(refused(files.empty_file(tmp_path)))

    assert ru == "Файл пустой."
    assert uk == "Файл порожній."


def test_a_line_of_millions_of_characters_is_refused_with_its_number(tmp_path):
    path = tmp_path / "one_line.csv"
    path.write_text("Name,Phone\nAnn,1\n" + "a," * 600_000 + "\n")

    error = refused(path)

    assert error.code == "line_too_long"
    assert error.row_number == 3


def test_a_table_wider_than_the_column_limit_is_refused(tmp_path, settings):
    settings.IMPORT_MAX_COLUMNS = 10
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"C{i}" for i in range(12)) + "\n" + ",".join("1" * 12) + "\n")

    assert refused(path).code == "too_many_columns"


def test_an_html_table_declaring_windows_1251_is_decoded_by_its_declaration(tmp_path):
    path = tmp_path / "old_bitrix.xls"
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; '
        'charset=windows-1251"></head><body><table><tr><td>Имя</td><td>Телефон</td></tr>'
        "<tr><td>Ёжик&nbsp;в тумане</td><td>+7 900 000-00-00</td></tr></table></body></html>"
    )
    path.write_bytes(page.encode("cp1251"))

    info, rows = read(path)

    assert (info.file_format, info.encoding) == ("html", "cp1251")
    assert rows == [(2, ["Ёжик в тумане", "+7 900 000-00-00"])]


def test_an_html_table_declaring_utf8_but_saved_in_cp1251_is_detected_not_garbled(tmp_path):
    path = tmp_path / "liar.xls"
    page = (
        '<meta charset="utf-8"><table><tr><th>Фамилия</th><th>Имя</th></tr>'
        "<tr><td>Щукина</td><td>Юлия</td></tr><tr><td>Ёлкин</td><td>Пётр</td></tr></table>"
    )
    path.write_bytes(page.encode("cp1251"))

    info, rows = read(path)

    assert info.encoding == "cp1251"
    assert [cells for _number, cells in rows] == [["Щукина", "Юлия"], ["Ёлкин", "Пётр"]]


def test_html_colspan_and_nested_tables_keep_columns_aligned(tmp_path):
    path = tmp_path / "report.xls"
    path.write_text(
        "<table><tr><th colspan=2>Name</th><th>Phone</th></tr>"
        "<tr><td>Ann</td><td>Lee</td><td><table><tr><td>123</td></tr></table></td></tr>"
        "<tr><td>Bob<br>Jr.</td><td></td><td>456</td></tr></table>",
        encoding="utf-8",
    )

    info, rows = read(path)

    assert info.headers == ["Name", "Column 2", "Phone"]
    assert [cells for _number, cells in rows] == [["Ann", "Lee", "123"], ["Bob\nJr.", "", "456"]]


def test_a_text_only_table_keeps_its_first_row_as_the_header(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text("Имя,Город\nАнна,Москва\nБорис,Тверь\nВера,Омск\n", encoding="utf-8")

    info, rows = read(path)

    assert info.header_row == 0
    assert len(rows) == 3


def test_reading_twice_gives_the_same_rows_and_streams_from_the_file(tmp_path):
    info = open_table(path := files.onec_counterparties_xlsx(tmp_path), original_name=path.name)

    first = list(info.iter_rows())
    second = list(info.iter_rows())

    assert first == second
    assert len(first) == 3


def test_the_error_survives_pickling_with_its_code_and_row(tmp_path):
    import pickle

    error = refused(files.mixed_encodings_csv(tmp_path))

    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own object)

    assert (str(copy), copy.code, copy.row_number) == (str(error), "mixed_encodings", 3)


def test_every_offered_encoding_and_delimiter_is_accepted_as_an_override(tmp_path):
    from onboarding.importing.reading import DELIMITER_CHOICES, ENCODING_CHOICES

    path = tmp_path / "ascii.csv"
    path.write_text("Name,Phone\nAnn,1\n", encoding="ascii")

    for value, _label in ENCODING_CHOICES:
        if value.startswith("utf-16"):
            continue  # an ASCII file is not UTF-16
        assert open_table(path, original_name=path.name, encoding=value).headers == [
            "Name",
            "Phone",
        ]
    for value, _label in DELIMITER_CHOICES:
        info = open_table(path, original_name=path.name, delimiter=value)
        assert info.delimiter == value
