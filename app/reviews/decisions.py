"""Deciding a review: approve (pinning the revision for the school), ask for changes or
comment, on the revision the reviewer was shown."""

from __future__ import annotations

from app import revisions, signals
from app.accounts.models import User
from app.accounts.services import audit
from app.core.markdown import render_markdown
from app.errors import Forbidden, RevisionConflict, ValidationError
from app.extensions import db
from app.reviews import permissions
from app.reviews.approved import refresh_status
from app.reviews.lessons import pin_lessons
from app.reviews.models import DECISIONS, Approval, ReviewDecision
from app.reviews.models import ReviewFieldComment as FieldComment
from app.reviews.requests import get_request
from app.timeutil import utcnow

MAX_COMMENT = 20_000


def decide(user: User, request_id: int, decision: str, comment: str,
           field_comments: dict[str, str], revision_number: int | None,
           lesson_numbers: dict[int, int] | None = None) -> ReviewDecision:
    """Record a reviewer's decision on the revision they were shown.

    Approving pins that revision for the request's school. Raises Forbidden for anyone who
    may not review for the school and for authors approving their own revision, and
    RevisionConflict when a newer revision was saved after the screen was loaded.
    Approving a sequence also approves each of its lessons' current revisions for the school;
    `lesson_numbers` (lesson id -> revision, from the screen) must still match them.
    """
    request, subject = get_request(user, request_id)
    sequence = subject.sequence
    school_name = request.school.name
    if not permissions.can_review_for(user, sequence, request.school_id):
        raise Forbidden(f"Only {school_name}'s subject leader or the Work Group Lead can "
                        f"review this for {school_name}.")
    if not request.is_open:
        raise ValidationError("This review is already closed. Ask the author to request a new "
                              "review if the plan has changed.")
    errors: dict[str, str] = {}
    if decision not in DECISIONS:
        errors["decision"] = "Choose approve, ask for changes or comment."
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        errors["comment"] = f"Keep the comment under {MAX_COMMENT:,} characters."
    labels = dict(subject.diff_fields)
    anchored: list[tuple[str, str]] = []
    for key, text in field_comments.items():
        text = text.strip()
        if not text:
            continue
        if key not in labels:
            errors["comment"] = "A comment was for a part of the plan that does not exist."
        elif len(text) > MAX_COMMENT:
            errors[f"field__{key}"] = f"Keep the comment under {MAX_COMMENT:,} characters."
        else:
            anchored.append((key, text))
    if decision in ("request_changes", "comment") and not (comment or anchored):
        errors["comment"] = ("Say what should change." if decision == "request_changes"
                             else "Write your comment.")
    if errors:
        raise ValidationError(fields=errors)
    head = subject.head_number
    if revision_number != head:
        raise RevisionConflict(f"Revision {head} was saved after you opened this review. "
                               "Reload the review to see the newer changes, then decide.")
    revision = revisions.get_revision(subject.document_id, head)
    if decision == "approve":
        reason = permissions.own_revision_reason(user, revision)
        if reason:
            raise Forbidden(reason)
    order = [key for key, _label in subject.diff_fields]
    anchored.sort(key=lambda pair: order.index(pair[0]))
    record = ReviewDecision(
        request=request, revision_number=head, reviewer_id=user.id, decision=decision,
        comment=comment, comment_html=str(render_markdown(comment)) if comment else "",
        field_comments=[FieldComment(field_key=key, field_label=labels[key], text=text,
                                     html=str(render_markdown(text))) for key, text in anchored])
    db.session.add(record)
    now = utcnow()
    if decision == "approve":
        approval = Approval(document_id=subject.document_id, revision_number=head,
                            school_id=request.school_id, approved_by_id=user.id,
                            approved_at=now, request_id=request.id)
        db.session.add(approval)
        if subject.kind == "sequence":
            db.session.flush()  # the lessons' approvals point at this one
            pin_lessons(user, sequence, approval, lesson_numbers)
        request.status, request.outcome, request.closed_at = "closed", "approved", now
        audit(user, "review.approved", f"{subject.kind.title()} “{subject.title}”",
              f"Revision {head} approved for {school_name}",
              work_group_id=sequence.work_group_id)
    elif decision == "request_changes":
        request.status, request.outcome, request.closed_at = "closed", "changes_requested", now
    db.session.flush()
    refresh_status(user, request, subject)
    # The notifications feature subscribes: the reviewer watches the plan, the asker is told.
    signals.send(signals.review_decided, review=request, subject=subject, user=user,
                 decision=record)
    return record
