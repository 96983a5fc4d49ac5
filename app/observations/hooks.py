"""What research lessons offer other features (each answer checks visibility).

Connected to this app's signals by `install` (from app.observations.init_app):
* signals.review_evidence: the agreed changes behind a plan change, for the review screen;
* signals.session_digest: research lessons and open agreed changes since the last session.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, url_for
from sqlalchemy import select

from app import revisions, signals
from app.accounts.models import User, WorkGroup
from app.errors import NotFound
from app.extensions import db
from app.observations import permissions, services
from app.observations.models import AgreedChange, ResearchLesson
from app.planning.models import Lesson, Sequence
from app.timeutil import aware

Item = tuple[str, str, str]


def review_evidence(user: User, item: Lesson | Sequence, from_number: int,
                    to_number: int) -> list[Item]:
    """(title, url, text) for each agreed change addressed between two revisions of a plan.

    For a lesson the numbers are its revisions; for a sequence they are the sequence's, so
    changes to its lessons count when addressed after `from` and before the save after `to`.
    """
    lessons = [item] if isinstance(item, Lesson) else list(item.lessons)
    window = None if isinstance(item, Lesson) else (
        _saved_at(item.document_id, from_number),
        # Lesson saves make no sequence revision, so "up to `to`" runs until the next one.
        _saved_at(item.document_id, to_number + 1) or dt.datetime.max.replace(tzinfo=dt.UTC))

    def in_range(change: AgreedChange) -> bool:
        if window is None:
            return from_number < (change.addressed_revision_number or 0) <= to_number
        start, end = window
        at = aware(change.addressed_at) if change.addressed_at else None
        return at is not None and (start is None or at > start) and at < end

    out: list[Item] = []
    for rl in sorted(services.visible_research_lessons(user, [x.id for x in lessons]),
                     key=lambda r: (r.taught_on, r.id)):
        for change in rl.agreed_changes:
            if change.status == "addressed" and in_range(change):
                where = f"{rl.lesson.title}, " if isinstance(item, Sequence) else ""
                out.append((rl.title, _change_url(change),
                            f"Agreed change addressed in {where}revision "
                            f"{change.addressed_revision_number}: {change.text}"))
    return out


def _saved_at(document_id: int, number: int) -> dt.datetime | None:
    if number < 1:
        return None
    try:
        return aware(revisions.get_revision(document_id, number).created_at)
    except NotFound:
        return None


def session_digest(user: User, group: WorkGroup,
                   since: dt.datetime) -> list[tuple[str, list[Item]]]:
    """Research lessons taught or recorded since a date, and the group's open agreed changes."""
    rows = db.session.scalars(select(ResearchLesson).where(
        ResearchLesson.work_group_id == group.id).order_by(ResearchLesson.taught_on,
                                                          ResearchLesson.id))
    visible = [r for r in rows if permissions.can_view_research_lesson(user, r)]
    recent: list[Item] = []
    for rl in visible:
        recorded = [o for o in rl.observations if aware(o.updated_at) >= since]
        if rl.taught_on >= since.date() or recorded:
            recent.append((rl.title, _rl_url(rl),
                           f"Taught by {rl.teacher.display_name}; {len(rl.observations)} of "
                           f"{len(rl.observers)} observations recorded."))
    open_changes = [(change.text, _change_url(change),
                     f"{rl.lesson.title} — {change.field_label or 'the lesson as a whole'}")
                    for rl in visible for change in rl.agreed_changes
                    if change.status == "open"]
    sections = []
    if recent:
        sections.append(("Research lessons", recent))
    if open_changes:
        sections.append(("Open agreed changes", open_changes))
    return sections


def _rl_url(rl: ResearchLesson) -> str:
    return url_for("observations.research_lesson", research_lesson_id=rl.id)


def _change_url(change: AgreedChange) -> str:
    return f"{_rl_url(change.research_lesson)}#change-{change.id}"


def _on_review_evidence(_app: Flask, *, user: User, item: Lesson | Sequence,
                        from_number: int, to_number: int) -> list[Item]:
    return review_evidence(user, item, from_number, to_number)


def _on_session_digest(_app: Flask, *, user: User, group: WorkGroup,
                       since: dt.datetime) -> list[tuple[str, list[Item]]]:
    return session_digest(user, group, since)


def install(app: Flask) -> None:
    """Answer this app's review-evidence and session-digest questions. (Links to research
    lessons, observations and agreed changes are checked by the rules in app/visibility.py.)"""
    signals.review_evidence.connect(_on_review_evidence, sender=app)
    signals.session_digest.connect(_on_session_digest, sender=app)
