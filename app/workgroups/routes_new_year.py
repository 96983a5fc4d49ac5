"""The "Start the next year" page of a Work Group (its Lead and the hub's admins)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app.errors import ValidationError
from app.extensions import db
from app.workgroups import new_year
from app.workgroups.blueprint import acting_user, bp
from app.workgroups.forms import NewYearForm


@bp.route("/work-groups/<int:work_group_id>/new-year", methods=["GET", "POST"])
@login_required
def new_year_page(work_group_id: int) -> ResponseReturnValue:
    user = acting_user()
    page = new_year.new_year_page(user, work_group_id)
    form = NewYearForm()
    chosen: dict[int, str] = {s.id: "carry" for s in page.sequences}
    confirmed = {row.membership.user_id for row in page.members}
    if request.method == "POST":
        chosen, confirmed = form.choices(), form.confirmed()
        try:
            result = new_year.start_new_year(user, work_group_id, chosen, confirmed,
                                             from_year=request.form.get("from_year") or None)
        except ValidationError as error:
            db.session.rollback()
            form.add_errors(error.fields or {"form": error.message})
            page = new_year.new_year_page(user, work_group_id)
        else:
            flash(f"{page.group.project_code} is now in {result.year}: "
                  f"{len(result.carried)} sequence(s) carried forward, "
                  f"{len(result.archived)} archived, {len(result.removed)} member(s) removed. "
                  f"Last year's sessions and records are kept under {page.current}.", "success")
            return redirect(url_for("workgroups.sessions_page", work_group_id=work_group_id))
    errors = form.field_errors()
    return render_template("workgroups/new_year.html", page=page, group=page.group,
                           choices=new_year.CHOICES, chosen=chosen, confirmed=confirmed,
                           errors=errors), 400 if errors else 200
