"""What a document on the timeline may be: size and type, checked by name AND by content.

The extension says what the uploader claims; the first bytes say what the file is. A file
is accepted only when both agree and the type is on the allow-list (documents, office
files, PDF, images, archives, plain text). Executables (Windows PE, ELF, Mach-O, scripts
with a shebang), HTML and SVG that carry scripts are refused whatever their name. Files
are always served as downloads (tenants.files.attachment_response), so this is the
second line, not the only one.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024
SNIFF_BYTES = 4096

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = (b"PK\x03\x04", b"PK\x05\x06")

# extension -> (the content families it may have, the content type stored)
ALLOWED: dict[str, tuple[tuple[str, ...], str]] = {
    "pdf": (("pdf",), "application/pdf"),
    "doc": (("ole",), "application/msword"),
    "xls": (("ole",), "application/vnd.ms-excel"),
    "ppt": (("ole",), "application/vnd.ms-powerpoint"),
    "docx": (
        ("zip",),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": (("zip",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": (
        ("zip",),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "odt": (("zip",), "application/vnd.oasis.opendocument.text"),
    "ods": (("zip",), "application/vnd.oasis.opendocument.spreadsheet"),
    "odp": (("zip",), "application/vnd.oasis.opendocument.presentation"),
    "rtf": (("rtf",), "application/rtf"),
    "txt": (("text",), "text/plain"),
    "csv": (("text",), "text/csv"),
    "png": (("png",), "image/png"),
    "jpg": (("jpeg",), "image/jpeg"),
    "jpeg": (("jpeg",), "image/jpeg"),
    "gif": (("gif",), "image/gif"),
    "webp": (("webp",), "image/webp"),
    "tif": (("tiff",), "image/tiff"),
    "tiff": (("tiff",), "image/tiff"),
    "heic": (("heic",), "image/heic"),
    "svg": (("svg",), "image/svg+xml"),
    "zip": (("zip",), "application/zip"),
    "7z": (("7z",), "application/x-7z-compressed"),
    "rar": (("rar",), "application/vnd.rar"),
    "gz": (("gzip",), "application/gzip"),
}

_EXECUTABLE_MAGIC = (
    b"MZ",  # Windows PE (.exe, .dll, .scr)
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
    b"#!",
)
_HTML_START = re.compile(rb"^\s*<(!doctype\s+html|html|head|body|script|iframe|object)\b", re.I)
_SVG_DANGER = re.compile(rb"<script|javascript:|\son[a-z]+\s*=|<foreignobject", re.I)


class FileRefused(ValueError):
    """The file may not be attached; the message says why, in the reader's language."""


@dataclass(frozen=True)
class CheckedFile:
    name: str
    size: int
    content_type: str


def max_file_bytes() -> int:
    """The size limit of one timeline file (settings.TIMELINE_MAX_FILE_BYTES, default 25 MB)."""
    return int(getattr(settings, "TIMELINE_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES))


def _family(head: bytes) -> str | None:
    """What the first bytes say the file is (None: nothing we know)."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(OLE):
        return "ole"
    if head.startswith(ZIP):
        return "zip"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head[4:8] == b"ftyp" and head[8:12] in {b"heic", b"heix", b"mif1", b"msf1", b"heis"}:
        return "heic"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if head.startswith(b"Rar!\x1a\x07"):
        return "rar"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    return None


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    body = head.removeprefix(b"\xef\xbb\xbf")
    for encoding in ("utf-8", "cp1251"):
        try:
            # A multi-byte character may be cut at the end of the sniffed bytes.
            body.decode(encoding) if len(body) < SNIFF_BYTES else body[:-4].decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _read_head(upload: UploadedFile) -> bytes:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return head if isinstance(head, bytes) else head.encode()


def _whole_text(upload: UploadedFile) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data if isinstance(data, bytes) else data.encode()


def check_upload(upload: UploadedFile) -> CheckedFile:
    """The upload's safe name, size and content type, or FileRefused with the reason."""
    raw_name = (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1]
    try:
        name = get_valid_filename(raw_name)[:200]
    except Exception as error:  # SuspiciousFileOperation for names like ".."
        raise FileRefused(
            _("This file name cannot be used. Rename the file and try again.")
        ) from error
    size = int(upload.size or 0)
    if size <= 0:
        raise FileRefused(_("The file is empty."))
    limit = max_file_bytes()
    if size > limit:
        raise FileRefused(
            _("The file is too large: at most %(limit)s MB.") % {"limit": round(limit / 1048576, 1)}
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    head = _read_head(upload)
    if head.startswith(_EXECUTABLE_MAGIC) or extension in {"exe", "dll", "bat", "cmd", "sh", "js"}:
        raise FileRefused(_("Programs and scripts cannot be attached."))
    if _HTML_START.match(head.removeprefix(b"\xef\xbb\xbf")) or extension in {"html", "htm"}:
        raise FileRefused(_("Web pages (HTML) cannot be attached. Save it as PDF instead."))
    allowed = ALLOWED.get(extension)
    if allowed is None:
        raise FileRefused(
            _(
                "Files of this type cannot be attached. Allowed: documents (PDF, Word, Excel, "
                "PowerPoint, OpenDocument, RTF, text, CSV), images and archives (ZIP, 7z, RAR)."
            )
        )
    families, content_type = allowed
    family = _family(head)
    if "svg" in families:
        text = _whole_text(upload)
        if b"<svg" not in text[:SNIFF_BYTES].lower() or _SVG_DANGER.search(text):
            raise FileRefused(_("This SVG image contains scripts or is not an image."))
    elif "text" in families:
        if family is not None or not _looks_like_text(head):
            raise FileRefused(_("The file's content does not match its extension."))
    elif family not in families:
        raise FileRefused(_("The file's content does not match its extension."))
    return CheckedFile(name=name, size=size, content_type=content_type)


def accept_attribute() -> str:
    """The file input's `accept` (a hint for the picker; the server still checks)."""
    return ",".join(f".{extension}" for extension in ALLOWED)
