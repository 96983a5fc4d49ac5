"""Keeping the search backend in step with the database.

Whoosh (the default): each commit that changes searchable things writes change-log rows in its
own transaction (app/search/log.py); nothing touches the index inside a request. One indexer
per host (app/search/worker.py) applies the log to that host's index. PostgreSQL backend: the
documents themselves are written in the committing transaction, so there is nothing to apply.
"""

from __future__ import annotations

import fcntl
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, text
from sqlalchemy.orm import Session, UOWTransaction

from app.core.search import SearchBackend, SearchIndex
from app.database import unit_of_work
from app.extensions import db
from app.registry import Registry, registry
from app.search import log, sources
from app.search.sources import Doc


def get_index(app: Flask | None = None) -> SearchBackend:
    """The app's search backend (one per process, so Whoosh's searcher is reused)."""
    # Flask types current_app as Flask, but it is a LocalProxy that has this method.
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    state = registry(app)
    if state.search_index is None:
        if uses_postgres(app):
            from app.core.search.postgres import PostgresSearch  # imports psycopg's types

            state.search_index = PostgresSearch(db.engine)
        else:
            state.search_index = SearchIndex(app.config["SEARCH_INDEX_DIR"],
                                             memory_mb=app.config.get("SEARCH_MEMORY_MB"))
    return state.search_index


def uses_postgres(app: Flask) -> bool:
    return app.config.get("SEARCH_BACKEND", "whoosh") == "postgres"


# --- capturing changes ---------------------------------------------------------------------------


def _collect(session: Session, _context: UOWTransaction) -> None:
    """After each flush (ids assigned, change lists still readable), note affected documents."""
    keys: set[str] = session.info.setdefault("search_keys", set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        keys.update(sources.keys_for(obj))


def touch(keys: list[str]) -> None:
    """Mark documents to re-index with this transaction (for changes no model row shows)."""
    db.session.info.setdefault("search_keys", set()).update(keys)


def _before_commit(session: Session) -> None:
    """Write the change into the log (Whoosh) or the documents table (PostgreSQL), in the
    same transaction as the change itself."""
    session.flush()  # run pending flushes now so their keys are collected below
    keys = session.info.pop("search_keys", set())
    if not keys or not has_app_context():
        return
    if uses_postgres(current_app):
        ordered = sorted(keys)
        # Two transactions changing what one document shows must not each write it from
        # what they saw before the other committed: whoever comes second waits here for the
        # first to commit, then reads afresh (the keys are locked in one order: no deadlock).
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest("
                             "CAST(:keys AS text[])) AS k ORDER BY k"), {"keys": ordered})
        session.expire_all()  # this transaction's own changes are flushed: reload them too
        upserts, deletes = build_documents(ordered)
        from app.core.search.postgres import PostgresSearch

        backend = get_index()
        assert isinstance(backend, PostgresSearch)
        backend.write(session.connection(), upserts, deletes)
    else:
        log.record(session, keys)


def _after_rollback(session: Session, _previous_transaction: object) -> None:
    session.info.pop("search_keys", None)


#: Listeners on the Session class: SQLAlchemy keeps them, so one of each serves every app.
_SESSION_HOOKS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("after_flush", _collect), ("before_commit", _before_commit),
    ("after_soft_rollback", _after_rollback))


def install(app: Flask) -> None:
    """Hook change capture into every session, and start this host's indexer if configured."""
    for name, listener in _SESSION_HOOKS:
        # Asked of SQLAlchemy itself rather than a flag of ours, so a second app adds none.
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    if not app.config.get("TESTING"):
        from app.search import worker

        @app.before_request
        def start_indexer() -> None:
            # Each process starts its own (gunicorn forks after create_app; its config file
            # starts them before the first request): one of them wins the host's indexer lock
            # and indexes, the others stand by to take over.
            worker.start_in_process(app)


def build_documents(keys: list[str]) -> tuple[list[Doc], list[str]]:
    """Current documents for `keys` (batched per kind), and the keys to delete."""
    by_kind: dict[str, list[int]] = {}
    for key in keys:
        kind, _, raw_id = key.partition(":")
        if raw_id.isdigit():
            by_kind.setdefault(kind, []).append(int(raw_id))
    upserts = [doc for kind, ids in by_kind.items() for doc in sources.build_batch(kind, ids)]
    found = {doc["key"] for doc in upserts}
    return upserts, [key for key in keys if key not in found]


# --- applying the log ----------------------------------------------------------------------------


#: Seconds between this process's prunings of the log (from the indexer's heartbeat).
PRUNE_EVERY = 60.0

#: What catch_up() returns when the index writer stayed busy (a rebuild swapping in).
BUSY = -1


def catch_up(limit: int = 500, timeout: float | None = None) -> int:
    """Apply the log after this index's position; returns documents applied, or BUSY.

    Documents are built inside the index's write lock, from a fresh read of the database, so
    of two appliers the later one always writes the newer text; each document also carries
    the log id it was built for, and the index never replaces a newer one with an older one.
    """
    # Flask types current_app as Flask, but it is a LocalProxy that has this method.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if uses_postgres(app):
        return 0
    index = get_index(app)
    assert isinstance(index, SearchIndex)
    timeout = app.config.get("SEARCH_WRITE_TIMEOUT", 1.0) if timeout is None else timeout
    state = registry(app)
    applied = 0
    moved_to: int | None = None
    while True:
        result = _apply_batch(app, index, state, limit, timeout)
        if result is None:
            break
        count, position, more = result
        if count == BUSY:
            if not applied:
                return BUSY
            break
        applied += count
        moved_to = position
        if not more:
            break
    if moved_to is not None:  # once per call: `flask search status` and pruning read it
        with unit_of_work():
            log.register(log.reader_name(app), moved_to, index.count(), applied=applied > 0)
    return applied


def _apply_batch(app: Flask, index: SearchIndex, state: Registry, limit: int, timeout: float
                 ) -> tuple[int, int, bool] | None:
    """Apply one batch: (documents applied or BUSY, the index's position now, more to read?);
    None when there is nothing to do (or no index yet: ensure_index builds one)."""
    while True:
        position = index.position()
        if position is None:
            return None
        if position < log.pruned_to():
            # Silent for so long that the entries it missed were pruned: start again.
            app.logger.warning("search index %s fell behind the pruned log; rebuilding",
                               index.path)
            rebuild()
            continue
        batch = state.search_cursor.next_batch(position, limit)
        db.session.rollback()  # end this read; the documents are read afresh under the lock
        if batch is None:
            return None

        def build(keys: list[str] = batch.keys) -> tuple[list[Doc], list[str]]:
            db.session.rollback()  # a new snapshot, taken now that the writer lock is held
            # Stamped with the newest log entry this snapshot sees: builds under the lock
            # happen one after another, so the numbers only grow (a log id of the key's own
            # rows would not: ids can commit out of order).
            seq = log.newest_id()
            upserts, deletes = build_documents(keys)
            for doc in upserts:
                doc["seq"] = seq
            db.session.rollback()
            return upserts, deletes

        outcome = index.update(build, from_position=position, position=batch.position,
                               timeout=timeout)
        if outcome == "busy":
            return BUSY, position, False
        if outcome == "moved":  # a rebuild swapped in meanwhile: read its position again
            state.search_cursor = log.Cursor()
            continue
        state.search_cursor.done(batch)
        return len(batch.keys), batch.position, len(batch.ids) >= limit


def heartbeat(app: Flask) -> None:
    """Say this index is alive (and where it is), and prune what every index has read."""
    index = get_index(app)
    if not isinstance(index, SearchIndex):
        return
    position = index.position()
    if position is None:
        return
    with unit_of_work():
        log.register(log.reader_name(app), position, index.count(), applied=False)
    # Pruning from every host at each heartbeat would only contend; once a minute is plenty.
    state = registry(app)
    if time.monotonic() - state.search_pruned_at > PRUNE_EVERY:
        state.search_pruned_at = time.monotonic()
        with unit_of_work():
            log.prune(forget_after=_days(app.config.get("SEARCH_FORGET_DAYS", 7)))


def _days(value: float) -> timedelta:
    return timedelta(days=float(value))


def pending_count() -> int:
    """Log entries this host's index has still to apply (0 for the PostgreSQL backend)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if uses_postgres(app):
        return 0
    index = get_index(app)
    assert isinstance(index, SearchIndex)
    return log.pending_after(index.position() or 0)


# --- rebuilding and verifying --------------------------------------------------------------------


@dataclass
class VerifyReport:
    checked: int
    missing: list[str]
    stale: list[str]
    extra: list[str]

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def expected_documents(keys: list[str] | None = None,
                       progress: Callable[[int], None] | None = None) -> Iterator[Doc]:
    """Documents the database says should be indexed (all of them, or those of `keys`)."""
    from app.search import rebuild as batched

    if keys is None:
        yield from batched.iter_documents(progress)
        return
    for start in range(0, len(keys), 500):
        upserts, _deletes = build_documents(keys[start:start + 500])
        yield from upserts
        if progress:
            progress(len(keys[start:start + 500]))


def rebuild(progress: Callable[[int], None] | None = None) -> int:
    """Build a new index from the database beside the live one and swap it in.

    Searches keep answering from the live index, and the host's indexer keeps applying the
    log to it, until the swap; the new index then applies every entry after the position its
    snapshot stands for, so changes made during the rebuild are not lost.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    index = get_index(app)
    if not isinstance(index, SearchIndex):
        return index.rebuild(expected_documents(progress=progress))
    lock_path = str(index.path) + ".rebuild.lock"
    os.makedirs(os.path.dirname(lock_path) or ".", exist_ok=True)
    with open(lock_path, "w") as handle:
        # One rebuild at a time across processes; later callers wait, then rebuild again.
        fcntl.flock(handle, fcntl.LOCK_EX)
        name = log.reader_name(app)
        with unit_of_work():
            position = log.rebuild_start()
            # Held as a reader while it runs, so the log is not pruned past its start.
            log.register(f"{name} (rebuilding)", position, 0, applied=False)
        try:
            # The total lets the index write with two processes on a large database (its
            # analysis is the costly part; the batched reads are cheap in one process).
            total = sum(1 for _ in sources.all_keys())
            count = index.rebuild(expected_documents(progress=progress), total=total,
                                  position=position)
            db.session.rollback()
        finally:
            with unit_of_work():
                log.forget(f"{name} (rebuilding)")
    with unit_of_work():
        log.register(name, position, count, applied=True)
    return count


def verify(sample: int | None = None) -> VerifyReport:
    """Compare the index with the database: missing, stale and extra documents.

    With `sample`, that many random keys of the database are checked (extra documents are
    then not looked for); without it, everything.
    """
    indexed = get_index().versions()
    if sample is None:
        expected = {doc["key"]: doc["version"] for doc in expected_documents()}
        extra = sorted(k for k in indexed if k not in expected)
    else:
        every = list(sources.all_keys())
        keys = random.sample(every, min(sample, len(every)))
        expected = {doc["key"]: doc["version"] for doc in expected_documents(keys)}
        extra = []
    missing = sorted(k for k in expected if k not in indexed)
    stale = sorted(k for k in expected if k in indexed and indexed[k] != expected[k])
    return VerifyReport(len(expected), missing, stale, extra)


def ensure_index(app: Flask) -> str:
    """Make sure an index exists: 'ok', or 'rebuilding' while a rebuild runs in the background."""
    index = get_index(app)
    if index.exists() and index.is_healthy():
        return "ok"
    mode = app.config.get("SEARCH_AUTO_REBUILD", "thread")
    if mode == "off":
        return "missing"
    if mode == "sync":
        rebuild()
        return "ok"
    lock = registry(app).rebuild_lock
    if lock.acquire(blocking=False):
        def work() -> None:
            try:
                with app.app_context():
                    rebuild()
            except Exception:
                app.logger.exception("Automatic search rebuild failed")
            finally:
                lock.release()

        threading.Thread(target=work, name="search-rebuild", daemon=True).start()
    return "rebuilding"
