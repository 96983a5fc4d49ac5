"""Review requests, reviewers' decisions and the approvals that pin a revision for a school."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import School, User
from app.core.markdown import SafeHtml, rewrap_stored
from app.extensions import Model
from app.timeutil import utcnow

#: What a reviewer may decide.
DECISIONS: dict[str, str] = {
    "approve": "Approve this version",
    "request_changes": "Ask for changes",
    "comment": "Comment only (the review stays open)",
}
#: How a closed request ended.
OUTCOMES: dict[str, str] = {
    "approved": "Approved",
    "changes_requested": "Changes asked for",
    "superseded": "Replaced by a newer request",
}
TARGET_KINDS: tuple[str, ...] = ("lesson", "sequence")


class ReviewRequest(Model):
    """An author asking a subject leader or the Work Group Lead to review one revision."""

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    #: "lesson" or "sequence"; target_id is the Lesson or Sequence id.
    target_kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer)
    #: The sequence that decides who may see the request (the target or the lesson's sequence).
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequence.id"), index=True)
    work_group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id"), index=True)
    #: The revision the author submitted; a newer one may exist by the time it is reviewed.
    revision_number: Mapped[int] = mapped_column(Integer)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    #: The school the approval is for (per-school adoption of a shared plan).
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    #: "open" or "closed"; outcome says how a closed one ended (see OUTCOMES).
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    outcome: Mapped[str] = mapped_column(String(30), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    school: Mapped[School] = relationship()
    decisions: Mapped[list[ReviewDecision]] = relationship(
        back_populates="request", order_by="ReviewDecision.id")

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class ReviewDecision(Model):
    """What a reviewer decided about one revision, with an overall and per-field comments."""

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("review_request.id"), index=True)
    #: The revision the reviewer was shown when deciding.
    revision_number: Mapped[int] = mapped_column(Integer)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    decision: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    #: comment rendered once by render_markdown (the one sanitising renderer).
    comment_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    request: Mapped[ReviewRequest] = relationship(back_populates="decisions")
    reviewer: Mapped[User] = relationship()
    field_comments: Mapped[list[ReviewFieldComment]] = relationship(
        cascade="all, delete-orphan", order_by="ReviewFieldComment.id", lazy="selectin")

    @property
    def comment_markup(self) -> SafeHtml:
        """The stored HTML, which only render_markdown (the sanitising renderer) produced."""
        return rewrap_stored(self.comment_html)

    @property
    def label(self) -> str:
        return {"approve": "Approved", "request_changes": "Asked for changes",
                "comment": "Commented"}.get(self.decision, self.decision)


class ReviewFieldComment(Model):
    """A reviewer's comment anchored to one field of the plan (e.g. "stem_sentences")."""

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("review_decision.id"), index=True)
    field_key: Mapped[str] = mapped_column(String(40))
    field_label: Mapped[str] = mapped_column(String(120), default="")
    text: Mapped[str] = mapped_column(Text)
    #: text rendered once by render_markdown.
    html: Mapped[str] = mapped_column(Text, default="")

    @property
    def markup(self) -> SafeHtml:
        """The stored HTML, which only render_markdown (the sanitising renderer) produced."""
        return rewrap_stored(self.html)


class Approval(Model):
    """A revision approved for one school. The newest row per (document, school) is current;
    older rows stay as the record of what was approved before."""

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    revision_number: Mapped[int] = mapped_column(Integer)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("review_request.id"))
    #: On a lesson's approval: the sequence approval that pinned it (approving a sequence
    #: approves the revision of each of its lessons the reviewer was shown).
    sequence_approval_id: Mapped[int | None] = mapped_column(
        ForeignKey("approval.id"), index=True)

    approved_by: Mapped[User] = relationship()
    school: Mapped[School] = relationship()
