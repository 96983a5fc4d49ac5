"""Adopting another school's shared sequence as it is: a reader asks their own school's
subject leader to approve it for their school, without adapting (copying) it first.

The request is an ordinary review request for the reader's school (app/reviews/requests.py);
approving it pins the sequence and its lessons for that school only."""

from __future__ import annotations

from app.accounts.models import User
from app.errors import Forbidden, ValidationError
from app.planning.models import Sequence
from app.reviews import permissions
from app.reviews.models import ReviewRequest
from app.reviews.requests import reviewers_for, submit_for_review
from app.reviews.targets import get_target


def _subject_leaders(sequence: Sequence, school_id: int) -> list[User]:
    """The school's subject leaders who may approve the plan for it (not the group's Lead:
    adoption is the school's own decision)."""
    return [p for p in reviewers_for(sequence, school_id)
            if permissions.is_subject_leader_of(p, school_id)]


def request_adoption(user: User, sequence_id: int, school_id: int | None) -> ReviewRequest:
    """Ask the subject leader of one of the user's schools to approve another school's
    sequence for it. NotFound when the user may not read the sequence; Forbidden for a
    school that is not theirs or is the sequence's own."""
    sequence = get_target(user, "sequence", sequence_id).sequence
    # can_request_review also lets editors ask for the plan's own school: not an adoption.
    if (school_id is None or school_id == sequence.school_id
            or not permissions.can_request_review(user, sequence, school_id)):
        raise Forbidden("You can ask for approval only for a school you belong to, other than "
                        "the school that wrote the plan.")
    leaders = _subject_leaders(sequence, school_id)
    if not leaders:
        raise ValidationError("Your school has no subject leader in Coplan to approve it. "
                              "Ask your Work Group Lead instead.")
    # Someone else first: a subject leader asking may still approve it themselves later.
    leader = next((p for p in leaders if p.id != user.id), leaders[0])
    return submit_for_review(user, "sequence", sequence.id, school_id, leader.id,
                             "Please approve this sequence for our school, as it is.")
