"""Other features' events that become watches and notifications.

Subscribed in app.notifications.init_app (per app) to `app.signals.review_requested`,
`review_decided` and `observation_recorded`; the reviews and observations features only
announce what happened, and this module decides who is told and how.
"""

from __future__ import annotations

from flask import Flask, has_request_context, url_for

from app.accounts.models import User
from app.extensions import db
from app.mail import mail_configured, send_mail
from app.notifications.services import auto_watch, notify, site_path
from app.notifications.visibility import url_visible
from app.observations.models import Observation, ResearchLesson
from app.planning.history import Subject
from app.reviews.models import ReviewDecision, ReviewRequest
from app.timeutil import utcnow

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


def on_observers_invited(_app: Flask, *, research_lesson: ResearchLesson, user: User,
                         user_ids: list[int]) -> None:
    """Each newly invited observer is told in the app, and by e-mail when mail is configured
    (the lesson is on their dashboard too); the inviter is never told about themselves."""
    when = research_lesson.taught_on.strftime("%-d %B %Y")
    # By id: the teacher may have just been changed on a loaded record.
    teacher = db.session.get(User, research_lesson.teacher_id)
    by = f" taught by {teacher.display_name}" if teacher is not None else ""
    text = (f"{user.display_name} invited you to observe the research lesson on "
            f"“{research_lesson.lesson.title}”{by} on {when}.")
    path = site_path("observations.research_lesson", research_lesson_id=research_lesson.id)
    # The e-mail needs a full address; outside a request (CLI) the path is all there is.
    link = (url_for("observations.research_lesson", research_lesson_id=research_lesson.id,
                    _external=True) if has_request_context() else path)
    for user_id in user_ids:
        person = db.session.get(User, user_id)
        # Never the inviter; never someone the lesson's visibility keeps out (the text names
        # the lesson, its teacher and date, and an e-mail cannot be hidden later).
        if user_id == user.id or person is None or not url_visible(person, path):
            continue
        note = notify(user_id, "observer_invited", text, path)
        # Sent now rather than in the next digest: the lesson may be days away. Marked
        # e-mailed, so the digest does not send it a second time.
        if not person.disabled and mail_configured() and send_mail(
                person.email, f"Invitation to observe: {research_lesson.lesson.title}",
                f"{text}\n\nThe lesson's research focus, the focus pupils and your observation "
                f"form are on its page in Coplan: {link}\n"):
            note.emailed_at = utcnow()
