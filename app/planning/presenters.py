"""Shaping plans for templates: labels, form options, conflict views. No writes here."""

from __future__ import annotations

from collections.abc import Sequence as Seq
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app import policy
from app.accounts.models import School, User, WorkGroup
from app.extensions import db
from app.materials.models import Material
from app.planning import adapt, services
from app.planning.fields import Field
from app.planning.models import STATUSES, VISIBILITY, Lesson, Sequence
from app.planning.page_data import Neighbour, PlanPage
from app.planning.reference_data import BIG_IDEAS, RTP_SUMMARIES, STRANDS, YEAR_GROUPS
from app.revisions import MergeConflict
from app.revisions.models import Revision

LABELS: dict[str, dict[str, str]] = {
    "year_group": dict(YEAR_GROUPS),
    "strand": {code: name for code, name, _phase in STRANDS},
    "big_ideas": dict(BIG_IDEAS),
    "visibility": VISIBILITY,
    "status": STATUSES,
}


def my_groups(user: User) -> list[WorkGroup]:
    """Work Groups the user belongs to, newest year first."""
    groups = [m.work_group for m in user.memberships]
    return sorted(groups, key=lambda g: (g.academic_year, g.project_code), reverse=True)


def default_place(user: User, work_group_id: int | None = None) -> dict[str, str]:
    """Pre-select a Work Group (the one asked for, if the user is in it; else their newest)
    and their school in it."""
    groups = my_groups(user)
    if not groups:
        return {}
    group = next((g for g in groups if g.id == work_group_id), groups[0])
    member = policy.membership(user, group.id)
    school = member.school_id if member and member.school_id else user.school_id
    return {"work_group_id": str(group.id), "school_id": str(school or "")}


def material_options() -> list[tuple[int, str]]:
    """Published PD materials for the link chooser, in catalogue order (3.9 before 3.10)."""
    materials = db.session.scalars(select(Material).where(
        Material.status == "published", Material.archived_at.is_(None)))
    return [(m.id, m.label) for m in sorted(materials, key=lambda m: m.sort_key)]


def sequence_form_options(user: User) -> dict[str, Any]:
    groups = my_groups(user)
    schools = {s.id: s for g in groups for s in g.schools
               if policy.can_create_in(user, g.id, s.id)}
    return {"groups": groups, "schools": sorted(schools.values(), key=lambda s: s.name),
            "year_groups": YEAR_GROUPS, "strands": STRANDS, "big_ideas": BIG_IDEAS,
            "visibility_options": VISIBILITY, "material_options": material_options()}


def sequence_form_data(head: Revision) -> dict[str, Any]:
    fields = head.fields
    return {**fields, "rtp_codes": ", ".join(fields.get("rtp_codes", [])),
            "tags": ", ".join(fields.get("tags", []))}


@dataclass
class SequenceView:
    can_edit: bool
    can_restore: bool
    can_approve: bool
    rtp: list[tuple[str, str]]
    archived_lessons: list[Lesson]
    #: The visible source this was adapted from, and (copied, now) revisions if it moved on.
    source: Sequence | None
    upstream: tuple[int, int] | None
    adaptations: list[Sequence]


def sequence_view(user: User, sequence: Sequence, head: Revision) -> SequenceView:
    source = sequence.adapted_from
    if source is not None and not policy.can_view_sequence(user, source):
        source = None
    return SequenceView(
        can_edit=policy.can_edit_sequence(user, sequence),
        can_restore=policy.can_restore_sequence(user, sequence),
        can_approve=policy.can_approve_sequence(user, sequence),
        rtp=[(code, RTP_SUMMARIES.get(code, "")) for code in head.fields.get("rtp_codes", [])],
        archived_lessons=[x for x in sequence.lessons if x.archived_at is not None],
        source=source,
        upstream=adapt.upstream_changes(user, sequence),
        adaptations=adapt.adaptations(user, sequence),
    )


#: Sequences one "Move to another sequence" page lists; the search box narrows a longer list.
MOVE_TARGETS_SHOWN = 30


@dataclass
class MoveTargets:
    lesson: Lesson
    query: str
    #: (id, title, school name) of sequences the user may move the lesson into.
    targets: list[tuple[int, str, str]]
    #: True when more sequences match than are shown.
    more: bool


def move_targets(user: User, lesson: Lesson, query: str = "") -> MoveTargets:
    """Other sequences of the lesson's Work Group the user may edit, matching `query`.

    Asked for on its own page (not rendered into every lesson view, where it grew with the
    group), and decided once per (visibility, school) class rather than once per sequence.
    """
    group_id = lesson.sequence.work_group_id
    stmt = (select(Sequence.id, Sequence.title, Sequence.visibility, Sequence.school_id)
            .where(Sequence.work_group_id == group_id, Sequence.id != lesson.sequence_id,
                   Sequence.archived_at.is_(None)))
    # Matched here, not with SQL LIKE: SQLite folds only ASCII letters ("Équivalence").
    words = [word.casefold() for word in query.split()[:8]]
    decided: dict[tuple[str, int], bool] = {}
    found: list[tuple[int, str, int]] = []
    for row in db.session.execute(stmt.order_by(Sequence.title, Sequence.id)):
        folded = row.title.casefold()
        if not all(word in folded for word in words):
            continue
        key = (row.visibility, row.school_id)
        if key not in decided:
            decided[key] = policy.can_edit_plan_in(user, group_id, row.visibility, row.school_id)
        if decided[key]:
            found.append((row.id, row.title, row.school_id))
            if len(found) > MOVE_TARGETS_SHOWN:
                break
    names = {row.id: row.name for row in db.session.execute(select(School.id, School.name).where(
        School.id.in_({school for _id, _title, school in found} or {-1})))}
    shown = [(i, title, names.get(school, "")) for i, title, school in found]
    return MoveTargets(lesson, query, shown[:MOVE_TARGETS_SHOWN],
                       len(shown) > MOVE_TARGETS_SHOWN)


@dataclass
class LessonView:
    can_edit: bool
    previous: Neighbour | None
    next: Neighbour | None
    contributors: list[User]
    source: Lesson | None
    upstream: tuple[int, int] | None


def lesson_view(user: User, page: PlanPage) -> LessonView:
    lesson: Lesson = page.item
    source = lesson.adapted_from
    if source is not None and not policy.can_view_sequence(user, source.sequence):
        source = None
    return LessonView(
        can_edit=policy.can_edit_sequence(user, lesson.sequence),
        previous=page.previous,
        next=page.next,
        contributors=services.contributors(lesson),
        source=source,
        upstream=adapt.lesson_upstream_changes(user, lesson),
    )


@dataclass
class ConflictField:
    key: str
    label: str
    theirs: str
    mine: str
    chunks: list[tuple]


@dataclass
class ConflictView:
    fields: list[ConflictField]
    head: Revision


def _text(value: Any) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value or "")


def conflict_view(error: MergeConflict, specs: Seq[Field]) -> ConflictView:
    """Both versions of each conflicting field, with the clashing parts for marking."""
    labels = {spec.key: spec.label for spec in specs} | {
        "title": "Title", "duration": "Duration (minutes)",
        "rtp_codes": "Ready-to-progress criteria", "tags": "Tags",
        "big_ideas": "Five Big Ideas emphasis", "year_group": "Year group", "strand": "Strand"}
    items = [ConflictField(key, labels.get(key, key), _text(c.theirs), _text(c.mine),
                           list(c.chunks))
             for key, c in error.result.conflicts.items()]
    return ConflictView(items, error.head)


def merged_form(error: MergeConflict, typed: dict[str, Any]) -> dict[str, Any]:
    """Form values after a conflict: clean merges filled in, clashing fields keep mine."""
    data = dict(typed)
    # Clashing fields are prefilled with the clean parts merged and the user's text at each
    # clash; the page shows the other version beside it.
    for key, value in error.result.merged.items():
        if key in ("rtp_codes", "tags") and isinstance(value, list):
            data[key] = ", ".join(value)
        elif key != "lessons":
            data[key] = value
    return data


@dataclass
class SinceVisit:
    seen: int
    head: int
    authors: list[str]


def since_visit(page: PlanPage) -> SinceVisit | None:
    """What others changed since the reader last looked, or None (first visit, nothing new,
    or only the reader's own saves since: they have seen those)."""
    if page.seen is None or page.seen >= page.head.number or not page.since_authors:
        return None
    return SinceVisit(page.seen, page.head.number, page.since_authors)
