"""Editing an action plan: checking what was typed, then saving one priority or the review
points on top of the revision the form started from (the engine merges a stale base)."""

from __future__ import annotations

import copy
import secrets
from typing import Any
from urllib.parse import urlsplit

from app import revisions
from app.accounts.models import User
from app.core.markdown import clean_text
from app.core.text import is_whole_number
from app.errors import NotFound, ValidationError
from app.revisions import SaveResult
from app.revisions.models import Revision
from app.timeutil import utcnow
from app.workgroups import dates
from app.workgroups.action_plans.plans import editable_plan, lead_choices
from app.workgroups.models import (
    ACTION_STATUSES,
    RAG_RATINGS,
    ActionPlan,
)

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
        saved_id: str = new_id("pr")
        priorities.append({"id": saved_id, **priority})
        default = f"Priority added: {priority['area']}."
    else:
        saved_id = priorities[index]["id"]  # equal to priority_id, which matched it
        priorities[index] = {"id": saved_id, **priority}
        default = f"Priority updated: {priority['area']}."
    return _save(user, plan, fields, base.number, summary or default), saved_id


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
