"""The reviewer's screen: the diff since the school's last approved revision, the evidence
behind it (app.signals.review_evidence) and whether this user may decide."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app import revisions, signals
from app.accounts.models import User
from app.core.diffing import FieldChange, diff_snapshots
from app.extensions import db
from app.planning import history
from app.planning.history import Subject
from app.planning.models import Lesson, Sequence
from app.reviews import permissions
from app.reviews.models import Approval, ReviewDecision, ReviewRequest
from app.reviews.requests import get_request
from app.revisions.models import Revision


@dataclass(frozen=True)
class NoVersion:
    """Stands for "nothing approved yet" on the left of a first review's diff."""

    number: int = 0


@dataclass
class ReviewDiff:
    """Changes from the last approved revision (or from nothing) to the one under review.

    Shaped like planning.history.Comparison so the `revisions/_diff.html` macros render it.
    """

    subject: Subject
    older: Revision | NoVersion
    newer: Revision
    changes: list[FieldChange]
    unchanged: list[str]
    positions: dict[str, dict[Hashable, int]]

    def noun(self, key: str) -> str:
        return history.ITEM_NOUNS.get(key, "Item")

    def position(self, key: str, item_key: Hashable) -> int | None:
        return self.positions.get(key, {}).get(item_key)

    @property
    def is_first(self) -> bool:
        return isinstance(self.older, NoVersion)


def display_fields(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A snapshot with codes swapped for the labels teachers read (sequences only)."""
    if kind != "sequence":
        return fields
    shown = dict(fields)
    if fields.get("year_group"):
        shown["year_group"] = history.YEAR_LABELS.get(fields["year_group"], fields["year_group"])
    if fields.get("strand"):
        shown["strand"] = history.STRAND_LABELS.get(fields["strand"], fields["strand"])
    shown["big_ideas"] = [history.BIG_IDEA_LABELS.get(c, c) for c in fields.get("big_ideas", [])]
    return shown


def review_diff(subject: Subject, older: Revision | None, newer: Revision) -> ReviewDiff:
    """Field changes from `older` (None: an empty plan) to `newer`."""
    old_fields = display_fields(subject.kind, older.fields) if older is not None else {}
    new_fields = display_fields(subject.kind, newer.fields)
    every = diff_snapshots(old_fields, new_fields, subject.diff_fields)
    positions = {key: {_item_key(item): n for n, item in enumerate(value, start=1)}
                 for key, value in new_fields.items() if isinstance(value, list)}
    return ReviewDiff(subject, older if older is not None else NoVersion(), newer,
                      [c for c in every if c.kind != "unchanged"],
                      [c.label for c in every if c.kind == "unchanged" and new_fields.get(c.key)],
                      positions)


def _item_key(item: Any) -> Hashable:
    """The identity diffing gives a list item (as planning.history does): a dict's id."""
    if isinstance(item, dict):
        return item.get("id", item.get("material_id", repr(item)))
    return item if isinstance(item, Hashable) else repr(item)


@dataclass
class Evidence:
    title: str
    url: str
    text: str


@dataclass
class ReviewScreen:
    request: ReviewRequest
    subject: Subject
    #: The approval the diff starts from (None on a first review).
    base: Approval | None
    diff: ReviewDiff
    #: The revision shown, and the one a decision now would be about.
    shown: Revision
    evidence: list[Evidence]
    can_decide: bool
    #: Why approving is not open to this user (their own revision), shown beside the form.
    approve_blocked: str | None
    decisions: list[ReviewDecision] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        """A newer revision was saved after the one the author submitted."""
        return self.request.is_open and self.shown.number > self.request.revision_number

    @property
    def school_is_owner(self) -> bool:
        return self.request.school_id == self.subject.sequence.school_id


def _base_approval(request: ReviewRequest) -> Approval | None:
    """The last approval for the school before this request's own (if it has one)."""
    query = select(Approval).where(Approval.document_id == request.document_id,
                                   Approval.school_id == request.school_id)
    own = db.session.scalar(select(Approval.id).where(Approval.request_id == request.id))
    if own is not None:
        query = query.where(Approval.id < own)
    return db.session.scalar(query.order_by(Approval.id.desc()).limit(1))


def review_screen(user: User, request_id: int) -> ReviewScreen:
    """Everything the reviewer needs: the diff since the school's last approved revision,
    the evidence behind it, earlier decisions, and whether this user may decide."""
    request, subject = get_request(user, request_id)
    if request.is_open:
        number = subject.head_number
    else:
        decided = [d.revision_number for d in request.decisions if d.decision != "comment"]
        number = decided[-1] if decided else request.revision_number
    shown = revisions.get_revision(subject.document_id, number)
    base = _base_approval(request)
    if base is None:
        diff = review_diff(subject, None, shown)
    elif base.revision_number == shown.number:
        diff = ReviewDiff(subject, shown, shown, [], [], {})
    else:
        approved = revisions.get_revision(subject.document_id, base.revision_number)
        older, newer = sorted((approved, shown), key=lambda r: r.number)
        diff = review_diff(subject, older, newer)
    sequence = subject.sequence
    can_decide = request.is_open and permissions.can_review_for(user, sequence, request.school_id)
    return ReviewScreen(
        request, subject, base, diff, shown,
        evidence_for(user, subject.item, base.revision_number if base else 0, shown.number),
        can_decide, permissions.own_revision_reason(user, shown) if can_decide else None,
        list(request.decisions))


def evidence_for(user: User, item: Lesson | Sequence, from_number: int,
                 to_number: int) -> list[Evidence]:
    """The observations and agreed changes behind a change, from the observations feature.

    Asked through `app.signals.review_evidence` (user, item: a lesson or sequence,
    from_number (0: nothing approved yet), to_number); each answer is a list of
    (title, url, text). With nobody subscribed there is simply no evidence section.
    """
    answers = signals.answers(signals.review_evidence, user=user, item=item,
                              from_number=from_number, to_number=to_number)
    return [Evidence(str(title), str(url), str(text))
            for answer in answers for title, url, text in answer]
