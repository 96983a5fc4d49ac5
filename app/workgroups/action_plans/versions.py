"""An action plan's versions: the subject of its history and compare pages, restoring an old
revision, and the plain text that diffs and conflict pages show."""

from __future__ import annotations

from typing import Any

from app import revisions
from app.accounts.models import User
from app.revisions import SaveResult
from app.revisions.pages import VersionedSubject
from app.timeutil import utcnow
from app.workgroups import dates, permissions
from app.workgroups.action_plans.plans import editable_plan, names_for
from app.workgroups.models import (
    ACTION_STATUSES,
    RAG_RATINGS,
    ActionPlan,
)


def restore(user: User, plan_id: int, number: int) -> SaveResult:
    """Bring back revision `number` as a new draft revision."""
    plan = editable_plan(user, plan_id)
    result = revisions.restore_revision(plan.document_id, user, number, [])
    if result.changed:
        plan.updated_at = utcnow()
    return result


def subject(user: User, plan: ActionPlan) -> VersionedSubject:
    """The action plan as the revision pages show it."""
    return VersionedSubject(plan.title, plan.document_id, plan.document.head_number,
                            "workgroups.action_plan", "workgroups.action_plan_restore",
                            {"plan_id": plan.id}, "action plan",
                            permissions.can_edit_action_plan(user, plan),
                            stylesheet="css/workgroups.css")


def priority_text(priority: dict[str, Any] | None, names: dict[int, str]) -> str:
    """A priority as plain lines, for word-level diffs and conflict pages."""
    if priority is None:
        return ""
    lines = [f"Area: {priority.get('area', '')}",
             f"Intended outcome: {priority.get('intended_outcome', '')}",
             f"RAG rating: {RAG_RATINGS.get(priority.get('rag', ''), 'Not rated yet')}",
             "Actions:"]
    for a in priority.get("actions", []):
        due = dates.parse_date(a.get("due", "")) if a.get("due") else None
        lines.append(f"- {a.get('action', '')} (lead: {names.get(a.get('lead_id'), 'none')}; "
                     f"due: {dates.day_label(due) if due else 'no date'}; "
                     f"{ACTION_STATUSES.get(a.get('status', ''), a.get('status', ''))})")
    lines.append(f"Success criteria: {priority.get('success_criteria', '')}")
    lines.append("Evidence:")
    lines += [f"- {url}" for url in priority.get("evidence_links", [])]
    return "\n".join(lines) + "\n"


def review_text(points: list[dict[str, Any]]) -> str:
    lines = []
    for r in points:
        day = dates.parse_date(r.get("date", ""))
        lines.append(f"- {dates.day_label(day) if day else r.get('date', '')}: {r.get('note', '')}")
    return "\n".join(lines) + ("\n" if lines else "")


def display(old: dict[str, Any], new: dict[str, Any]
            ) -> tuple[dict[str, Any], dict[str, Any], list[tuple[str, str]]]:
    """Both snapshots as one text field per priority plus the review points, for diffing."""
    names = {**names_for(old), **names_for(new)}
    old_by = {p["id"]: p for p in old.get("priorities", [])}
    new_by = {p["id"]: p for p in new.get("priorities", [])}
    order = list(new_by) + [k for k in old_by if k not in new_by]
    fields = [(f"priority:{k}", f"Priority: {(new_by.get(k) or old_by[k]).get('area', '')}")
              for k in order]
    fields.append(("review_points", "Review points"))
    shown_old = {f"priority:{k}": priority_text(p, names) for k, p in old_by.items()}
    shown_new = {f"priority:{k}": priority_text(p, names) for k, p in new_by.items()}
    shown_old["review_points"] = review_text(old.get("review_points", []))
    shown_new["review_points"] = review_text(new.get("review_points", []))
    return shown_old, shown_new, fields
