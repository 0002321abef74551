# ruff: noqa: RUF001 (Cyrillic text is the point of these files)
"""A factory of realistic import files, built into a folder (pytest's tmp_path).

Each builder writes one file the way the named system exports it and returns its path;
the path's name is the name a person would upload it under. The rows are module
constants, so the reading, engine and wizard tests assert the same values.

    from tests.onboarding.importing import files
    path = files.bitrix24_contacts_csv(tmp_path)

Good files: amocrm_contacts_csv, bitrix24_contacts_csv, bitrix24_contacts_html_xls,
hubspot_contacts_csv, pipedrive_people_csv, onec_counterparties_xlsx,
onec_counterparties_merged_xlsx (openpyxl, merged header and name cells), onec_counterparties_xls
(a real BIFF .xls, written with xlwt), google_sheets_csv, simple_contacts_xlsx,
contacts_tsv_koi8, contacts_csv_cp866, contacts_csv_utf16, minimal_xlsx.
Bad files: empty_file, binary_garbage, png_as_csv, zip_bomb_xlsx, billion_laughs_xlsx,
xxe_xlsx, ragged_csv, duplicate_and_empty_headers_csv, oversized_file (sparse),
mixed_encodings_csv (UTF-8 then cp1251), mixed_encodings_cp1251_then_utf8_csv,
header_only_csv. Big files for benchmarks: big_cp1251_csv, big_xlsx.
"""

import csv
import io
import os
import random
import zipfile
from datetime import date
from pathlib import Path

# ------------------------------------------------------------------ amoCRM / Kommo

AMOCRM_HEADERS = [
    "ID",
    "Полное имя контакта",
    "Имя",
    "Фамилия",
    "Компания",
    "Ответственный",
    "Дата создания",
    "Кем создан",
    "Теги",
    "Примечание 1",
    "Примечание 2",
    "Рабочий телефон",
    "Мобильный телефон",
    "Рабочий email",
    "Личный email",
    "Должность (контакт)",
    # A custom field of the amoCRM account: exported under its own name.
    "Согласие на обработку ПД",
]
AMOCRM_ROWS = [
    [
        "10234567",
        "Иванов Иван Иванович",
        "Иван",
        "Иванов",
        "ООО «Ромашка»",
        "Мария Петрова",
        "12.03.2024 10:15:00",
        "Мария Петрова",
        "VIP, опт",
        "Звонил по поводу поставки, перезвонить в пятницу",
        "Выслали прайс",
        "+7 (495) 123-45-67",
        "+7 916 123-45-67",
        "ivanov@romashka.ru",
        "ivan.ivanov@mail.ru",
        "Директор",
        "да",
    ],
    [
        "10234568",
        "Смирнова Ольга",
        "Ольга",
        "Смирнова",
        "ИП Смирнова О. А.",
        "Мария Петрова",
        "13.03.2024 09:00:00",
        "Робот",
        "розница",
        "Многострочная заметка:\nпервая строка\nвторая строка",
        "",
        "",
        "8 903 765-43-21",
        "",
        "olga.smirnova@yandex.ru",
        "",
        "нет",
    ],
    [
        "10234569",
        "Кузнецов Пётр",
        "Пётр",
        "Кузнецов",
        "",
        "Алексей Сидоров",
        "14.03.2024 17:45:30",
        "Алексей Сидоров",
        "",
        "",
        "",
        "+7 812 555-00-11",
        "",
        "p.kuznetsov@example.com",
        "",
        "Менеджер по закупкам",
        "",
    ],
]


def amocrm_contacts_csv(folder: Path) -> Path:
    """amoCRM's contacts export: UTF-8 with BOM, ",", quotes only where needed."""
    path = folder / "amocrm_export_contacts_2024-03-15.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(AMOCRM_HEADERS)
    writer.writerows(AMOCRM_ROWS)
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return path


# ------------------------------------------------------------------ Bitrix24

BITRIX24_HEADERS = [
    "ID",
    "Обращение",
    "Имя",
    "Фамилия",
    "Отчество",
    "Дата рождения",
    "Должность",
    "Рабочий телефон",
    "Мобильный телефон",
    "Рабочий e-mail",
    "Частный e-mail",
    "Компания",
    "Источник",
    "Ответственный",
    "Комментарий",
    "Дата создания",
]
BITRIX24_ROWS = [
    [
        "17",
        "г-н",
        "Алексей",
        "Ёлкин",
        "Сергеевич",
        "05.07.1985",
        "Главный инженер",
        "+7 (343) 210-10-10",
        "+7 912 000-11-22",
        "elkin@uralmash.example",
        "",
        'ЗАО "Уралмаш"',
        "Выставка",
        "Ирина Воробьёва",
        'Просил КП на "станки"; перезвонить',
        "01.02.2024 12:00:00",
    ],
    [
        "18",
        "г-жа",
        "Юлия",
        "Щукина",
        "Эдуардовна",
        "",
        "Бухгалтер",
        "",
        "+7 (922) 333-44-55",
        "",
        "yulia@shchukina.example",
        "",
        "Сайт",
        "Ирина Воробьёва",
        "",
        "02.02.2024 08:30:00",
    ],
]


def bitrix24_contacts_csv(folder: Path) -> Path:
    """Bitrix24's CSV: cp1251, ";", every field quoted, a trailing ";" on every line."""
    path = folder / "CONTACT_20240315_a1b2c3.csv"

    def line(cells: list[str]) -> str:
        return "".join('"' + cell.replace('"', '""') + '";' for cell in cells)

    text = "\r\n".join(line(row) for row in [BITRIX24_HEADERS, *BITRIX24_ROWS]) + "\r\n"
    path.write_bytes(text.encode("cp1251"))
    return path


def bitrix24_contacts_html_xls(folder: Path) -> Path:
    """Bitrix24's "Excel" export: an HTML table saved as .xls (UTF-8, <th> headers, <br>)."""
    path = folder / "CONTACT_20240315.xls"

    def escape(text: str) -> str:
        return (
            text.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace('"', "&quot;")
            .replace("\n", "<br>")
        )

    parts = [
        '<meta http-equiv="Content-type" content="text/html;charset=utf-8" />\n',
        '<table border="1">\n<tr>',
        *(f"<th>{escape(header)}</th>" for header in BITRIX24_HEADERS),
        "</tr>\n",
    ]
    for row in BITRIX24_ROWS:
        parts.append("<tr>")
        parts.extend(f"<td>{escape(cell)}</td>" for cell in row)
        parts.append("</tr>\n")
    parts.append("</table>\n")
    path.write_text("".join(parts), encoding="utf-8")
    return path


# ------------------------------------------------------------------ HubSpot

HUBSPOT_HEADERS = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Mobile Phone Number",
    "Company Name",
    "Job Title",
    "Contact owner",
    "Lifecycle Stage",
    "Create Date",
    # HubSpot repeats names when several properties share a label.
    "Email",
    "Phone Number",
]
HUBSPOT_ROWS = [
    [
        "51",
        "Anna",
        "Schmidt",
        "anna.schmidt@example.de",
        "+49 30 1234567",
        "+49 151 23456789",
        "Müller & Söhne GmbH",
        "Einkäuferin",
        "Sam Jones",
        "customer",
        "2024-01-15 10:20",
        "anna@privat.example",
        "+49 30 7654321",
    ],
    [
        "52",
        "Bob",
        "O'Neil",
        "bob@example.com",
        "",
        "+1 (202) 555-0199",
        "Acme, Inc.",
        "CTO",
        "Sam Jones",
        "lead",
        "2024-02-01 09:00",
        "",
        "",
    ],
]


def hubspot_contacts_csv(folder: Path) -> Path:
    """HubSpot's contacts export: UTF-8 (no BOM), ",", repeated column names."""
    path = folder / "hubspot-crm-exports-all-contacts-2024-03-15.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HUBSPOT_HEADERS)
    writer.writerows(HUBSPOT_ROWS)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


# ------------------------------------------------------------------ Pipedrive

PIPEDRIVE_HEADERS = [
    "Person - ID",
    "Person - Name",
    "Person - Label",
    "Person - Organization",
    "Person - Email - Work",
    "Person - Email - Home",
    "Person - Phone - Work",
    "Person - Phone - Mobile",
    "Person - Owner",
    "Person - Person created",
]
PIPEDRIVE_ROWS = [
    [
        "301",
        "Олена Коваленко",
        "Hot lead",
        "ТОВ «Світанок»",
        "olena@svitanok.example.ua",
        "",
        "+380 44 123 4567",
        "+380 67 765 4321",
        "Taras Shevchuk",
        "2024-03-01 11:00:00",
    ],
    [
        "302",
        "John Smith",
        "",
        "Smith Consulting",
        "john@smith.example",
        "js@gmail.example",
        "",
        "+1 202 555 0143",
        "Taras Shevchuk",
        "2024-03-02 12:00:00",
    ],
]


def pipedrive_people_csv(folder: Path) -> Path:
    """Pipedrive's people export: UTF-8, ",", "Person - " prefixed names."""
    path = folder / "people-export.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(PIPEDRIVE_HEADERS)
    writer.writerows(PIPEDRIVE_ROWS)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


# ------------------------------------------------------------------ 1C

ONEC_HEADERS = [
    "Наименование",
    "Полное наименование",
    "ИНН",
    "КПП",
    "Юридический адрес",
    "Телефон",
    "Контактное лицо",
    "Сумма долга",
    "Дата договора",
]
# As shown in the cells (what reading must give back).
ONEC_ROWS = [
    [
        "Ромашка ООО",
        'Общество с ограниченной ответственностью "Ромашка"',
        "7701234560",
        "770101001",
        "г. Москва, ул. Ленина, д. 1",
        "+7 (495) 111-22-33",
        "Иванов И. И.",
        "12345.67",
        "2024-12-31",
    ],
    [
        "Северсталь-Снаб",
        'АО "Северсталь-Снаб"',
        "0245012349",
        "024501001",
        "г. Уфа, пр. Октября, 10",
        "",
        "",
        "12 345,67",
        "2023-01-09",
    ],
    [
        "ИП Петров",
        "Индивидуальный предприниматель Петров Пётр Петрович",
        # A 12-digit INN typed as a number: its leading zero is gone.
        "12345678943",
        "",
        "г. Казань",
        "8 843 222-33-44",
        "Петров П. П.",
        "0",
        "",
    ],
]


def onec_counterparties_xlsx(folder: Path) -> Path:
    """1C's "Контрагенты" list saved as XLSX: a merged title, a date line, an empty row,
    then the header on row 4; tax numbers as numbers (one shown with its leading zero by
    a "0000000000" format, one that lost it), a KPP as text, an amount as a number and one
    typed as text with a space and a decimal comma, contract dates as date cells.
    """
    import xlsxwriter

    path = folder / "Контрагенты.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Контрагенты")
    bold = workbook.add_format({"bold": True})
    sheet.merge_range(0, 0, 0, len(ONEC_HEADERS) - 1, "Список контрагентов", bold)
    sheet.write(1, 0, "Дата формирования: 15.03.2024")
    for column, header in enumerate(ONEC_HEADERS):
        sheet.write_string(3, column, header, bold)
    zero_padded = workbook.add_format({"num_format": "0000000000"})
    date_format = workbook.add_format({"num_format": "dd.mm.yyyy"})
    money = workbook.add_format({"num_format": "# ##0.00"})
    first, second, third = ONEC_ROWS
    row = 4
    for column, value in enumerate(first[:2]):
        sheet.write_string(row, column, value)
    sheet.write_number(row, 2, 7701234560)
    sheet.write_number(row, 3, 770101001)
    sheet.write_string(row, 4, first[4])
    sheet.write_string(row, 5, first[5])
    sheet.write_string(row, 6, first[6])
    sheet.write_number(row, 7, 12345.67, money)
    sheet.write_datetime(row, 8, date(2024, 12, 31), date_format)
    row = 5
    sheet.write_string(row, 0, second[0])
    sheet.write_string(row, 1, second[1])
    sheet.write_number(row, 2, 245012349, zero_padded)  # 0245012349 shown
    sheet.write_string(row, 3, second[3])
    sheet.write_string(row, 4, second[4])
    sheet.write_string(row, 7, "12 345,67")
    sheet.write_datetime(row, 8, date(2023, 1, 9), date_format)
    row = 6
    sheet.write_string(row, 0, third[0])
    sheet.write_string(row, 1, third[1])
    sheet.write_number(row, 2, 12345678943)  # was 012345678943
    sheet.write_string(row, 4, third[4])
    sheet.write_string(row, 5, third[5])
    sheet.write_string(row, 6, third[6])
    sheet.write_number(row, 7, 0)
    # The footer 1C prints under the list.
    sheet.write_string(8, 0, "Итого: 3")
    workbook.add_worksheet("Пустой")
    workbook.close()
    return path


def onec_counterparties_merged_xlsx(folder: Path) -> Path:
    """The 1C list as its spreadsheet document saves it (written with openpyxl): the
    title merged over the width, a period line, a header whose wide columns are merged
    over two cells (the "Наименование" header and every name merged B:C), numbers as
    numbers (one INN without its leading zero), amounts typed as "12 345,67" text.
    """
    import openpyxl

    path = folder / "Контрагенты (1С).xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "TDSheet"
    # Physical columns: A "N", B:C name (merged), D full name, E INN, F KPP, G address,
    # H phone, I contact, J debt, K contract date.
    sheet.merge_cells("A1:K1")
    sheet["A1"] = "Контрагенты"
    sheet["A2"] = "Период: 01.01.2024 - 15.03.2024"
    headers = ["N", "Наименование", None, *ONEC_HEADERS[1:]]
    for column, header in enumerate(headers, start=1):
        if header is not None:
            sheet.cell(row=4, column=column, value=header)
    sheet.merge_cells("B4:C4")
    first, second, third = ONEC_ROWS
    values = [
        [
            1,
            first[0],
            None,
            first[1],
            7701234560,
            "770101001",
            *first[4:7],
            12345.67,
            date(2024, 12, 31),
        ],
        [
            2,
            second[0],
            None,
            second[1],
            245012349,
            "024501001",
            second[4],
            None,
            None,
            "12 345,67",
            date(2023, 1, 9),
        ],
        [3, third[0], None, third[1], 12345678943, None, *third[4:7], 0, None],
    ]
    for offset, row in enumerate(values):
        number = 5 + offset
        for column, value in enumerate(row, start=1):
            if value is not None:
                cell = sheet.cell(row=number, column=column, value=value)
                if isinstance(value, date):
                    cell.number_format = "DD.MM.YYYY"
        sheet.merge_cells(start_row=number, start_column=2, end_row=number, end_column=3)
    sheet.cell(row=8, column=1, value="Итого: 3")
    workbook.save(path)
    return path


def onec_counterparties_xls(folder: Path) -> Path:
    """The same 1C list saved as an old Excel 97-2003 .xls (BIFF8), title rows included."""
    import xlwt

    path = folder / "Контрагенты.xls"
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("Контрагенты")
    sheet.write_merge(0, 0, 0, len(ONEC_HEADERS) - 1, "Список контрагентов")
    sheet.write(1, 0, "Дата формирования: 15.03.2024")
    for column, header in enumerate(ONEC_HEADERS):
        sheet.write(3, column, header)
    zero_padded = xlwt.easyxf(num_format_str="0000000000")
    date_format = xlwt.easyxf(num_format_str="DD.MM.YYYY")
    first, second, _third = ONEC_ROWS
    sheet.write(4, 0, first[0])
    sheet.write(4, 1, first[1])
    sheet.write(4, 2, 7701234560)
    sheet.write(4, 3, 770101001)
    sheet.write(4, 7, 12345.67)
    sheet.write(4, 8, date(2024, 12, 31), date_format)
    sheet.write(5, 0, second[0])
    sheet.write(5, 1, second[1])
    sheet.write(5, 2, 245012349, zero_padded)
    sheet.write(5, 7, "12 345,67")
    workbook.save(str(path))
    return path


# ------------------------------------------------------------------ Google Sheets

GOOGLE_SHEETS_HEADERS = ["Фамилия", "Имя", "Телефон", "Email", "Город", "Заметки"]
GOOGLE_SHEETS_ROWS = [
    ["Гончаренко", "Тарас", "+380501112233", "taras@example.ua", "Київ", "Цікавиться, «гарячий»"],
    ["Lee", "Ann", "", "ann.lee@example.com", "London", 'Said "call me, later"'],
    ["Ёжикова", "Алёна", "89161112233", "", "Москва", ""],
]


def google_sheets_csv(folder: Path, *, line_end: str = "\r\n") -> Path:
    """Google Sheets' "Download as CSV": UTF-8 without BOM, ",", CRLF (or LF when saved
    through another tool), minimal quotes."""
    path = folder / "Клиенты - Лист1.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end)
    writer.writerow(GOOGLE_SHEETS_HEADERS)
    writer.writerows(GOOGLE_SHEETS_ROWS)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return path


def simple_contacts_xlsx(folder: Path, *, rows: list[list[object]] | None = None) -> Path:
    """A plain XLSX (header on row 1) of a few contacts, for engine and wizard tests."""
    import xlsxwriter

    path = folder / "contacts.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Contacts")
    sheet.write_row(0, 0, GOOGLE_SHEETS_HEADERS)
    for index, row in enumerate(rows if rows is not None else GOOGLE_SHEETS_ROWS, start=1):
        sheet.write_row(index, 0, row)
    workbook.close()
    return path


def contacts_tsv_koi8(folder: Path) -> Path:
    """A tab-separated file in koi8-r (older Unix exports)."""
    path = folder / "clients.tsv"
    lines = ["\t".join(GOOGLE_SHEETS_HEADERS)] + ["\t".join(row) for row in GOOGLE_SHEETS_ROWS]
    # koi8-r has no Ukrainian letters: keep the Russian rows only.
    text = "\n".join(line for line in lines if "Київ" not in line) + "\n"
    path.write_bytes(text.encode("koi8-r"))
    return path


def contacts_csv_cp866(folder: Path) -> Path:
    """A ";" CSV in cp866 (DOS-era 1C and bank exports)."""
    path = folder / "dos.csv"
    rows = [GOOGLE_SHEETS_HEADERS] + [row for row in GOOGLE_SHEETS_ROWS if "Київ" not in row]
    text = "\r\n".join(";".join(cell.replace(";", ",") for cell in row) for row in rows)
    path.write_bytes((text + "\r\n").encode("cp866"))
    return path


def contacts_csv_utf16(folder: Path) -> Path:
    """Excel's "Unicode text": UTF-16 LE with BOM, tab-separated."""
    path = folder / "unicode.txt"
    rows = [GOOGLE_SHEETS_HEADERS, *GOOGLE_SHEETS_ROWS]
    text = "\r\n".join("\t".join(row) for row in rows) + "\r\n"
    path.write_bytes(text.encode("utf-16"))
    return path


# ------------------------------------------------------------------ bad input


def empty_file(folder: Path) -> Path:
    path = folder / "empty.csv"
    path.write_bytes(b"")
    return path


def binary_garbage(folder: Path) -> Path:
    path = folder / "contacts.csv"
    path.write_bytes(random.Random(42).randbytes(64 * 1024))
    return path


def png_as_csv(folder: Path) -> Path:
    path = folder / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 20)
    return path


def zip_bomb_xlsx(folder: Path) -> Path:
    """A zip whose one entry unpacks to 200 MB of zeros (about 200 KB packed), renamed .xlsx."""
    path = folder / "report.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as entry:
            block = b"\0" * (1024 * 1024)
            for _index in range(200):
                entry.write(block)
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return path


def _xlsx_with_sheet_xml(folder: Path, name: str, sheet_xml: str) -> Path:
    """A minimal XLSX whose sheet1.xml is `sheet_xml` (the other parts are valid)."""
    path = folder / name
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part, text in parts.items():
            archive.writestr(part, text)
    return path


_SHEET_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def plain_sheet_xml(rows: list[list[str]]) -> str:
    """Sheet XML with inline strings (no shared strings part needed)."""
    body = []
    for number, row in enumerate(rows, start=1):
        cells = "".join(
            f'<c r="{chr(65 + column)}{number}" t="inlineStr"><is><t>{value}</t></is></c>'
            for column, value in enumerate(row)
        )
        body.append(f'<row r="{number}">{cells}</row>')
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f"<worksheet {_SHEET_NS}><sheetData>{''.join(body)}</sheetData></worksheet>"
    )


def minimal_xlsx(folder: Path, rows: list[list[str]], name: str = "minimal.xlsx") -> Path:
    """A hand-built XLSX (the same skeleton as the attack files, without the attack)."""
    return _xlsx_with_sheet_xml(folder, name, plain_sheet_xml(rows))


def billion_laughs_xlsx(folder: Path) -> Path:
    """An XLSX whose sheet declares nested entities ("billion laughs")."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{level} "{("&lol" + (str(level - 1) if level > 1 else "") + ";") * 10}">'
        for level in range(1, 10)
    )
    sheet = plain_sheet_xml([["Name"], ["&lol9;"]]).replace(
        "?>", f"?><!DOCTYPE worksheet [{entities}]>", 1
    )
    return _xlsx_with_sheet_xml(folder, "laughs.xlsx", sheet)


def xxe_xlsx(folder: Path) -> Path:
    """An XLSX whose sheet pulls /etc/passwd in through an external entity (XXE)."""
    sheet = plain_sheet_xml([["Name"], ["&xxe;"]]).replace(
        "?>", '?><!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', 1
    )
    return _xlsx_with_sheet_xml(folder, "xxe.xlsx", sheet)


def ragged_csv(folder: Path) -> Path:
    """Rows shorter and longer than the header."""
    path = folder / "ragged.csv"
    path.write_text(
        "Имя,Телефон,Email\n"
        "Анна,+79161112233,anna@example.com\n"
        "Борис,+79162223344\n"
        "Вера\n"
        "Глеб,+79163334455,gleb@example.com,лишнее,ещё\n"
        "Дина,,dina@example.com\n",
        encoding="utf-8",
    )
    return path


def duplicate_and_empty_headers_csv(folder: Path) -> Path:
    path = folder / "dupes.csv"
    path.write_text(
        "Name,Phone,Phone,,Email,phone,\nAnn,1,2,x,ann@example.com,3,\nBob,4,5,,,6,\n",
        encoding="utf-8",
    )
    return path


def oversized_file(folder: Path, size: int = 200 * 1024 * 1024) -> Path:
    """A sparse file of `size` bytes (instant to create, takes no disk)."""
    path = folder / "huge.csv"
    with path.open("wb") as stream:
        stream.write(b"Name,Phone\n")
        stream.truncate(size)
    return path


def mixed_encodings_csv(folder: Path) -> Path:
    """A file glued from a UTF-8 part and a cp1251 part (copy-pasted exports)."""
    path = folder / "mixed.csv"
    head = "Фамилия;Имя;Телефон\nИванов;Иван;+79161112233\n".encode()
    tail = "Петров;Пётр;+79162223344\nСидоров;Сидор;+79163334455\n".encode("cp1251")
    path.write_bytes(head + tail)
    return path


def mixed_encodings_cp1251_then_utf8_csv(folder: Path) -> Path:
    """The other way round: cp1251 first, then lines in UTF-8."""
    path = folder / "mixed2.csv"
    head = "Фамилия;Имя;Телефон\nИванов;Иван;+79161112233\n".encode("cp1251")
    tail = "Петров;Пётр;+79162223344\nСидоров;Сидор;+79163334455\n".encode()
    path.write_bytes(head + tail)
    return path


def header_only_csv(folder: Path) -> Path:
    path = folder / "header_only.csv"
    path.write_text("Фамилия;Имя;Телефон;Email\r\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------ big files (benchmarks)

_SURNAMES = ["Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов", "Волков", "Зайцев"]
_NAMES = ["Иван", "Пётр", "Мария", "Ольга", "Алексей", "Юлия", "Сергей", "Наталья"]


def big_row(index: int, columns: int = 20) -> list[str]:
    """One realistic contact row of `columns` cells (names, phone, e-mail, custom values)."""
    base = [
        _SURNAMES[index % 8],
        _NAMES[index % 7],
        "Иванович",
        f"+7 916 {index % 1000:03d}-{index // 1000 % 100:02d}-{index % 100:02d}",
        f"client{index}@example.ru",
        "Москва, ул. Тверская, д. 1",
        "Выставка",
        "VIP, опт",
        f"{index % 28 + 1:02d}.{index % 12 + 1:02d}.1980",
        "Менеджер",
        f"{index * 37 % 100000} {index % 1000:03d},50",
        "Клиент с 2020 года; звонить после обеда",
    ]
    extra = [f"значение {index % 97}-{column}" for column in range(columns - len(base))]
    return (base + extra)[:columns]


def big_headers(columns: int = 20) -> list[str]:
    base = [
        "Фамилия",
        "Имя",
        "Отчество",
        "Телефон",
        "Email",
        "Адрес",
        "Источник",
        "Теги",
        "Дата рождения",
        "Должность",
        "Сумма покупок",
        "Комментарий",
    ]
    return (base + [f"Поле {column}" for column in range(columns - len(base))])[:columns]


def big_cp1251_csv(folder: Path, rows: int = 100_000, columns: int = 20) -> Path:
    """`rows` contacts, `columns` columns, cp1251, ";" (Excel's Russian CSV)."""
    path = folder / f"big_{rows}.csv"
    with path.open("w", encoding="cp1251", newline="") as stream:
        writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
        writer.writerow(big_headers(columns))
        for index in range(rows):
            writer.writerow(big_row(index, columns))
    return path


def big_xlsx(folder: Path, rows: int = 100_000, columns: int = 20) -> Path:
    """The same rows as an XLSX (xlsxwriter in constant-memory mode)."""
    import xlsxwriter

    path = folder / f"big_{rows}.xlsx"
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Contacts")
    sheet.write_row(0, 0, big_headers(columns))
    for index in range(rows):
        sheet.write_row(index + 1, 0, big_row(index, columns))
    workbook.close()
    return path


def file_size(path: Path) -> int:
    return os.stat(path).st_size
