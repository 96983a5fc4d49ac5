"""Research-lesson records as search documents, readable only as the pages allow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload, object_session, selectinload

from app import visibility
from app.extensions import db
from app.observations.models import (
    FIELD_LABELS,
    AgreedChange,
    Discussion,
    Observation,
    ResearchLesson,
)
from app.observations.permissions import research_lesson_access_tokens
from app.planning.models import Lesson, Sequence
from app.planning.reference_data import index_strand
from app.search.sources import Source, register


def research_lesson_document(research_lesson_id: int) -> dict[str, Any] | None:
    """The whole record as one document: focus, notes, noticings, discussion, agreed changes.

    Pupils are codes in the record, so they are codes here too. Access tokens mirror
    can_view_research_lesson (see permissions.research_lesson_access_tokens).
    """
    rl = db.session.get(ResearchLesson, research_lesson_id)
    return None if rl is None else _document(rl)


def research_lesson_documents(ids: list[int]) -> dict[int, dict[str, Any] | None]:
    """research_lesson_document for many records in a constant number of queries (rebuilds)."""
    records = db.session.scalars(select(ResearchLesson).where(ResearchLesson.id.in_(ids)).options(
        joinedload(ResearchLesson.lesson).joinedload(Lesson.sequence)
        .joinedload(Sequence.work_group),
        joinedload(ResearchLesson.work_group), joinedload(ResearchLesson.school),
        joinedload(ResearchLesson.teacher),
        selectinload(ResearchLesson.observations).options(
            selectinload(Observation.focus_pupils), selectinload(Observation.noticings)),
        selectinload(ResearchLesson.discussion), selectinload(ResearchLesson.agreed_changes),
    )).unique().all()
    docs: dict[int, dict[str, Any] | None] = dict.fromkeys(ids)
    docs.update((rl.id, _document(rl)) for rl in records)
    return docs


def _document(rl: ResearchLesson) -> dict[str, Any]:
    lesson, sequence, group = rl.lesson, rl.lesson.sequence, rl.work_group
    parts = [rl.research_focus, rl.class_context, rl.key_point, rl.difficult_points,
             rl.feedback_wanted]
    for observation in rl.observations:
        parts.append(observation.responses)
        for pupil in observation.focus_pupils:
            parts.append(f"{pupil.code}: {pupil.profile} {pupil.prediction} {pupil.evidence}")
        parts.extend(n.note for n in observation.noticings)
    if rl.discussion is not None:
        parts += [rl.discussion.teacher_reflection, rl.discussion.discussion_points,
                  rl.discussion.pupil_interview]
    for change in rl.agreed_changes:
        parts.append(f"{change.text} {FIELD_LABELS.get(change.field_key, '')}")
    updated = max([rl.updated_at, *(o.updated_at for o in rl.observations)]
                  + ([rl.discussion.updated_at] if rl.discussion else []))
    return {
        "key": f"observation:{rl.id}", "type": "observation", "title": rl.title,
        "body": "\n\n".join(p for p in parts if p),
        "sequence_title": sequence.title,
        "year_group": rl.year_group,
        "strand": index_strand(sequence.strand),
        "work_group": str(group.id),
        "project_code": group.project_code,
        "school": str(rl.school_id or ""),
        "school_name": rl.school.name if rl.school else "",
        # The plan's year, not the group's: a group moves on to a new year, its records do not.
        "academic_year": sequence.academic_year,
        "author": rl.teacher.display_name,
        "updated": updated,
        "archived": lesson.archived_at is not None or sequence.archived_at is not None,
        "access": research_lesson_access_tokens(rl),
        "extra": {"research_lesson_id": rl.id, "lesson_id": lesson.id,
                  "sequence_id": sequence.id},
    }


def _ids() -> Iterator[int]:
    yield from db.session.scalars(select(ResearchLesson.id).order_by(ResearchLesson.id))


def _keys(obj: Any) -> list[str]:
    """The research-lesson documents a changed row affects."""
    if isinstance(obj, ResearchLesson):
        return [f"observation:{obj.id}"] if obj.id else []
    if isinstance(obj, (Observation, Discussion, AgreedChange)):
        return [f"observation:{obj.research_lesson_id}"] if obj.research_lesson_id else []
    # A lesson's title or a sequence's visibility is part of each record's document too.
    session = object_session(obj)
    if session is None:
        return []
    with session.no_autoflush:
        query = select(ResearchLesson.id)
        if isinstance(obj, Lesson):
            query = query.where(ResearchLesson.lesson_id == obj.id)
        else:
            query = query.join(Lesson, Lesson.id == ResearchLesson.lesson_id).where(
                Lesson.sequence_id == obj.id)
        return [f"observation:{i}" for i in session.scalars(query)]


def register_sources(app: Flask) -> None:
    """Make research-lesson records searchable in this app (from app.observations.init_app)."""
    # Lesson and Sequence are listed so a rename or a visibility change reaches these documents
    # too (app.search.sources.keys_for asks every source that watches a type).
    register(app, Source("observation", research_lesson_document, _ids, _keys,
                    (ResearchLesson, Observation, Discussion, AgreedChange, Lesson, Sequence),
                    lambda i: url_for("observations.research_lesson", research_lesson_id=i),
                    "Research lesson", build_many=research_lesson_documents,
                    read_rule=visibility.RESEARCH_LESSON_READ))
