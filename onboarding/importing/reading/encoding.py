"""Which text encoding a CSV/TSV (or HTML) file is in.

Order: an override, a byte order mark, UTF-16 without a mark (zero bytes in every other
position), strict UTF-8 over the WHOLE file, then the Cyrillic single-byte encodings
common here (cp1251, koi8-r, cp866) by a letter-case score, then charset-normalizer for
the rest (cp1252, latin-1 as the last resort).

The whole file is scanned once, in 1 MB chunks (bounded memory), which also finds:
- binary files (zero bytes, control characters) -> refused;
- mixed encodings: UTF-8 text with Cyrillic letters followed by bytes that are not UTF-8,
  or a single-byte (cp1251...) file containing runs of UTF-8-encoded Cyrillic letters
  -> refused with the line number, never read as silent mojibake.
"""

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from onboarding.importing.reading.errors import ImportFileError

CHUNK = 1024 * 1024
# Bytes of lines with non-ASCII bytes kept for the single-byte detection.
SAMPLE_BYTES = 128 * 1024

# Control bytes that never occur in a text table (tab, LF, FF, CR and ESC-free text).
_CONTROL = bytes([*range(0, 9), 11, *range(14, 27), *range(28, 32)])
_NON_ASCII = re.compile(rb"[\x80-\xff]")
# Three UTF-8-encoded Cyrillic letters in a row: never real cp1251/koi8-r/cp866 text.
_UTF8_CYRILLIC_RUN = re.compile(r"[\u0400-\u04ff]{3,}")
_HIGH_CHAR = re.compile(r"[\u0400-\uffff]")

CYRILLIC_SINGLE_BYTE = ("cp1251", "koi8-r", "cp866")
WESTERN_SINGLE_BYTE = ("cp1252", "latin-1")


@dataclass
class ByteScan:
    """What one pass over the raw bytes found."""

    size: int = 0
    newlines: int = 0
    nul_bytes: int = 0
    control_bytes: int = 0
    head: bytes = b""
    utf8_valid: bool = True
    utf8_error_line: int | None = None
    utf8_high_chars_before_error: int = 0
    utf8_cyrillic_run_line: int | None = None
    non_ascii_sample: bytearray = field(default_factory=bytearray)


def scan_bytes(path: Path) -> ByteScan:
    """One streaming pass over the file (see the module docstring)."""
    scan = ByteScan()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            if not scan.head:
                scan.head = chunk[:65536]
            lines_before = scan.newlines
            scan.size += len(chunk)
            scan.newlines += chunk.count(b"\n")
            scan.nul_bytes += chunk.count(b"\0")
            scan.control_bytes += len(chunk) - len(chunk.translate(None, _CONTROL))
            if scan.utf8_valid:
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    scan.utf8_valid = False
                    scan.utf8_error_line = lines_before + chunk[: error.start].count(b"\n") + 1
                    text = chunk[: error.start].decode("utf-8", "ignore")
                if scan.utf8_high_chars_before_error < 2:
                    scan.utf8_high_chars_before_error += len(_HIGH_CHAR.findall(text[:200000]))
            if scan.utf8_cyrillic_run_line is None and not scan.utf8_valid:
                # Only what is valid UTF-8 survives "ignore"; in single-byte text that is
                # ASCII plus rare accidents, so the regex runs on few chunks.
                survivors = chunk.decode("utf-8", "ignore")
                if not survivors.isascii():
                    run = _UTF8_CYRILLIC_RUN.search(survivors)
                    if run is not None:
                        scan.utf8_cyrillic_run_line = (
                            lines_before + survivors[: run.start()].count("\n") + 1
                        )
            position = 0
            while len(scan.non_ascii_sample) < SAMPLE_BYTES:
                high = _NON_ASCII.search(chunk, position)
                if high is None:
                    break
                start = chunk.rfind(b"\n", 0, high.start()) + 1
                end = chunk.find(b"\n", high.start())
                end = len(chunk) if end < 0 else end + 1
                scan.non_ascii_sample += chunk[start:end]
                position = end
    if scan.utf8_valid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            scan.utf8_valid = False
            scan.utf8_error_line = scan.newlines + 1
    return scan


def normalise_encoding_name(name: str) -> str:
    """Python's canonical name of an encoding ("CP1251" -> "cp1251"); refuses unknown ones."""
    try:
        return codecs.lookup(name.strip()).name
    except (LookupError, ValueError) as error:
        raise ImportFileError(
            _("Unknown text encoding “%(name)s”.") % {"name": name}, code="unknown_encoding"
        ) from error


def bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 LE/BE text without a mark: most ASCII characters leave a zero byte beside them."""
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even_zeros = sample[0::2].count(0)
    odd_zeros = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_zeros > half * 0.3 and even_zeros < half * 0.05:
        return "utf-16-le"
    if even_zeros > half * 0.3 and odd_zeros < half * 0.05:
        return "utf-16-be"
    return None


def _cyrillic_score(text: str) -> float:
    """Share of non-ASCII characters that look like real Russian/Ukrainian letters.

    Real text is mostly lower-case letters, capitals start words, and Cyrillic letters
    are not glued to Latin ones; a wrong code page turns lower case into capitals
    (koi8-r read as cp1251), into box-drawing signs (cp866), or gives Latin-Cyrillic soup.
    """
    high = 0
    good = 0
    previous = " "
    for char in text:
        if ord(char) >= 128:
            high += 1
            cyrillic = "\u0400" <= char <= "\u04ff"
            glued_to_latin = "a" <= previous.lower() <= "z"
            if cyrillic and not glued_to_latin and (char.islower() or not previous.isalpha()):
                good += 1
        previous = char
    return good / high if high else 0.0


def detect_single_byte(sample: bytes) -> tuple[str, float]:
    """The most likely single-byte encoding of `sample` (bytes with non-ASCII characters)."""
    scored_sample = sample[:32768]
    scored = sorted(
        (
            (_cyrillic_score(scored_sample.decode(name, "replace")), name)
            for name in CYRILLIC_SINGLE_BYTE
        ),
        reverse=True,
    )
    best_score, best_name = scored[0]
    if best_score >= 0.75:
        return best_name, round(best_score, 2)
    from charset_normalizer import from_bytes

    results = from_bytes(
        bytes(sample),
        cp_isolation=[*CYRILLIC_SINGLE_BYTE, *WESTERN_SINGLE_BYTE],
        explain=False,
    )
    best = results.best()
    if best is not None:
        return normalise_encoding_name(best.encoding), round(max(0.0, 1.0 - best.chaos) * 0.9, 2)
    if best_score > 0.5:
        return best_name, round(best_score, 2)
    return "cp1252", 0.3


def _mixed_error(line: int | None) -> ImportFileError:
    return ImportFileError(
        _(
            "The file mixes text encodings (line %(line)s is in a different encoding from "
            "the lines before it), so some letters would be read wrong. Save the whole "
            "file again as “CSV UTF-8” and upload it again."
        )
        % {"line": line},
        code="mixed_encodings",
        row_number=line,
    )


def not_a_table_error() -> ImportFileError:
    return ImportFileError(
        _(
            "This file is not a table we can read (it looks like binary data). Upload a "
            "CSV, TSV, XLSX or XLS file."
        ),
        code="binary",
    )


def detect_encoding(scan: ByteScan, *, override: str | None = None) -> tuple[str, float]:
    """(encoding, confidence 0..1) of a text file, or ImportFileError (binary, mixed)."""
    if override:
        return normalise_encoding_name(override), 1.0
    bom = bom_encoding(scan.head)
    if bom:
        return bom, 1.0
    utf16 = utf16_without_bom(scan.head)
    if utf16:
        return utf16, 0.9
    if scan.nul_bytes or scan.control_bytes > max(2, scan.size // 1000):
        raise not_a_table_error()
    if scan.utf8_valid:
        return "utf-8", 1.0
    if scan.utf8_high_chars_before_error >= 2:
        raise _mixed_error(scan.utf8_error_line)
    encoding, confidence = detect_single_byte(bytes(scan.non_ascii_sample))
    if scan.utf8_cyrillic_run_line is not None:
        raise _mixed_error(scan.utf8_cyrillic_run_line)
    return encoding, confidence
