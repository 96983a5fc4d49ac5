"""Signing off an action plan: the headteacher or the Work Group Lead pins one revision."""

from __future__ import annotations

from app import revisions
from app.accounts.models import User
from app.errors import Forbidden, ValidationError
from app.extensions import db
from app.policy import is_work_group_lead, membership
from app.timeutil import utcnow
from app.workgroups import permissions
from app.workgroups.action_plans.plans import get_plan
from app.workgroups.models import (
    ActionPlanSignOff,
)


def sign_off(user: User, plan_id: int, number: int | None) -> ActionPlanSignOff:
    """Sign off revision `number` (the one the signer was shown); it is then pinned."""
    plan = get_plan(user, plan_id)
    if not permissions.can_sign_off_action_plan(user, plan):
        raise Forbidden("Only the school's headteacher and the Work Group Lead sign off a plan.")
    if number is None:
        raise ValidationError("Choose the version to sign off.")
    revision = revisions.get_revision(plan.document_id, number)
    current = plan.sign_off
    if current is not None and current.revision_number == revision.number:
        return current
    role = "work_group_lead" if is_work_group_lead(user, plan.work_group) else "headteacher"
    member = membership(user, plan.work_group_id)
    if member is not None and member.school_id == plan.school_id and \
            member.has_role("headteacher"):
        role = "headteacher"
    record = ActionPlanSignOff(action_plan_id=plan.id, revision_number=revision.number,
                               signed_by_id=user.id, role=role, signed_at=utcnow())
    plan.sign_offs.append(record)
    db.session.flush()
    return record
