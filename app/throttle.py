"""Rate-limit counters that every worker and every host shares.

Flask-Limiter keeps its counters in a `limits` storage. Its in-memory storage is per process,
so with three gunicorn workers an attacker got three times the allowance. The default here is a
table in Coplan's own database (SQLite or PostgreSQL), reached through `coplan-db://`; an
operator who runs Redis can set `RATELIMIT_STORAGE_URI=redis://…` instead.
"""

from __future__ import annotations

import random
import time

from flask import has_app_context
from limits.storage import Storage
from sqlalchemy import Float, Integer, String, delete, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model, db


class ThrottleCounter(Model):
    """One fixed-window counter: how many hits `key` had in the window ending at expires_at."""

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    #: Unix time at which this window ends and the count starts again from zero.
    expires_at: Mapped[float] = mapped_column(Float, index=True)


# One statement, so two workers incrementing at once can never lose a hit.
_INCREMENT = text(
    "INSERT INTO throttle_counter (key, count, expires_at) VALUES (:key, :amount, :expires) "
    "ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN throttle_counter.expires_at > :now "
    "THEN throttle_counter.count + :amount ELSE :amount END, "
    "expires_at = CASE WHEN throttle_counter.expires_at > :now "
    "THEN throttle_counter.expires_at ELSE :expires END "
    "RETURNING count"
)


class DatabaseStorage(Storage):
    """A `limits` storage over the app's database, on a connection of its own.

    Counts are committed at once, whatever happens to the request's own transaction: a failed
    login is rolled back, but its hit must still count.
    """

    STORAGE_SCHEME = ["coplan-db"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with db.engine.begin() as conn:
            count = conn.execute(_INCREMENT, {"key": key[:255], "amount": amount,
                                              "expires": now + expiry, "now": now}).scalar_one()
            if random.random() < 0.01:  # now and then, forget windows long over
                conn.execute(delete(ThrottleCounter).where(ThrottleCounter.expires_at < now - 60))
        return int(count)

    def _row(self, key: str) -> tuple[int, float] | None:
        with db.engine.connect() as conn:
            row = conn.execute(select(ThrottleCounter.count, ThrottleCounter.expires_at)
                               .where(ThrottleCounter.key == key[:255])).first()
        if row is None:
            return None
        # Unpacked rather than row.count, which is also the name of tuple.count().
        count, expires_at = row
        if expires_at <= time.time():
            return None
        return int(count), float(expires_at)

    def get(self, key: str) -> int:
        row = self._row(key)
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row[1] if row else time.time()

    def check(self) -> bool:
        if not has_app_context():
            return True
        try:
            with db.engine.connect() as conn:
                conn.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with db.engine.begin() as conn:
            return conn.execute(delete(ThrottleCounter)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(delete(ThrottleCounter).where(ThrottleCounter.key == key[:255]))
