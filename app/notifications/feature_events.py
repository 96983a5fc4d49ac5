"""Other features' events that become watches and notifications.

Subscribed in app.notifications.init_app (per app) to `app.signals.review_requested`,
`review_decided` and `observation_recorded`; the reviews and observations features only
announce what happened, and this module decides who is told and how.
"""

from __future__ import annotations

from flask import Flask

from app.accounts.models import User
from app.notifications.services import auto_watch, notify, site_path
from app.observations.models import Observation
from app.planning.history import Subject
from app.reviews.models import ReviewDecision, ReviewRequest

#: How a decision reads in "<reviewer> <verb> revision 3 of ...".
DECISION_VERBS = {"approve": "approved", "request_changes": "asked for changes to",
                  "comment": "commented on"}


def _review_url(review: ReviewRequest) -> str:
    return site_path("reviews.review", review_id=review.id)


def on_review_requested(_app: Flask, *, review: ReviewRequest, subject: Subject,
                        user: User) -> None:
    """The asker watches the plan; the reviewer is told (unless they asked themselves)."""
    auto_watch(user, subject.kind, subject.id)
    if review.reviewer_id != user.id:
        notify(review.reviewer_id, "review_requested",
               f"{user.display_name} asked you to review revision {review.revision_number} of "
               f"“{subject.title}” for {review.school.name}.", _review_url(review))


def on_review_decided(_app: Flask, *, review: ReviewRequest, subject: Subject, user: User,
                      decision: ReviewDecision) -> None:
    """The reviewer watches the plan; the asker is told (unless they decided themselves)."""
    auto_watch(user, subject.kind, subject.id)
    if review.requested_by_id != user.id:
        notify(review.requested_by_id, "decision_made",
               f"{user.display_name} {DECISION_VERBS[decision.decision]} revision "
               f"{decision.revision_number} of “{subject.title}” for {review.school.name}.",
               _review_url(review))


def on_observation_recorded(_app: Flask, *, observation: Observation, user: User) -> None:
    """The research lesson's teacher is told (unless they observed their own lesson)."""
    research_lesson = observation.research_lesson
    if research_lesson.teacher_id == user.id:
        return
    notify(research_lesson.teacher_id, "new_observation",
           f"{user.display_name} recorded an observation of your research lesson on "
           f"“{research_lesson.lesson.title}”.",
           site_path("observations.research_lesson", research_lesson_id=research_lesson.id))
