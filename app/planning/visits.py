"""Visit markers ("changed since your last visit"), written after the page has gone.

A page view reads the reader's last visit in its own query (app.planning.page_data) and never
writes while the reader waits: with SQLite a write would take the database's one writer lock
for a read. The marker is written once the response is sent, in its own short transaction.
"""

from __future__ import annotations

from sqlalchemy import case
from sqlalchemy.dialects import postgresql, sqlite

from app.database import write_after_response
from app.extensions import db
from app.planning.models import Visit
from app.timeutil import utcnow


def record_visit(user_id: int, document_id: int, number: int) -> None:
    """Remember that the user has seen revision `number` (never moves backwards).

    One INSERT ... ON CONFLICT DO UPDATE (SQLite and PostgreSQL both have it), so two tabs
    opened at once cannot both insert and fail. The caller commits.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(Visit).values(user_id=user_id, document_id=document_id, number=number,
                                seen_at=utcnow())
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=[Visit.user_id, Visit.document_id],
        set_={"number": case((stmt.excluded.number > Visit.number, stmt.excluded.number),
                             else_=Visit.number),
              "seen_at": stmt.excluded.seen_at}))


def record_after_response(user_id: int, document_id: int, number: int) -> None:
    """Remember that the user saw revision `number`, after this request's response."""
    write_after_response(lambda: record_visit(user_id, document_id, number), "a visit")
