"""Action plan pages: list, read (signed-off or draft), edit one priority, review points,
sign off, history, compare and restore. Every form works without JavaScript."""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from app.comments import services as comments
from app.errors import NotFound, RevisionConflict, ValidationError
from app.extensions import db
from app.forms import refusal, require_button
from app.planning.presenters import ConflictField, ConflictView
from app.revisions import MergeConflict, pages
from app.workgroups import action_plans
from app.workgroups.blueprint import acting_user, bp, revision_pair
from app.workgroups.forms import (
    PriorityForm,
    RemovePriorityForm,
    ReviewPointsForm,
    SignOffForm,
    StartPlanForm,
)
from app.workgroups.models import ACTION_STATUSES, RAG_RATINGS

_PRIORITY_ID_RE = re.compile(r"[a-z0-9-]{1,40}")


def _without_blank_tail(rows: list[dict[str, str]], keys: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows as typed, minus the empty row(s) at the end (the page adds its own empty row)."""
    rows = list(rows)
    while rows and not rows[-1].get("id") and not any(rows[-1].get(k, "").strip()
                                                      for k in keys):
        rows.pop()
    return rows


def _priority_id(value: str) -> str:
    if not _PRIORITY_ID_RE.fullmatch(value):
        raise NotFound()
    return value


# --- list and read ---------------------------------------------------------------------------


@bp.get("/work-groups/<int:work_group_id>/action-plans")
@login_required
def action_plans_page(work_group_id: int):
    user = acting_user()
    group, rows = action_plans.plans_page(user, work_group_id)
    return render_template("workgroups/action_plans.html", group=group, rows=rows,
                           earlier=action_plans.earlier_plans(user, group))


@bp.post("/work-groups/<int:work_group_id>/action-plans")
@login_required
def start_action_plan(work_group_id: int):
    form = StartPlanForm()
    if not form.validate():
        raise refusal(form)
    plan = action_plans.create_plan(acting_user(), work_group_id, form.school_id.data)
    flash(f"{plan.title}: add the school's first priority.", "success")
    return redirect(url_for("workgroups.action_plan", plan_id=plan.id))


def _plan_page(plan_id: int, number: int | None = None):
    user = acting_user()
    view = action_plans.plan_view(user, plan_id, request.args.get("version", ""), number)
    thread = None
    if view.showing != "old":
        thread = comments.load_thread(user, "action_plan", plan_id)
    return render_template("workgroups/action_plan.html", v=view, plan=view.plan,
                           thread=thread, statuses=ACTION_STATUSES, rags=RAG_RATINGS)


@bp.get("/action-plans/<int:plan_id>")
@login_required
def action_plan(plan_id: int):
    return _plan_page(plan_id)


@bp.get("/action-plans/<int:plan_id>/revisions/<int:number>")
@login_required
def action_plan_revision(plan_id: int, number: int):
    return _plan_page(plan_id, number)


# --- editing one priority -----------------------------------------------------------------------


def _priority_conflict(error: MergeConflict, plan, priority_id: str | None) -> ConflictView:
    """Their version of this priority beside mine (the form keeps mine)."""
    names = {**action_plans.names_for(error.head.fields), **action_plans.names_for(error.mine)}
    theirs = next((p for p in error.head.fields.get("priorities", [])
                   if p["id"] == priority_id), None)
    mine = next((p for p in error.mine.get("priorities", []) if p["id"] == priority_id), None)
    reasons = " ".join(c.reason for c in error.result.conflicts.values())
    their_text = action_plans.priority_text(theirs, names) if theirs else \
        f"(This priority was removed in revision {error.head.number}.)"
    label = f"Priority: {(mine or theirs or {}).get('area', '')} — {reasons}"
    return ConflictView([ConflictField("priority", label, their_text,
                                       action_plans.priority_text(mine, names), [])],
                        error.head)


def _priority_page(plan, data: dict[str, Any], errors: dict[str, str], base: int,
                   priority_id: str | None, conflict=None, summary: str = ""):
    status = 409 if conflict else 400 if errors else 200
    return render_template(
        "workgroups/priority_form.html", plan=plan, data=data, errors=errors, base_number=base,
        priority_id=priority_id, conflict=conflict, summary=summary,
        leads=action_plans.lead_choices(plan), statuses=ACTION_STATUSES,
        rags=RAG_RATINGS), status


def _edit_priority(plan_id: int, priority_id: str | None):
    user = acting_user()
    plan = action_plans.editable_plan(user, plan_id)
    current = action_plans.head(plan)
    if request.method == "GET":
        return _priority_page(plan, action_plans.priority_form(plan, current, priority_id), {},
                              current.number, priority_id)
    form = PriorityForm()
    data, base, summary = form.priority(), form.base_number.data, form.summary.data or ""
    shown = {**data, "actions": _without_blank_tail(data["actions"], ("action", "lead_id", "due"))}
    if not form.validate():
        return _priority_page(plan, shown, form.field_errors(), base or current.number,
                              priority_id, summary=summary)
    try:
        result, saved_id = action_plans.save_priority(user, plan_id, priority_id, data, base,
                                                      summary)
    except ValidationError as error:
        # The 400/409 page is rendered from what is stored, not from a half-done save.
        db.session.rollback()
        plan = action_plans.editable_plan(user, plan_id)
        form.add_errors(error.fields or {"form": error.message})
        return _priority_page(plan, shown, form.field_errors(), base or current.number,
                              priority_id, summary=summary)
    except MergeConflict as error:
        db.session.rollback()
        plan = action_plans.editable_plan(user, plan_id)
        # Typed text stays in the form; saving again goes on from their revision.
        return _priority_page(plan, shown, {}, error.head.number, priority_id,
                              conflict=_priority_conflict(error, plan, priority_id),
                              summary=summary)
    if result.changed:
        flash(f"Saved as revision {result.head.number}"
              + (" (merged with changes saved meanwhile)." if result.merged else "."),
              "success")
    else:
        flash("No changes to save: the priority is as it was.", "info")
    if form.action.data == "add_row":
        return redirect(url_for("workgroups.edit_priority", plan_id=plan_id,
                                priority_id=saved_id) + "#new-action")
    return redirect(url_for("workgroups.action_plan", plan_id=plan_id, version="draft")
                    + f"#priority-{saved_id}")


@bp.route("/action-plans/<int:plan_id>/priorities/new", methods=["GET", "POST"])
@login_required
def new_priority(plan_id: int):
    return _edit_priority(plan_id, None)


@bp.route("/action-plans/<int:plan_id>/priorities/<priority_id>/edit", methods=["GET", "POST"])
@login_required
def edit_priority(plan_id: int, priority_id: str):
    return _edit_priority(plan_id, _priority_id(priority_id))


@bp.post("/action-plans/<int:plan_id>/priorities/<priority_id>/remove")
@login_required
def remove_priority(plan_id: int, priority_id: str):
    user = acting_user()
    form = RemovePriorityForm()
    try:
        result = action_plans.remove_priority(user, plan_id, _priority_id(priority_id),
                                              form.base_number.data)
    except MergeConflict as error:
        raise RevisionConflict(
            f"{error.head.author.display_name} changed this priority in revision "
            f"{error.head.number} after you opened the page, so it was not removed. Look at "
            "the plan again and remove it if you still want to.") from error
    flash(f"Priority removed (revision {result.head.number}). Earlier versions keep it.",
          "success")
    return redirect(url_for("workgroups.action_plan", plan_id=plan_id, version="draft"))


# --- review points ------------------------------------------------------------------------------


@bp.route("/action-plans/<int:plan_id>/review-points", methods=["GET", "POST"])
@login_required
def edit_review_points(plan_id: int):
    user = acting_user()
    plan = action_plans.editable_plan(user, plan_id)
    current = action_plans.head(plan)
    rows, summary = action_plans.review_form(current), ""
    base: int | None = current.number
    form = ReviewPointsForm()
    conflict = None
    if request.method == "POST":
        rows, base, summary = form.rows(), form.base_number.data, form.summary.data or ""
        try:
            if not form.validate():
                raise refusal(form)
            result = action_plans.save_review_points(user, plan_id, rows, base, summary)
        except ValidationError as error:
            # The 400/409 page is rendered from what is stored, not from a half-done save.
            db.session.rollback()
            form.add_errors(error.fields or {"form": error.message})
            rows = _without_blank_tail(rows, ("date", "note"))
        except MergeConflict as error:
            db.session.rollback()
            rows = _without_blank_tail(rows, ("date", "note"))
            theirs = action_plans.review_text(error.head.fields.get("review_points", []))
            mine = action_plans.review_text(error.mine.get("review_points", []))
            conflict = ConflictView([ConflictField("review_points", "Review points", theirs,
                                                   mine, [])], error.head)
            base = error.head.number
        else:
            flash(f"Review points saved (revision {result.head.number})." if result.changed
                  else "No changes to save.", "success" if result.changed else "info")
            return redirect(url_for("workgroups.action_plan", plan_id=plan_id,
                                    version="draft") + "#review-points")
        plan = action_plans.editable_plan(user, plan_id)
    errors = form.field_errors()
    status = 409 if conflict else 400 if errors else 200
    return render_template("workgroups/review_points_form.html", plan=plan, rows=rows,
                           errors=errors, base_number=base or current.number,
                           conflict=conflict, summary=summary), status


# --- sign-off, history, restore ---------------------------------------------------------------


@bp.post("/action-plans/<int:plan_id>/sign-off")
@login_required
def sign_off_action_plan(plan_id: int):
    form = SignOffForm()
    if not form.validate():
        raise refusal(form)
    record = action_plans.sign_off(acting_user(), plan_id, form.number.data)
    flash(f"Revision {record.revision_number} is signed off. Later edits make a new draft; "
          "the signed-off version stays as it is.", "success")
    return redirect(url_for("workgroups.action_plan", plan_id=plan_id))


@bp.get("/action-plans/<int:plan_id>/history")
@login_required
def action_plan_history(plan_id: int):
    user = acting_user()
    plan = action_plans.get_plan(user, plan_id)
    page = pages.history_page(action_plans.subject(user, plan))
    signed = {s.revision_number: s for s in plan.sign_offs}
    return render_template("revisions/history.html", page=page, subject=page.subject,
                           signed=signed)


@bp.get("/action-plans/<int:plan_id>/compare")
@login_required
def action_plan_compare(plan_id: int):
    user = acting_user()
    a, b = revision_pair()
    plan = action_plans.get_plan(user, plan_id)
    comparison = pages.compare(action_plans.subject(user, plan), a, b, action_plans.display)
    view = pages.comparison_view(request.args.get("view"))
    return render_template("revisions/compare.html", c=comparison, subject=comparison.subject,
                           view=view)


@bp.post("/action-plans/<int:plan_id>/revisions/<int:number>/restore")
@login_required
def action_plan_restore(plan_id: int, number: int):
    require_button()
    result = action_plans.restore(acting_user(), plan_id, number)
    if result.changed:
        flash(f"Revision {number} restored as draft revision {result.head.number}.", "success")
    else:
        flash(f"Revision {number} is the same as the latest draft: nothing to restore.", "info")
    return redirect(url_for("workgroups.action_plan", plan_id=plan_id, version="draft"))
