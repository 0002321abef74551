"""A streaming XLSX sheet reader: expat over the sheet's XML, a row at a time.

openpyxl's read-only mode streams too, but builds an object per cell and reads about
20,000 cells a second here; calamine is fast but holds the whole sheet in memory. This
reader keeps only the shared strings table (bounded by the file's own size limits), the
cell styles (which are dates, which keep leading zeros) and the current row.

Every XML part goes through expat with the same guards as defusedxml's parsers: a DTD,
an entity declaration or an external reference raises defusedxml's own exception
(`check_xlsx` has already refused such files; this is the second lock).
"""

import contextlib
import datetime
import html
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any
from xml.parsers import expat

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from onboarding.importing.reading.cells import cell_text

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CHUNK = 256 * 1024
# Built-in number formats that are dates or times (ECMA-376, 18.8.30).
_BUILTIN_DATE_FORMATS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}
_DATE_CODE = re.compile(r"[dmyhs]", re.I)
_QUOTED_OR_BRACKETED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_CELL_REF = re.compile(r"([A-Z]+)(\d*)")


def _forbid_dtd(*_args: Any) -> None:
    raise DTDForbidden(None, None, None)


def _forbid_entity(name: Any = None, *_args: Any) -> None:
    raise EntitiesForbidden(name, None, None, None, None, None)


def _forbid_external(
    context: Any = None, base: Any = None, sysid: Any = None, pubid: Any = None
) -> None:
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


def _parser() -> Any:
    """An expat parser with namespaces split by "|" and defusedxml's guards."""
    parser: Any = expat.ParserCreate(namespace_separator="|")
    parser.buffer_text = True
    parser.buffer_size = 65536
    parser.StartDoctypeDeclHandler = _forbid_dtd
    parser.EntityDeclHandler = _forbid_entity
    parser.UnparsedEntityDeclHandler = _forbid_entity
    parser.ExternalEntityRefHandler = _forbid_external
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def _feed(parser: Any, stream: IO[bytes]) -> Iterator[None]:
    """Feed `stream` to `parser` chunk by chunk, yielding after each chunk."""
    while chunk := stream.read(_CHUNK):
        parser.Parse(chunk, False)
        yield None
    parser.Parse(b"", True)
    yield None


def _parse_whole(
    archive: zipfile.ZipFile,
    name: str,
    start: Callable[..., None],
    end: Callable[..., None] | None = None,
    text: Callable[..., None] | None = None,
) -> None:
    parser = _parser()
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    with archive.open(name) as stream:
        for _ in _feed(parser, stream):
            pass


def column_index(reference: str) -> int:
    """0-based column of a cell reference ("C5" -> 2)."""
    letters = _CELL_REF.match(reference)
    number = 0
    for char in letters.group(1) if letters else "":
        number = number * 26 + ord(char) - 64
    return number - 1


@dataclass
class Workbook:
    """What a sheet read needs from the rest of the package."""

    sheets: dict[str, str]  # sheet name -> part name ("xl/worksheets/sheet1.xml"), in order
    shared_strings_part: str | None
    styles_part: str | None
    date1904: bool = False
    shared_strings: list[str] = field(default_factory=list)
    date_styles: set[int] = field(default_factory=set)
    padded_styles: dict[int, str] = field(default_factory=dict)


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for part in (PurePosixPath(base).parent / target).parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, resolved target part) of `part`."""
    rels_name = str(PurePosixPath(part).parent / "_rels" / (PurePosixPath(part).name + ".rels"))
    found: dict[str, tuple[str, str]] = {}
    if rels_name not in archive.namelist():
        return found

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == f"{_PKG_REL}|Relationship" and attrs.get("TargetMode") != "External":
            found[attrs.get("Id", "")] = (
                attrs.get("Type", "").rsplit("/", 1)[-1],
                _resolve(part, attrs.get("Target", "")),
            )

    _parse_whole(archive, rels_name, start)
    return found


def read_workbook(archive: zipfile.ZipFile) -> Workbook:
    """Sheet names and parts, shared strings and date/zero-padded styles."""
    root_rels = _relationships(archive, "")
    workbook_part = next(
        (target for kind, target in root_rels.values() if kind == "officeDocument"),
        "xl/workbook.xml",
    )
    relations = _relationships(archive, workbook_part)
    sheets: dict[str, str] = {}
    flags = {"date1904": False}

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == f"{_MAIN}|sheet":
            relation = relations.get(attrs.get(f"{_REL}|id", ""))
            if relation and relation[0] == "worksheet":
                sheets[attrs.get("name", "")] = relation[1]
        elif name == f"{_MAIN}|workbookPr":
            flags["date1904"] = attrs.get("date1904", "0") in ("1", "true")

    _parse_whole(archive, workbook_part, start)
    names = set(archive.namelist())
    shared = next((t for k, t in relations.values() if k == "sharedStrings"), None)
    styles = next((t for k, t in relations.values() if k == "styles"), None)
    book = Workbook(
        sheets=sheets,
        shared_strings_part=shared if shared in names else None,
        styles_part=styles if styles in names else None,
        date1904=flags["date1904"],
    )
    return book


def load_shared_strings(archive: zipfile.ZipFile, book: Workbook) -> None:
    if not book.shared_strings_part:
        return
    strings = book.shared_strings
    state = {"depth": 0, "in_text": False, "phonetic": False}
    pieces: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == f"{_MAIN}|si":
            pieces.clear()
        elif name == f"{_MAIN}|rPh":
            state["phonetic"] = True
        elif name == f"{_MAIN}|t" and not state["phonetic"]:
            state["in_text"] = True

    def end(name: str) -> None:
        if name == f"{_MAIN}|si":
            strings.append("".join(pieces))
        elif name == f"{_MAIN}|rPh":
            state["phonetic"] = False
        elif name == f"{_MAIN}|t":
            state["in_text"] = False

    def text(data: str) -> None:
        if state["in_text"]:
            pieces.append(data)

    _parse_whole(archive, book.shared_strings_part, start, end, text)


def _is_date_format(code: str) -> bool:
    return bool(_DATE_CODE.search(_QUOTED_OR_BRACKETED.sub("", code)))


def load_styles(archive: zipfile.ZipFile, book: Workbook) -> None:
    if not book.styles_part:
        return
    formats: dict[int, str] = {}
    state = {"in_xfs": False, "index": 0}

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == f"{_MAIN}|numFmt":
            with contextlib.suppress(ValueError):
                formats[int(attrs.get("numFmtId", "-1"))] = attrs.get("formatCode", "")
        elif name == f"{_MAIN}|cellXfs":
            state["in_xfs"] = True
        elif name == f"{_MAIN}|xf" and state["in_xfs"]:
            try:
                format_id = int(attrs.get("numFmtId", "0"))
            except ValueError:
                format_id = 0
            code = formats.get(format_id)
            index = state["index"]
            if code is None:
                if format_id in _BUILTIN_DATE_FORMATS:
                    book.date_styles.add(index)
            elif re.fullmatch(r"0+", code):
                book.padded_styles[index] = code
            elif _is_date_format(code):
                book.date_styles.add(index)
            state["index"] = index + 1

    def end(name: str) -> None:
        if name == f"{_MAIN}|cellXfs":
            state["in_xfs"] = False

    _parse_whole(archive, book.styles_part, start, end)


_EPOCH_1900 = datetime.datetime(1899, 12, 30)  # noqa: DTZ001 (spreadsheet serials are naive)
_EPOCH_1904 = datetime.datetime(1904, 1, 1)  # noqa: DTZ001


def _serial_to_datetime(serial: float, date1904: bool) -> datetime.datetime | None:
    try:
        moment = (_EPOCH_1904 if date1904 else _EPOCH_1900) + datetime.timedelta(days=serial)
    except OverflowError:
        return None
    # Round to the second (serials carry float noise).
    return (moment + datetime.timedelta(microseconds=500_000)).replace(microsecond=0)


def sheet_rows(
    archive: zipfile.ZipFile, book: Workbook, part: str
) -> Iterator[tuple[int, list[str]]]:
    """Each <row> of the sheet part: (1-based row number, cell texts from column A)."""
    done: list[tuple[int, list[str]]] = []
    cells: dict[int, str] = {}
    state: dict[str, Any] = {"row": 0, "col": -1, "type": "n", "style": 0, "in_value": False}
    value: list[str] = []
    strings = book.shared_strings
    date_styles = book.date_styles
    padded = book.padded_styles
    date1904 = book.date1904

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == f"{_MAIN}|c":
            reference = attrs.get("r")
            state["col"] = column_index(reference) if reference else state["col"] + 1
            state["type"] = attrs.get("t", "n")
            style = attrs.get("s")
            state["style"] = int(style) if style and style.isdigit() else 0
            value.clear()
        elif name in (f"{_MAIN}|v", f"{_MAIN}|t"):
            state["in_value"] = True
        elif name == f"{_MAIN}|row":
            number = attrs.get("r")
            state["row"] = int(number) if number and number.isdigit() else state["row"] + 1
            state["col"] = -1
            cells.clear()

    def end(name: str) -> None:
        if name == f"{_MAIN}|c":
            raw = "".join(value)
            kind = state["type"]
            if kind == "s":
                try:
                    text = strings[int(raw)]
                except (ValueError, IndexError):
                    text = ""
            elif kind in ("str", "inlineStr", "e"):
                text = raw
            elif kind == "b":
                text = "TRUE" if raw.strip() in ("1", "true") else "FALSE"
            elif not raw:
                text = ""
            else:
                text = _number_text(raw, state["style"], date_styles, padded, date1904)
            if text:
                cells[state["col"]] = text.strip()
        elif name in (f"{_MAIN}|v", f"{_MAIN}|t"):
            state["in_value"] = False
        elif name == f"{_MAIN}|row":
            width = max(cells) + 1 if cells else 0
            done.append((state["row"], [cells.get(index, "") for index in range(width)]))

    def text(data: str) -> None:
        if state["in_value"]:
            value.append(data)

    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    with archive.open(part) as stream:
        for _ in _feed(parser, stream):
            yield from done
            done.clear()


def _number_text(
    raw: str, style: int, date_styles: set[int], padded: dict[int, str], date1904: bool
) -> str:
    try:
        number = float(raw)
    except ValueError:
        return raw
    if style in date_styles:
        moment = _serial_to_datetime(number, date1904)
        if moment is not None:
            if number < 1 and moment.date() <= datetime.date(1900, 1, 1):
                return cell_text(moment.time())
            return cell_text(moment)
    return cell_text(number, padded.get(style))


# ---------------------------------------------------------------------- the fast path
#
# Sheets written by Excel, LibreOffice, Google Sheets, 1C, xlsxwriter and openpyxl are
# regular: <row r="2"><c r="A2" s="1" t="s"><v>12</v></c>...</row>. Regular expressions
# over the decompressed bytes read them several times faster than an expat callback
# per element. Every row is checked (as many cells matched as "<c" opened); anything
# unusual (another attribute order, namespace prefixes, CDATA, comments) sends the rest
# of the sheet to the expat reader above, from the row where the fast path stopped.
# No DTD can be there (check_xlsx refused them), so only XML's five named entities and
# character references can occur in the text.

_ROW = re.compile(rb"<row\b([^>]*?)(/>|>([^<]*(?:<(?!/row>)[^<]*)*)</row>)")
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_FAST_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})\d*"(?: s="(\d+)")?(?: t="(\w+)")?'
    rb"(?:\s*/>|>(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?(?:<v>([^<]*)</v>)?"
    rb"(?:<is>([^<]*(?:<(?!/is>)[^<]*)*)</is>)?</c>)"
)
_CELL_OPEN = re.compile(rb"<c[\s>/]")
_INLINE_TEXT = re.compile(rb"<t\b[^>]*>([^<]*)</t>")
_PHONETIC = re.compile(rb"<rPh\b.*?</rPh>", re.S)
_UNUSUAL = re.compile(rb"<!\[CDATA\[|<!--|<\w+:(?:row|c|v)\b")


class _Unusual(Exception):
    pass


def _xml_text(raw: bytes) -> str:
    text = raw.decode("utf-8")
    return html.unescape(text) if "&" in text else text


_COLUMNS: dict[bytes, int] = {}


def _column(letters: bytes) -> int:
    index = _COLUMNS.get(letters)
    if index is None:
        index = column_index(letters.decode("ascii"))
        if len(_COLUMNS) < 20000:
            _COLUMNS[letters] = index
    return index


def _fast_rows(
    stream: IO[bytes], book: Workbook, after_row: list[int]
) -> Iterator[tuple[int, list[str]]]:
    strings = book.shared_strings
    date_styles = book.date_styles
    padded = book.padded_styles
    buffer = b""
    expected = 1
    while True:
        chunk = stream.read(_CHUNK)
        buffer += chunk
        end = buffer.rfind(b"</row>") if chunk else len(buffer)
        if end < 0:
            if _UNUSUAL.search(buffer):
                raise _Unusual
            continue
        if chunk:
            end += len(b"</row>")
        block, buffer = buffer[:end], buffer[end:]
        if _UNUSUAL.search(block):
            raise _Unusual
        for match in _ROW.finditer(block):
            number_match = _ROW_NUMBER.search(match.group(1))
            number = int(number_match.group(1)) if number_match else expected
            body = match.group(3) or b""
            found = _FAST_CELL.findall(body)
            if len(found) != len(_CELL_OPEN.findall(body)):
                raise _Unusual
            cells: dict[int, str] = {}
            for letters, style, kind, value, inline in found:
                if kind == b"s":
                    try:
                        text = strings[int(value)]
                    except (ValueError, IndexError):
                        text = ""
                elif not kind or kind == b"n":
                    if not value:
                        continue
                    style_index = int(style) if style else 0
                    if style_index in date_styles or style_index in padded:
                        text = _number_text(
                            value.decode("ascii"),
                            style_index,
                            date_styles,
                            padded,
                            book.date1904,
                        )
                    elif value.isdigit() or (value[:1] == b"-" and value[1:].isdigit()):
                        text = value.decode("ascii")
                    else:
                        text = cell_text(float(value))
                elif kind == b"inlineStr" and inline[:3] == b"<t>" and inline.count(b"<") == 2:
                    text = _xml_text(inline[3:-4])
                elif kind == b"inlineStr":
                    text = "".join(
                        _xml_text(piece)
                        for piece in _INLINE_TEXT.findall(_PHONETIC.sub(b"", inline))
                    )
                elif kind == b"b":
                    text = "TRUE" if value.strip() in (b"1", b"true") else "FALSE"
                else:  # str, e
                    text = _xml_text(value)
                text = text.strip()
                if text:
                    cells[_column(letters)] = text
            width = max(cells) + 1 if cells else 0
            after_row[0] = number
            expected = number + 1
            yield number, [cells.get(index, "") for index in range(width)]
        if not chunk:
            return


def load_shared_strings_fast(archive: zipfile.ZipFile, book: Workbook) -> bool:
    """Shared strings by regular expressions; False (nothing loaded) when unusual."""
    if not book.shared_strings_part:
        return True
    with archive.open(book.shared_strings_part) as stream:
        data = stream.read()
    if _UNUSUAL.search(data) or re.search(rb"<\w+:si\b", data):
        return False
    items = re.findall(rb"<si>(.*?)</si>|<si/>", data, re.S)
    if len(items) != data.count(b"<si"):
        return False
    strings = book.shared_strings
    for item in items:
        if item.startswith(b"<t>") and item.endswith(b"</t>") and item.count(b"<") == 2:
            strings.append(_xml_text(item[3:-4]))
        else:
            strings.append(
                "".join(
                    _xml_text(piece) for piece in _INLINE_TEXT.findall(_PHONETIC.sub(b"", item))
                )
            )
    return True


# The last workbook read (shared strings and styles), so the several passes of one
# upload (sheet choice, sample, preview, then every row) parse them once.
_last_book: dict[tuple[str, int, int], Workbook] = {}


def _loaded_workbook(path: Path, archive: zipfile.ZipFile) -> Workbook:
    status = path.stat()
    key = (str(path.resolve()), status.st_size, status.st_mtime_ns)
    book = _last_book.get(key)
    if book is None:
        book = read_workbook(archive)
        if not load_shared_strings_fast(archive, book):
            book.shared_strings.clear()
            load_shared_strings(archive, book)
        load_styles(archive, book)
        _last_book.clear()
        _last_book[key] = book
    return book


def open_sheet_rows(path: Path, sheet_name: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """Rows of `sheet_name` (default: the first sheet), gaps filled with blank rows."""
    with zipfile.ZipFile(path) as archive:
        book = _loaded_workbook(path, archive)
        if not book.sheets:
            return
        part = book.sheets.get(sheet_name) if sheet_name else next(iter(book.sheets.values()))
        if part is None:
            return
        expected = 1
        last_row = [0]
        try:
            with archive.open(part) as stream:
                for number, cells in _fast_rows(stream, book, last_row):
                    while expected < number:
                        yield expected, []
                        expected += 1
                    yield number, cells
                    expected = number + 1
            return
        except _Unusual:
            pass
        for number, cells in sheet_rows(archive, book, part):
            if number <= last_row[0]:
                continue
            while expected < number:
                yield expected, []
                expected += 1
            yield number, cells
            expected = number + 1


def sheet_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return list(read_workbook(archive).sheets)


_DIMENSION = re.compile(rb'<dimension\s+ref="[A-Z]*\d*:?[A-Z]*(\d+)"')


def sheet_last_row(path: Path, sheet_name: str) -> int | None:
    """The last row the sheet declares in its <dimension> (None when absent)."""
    with zipfile.ZipFile(path) as archive:
        book = read_workbook(archive)
        part = book.sheets.get(sheet_name)
        if part is None:
            return None
        with archive.open(part) as stream:
            head = stream.read(4096)
    match = _DIMENSION.search(head)
    return int(match.group(1)) if match else None
