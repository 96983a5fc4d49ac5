"""Many people saving one lesson at the same moment: every save merges, conflicts or waits its turn.

24 threads, each with its own app context (so its own session and connection), start from the
same base revision and are released together. Nothing may fail with "database is locked", a
lock error or a duplicate revision number, and no clean save may be lost.
"""

from __future__ import annotations

import threading
import traceback
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db

THREADS = 24
BODY_LINES = 80
#: Each clean writer owns one body line; owned lines are 4 apart so an unchanged line always
#: separates two edits (merge3, like diff3, treats edits on touching lines as one conflict).
CLEAN_BODY_WRITERS = 12
CLEAN_LINES = [2 + 4 * i for i in range(CLEAN_BODY_WRITERS)]
#: Two lines fought over by three writers each: one of each trio saves, two conflict.
CONTESTED_LINES = [60, 66]
CONTESTANTS_PER_LINE = 3
#: Six writers each change a field nobody else touches.
OTHER_FIELDS = ["key_learning_point", "prior_learning", "stem_sentences", "representations",
                "difficult_points", "checks"]


@dataclass
class Edit:
    """What one thread changes: the field, and for the body the line number and new text."""

    kind: str  # "clean", "contested" or "field"
    field: str
    text: str
    line: int | None = None


def original_line(n: int) -> str:
    return f"Step {n}: pupils model {n} groups of four with cubes and say the stem sentence."


def base_fields() -> dict[str, str]:
    fields = {key: f"Original {key.replace('_', ' ')} agreed in session 2." for key in OTHER_FIELDS}
    fields["body"] = "\n".join(original_line(n) for n in range(BODY_LINES)) + "\n"
    return fields


def planned_edits() -> list[Edit]:
    edits = [Edit("clean", "body", f"Step {line}: CLEAN-{i} uses a bead string instead.", line)
             for i, line in enumerate(CLEAN_LINES)]
    for g, line in enumerate(CONTESTED_LINES):
        edits += [Edit("contested", "body", f"Step {line}: CONTESTED-{g}-{k} rewrites this step.",
                       line) for k in range(CONTESTANTS_PER_LINE)]
    edits += [Edit("field", key, f"FIELD-{key} revised after the research lesson.")
              for key in OTHER_FIELDS]
    assert len(edits) == THREADS
    return edits


def apply(edit: Edit, fields: dict[str, Any]) -> dict[str, str]:
    """The whole lesson form as the thread would post it: its base with one change."""
    data = {key: value for key, value in fields.items() if isinstance(value, str)}
    if edit.line is None:
        data[edit.field] = edit.text
    else:
        lines = data["body"].split("\n")
        lines[edit.line] = edit.text
        data["body"] = "\n".join(lines)
    return data


def test_24_simultaneous_saves_merge_conflict_or_queue(app, make_work_group, make_user) -> None:
    from app.accounts.models import User
    from app.planning import services
    from app.planning.models import Lesson
    from app.revisions import MergeConflict
    from app.revisions.models import Revision

    group = make_work_group()
    users = [make_user(group=group) for _ in range(THREADS)]
    with app.app_context():
        owner = db.session.get(User, users[0].id)
        sequence = services.create_sequence(owner, {
            "title": "Year 3: the 4 times table", "year_group": "Y3", "strand": "md",
            "work_group_id": str(group.id), "school_id": str(group.school_ids[0])})
        lesson = services.add_lesson(owner, sequence.id, "Counting in fours",
                                     fields=base_fields())
        db.session.commit()
        lesson_id, document_id = lesson.id, lesson.document_id
        base = services.head(document_id, 1)
        assert lesson.document.head_number == 1
        base_snapshot = dict(base.fields)

    edits = planned_edits()
    barrier = threading.Barrier(THREADS, timeout=60)
    outcomes: dict[int, tuple[str, Any]] = {}

    def save(index: int) -> None:
        edit = edits[index]
        data = apply(edit, base_snapshot)
        try:
            with app.app_context():
                barrier.wait()
                try:
                    user = db.session.get(User, users[index].id)
                    result = services.update_lesson(user, lesson_id, data, 1,
                                                    f"Thread {index}: {edit.kind} edit")
                    db.session.commit()
                    assert result.revision is not None, "a real change made no revision"
                    outcomes[index] = ("saved", result.revision.number)
                except MergeConflict:
                    db.session.rollback()
                    outcomes[index] = ("conflict", None)
        except BaseException:  # every other failure is a test failure, reported below
            outcomes[index] = ("error", traceback.format_exc())

    threads = [threading.Thread(target=save, args=(i,), name=f"saver-{i}") for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a saving thread hung"

    errors = {i: detail for i, (kind, detail) in outcomes.items() if kind == "error"}
    assert not errors, "\n".join(f"thread {i}:\n{detail}" for i, detail in errors.items())
    assert len(outcomes) == THREADS

    saved = {i: number for i, (kind, number) in outcomes.items() if kind == "saved"}
    conflicts = {i for i, (kind, _) in outcomes.items() if kind == "conflict"}
    by_kind = Counter(edits[i].kind for i in saved)
    # Every clean writer and every other-field writer saves; exactly one per contested line.
    assert by_kind == {"clean": CLEAN_BODY_WRITERS, "field": len(OTHER_FIELDS),
                       "contested": len(CONTESTED_LINES)}, outcomes
    assert len(conflicts) == len(CONTESTED_LINES) * (CONTESTANTS_PER_LINE - 1)
    assert all(edits[i].kind == "contested" for i in conflicts)

    with app.app_context():
        lesson = db.session.get(Lesson, lesson_id)
        revisions = list(db.session.scalars(select(Revision).where(
            Revision.document_id == document_id).order_by(Revision.number)))
        numbers = [r.number for r in revisions]
        n = len(numbers)
        # Numbers 1..N with no gap or repeat; revision 1 is the lesson as created.
        assert numbers == list(range(1, n + 1))
        assert lesson.document.head_number == n
        assert n - 1 == len(saved)
        assert sorted(saved.values()) == list(range(2, n + 1))
        authors = {r.number: r.author_id for r in revisions}
        assert all(authors[number] == users[i].id for i, number in saved.items())
        # Everyone started from revision 1, so each later save merged all the saves before it.
        for revision in revisions[2:]:
            assert revision.base_number == 1
            assert revision.merged_numbers == list(range(2, revision.number))

        head = revisions[-1].fields
        head_lines = head["body"].split("\n")
        for i in saved:
            edit = edits[i]
            if edit.line is None:
                assert head[edit.field] == edit.text, f"thread {i}'s change vanished"
            else:
                assert head_lines[edit.line] == edit.text, f"thread {i}'s change vanished"
        # Lines nobody owned are untouched, and fields nobody edited are as they were.
        owned = {e.line for e in edits if e.line is not None}
        assert all(head_lines[k] == original_line(k) for k in range(BODY_LINES) if k not in owned)
        # A conflicting thread left no trace in any revision.
        for i in conflicts:
            assert all(edits[i].text not in r.fields["body"] for r in revisions), i
        # The stored HTML was rendered from the merged text, not from one writer's copy.
        assert all(f"CLEAN-{k}" in revisions[-1].html["body"]
                   for k in range(CLEAN_BODY_WRITERS))


def test_sqlite_reads_leave_the_write_lock_to_the_first_write(app, backend) -> None:
    """The save lock relies on pysqlite beginning a transaction lazily, at the first write.

    A read-only start leaves the connection outside any transaction, so the UPDATE in
    revisions.lock_document is what takes SQLite's write lock, and a busy writer makes it wait
    (busy_timeout). Were every transaction opened with a plain BEGIN at the first SELECT, a
    writer would find its read snapshot stale and fail at once with "database is locked".
    """
    if backend != "sqlite":
        pytest.skip("SQLite only: PostgreSQL's UPDATE takes a row lock whatever the BEGIN")
    from sqlalchemy import text

    with app.app_context():
        db.session.execute(text("SELECT count(*) FROM document")).scalar()
        raw = db.session.connection().connection.dbapi_connection
        assert raw is not None
        assert not raw.in_transaction
        assert raw.isolation_level == ""
