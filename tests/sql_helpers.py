"""Counting the SQL statements a piece of work sends (query budgets in tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event

from app.extensions import db


@contextmanager
def statements_sent(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement `app`'s engine sends while the block runs, whitespace folded."""
    seen: list[str] = []

    def record(_conn, _cursor, statement: str, *_rest) -> None:
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
