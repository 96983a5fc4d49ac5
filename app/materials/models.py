"""PD materials, the plans that link them, and each teacher's subject-knowledge log."""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urlsplit

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.extensions import Model
from app.planning.models import Lesson, Sequence
from app.timeutil import utcnow

SOURCES: dict[str, str] = {
    "ncetm_primary_pd": "NCETM Primary PD",
    "ncetm_secondary_pd": "NCETM Secondary PD",
    "mastering_number": "Mastering Number",
    "dfe_guidance": "DfE guidance",
    "textbook_guidance": "Textbook guidance",
    "other": "Other",
}
KINDS: dict[str, str] = {
    "video": "Video",
    "teacher_guide": "Teacher guide",
    "slides": "Slides",
    "article": "Article",
    "other": "Other",
}
STATUSES: dict[str, str] = {"published": "Published", "suggested": "Suggested"}
#: The NCETM Primary Mastery PD spines (domain brief §4).
SPINES: dict[str, str] = {
    "1": "Number, addition and subtraction",
    "2": "Multiplication and division",
    "3": "Fractions",
}

MAX_TITLE = 200
MAX_URL = 500
MAX_NOTE = 500
MAX_REFLECTION = 2000

_SEGMENT_RE = re.compile(r"^\s*(\d+)(?:\.(\d+))?\s*(.*)$")


def segment_sort_key(segment: str | None) -> tuple[int, int, int, str]:
    """Numbered segments in numeric order (3.9 before 3.10), then named ones, then none."""
    if not segment:
        return (2, 0, 0, "")
    match = _SEGMENT_RE.match(segment)
    if match is None:
        return (1, 0, 0, segment.lower())
    return (0, int(match.group(1)), int(match.group(2) or 0), match.group(3).lower())


class Material(Model):
    """One PD material in the shared catalogue. Archived, never deleted: plans link to it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    #: A key of SOURCES.
    source: Mapped[str] = mapped_column(String(30), index=True)
    #: NCETM primary spine "1".."3"; empty for other sources.
    spine: Mapped[str | None] = mapped_column(String(2), index=True)
    #: Segment number as NCETM writes it ("2.7", "3.10", "3.0"), or a unit name ("Y3 Unit 6").
    segment: Mapped[str | None] = mapped_column(String(40), index=True)
    #: Secondary PD theme and core concept ("1", "1.2").
    theme: Mapped[str | None] = mapped_column(String(100))
    core_concept: Mapped[str | None] = mapped_column(String(20))
    #: Year-group codes from app.planning.reference_data.YEAR_GROUPS, e.g. ["Y3"].
    year_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: A strand code from app.planning.reference_data.STRANDS.
    strand: Mapped[str | None] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(20), default="teacher_guide")
    url: Mapped[str] = mapped_column(String(MAX_URL))
    #: url normalised for spotting duplicates; not unique, because a duplicate is only flagged.
    url_key: Mapped[str] = mapped_column(String(MAX_URL), index=True)
    #: Markdown source; description_html is its sanitised rendering, made once at save.
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    #: Short teaching-point statements, one per item.
    teaching_points: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: "published" (in the library and search) or "suggested" (waiting for a curator).
    status: Mapped[str] = mapped_column(String(20), default="published", index=True)
    suggested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: Empty for records made by the import command or the demo loader.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    suggested_by: Mapped[User | None] = relationship(foreign_keys=[suggested_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def sort_key(self) -> tuple:
        return (self.spine or "9", segment_sort_key(self.segment or self.core_concept),
                self.title.lower())

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    @property
    def source_label(self) -> str:
        return SOURCES.get(self.source, self.source)

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def code(self) -> str:
        """The number teachers quote: a segment, else a core concept, else nothing."""
        return self.segment or self.core_concept or ""

    @property
    def host(self) -> str:
        """The site the link opens, shown next to it so readers know where they are going."""
        return urlsplit(self.url).hostname or ""

    @property
    def label(self) -> str:
        return f"{self.code} {self.title}" if self.code else self.title


class PlanMaterialLink(Model):
    """A plan's use of a material. Derived: rewritten from the plan's head revision on save."""

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("material.id"), index=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequence.id"), index=True)
    #: Empty when the material is linked to the sequence as a whole.
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(MAX_NOTE), default="")

    material: Mapped[Material] = relationship()
    sequence: Mapped[Sequence] = relationship()
    lesson: Mapped[Lesson | None] = relationship()


class StudyLogEntry(Model):
    """A teacher's record of studying a material: personal professional data."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("material.id"), index=True)
    studied_on: Mapped[date] = mapped_column(Date)
    #: Plain text, shown escaped with its line breaks kept.
    reflection: Mapped[str] = mapped_column(String(MAX_REFLECTION), default="")
    #: The plan this study informed, if any.
    sequence_id: Mapped[int | None] = mapped_column(ForeignKey("sequence.id"))
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship()
    material: Mapped[Material] = relationship()
    sequence: Mapped[Sequence | None] = relationship()
    lesson: Mapped[Lesson | None] = relationship()
