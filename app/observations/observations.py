"""Observations: each observer's own record of a research lesson (responses, focus pupils
and timed noticings), read, started and updated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app import signals
from app.accounts.models import User
from app.core.markdown import render_markdown
from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.observations import permissions, validation
from app.observations.models import (
    FIELD_LABELS,
    PHASES,
    FocusPupil,
    Noticing,
    Observation,
    ResearchLesson,
)
from app.observations.research_lessons import get_research_lesson
from app.timeutil import utcnow


@dataclass
class ObservationForm:
    research_lesson: ResearchLesson
    observation: Observation | None
    data: dict[str, Any]


def my_observation(user: User, research_lesson_id: int) -> ObservationForm:
    """The user's own observation of a research lesson (blank if not started)."""
    research_lesson = _observable(user, research_lesson_id)
    observation = _find_observation(research_lesson, user.id)
    data = observation_data(observation)
    if observation is None:
        # A new record starts from the focus pupils the teacher chose when scheduling.
        data["pupils"] = [{"code": p.code, "profile": p.profile, "prediction": "", "evidence": ""}
                          for p in research_lesson.planned_pupils]
    return ObservationForm(research_lesson, observation, data)


def observation_form(user: User, observation_id: int) -> ObservationForm:
    observation = editable_observation(user, observation_id)
    return ObservationForm(observation.research_lesson, observation,
                           observation_data(observation))


def get_observation(user: User, observation_id: int) -> Observation:
    observation = db.session.get(Observation, observation_id)
    if observation is None or not permissions.can_view_research_lesson(
            user, observation.research_lesson):
        raise NotFound()
    return observation


def editable_observation(user: User, observation_id: int) -> Observation:
    observation = get_observation(user, observation_id)
    if not permissions.can_edit_observation(user, observation):
        raise Forbidden("An observation is its observer's own record: only they can change it.")
    return observation


def _observable(user: User, research_lesson_id: int) -> ResearchLesson:
    research_lesson = get_research_lesson(user, research_lesson_id)
    if not permissions.can_record_observation(user, research_lesson):
        raise Forbidden("Only the observers of this research lesson record observations. Ask "
                        "the teacher or the Work Group Lead to add you as an observer.")
    return research_lesson


def _find_observation(research_lesson: ResearchLesson, observer_id: int) -> Observation | None:
    return next((o for o in research_lesson.observations if o.observer_id == observer_id), None)


def observation_data(observation: Observation | None) -> dict[str, Any]:
    """An observation as the form shows it."""
    if observation is None:
        return {"responses": "", "pupils": [], "noticings": []}
    return {
        "responses": observation.responses,
        "pupils": [{"code": p.code, "profile": p.profile, "prediction": p.prediction,
                    "evidence": p.evidence} for p in observation.focus_pupils],
        "noticings": [{"at": n.at, "note": n.note,
                       "about": f"phase:{n.phase}" if n.phase else
                       f"field:{n.field_key}" if n.field_key else ""}
                      for n in observation.noticings],
    }


def save_my_observation(user: User, research_lesson_id: int,
                        data: dict[str, Any]) -> Observation:
    """Record or update the user's own observation."""
    research_lesson = _observable(user, research_lesson_id)
    observation = _find_observation(research_lesson, user.id)
    recorded = observation is None
    if observation is None:
        observation = Observation(research_lesson=research_lesson, observer_id=user.id)
        db.session.add(observation)
    _apply_observation(observation, data)
    if recorded:
        # The notifications feature subscribes and tells the research lesson's teacher.
        signals.send(signals.observation_recorded, observation=observation, user=user)
    return observation


def update_observation(user: User, observation_id: int, data: dict[str, Any]) -> Observation:
    observation = editable_observation(user, observation_id)
    _apply_observation(observation, data)
    return observation


def _apply_observation(observation: Observation, data: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    responses = validation.text(data, "responses", "Pupil responses", errors, pupils=True)
    pupils = _pupil_rows(data.get("pupils") or [], errors)
    noticings = _noticing_rows(data.get("noticings") or [], errors)
    if errors:
        raise ValidationError(fields=errors)
    if responses != observation.responses or not observation.responses_html and responses:
        observation.responses_html = str(render_markdown(responses)) if responses else ""
    observation.responses = responses
    # Replace the rows: clear and flush first so a re-used code never meets its old row.
    observation.focus_pupils.clear()
    observation.noticings.clear()
    db.session.flush()
    observation.focus_pupils.extend(FocusPupil(position=n, **row)
                                    for n, row in enumerate(pupils, start=1))
    observation.noticings.extend(Noticing(position=n, **row)
                                 for n, row in enumerate(noticings, start=1))
    observation.updated_at = utcnow()


def _pupil_rows(rows: list[dict[str, Any]], errors: dict[str, str]) -> list[dict[str, str]]:
    return validation.pupil_rows(rows, errors, (("profile", "Profile"), ("prediction",
                                 "Prediction"), ("evidence", "Evidence")), "Record")


def _noticing_rows(rows: list[dict[str, Any]], errors: dict[str, str]) -> list[dict[str, str]]:
    if len(rows) > validation.MAX_NOTICINGS:
        errors["noticings"] = f"Record at most {validation.MAX_NOTICINGS} noticings at once."
        return []
    out: list[dict[str, str]] = []
    for index, row in enumerate(rows):
        prefix = f"noticings-{index}-"
        row_errors: dict[str, str] = {}
        note = validation.text(row, "note", "The note", row_errors, pupils=True)
        at = str(row.get("at") or "").strip()
        about = str(row.get("about") or "").strip()
        if not note and not at and not about:
            continue
        if not note:
            row_errors["note"] = "Write what you noticed, or clear the row."
        if at and not validation.AT_RE.fullmatch(at):
            row_errors["at"] = "Give the minute into the lesson (12) or the time (10:15)."
        phase = field_key = ""
        kind, _, key = about.partition(":")
        if kind == "phase" and key in PHASES:
            phase = key
        elif kind == "field" and key in FIELD_LABELS:
            field_key = key
        elif about:
            row_errors["about"] = "Choose a lesson phase or a part of the plan from the list."
        errors.update({prefix + k: v for k, v in row_errors.items()})
        out.append({"at": at, "phase": phase, "field_key": field_key, "note": note})
    return out
