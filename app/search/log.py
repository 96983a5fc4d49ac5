"""The search change log: written with each change, read by every index from its own position.

Each commit that changes searchable things adds one row per affected document key (in the same
transaction, so a change and its log entry commit or roll back together). Every index — one
per host — reads the rows after its position, rebuilds those documents from the database and
moves its position forward. Rows are deleted only when every registered index is past them.

Ids come from a sequence, so on PostgreSQL a transaction that took id 7 can commit after one
that took id 8: a reader that saw 8 must not jump past 7. `Cursor` keeps such gaps open for a
few seconds (a gap that stays is a rolled-back transaction) and only then moves past them.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.extensions import db
from app.search.models import SearchLog, SearchReader
from app.timeutil import utcnow

#: How long a missing id is waited for before it is taken as a rolled-back transaction.
GAP_WAIT = 5.0
#: The reader row that remembers how far the log has been pruned (not an index).
PRUNED = "(pruned)"
#: Entries this young are applied again after a rebuild, whatever the rebuild's snapshot saw
#: (a transaction's log rows are written just before it commits: seconds are plenty).
REBUILD_OVERLAP = timedelta(seconds=GAP_WAIT)


def record(session: Session, keys: Iterable[str]) -> None:
    """Add log rows for `keys` to the session's transaction."""
    session.add_all(SearchLog(key=key) for key in sorted(set(keys)))


def reader_name(app: Flask) -> str:
    """This index's name in the log: the host and the index directory, unless configured."""
    configured = app.config.get("SEARCH_INDEX_NAME")
    if configured:
        return str(configured)
    return f"{socket.gethostname()}:{os.path.realpath(app.config['SEARCH_INDEX_DIR'])}"


@dataclass
class Batch:
    """Log entries to apply: the keys, and the position to record once they are in the index."""

    keys: list[str]
    position: int
    ids: list[int]


@dataclass
class Cursor:
    """Reads the log after an index's position, keeping young gaps open (see the module doc).

    Safe to share between threads (the indexer thread, a CLI command, tests).
    """

    #: Ids above the position that are already applied (so a gap does not re-apply them).
    applied: set[int] = field(default_factory=set)
    #: Missing ids above the position, with when they were first seen missing.
    gaps: dict[int, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def next_batch(self, position: int, limit: int = 500) -> Batch | None:
        rows = list(db.session.execute(
            select(SearchLog.id, SearchLog.key).where(SearchLog.id > position)
            .order_by(SearchLog.id).limit(limit)))
        with self._lock:
            self.applied = {i for i in self.applied if i > position}
            self.gaps = {i: t for i, t in self.gaps.items() if i > position}
            fresh = [(i, k) for i, k in rows if i not in self.applied]
            new_position = self._low_water(position, [i for i, _k in rows])
        if not fresh and new_position == position:
            return None
        keys = list(dict.fromkeys(key for _id, key in fresh))
        return Batch(keys, new_position, [i for i, _k in fresh])

    def done(self, batch: Batch) -> None:
        with self._lock:
            self.applied.update(i for i in batch.ids if i > batch.position)

    def _low_water(self, position: int, ids: list[int]) -> int:
        """The highest id such that every id up to it is read or an old gap."""
        now = time.monotonic()
        present = set(ids)
        top = max(ids) if ids else position
        # Every missing id starts waiting now, together (one rolled-back transaction that
        # took many ids must cost one GAP_WAIT, not one per id).
        for candidate in range(position + 1, top + 1):
            if candidate not in present:
                self.gaps.setdefault(candidate, now)
        low = position
        for candidate in range(position + 1, top + 1):
            if candidate not in present and now - self.gaps[candidate] < GAP_WAIT:
                break
            low = candidate
        return low


def register(name: str, position: int, documents: int, applied: bool) -> None:
    """Record where an index is (its heartbeat too); creates its row on first use.

    An insert that does nothing when the row exists, then an update: two threads or hosts
    registering the same new name at once must not fail on the primary key.
    """
    now = utcnow()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(SearchReader).values(
        name=name, host=socket.gethostname(), position=position, documents=documents,
        seen_at=now).on_conflict_do_nothing(index_elements=["name"]))
    values: dict[str, object] = {"position": position, "documents": documents, "seen_at": now}
    if applied:
        values["applied_at"] = now
    db.session.execute(update(SearchReader).where(SearchReader.name == name).values(**values))


def forget(name: str) -> None:
    db.session.execute(delete(SearchReader).where(SearchReader.name == name))


def pruned_to() -> int:
    """Log entries up to this id are gone; an index behind it must be rebuilt."""
    row = db.session.get(SearchReader, PRUNED)
    return row.position if row is not None else 0


def prune(forget_after: timedelta) -> int:
    """Delete entries every live index has read; an index silent for `forget_after` is not
    waited for (it rebuilds when it comes back, see `pruned_to`). Returns rows deleted."""
    cutoff = utcnow() - forget_after
    upto = db.session.scalar(select(func.min(SearchReader.position)).where(
        SearchReader.name != PRUNED, SearchReader.seen_at >= cutoff))
    if not upto:
        return 0
    result = db.session.execute(delete(SearchLog).where(SearchLog.id <= upto))
    deleted = getattr(result, "rowcount", 0)
    marker = db.session.get(SearchReader, PRUNED)
    if marker is None:
        db.session.add(SearchReader(name=PRUNED, host="", position=upto, seen_at=utcnow()))
    elif marker.position < upto:
        marker.position = upto
    return int(deleted or 0)


def rebuild_start() -> int:
    """The position a rebuild's snapshot stands for, taken before it reads anything.

    Entries from the last REBUILD_OVERLAP are left after it, so a transaction that committed
    while the snapshot was taken is applied again after the swap (applying twice is harmless).
    """
    # Not "the oldest recent id - 1": an id still being committed has no row yet to be seen.
    start = int(db.session.scalar(select(func.max(SearchLog.id)).where(
        SearchLog.created_at < utcnow() - REBUILD_OVERLAP)) or 0)
    # Never behind the pruned end: those entries cannot be re-read, and the snapshot, taken
    # after they committed, has them anyway.
    return max(start, pruned_to())


@dataclass
class ReaderStatus:
    name: str
    host: str
    position: int
    pending: int
    documents: int
    applied_at: datetime | None
    seen_at: datetime


def status() -> list[ReaderStatus]:
    """Every registered index with the log entries it has still to apply."""
    out = []
    for reader in db.session.scalars(select(SearchReader).where(SearchReader.name != PRUNED)
                                     .order_by(SearchReader.name)):
        pending = db.session.scalar(select(func.count()).select_from(SearchLog)
                                    .where(SearchLog.id > reader.position)) or 0
        out.append(ReaderStatus(reader.name, reader.host, reader.position, pending,
                                reader.documents, reader.applied_at, reader.seen_at))
    return out


def newest_id() -> int:
    """The newest log entry this transaction can see (documents built now are at least this
    new, so it orders them: a document built later never carries a smaller number)."""
    return int(db.session.scalar(select(func.max(SearchLog.id))) or 0)


def pending_after(position: int) -> int:
    return db.session.scalar(select(func.count()).select_from(SearchLog)
                             .where(SearchLog.id > position)) or 0


def entries() -> int:
    return db.session.scalar(select(func.count()).select_from(SearchLog)) or 0
