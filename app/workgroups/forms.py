"""Work Group forms: sessions and their notes, the board, and school action plans.

Forms check the shape of what was posted (whole numbers, a value a button must carry); the
services keep the Work Group rules (dates in the group's year, members only, plan merges).
"""

from __future__ import annotations

import re
from typing import Any

from flask import request
from wtforms import Field, StringField
from wtforms.validators import InputRequired

from app.core.text import is_whole_number
from app.forms import (
    BaseRevisionField,
    CoplanForm,
    ValuesField,
    WordedNumberField,
    clip,
)
from app.workgroups.sessions import MAX_NUMBER, NOTE_KEYS

#: Longest text one box takes in; the service says so if it is still too long.
TEXT_LIMIT = 100_000
PRIORITY_TEXT_LIMIT = 20_000
ROW_TEXT_LIMIT = 4000
ACTION_ROW = re.compile(r"actions-([0-9]{1,2})-(id|action|lead_id|due|status|remove)")
REVIEW_ROW = re.compile(r"review-([0-9]{1,2})-(id|date|note|remove)")
CHOOSE_SCHOOL = "Choose the school whose plan to start."


def _text(limit: int = TEXT_LIMIT) -> StringField:
    return StringField(default="", filters=[clip(limit)])


def typed(field: Field) -> str:
    """What was typed in a number box, so a wrong number is shown again to be corrected."""
    if field.raw_data:
        return str(field.raw_data[0])
    return "" if field.data is None else str(field.data)


def posted_rows(pattern: re.Pattern[str]) -> list[dict[str, str]]:
    """Repeated rows named <name>-<n>-<field>, in order of n, as typed (the page adds rows
    without JavaScript, so their names are not known in advance)."""
    rows: dict[int, dict[str, str]] = {}
    for name, value in request.form.items():
        if match := pattern.fullmatch(name):
            rows.setdefault(int(match[1]), {})[match[2]] = value[: ROW_TEXT_LIMIT + 1]
    return [rows[n] for n in sorted(rows)]


class SessionForm(CoplanForm):
    """A session's details: when, what kind, who hosts, who comes, what it links to."""

    number = WordedNumberField(message=(
        f"Enter the session number as a whole number from 1 to {MAX_NUMBER}, or leave it "
        "blank for a support visit."))
    date = _text(300)
    start_time = _text(300)
    end_time = _text(300)
    kind = _text(300)
    host_school_id = WordedNumberField(
        message="Choose one of the Work Group's schools, or no host.")
    title = _text(300)
    agenda = _text()
    attendees = ValuesField()
    links = ValuesField()

    def details(self) -> dict[str, Any]:
        """The details as the service takes them and the page shows them again."""
        data: dict[str, Any] = {key: self[key].data or "" for key in
                                ("date", "start_time", "end_time", "kind", "title", "agenda")}
        data["number"], data["host_school_id"] = typed(self.number), typed(self.host_school_id)
        data["attendees"] = self.attendees.data or []
        data["links"] = self.links.data or []
        return data


class _RevisedForm(CoplanForm):
    """A save of a revised document: the revision it was based on and a note for history."""

    base_number = BaseRevisionField()
    summary = _text(300)


class NotesForm(_RevisedForm):
    """A session's agenda and notes (one text box per note field)."""

    def texts(self) -> dict[str, str]:
        """The note texts as the service takes them (not `notes`: that is a field)."""
        return {key: self[key].data or "" for key in NOTE_KEYS}


for _key in NOTE_KEYS:  # one box per note field, named as the service names them
    setattr(NotesForm, _key, _text())


class ThreadForm(CoplanForm):
    """A new thread on the Work Group's board."""

    title = _text(300)
    category = _text(20)
    body = _text()

    def thread(self) -> dict[str, str]:
        """The thread as typed."""
        return {"title": self.title.data or "", "category": self.category.data or "",
                "body": self.body.data or ""}


class PriorityForm(_RevisedForm):
    """One priority of an action plan and its rows of actions (actions-<n>-<field>)."""

    area = _text(PRIORITY_TEXT_LIMIT)
    intended_outcome = _text(PRIORITY_TEXT_LIMIT)
    success_criteria = _text(PRIORITY_TEXT_LIMIT)
    evidence_links = _text(PRIORITY_TEXT_LIMIT)
    rag = _text(PRIORITY_TEXT_LIMIT)
    action = _text(20)

    def priority(self) -> dict[str, Any]:
        """The priority as the service takes it, with its action rows as typed."""
        data: dict[str, Any] = {key: self[key].data or "" for key in
                                ("area", "intended_outcome", "success_criteria",
                                 "evidence_links", "rag")}
        data["actions"] = posted_rows(ACTION_ROW)
        return data


class ReviewPointsForm(_RevisedForm):
    """An action plan's review points (rows review-<n>-<field>)."""

    def rows(self) -> list[dict[str, str]]:
        """The review point rows as typed."""
        return posted_rows(REVIEW_ROW)


class StartPlanForm(CoplanForm):
    """The "start the plan" button beside a school: it must name the school."""

    school_id = WordedNumberField(validators=[InputRequired(CHOOSE_SCHOOL)],
                                  message=CHOOSE_SCHOOL)


class SignOffForm(CoplanForm):
    """Signing off one version of an action plan (the service asks for it if none)."""

    number = WordedNumberField(message="Choose the version to sign off.")


class RemovePriorityForm(CoplanForm):
    """Removing a priority: the revision the page showed, so a later change is not lost."""

    base_number = BaseRevisionField()


SEQUENCE_CHOICE = re.compile(r"sequence-([0-9]{1,9})")


class NewYearForm(CoplanForm):
    """Starting the next year: a choice per sequence (sequence-<id>) and members who stay."""

    def choices(self) -> dict[int, str]:
        """{sequence id: "carry" or "archive"} as posted (the service checks each)."""
        return {int(match[1]): value[:20] for name, value in request.form.items()
                if (match := SEQUENCE_CHOICE.fullmatch(name))}

    def confirmed(self) -> set[int]:
        """The user ids whose membership was confirmed (ticked boxes named "continuing")."""
        return {int(v) for v in request.form.getlist("continuing")
                if is_whole_number(v) and len(v) < 10}
