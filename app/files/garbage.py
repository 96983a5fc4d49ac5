"""Stored content nothing uses: listed by `flask files verify`, deleted by `flask files gc`.

Two kinds of garbage appear in normal running:

- *unused blobs*: catalogue rows no attachment version names (content stored by a request
  whose version was never kept, e.g. a later check refused it);
- *stray files* (folder store only): blob files or `.put-*` temporary files no catalogue row
  names, left by a request that rolled back after writing its file, or by a crash.

Versions are never deleted (a removed attachment can be restored, and plan revisions name the
versions they had), so a blob any version names is never garbage. Only content older than a
grace period is collected: an upload in flight has written its file (and, on the folder store,
its catalogue row is not committed yet) a moment ago, and a put of content already stored
renews its row's date (see `_CatalogueStore._record`). Each blob is deleted in its own short
transaction, under a lock on PostgreSQL, with the guards re-checked inside the statement.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import delete, exists, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from app.database import unit_of_work
from app.extensions import db
from app.files.models import AttachmentVersion, FileBlob, FileChunk
from app.files.storage import BlobStore, FolderStore, check_key
from app.timeutil import aware, utcnow

#: How old unused content must be before `flask files gc` deletes it: far longer than any
#: upload request takes, so content an upload is storing right now is never collected.
DEFAULT_GRACE = timedelta(hours=1)
_BATCH = 500


@dataclass(frozen=True)
class Garbage:
    """An unused blob ("unused") or a file the catalogue does not name ("stray")."""

    kind: str
    #: The blob's key, or a stray file's path relative to the store's folder.
    name: str
    size: int
    stored_at: datetime


@dataclass
class Collected:
    """What a collection did."""

    deleted: list[Garbage] = field(default_factory=list)
    #: Unused, but younger than the grace period (or in use again by the time it was locked).
    kept: int = 0

    @property
    def freed(self) -> int:
        return sum(item.size for item in self.deleted)


def _unreferenced() -> ColumnElement[bool]:
    """No attachment version (of any attachment, removed ones included) names the blob."""
    return ~exists().where(AttachmentVersion.blob_hash == FileBlob.hash)


def _unused_rows() -> Iterator[tuple[str, int, datetime]]:
    """(key, size, stored at) of every catalogue row no version names, a page at a time."""
    after = ""
    while True:
        rows = db.session.execute(
            select(FileBlob.hash, FileBlob.size, FileBlob.created_at)
            .where(FileBlob.hash > after, _unreferenced())
            .order_by(FileBlob.hash).limit(_BATCH)).all()
        if not rows:
            return
        yield from ((key, size, aware(at)) for key, size, at in rows)
        after = rows[-1][0]


def _mtime(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except FileNotFoundError:
        return None


def _folder_files(store: FolderStore) -> Iterator[tuple[str | None, Path]]:
    """(key or None for a temporary file, path) of every file the store made in its folder;
    anything else there (not named as the store names files) is left alone."""
    root = store.root
    if not root.is_dir():
        return
    for entry in os.scandir(root):
        if entry.is_file() and entry.name.startswith(".put-") and entry.name.endswith(".tmp"):
            yield None, Path(entry.path)
    for first in sorted(p for p in root.iterdir() if p.is_dir() and len(p.name) == 2):
        for second in sorted(p for p in first.iterdir() if p.is_dir() and len(p.name) == 2):
            for path in sorted(second.iterdir()):
                try:
                    key = check_key(path.name)
                except ValueError:
                    continue
                if path.is_file() and key.startswith(first.name + second.name):
                    yield key, path


def _stray_files(store: FolderStore) -> Iterator[Garbage]:
    """Files in the folder that no catalogue row names, checked a batch at a time."""
    batch: list[tuple[str | None, Path]] = []

    def judged() -> Iterator[Garbage]:
        keys = [key for key, _ in batch if key is not None]
        known = set(db.session.scalars(select(FileBlob.hash).where(FileBlob.hash.in_(keys)))
                    ) if keys else set()
        for key, path in batch:
            stored_at = _mtime(path)
            if (key is None or key not in known) and stored_at is not None:
                yield Garbage("stray", path.relative_to(store.root).as_posix(),
                              path.stat().st_size, stored_at)
        batch.clear()

    for item in _folder_files(store):
        batch.append(item)
        if len(batch) >= _BATCH:
            yield from judged()
    yield from judged()


def find(store: BlobStore) -> Iterator[Garbage]:
    """Everything unused in the store, young or old (the caller decides what to do)."""
    for key, size, stored_at in _unused_rows():
        yield Garbage("unused", key, size, stored_at)
    if isinstance(store, FolderStore):
        yield from _stray_files(store)


class _Kept(Exception):
    """The row is in use again, renewed or gone: leave it (its transaction rolls back)."""


def _delete_row(key: str, cutoff: datetime) -> bool:
    """Delete one unused catalogue row (and its chunks) older than `cutoff`, in its own
    transaction; False when it is in use again, renewed, or gone."""
    guards = (FileBlob.hash == key, FileBlob.created_at < cutoff,
              _unreferenced())
    try:
        with unit_of_work() as session:
            if session.get_bind().dialect.name == "postgresql":
                # Wait for an upload that renewed the row; then its new date fails the guard.
                if session.scalar(select(FileBlob.hash).where(*guards)
                                  .with_for_update()) is None:
                    raise _Kept()
            # The chunk delete comes first (they name the row) and, on SQLite, takes the one
            # writer lock, so both statements judge the same committed state.
            session.execute(delete(FileChunk).where(
                FileChunk.hash == key, exists().where(*guards)))
            gone = cast(CursorResult[Any], session.execute(delete(FileBlob).where(*guards)))
            if not gone.rowcount:
                raise _Kept()
        return True
    except (_Kept, IntegrityError, DBAPIError):
        # A version committed meanwhile names it (foreign key), or the database was busy.
        return False


def _delete_file(path: Path, cutoff: datetime) -> bool:
    """Delete a blob file unless a put rewrote it after `cutoff`.

    It is moved aside first, so the age is judged on the very file that goes: a put that
    replaced it meanwhile wrote the same content, and that copy is put back."""
    aside = path.with_name(f".gc-{path.name}")
    try:
        os.replace(path, aside)
    except FileNotFoundError:
        return False
    moved_at = _mtime(aside)
    if moved_at is not None and moved_at >= cutoff:
        os.replace(aside, path)
        return False
    aside.unlink(missing_ok=True)
    return True


def _named(key: str) -> bool:
    """Whether a catalogue row or any attachment version names this key now."""
    return bool(db.session.get(FileBlob, key) is not None or db.session.scalar(
        select(exists().where(AttachmentVersion.blob_hash == key))))


def collect(store: BlobStore, found: Iterable[Garbage], *, grace: timedelta = DEFAULT_GRACE,
            dry_run: bool = False, progress: Callable[[int], None] | None = None) -> Collected:
    """Delete what `find` found that is older than `grace`, checking again as each goes (a
    version may name it by now, or an upload may have stored it again); never content any
    version names. Commits after each blob, so a long run holds no lock for long."""
    cutoff = utcnow() - grace
    done = Collected()
    folder = store if isinstance(store, FolderStore) else None
    db.session.rollback()  # nothing held from finding
    for item in found:
        if progress is not None:
            progress(1)
        if item.stored_at >= cutoff:
            done.kept += 1
        elif dry_run:
            done.deleted.append(item)
        elif item.kind == "unused" and _collect_blob(folder, item.name, cutoff):
            done.deleted.append(item)
        elif item.kind == "stray" and folder is not None and _collect_stray(
                folder, item.name, cutoff):
            done.deleted.append(item)
        else:
            done.kept += 1
    return done


def _collect_blob(folder: FolderStore | None, key: str, cutoff: datetime) -> bool:
    path = folder.path(key) if folder is not None else None
    written = _mtime(path) if path is not None else None
    if written is not None and written >= cutoff:  # a put is storing it again right now
        return False
    if not _delete_row(key, cutoff):
        return False
    if path is not None:
        _delete_file(path, cutoff)
    return True


def _collect_stray(folder: FolderStore, name: str, cutoff: datetime) -> bool:
    path = folder.root / name
    if not path.name.startswith(".put-"):
        named = _named(check_key(path.name))
        db.session.rollback()
        if named:  # a put committed its row meanwhile
            return False
    return _delete_file(path, cutoff)
