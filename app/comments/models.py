"""Comments on anything (plans, research lessons, later the Work Group board), with history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.extensions import Model
from app.timeutil import utcnow


class Comment(Model):
    """A comment on a target named by (target_type, target_id); replies are one level deep."""

    __table_args__ = (Index("ix_comment_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: A kind registered in app.comments.targets: "lesson", "sequence", "observation", "board"…
    target_type: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[int] = mapped_column(Integer)
    #: The field of the target the comment is about (e.g. "stem_sentences"), or empty.
    anchor: Mapped[str] = mapped_column(String(60), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    #: The current Markdown; every version is also kept in CommentRevision.
    body: Mapped[str] = mapped_column(Text)
    #: Sanitised HTML rendered at save (mentions highlighted as plain text).
    body_html: Mapped[str] = mapped_column(Text, default="")
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Soft delete: the row and its history stay; readers see "comment removed".
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    parent: Mapped[Comment | None] = relationship(remote_side=[id])
    revisions: Mapped[list[CommentRevision]] = relationship(
        cascade="all, delete-orphan", order_by="CommentRevision.number")
    mentions: Mapped[list[Mention]] = relationship(cascade="all, delete-orphan")

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class CommentRevision(Model):
    """One version of a comment's text: number 1 is the original, each edit adds one."""

    __table_args__ = (UniqueConstraint("comment_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    edited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Mention(Model):
    """A Work Group member named with @ in a comment."""

    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)

    user: Mapped[User] = relationship()
