"""Admin pages: hubs, schools, Work Groups, people, memberships, invitations, audit."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app import policy
from app.accounts import services
from app.accounts.models import (
    PHASES,
    PROGRAMME_STAGES,
    WG_ROLES,
    AuditEvent,
    Hub,
    School,
    User,
    WorkGroup,
)
from app.admin.forms import (
    AddMemberForm,
    HubForm,
    InviteForm,
    SchoolForm,
    UpdateMemberForm,
    UserActionForm,
    WorkGroupForm,
)
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.forms import require_button
from app.mail import mail_configured, send_mail
from app.timeutil import aware, utcnow

bp = Blueprint("admin", __name__)


def _actor() -> User:
    return current_user._get_current_object()


def _require_admin() -> User:
    user = _actor()
    if not policy.can_see_admin(user):
        abort(403)
    return user


def _managed_group(group_id: int) -> WorkGroup:
    group = db.session.get(WorkGroup, group_id)
    if group is None or not policy.can_view_work_group(_actor(), group):
        raise NotFound()
    if not policy.can_manage_work_group(_actor(), group):
        abort(403)
    return group


@bp.get("/")
@login_required
def index():
    user = _require_admin()
    hubs = list(db.session.scalars(select(Hub).order_by(Hub.name)))
    groups = services.visible_work_groups(user)
    schools = list(db.session.scalars(select(School).order_by(School.name)))
    if not user.is_site_admin:
        hubs = [h for h in hubs if h.id == user.admin_hub_id]
        schools = [s for s in schools if s.hub_id in (None, user.admin_hub_id)]
    users = [u for u in db.session.scalars(select(User).order_by(User.display_name))
             if policy.can_manage_user(user, u)]
    return render_template("admin/index.html", hubs=hubs, groups=groups, schools=schools,
                           users=users, can_manage_hubs=policy.can_manage_hubs(user))


@bp.post("/hubs")
@login_required
def create_hub():
    user = _require_admin()
    form = HubForm()
    try:
        if not form.validate_on_submit():
            raise ValidationError(fields=form.field_errors())
        hub = services.save_hub(user, form.name.data or "", form.region.data or "")
    except ValidationError as error:
        db.session.rollback()  # the redirect below would commit what the call did
        flash(error.fields.get("name", error.message), "error")
        return redirect(url_for("admin.index")), 303
    flash(f"Hub {hub.name} created.", "success")
    return redirect(url_for("admin.index"))


@bp.route("/schools/new", methods=["GET", "POST"], defaults={"school_id": None})
@bp.route("/schools/<int:school_id>/edit", methods=["GET", "POST"])
@login_required
def edit_school(school_id: int | None):
    user = _require_admin()
    school = db.session.get(School, school_id) if school_id else None
    if school_id and school is None:
        raise NotFound()
    form = SchoolForm() if request.method == "POST" or school is None else SchoolForm(
        data={"name": school.name, "phase": school.phase, "urn": school.urn or ""})
    if form.validate_on_submit():
        try:
            saved = services.save_school(user, form.data, school)
        except ValidationError as error:
            form.add_errors(error.fields)
        else:
            flash(f"{saved.name} saved.", "success")
            return redirect(url_for("main.school", school_id=saved.id))
    errors = form.field_errors()
    return render_template("admin/school_form.html", school=school, data=form.data,
                           errors=errors, phases=PHASES), 400 if errors else 200


@bp.route("/work-groups/new", methods=["GET", "POST"], defaults={"group_id": None})
@bp.route("/work-groups/<int:group_id>/edit", methods=["GET", "POST"])
@login_required
def edit_work_group(group_id: int | None):
    user = _actor()
    group = _managed_group(group_id) if group_id else None
    if group is None:
        _require_admin()
    # A POST is read as sent (a missing field is empty); the saved values fill a GET.
    form = WorkGroupForm() if request.method == "POST" else WorkGroupForm(
        obj=group, school_ids=[s.id for s in group.schools] if group else [])
    if form.validate_on_submit():
        try:
            saved = services.save_work_group(user, form.service_data(), group,
                                             form.school_ids.data)
        except ValidationError as error:
            form.add_errors(error.fields)
        else:
            flash(f"{saved.label} saved.", "success")
            return redirect(url_for("main.work_group", group_id=saved.id))
    hubs = [h for h in db.session.scalars(select(Hub).order_by(Hub.name))
            if policy.can_create_work_group(user, h.id) or (group and group.hub_id == h.id)]
    schools = list(db.session.scalars(select(School).order_by(School.name)))
    errors = form.field_errors()
    return render_template("admin/work_group_form.html", group=group, data=form.data,
                           errors=errors, hubs=hubs, schools=schools,
                           chosen=form.school_ids.data, stages=PROGRAMME_STAGES,
                           phases=PHASES), 400 if errors else 200


@bp.route("/work-groups/<int:group_id>/members", methods=["GET", "POST"])
@login_required
def members(group_id: int):
    group = _managed_group(group_id)
    form = AddMemberForm(school_ids={s.id for s in group.schools})
    if form.validate_on_submit():
        email = services.normalise_email(form.email.data or "")
        target = db.session.scalar(select(User).where(User.email == email))
        try:
            if target is None:
                raise ValidationError(fields={"email": "No account uses this e-mail. "
                                                        "Send an invitation instead."})
            services.set_membership(_actor(), group, target, form.roles.data,
                                    form.school_id.data)
        except ValidationError as error:
            form.add_errors(error.fields)
        else:
            flash(f"{target.display_name} is now a member with the chosen roles.", "success")
            return redirect(url_for("admin.members", group_id=group.id))
    errors = form.field_errors()
    return render_template("admin/members.html", group=group, errors=errors, roles=WG_ROLES,
                           form=form), 400 if errors else 200


@bp.post("/work-groups/<int:group_id>/members/<int:user_id>")
@login_required
def update_member(group_id: int, user_id: int):
    group = _managed_group(group_id)
    target = db.session.get(User, user_id)
    if target is None or policy.membership(target, group.id) is None:
        raise NotFound()
    form = UpdateMemberForm(school_ids={s.id for s in group.schools})
    if not form.validate_on_submit():
        flash(next(iter(form.field_errors().values())), "error")
        return redirect(url_for("admin.members", group_id=group.id)), 303
    if form.action.data == "remove":
        services.remove_membership(_actor(), group, target)
        message = f"{target.display_name} removed from the Work Group."
    else:
        try:
            services.set_membership(_actor(), group, target, form.roles.data,
                                    form.school_id.data)
        except ValidationError as error:
            db.session.rollback()  # the redirect below would commit what the call did
            flash(next(iter(error.fields.values()), error.message), "error")
            return redirect(url_for("admin.members", group_id=group.id)), 303
        message = f"{target.display_name}'s roles updated."
    flash(message, "success")
    return redirect(url_for("admin.members", group_id=group.id))


def _mail_invitation(group: WorkGroup, email: str, link: str) -> bool:
    """E-mail the link when mail is configured and the invitation names an address."""
    if not email or not mail_configured():
        return False
    return send_mail(email, f"Invitation to {group.title} on Coplan",
                     f"{_actor().display_name} invites you to join {group.label} "
                     f"on Coplan.\n\nOpen this link to join: {link}\n")


def _invite_page(group: WorkGroup, form: InviteForm, link: str | None = None,
                 mailed: bool = False, link_for: str = ""):
    errors = form.field_errors()
    now = utcnow()
    return render_template("admin/invite.html", group=group, errors=errors, roles=WG_ROLES,
                           link=link, mailed=mailed, link_for=link_for, form=form,
                           chosen=[] if link else form.chosen_roles(),
                           pending=[(i, aware(i.expires_at) < now)
                                    for i in services.pending_invitations(_actor(), group)],
                           days=current_app.config["INVITATION_DAYS"]), 400 if errors else 200


@bp.route("/work-groups/<int:group_id>/invite", methods=["GET", "POST"])
@login_required
def invite(group_id: int):
    group = _managed_group(group_id)
    form = InviteForm(school_ids={s.id for s in group.schools})
    if form.validate_on_submit():
        try:
            issued = services.invite(_actor(), group, form.chosen_roles(), form.school_id.data,
                                     form.email.data or "", current_app.config["INVITATION_DAYS"],
                                     name=form.name.data or "")
        except ValidationError as error:
            form.add_errors(error.fields)
        else:
            link = url_for("accounts.accept_invitation", token=issued.token, _external=True)
            email = services.normalise_email(form.email.data or "")
            return _invite_page(group, InviteForm(formdata=None), link,
                                _mail_invitation(group, email, link),
                                form.name.data or email)
    return _invite_page(group, form)


@bp.post("/work-groups/<int:group_id>/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(group_id: int, invitation_id: int):
    require_button()
    group = _managed_group(group_id)
    invitation = services.revoke_invitation(_actor(), group, invitation_id)
    flash(f"The invitation for {invitation.name or invitation.email or 'someone'} was "
          "withdrawn: its link no longer works.", "success")
    return redirect(url_for("admin.invite", group_id=group.id) + "#pending-heading")


@bp.post("/work-groups/<int:group_id>/invitations/<int:invitation_id>/resend")
@login_required
def resend_invitation(group_id: int, invitation_id: int):
    require_button()
    group = _managed_group(group_id)
    invitation, issued = services.resend_invitation(
        _actor(), group, invitation_id, current_app.config["INVITATION_DAYS"])
    link = url_for("accounts.accept_invitation", token=issued.token, _external=True)
    # The new link is shown on this response only: just its hash is kept.
    return _invite_page(group, InviteForm(formdata=None), link,
                        _mail_invitation(group, invitation.email, link),
                        invitation.name or invitation.email)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user_detail(user_id: int):
    actor = _require_admin()
    target = db.session.get(User, user_id)
    if target is None or not policy.can_manage_user(actor, target):
        raise NotFound()
    link = None
    form = UserActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        action = form.action.data
        if action == "reset":
            issued = services.issue_password_reset(actor, target,
                                                   current_app.config["RESET_HOURS"])
            link = url_for("accounts.reset_password", token=issued.token, _external=True)
            flash("One-time password-reset link created. Give it to the person directly.",
                  "success")
        else:
            try:
                services.set_disabled(actor, target, action == "disable")
            except ValidationError as error:
                db.session.rollback()  # the redirect below would commit what the call did
                flash(error.message, "error")
                return redirect(url_for("admin.user_detail", user_id=user_id)), 303
            flash(f"{target.display_name} {'disabled' if action == 'disable' else 're-enabled'}.",
                  "success")
        if link is None:
            return redirect(url_for("admin.user_detail", user_id=user_id))
    return render_template("admin/user.html", target=target, link=link,
                           hours=current_app.config["RESET_HOURS"])


@bp.get("/audit")
@login_required
def audit_log():
    user = _require_admin()
    query = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if not user.is_site_admin:
        group_ids = [g.id for g in services.visible_work_groups(user)]
        query = query.where(AuditEvent.work_group_id.in_(group_ids))
    events = list(db.session.scalars(query.limit(500)))
    return render_template("admin/audit.html", events=events)
