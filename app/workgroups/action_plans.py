"""School action plans: priorities, actions, RAG ratings, review points; versioned, signed off.

A plan's content is one "action_plan" document in the revision engine. Its snapshot is

    {"priorities": [{"id", "area", "intended_outcome", "actions": [{"id", "action",
                     "lead_id", "due", "status"}], "success_criteria", "evidence_links",
                     "rag"}],
     "review_points": [{"id", "date", "note"}]}

Priorities and review points carry stable ids, so two people editing different priorities at
once merge cleanly (the engine merges lists of dicts item by item); editing the same priority
is a conflict the person resolves. Each edit starts from the revision the form showed, changes
only its own part, and lets the engine merge: nothing is silently overwritten. A sign-off pins
one revision; later edits are new draft revisions and never alter it.
"""

from __future__ import annotations

import copy
import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from app.accounts.models import User, WorkGroup
from app.core.markdown import clean_text
from app.core.text import is_whole_number
from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.planning import revisions
from app.planning.models import Revision
from app.planning.revisions import SaveResult
from app.policy import is_work_group_lead, membership
from app.timeutil import utcnow
from app.workgroups import dates, permissions
from app.workgroups.models import (
    ACTION_STATUSES,
    RAG_RATINGS,
    ActionPlan,
    ActionPlanSignOff,
)
from app.workgroups.versions import VersionedSubject

MAX_AREA = 200
MAX_TEXT = 4000
MAX_ACTION = 500
MAX_NOTE = 1000
MAX_URL = 2000
MAX_LINKS = 20
MAX_ROWS = 40


def new_id(prefix: str) -> str:
    """A short id, stable for the life of the item, so merges match items across versions."""
    return f"{prefix}-{secrets.token_hex(4)}"


def empty_snapshot() -> dict[str, Any]:
    return {"priorities": [], "review_points": []}


# --- reading ------------------------------------------------------------------------------------


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


def _names(fields: dict[str, Any]) -> dict[int, str]:
    ids = {a.get("lead_id") for p in fields.get("priorities", []) for a in p.get("actions", [])}
    ids.discard(None)
    if not ids:
        return {}
    return {u.id: u.display_name for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


# --- what a reader sees ---------------------------------------------------------------------------


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
    names = _names(fields)
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


# --- checking what was typed -------------------------------------------------------------------


def _text(value: Any, limit: int, key: str, label: str, errors: dict[str, str]) -> str:
    text = clean_text(str(value or "")).strip()
    if len(text) > limit:
        errors[key] = f"{label} is too long: {len(text):,} characters; keep it under {limit:,}."
    return text


def _links(raw: str, errors: dict[str, str]) -> list[str]:
    out: list[str] = []
    for line in clean_text(raw or "").split("\n"):
        url = line.strip()
        if not url:
            continue
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc or \
                any(c.isspace() for c in url) or len(url) > MAX_URL:
            errors["evidence_links"] = (f"“{url[:80]}” is not a web address. Evidence links "
                                        "must start with http:// or https://, one per line.")
            continue
        if url not in out:
            out.append(url)
    if len(out) > MAX_LINKS:
        errors["evidence_links"] = f"Give up to {MAX_LINKS} evidence links."
    return out


def check_priority(plan: ActionPlan, data: dict[str, Any], errors: dict[str, str],
                   known_actions: set[str]) -> dict[str, Any]:
    """A priority from the form (without its id); field errors keyed as the form names them."""
    out: dict[str, Any] = {}
    out["area"] = " ".join(_text(data.get("area"), MAX_AREA, "area", "The priority area",
                                 errors).split())
    if not out["area"] and "area" not in errors:
        errors["area"] = "Name the priority area, e.g. “lesson design / representations”."
    out["intended_outcome"] = _text(data.get("intended_outcome"), MAX_TEXT, "intended_outcome",
                                    "The intended outcome", errors)
    leads = {u.id for u in lead_choices(plan)}
    actions: list[dict[str, Any]] = []
    for n, row in enumerate(data.get("actions", [])):
        if row.get("remove"):
            continue
        action = _text(row.get("action"), MAX_ACTION, f"actions-{n}-action", "The action",
                       errors)
        lead_raw = str(row.get("lead_id") or "").strip()
        due_raw = str(row.get("due") or "").strip()
        status = str(row.get("status") or "not_started")
        if not action and not lead_raw and not due_raw and (status == "not_started" or
                                                            not row.get("id")):
            continue  # the empty row offered for a new action
        if not action:
            errors[f"actions-{n}-action"] = "Describe the action, or tick “Remove” for this row."
        lead_id = None
        if lead_raw:
            if not is_whole_number(lead_raw) or int(lead_raw) not in leads:
                errors[f"actions-{n}-lead_id"] = "Choose the lead from the list."
            else:
                lead_id = int(lead_raw)
        due = ""
        if due_raw:
            day = dates.parse_date(due_raw)
            if day is None:
                errors[f"actions-{n}-due"] = (f"“{due_raw[:40]}” is not a date we can read. "
                                              + dates.DATE_HINT)
            else:
                due = day.isoformat()
        if status not in ACTION_STATUSES:
            errors[f"actions-{n}-status"] = "Choose a status from the list."
        action_id = str(row.get("id") or "")
        actions.append({"id": action_id if action_id in known_actions else new_id("act"),
                        "action": action, "lead_id": lead_id, "due": due, "status": status})
    if len(actions) > MAX_ROWS:
        errors["actions"] = f"Keep a priority to {MAX_ROWS} actions."
    out["actions"] = actions
    out["success_criteria"] = _text(data.get("success_criteria"), MAX_TEXT, "success_criteria",
                                    "The success criteria", errors)
    out["evidence_links"] = _links(str(data.get("evidence_links") or ""), errors)
    rag = str(data.get("rag") or "")
    if rag and rag not in RAG_RATINGS:
        errors["rag"] = "Choose red, amber or green, or “Not rated yet”."
    out["rag"] = rag if rag in RAG_RATINGS else ""
    return out


def check_review_points(rows: list[dict[str, Any]], errors: dict[str, str],
                        known: set[str]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for n, row in enumerate(rows):
        if row.get("remove"):
            continue
        raw = str(row.get("date") or "").strip()
        note = _text(row.get("note"), MAX_NOTE, f"review-{n}-note", "The note", errors)
        if not raw and not note:
            continue
        day = dates.parse_date(raw) if raw else None
        if day is None:
            errors[f"review-{n}-date"] = ("Enter the date of the review point. " if not raw else
                                          f"“{raw[:40]}” is not a date we can read. ") + \
                dates.DATE_HINT
        row_id = str(row.get("id") or "")
        out.append({"id": row_id if row_id in known else new_id("rev"),
                    "date": day.isoformat() if day else raw, "note": note})
    if len(out) > MAX_ROWS:
        errors["review_points"] = f"Keep to {MAX_ROWS} review points."
    return sorted(out, key=lambda r: r["date"])


# --- saving ---------------------------------------------------------------------------------------


def _base(plan: ActionPlan, base_number: int | None) -> Revision:
    """The revision the form started from; a missing or unknown one is a stale page."""
    if base_number is None or not 1 <= base_number <= plan.document.head_number:
        raise ValidationError(fields={"form": "This page was out of date. Open the plan again "
                                              "and make your change there."})
    return revisions.get_revision(plan.document_id, base_number)


def _save(user: User, plan: ActionPlan, fields: dict[str, Any], base_number: int,
          summary: str) -> SaveResult:
    result = revisions.save_revision(plan.document_id, user, fields, base_number, summary, [])
    if result.changed:
        plan.updated_at = utcnow()
    return result


def save_priority(user: User, plan_id: int, priority_id: str | None, data: dict[str, Any],
                  base_number: int | None, summary: str = "") -> tuple[SaveResult, str]:
    """Save one priority (a new one when priority_id is None); returns the result and its id.

    The new snapshot is the form's base revision with only this priority changed; a stale base
    is merged by the engine, and a clash raises MergeConflict with nothing saved.
    """
    plan = editable_plan(user, plan_id)
    base = _base(plan, base_number)
    fields = copy.deepcopy(base.fields)
    priorities = fields.setdefault("priorities", [])
    index = next((i for i, p in enumerate(priorities) if p["id"] == priority_id), None)
    if priority_id is not None and index is None:
        raise NotFound("That priority is not in this version of the plan.")
    known = {a["id"] for a in priorities[index]["actions"]} if index is not None else set()
    errors: dict[str, str] = {}
    priority = check_priority(plan, data, errors, known)
    if errors:
        raise ValidationError(fields=errors)
    if index is None:
        priority_id = new_id("pr")
        priorities.append({"id": priority_id, **priority})
        default = f"Priority added: {priority['area']}."
    else:
        priorities[index] = {"id": priority_id, **priority}
        default = f"Priority updated: {priority['area']}."
    return _save(user, plan, fields, base.number, summary or default), priority_id


def remove_priority(user: User, plan_id: int, priority_id: str,
                    base_number: int | None) -> SaveResult:
    """Take a priority out of the plan (earlier revisions keep it)."""
    plan = editable_plan(user, plan_id)
    base = _base(plan, base_number)
    fields = copy.deepcopy(base.fields)
    kept = [p for p in fields.get("priorities", []) if p["id"] != priority_id]
    if len(kept) == len(fields.get("priorities", [])):
        raise NotFound("That priority is not in this version of the plan.")
    removed = next(p for p in fields["priorities"] if p["id"] == priority_id)
    fields["priorities"] = kept
    return _save(user, plan, fields, base.number, f"Priority removed: {removed.get('area')}.")


def save_review_points(user: User, plan_id: int, rows: list[dict[str, Any]],
                       base_number: int | None, summary: str = "") -> SaveResult:
    """Save the plan's review points (date + note)."""
    plan = editable_plan(user, plan_id)
    base = _base(plan, base_number)
    fields = copy.deepcopy(base.fields)
    errors: dict[str, str] = {}
    known = {r["id"] for r in fields.get("review_points", [])}
    fields["review_points"] = check_review_points(rows, errors, known)
    if errors:
        raise ValidationError(fields=errors)
    return _save(user, plan, fields, base.number, summary or "Review points updated.")


def restore(user: User, plan_id: int, number: int) -> SaveResult:
    """Bring back revision `number` as a new draft revision."""
    plan = editable_plan(user, plan_id)
    old = revisions.get_revision(plan.document_id, number)
    result = revisions.save_revision(plan.document_id, user, copy.deepcopy(old.fields),
                                     plan.document.head_number, f"Restored revision {number}.",
                                     [], restored_from=number)
    if result.changed:
        plan.updated_at = utcnow()
    return result


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


def subject(user: User, plan: ActionPlan) -> VersionedSubject:
    return VersionedSubject("action_plan", plan.id, plan.title, plan.document_id,
                            plan.document.head_number,
                            permissions.can_edit_action_plan(user, plan))


# --- forms ----------------------------------------------------------------------------------------


def priority_form(plan: ActionPlan, revision: Revision, priority_id: str | None
                  ) -> dict[str, Any]:
    """Form values for one priority of `revision` (blank for a new one)."""
    if priority_id is None:
        return {"area": "", "intended_outcome": "", "success_criteria": "",
                "evidence_links": "", "rag": "", "actions": []}
    priority = next((p for p in revision.fields.get("priorities", [])
                     if p["id"] == priority_id), None)
    if priority is None:
        raise NotFound("That priority is not in this version of the plan.")
    return {"area": priority.get("area", ""),
            "intended_outcome": priority.get("intended_outcome", ""),
            "success_criteria": priority.get("success_criteria", ""),
            "evidence_links": "\n".join(priority.get("evidence_links", [])),
            "rag": priority.get("rag", ""),
            "actions": [{"id": a["id"], "action": a.get("action", ""),
                         "lead_id": str(a.get("lead_id") or ""), "due": a.get("due", ""),
                         "status": a.get("status", "not_started")}
                        for a in priority.get("actions", [])]}


def review_form(revision: Revision) -> list[dict[str, str]]:
    return [dict(r) for r in revision.fields.get("review_points", [])]


# --- text for diffs and conflicts -----------------------------------------------------------------


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
    names = {**_names(old), **_names(new)}
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


def names_for(fields: dict[str, Any]) -> dict[int, str]:
    return _names(fields)
