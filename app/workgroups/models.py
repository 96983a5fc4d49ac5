"""Work Group sessions, school action plans and the discussion board's threads.

Versioned text lives in the revision engine (app.revisions): a session's agenda and
notes are a Document of kind "session_notes", a school's action plan a Document of kind
"action_plan". The rows here hold what lists, calendars and permissions need.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

import app.comments.models  # noqa: F401  (board threads point at comments)
from app.accounts.models import School, User, WorkGroup
from app.extensions import Model
from app.revisions.models import Document
from app.timeutil import utcnow

SESSION_TYPES: dict[str, str] = {
    "workshop": "Workshop",
    "collaborative_planning": "Collaborative planning",
    "research_lesson": "Research lesson",
    "support_visit": "Support visit",
    "online": "Online session",
}
#: What a session can link to; research lessons and observations live in app.observations.
LINK_KINDS: dict[str, str] = {
    "sequence": "Sequence",
    "research_lesson": "Research lesson",
    "observation": "Observation record",
}
ACTION_STATUSES: dict[str, str] = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "done": "Done",
}
RAG_RATINGS: dict[str, str] = {"red": "Red", "amber": "Amber", "green": "Green"}
BOARD_CATEGORIES: dict[str, str] = {
    "question": "Question",
    "resource": "Shared resource",
    "reflection": "Reflection",
    "general": "General",
}


def _ics_uid() -> str:
    return f"{uuid.uuid4()}@coplan"


class WorkGroupSession(Model):
    """One meeting of a Work Group: a numbered session or an unnumbered support visit."""

    __table_args__ = (UniqueConstraint("work_group_id", "academic_year", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id"), index=True)
    #: The academic year ("2024/25") the date falls in: numbers start again each year.
    academic_year: Mapped[str] = mapped_column(String(7))
    #: 1–6 for the year's half-termly sessions (more if the group meets more); None for visits.
    number: Mapped[int | None] = mapped_column(Integer)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    #: Local (UK) times; both empty for an all-day entry in the calendar.
    start_time: Mapped[dt.time | None] = mapped_column(Time)
    end_time: Mapped[dt.time | None] = mapped_column(Time)
    #: A key of SESSION_TYPES.
    kind: Mapped[str] = mapped_column(String(30))
    #: One of the group's schools; empty for online sessions.
    host_school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    title: Mapped[str] = mapped_column(String(200))
    #: The "session_notes" document holding {"agenda", "notes"} (Markdown, versioned).
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), unique=True)
    #: The calendar UID: made once, so a re-imported .ics updates the event, never duplicates it.
    ics_uid: Mapped[str] = mapped_column(String(80), unique=True, default=_ics_uid)
    #: RFC 5545 SEQUENCE: bumped when the date, time, place or title changes.
    ics_sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    work_group: Mapped[WorkGroup] = relationship()
    host_school: Mapped[School | None] = relationship()
    document: Mapped[Document] = relationship()
    created_by: Mapped[User] = relationship()
    attendees: Mapped[list[SessionAttendee]] = relationship(
        cascade="all, delete-orphan", order_by="SessionAttendee.user_id")
    links: Mapped[list[SessionLink]] = relationship(
        cascade="all, delete-orphan", order_by="SessionLink.position")

    @property
    def kind_label(self) -> str:
        return SESSION_TYPES.get(self.kind, self.kind)

    @property
    def label(self) -> str:
        """"Session 3: Research lesson …", or the title alone for an unnumbered visit."""
        return f"Session {self.number}: {self.title}" if self.number else self.title

    @property
    def attendee_ids(self) -> set[int]:
        return {a.user_id for a in self.attendees}


class SessionAttendee(Model):
    """A member who attended (or is expected at) a session."""

    session_id: Mapped[int] = mapped_column(ForeignKey("work_group_session.id"),
                                            primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)

    user: Mapped[User] = relationship()


class SessionLink(Model):
    """Something discussed at a session: a sequence, research lesson or observation record.

    Stored as kind + id so sessions do not depend on the observations package; titles are
    looked up per reader (and hidden when that reader may not see the target).
    """

    __table_args__ = (UniqueConstraint("session_id", "kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("work_group_session.id"), index=True)
    #: A key of LINK_KINDS.
    kind: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ActionPlan(Model):
    """A school's action plan for one Work Group and year; its content is versioned."""

    __table_args__ = (UniqueConstraint("work_group_id", "school_id", "academic_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    academic_year: Mapped[str] = mapped_column(String(7))
    #: The "action_plan" document: {"priorities": [...], "review_points": [...]}.
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    work_group: Mapped[WorkGroup] = relationship()
    school: Mapped[School] = relationship()
    document: Mapped[Document] = relationship()
    created_by: Mapped[User] = relationship()
    sign_offs: Mapped[list[ActionPlanSignOff]] = relationship(
        cascade="all, delete-orphan", order_by="ActionPlanSignOff.id")

    @property
    def title(self) -> str:
        return f"Action plan: {self.school.name} ({self.academic_year})"

    @property
    def head_number(self) -> int:
        return self.document.head_number

    @property
    def sign_off(self) -> ActionPlanSignOff | None:
        """The latest sign-off: the version the school and the hub have agreed."""
        return self.sign_offs[-1] if self.sign_offs else None


class ActionPlanSignOff(Model):
    """A headteacher's or Work Group Lead's sign-off of one revision. Never changed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    action_plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id"), index=True)
    revision_number: Mapped[int] = mapped_column(Integer)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    #: "headteacher" or "work_group_lead": the capacity they signed in.
    role: Mapped[str] = mapped_column(String(30))
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    signed_by: Mapped[User] = relationship()


class BoardThread(Model):
    """The title and category of a board thread; its text and replies are comments.

    The comment engine has no title, so the thread's first comment (target "board", target_id =
    the Work Group) carries the text and this row carries the title.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    work_group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id"), index=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    #: A key of BOARD_CATEGORIES.
    category: Mapped[str] = mapped_column(String(20), default="general")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    created_by: Mapped[User] = relationship()

    @property
    def category_label(self) -> str:
        return BOARD_CATEGORIES.get(self.category, self.category)
