"""Visit markers ("changed since your last visit") written after the page has gone.

A page view reads the reader's last visit in its own query (app.planning.page_data) and never
writes while the reader waits: with SQLite a write would take the database's one writer lock
for a read. The marker is written once the response is sent, in its own short transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, after_this_request, current_app

from app.database import unit_of_work
from app.extensions import db


@dataclass(frozen=True)
class Reader:
    """Who saw it, by id (the request's user object is gone once the response is sent)."""

    id: int


def record_after_response(user_id: int, document_id: int, number: int) -> None:
    """Remember that the user saw revision `number`, after this request's response."""
    from app.planning.history import record_visit  # history imports Reader from here

    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def record() -> None:
        with app.app_context():
            try:
                with unit_of_work():
                    record_visit(Reader(user_id), document_id, number)
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
