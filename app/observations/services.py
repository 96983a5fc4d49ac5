"""Research lessons: schedule, observe, discuss, agree changes, and close the loop into revisions.

Every read goes through permissions.can_view_research_lesson: a record the reader may not see is
NotFound (never revealed), and a visible record they may not change is Forbidden with a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for
from sqlalchemy import select

from app.accounts.models import User, WorkGroup
from app.core.markdown import render_markdown
from app.core.text import is_whole_number
from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.observations import permissions, validation
from app.observations.models import (
    FIELD_LABELS,
    KINDS,
    PHASES,
    VISIBILITY,
    AgreedChange,
    Discussion,
    FocusPupil,
    Noticing,
    Observation,
    ResearchLesson,
    ResearchLessonObserver,
)
from app.observations.validation import MAX_CHANGE
from app.planning import revisions
from app.planning import services as planning
from app.planning.models import Lesson, Revision
from app.planning.reference_data import YEAR_GROUPS
from app.timeutil import utcnow

YEAR_CODES: set[str] = {code for code, _label in YEAR_GROUPS}
NOT_A_MEMBER = ("Only members of this Work Group can observe its research lessons: one of the "
                "people chosen is not a member.")


# --- reading ----------------------------------------------------------------------------------


def get_research_lesson(user: User, research_lesson_id: int) -> ResearchLesson:
    """A research lesson the user may see; NotFound otherwise (never reveals that it exists)."""
    research_lesson = db.session.get(ResearchLesson, research_lesson_id)
    if research_lesson is None or not permissions.can_view_research_lesson(user, research_lesson):
        raise NotFound()
    return research_lesson


def editable_research_lesson(user: User, research_lesson_id: int) -> ResearchLesson:
    research_lesson = get_research_lesson(user, research_lesson_id)
    if not permissions.can_edit_research_lesson(user, research_lesson):
        raise Forbidden("Only the teacher, the person who scheduled it and the Work Group Lead "
                        "can change a research lesson's details.")
    return research_lesson


def members(group: WorkGroup) -> list[User]:
    """The Work Group's active members (and its Lead), by name: who may teach or observe."""
    people = {m.user.id: m.user for m in group.memberships if not m.user.disabled}
    if group.lead is not None and not group.lead.disabled:
        people.setdefault(group.lead.id, group.lead)
    return sorted(people.values(), key=lambda u: (u.display_name.casefold(), u.id))


def visible_research_lessons(user: User, lesson_ids: Iterable[int] | None = None
                             ) -> list[ResearchLesson]:
    """Research lessons the user may see (of some lessons, or all), newest first."""
    groups = {m.work_group_id for m in user.memberships}
    groups |= set(db.session.scalars(select(WorkGroup.id).where(WorkGroup.lead_id == user.id)))
    query = select(ResearchLesson).where(ResearchLesson.work_group_id.in_(groups or {-1}))
    if lesson_ids is not None:
        query = query.where(ResearchLesson.lesson_id.in_(set(lesson_ids) or {-1}))
    rows = db.session.scalars(query.order_by(ResearchLesson.taught_on.desc(),
                                             ResearchLesson.id.desc()))
    return [r for r in rows if permissions.can_view_research_lesson(user, r)]


# --- scheduling and editing -----------------------------------------------------------------------


@dataclass
class ScheduleForm:
    """What the schedule/edit form needs: the lesson, its revisions and who can take part."""

    lesson: Lesson
    revisions: list[Revision]
    people: list[User]
    data: dict[str, Any]
    research_lesson: ResearchLesson | None = None
    options: dict[str, Any] = field(default_factory=lambda: {
        "kinds": list(KINDS.items()), "visibility": list(VISIBILITY.items()),
        "year_groups": YEAR_GROUPS})


def schedule_form(user: User, lesson_id: int, revision_number: int | None = None) -> ScheduleForm:
    """A blank schedule form; a chosen revision must be one of this lesson's (else NotFound)."""
    lesson = _schedulable_lesson(user, lesson_id)
    number = revision_number or lesson.document.head_number
    if not 0 < number < 2**31:
        raise NotFound("That version does not exist.")
    revisions.get_revision(lesson.document_id, number)  # another lesson's number: 404
    data = {"kind": "research_lesson", "revision_number": str(number),
            "teacher_id": str(user.id), "year_group": lesson.sequence.year_group,
            "visibility": "work_group", "observers": [], "taught_on": ""}
    return ScheduleForm(lesson, revisions.list_revisions(lesson.document_id),
                        members(lesson.sequence.work_group), data)


def edit_form(user: User, research_lesson_id: int) -> ScheduleForm:
    research_lesson = editable_research_lesson(user, research_lesson_id)
    lesson = research_lesson.lesson
    rl = research_lesson
    data = {"kind": rl.kind, "revision_number": str(rl.revision_number),
            "teacher_id": str(rl.teacher_id), "year_group": rl.year_group,
            "visibility": rl.visibility, "observers": [str(i) for i in rl.observer_ids],
            "taught_on": rl.taught_on.isoformat(), "class_context": rl.class_context,
            "research_focus": rl.research_focus, "key_point": rl.key_point,
            "difficult_points": rl.difficult_points, "feedback_wanted": rl.feedback_wanted}
    return ScheduleForm(lesson, revisions.list_revisions(lesson.document_id),
                        members(rl.work_group), data, rl)


def _schedulable_lesson(user: User, lesson_id: int) -> Lesson:
    lesson = planning.get_lesson(user, lesson_id)
    if not permissions.can_schedule_research_lesson(user, lesson):
        raise Forbidden("Only members of the Work Group that owns this lesson can schedule a "
                        "research lesson on it.")
    return lesson


def schedule_research_lesson(user: User, lesson_id: int, data: dict[str, Any]) -> ResearchLesson:
    """Schedule a research lesson on the lesson's current revision, or the one chosen."""
    lesson = _schedulable_lesson(user, lesson_id)
    if lesson.archived_at is not None:
        raise ValidationError("Restore the lesson before scheduling a research lesson on it.")
    revision = _pinned_revision(lesson, data)
    group = lesson.sequence.work_group
    research_lesson = ResearchLesson(lesson=lesson, work_group=group, created_by_id=user.id)
    _apply_details(research_lesson, revision, group, data)
    db.session.add(research_lesson)
    db.session.flush()
    return research_lesson


def update_research_lesson(user: User, research_lesson_id: int,
                           data: dict[str, Any]) -> ResearchLesson:
    """Change a research lesson's details, observers or the revision it pins."""
    research_lesson = editable_research_lesson(user, research_lesson_id)
    revision = _pinned_revision(research_lesson.lesson, data)
    _apply_details(research_lesson, revision, research_lesson.work_group, data)
    research_lesson.updated_at = utcnow()
    return research_lesson


def _pinned_revision(lesson: Lesson, data: dict[str, Any]) -> Revision:
    """The revision taught: the head unless a number is given; another lesson's is NotFound."""
    raw = str(data.get("revision_number") or "").strip()
    if not raw:
        return revisions.get_revision(lesson.document_id, lesson.document.head_number)
    if not is_whole_number(raw) or len(raw) > 9:
        raise NotFound("That version does not exist.")
    return revisions.get_revision(lesson.document_id, int(raw))


def _apply_details(rl: ResearchLesson, revision: Revision, group: WorkGroup,
                   data: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    people = {u.id: u for u in members(group)}
    taught_on = _date(str(data.get("taught_on") or ""), errors)
    teacher = people.get(_int(data.get("teacher_id")) or 0)
    if teacher is None:
        errors["teacher_id"] = "Choose the teacher from the Work Group's members."
    observer_ids: list[int] = []
    for raw in data.get("observers") or []:
        number = _int(raw)
        if number is None or number not in people:
            errors["observers"] = NOT_A_MEMBER
            break
        if number not in observer_ids:
            observer_ids.append(number)
    if teacher is not None and teacher.id in observer_ids:
        errors["observers"] = ("The teacher teaches the lesson, so cannot also observe it: "
                               "untick them.")
    recorded = {o.observer_id for o in rl.observations}
    if recorded - set(observer_ids) and "observers" not in errors:
        names = ", ".join(sorted(o.observer.display_name for o in rl.observations
                                 if o.observer_id not in observer_ids))
        errors["observers"] = (f"{names} already recorded an observation, so they stay an "
                               "observer.")
    kind = str(data.get("kind") or "research_lesson")
    if kind not in KINDS:
        errors["kind"] = "Choose what kind of observation this is."
    year_group = str(data.get("year_group") or "")
    if year_group not in YEAR_CODES:
        errors["year_group"] = "Choose the class's year group from the list."
    visibility = str(data.get("visibility") or "work_group")
    if visibility not in VISIBILITY:
        errors["visibility"] = "Choose who can see the observation notes."
    school_id = _teacher_school(teacher, group) if teacher else None
    if visibility == "school" and teacher is not None and school_id is None:
        errors["visibility"] = ("The teacher does not represent a school in this Work Group, so "
                                "the notes cannot be limited to their school.")
    values = {
        "class_context": validation.text(data, "class_context", "Class set-up", errors,
                                         limit=2_000, pupils=True),
        "research_focus": validation.text(
            data, "research_focus", "Research focus", errors,
            required="Enter the research focus: the question the lesson explores."),
        "key_point": validation.text(data, "key_point", "Key point", errors),
        "difficult_points": validation.text(data, "difficult_points", "Difficult points",
                                            errors),
        "feedback_wanted": validation.text(data, "feedback_wanted", "Feedback wanted", errors),
    }
    if errors:
        raise ValidationError(fields=errors)
    assert teacher is not None and taught_on is not None
    rl.document_id = revision.document_id
    rl.revision_number, rl.revision_id = revision.number, revision.id
    rl.kind, rl.taught_on, rl.teacher_id, rl.school_id = kind, taught_on, teacher.id, school_id
    rl.year_group, rl.visibility = year_group, visibility
    for key, value in values.items():
        setattr(rl, key, value)
    wanted = set(observer_ids)
    rl.observers = [o for o in rl.observers if o.user_id in wanted]
    have = {o.user_id for o in rl.observers}
    rl.observers.extend(ResearchLessonObserver(user_id=i) for i in observer_ids if i not in have)


def _teacher_school(teacher: User, group: WorkGroup) -> int | None:
    """The school the teacher represents in the group, else their own school."""
    for member in teacher.memberships:
        if member.work_group_id == group.id and member.school_id:
            return member.school_id
    return teacher.school_id


def _date(raw: str, errors: dict[str, str]) -> dt.date | None:
    try:
        value = dt.date.fromisoformat(raw.strip())
    except ValueError:
        errors["taught_on"] = "Enter the date of the lesson, for example 2025-01-30."
        return None
    if not 2000 <= value.year <= 2100:
        errors["taught_on"] = "Enter a date between the years 2000 and 2100."
        return None
    return value


def _int(raw: Any) -> int | None:
    text = str(raw or "").strip()
    return int(text) if is_whole_number(text) and len(text) < 10 else None


# --- observations ------------------------------------------------------------------------------


@dataclass
class ObservationForm:
    research_lesson: ResearchLesson
    observation: Observation | None
    data: dict[str, Any]


def my_observation(user: User, research_lesson_id: int) -> ObservationForm:
    """The user's own observation of a research lesson (blank if not started)."""
    research_lesson = _observable(user, research_lesson_id)
    observation = _find_observation(research_lesson, user.id)
    return ObservationForm(research_lesson, observation, observation_data(observation))


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
    if observation is None:
        observation = Observation(research_lesson=research_lesson, observer_id=user.id)
        db.session.add(observation)
        _tell(research_lesson, user, "new_observation",
              f"{user.display_name} recorded an observation of your research lesson on "
              f"“{research_lesson.lesson.title}”.")
    _apply_observation(observation, data)
    return observation


def _tell(research_lesson: ResearchLesson, actor: User, kind: str, text: str) -> None:
    """Notify the research lesson's teacher (if notifications are wired and it isn't them)."""
    notify = current_app.extensions.get("coplan.notify")
    if notify is None or research_lesson.teacher_id == actor.id:
        return
    # Outside a request url_for builds an absolute URL; notifications keep the path only.
    url = url_for("observations.research_lesson", research_lesson_id=research_lesson.id)
    notify(research_lesson.teacher_id, kind, text, urlsplit(url).path)


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
    if len(rows) > validation.MAX_PUPILS:
        errors["pupils"] = f"Record at most {validation.MAX_PUPILS} focus pupils."
        return []
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        prefix = f"pupils-{index}-"
        row_errors: dict[str, str] = {}
        values = {key: validation.text(row, key, label, row_errors, pupils=True)
                  for key, label in (("profile", "Profile"), ("prediction", "Prediction"),
                                     ("evidence", "Evidence"))}
        code = str(row.get("code") or "").strip()
        if not code and not any(values.values()):
            continue  # a blank row
        errors.update({prefix + k: v for k, v in row_errors.items()})
        if not validation.pupil_code(code):
            errors[prefix + "code"] = validation.CODE_MESSAGE if code else \
                "Give this focus pupil a code such as A, B or C (never a name)."
        elif code in seen:
            errors[prefix + "code"] = f"Code {code} is used twice: give each pupil their own."
        seen.add(code)
        out.append({"code": code, **values})
    return out


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


# --- post-lesson discussion ----------------------------------------------------------------------


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


# --- agreed changes -------------------------------------------------------------------------------


def _manageable(user: User, research_lesson_id: int) -> ResearchLesson:
    research_lesson = get_research_lesson(user, research_lesson_id)
    if not permissions.can_manage_agreed_changes(user, research_lesson):
        raise Forbidden("Only the teacher, the observers and the Work Group Lead record agreed "
                        "changes.")
    return research_lesson


def get_change(user: User, change_id: int) -> AgreedChange:
    change = db.session.get(AgreedChange, change_id)
    if change is None or not permissions.can_view_research_lesson(user, change.research_lesson):
        raise NotFound()
    return change


def add_agreed_change(user: User, research_lesson_id: int, text: str,
                      field_key: str = "") -> AgreedChange:
    """Record a change to the plan agreed in the discussion (it starts open)."""
    research_lesson = _manageable(user, research_lesson_id)
    errors: dict[str, str] = {}
    value = validation.text({"change_text": text}, "change_text", "The agreed change", errors,
                            limit=MAX_CHANGE, required="Write the change that was agreed.",
                            pupils=True)
    if field_key and field_key not in FIELD_LABELS:
        errors["change_field"] = "Choose the part of the plan from the list."
    if errors:
        raise ValidationError(fields=errors)
    change = AgreedChange(research_lesson=research_lesson, text=value, field_key=field_key,
                          status="open", created_by_id=user.id)
    db.session.add(change)
    db.session.flush()
    _tell(research_lesson, user, "agreed_change",
          f"Agreed change for “{research_lesson.lesson.title}”: {value}")
    return change


def decline_change(user: User, change_id: int, reason: str) -> AgreedChange:
    """Decline an open change, saying why (the reason stays on the record)."""
    change = get_change(user, change_id)
    _manageable(user, change.research_lesson_id)
    errors: dict[str, str] = {}
    value = validation.text({"reason": reason}, "reason", "The reason", errors,
                            limit=MAX_CHANGE, required="Say why the change is declined.")
    if change.status != "open":
        errors["reason"] = "Only an open change can be declined."
    if errors:
        raise ValidationError(fields=errors)
    change.status, change.declined_reason = "declined", value
    change.declined_by_id, change.declined_at = user.id, utcnow()
    return change


def reopen_change(user: User, change_id: int) -> AgreedChange:
    """Reopen a declined change (an addressed one stays tied to its revision)."""
    change = get_change(user, change_id)
    _manageable(user, change.research_lesson_id)
    if change.status != "declined":
        raise ValidationError("Only a declined change can be reopened.")
    change.status, change.declined_reason = "open", ""
    change.declined_by_id = change.declined_at = None
    return change


def mark_addressed(user: User, change_id: int, revision_number: int | None) -> AgreedChange:
    """Mark one change addressed by a revision of its lesson saved after the one taught."""
    change = get_change(user, change_id)
    if revision_number is None:
        raise ValidationError(fields={"revision_number": "Choose the revision that made it."})
    lesson = change.research_lesson.lesson
    address_changes(user, lesson, revision_number, [change.id], field="revision_number")
    return change


def open_changes_for_lesson(user: User, lesson: Lesson) -> list[AgreedChange]:
    """Open agreed changes from the research lessons on this lesson that the user may see."""
    visible = visible_research_lessons(user, [lesson.id])
    by_id = {r.id: r for r in visible}
    rows = db.session.scalars(select(AgreedChange).where(
        AgreedChange.research_lesson_id.in_(set(by_id) or {-1}), AgreedChange.status == "open")
        .order_by(AgreedChange.research_lesson_id, AgreedChange.id))
    return sorted(rows, key=lambda c: (by_id[c.research_lesson_id].taught_on, c.id))


def address_changes(user: User, lesson: Lesson, revision_number: int | None,
                    change_ids: Iterable[int | str], *, field: str = "addresses"
                    ) -> list[AgreedChange]:
    """Mark open changes of research lessons on THIS lesson as addressed by a revision of it.

    A change of another lesson, one already closed or one the user may not see is a field error
    on `addresses` (nothing is marked); so is a revision that is not this lesson's or is not
    later than the one taught, and None (the save changed nothing). The caller commits, with
    the lesson save, in one transaction.
    """
    raw = [str(i).strip() for i in change_ids]
    if not raw:
        return []
    if not _can_edit_lesson(user, lesson):
        raise Forbidden("Only editors of this lesson can mark agreed changes addressed.")
    ids = list(dict.fromkeys(int(i) if is_whole_number(i) and len(i) < 10 else 0 for i in raw))
    changes = db.session.scalars(select(AgreedChange).where(AgreedChange.id.in_(ids))).all()
    found = {c.id: c for c in changes}
    wrong = [i for i in ids if i not in found
             or found[i].research_lesson.lesson_id != lesson.id
             or not permissions.can_view_research_lesson(user, found[i].research_lesson)]
    if wrong:
        raise ValidationError(fields={field: "Tick only open agreed changes from research "
                                             "lessons on this lesson."})
    closed = [found[i] for i in ids if found[i].status != "open"]
    if closed:
        raise ValidationError(fields={field: f"“{_short(closed[0].text)}” is already "
                                             f"{closed[0].status_label.lower()}."})
    if revision_number is None:
        raise ValidationError(fields={field: "Nothing in the plan changed, so no new revision "
                                             "addresses these changes yet: make the change, "
                                             "then save."})
    if revision_number < 1 or revision_number > lesson.document.head_number:
        raise ValidationError(fields={field: "Choose a revision of this lesson."})
    taught = max(found[i].research_lesson.revision_number for i in ids)
    if revision_number <= taught:
        raise ValidationError(fields={field: f"Revision {revision_number} is not later than "
                                             f"the one taught (revision {taught}): save the "
                                             "change to the plan first."})
    now = utcnow()
    marked = [found[i] for i in ids]
    for change in marked:
        change.status, change.addressed_revision_number = "addressed", revision_number
        change.addressed_by_id, change.addressed_at = user.id, now
    return marked


def _can_edit_lesson(user: User, lesson: Lesson) -> bool:
    from app import policy

    return policy.can_edit_sequence(user, lesson.sequence)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- pages ------------------------------------------------------------------------------------


@dataclass
class ResearchLessonPage:
    research_lesson: ResearchLesson
    #: The plan as taught (planning.history.Reading of the pinned revision).
    reading: Any
    head_number: int
    can_edit: bool
    can_observe: bool
    can_discuss: bool
    can_manage_changes: bool
    can_address: bool
    #: Revisions saved after the one taught, newest first (to mark a change addressed).
    later_revisions: list[Revision]
    thread: Any


def research_lesson_page(user: User, research_lesson_id: int) -> ResearchLessonPage:
    """Everything the research lesson page shows, checked for this reader."""
    from app.comments import services as comments
    from app.planning import history

    rl = get_research_lesson(user, research_lesson_id)
    reading = history.reading("lesson", rl.revision, history.link_resolver(user))
    head_number = rl.lesson.document.head_number
    later = [r for r in revisions.list_revisions(rl.document_id) if r.number > rl.revision_number]
    return ResearchLessonPage(
        research_lesson=rl, reading=reading, head_number=head_number,
        can_edit=permissions.can_edit_research_lesson(user, rl),
        can_observe=permissions.can_record_observation(user, rl),
        can_discuss=permissions.can_record_discussion(user, rl),
        can_manage_changes=permissions.can_manage_agreed_changes(user, rl),
        can_address=permissions.can_address_agreed_change(user, rl),
        later_revisions=later,
        thread=comments.load_thread(user, "observation", rl.id))


def list_page(user: User) -> list[ResearchLesson]:
    """Research lessons the user may see, newest first."""
    return visible_research_lessons(user)


@dataclass
class LessonPanel:
    """The research lessons and open agreed changes shown on a lesson's page."""

    lesson: Lesson
    research_lessons: list[ResearchLesson]
    open_changes: list[AgreedChange]
    can_schedule: bool
    can_revise: bool


def lesson_panel(user: User, lesson: Lesson) -> LessonPanel:
    """Visible research lessons and open agreed changes of a lesson the user can already see."""
    research_lessons = visible_research_lessons(user, [lesson.id])
    open_changes = open_changes_for_lesson(user, lesson) if research_lessons else []
    return LessonPanel(lesson, research_lessons, open_changes,
                       can_schedule=permissions.can_schedule_research_lesson(user, lesson)
                       and lesson.archived_at is None,
                       can_revise=_can_edit_lesson(user, lesson) and lesson.archived_at is None)
