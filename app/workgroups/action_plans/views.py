"""What a reader sees of an action plan: the signed-off version, the latest draft or any
revision, with each priority's actions, due dates and RAG ratings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from app import revisions
from app.accounts.models import User
from app.revisions.models import Revision
from app.workgroups import dates, permissions
from app.workgroups.action_plans.plans import get_plan, head, names_for
from app.workgroups.models import (
    ACTION_STATUSES,
    RAG_RATINGS,
    ActionPlan,
    ActionPlanSignOff,
)


@dataclass
class ActionView:
    action: str
    lead: str
    due: dt.date | None
    status: str
    overdue: bool

    @property
    def status_label(self) -> str:
        return ACTION_STATUSES.get(self.status, self.status)


@dataclass
class PriorityView:
    id: str
    area: str
    intended_outcome: str
    success_criteria: str
    rag: str
    evidence_links: list[str]
    actions: list[ActionView]

    @property
    def rag_label(self) -> str:
        return RAG_RATINGS.get(self.rag, "Not rated yet")


@dataclass
class PlanView:
    plan: ActionPlan
    revision: Revision
    head: Revision
    priorities: list[PriorityView]
    review_points: list[tuple[dt.date | None, str]]
    sign_off: ActionPlanSignOff | None
    can_edit: bool
    can_sign_off: bool
    #: "signed" (the signed-off version), "draft" (the latest) or "old" (any other).
    showing: str
    rag_counts: dict[str, int] = field(default_factory=dict)

    @property
    def is_head(self) -> bool:
        return self.revision.number == self.head.number

    @property
    def has_newer_draft(self) -> bool:
        return self.sign_off is not None and self.sign_off.revision_number < self.head.number


def priorities_of(fields: dict[str, Any], today: dt.date | None = None) -> list[PriorityView]:
    names = names_for(fields)
    day = today or dates.today()
    out = []
    for p in fields.get("priorities", []):
        actions = []
        for a in p.get("actions", []):
            due = dates.parse_date(a.get("due", "")) if a.get("due") else None
            actions.append(ActionView(a.get("action", ""), names.get(a.get("lead_id"), ""), due,
                                      a.get("status", "not_started"),
                                      due is not None and due < day and a.get("status") != "done"))
        out.append(PriorityView(p["id"], p.get("area", ""), p.get("intended_outcome", ""),
                                p.get("success_criteria", ""), p.get("rag", ""),
                                list(p.get("evidence_links", [])), actions))
    return out


def plan_view(user: User, plan_id: int, version: str = "", number: int | None = None,
              today: dt.date | None = None) -> PlanView:
    """The plan as pinned (signed off) by default, the latest draft, or any revision."""
    plan = get_plan(user, plan_id)
    current = head(plan)
    signed = plan.sign_off
    if number is not None:
        revision, showing = revisions.get_revision(plan.document_id, number), "old"
    elif signed is not None and version != "draft":
        revision, showing = revisions.get_revision(plan.document_id,
                                                   signed.revision_number), "signed"
    else:
        revision, showing = current, "draft"
    if showing == "old" and signed is not None and number == signed.revision_number:
        showing = "signed"
    elif showing == "old" and number == current.number:
        showing = "draft"
    priorities = priorities_of(revision.fields, today)
    counts = {key: sum(1 for p in priorities if p.rag == key) for key in RAG_RATINGS}
    points = [(dates.parse_date(r.get("date", "")), r.get("note", ""))
              for r in revision.fields.get("review_points", [])]
    return PlanView(plan, revision, current, priorities, points, signed,
                    permissions.can_edit_action_plan(user, plan),
                    permissions.can_sign_off_action_plan(user, plan), showing, counts)
