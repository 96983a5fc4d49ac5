"""Presence: who else has a plan open in the editor right now. A hint, never a lock.

The editor page records a heartbeat when it opens and (with JavaScript) every ~20 seconds;
closing it sends a "leave". A heartbeat older than PRESENCE_WINDOW is ignored, so an editor
that went silent (a closed laptop, a lost connection) disappears on its own. Saves never read
this table: the three-way merge on save stays the safety net.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from app.accounts.models import User
from app.extensions import db
from app.planning.models import EditPresence

#: How long a heartbeat counts: three missed beats of the editor's 20-second rhythm.
PRESENCE_WINDOW = timedelta(seconds=60)
#: Joins names in one SQL string; no display name contains this control character.
SEPARATOR = "\x1f"


def beat(user_id: int, document_id: int, now: datetime) -> None:
    """Record that the user has the document's editor open at `now` (the caller commits).

    One INSERT ... ON CONFLICT DO UPDATE, so two tabs beating at once cannot clash."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(EditPresence).values(user_id=user_id, document_id=document_id, last_seen=now)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=[EditPresence.user_id, EditPresence.document_id],
        set_={"last_seen": stmt.excluded.last_seen}))


def leave(user_id: int, document_id: int) -> None:
    """The user closed the editor: they are no longer shown to others."""
    db.session.execute(delete(EditPresence).where(EditPresence.user_id == user_id,
                                                  EditPresence.document_id == document_id))


def since(now: datetime) -> datetime:
    """The oldest heartbeat that still counts at `now`."""
    return now - PRESENCE_WINDOW


def editors_column(document_id: Any, reader_id: Any, cutoff: Any) -> Any:
    """Names of others with the document open since `cutoff`, joined by SEPARATOR: a scalar
    subquery that a page query adds to its one row (no statement of its own)."""
    return (select(func.aggregate_strings(User.display_name, SEPARATOR))
            .join(EditPresence, EditPresence.user_id == User.id)
            .where(EditPresence.document_id == document_id, EditPresence.user_id != reader_id,
                   EditPresence.last_seen >= cutoff)
            .scalar_subquery())


def names(joined: str | None) -> list[str]:
    """The names from editors_column, sorted for a stable sentence."""
    return sorted(set(filter(None, (joined or "").split(SEPARATOR))))


def others_editing(document_id: int, reader_id: int, now: datetime) -> list[str]:
    """Who else has the document's editor open at `now`."""
    return names(db.session.scalar(select(editors_column(document_id, reader_id, since(now)))))
