"""What a notification says on screen, decided when it is shown, for the person reading it.

A notification stores the sentence written when it happened ("Tom changed “Fractions”") and
the path it is about. Each time it is shown, the path is checked again against the reader's
access (app/notifications/visibility.py, the rules of app/visibility.py): while the reader may
still open it, they see the sentence and *where* it happened, named from today's data (the
plan's current title, its sequence and Work Group). Once they may not, they see only what kind
of thing happened: no sentence, no title, no link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.exceptions import HTTPException

from app.accounts.models import User, WorkGroup
from app.extensions import db
from app.notifications.models import Notification
from app.notifications.visibility import url_visible
from app.observations.models import ResearchLesson
from app.planning.models import Lesson, Sequence
from app.reviews.models import ReviewRequest

HIDDEN = "about something you can no longer open"


@dataclass(frozen=True)
class Shown:
    """One notification as its reader sees it now."""

    #: What happened ("Tom changed “Fractions” …"), or only its kind when hidden.
    what: str
    #: Where, named from current data ("Lesson “…” in “…” · Work Group …"); "" when hidden.
    where: str
    #: False once the reader may no longer open what it is about.
    visible: bool


def _q(title: str) -> str:
    return f"“{title}”"


def _sequence_place(sequence: Sequence) -> list[str]:
    return [f"sequence {_q(sequence.title)}", f"Work Group {_q(sequence.work_group.title)}"]


def _lesson_place(lesson: Lesson) -> list[str]:
    return [f"lesson {_q(lesson.title)}", *_sequence_place(lesson.sequence)]


def _place(args: dict[str, Any]) -> list[str]:
    """Names of what the path's ids point at, most specific first (all already checked)."""
    if "lesson_id" in args and (lesson := db.session.get(Lesson, args["lesson_id"])):
        return _lesson_place(lesson)
    if "sequence_id" in args and (sequence := db.session.get(Sequence, args["sequence_id"])):
        return _sequence_place(sequence)
    if "research_lesson_id" in args and (
            research := db.session.get(ResearchLesson, args["research_lesson_id"])):
        return [f"research lesson on {_q(research.lesson.title)}",
                f"Work Group {_q(research.work_group.title)}"]
    if "review_id" in args and (review := db.session.get(ReviewRequest, args["review_id"])):
        subject = (db.session.get(Lesson, review.target_id) if review.target_kind == "lesson"
                   else None)
        places = (_lesson_place(subject) if subject is not None
                  else _sequence_place(db.session.get_one(Sequence, review.sequence_id)))
        return [f"review for {review.school.name}", *places]
    for key in ("group_id", "work_group_id"):
        if key in args and (group := db.session.get(WorkGroup, args[key])):
            return [f"Work Group {_q(group.title)}"]
    return []


def _args(url: str) -> dict[str, Any]:
    try:
        _endpoint, args = current_app.url_map.bind("localhost").match(
            urlsplit(url).path, method="GET")
    except HTTPException:
        return {}
    return dict(args)


def describe(reader: User, note: Notification) -> Shown:
    """The notification as `reader` may see it now (only ever shown to its own recipient)."""
    if not url_visible(reader, note.url):
        return Shown(f"{note.label} {HIDDEN}.", "", False)
    places = _place(_args(note.url))
    return Shown(note.text, ("In " + " · ".join(places)) if places else "", True)
