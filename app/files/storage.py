"""Content-addressed blob storage: one small interface, a folder backend and a database backend.

A blob's key is the sha256 of its bytes (lowercase hex), so identical content is stored once and
no uploaded name or path ever reaches the storage. Both backends record each blob in the
`file_blob` catalogue inside the caller's transaction; `verify()` checks that everything the
catalogue lists is there and still hashes to its key. Nothing deletes a blob that something
uses: `delete()` is for a later garbage collector that knows what is referenced.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from flask import Flask, current_app
from sqlalchemy import delete, func, insert, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.extensions import db
from app.files.models import FileBlob, FileChunk
from app.timeutil import utcnow

#: Bytes per `file_chunk` row and per read/write step: a 25 MB file is never held whole.
CHUNK_SIZE = 1024 * 1024
BACKENDS = ("folder", "postgres", "auto")
_KEY = re.compile(r"[0-9a-f]{64}")


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


@dataclass(frozen=True)
class BlobRef:
    """What put() stored: the content's key and its length in bytes."""

    hash: str
    size: int


@dataclass(frozen=True)
class Problem:
    """A blob the catalogue lists whose bytes are gone ("missing") or changed ("corrupt")."""

    hash: str
    kind: str
    detail: str


class BlobMissing(LookupError):
    """No blob has this key."""


class BlobCorrupt(OSError):
    """A blob's stored bytes do not add up to what the catalogue says (a chunk gone or extra)."""


class BlobStore(Protocol):
    """The interface every backend offers; keys are sha256 hex strings."""

    name: str

    def put(self, data: bytes | Readable) -> BlobRef: ...
    def open(self, key: str) -> IO[bytes]: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def count(self) -> int: ...
    def verify(self, progress: Callable[[int], None] | None = None) -> Iterator[Problem]: ...


def check_key(key: str) -> str:
    """The key itself if it is a sha256 hex string; anything else (a path, "..") is refused."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError("A blob key is 64 lowercase hex digits.")
    return key


def _pieces(data: bytes | Readable) -> Iterator[bytes | memoryview]:
    """The content in steps of at most CHUNK_SIZE, without copying bytes or reading a stream
    whole."""
    if isinstance(data, bytes | bytearray | memoryview):
        view = memoryview(data).cast("B")
        for start in range(0, len(view), CHUNK_SIZE):
            yield view[start:start + CHUNK_SIZE]
        return
    while piece := data.read(CHUNK_SIZE):
        yield piece


class _CatalogueStore(ABC):
    """What both backends share: the `file_blob` catalogue, counting and verifying."""

    name = ""

    @abstractmethod
    def open(self, key: str) -> IO[bytes]:
        """The blob's bytes as a binary stream (each backend reads its own place)."""

    @property
    def session(self) -> Session:
        return db.session()

    def _record(self, ref: BlobRef) -> bool:
        """Add the catalogue row, or renew its `created_at` when the content is there already;
        True when this call added it.

        A concurrent put of the same content waits for the other transaction and then finds
        the row, instead of failing on the primary key. The renewed date (on PostgreSQL with
        the row held until commit) keeps `flask files gc`, which deletes only rows older than
        its grace period, from deleting content an upload is about to refer to."""
        dialect = self.session.get_bind().dialect.name
        now = utcnow()
        if dialect == "postgresql":
            # One statement inserts, or renews and locks; xmax is 0 only on a row it inserted.
            return bool(self.session.execute(postgresql.insert(FileBlob).values(
                hash=ref.hash, size=ref.size, created_at=now).on_conflict_do_update(
                index_elements=["hash"], set_={"created_at": now}).returning(
                literal_column("(xmax = 0)"))).scalar_one())
        if dialect != "sqlite":
            raise RuntimeError(f"File storage does not support {dialect} databases.")
        added = self.session.execute(sqlite.insert(FileBlob).values(
            hash=ref.hash, size=ref.size, created_at=now).on_conflict_do_nothing(
            index_elements=["hash"]).returning(FileBlob.hash)).scalar_one_or_none()
        if added is None:  # SQLite has one writer at a time: a renewed date is enough
            self.session.execute(update(FileBlob).where(FileBlob.hash == ref.hash)
                                 .values(created_at=now))
        return added is not None

    def _forget(self, key: str) -> None:
        self.session.execute(delete(FileChunk).where(FileChunk.hash == key))
        self.session.execute(delete(FileBlob).where(FileBlob.hash == key))

    def count(self) -> int:
        """How many blobs the catalogue lists."""
        return self.session.scalar(select(func.count()).select_from(FileBlob)) or 0

    def _catalogue(self, batch: int = 500) -> Iterator[tuple[str, int]]:
        """Every (key, size) in key order, a page at a time (never the whole table at once)."""
        after = ""
        while True:
            rows = self.session.execute(
                select(FileBlob.hash, FileBlob.size).where(FileBlob.hash > after)
                .order_by(FileBlob.hash).limit(batch)).all()
            if not rows:
                return
            yield from ((key, size) for key, size in rows)
            after = rows[-1][0]

    def verify(self, progress: Callable[[int], None] | None = None) -> Iterator[Problem]:
        """Re-hash every catalogued blob; yield each one that is missing or corrupt."""
        for key, size in self._catalogue():
            problem = self._check(key, size)
            if progress is not None:
                progress(1)
            if problem is not None:
                yield problem

    def _check(self, key: str, size: int) -> Problem | None:
        digest = hashlib.sha256()
        length = 0
        try:
            with self.open(key) as stream:
                while piece := stream.read(CHUNK_SIZE):
                    digest.update(piece)
                    length += len(piece)
        except BlobMissing:
            return Problem(key, "missing", "its content is not stored")
        except BlobCorrupt as error:
            return Problem(key, "corrupt", str(error))
        if digest.hexdigest() != key:
            return Problem(key, "corrupt", f"content hashes to {digest.hexdigest()[:12]}…, "
                                           f"{length} bytes (catalogue: {size})")
        if length != size:
            return Problem(key, "corrupt", f"{length} bytes, the catalogue says {size}")
        return None


class FolderStore(_CatalogueStore):
    """Blobs as files `ab/cd/<key>` under one folder (the embedded default, one host)."""

    name = "folder"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """Where a blob lives; only ever built from a checked key."""
        key = check_key(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes | Readable) -> BlobRef:
        """Store the content (once) and return its key and size."""
        self.root.mkdir(parents=True, exist_ok=True)
        # Written beside its final place and renamed into it: a reader (another worker)
        # sees the whole file or none, and a crash leaves only a `.put-*` file behind.
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".put-", suffix=".tmp")
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(handle, "wb") as out:
                for piece in _pieces(data):
                    digest.update(piece)
                    out.write(piece)
                    size += len(piece)
                out.flush()
                os.fsync(out.fileno())
            ref = BlobRef(digest.hexdigest(), size)
            target = self.path(ref.hash)
            target.parent.mkdir(parents=True, exist_ok=True)
            # Also when the file is there already: the same bytes, and a copy that was
            # damaged on disk is healed by the next upload of its content.
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._record(ref)
        return ref

    def open(self, key: str) -> IO[bytes]:
        """The blob as a binary file (close it, or use `with`)."""
        try:
            return self.path(key).open("rb")
        except FileNotFoundError as error:
            raise BlobMissing(key) from error

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the file now and the catalogue row in the caller's transaction."""
        self.path(key).unlink(missing_ok=True)
        self._forget(key)


class _ChunkReader(io.RawIOBase):
    """A blob's chunks read one at a time from the session, as a stream."""

    def __init__(self, session: Session, key: str, size: int) -> None:
        super().__init__()
        self._session, self._key, self._size = session, key, size
        self._seq = 0
        self._chunk = memoryview(b"")
        self._offset = 0
        self._delivered = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._offset >= len(self._chunk):
            data = self._session.scalar(select(FileChunk.data).where(
                FileChunk.hash == self._key, FileChunk.seq == self._seq))
            if data is None:
                if self._delivered < self._size:
                    if self._seq == 0:
                        raise BlobMissing(self._key)
                    raise BlobCorrupt(f"chunk {self._seq} is missing after "
                                      f"{self._delivered} of {self._size} bytes")
                return 0
            if self._delivered >= self._size:
                raise BlobCorrupt(f"chunk {self._seq} is beyond the blob's {self._size} bytes")
            self._chunk, self._offset = memoryview(data), 0
            self._seq += 1
        count = min(len(buffer), len(self._chunk) - self._offset)
        buffer[:count] = self._chunk[self._offset:self._offset + count]
        self._offset += count
        self._delivered += count
        return count


class PostgresStore(_CatalogueStore):
    """Blobs as 1 MiB `file_chunk` rows in the app's database, written in the caller's
    transaction: every app host shares them with no extra service.

    Meant for PostgreSQL; it runs on SQLite too, so the same tests cover it everywhere."""

    name = "postgres"

    def put(self, data: bytes | Readable) -> BlobRef:
        """Store the content (once) and return its key and size."""
        if isinstance(data, bytes | bytearray | memoryview):
            ref = BlobRef(hashlib.sha256(data).hexdigest(), memoryview(data).nbytes)
            self._store(ref, _pieces(data))
            return ref
        # The key is known only at the end of the stream: spool it (on disk beyond a chunk),
        # then insert it a chunk at a time.
        with tempfile.SpooledTemporaryFile(max_size=CHUNK_SIZE) as spool:
            digest = hashlib.sha256()
            size = 0
            for piece in _pieces(data):
                digest.update(piece)
                spool.write(piece)
                size += len(piece)
            spool.seek(0)
            ref = BlobRef(digest.hexdigest(), size)
            self._store(ref, _pieces(spool))
        return ref

    def _store(self, ref: BlobRef, pieces: Iterable[bytes | memoryview]) -> None:
        # Chunks only when this transaction added the row: after a concurrent put of the
        # same content committed, inserting them again would break their primary key.
        if not self._record(ref):
            return
        for seq, piece in enumerate(pieces):
            self.session.execute(insert(FileChunk).values(hash=ref.hash, seq=seq,
                                                          data=bytes(piece)))

    def open(self, key: str) -> IO[bytes]:
        """The blob as a binary stream, read a chunk at a time from db.session (so read it
        inside the app context, e.g. with stream_with_context for a response)."""
        size = self.session.scalar(select(FileBlob.size).where(FileBlob.hash == check_key(key)))
        if size is None:
            raise BlobMissing(key)
        return io.BufferedReader(_ChunkReader(self.session, key, size), buffer_size=CHUNK_SIZE)

    def exists(self, key: str) -> bool:
        return self.session.scalar(
            select(FileBlob.hash).where(FileBlob.hash == check_key(key))) is not None

    def delete(self, key: str) -> None:
        """Remove the blob in the caller's transaction."""
        self._forget(check_key(key))


def backend_name(app: Flask) -> str:
    """The backend FILES_BACKEND selects: "auto" is postgres on PostgreSQL, else folder."""
    choice = str(app.config.get("FILES_BACKEND") or "auto").strip().lower()
    if choice not in BACKENDS:
        raise ValueError(f"FILES_BACKEND must be one of {', '.join(BACKENDS)}, not {choice!r}.")
    if choice == "auto":
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        return "postgres" if make_url(uri).get_backend_name() == "postgresql" else "folder"
    return choice


def files_dir(app: Flask) -> str:
    """The folder backend's folder: FILES_DIR, by default `files` in the instance folder."""
    return str(app.config.get("FILES_DIR") or os.path.join(app.instance_path, "files"))


def get_store(app: Flask | None = None) -> BlobStore:
    """The configured store for this app (the current one by default)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if backend_name(app) == "postgres":
        return PostgresStore()
    return FolderStore(files_dir(app))
