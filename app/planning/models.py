"""Sequences and lessons; their text lives in revisions (app.revisions.models)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import School, User, WorkGroup
from app.extensions import Model
from app.revisions.models import Document
from app.timeutil import utcnow

VISIBILITY: dict[str, str] = {
    "school": "My school only",
    "work_group": "Work Group",
    "hub": "Everyone in the hub",
    "all": "All signed-in users",
}
STATUSES: dict[str, str] = {
    "draft": "Draft",
    "in_review": "In review",
    "approved": "Approved",
}


class Sequence(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), unique=True)
    work_group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    academic_year: Mapped[str] = mapped_column(String(7))
    #: Current title and curriculum facts, copied from the head revision for lists and filters.
    title: Mapped[str] = mapped_column(String(200))
    year_group: Mapped[str] = mapped_column(String(4))
    strand: Mapped[str] = mapped_column(String(30))
    visibility: Mapped[str] = mapped_column(String(20), default="work_group")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archived_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    adapted_from_id: Mapped[int | None] = mapped_column(ForeignKey("sequence.id"))
    #: The source's revision number when it was adapted, to show upstream changes since.
    adapted_from_number: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    document: Mapped[Document] = relationship()
    work_group: Mapped[WorkGroup] = relationship()
    school: Mapped[School] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    adapted_from: Mapped[Sequence | None] = relationship(remote_side=[id])
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="sequence", order_by="Lesson.position"
    )

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def active_lessons(self) -> list[Lesson]:
        return [lesson for lesson in self.lessons if lesson.archived_at is None]


class Lesson(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), unique=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequence.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    adapted_from_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id"))
    adapted_from_number: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    document: Mapped[Document] = relationship()
    sequence: Mapped[Sequence] = relationship(back_populates="lessons")
    adapted_from: Mapped[Lesson | None] = relationship(remote_side=[id])


class Visit(Model):
    """The revision a person last saw of a document, for "changed since my last visit"."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EditPresence(Model):
    """Who has a plan's editor open: one heartbeat per person and document (app.planning.
    presence). A hint for others, never a lock; kept in the database so every worker and host
    sees the same."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), primary_key=True,
                                             index=True)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
