"""Read-only lookups for account pages, filtered through the policy."""

from __future__ import annotations

from sqlalchemy import select

from app import policy
from app.accounts.models import Membership, School, User, WorkGroup
from app.errors import NotFound
from app.extensions import db


def members_by_school(group: WorkGroup) -> list[tuple[School | None, list[Membership]]]:
    """The group's members grouped by the school they represent (hub staff first)."""
    groups: dict[int | None, list[Membership]] = {None: []}
    for school in group.schools:
        groups[school.id] = []
    for member in sorted(group.memberships, key=lambda m: m.user.display_name):
        groups.setdefault(member.school_id, []).append(member)
    schools = {s.id: s for s in group.schools}
    result = [(schools.get(sid) if sid else None, members) for sid, members in groups.items()]
    return [(s, m) for s, m in result if s is not None or m]


def get_school(user: User, school_id: int) -> School:
    school = db.session.get(School, school_id)
    if school is None or not policy.can_view_school(user, school):
        raise NotFound()
    return school


def school_memberships(user: User, school: School) -> list[Membership]:
    """Memberships at this school in Work Groups the viewer can see."""
    rows = db.session.scalars(select(Membership).where(Membership.school_id == school.id))
    return [m for m in rows if policy.can_view_work_group(user, m.work_group)]
