"""The Work Group Lead's overview: each school's progress through the year, as a page and CSV.

Research lessons and agreed changes come from app.observations' models and study logs from
app.materials' (every feature is always wired in, so every figure is always there).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from sqlalchemy import distinct, func, select

from app.accounts.models import Membership, User, WorkGroup
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.materials.models import StudyLogEntry
from app.observations.models import AgreedChange, ResearchLesson
from app.planning.models import Sequence
from app.policy import can_view_work_group
from app.workgroups import action_plans, dates, permissions
from app.workgroups.models import RAG_RATINGS, ActionPlan, ActionPlanSignOff

#: Cells a spreadsheet would read as a formula; such cells get a leading apostrophe.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class SchoolRow:
    school_id: int
    school: str
    sequences: int
    research_lessons: int
    changes_addressed: int
    changes_open: int
    plan_id: int | None
    plan_status: str
    plan_revision: int | None
    rag: dict[str, int]
    sign_off: ActionPlanSignOff | None
    pd_materials: int


@dataclass
class Overview:
    group: WorkGroup
    rows: list[SchoolRow]


def get_group(user: User, work_group_id: int) -> WorkGroup:
    """The group, if the user may see its overview: NotFound for outsiders, else Forbidden."""
    group = db.session.get(WorkGroup, work_group_id)
    if group is None:
        raise NotFound()
    if permissions.can_view_overview(user, group):
        return group
    if can_view_work_group(user, group):
        raise Forbidden("The overview is for the Work Group Lead.")
    raise NotFound()


def _sequences(group: WorkGroup) -> dict[int, int]:
    rows = db.session.execute(
        select(Sequence.school_id, func.count(Sequence.id))
        .where(Sequence.work_group_id == group.id, Sequence.archived_at.is_(None),
               # This year's: after a new year, last year's stay in their own year.
               Sequence.academic_year == group.academic_year)
        .group_by(Sequence.school_id))
    return {school_id: count for school_id, count in rows}


# Keyed by school id as stored: ResearchLesson.school_id and Membership.school_id are nullable.
def _observations(group: WorkGroup, today: dt.date
                  ) -> tuple[dict[int | None, int], dict[int | None, dict[str, int]]]:
    held = {school_id: count for school_id, count in db.session.execute(
        select(ResearchLesson.school_id, func.count(ResearchLesson.id))
        .where(ResearchLesson.work_group_id == group.id,
               ResearchLesson.kind == "research_lesson", ResearchLesson.taught_on <= today)
        .group_by(ResearchLesson.school_id))}
    changes: dict[int | None, dict[str, int]] = {}
    for school_id, status, count in db.session.execute(
            select(ResearchLesson.school_id, AgreedChange.status, func.count(AgreedChange.id))
            .join(ResearchLesson, AgreedChange.research_lesson_id == ResearchLesson.id)
            .where(ResearchLesson.work_group_id == group.id)
            .group_by(ResearchLesson.school_id, AgreedChange.status)):
        changes.setdefault(school_id, {})[status] = count
    return held, changes


def _study_logs(group: WorkGroup) -> dict[int | None, int]:
    year = dates.academic_year_range(group.academic_year)
    query = (select(Membership.school_id, func.count(distinct(StudyLogEntry.material_id)))
             .join(Membership, Membership.user_id == StudyLogEntry.user_id)
             .where(Membership.work_group_id == group.id, Membership.school_id.is_not(None))
             .group_by(Membership.school_id))
    if year is not None:
        query = query.where(StudyLogEntry.studied_on.between(*year))
    return {school_id: count for school_id, count in db.session.execute(query)}


def overview(user: User, work_group_id: int, today: dt.date | None = None) -> Overview:
    """One row per school of the group, with the figures the Lead follows through the year."""
    group = get_group(user, work_group_id)
    day = today or dates.today()
    sequences = _sequences(group)
    observed = _observations(group, day)
    logs = _study_logs(group)
    plans = {p.school_id: p for p in db.session.scalars(select(ActionPlan).where(
        ActionPlan.work_group_id == group.id, ActionPlan.academic_year == group.academic_year))}
    rows = []
    for school in group.schools:
        plan = plans.get(school.id)
        rag = {key: 0 for key in RAG_RATINGS}
        status, number, signed = "No plan yet", None, None
        if plan is not None:
            head = action_plans.head(plan)
            number, signed = head.number, plan.sign_off
            for p in head.fields.get("priorities", []):
                if p.get("rag") in rag:
                    rag[p["rag"]] += 1
            if signed is None:
                status = "Draft, not signed off"
            elif signed.revision_number == head.number:
                status = "Signed off"
            else:
                status = "Signed off; newer draft"
        changes = observed[1].get(school.id, {})
        rows.append(SchoolRow(
            school.id, school.name, sequences.get(school.id, 0),
            observed[0].get(school.id, 0), changes.get("addressed", 0), changes.get("open", 0),
            plan.id if plan else None, status, number, rag, signed, logs.get(school.id, 0)))
    return Overview(group, rows)


# --- CSV ----------------------------------------------------------------------------------------

HEADER = ["School", "Sequences co-planned", "Research lessons held",
          "Agreed changes addressed", "Agreed changes open", "Action plan status",
          "Action plan revision", "Priorities red", "Priorities amber", "Priorities green",
          "Last sign-off revision", "Signed off by", "Signed off on",
          "PD materials studied (distinct)"]


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: formula-like values get a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def overview_csv(data: Overview) -> str:
    """The overview as CSV with a header row; every cell is injection-safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in data.rows:
        signed = row.sign_off
        writer.writerow([safe_cell(v) for v in [
            row.school, row.sequences, row.research_lessons,
            row.changes_addressed, row.changes_open, row.plan_status,
            row.plan_revision if row.plan_revision is not None else "",
            row.rag["red"], row.rag["amber"], row.rag["green"],
            signed.revision_number if signed else "",
            signed.signed_by.display_name if signed else "",
            signed.signed_at.date().isoformat() if signed else "",
            row.pd_materials]])
    return out.getvalue()


def csv_filename(group: WorkGroup) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in group.project_code.lower()).strip("-")
    return f"{slug or 'work-group'}-{group.id}-overview.csv"
