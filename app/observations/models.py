"""Research lessons (TRG), the observers' records, the post-lesson discussion and agreed changes.

Privacy: pupils appear only as codes (A, B, C); nothing here holds a pupil's name. Culture: TRG
feedback is non-judgemental ("I noticed…"), so there is deliberately no grade or score anywhere.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import School, User, WorkGroup
from app.core.markdown import SafeHtml, rewrap_stored
from app.extensions import Model
from app.planning.fields import LESSON_FIELDS
from app.planning.models import Lesson
from app.revisions.models import Revision
from app.timeutil import utcnow

KINDS: dict[str, str] = {
    "research_lesson": "TRG research lesson",
    "support_visit": "Support-visit observation",
}
VISIBILITY: dict[str, str] = {
    "work_group": "Work Group members",
    "school": "Work Group members from the teacher's school only",
}
#: Lesson phases a noticing can be about (the other choice is a field of the plan).
PHASES: dict[str, str] = {
    "introduction": "Introduction",
    "fluency": "Fluency practice",
    "main_input": "Main input",
    "guided_practice": "Paired or guided task",
    "independent_practice": "Independent practice",
    "plenary": "Plenary",
}
FIELD_LABELS: dict[str, str] = {f.key: f.label for f in LESSON_FIELDS}
CHANGE_STATUSES: dict[str, str] = {"open": "Open", "addressed": "Addressed",
                                   "declined": "Declined"}


class ResearchLesson(Model):
    """A lesson taught to be observed, pinned to the exact revision of the plan taught."""

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"), index=True)
    #: The lesson's document; with revision_number it names the revision taught.
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    revision_number: Mapped[int] = mapped_column(Integer)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id"))
    kind: Mapped[str] = mapped_column(String(20), default="research_lesson")
    taught_on: Mapped[dt.date] = mapped_column(Date)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    #: The teacher's school (where it was taught); "school" visibility means this school.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    work_group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id"), index=True)
    year_group: Mapped[str] = mapped_column(String(4))
    #: The class set-up (size, seating, adults). Never pupils' names.
    class_context: Mapped[str] = mapped_column(Text, default="")
    research_focus: Mapped[str] = mapped_column(Text, default="")
    key_point: Mapped[str] = mapped_column(Text, default="")
    difficult_points: Mapped[str] = mapped_column(Text, default="")
    feedback_wanted: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(20), default="work_group")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    lesson: Mapped[Lesson] = relationship()
    revision: Mapped[Revision] = relationship()
    teacher: Mapped[User] = relationship(foreign_keys=[teacher_id])
    school: Mapped[School | None] = relationship()
    work_group: Mapped[WorkGroup] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    observers: Mapped[list[ResearchLessonObserver]] = relationship(
        cascade="all, delete-orphan", order_by="ResearchLessonObserver.user_id")
    observations: Mapped[list[Observation]] = relationship(
        back_populates="research_lesson", cascade="all, delete-orphan",
        order_by="Observation.id")
    discussion: Mapped[Discussion | None] = relationship(
        back_populates="research_lesson", cascade="all, delete-orphan", uselist=False)
    agreed_changes: Mapped[list[AgreedChange]] = relationship(
        back_populates="research_lesson", cascade="all, delete-orphan",
        order_by="AgreedChange.id")
    #: The case pupils the teacher chose when scheduling; each observer's form starts from them.
    planned_pupils: Mapped[list[PlannedPupil]] = relationship(
        cascade="all, delete-orphan", order_by="PlannedPupil.position")

    @property
    def observer_ids(self) -> set[int]:
        return {o.user_id for o in self.observers}

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def kind_in_sentence(self) -> str:
        """The kind mid-sentence: "a support-visit observation", but "a TRG research lesson"."""
        label = self.kind_label
        return label if label.split()[0].isupper() else label[0].lower() + label[1:]

    @property
    def title(self) -> str:
        """"Research lesson: <lesson title> (<date>)", as pages, threads and search show it."""
        prefix = "Research lesson" if self.kind == "research_lesson" else "Support-visit " \
            "observation"
        return f"{prefix}: {self.lesson.title} ({self.taught_on.strftime('%-d %b %Y')})"


class PlannedPupil(Model):
    """A focus pupil chosen by the teacher before the lesson: a code and a short profile, never a
    name. Observers' own FocusPupil rows start as copies, so each record stays its own."""

    __table_args__ = (UniqueConstraint("research_lesson_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    research_lesson_id: Mapped[int] = mapped_column(ForeignKey("research_lesson.id"),
                                                    index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: 1–3 characters A–Z or 0–9.
    code: Mapped[str] = mapped_column(String(3))
    profile: Mapped[str] = mapped_column(Text, default="")


class ResearchLessonObserver(Model):
    research_lesson_id: Mapped[int] = mapped_column(ForeignKey("research_lesson.id"),
                                                    primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)

    user: Mapped[User] = relationship()


class Observation(Model):
    """One observer's record of a research lesson. No grading or scoring fields, on purpose."""

    __table_args__ = (UniqueConstraint("research_lesson_id", "observer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    research_lesson_id: Mapped[int] = mapped_column(ForeignKey("research_lesson.id"),
                                                    index=True)
    observer_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    #: Pupil responses and misconceptions seen (Markdown) and its sanitised HTML.
    responses: Mapped[str] = mapped_column(Text, default="")
    responses_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    research_lesson: Mapped[ResearchLesson] = relationship(back_populates="observations")
    observer: Mapped[User] = relationship()
    focus_pupils: Mapped[list[FocusPupil]] = relationship(
        cascade="all, delete-orphan", order_by="FocusPupil.position")
    noticings: Mapped[list[Noticing]] = relationship(
        cascade="all, delete-orphan", order_by="Noticing.position")

    @property
    def responses_markup(self) -> SafeHtml:
        """The stored HTML, which only render_markdown (the sanitising renderer) produced."""
        return rewrap_stored(self.responses_html)


class FocusPupil(Model):
    """A case pupil, recorded by code only (A, B, C), never by name."""

    __table_args__ = (UniqueConstraint("observation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    observation_id: Mapped[int] = mapped_column(ForeignKey("observation.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: 1–3 characters A–Z or 0–9.
    code: Mapped[str] = mapped_column(String(3))
    profile: Mapped[str] = mapped_column(Text, default="")
    prediction: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")


class Noticing(Model):
    """An "I noticed…" note, about a phase of the lesson or a field of the plan."""

    id: Mapped[int] = mapped_column(primary_key=True)
    observation_id: Mapped[int] = mapped_column(ForeignKey("observation.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: Minute into the lesson ("12") or clock time ("10:15"); empty when not noted.
    at: Mapped[str] = mapped_column(String(5), default="")
    #: A key of PHASES, or empty when the note is about a plan field instead.
    phase: Mapped[str] = mapped_column(String(30), default="")
    #: A key of app.planning.fields.LESSON_FIELDS, or empty.
    field_key: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    @property
    def about_label(self) -> str:
        if self.phase:
            return PHASES.get(self.phase, self.phase)
        return FIELD_LABELS.get(self.field_key, self.field_key)


class Discussion(Model):
    """The post-lesson discussion: the teacher's reflection comes first."""

    id: Mapped[int] = mapped_column(primary_key=True)
    research_lesson_id: Mapped[int] = mapped_column(ForeignKey("research_lesson.id"),
                                                    unique=True)
    teacher_reflection: Mapped[str] = mapped_column(Text, default="")
    #: Markdown, with its sanitised HTML rendered at save.
    discussion_points: Mapped[str] = mapped_column(Text, default="")
    discussion_points_html: Mapped[str] = mapped_column(Text, default="")
    pupil_interview: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    research_lesson: Mapped[ResearchLesson] = relationship(back_populates="discussion")
    updated_by: Mapped[User] = relationship()

    @property
    def discussion_points_markup(self) -> SafeHtml:
        """The stored HTML, which only render_markdown (the sanitising renderer) produced."""
        return rewrap_stored(self.discussion_points_html)


class AgreedChange(Model):
    """A change to the plan agreed after the lesson: open, then addressed or declined."""

    id: Mapped[int] = mapped_column(primary_key=True)
    research_lesson_id: Mapped[int] = mapped_column(ForeignKey("research_lesson.id"),
                                                    index=True)
    text: Mapped[str] = mapped_column(Text)
    #: The plan field it concerns (a LESSON_FIELDS key), or empty for the lesson as a whole.
    field_key: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The lesson revision that made the change.
    addressed_revision_number: Mapped[int | None] = mapped_column(Integer)
    addressed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    addressed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    declined_reason: Mapped[str] = mapped_column(Text, default="")
    declined_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    declined_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    research_lesson: Mapped[ResearchLesson] = relationship(back_populates="agreed_changes")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    addressed_by: Mapped[User | None] = relationship(foreign_keys=[addressed_by_id])
    declined_by: Mapped[User | None] = relationship(foreign_keys=[declined_by_id])

    @property
    def status_label(self) -> str:
        return CHANGE_STATUSES.get(self.status, self.status)

    @property
    def field_label(self) -> str:
        """The plan field's label, or "" for the lesson as a whole."""
        return FIELD_LABELS.get(self.field_key, self.field_key)
