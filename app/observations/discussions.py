"""The post-lesson discussion of a research lesson: one record, written by the teacher, the
observers and the Work Group Lead, updated by later saves."""

from __future__ import annotations

from typing import Any

from app.accounts.models import User
from app.core.markdown import render_markdown
from app.errors import Forbidden, ValidationError
from app.extensions import db
from app.observations import permissions, validation
from app.observations.models import (
    Discussion,
    ResearchLesson,
)
from app.observations.research_lessons import (
    get_research_lesson,
)
from app.timeutil import utcnow


def discussion_form(user: User, research_lesson_id: int) -> tuple[ResearchLesson, dict[str, str]]:
    research_lesson = _discussable(user, research_lesson_id)
    found = research_lesson.discussion
    data = {"teacher_reflection": found.teacher_reflection if found else "",
            "discussion_points": found.discussion_points if found else "",
            "pupil_interview": found.pupil_interview if found else ""}
    return research_lesson, data


def _discussable(user: User, research_lesson_id: int) -> ResearchLesson:
    research_lesson = get_research_lesson(user, research_lesson_id)
    if not permissions.can_record_discussion(user, research_lesson):
        raise Forbidden("Only the teacher, the observers and the Work Group Lead record the "
                        "post-lesson discussion.")
    return research_lesson


def save_discussion(user: User, research_lesson_id: int, data: dict[str, Any]) -> Discussion:
    """Record the post-lesson discussion (one per research lesson; later saves update it)."""
    research_lesson = _discussable(user, research_lesson_id)
    errors: dict[str, str] = {}
    reflection = validation.text(data, "teacher_reflection", "Teacher's reflection", errors,
                                 pupils=True)
    points = validation.text(data, "discussion_points", "Discussion points", errors, pupils=True)
    interview = validation.text(data, "pupil_interview", "Pupil interview", errors, pupils=True)
    if errors:
        raise ValidationError(fields=errors)
    discussion = research_lesson.discussion
    if discussion is None:
        discussion = Discussion(research_lesson=research_lesson, updated_by_id=user.id)
        db.session.add(discussion)
    if points != discussion.discussion_points or (points and not discussion.discussion_points_html):
        discussion.discussion_points_html = str(render_markdown(points)) if points else ""
    discussion.teacher_reflection, discussion.discussion_points = reflection, points
    discussion.pupil_interview = interview
    discussion.updated_by_id, discussion.updated_at = user.id, utcnow()
    return discussion
