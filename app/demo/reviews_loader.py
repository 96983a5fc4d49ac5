"""Load the seed's subject-leader reviews, with the Year 3 sequence's approved version pinned.

Runs after the planning step: the ids map holds the sequences ("seq-y3-md-248"), the named
revisions ("rev-seq-y3-v2" -> Revision) and the people ("p-okafor" -> User). Each seed review
becomes a request from the revision's author and the reviewer's decision, dated as the seed
says. A subject leader reviews for their own school (per-school adoption); the Work Group Lead
for the plan's school. Running it twice changes nothing: a request for the same revision,
reviewer and school is looked up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app import policy, revisions
from app.accounts.models import User
from app.core.markdown import render_markdown
from app.demo.clock import clock_of
from app.extensions import db
from app.planning.models import Sequence
from app.reviews.models import Approval, ReviewDecision, ReviewRequest
from app.revisions.models import Revision
from app.timeutil import aware

Step = Callable[[dict[str, Any], dict[str, Any]], None]

OUTCOMES = {"approve": "approved", "request_changes": "changes_requested"}
#: Not in the seed: the Year 5 sequence is "in review", so someone must be reviewing it. Its
#: latest revision (by Grace Pemberton) waits for Wrenfield's subject leader.
OPEN_REVIEWS: list[dict[str, Any]] = [{
    "target_id": "seq-y5-fr-equiv", "reviewer_id": "p-kettlewell", "school_of": "owner",
    "created_at": "2025-03-24T16:00:00Z",
    "note": "6F-1 and 6F-2 are now linked and the Key Stage 3 reading is in the overview. "
            "Could you check lesson 5 before we teach it after Easter?",
}]


def _when(at: str) -> datetime:
    return datetime.fromisoformat(at)


def _school_for(reviewer: User, sequence: Sequence) -> int:
    """The Lead reviews for the plan's school; a subject leader for the school they lead."""
    if policy.is_work_group_lead(reviewer, sequence.work_group):
        return sequence.school_id
    member = policy.membership(reviewer, sequence.work_group_id)
    return member.school_id if member and member.school_id else sequence.school_id


def _request(sequence: Sequence, revision: Revision, reviewer: User, school_id: int,
             created_at: datetime, note: str = "") -> tuple[ReviewRequest, bool]:
    found = db.session.scalar(select(ReviewRequest).where(
        ReviewRequest.document_id == sequence.document_id,
        ReviewRequest.revision_number == revision.number,
        ReviewRequest.reviewer_id == reviewer.id, ReviewRequest.school_id == school_id))
    if found is not None:
        return found, False
    request = ReviewRequest(document_id=sequence.document_id, target_kind="sequence",
                            target_id=sequence.id, sequence_id=sequence.id,
                            work_group_id=sequence.work_group_id,
                            revision_number=revision.number, requested_by_id=revision.author_id,
                            reviewer_id=reviewer.id, school_id=school_id, note=note,
                            status="open", created_at=created_at)
    db.session.add(request)
    db.session.flush()
    return request, True


def load_reviews(seed: dict[str, Any], ids: dict[str, Any]) -> None:
    """Create (or find) the seed's reviews, their decisions and the approval they pinned."""
    for data in sorted(seed.get("reviews", []), key=lambda r: r["created_at"]):
        sequence, revision = ids[data["target_id"]], ids[data["revision_id"]]
        reviewer = ids[data["reviewer_id"]]
        decided_at = _when(data["created_at"])
        # Asked for when the revision was saved (or just before the decision, if later).
        asked_at = min(aware(revision.created_at), decided_at - timedelta(hours=1))
        request, made = _request(sequence, revision, reviewer, _school_for(reviewer, sequence),
                                 asked_at)
        if not made:
            continue
        comment = data.get("comment", "")
        db.session.add(ReviewDecision(
            request=request, revision_number=revision.number, reviewer_id=reviewer.id,
            decision=data["decision"], comment=comment,
            comment_html=str(render_markdown(comment)) if comment else "",
            created_at=decided_at))
        if data["decision"] in OUTCOMES:
            request.status, request.outcome = "closed", OUTCOMES[data["decision"]]
            request.closed_at = decided_at
        if data["decision"] == "approve":
            db.session.add(Approval(document_id=sequence.document_id,
                                    revision_number=revision.number,
                                    school_id=request.school_id, approved_by_id=reviewer.id,
                                    approved_at=decided_at, request_id=request.id))
            if request.school_id == sequence.school_id:
                sequence.status = "approved"
    for data in OPEN_REVIEWS:
        sequence, reviewer = ids[data["target_id"]], ids[data["reviewer_id"]]
        head = revisions.get_revision(sequence.document_id, sequence.document.head_number)
        school_id = sequence.school_id if data["school_of"] == "owner" else \
            _school_for(reviewer, sequence)
        _request(sequence, head, reviewer, school_id,
                 _when(clock_of(seed).text(data["created_at"])), data["note"])


#: For app.demo.loader.STEPS: runs after the planning step ("sequences").
STEP: tuple[str, Step] = ("reviews", load_reviews)
