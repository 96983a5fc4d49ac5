"""Dashboard, Work Group and school pages."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from app import policy
from app.accounts import queries, services
from app.accounts.models import WG_ROLES
from app.notifications.since import changes_since_last_visit

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def dashboard():
    user = current_user._get_current_object()
    groups = services.visible_work_groups(user)
    return render_template("main/dashboard.html", groups=groups,
                           since=changes_since_last_visit(user))


@bp.get("/work-groups")
@login_required
def work_groups():
    groups = services.visible_work_groups(current_user._get_current_object())
    return render_template("main/work_groups.html", groups=groups)


@bp.get("/work-groups/<int:group_id>")
@login_required
def work_group(group_id: int):
    user = current_user._get_current_object()
    group = services.get_work_group(user, group_id)
    return render_template(
        "main/work_group.html", group=group, by_school=queries.members_by_school(group),
        can_manage=policy.can_manage_work_group(user, group), roles=WG_ROLES,
        is_member=policy.can_view_group_digest(user, group))


@bp.get("/schools/<int:school_id>")
@login_required
def school(school_id: int):
    user = current_user._get_current_object()
    school = queries.get_school(user, school_id)
    return render_template("main/school.html", school=school,
                           memberships=queries.school_memberships(user, school))
