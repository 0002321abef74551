"""The encrypted container a backup is stored in.

A backup is a gzip-compressed tar stream (manifest, one COPY file per table, the
workspace's files), encrypted as it is written so nothing unencrypted touches the disk.

Encryption is AES-256-GCM from `cryptography`, applied to fixed-size chunks in the
shape of the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár), because one
GCM message must fit in memory and a backup of a large workspace does not:

    header  = b"KBK1" | salt (16 bytes) | chunk size (4 bytes, big-endian)
    chunk i = length (4 bytes) | nonce (12 random bytes) | ciphertext with its tag
    AAD(i)  = header | i (8 bytes) | final flag (1 byte)

The key is derived per archive with HKDF-SHA256 from `settings.BACKUP_ENCRYPTION_KEY`
and the salt. Binding the index and the final flag into each chunk's AAD makes
reordered, dropped, duplicated or truncated chunks fail authentication, so a modified
archive is refused before anything is restored from it.
"""

import base64
import hashlib
import io
import os
import struct
from collections.abc import Iterator
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

MAGIC = b"KBK1"
CHUNK_SIZE = 1024 * 1024
_HEADER = struct.Struct(">4s16sI")
_LENGTH = struct.Struct(">I")
_NONCE_BYTES = 12
_TAG_BYTES = 16


class ArchiveError(Exception):
    """The archive is not one of ours, was modified, or was cut short."""


def master_key() -> bytes:
    """The platform's backup key (32 bytes) from settings.

    `BACKUP_ENCRYPTION_KEY` is base64 of 32 random bytes; development derives one from
    SECRET_KEY so `make run` works without set-up (production settings require it).
    """
    configured = getattr(settings, "BACKUP_ENCRYPTION_KEY", "")
    if configured:
        key = base64.urlsafe_b64decode(configured)
        if len(key) != 32:
            raise ValueError("BACKUP_ENCRYPTION_KEY must be base64 of exactly 32 bytes")
        return key
    return hashlib.sha256(b"kartoteka-backup-key:" + settings.SECRET_KEY.encode()).digest()


def _archive_key(salt: bytes) -> AESGCM:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=salt, info=b"kartoteka-backup-v1"
    ).derive(master_key())
    return AESGCM(derived)


def _aad(header: bytes, index: int, final: bool) -> bytes:
    return header + struct.pack(">QB", index, 1 if final else 0)


class EncryptingWriter(io.RawIOBase):
    """A write-only file object that encrypts what is written into `target`.

    Also computes the SHA-256 of the encrypted bytes (the archive's checksum) and
    counts them. `close()` writes the final chunk; it does not close `target`.
    """

    def __init__(self, target: IO[bytes]):
        super().__init__()
        self._target = target
        salt = os.urandom(16)
        self._header = _HEADER.pack(MAGIC, salt, CHUNK_SIZE)
        self._cipher = _archive_key(salt)
        self._buffer = bytearray()
        self._index = 0
        self.sha256 = hashlib.sha256()
        self.bytes_written = 0
        self._emit(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._buffer += data
        while len(self._buffer) > CHUNK_SIZE:
            self._seal(bytes(self._buffer[:CHUNK_SIZE]), final=False)
            del self._buffer[:CHUNK_SIZE]
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buffer), final=True)
            self._buffer.clear()
        super().close()

    def _seal(self, plaintext: bytes, *, final: bool) -> None:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._cipher.encrypt(nonce, plaintext, _aad(self._header, self._index, final))
        self._emit(_LENGTH.pack(len(sealed)) + nonce + sealed)
        self._index += 1

    def _emit(self, data: bytes) -> None:
        self._target.write(data)
        self.sha256.update(data)
        self.bytes_written += len(data)


def decrypted_chunks(source: IO[bytes]) -> Iterator[bytes]:
    """Yield the plaintext of an archive chunk by chunk, authenticating each.

    Raises ArchiveError for anything that is not an intact archive of this platform
    (wrong magic, modified or reordered bytes, a missing final chunk, trailing data).
    """
    header = source.read(_HEADER.size)
    if len(header) != _HEADER.size:
        raise ArchiveError("not a Kartoteka backup (too short)")
    magic, salt, chunk_size = _HEADER.unpack(header)
    if magic != MAGIC:
        raise ArchiveError("not a Kartoteka backup (unknown format)")
    cipher = _archive_key(salt)
    largest = chunk_size + _TAG_BYTES
    index = 0
    while True:
        length_bytes = source.read(_LENGTH.size)
        if len(length_bytes) != _LENGTH.size:
            raise ArchiveError("the backup is cut short")
        (length,) = _LENGTH.unpack(length_bytes)
        if length > largest or length < _TAG_BYTES:
            raise ArchiveError("the backup is damaged (bad chunk length)")
        nonce = source.read(_NONCE_BYTES)
        sealed = source.read(length)
        if len(nonce) != _NONCE_BYTES or len(sealed) != length:
            raise ArchiveError("the backup is cut short")
        plaintext = _open_chunk(cipher, header, index, nonce, sealed)
        if plaintext is not None:
            yield plaintext
            index += 1
            continue
        final = _open_final_chunk(cipher, header, index, nonce, sealed)
        if source.read(1):
            raise ArchiveError("the backup has data after its end")
        yield final
        return


def _open_chunk(
    cipher: AESGCM, header: bytes, index: int, nonce: bytes, sealed: bytes
) -> bytes | None:
    try:
        return cipher.decrypt(nonce, sealed, _aad(header, index, final=False))
    except InvalidTag:
        return None


def _open_final_chunk(
    cipher: AESGCM, header: bytes, index: int, nonce: bytes, sealed: bytes
) -> bytes:
    try:
        return cipher.decrypt(nonce, sealed, _aad(header, index, final=True))
    except InvalidTag as error:
        raise ArchiveError("the backup was modified or is damaged") from error


class DecryptingReader(io.RawIOBase):
    """A read-only file object over the plaintext of an archive (for tarfile's stream mode)."""

    def __init__(self, source: IO[bytes]):
        super().__init__()
        self._chunks = decrypted_chunks(source)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
            if not self._pending:
                continue
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
