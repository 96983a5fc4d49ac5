"""Load the seed's research lessons (observations), their agreed changes, and the seed's comments.

Runs after the planning step: the ids map already holds the lessons ("les-y3-3") and the named
revisions ("rev-les-y3-3-v2"). Everything goes in with the dates the seed gives, so the timeline
reads as the year happened. Running it twice changes nothing: a research lesson with the same
lesson, date and teacher, and a comment with the same target, author and time, are looked up.

The seed keeps one list of focus pupils per lesson; here they belong to the observation of the
Work Group Lead (the chair) when they observed, else of the first observer. Noticings belong to
the observer who wrote them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from app.comments.models import Comment, CommentRevision
from app.core.markdown import render_markdown
from app.demo.clock import clock_of
from app.extensions import db
from app.observations import validation
from app.observations.models import (
    AgreedChange,
    Discussion,
    FocusPupil,
    Noticing,
    Observation,
    ResearchLesson,
    ResearchLessonObserver,
)
from app.planning.models import Lesson
from app.planning.reference_data import YEAR_GROUPS
from app.revisions.models import Revision

Step = Callable[[dict[str, Any], dict[str, Any]], None]

YEAR_CODES: dict[str, str] = {label: code for code, label in YEAR_GROUPS}
KINDS: dict[str, str] = {"trg_research_lesson": "research_lesson",
                         "support_visit_observation": "support_visit"}
#: The seed's phase names -> ours (the seed's "true/false task" was the paired task).
PHASES: dict[str, str] = {"main input": "main_input", "input": "main_input",
                          "independent practice": "independent_practice",
                          "true/false task": "guided_practice"}
#: Which field of the plan each seed agreed change concerns, read from the revision it produced.
CHANGE_FIELDS: dict[tuple[str, int], str] = {
    ("obs-1", 0): "representations",
    ("obs-1", 1): "procedural_variation",
    ("obs-1", 2): "stem_sentences",
    ("obs-2", 0): "procedural_variation",
    ("obs-2", 1): "deeper_questions",
}
#: Not in the seed: one change still open on a lesson, so "Revise the plan" has work to do.
#: It follows from obs-2's evidence (a third of the class accepted an additive non-example).
EXTRA_OPEN_CHANGE: dict[str, Any] = {
    "observation_id": "obs-2",
    "text": "Add a hinge question before independent practice: is 3/4 equal to 4/5? Pupils "
            "prove their answer with a diagram before moving on.",
    "field_key": "checks",
    "author_id": "p-castleford",
}
#: Not in the seed: a research lesson a few days after the seed's "now", its observers invited
#: and nothing recorded yet, so a newcomer has an observation to record. Dated like the seed
#: (app.demo.clock moves it to just after today).
UPCOMING: list[dict[str, Any]] = [{
    "id": "obs-upcoming", "kind": "trg_research_lesson", "lesson_id": "les-y5-3",
    "teacher_id": "p-ashdown", "school_id": "sch-wrenfield", "date": "2025-03-27",
    "class_context": {"year_group": "Year 5", "pupils": 30},
    "observer_ids": ["p-castleford", "p-kettlewell", "p-holt", "p-okafor"],
    "research_focus": "When pupils divide numerator and denominator by a common factor, do "
                      "they explain why the value stays the same, or only follow the rule?",
    "pre_lesson": {"key_point": "Dividing the numerator and denominator by the same number "
                                "gives an equivalent fraction.",
                   "difficult_point": "Dividing by a number that is not a common factor.",
                   "feedback_requested": "Which representation pupils reach for when asked "
                                         "to prove 6/8 = 3/4."},
}]
#: The seed's comment anchors name list items ("stem_sentences[0]"); ours name the field.
ANCHORS: dict[str, str] = {"difficult_points_and_misconceptions": "difficult_points",
                           "deepening_questions": "deeper_questions",
                           "assessment_checks": "checks"}


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def _checked(value: str, what: str, limit: int = validation.MAX_TEXT) -> str:
    """Seed text passes the same checks as typed text (a bad seed fails loudly)."""
    errors: dict[str, str] = {}
    text = validation.text({"v": value}, "v", what, errors, limit=limit, pupils=True)
    if errors:
        raise ValueError(f"Demo {what} does not validate: {errors['v']}")
    return text


def load_observations(seed: dict[str, Any], ids: dict[str, Any]) -> None:
    """Create (or find) the seed's research lessons and comments; record them in `ids`."""
    for data in [*seed.get("observations", []), *clock_of(seed).shift(UPCOMING)]:
        lesson = ids.get(data["lesson_id"])
        if not isinstance(lesson, Lesson):
            continue
        teacher = ids[data["teacher_id"]]
        taught_on = dt.date.fromisoformat(data["date"])
        found = db.session.scalar(select(ResearchLesson).where(
            ResearchLesson.lesson_id == lesson.id, ResearchLesson.taught_on == taught_on,
            ResearchLesson.teacher_id == teacher.id))
        ids[data["id"]] = found or _create(seed, data, lesson, ids)
    for data in seed.get("comments", []):
        comment = _comment(data, ids)
        if comment is not None:
            ids[data["id"]] = comment


def _revision_taught(data: dict[str, Any], lesson: Lesson, ids: dict[str, Any],
                     day: dt.date) -> Revision:
    """The seed's revision, or (when it names none) the last one saved before the lesson."""
    if data.get("revision_id") in ids:
        return ids[data["revision_id"]]
    rows = db.session.scalars(select(Revision).where(Revision.document_id == lesson.document_id)
                              .order_by(Revision.number)).all()
    before = [r for r in rows if r.created_at.date() <= day]
    return (before or rows)[-1]


def _create(seed: dict[str, Any], data: dict[str, Any], lesson: Lesson,
            ids: dict[str, Any]) -> ResearchLesson:
    day = dt.date.fromisoformat(data["date"])
    teacher = ids[data["teacher_id"]]
    group = lesson.sequence.work_group
    revision = _revision_taught(data, lesson, ids, day)
    context = data.get("class_context", {})
    pre = data.get("pre_lesson", {})
    chair = ids[seed["work_group"]["lead_person_id"]]
    observer_ids = [ids[p].id for p in data.get("observer_ids", [])]
    rl = ResearchLesson(
        lesson=lesson, document_id=lesson.document_id, revision_number=revision.number,
        revision_id=revision.id, kind=KINDS.get(data.get("kind", ""), "research_lesson"),
        taught_on=day, teacher_id=teacher.id, school_id=ids[data["school_id"]].id,
        work_group=group, year_group=YEAR_CODES[context["year_group"]],
        class_context=_checked(f"{context['pupils']} pupils." if context.get("pupils") else "",
                               "class set-up"),
        research_focus=_checked(data.get("research_focus", ""), "research focus"),
        key_point=_checked(pre.get("key_point", ""), "key point"),
        difficult_points=_checked(pre.get("difficult_point", ""), "difficult point"),
        feedback_wanted=_checked(pre.get("feedback_requested", ""), "feedback wanted"),
        visibility="work_group", created_by_id=teacher.id,
        # Scheduled a week before, by the teacher; last changed after the lesson, if it is past.
        created_at=_at(day - dt.timedelta(days=7), 16),
        updated_at=_at(day, 15, 30) if day <= clock_of(seed).today
        else _at(day - dt.timedelta(days=7), 16))
    rl.observers = [ResearchLessonObserver(user_id=i) for i in observer_ids]
    db.session.add(rl)
    db.session.flush()

    observations: dict[int, Observation] = {}

    def observation_of(user_id: int) -> Observation:
        if user_id not in observations:
            observations[user_id] = Observation(
                research_lesson=rl, observer_id=user_id, created_at=_at(day, 11),
                updated_at=_at(day, 12))
            db.session.add(observations[user_id])
        return observations[user_id]

    pupils_by = chair.id if chair.id in observer_ids else observer_ids[0]
    for n, pupil in enumerate(data.get("focus_pupils", []), start=1):
        if not validation.pupil_code(pupil["code"]):
            raise ValueError(f"Demo pupil code is not a code: {pupil['code']!r}")
        observation_of(pupils_by).focus_pupils.append(FocusPupil(
            position=n, code=pupil["code"], profile=_checked(pupil.get("profile", ""), "profile"),
            prediction=_checked(pupil.get("prediction", ""), "prediction"),
            evidence=_checked(pupil.get("evidence", ""), "evidence")))
    for n, noticing in enumerate(data.get("noticings", []), start=1):
        observation_of(ids[noticing["observer_id"]].id).noticings.append(Noticing(
            position=n, phase=PHASES.get(noticing.get("phase", ""), ""),
            note=_checked(noticing["note"], "noticing")))

    post = data.get("post_lesson")
    if post:
        points = "\n".join(f"- {p}" for p in post.get("discussion_points", []))
        db.session.add(Discussion(
            research_lesson=rl, updated_by_id=chair.id,
            teacher_reflection=_checked(post.get("teacher_reflection", ""), "reflection"),
            discussion_points=_checked(points, "discussion points"),
            discussion_points_html=str(render_markdown(points)) if points else "",
            pupil_interview=_checked(post.get("pupil_interview", ""), "pupil interview"),
            created_at=_at(day, 14), updated_at=_at(day, 15)))

    resulting = ids.get(data.get("resulting_revision_id") or "")
    changes = [(c["change"], CHANGE_FIELDS.get((data["id"], n), ""))
               for n, c in enumerate(data.get("agreed_changes", []))]
    if data["id"] == EXTRA_OPEN_CHANGE["observation_id"]:
        changes.append((EXTRA_OPEN_CHANGE["text"], EXTRA_OPEN_CHANGE["field_key"]))
    for n, (text, field_key) in enumerate(changes):
        change = AgreedChange(research_lesson=rl, text=_checked(text, "agreed change",
                                                                validation.MAX_CHANGE),
                              field_key=field_key, status="open", created_by_id=chair.id,
                              created_at=_at(day, 15, n))
        # Only changes to this lesson's plan were addressed by its resulting revision.
        if resulting is not None and (data["id"], n) in CHANGE_FIELDS:
            change.status = "addressed"
            change.addressed_revision_number = resulting.number
            change.addressed_by_id = resulting.author_id
            change.addressed_at = resulting.created_at
        db.session.add(change)
    db.session.flush()
    return rl


def _comment(data: dict[str, Any], ids: dict[str, Any]) -> Comment | None:
    """One seed comment on a lesson or a research lesson (others have no page yet)."""
    kinds: dict[str, type[Lesson] | type[ResearchLesson]] = {
        "lesson": Lesson, "observation": ResearchLesson}
    target = ids.get(data["target_id"])
    kind = data["target_type"]
    if kind not in kinds or not isinstance(target, kinds[kind]):
        return None
    author = ids[data["author_id"]]
    at = dt.datetime.fromisoformat(data["created_at"])
    found = db.session.scalar(select(Comment).where(
        Comment.target_type == kind, Comment.target_id == target.id,
        Comment.author_id == author.id, Comment.created_at == at))
    if found is not None:
        return found
    anchor = (data.get("anchor") or "").split("[", 1)[0]
    body = _checked(data["body"], "comment")
    comment = Comment(target_type=kind, target_id=target.id, anchor=ANCHORS.get(anchor, anchor),
                      author_id=author.id, body=body, body_html=str(render_markdown(body)),
                      created_at=at, resolved=bool(data.get("resolved")))
    if comment.resolved:
        comment.resolved_by_id, comment.resolved_at = author.id, at + dt.timedelta(days=1)
    comment.revisions.append(CommentRevision(number=1, body=body, edited_at=at))
    db.session.add(comment)
    db.session.flush()
    return comment


#: For app.demo.loader.STEPS: runs after the planning step ("sequences").
STEP: tuple[str, Step] = ("observations", load_observations)
