"""Each teacher's subject-knowledge log, and coverage views for subject leaders and Leads.

A log is personal professional data: only its owner, the owner's school's subject leader and
headteacher, and the Lead of a Work Group the owner belongs to may read it. Anyone else gets
NotFound, so not even the person's existence in the app is confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select

from app import policy
from app.accounts.models import Membership, School, User, WorkGroup
from app.core.text import is_whole_number
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.materials.models import MAX_REFLECTION, Material, StudyLogEntry
from app.planning.models import Sequence
from app.timeutil import utcnow

EARLIEST = date(2000, 1, 1)


# --- the log ----------------------------------------------------------------------------------


def parse_date(raw: str, errors: dict[str, str], key: str = "studied_on") -> date | None:
    """A yyyy-mm-dd date no later than today (what a date input sends)."""
    text = (raw or "").strip()
    if not text:
        errors[key] = "Enter the date you studied it, for example 2025-03-14."
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        errors[key] = "Enter a real date as year-month-day, for example 2025-03-14."
        return None
    today = utcnow().date()
    if value > today:
        errors[key] = "The date cannot be in the future."
    elif value < EARLIEST:
        errors[key] = f"Enter a date from {EARLIEST.year} onwards."
    return value


def record_study(user: User, data: dict[str, Any]) -> StudyLogEntry:
    """Add an entry to the user's own log."""
    errors: dict[str, str] = {}
    raw_material = str(data.get("material_id") or "")
    material = db.session.get(Material, int(raw_material)) if is_whole_number(raw_material) and \
        int(raw_material) <= 2**31 - 1 else None
    if material is None or material.status != "published":
        errors["material_id"] = "Choose the material you studied."
    studied_on = parse_date(str(data.get("studied_on") or ""), errors)
    reflection = str(data.get("reflection") or "").replace("\r\n", "\n").strip()
    if len(reflection) > MAX_REFLECTION:
        errors["reflection"] = (f"Keep the reflection to {MAX_REFLECTION:,} characters (it has "
                                f"{len(reflection):,}). Your text is kept below.")
    sequence_id = None
    raw_plan = str(data.get("sequence_id") or "")
    if raw_plan:
        sequence_id = int(raw_plan) if is_whole_number(raw_plan) else -1
        visible = db.session.scalar(select(Sequence.id).where(
            Sequence.id == sequence_id, policy.visible_sequences_clause(user)))
        if visible is None:
            errors["sequence_id"] = "Choose one of the plans you can see, or leave it empty."
    if errors:
        raise ValidationError(fields=errors)
    assert material is not None  # no material is a field error above
    entry = StudyLogEntry(user_id=user.id, material_id=material.id, studied_on=studied_on,
                          reflection=reflection, sequence_id=sequence_id)
    db.session.add(entry)
    db.session.flush()
    return entry


def delete_entry(user: User, entry_id: int) -> None:
    """Owners may remove their own entries (it is their record); nobody else may."""
    entry = db.session.get(StudyLogEntry, entry_id)
    if entry is None or entry.user_id != user.id:
        raise NotFound()
    db.session.delete(entry)


def log_owner(viewer: User, owner_id: int) -> User:
    """The person whose log the viewer asks for, if the viewer may read it; else NotFound."""
    owner = db.session.get(User, owner_id)
    if owner is None or not policy.can_view_study_log(viewer, owner):
        raise NotFound()
    return owner


def entries(owner: User) -> list[StudyLogEntry]:
    return list(db.session.scalars(
        select(StudyLogEntry).where(StudyLogEntry.user_id == owner.id)
        .order_by(StudyLogEntry.studied_on.desc(), StudyLogEntry.id.desc())))


def material_choices() -> list[Material]:
    """Published, live materials in catalogue order, for the chooser."""
    found = db.session.scalars(select(Material).where(
        Material.status == "published", Material.archived_at.is_(None)))
    return sorted(found, key=lambda m: m.sort_key)


def plan_choices(user: User) -> list[Sequence]:
    return list(db.session.scalars(
        select(Sequence).where(policy.visible_sequences_clause(user),
                               Sequence.archived_at.is_(None))
        .order_by(Sequence.year_group, Sequence.title)))


# --- coverage ---------------------------------------------------------------------------------


@dataclass
class Coverage:
    """Rows are spine segments; columns are people (school view) or schools (group view)."""

    segments: list[Material]
    columns: list[Any]
    # Keys are Material.segment, a nullable column; the queries only keep materials with one.
    #: (segment, column id) -> number (entries for a person; people for a school).
    cells: dict[tuple[str | None, int], int]
    #: segment -> how many people studied it at least once.
    reached: dict[str | None, int]
    people: int

    def cell(self, segment: str, column_id: int) -> int:
        return self.cells.get((segment, column_id), 0)

    def column_total(self, column_id: int) -> int:
        """Segments this column has covered at least once."""
        return sum(1 for m in self.segments if self.cells.get((m.segment, column_id)))


def spine_segments() -> list[Material]:
    """One published NCETM primary material per segment, in teaching-number order."""
    found = db.session.scalars(select(Material).where(
        Material.source == "ncetm_primary_pd", Material.segment.is_not(None),
        Material.status == "published", Material.archived_at.is_(None)).order_by(Material.id))
    by_segment: dict[str | None, Material] = {}
    for material in found:
        by_segment.setdefault(material.segment, material)
    return sorted(by_segment.values(), key=lambda m: m.sort_key)


def _counts(user_ids: list[int]) -> dict[tuple[str | None, int], int]:
    """(segment, user id) -> number of log entries on NCETM primary segments."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(Material.segment, StudyLogEntry.user_id, func.count(StudyLogEntry.id))
        .join(Material, Material.id == StudyLogEntry.material_id)
        .where(StudyLogEntry.user_id.in_(user_ids), Material.source == "ncetm_primary_pd",
               Material.segment.is_not(None))
        .group_by(Material.segment, StudyLogEntry.user_id))
    return {(segment, user_id): count for segment, user_id, count in rows}


def school_teachers(school_id: int) -> list[User]:
    """People at the school: by their own school or a Work Group membership for it."""
    represented = select(Membership.user_id).where(Membership.school_id == school_id)
    return list(db.session.scalars(
        select(User).where(or_(User.school_id == school_id, User.id.in_(represented)),
                           User.disabled.is_(False))
        .order_by(User.display_name, User.id)))


def school_coverage(viewer: User, school_id: int) -> tuple[School, Coverage]:
    """Who at the school has studied which segment: for its subject leader and headteacher."""
    school = db.session.get(School, school_id)
    if school is None or not policy.can_view_school_learning(viewer, school_id):
        raise NotFound()
    teachers = school_teachers(school_id)
    counts = _counts([t.id for t in teachers])
    segments = spine_segments()
    reached = {m.segment: sum(1 for t in teachers if counts.get((m.segment, t.id)))
               for m in segments}
    return school, Coverage(segments, teachers, counts, reached, len(teachers))


def group_coverage(viewer: User, group_id: int) -> tuple[WorkGroup, Coverage,
                                                         dict[int, list[User]]]:
    """Per school in the group, how many members studied each segment: for the Lead."""
    group = db.session.get(WorkGroup, group_id)
    if group is None or not policy.can_view_group_learning(viewer, group):
        raise NotFound()
    members: dict[int, list[User]] = {s.id: [] for s in group.schools}
    for member in group.memberships:
        if member.school_id is not None and not member.user.disabled:
            members.setdefault(member.school_id, []).append(member.user)
    for people in members.values():
        people.sort(key=lambda u: (u.display_name, u.id))
    counts = _counts([u.id for people in members.values() for u in people])
    segments = spine_segments()
    cells: dict[tuple[str | None, int], int] = {}
    for school_id, people in members.items():
        for material in segments:
            cells[(material.segment, school_id)] = sum(
                1 for u in people if counts.get((material.segment, u.id)))
    reached = {m.segment: sum(cells.get((m.segment, s), 0) for s in members) for m in segments}
    schools = [s for s in group.schools if s.id in members]
    extra = [db.session.get(School, sid) for sid in members if sid not in {s.id for s in schools}]
    return group, Coverage(segments, schools + [s for s in extra if s], cells, reached,
                           sum(len(p) for p in members.values())), members
