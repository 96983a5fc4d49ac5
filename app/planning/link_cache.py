"""Plan fields' HTML with wiki links resolved, cached per (revision, field, reader class, epoch).

A revision's HTML is rendered once, when it is saved (Revision.html). What still differs per
reader is its `[[wiki links]]`: each resolves only to what that reader may see. Resolving
costs a query per link, so the resolved HTML is kept in each worker's memory, keyed by:

- the revision and field (a revision never changes);
- the reader's class (app.visibility.reader_class): people with the same class see the
  same plans, so they may share an entry; people of two schools never share one;
- the links epoch, a counter in the database that every change able to alter a resolution
  moves in the same transaction (a sequence's or lesson's title, place, visibility or archive
  state; any material). Pages read it in their own query, so an entry made before a rename
  is never used after it, on any worker or host.

An entry is only ever reused, never trusted beyond its key; a miss resolves afresh.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from functools import partial
from typing import Any

from sqlalchemy import BigInteger, event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from app import visibility
from app.accounts.models import User, WorkGroup
from app.core.markdown import (
    LinkTarget,
    SafeHtml,
    has_wiki_links,
    resolve_links,
    rewrap_stored,
)
from app.core.search.budget import Budget  # a plain byte-bounded LRU, nothing search-specific
from app.extensions import Model
from app.materials.models import Material
from app.planning.links import create_url, link_resolver
from app.planning.models import Lesson, Sequence
from app.registry import registry
from app.revisions.models import Revision

#: Bytes of resolved HTML one worker keeps.
CACHE_BYTES = 16 * 1024 * 1024

#: Attributes whose change can make a link resolve differently (None: any attribute). Both
#: the column and its relationship: a move sets `lesson.sequence`, and its `sequence_id`
#: changes only during the flush, after the hook has looked.
WATCHED: dict[type, frozenset[str] | None] = {
    Sequence: frozenset({"title", "archived_at", "visibility", "school_id", "school",
                         "work_group_id", "work_group", "created_at"}),
    Lesson: frozenset({"title", "archived_at", "sequence_id", "sequence", "position"}),
    WorkGroup: frozenset({"hub_id", "hub"}),
    Material: None,
}

#: Set on the session when its transaction changed something a link can name.
_CHANGED = "coplan_links_changed"


class LinksEpoch(Model):
    """One row (id 1): moves whenever a wiki link could resolve differently."""

    __tablename__ = "links_epoch"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


def epoch_column() -> Any:
    """A scalar subquery for a page's own query: the current epoch (0 before any change)."""
    return select(LinksEpoch.value).where(LinksEpoch.id == 1).scalar_subquery()


def _relevant(session: Session) -> bool:
    for obj in (*session.new, *session.deleted):
        if type(obj) in WATCHED:
            return True
    for obj in session.dirty:
        watched = WATCHED.get(type(obj), frozenset())
        if watched is None and session.is_modified(obj):
            return True
        if watched:
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in watched):
                return True
    return False


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    # Only noted here; the counter moves at commit (see _before_commit).
    if not session.info.get(_CHANGED) and _relevant(session):
        session.info[_CHANGED] = True


def _before_commit(session: Session) -> None:
    """Move the epoch as the transaction's last write, once per transaction.

    Last, because the one row is locked until the commit ends: taken after the document locks
    a save holds, two transactions can never wait for each other on it (taken at the first
    flush, adding a lesson and moving another out of the same sequence deadlocked on
    PostgreSQL), and it is held only while the commit runs."""
    session.flush()
    if not session.info.pop(_CHANGED, False):
        return
    connection = session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(LinksEpoch).values(id=1, value=1)
    connection.execute(stmt.on_conflict_do_update(
        index_elements=[LinksEpoch.id], set_={"value": LinksEpoch.value + 1}))


def _transaction_ended(session: Session, *_args: Any) -> None:
    session.info.pop(_CHANGED, None)


def install() -> None:
    """Move the epoch in every transaction that changes something a link can name."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_commit", _transaction_ended)
        event.listen(Session, "after_rollback", _transaction_ended)


class LinkCache:
    """The per-worker store; thread-safe (a worker may serve with threads)."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self._entries = Budget(max_bytes)
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_make(self, key: Hashable, make: Callable[[], SafeHtml]) -> SafeHtml:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self.hits += 1
                return rewrap_stored(found)
            self.misses += 1
        made = make()
        with self._lock:
            # Kept as str; handed out re-wrapped, as it left the one HTML door.
            self._entries.put(key, str(made))
        return made


def resolved_fields(user: User, head: Revision, keys: list[str], epoch: int | None
                    ) -> dict[str, SafeHtml]:
    """The revision's non-empty fields as HTML for this reader, wiki links resolved."""
    cache = registry().link_cache
    assert cache is not None  # planning's init_app makes it
    out: dict[str, SafeHtml] = {}
    # Worked out only when a field has links.
    reader: tuple[Any, ...] | None = None
    resolve: Callable[[str, str], LinkTarget | None] | None = None
    for key in keys:
        stored = head.html.get(key)
        if not stored:
            continue
        if not has_wiki_links(stored):
            out[key] = rewrap_stored(stored)  # nothing reader-specific in it
            continue
        reader = reader or visibility.reader_class(user)
        resolve = resolve or link_resolver(user)
        out[key] = cache.get_or_make((head.id, key, reader, epoch or 0),
                                     partial(_resolve, stored, resolve))
    return out


def _resolve(stored: str, resolve: Callable[[str, str], LinkTarget | None]) -> SafeHtml:
    return resolve_links(rewrap_stored(stored), resolve, create_url)
