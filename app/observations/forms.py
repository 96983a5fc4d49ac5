"""Research lesson forms: schedule or edit one, observe, discuss, and agreed changes.

Forms check the shape of what was posted; the services keep the research lesson rules
(app/observations/validation.py and services: members only, dates, the revision taught).
A revision number naming no version of the lesson is the service's 404, not a form error.
"""

from __future__ import annotations

import re
from typing import Any

from flask import request
from wtforms import StringField

from app.forms import CoplanForm, ValuesField, WordedNumberField, clip

#: Longest text one box takes in; the service says so if it is still too long.
TEXT_LIMIT = 100_000
PUPIL_KEYS = ("code", "profile", "prediction", "evidence")
#: The focus pupils chosen when scheduling: a code and a short profile each.
PLANNED_PUPIL_KEYS = ("code", "profile")
NOTICING_KEYS = ("at", "about", "note")
_ROW_RE = re.compile(r"(pupils|noticings)-([0-9]{1,3})-([a-z]+)")


def _text(limit: int = TEXT_LIMIT) -> StringField:
    return StringField(default="", filters=[clip(limit)])


class ResearchLessonForm(CoplanForm):
    """Scheduling a research lesson, or editing its details."""

    kind = _text(40)
    revision_number = _text(20)
    taught_on = _text(40)
    teacher_id = WordedNumberField(message="Choose the teacher from the Work Group's members.")
    year_group = _text(20)
    class_context = _text()
    research_focus = _text()
    key_point = _text()
    difficult_points = _text()
    feedback_wanted = _text()
    visibility = _text(20)
    session_id = _text(20)
    observers = ValuesField()

    def details(self) -> dict[str, Any]:
        """The details as the service takes them and the page shows them again."""
        data: dict[str, Any] = {
            key: self[key].data or "" for key in (
                "kind", "revision_number", "taught_on", "year_group", "class_context",
                "research_focus", "key_point", "difficult_points", "feedback_wanted",
                "visibility", "session_id")}
        data["pupils"] = _rows("pupils", PLANNED_PUPIL_KEYS)
        data["teacher_id"] = "" if self.teacher_id.data is None else str(self.teacher_id.data)
        data["observers"] = self.observers.data or []
        return data


class ObservationForm(CoplanForm):
    """An observer's notes: responses, focus pupils and timed noticings (repeated rows
    named pupils-<n>-<key> and noticings-<n>-<key>, so the page works without JavaScript)."""

    responses = _text()
    action = _text(20)

    def notes(self) -> dict[str, Any]:
        """The responses and both lists of rows, in row order, as typed."""
        return {"responses": self.responses.data or "", "pupils": _rows("pupils", PUPIL_KEYS),
                "noticings": _rows("noticings", NOTICING_KEYS)}


def _rows(group: str, keys: tuple[str, ...]) -> list[dict[str, str]]:
    """The posted rows <group>-<n>-<key> of one list, in row order, as typed."""
    found: dict[int, dict[str, str]] = {}
    for name, value in request.form.items():
        match = _ROW_RE.fullmatch(name)
        if match and match.group(1) == group and match.group(3) in keys:
            found.setdefault(int(match.group(2)), {})[match.group(3)] = value[: TEXT_LIMIT + 1]
    return [found[i] for i in sorted(found)]


class DiscussionForm(CoplanForm):
    """The post-lesson discussion."""

    teacher_reflection = _text()
    discussion_points = _text()
    pupil_interview = _text()

    def texts(self) -> dict[str, str]:
        """The three texts as the service takes them."""
        return {key: self[key].data or "" for key in
                ("teacher_reflection", "discussion_points", "pupil_interview")}


class AgreedChangeForm(CoplanForm):
    """An agreed change to the plan, and which part of the plan it is about."""

    change_text = _text()
    change_field = _text(40)


class DeclineForm(CoplanForm):
    """Declining an agreed change (the service asks for a reason)."""

    reason = _text()


class AddressForm(CoplanForm):
    """Marking an agreed change as addressed (the service asks for the revision if none)."""

    revision_number = WordedNumberField(message="Choose the revision that made it.")
