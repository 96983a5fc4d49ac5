"""The Work Group Lead's overview, as a page and as CSV."""

from __future__ import annotations

from flask import Response, render_template
from flask_login import login_required

from app.workgroups import overview
from app.workgroups.blueprint import acting_user, bp


@bp.get("/work-groups/<int:work_group_id>/overview")
@login_required
def overview_page(work_group_id: int):
    data = overview.overview(acting_user(), work_group_id)
    return render_template("workgroups/overview.html", o=data, group=data.group)


@bp.get("/work-groups/<int:work_group_id>/overview.csv")
@login_required
def overview_csv(work_group_id: int) -> Response:
    data = overview.overview(acting_user(), work_group_id)
    response = Response(overview.overview_csv(data).encode("utf-8"),
                        content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="{overview.csv_filename(data.group)}"'
    return response
