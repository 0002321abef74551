"""Make a backup archive of a workspace, and open one back up, checking everything.

The archive (see tenants.backups.archive for its encryption) is a gzip tar stream:

    tables/<table>.copy     one per table, PostgreSQL COPY text format
    files/<relative path>   every file in the workspace's storage folder
    manifest.json           last, because it carries what was counted while writing

The manifest holds the format version, the source's migrations, each table's column
list, row count and SHA-256, the sequence positions, and every file with its size and
SHA-256. It never decides where data goes: the target schema is always chosen by the
restore (the source schema is recorded for the operator's information only).
"""

import gzip
import hashlib
import io
import json
import os
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.core.files.storage import default_storage
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.backups.archive import ArchiveError, DecryptingReader, EncryptingWriter
from tenants.backups.snapshot import SequenceState, TableDump, dump_schema

FORMAT_VERSION = 1
_MANIFEST = "manifest.json"


class BackupRefusedError(Exception):
    """A backup that must not be restored (damaged, foreign, newer than this code)."""


@dataclass
class Manifest:
    format_version: int
    source_schema: str
    created_at: str
    migrations: list[list[str]]
    tables: list[dict[str, Any]]
    sequences: list[dict[str, Any]]
    files: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(int(table["rows"]) for table in self.tables)

    def table_dumps(self) -> list[TableDump]:
        return [
            TableDump(t["name"], list(t["columns"]), int(t["rows"]), t["sha256"])
            for t in self.tables
        ]

    def sequence_states(self) -> list[SequenceState]:
        return [
            SequenceState(s["name"], int(s["last_value"]), bool(s["is_called"]))
            for s in self.sequences
        ]


@dataclass
class WrittenArchive:
    path: Path
    manifest: Manifest
    sha256: str
    bytes: int
    seconds: float


def _workspace_files(schema: str) -> Iterator[str]:
    """Every file's name in the workspace's storage folder (relative, '/'-separated)."""
    with schema_context(schema):
        pending = [""]
        while pending:
            folder = pending.pop()
            if folder and not default_storage.exists(folder):
                continue
            try:
                subfolders, files = default_storage.listdir(folder)
            except FileNotFoundError:
                continue
            for name in sorted(files):
                yield f"{folder}/{name}" if folder else name
            pending.extend(f"{folder}/{sub}" if folder else sub for sub in subfolders)


def _add_stream(archive: tarfile.TarFile, name: str, path: Path) -> None:
    info = archive.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    with path.open("rb") as source:
        archive.addfile(info, source)


GZIP_LEVEL = 3


def write_archive(
    schema: str,
    target_folder: Path,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> WrittenArchive:
    """Snapshot `schema` and its files into an encrypted archive under `target_folder`.

    Tables are staged one at a time in a private temporary folder (then deleted), so
    memory stays bounded whatever the workspace's size.
    """
    started = time.perf_counter()
    target_folder.mkdir(parents=True, exist_ok=True)
    descriptor, archive_name = tempfile.mkstemp(suffix=".kbk", dir=target_folder)
    archive_path = Path(archive_name)
    with (
        tempfile.TemporaryDirectory(prefix="kbk-stage-") as staging,
        os.fdopen(descriptor, "wb") as raw_file,
    ):
        encrypted = EncryptingWriter(raw_file)
        # gzip at a middling level, not tarfile's fixed 9: level 9 took most of a backup's
        # time for a few per cent of size (the format, and so restores, are unchanged).
        with (
            gzip.GzipFile(
                fileobj=encrypted, mode="wb", compresslevel=GZIP_LEVEL, mtime=0
            ) as compressed,
            tarfile.open(fileobj=compressed, mode="w|") as archive,
        ):
            staged = Path(staging)
            tables_done = 0

            def open_table_file(table: str) -> IO[bytes]:
                return (staged / "table").open("wb")

            def add_table(dump: TableDump) -> None:
                nonlocal tables_done
                _add_stream(archive, f"tables/{dump.name}.copy", staged / "table")
                tables_done += 1
                if on_progress is not None:
                    on_progress(tables_done, 0)

            snapshot = dump_schema(schema, open_table_file, on_table=add_table)
            files = []
            with schema_context(schema):
                for name in _workspace_files(schema):
                    digest = hashlib.sha256()
                    with default_storage.open(name, "rb") as source:
                        for block in iter(lambda: source.read(1024 * 1024), b""):
                            digest.update(block)
                    with default_storage.open(name, "rb") as source:
                        info = tarfile.TarInfo(f"files/{name}")
                        info.size = default_storage.size(name)
                        info.mode = 0o600
                        archive.addfile(info, source)
                    files.append({"name": name, "bytes": info.size, "sha256": digest.hexdigest()})
            manifest = Manifest(
                format_version=FORMAT_VERSION,
                source_schema=schema,
                created_at=timezone.now().isoformat(),
                migrations=[[app, name] for app, name in snapshot.migrations],
                tables=[asdict(table) for table in snapshot.tables],
                sequences=[asdict(sequence) for sequence in snapshot.sequences],
                files=files,
            )
            manifest_path = staged / _MANIFEST
            manifest_path.write_text(json.dumps(asdict(manifest), ensure_ascii=False))
            _add_stream(archive, _MANIFEST, manifest_path)
        encrypted.close()
    return WrittenArchive(
        path=archive_path,
        manifest=manifest,
        sha256=encrypted.sha256.hexdigest(),
        bytes=encrypted.bytes_written,
        seconds=time.perf_counter() - started,
    )


def _safe_member_path(root: Path, name: str) -> Path:
    """Where a member of the archive may be extracted; refuses absolute or '..' paths."""
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise BackupRefusedError(f"the backup holds an unsafe path {name!r}")
    return root.joinpath(*relative.parts)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def opened_archive(
    source: IO[bytes], *, expected_sha256: str = ""
) -> Iterator[tuple[Manifest, Path]]:
    """Decrypt, unpack and check a whole archive into a private folder, then yield it.

    Nothing is restored from an archive until all of it has been read: its checksum
    (when known), every chunk's authentication, the manifest, each table's SHA-256 and
    each file's SHA-256. Any mismatch raises BackupRefusedError with the reason.
    """
    with tempfile.TemporaryDirectory(prefix="kbk-open-") as folder:
        root = Path(folder)
        checksum = hashlib.sha256()

        class _Hashing:
            def read(self, size: int = -1) -> bytes:
                data = source.read(size)
                checksum.update(data)
                return data

        try:
            plaintext = io.BufferedReader(DecryptingReader(_Hashing()))  # type: ignore[arg-type,type-var]
            with tarfile.open(fileobj=plaintext, mode="r|gz") as archive:
                for member in archive:
                    if not member.isfile():
                        raise BackupRefusedError(f"unexpected entry {member.name!r} in the backup")
                    destination = _safe_member_path(root, member.name)
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    extracted = archive.extractfile(member)
                    if extracted is None:
                        raise BackupRefusedError(f"unreadable entry {member.name!r}")
                    with destination.open("wb") as target:
                        for block in iter(lambda: extracted.read(1024 * 1024), b""):  # noqa: B023
                            target.write(block)
        except ArchiveError as error:
            raise BackupRefusedError(str(error)) from error
        except (tarfile.TarError, EOFError, OSError) as error:
            raise BackupRefusedError(f"the backup cannot be read: {error}") from error
        if expected_sha256 and checksum.hexdigest() != expected_sha256:
            raise BackupRefusedError("the backup's checksum does not match the one recorded")
        manifest = _checked_manifest(root)
        yield manifest, root


def _checked_manifest(root: Path) -> Manifest:
    manifest_path = root / _MANIFEST
    if not manifest_path.is_file():
        raise BackupRefusedError("the backup has no manifest")
    try:
        manifest = Manifest(**json.loads(manifest_path.read_text()))
    except (ValueError, TypeError) as error:
        raise BackupRefusedError(f"the backup's manifest is unreadable: {error}") from error
    if manifest.format_version != FORMAT_VERSION:
        raise BackupRefusedError(f"unknown backup format version {manifest.format_version}")
    for table in manifest.tables:
        path = _safe_member_path(root, f"tables/{table['name']}.copy")
        if not path.is_file() or _sha256_of(path) != table["sha256"]:
            raise BackupRefusedError(f"table {table['name']} in the backup is damaged")
    for stored in manifest.files:
        path = _safe_member_path(root, f"files/{stored['name']}")
        if not path.is_file() or _sha256_of(path) != stored["sha256"]:
            raise BackupRefusedError(f"file {stored['name']} in the backup is damaged")
    return manifest
