"""The change log that keeps every host's search index in step with the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.search.postgres import documents_table
from app.extensions import Model, db
from app.timeutil import utcnow


class SearchLog(Model):
    """One changed document key, written in the same transaction as the change.

    An ordered log rather than a queue: every index (one per host) reads it from its own
    position, so a change made on one host reaches all of them. Rows are pruned only once
    every registered index has read past them. AUTOINCREMENT on SQLite, because a plain
    rowid would hand a pruned top id out again and an index already past it would skip it.
    """

    __tablename__ = "search_log"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SearchReader(Model):
    """An index that reads the log (one per host and index directory) and how far it got."""

    __tablename__ = "search_reader"

    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    #: Every log entry up to here is in this index.
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    documents: Mapped[int] = mapped_column(Integer, default=0)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The indexer's heartbeat: readers silent for long are no longer waited for when pruning.
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


#: The PostgreSQL backend's documents (and its "did you mean" words), defined by the backend
#: and registered here so migrations, create_all and the tests' TRUNCATE know them. Unused
#: (empty) with the default Whoosh backend.
SearchDocuments = documents_table(db.metadata)
