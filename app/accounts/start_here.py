"""The "start here" page a newcomer lands on after accepting an invitation.

It gathers, for one Work Group the reader may see: who is in it, the next session, the plans
the reader may open, and a short list of first steps. Everything is read through the same
rules as the pages it links to (policy and the sessions feature's own reader).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from app import policy
from app.accounts.models import Membership, User, WorkGroup
from app.accounts.services import get_work_group
from app.extensions import db
from app.planning.models import Sequence
from app.workgroups import dates, sessions
from app.workgroups.models import WorkGroupSession

#: Plans listed on the page; the Work Group page lists them all.
PLAN_LIMIT = 12


@dataclass(frozen=True)
class Member:
    name: str
    roles: str
    school: str
    is_you: bool


@dataclass(frozen=True)
class StartHere:
    group: WorkGroup
    #: The reader's own roles in the group ("" for an admin who is not a member).
    my_roles: str
    members: list[Member]
    next_session: WorkGroupSession | None
    plans: list[Sequence]
    can_invite: bool


def start_here(user: User, group_id: int, today: dt.date | None = None) -> StartHere:
    """The newcomer's overview of a Work Group they may see; NotFound otherwise."""
    group = get_work_group(user, group_id)
    rows: list[Membership] = sorted(
        (m for m in group.memberships if not m.user.disabled),
        key=lambda m: (m.school is not None, m.school.name.casefold() if m.school else "",
                       m.user.display_name.casefold()))
    members = [Member(m.user.display_name, m.role_labels,
                      m.school.name if m.school else "Maths Hub", m.user_id == user.id)
               for m in rows]
    mine = policy.membership(user, group.id)
    upcoming = [s for s in sessions.list_sessions(group)
                if s.date >= (today or dates.today())]
    plans = list(db.session.scalars(
        select(Sequence).where(Sequence.work_group_id == group.id,
                               Sequence.archived_at.is_(None),
                               policy.visible_sequences_clause(user))
        .order_by(Sequence.updated_at.desc(), Sequence.id.desc()).limit(PLAN_LIMIT)))
    return StartHere(group, mine.role_labels if mine else "", members,
                     upcoming[0] if upcoming else None, plans,
                     policy.can_manage_work_group(user, group))
