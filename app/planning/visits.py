"""Visit markers ("changed since your last visit"), written after the page has gone.

A page view reads the reader's last visit in its own query (app.planning.page_data) and never
writes while the reader waits: with SQLite a write would take the database's one writer lock
for a read. The marker is written once the response is sent, in its own short transaction.
"""

from __future__ import annotations

from flask import Response, after_this_request, current_app
from sqlalchemy import case
from sqlalchemy.dialects import postgresql, sqlite

from app.database import unit_of_work
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
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def record() -> None:
        with app.app_context():
            try:
                with unit_of_work():
                    record_visit(user_id, document_id, number)
            except Exception:  # a marker is a hint: its loss shows a note once more
                app.logger.warning("Could not remember a visit", exc_info=True)
            finally:
                db.session.remove()

    @after_this_request
    def after(response: Response) -> Response:
        # Only a page the reader actually got counts as seen (the hook runs for errors too).
        if response.status_code < 400:
            response.call_on_close(record)
        return response
