"""Content-addressed blobs: a catalogue row per stored content, and its bytes in chunks.

Every backend writes the catalogue row (so `flask files verify` knows what must exist); only
the PostgreSQL backend keeps the bytes in `file_chunk` (the folder backend keeps files).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.timeutil import utcnow


class FileBlob(Model):
    """One stored content, named by its hash; identical uploads share the row."""

    __tablename__ = "file_blob"

    #: sha256 of the content in lowercase hex: the blob's only name (never an uploaded name).
    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FileChunk(Model):
    """A slice of a blob's bytes (PostgreSQL backend); `seq` counts from 0."""

    __tablename__ = "file_chunk"

    hash: Mapped[str] = mapped_column(String(64), ForeignKey("file_blob.hash"),
                                      primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
