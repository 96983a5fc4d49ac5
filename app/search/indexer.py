"""Keeping the index in step with the database: outbox, drain after commit, rebuild, verify."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from flask import Flask, Response, current_app, g, has_request_context
from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session, UOWTransaction

from app.core.search import SearchIndex
from app.database import unit_of_work
from app.extensions import db
from app.registry import registry
from app.search import sources
from app.search.models import SearchOutbox
from app.search.sources import Doc


def get_index(app: Flask | None = None) -> SearchIndex:
    """The app's index object (one per process, so its searcher is reused)."""
    # Flask types current_app as Flask, but it is a LocalProxy that has this method.
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    state = registry(app)
    if state.search_index is None:
        state.search_index = SearchIndex(app.config["SEARCH_INDEX_DIR"])
    return state.search_index


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
    """Write outbox rows in the same transaction as the change they describe."""
    session.flush()  # run pending flushes now so their keys are collected below
    keys = session.info.pop("search_keys", set())
    if keys:
        session.add_all(SearchOutbox(key=key) for key in sorted(keys))
        session.info["search_pending"] = True


def _after_commit(session: Session) -> None:
    if session.info.pop("search_pending", False) and has_request_context():
        g.search_pending = True


def _after_rollback(session: Session, _previous_transaction: object) -> None:
    session.info.pop("search_keys", None)
    session.info.pop("search_pending", None)


#: Listeners on the Session class: SQLAlchemy keeps them, so one of each serves every app.
_SESSION_HOOKS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("after_flush", _collect), ("before_commit", _before_commit),
    ("after_commit", _after_commit), ("after_soft_rollback", _after_rollback))


def install(app: Flask) -> None:
    """Hook outbox writing into every session, and drain after each request that wrote."""
    for name, listener in _SESSION_HOOKS:
        # Asked of SQLAlchemy itself rather than a flag of ours, so a second app adds none.
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)

    @app.after_request
    def drain_after_commit(response: Response) -> Response:
        # After the response has gone: the person who saved does not wait for the index.
        if g.pop("search_pending", False):
            # Flask types current_app as Flask, but it is a LocalProxy that has this method.
            this_app = current_app._get_current_object()  # type: ignore[attr-defined]
            response.call_on_close(partial(_drain_after_response, this_app))
        return response


def _drain_after_response(app: Flask) -> None:
    with app.app_context():
        try:
            if drain() == BUSY:
                retry_later(app)
        except Exception:  # the outbox keeps the work; never fail anything for it
            app.logger.exception("Search indexing failed; it will be retried")
            db.session.rollback()
        finally:
            db.session.remove()


def retry_later(app: Flask, delay: float = 0.3, attempts: int = 20) -> None:
    """Another process had the index writer: try again shortly, off the request thread."""

    def attempt(left: int) -> None:
        with app.app_context():
            try:
                done = drain() != BUSY
            except Exception:
                app.logger.exception("Search indexing retry failed")
                done = False
            finally:
                db.session.remove()
        if not done and left > 1:
            _start(left - 1)

    def _start(left: int) -> None:
        timer = threading.Timer(delay, attempt, args=(left,))
        timer.daemon = True
        registry(app).search_retries.append(timer)
        timer.start()

    _start(attempts)


def stop_retries(app: Flask) -> None:
    """Cancel and wait for pending retries (at shutdown, and between tests)."""
    timers = registry(app).search_retries
    while timers:
        timer = timers.pop()
        timer.cancel()
        timer.join(timeout=5)


# --- applying -----------------------------------------------------------------------------------


#: What drain() returns when another process held the index writer throughout.
BUSY = -1


def drain(limit: int = 500, timeout: float | None = None) -> int:
    """Apply pending outbox rows to the index; returns how many were applied, or BUSY.

    When another process holds the index writer this gives up after `timeout`; the rows stay
    in the outbox and whichever process gets the writer next applies them.
    """
    index = get_index()
    if not index.exists():
        return 0
    timeout = current_app.config.get("SEARCH_WRITE_TIMEOUT", 1.0) if timeout is None else timeout
    rows = list(db.session.execute(select(SearchOutbox.id, SearchOutbox.key)
                                   .order_by(SearchOutbox.id).limit(limit)))
    if not rows:
        return 0
    keys = list(dict.fromkeys(key for _id, key in rows))
    upserts, deletes = [], []
    for key in keys:
        doc = sources.build(key)
        if doc is None:
            deletes.append(key)
        else:
            upserts.append(doc)
    if not index.apply(upserts, deletes, timeout=timeout):
        db.session.rollback()
        return BUSY
    # The outbox consumer is a unit of work of its own (after a response, in a CLI command,
    # or before a search page reads, where the request has nothing else pending).
    with unit_of_work():
        db.session.execute(delete(SearchOutbox)
                           .where(SearchOutbox.id.in_([i for i, _k in rows])))
    return len(keys)


def pending_count() -> int:
    return db.session.scalar(select(func.count()).select_from(SearchOutbox)) or 0


@dataclass
class VerifyReport:
    missing: list[str]
    stale: list[str]
    extra: list[str]

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def expected_documents(progress: Callable[[int], None] | None = None) -> Iterator[Doc]:
    """Every document the database says should be indexed, built fresh."""
    for key in sources.all_keys():
        doc = sources.build(key)
        if progress:
            progress(1)
        if doc is not None:
            yield doc


def rebuild(progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index from the database (the index is only a cache)."""
    index = get_index()
    lock_path = str(index.path) + ".rebuild.lock"
    os.makedirs(os.path.dirname(lock_path) or ".", exist_ok=True)
    with open(lock_path, "w") as handle:
        # One rebuild at a time across processes; later callers wait, then rebuild again.
        fcntl.flock(handle, fcntl.LOCK_EX)
        count = index.rebuild(expected_documents(progress), total=None)
        # Anything committed meanwhile is still in the outbox: applying it again is harmless.
        drain()
    return count


def verify() -> VerifyReport:
    """Compare the index with the database: missing, stale and extra documents."""
    indexed = get_index().versions()
    expected = {doc["key"]: doc["version"] for doc in expected_documents()}
    missing = sorted(k for k in expected if k not in indexed)
    stale = sorted(k for k in expected if k in indexed and indexed[k] != expected[k])
    extra = sorted(k for k in indexed if k not in expected)
    return VerifyReport(missing, stale, extra)


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
