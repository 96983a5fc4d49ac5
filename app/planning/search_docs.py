"""Lessons and sequences as search documents."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask, url_for
from sqlalchemy import inspect, select
from sqlalchemy.orm import joinedload, object_session

from app import policy, revisions, signals, visibility
from app.accounts.models import User
from app.core.markdown import clean_text, extract_links
from app.extensions import db
from app.planning.fields import LESSON_FIELDS
from app.planning.models import Lesson, Sequence
from app.planning.reference_data import index_strand
from app.revisions.models import Document, Revision
from app.search.sources import Source, register


def _common(sequence: Sequence, head_fields: dict[str, Any]) -> dict[str, Any]:
    group = sequence.work_group
    return {
        "sequence_title": sequence.title,
        "sequence": str(sequence.id),
        "year_group": sequence.year_group,
        "strand": index_strand(sequence.strand),
        "rtp": [code for code in head_fields.get("rtp_codes", [])],
        "work_group": str(sequence.work_group_id),
        "project_code": group.project_code,
        "school": str(sequence.school_id),
        "school_name": sequence.school.name,
        "academic_year": sequence.academic_year,
        "status": sequence.status,
        "access": policy.sequence_access_tokens(sequence),
    }


def _segments(text: str) -> list[str]:
    # Parsing the Markdown is nearly all of a rebuild's document-building time, and a link
    # needs "[[" in the text the parser sees (most plans have none), so look for that first.
    if "[[" not in clean_text(text):
        return []
    return sorted({target for kind, target in extract_links(text) if kind == "pd"})


def _file_texts(kind: str, ids: list[int]) -> dict[int, list[dict[str, str]]]:
    """The attached files each plan's document includes (asked of the files feature, which
    reads them in one query: a rebuild's batch costs one more, not one per plan)."""
    files: dict[int, list[dict[str, str]]] = {}
    for answer in signals.answers(signals.search_file_texts, kind=kind, ids=ids):
        for item_id, found in answer.items():
            files.setdefault(item_id, []).extend(found)
    return files


def _with_files(doc: dict[str, Any], files: list[dict[str, str]]) -> dict[str, Any]:
    # Only when there are some: a plan without files keeps the document (and the content
    # version) it had before files were searchable, so no rebuild is needed for them.
    if files:
        doc["files"] = files
    return doc


def _head_fields(document: Document) -> dict[str, Any]:
    head = revisions.head_revision(document)
    assert head is not None  # a plan gets its first revision when it is created
    return head.fields


def lesson_document(lesson_id: int) -> dict[str, Any] | None:
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None:
        return None
    sequence = lesson.sequence
    authors = set(db.session.scalars(
        select(User.display_name).join(Revision, Revision.author_id == User.id)
        .where(Revision.document_id == lesson.document_id).distinct()))
    return _with_files(
        _lesson_doc(lesson, _head_fields(lesson.document), _head_fields(sequence.document),
                    authors), _file_texts("lesson", [lesson_id]).get(lesson_id, []))


def lesson_documents(ids: list[int]) -> dict[int, dict[str, Any] | None]:
    """lesson_document for many lessons in four queries (rebuilds)."""
    lessons = db.session.scalars(select(Lesson).where(Lesson.id.in_(ids)).options(
        joinedload(Lesson.sequence).options(joinedload(Sequence.work_group),
                                            joinedload(Sequence.school)))).all()
    heads = revisions.head_revisions(
        {lesson.document_id for lesson in lessons}
        | {lesson.sequence.document_id for lesson in lessons})
    authors: dict[int, set[str]] = {}
    for document_id, name in db.session.execute(
            select(Revision.document_id, User.display_name)
            .join(Revision, Revision.author_id == User.id)
            .where(Revision.document_id.in_([lesson.document_id for lesson in lessons]))
            .distinct()):
        authors.setdefault(document_id, set()).add(name)
    files = _file_texts("lesson", [lesson.id for lesson in lessons])
    docs: dict[int, dict[str, Any] | None] = dict.fromkeys(ids)
    for lesson in lessons:
        docs[lesson.id] = _with_files(
            _lesson_doc(lesson, heads[lesson.document_id].fields,
                        heads[lesson.sequence.document_id].fields,
                        authors.get(lesson.document_id, set())), files.get(lesson.id, []))
    return docs


def _lesson_doc(lesson: Lesson, fields: dict[str, Any], sequence_fields: dict[str, Any],
                authors: set[str]) -> dict[str, Any]:
    sequence = lesson.sequence
    body = "\n\n".join(fields.get(f.key) or "" for f in LESSON_FIELDS)
    return {
        "key": f"lesson:{lesson.id}", "type": "lesson", "title": lesson.title, "body": body,
        **_common(sequence, sequence_fields),
        "segment": _segments(body),
        "author": " ".join(sorted(authors)),
        "updated": lesson.updated_at,
        "archived": lesson.archived_at is not None or sequence.archived_at is not None,
        "extra": {"sequence_id": sequence.id, "lesson_id": lesson.id},
    }


def sequence_document(sequence_id: int) -> dict[str, Any] | None:
    sequence = db.session.get(Sequence, sequence_id)
    if sequence is None:
        return None
    return _with_files(_sequence_doc(sequence, _head_fields(sequence.document)),
                       _file_texts("sequence", [sequence_id]).get(sequence_id, []))


def sequence_documents(ids: list[int]) -> dict[int, dict[str, Any] | None]:
    """sequence_document for many sequences in three queries (rebuilds)."""
    sequences = db.session.scalars(select(Sequence).where(Sequence.id.in_(ids)).options(
        joinedload(Sequence.work_group), joinedload(Sequence.school),
        joinedload(Sequence.created_by))).all()
    heads = revisions.head_revisions({sequence.document_id for sequence in sequences})
    files = _file_texts("sequence", [sequence.id for sequence in sequences])
    docs: dict[int, dict[str, Any] | None] = dict.fromkeys(ids)
    for sequence in sequences:
        docs[sequence.id] = _with_files(_sequence_doc(sequence, heads[sequence.document_id].fields),
                                        files.get(sequence.id, []))
    return docs


def _sequence_doc(sequence: Sequence, fields: dict[str, Any]) -> dict[str, Any]:
    lesson_titles = "\n".join(item["title"] for item in fields.get("lessons", []))
    body = "\n\n".join([fields.get("small_steps", ""), fields.get("overview", ""),
                        " ".join(fields.get("tags", [])), lesson_titles])
    return {
        "key": f"sequence:{sequence.id}", "type": "sequence", "title": sequence.title,
        "body": body, **_common(sequence, fields),
        "segment": _segments(body),
        "author": sequence.created_by.display_name,
        "updated": sequence.updated_at,
        "archived": sequence.archived_at is not None,
        "extra": {"sequence_id": sequence.id},
    }


def _ids(model: type[Lesson] | type[Sequence]) -> Iterator[int]:
    yield from db.session.scalars(select(model.id).order_by(model.id))


#: Lesson columns its search document shows (its text comes with `updated_at`'s change).
LESSON_INDEXED = ("title", "sequence_id", "archived_at", "updated_at", "document_id")


def _changed(obj: object, names: tuple[str, ...]) -> bool:
    """New, deleted, or one of `names` changed in the flush being collected (after_flush:
    the session's new/dirty/deleted lists and the attribute history still show it)."""
    session = object_session(obj)
    state = inspect(obj)
    return bool(state.pending or (session is not None and obj in session.deleted)
                or any(state.attrs[name].history.has_changes() for name in names))


def _lesson_keys(lesson: Lesson) -> list[str]:
    # Renumbering the lessons of a sequence touches every row but none of their documents.
    return [f"lesson:{lesson.id}"] if _changed(lesson, LESSON_INDEXED) else []


#: Sequence columns that are copied into each of its lessons' search documents.
SHARED_WITH_LESSONS = ("title", "year_group", "strand", "visibility", "status", "archived_at",
                       "work_group_id", "school_id", "academic_year")


def _sequence_keys(sequence: Sequence) -> list[str]:
    """The sequence's own document, and its lessons' only when something they copy changed.

    Adding or saving one lesson records a structure revision on its sequence; re-indexing
    every sibling for that made a save next to one large lesson take seconds.
    """
    keys = [f"sequence:{sequence.id}"]
    if _changed(sequence, SHARED_WITH_LESSONS):
        keys += lesson_keys(sequence)
    return keys


def lesson_keys(sequence: Sequence) -> list[str]:
    """Every lesson document of a sequence (when something they all copy has changed)."""
    session = object_session(sequence)
    assert session is not None  # the sequence was loaded from (or added to) a session
    with session.no_autoflush:
        lesson_ids = list(session.scalars(select(Lesson.id).where(
            Lesson.sequence_id == sequence.id)))
    return [f"lesson:{i}" for i in lesson_ids]


def register_sources(app: Flask) -> None:
    """Make lessons and sequences searchable in this app (from app.planning.init_app)."""
    register(app, Source("lesson", lesson_document, lambda: _ids(Lesson), _lesson_keys, (Lesson,),
                    lambda i: url_for("planning.lesson", lesson_id=i), "Lesson",
                    build_many=lesson_documents, read_rule=visibility.LESSON_READ))
    register(app, Source("sequence", sequence_document, lambda: _ids(Sequence), _sequence_keys,
                    (Sequence,), lambda i: url_for("planning.sequence", sequence_id=i),
                    "Sequence", build_many=sequence_documents, read_rule=visibility.SEQUENCE_READ))
