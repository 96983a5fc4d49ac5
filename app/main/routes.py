"""Dashboard, Work Group and school pages."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from app import policy
from app.accounts import queries, services
from app.accounts.models import WG_ROLES
from app.main import group_home, my_work
from app.notifications.since import changes_since_last_visit

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def dashboard():
    user = current_user._get_current_object()
    work = my_work.my_work(user)
    return render_template("main/dashboard.html", groups=work.groups, work=work,
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
    home = group_home.group_home(user, group, group_home.PlanFilters.parse(request.args))
    return render_template(
        "main/work_group.html", group=group, home=home, plans=home.plans,
        by_school=queries.members_by_school(group), states=group_home.STATES,
        can_manage=policy.can_manage_work_group(user, group), roles=WG_ROLES,
        is_member=home.is_member)


@bp.get("/work-groups/<int:group_id>/plans")
@login_required
def work_group_plans(group_id: int):
    user = current_user._get_current_object()
    group = services.get_work_group(user, group_id)
    plans = group_home.plan_list(user, group, group_home.PlanFilters.parse(request.args))
    return render_template("main/work_group_plans.html", group=group, plans=plans)


@bp.get("/schools/<int:school_id>")
@login_required
def school(school_id: int):
    user = current_user._get_current_object()
    school = queries.get_school(user, school_id)
    return render_template("main/school.html", school=school,
                           memberships=queries.school_memberships(user, school))
