"""Documents and their append-only revisions: the tables behind every versioned text.

A lesson, a sequence, a session's agenda and notes and a school's action plan each point at
one Document; its Revisions are the full snapshots, numbered 1, 2, 3… per document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.extensions import Model
from app.timeutil import utcnow


class Document(Model):
    """Anything versioned: a lesson, a sequence, session notes and action plans."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    #: Number of the newest revision; bumped under a row lock so numbers never repeat or skip.
    head_number: Mapped[int] = mapped_column(Integer, default=0)


class Revision(Model):
    """An immutable snapshot of a document's fields. Never updated or deleted."""

    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    summary: Mapped[str] = mapped_column(String(300), default="")
    #: The revision the author's edit started from (None for the first).
    base_number: Mapped[int | None] = mapped_column(Integer)
    #: Revision numbers by other people merged in when this save was based on an older one.
    merged_numbers: Mapped[list[int]] = mapped_column(JSON, default=list)
    restored_from: Mapped[int | None] = mapped_column(Integer)
    #: The full snapshot: Markdown text fields, lists, links.
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Sanitised HTML for each Markdown field, rendered once at save time.
    html: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    author: Mapped[User] = relationship()
