"""Research lessons: who may see and change one, scheduling it on a pinned revision of a
lesson, editing its details and observers, and telling its teacher what others recorded.

Every read goes through permissions.can_view_research_lesson: a record the reader may not see is
NotFound (never revealed), and a visible record they may not change is Forbidden with a reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import url_for
from sqlalchemy import select

from app import revisions, signals, visibility
from app.accounts.models import User, WorkGroup
from app.core.text import is_whole_number
from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.observations import permissions, validation
from app.observations.models import (
    KINDS,
    VISIBILITY,
    PlannedPupil,
    ResearchLesson,
    ResearchLessonObserver,
)
from app.planning import services as planning
from app.planning.models import Lesson
from app.planning.reference_data import YEAR_GROUPS
from app.revisions.models import Revision
from app.timeutil import utcnow
from app.workgroups.models import SessionLink, WorkGroupSession

YEAR_CODES: set[str] = {code for code, _label in YEAR_GROUPS}


NOT_A_MEMBER = ("Only members of this Work Group can observe its research lessons: one of the "
                "people chosen is not a member.")


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


def visible_research_lessons(user: User, lesson_ids: Iterable[int] | None = None,
                             work_group_id: int | None = None) -> list[ResearchLesson]:
    """Research lessons the user may see (of some lessons, or one Work Group, or all), newest
    first."""
    query = select(ResearchLesson).where(
        visibility.sql_filter(user, visibility.RESEARCH_LESSON_READ))
    if work_group_id is not None:
        query = query.where(ResearchLesson.work_group_id == work_group_id)
    if lesson_ids is not None:
        query = query.where(ResearchLesson.lesson_id.in_(set(lesson_ids) or {-1}))
    return list(db.session.scalars(query.order_by(ResearchLesson.taught_on.desc(),
                                                  ResearchLesson.id.desc())))


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
    #: The group's sessions this year (and the one already chosen), soonest first.
    sessions: list[WorkGroupSession] = field(default_factory=list)

    @property
    def observer_choices(self) -> list[tuple[int, str]]:
        """Everyone but the chosen teacher, each with the school they represent in the group,
        so observers from another school are easy to pick."""
        group = self.lesson.sequence.work_group
        names = {school.id: school.name for school in group.schools}
        teacher = str(self.data.get("teacher_id") or "")
        out: list[tuple[int, str]] = []
        for person in self.people:
            if str(person.id) == teacher:
                continue
            school_id = _teacher_school(person, group)
            school = names.get(school_id or 0) or (person.school.name if person.school else "")
            out.append((person.id, f"{person.display_name} — {school}" if school
                        else person.display_name))
        return out


def schedule_form(user: User, lesson_id: int, revision_number: int | None = None) -> ScheduleForm:
    """A blank schedule form; a chosen revision must be one of this lesson's (else NotFound)."""
    lesson = _schedulable_lesson(user, lesson_id)
    number = revision_number or lesson.document.head_number
    if not 0 < number < 2**31:
        raise NotFound("That version does not exist.")
    taught = revisions.get_revision(lesson.document_id, number)  # another lesson's: 404
    # The key point starts as the plan's key learning point: the teacher trims it if needed.
    key_point = str((taught.fields or {}).get("key_learning_point") or "")
    data = {"kind": "research_lesson", "revision_number": str(number),
            "teacher_id": str(user.id), "year_group": lesson.sequence.year_group,
            "visibility": "work_group", "observers": [], "taught_on": "",
            "key_point": key_point, "pupils": [], "session_id": ""}
    group = lesson.sequence.work_group
    return ScheduleForm(lesson, revisions.list_revisions(lesson.document_id), members(group),
                        data, sessions=group_sessions(group))


def edit_form(user: User, research_lesson_id: int) -> ScheduleForm:
    research_lesson = editable_research_lesson(user, research_lesson_id)
    lesson = research_lesson.lesson
    rl = research_lesson
    data = {"kind": rl.kind, "revision_number": str(rl.revision_number),
            "teacher_id": str(rl.teacher_id), "year_group": rl.year_group,
            "visibility": rl.visibility, "observers": [str(i) for i in rl.observer_ids],
            "taught_on": rl.taught_on.isoformat(), "class_context": rl.class_context,
            "research_focus": rl.research_focus, "key_point": rl.key_point,
            "difficult_points": rl.difficult_points, "feedback_wanted": rl.feedback_wanted,
            "pupils": [{"code": p.code, "profile": p.profile} for p in rl.planned_pupils]}
    tied = tied_session(rl)
    data["session_id"] = str(tied.id) if tied else ""
    return ScheduleForm(lesson, revisions.list_revisions(lesson.document_id),
                        members(rl.work_group), data, rl,
                        sessions=group_sessions(rl.work_group, tied))


def group_sessions(group: WorkGroup, keep: WorkGroupSession | None = None
                   ) -> list[WorkGroupSession]:
    """The group's sessions of its academic year, by date (plus `keep`, one already chosen)."""
    rows = list(db.session.scalars(select(WorkGroupSession).where(
        WorkGroupSession.work_group_id == group.id,
        WorkGroupSession.academic_year == group.academic_year)
        .order_by(WorkGroupSession.date, WorkGroupSession.id)))
    if keep is not None and keep not in rows:
        rows.insert(0, keep)
    return rows


def tied_session(rl: ResearchLesson) -> WorkGroupSession | None:
    """The Work Group session this research lesson belongs to, if one was chosen."""
    if rl.id is None:
        return None
    return db.session.scalar(
        select(WorkGroupSession).join(SessionLink, SessionLink.session_id == WorkGroupSession.id)
        .where(SessionLink.kind == "research_lesson", SessionLink.target_id == rl.id,
               WorkGroupSession.work_group_id == rl.work_group_id)
        .order_by(WorkGroupSession.date, WorkGroupSession.id).limit(1))


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
    session = _apply_details(research_lesson, revision, group, data)
    db.session.add(research_lesson)
    db.session.flush()
    _tie_to_session(research_lesson, session)
    _invite(user, research_lesson, set())
    return research_lesson


def update_research_lesson(user: User, research_lesson_id: int,
                           data: dict[str, Any]) -> ResearchLesson:
    """Change a research lesson's details, observers or the revision it pins."""
    research_lesson = editable_research_lesson(user, research_lesson_id)
    revision = _pinned_revision(research_lesson.lesson, data)
    invited = set(research_lesson.observer_ids)
    session = _apply_details(research_lesson, revision, research_lesson.work_group, data)
    research_lesson.updated_at = utcnow()
    db.session.flush()
    _tie_to_session(research_lesson, session)
    _invite(user, research_lesson, invited)
    return research_lesson


def _invite(user: User, rl: ResearchLesson, already: set[int]) -> None:
    """Tell the observers who were not invited before (the notifications feature decides how)."""
    new = sorted(rl.observer_ids - already)
    if new:
        signals.send(signals.observers_invited, research_lesson=rl, user=user, user_ids=new)


def _tie_to_session(rl: ResearchLesson, session: WorkGroupSession | None) -> None:
    """Link the research lesson from the chosen session of its group (and from no other)."""
    links = list(db.session.scalars(
        select(SessionLink).join(WorkGroupSession, SessionLink.session_id == WorkGroupSession.id)
        .where(SessionLink.kind == "research_lesson", SessionLink.target_id == rl.id,
               WorkGroupSession.work_group_id == rl.work_group_id)))
    for link in links:
        if session is None or link.session_id != session.id:
            db.session.delete(link)
    if session is not None and all(link.session_id != session.id for link in links):
        session.links.append(SessionLink(kind="research_lesson", target_id=rl.id,
                                         position=len(session.links)))


def _pinned_revision(lesson: Lesson, data: dict[str, Any]) -> Revision:
    """The revision taught: the head unless a number is given; another lesson's is NotFound."""
    raw = str(data.get("revision_number") or "").strip()
    if not raw:
        return revisions.get_revision(lesson.document_id, lesson.document.head_number)
    if not is_whole_number(raw) or len(raw) > 9:
        raise NotFound("That version does not exist.")
    return revisions.get_revision(lesson.document_id, int(raw))


def _apply_details(rl: ResearchLesson, revision: Revision, group: WorkGroup,
                   data: dict[str, Any]) -> WorkGroupSession | None:
    """Check and set the details; returns the session chosen (tied once the record has an id)."""
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
    pupils = _planned_pupils(data.get("pupils") or [], errors)
    session = _session(group, rl, str(data.get("session_id") or ""), errors)
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
    # Replace the planned pupils: clear and flush first so a re-used code never meets its old row.
    if rl.planned_pupils:
        rl.planned_pupils.clear()
        db.session.flush()
    rl.planned_pupils.extend(PlannedPupil(position=n, **row)
                             for n, row in enumerate(pupils, start=1))
    return session


def _planned_pupils(rows: list[dict[str, Any]], errors: dict[str, str]) -> list[dict[str, str]]:
    """The focus pupils chosen before the lesson: codes only, profiles that name nobody."""
    return validation.pupil_rows(rows, errors, (("profile", "Profile"),), "Choose",
                                 limit=2_000)


def _session(group: WorkGroup, rl: ResearchLesson, raw: str,
             errors: dict[str, str]) -> WorkGroupSession | None:
    """The chosen session: one of this group's (another group's is refused like a typo)."""
    raw = raw.strip()
    if not raw:
        return None
    number = _int(raw)
    session = db.session.get(WorkGroupSession, number) if number else None
    if session is None or session.work_group_id != group.id:
        errors["session_id"] = "Choose one of this Work Group's sessions, or none."
        return None
    return session


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


def tell_teacher(research_lesson: ResearchLesson, actor: User, kind: str, text: str) -> None:
    """Notify the research lesson's teacher (through app.signals.notify), unless it is them."""
    if research_lesson.teacher_id == actor.id:
        return
    # Outside a request url_for builds an absolute URL; notifications keep the path only.
    url = url_for("observations.research_lesson", research_lesson_id=research_lesson.id)
    signals.send(signals.notify, user_id=research_lesson.teacher_id, kind=kind, message=text,
                 url=urlsplit(url).path)
