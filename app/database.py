"""Engine settings that make SQLite behave well with several writers; the CLI unit of work."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Response, after_this_request, current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import scoped_session
from sqlalchemy.pool import ConnectionPoolEntry

from app.extensions import db


def configure_engine(engine: Engine, *, busy_timeout_ms: int = 30000) -> None:
    """Turn on foreign keys, WAL and a busy timeout for SQLite connections.

    A writer still locked out after `busy_timeout_ms` gets "database is locked", which the
    error handlers answer with a 503 and Retry-After.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry
                        ) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL lets readers carry on while one process writes; the timeout makes a second
        # writer wait its turn instead of failing with "database is locked".
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()


@contextmanager
def unit_of_work() -> Iterator[scoped_session[FlaskSession]]:
    """Commit what the block did if it ends normally; roll all of it back if it raises.

    The one commit point outside a request (CLI commands, the search indexer): a
    request's own work is committed by app/lifecycle.py instead.
    """
    session = db.session
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def write_after_response(work: Callable[[], None], what: str) -> None:
    """Run `work` in its own short transaction once this request's response has gone, and only
    if the reader got the page (status below 400).

    For small writes a page view implies (a visit marker, an editor heartbeat): done while
    the reader waits, they would take SQLite's one writer lock for a read. A failure is
    logged, never shown: such a write is a hint, and its loss costs a hint.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            try:
                with unit_of_work():
                    work()
            except Exception:
                app.logger.warning("Could not record %s", what, exc_info=True)
            finally:
                db.session.remove()

    @after_this_request
    def after(response: Response) -> Response:
        # The hook runs for error pages too: only a page the reader actually got counts.
        if response.status_code < 400:
            response.call_on_close(run)
        return response
