"""Which action plans exist and who may read or edit them: a group's plans, starting a
school's plan, the plan's current revision and who can lead its actions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app import revisions
from app.accounts.models import User, WorkGroup
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.revisions.models import Revision
from app.workgroups import permissions
from app.workgroups.models import (
    ActionPlan,
)


def empty_snapshot() -> dict[str, Any]:
    return {"priorities": [], "review_points": []}


def get_plan(user: User, plan_id: int) -> ActionPlan:
    """A plan the user may read; NotFound otherwise (never reveals that it exists)."""
    plan = db.session.get(ActionPlan, plan_id)
    if plan is None or not permissions.can_view_action_plan(user, plan):
        raise NotFound()
    return plan


def editable_plan(user: User, plan_id: int) -> ActionPlan:
    plan = get_plan(user, plan_id)
    if not permissions.can_edit_action_plan(user, plan):
        raise Forbidden("Only the school's members and the Work Group Lead edit this plan.")
    return plan


def head(plan: ActionPlan) -> Revision:
    return revisions.get_revision(plan.document_id, plan.document.head_number)


@dataclass
class SchoolPlanRow:
    school_id: int
    school_name: str
    plan: ActionPlan | None
    can_create: bool


def plans_page(user: User, work_group_id: int) -> tuple[WorkGroup, list[SchoolPlanRow]]:
    """The group's schools whose plans the user may see (their own; all for the Lead)."""
    group = db.session.get(WorkGroup, work_group_id)
    if group is None or not permissions.can_view_sessions(user, group):
        raise NotFound()
    found = {p.school_id: p for p in db.session.scalars(select(ActionPlan).where(
        ActionPlan.work_group_id == group.id, ActionPlan.academic_year == group.academic_year))}
    rows = []
    for school in group.schools:
        plan = found.get(school.id)
        if plan is not None and permissions.can_view_action_plan(user, plan):
            rows.append(SchoolPlanRow(school.id, school.name, plan, False))
        elif plan is None and permissions.can_create_action_plan(user, group, school.id):
            rows.append(SchoolPlanRow(school.id, school.name, None, True))
    return group, rows


def earlier_plans(user: User, group: WorkGroup) -> list[ActionPlan]:
    """The group's plans of earlier academic years that the user may see, newest year first:
    a group that has started a new year keeps them as they were."""
    older = db.session.scalars(select(ActionPlan).where(
        ActionPlan.work_group_id == group.id, ActionPlan.academic_year < group.academic_year)
        .order_by(ActionPlan.academic_year.desc(), ActionPlan.id))
    return [plan for plan in older if permissions.can_view_action_plan(user, plan)]


def create_plan(user: User, work_group_id: int, school_id: int | None) -> ActionPlan:
    """Start a school's plan for the group's year; returns the existing one if there is one."""
    group = db.session.get(WorkGroup, work_group_id)
    if group is None or not permissions.can_view_sessions(user, group):
        raise NotFound()
    if school_id is None or not permissions.can_create_action_plan(user, group, school_id):
        raise Forbidden("Only the school's members and the Work Group Lead start its plan.")
    existing = db.session.scalar(select(ActionPlan).where(
        ActionPlan.work_group_id == group.id, ActionPlan.school_id == school_id,
        ActionPlan.academic_year == group.academic_year))
    if existing is not None:
        return existing
    document = revisions.new_document("action_plan")
    plan = ActionPlan(work_group_id=group.id, school_id=school_id,
                      academic_year=group.academic_year, document_id=document.id,
                      created_by_id=user.id)
    db.session.add(plan)
    db.session.flush()
    revisions.save_revision(document.id, user, empty_snapshot(), None, "Action plan started.",
                            [])
    return plan


def lead_choices(plan: ActionPlan) -> list[User]:
    """Who can lead an action: the school's members in the group and the Work Group Lead."""
    group = plan.work_group
    people = {m.user.id: m.user for m in group.memberships
              if m.school_id == plan.school_id and not m.user.disabled}
    if group.lead is not None:
        people.setdefault(group.lead.id, group.lead)
    return sorted(people.values(), key=lambda u: u.display_name.casefold())


def names_for(fields: dict[str, Any]) -> dict[int, str]:
    """Display names of the people who lead the snapshot's actions, by user id."""
    ids = {a.get("lead_id") for p in fields.get("priorities", []) for a in p.get("actions", [])}
    ids.discard(None)
    if not ids:
        return {}
    return {u.id: u.display_name for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
