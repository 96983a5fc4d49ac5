"""Permission rules for the materials library and study logs.

Moves to app/policy.py: every permission decision belongs there. These functions are written so
they can be pasted into policy.py unchanged (they use only policy's own helpers); until then the
materials package imports them from here, and nowhere else decides who may do what.
"""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User, WorkGroup
from app.extensions import db
from app.policy import is_work_group_lead, school_ids

#: Membership roles that see their school's study logs and coverage.
SCHOOL_LEARNING_ROLES = ("subject_leader", "headteacher")


def can_curate_materials(user: User) -> bool:
    """Site admins, hub admins and Work Group Leads add, edit, approve and archive materials."""
    if user.is_site_admin or (user.is_hub_admin and user.admin_hub_id is not None):
        return True
    if any(m.has_role("work_group_lead") for m in user.memberships):
        return True
    led = db.session.scalar(select(WorkGroup.id).where(WorkGroup.lead_id == user.id).limit(1))
    return led is not None


def can_suggest_material(user: User) -> bool:
    """Any signed-in user may suggest an addition; a curator decides whether to publish it."""
    return user.is_authenticated


def can_view_material(user: User, material) -> bool:
    """Published materials are for everyone; a suggestion only for curators and its author."""
    if material.status == "published":
        return True
    return can_curate_materials(user) or material.suggested_by_id == user.id


def can_view_study_log(viewer: User, owner: User) -> bool:
    """A study log is personal: its owner, the subject leader and headteacher of the owner's
    school, and the Lead of a Work Group the owner belongs to. Not site admins."""
    if viewer.id == owner.id:
        return True
    owner_schools = school_ids(owner)
    if any(m.school_id in owner_schools and m.has_role(*SCHOOL_LEARNING_ROLES)
           for m in viewer.memberships if m.school_id):
        return True
    return any(is_work_group_lead(viewer, m.work_group) for m in owner.memberships)


def can_view_school_learning(viewer: User, school_id: int) -> bool:
    """The school's subject leader and headteacher (roles on a membership for that school)."""
    return any(m.school_id == school_id and m.has_role(*SCHOOL_LEARNING_ROLES)
               for m in viewer.memberships)


def can_view_group_learning(viewer: User, work_group: WorkGroup) -> bool:
    """The Work Group's Lead sees study coverage across the group's schools."""
    return is_work_group_lead(viewer, work_group)
