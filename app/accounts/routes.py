"""Login, logout, my account, invitations and password resets."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from app.accounts import services
from app.accounts import start_here as welcome
from app.accounts.forms import ChangePasswordForm, InvitationForm, LoginForm, ResetPasswordForm
from app.errors import ValidationError
from app.extensions import limiter, login_manager
from app.forms import EmptyForm, require_button, safe_next

bp = Blueprint("accounts", __name__)

LOGIN_FAILED = "The e-mail or password is not right. Check both and try again."


@login_manager.user_loader
def load_user(value: str):
    return services.load_user_from_cookie(value)


def _failed_login(response) -> bool:
    """Only failed attempts count towards the login limit."""
    return response.status_code == 401


def _start_session(user) -> None:
    # A fresh session at login stops a planted cookie from being carried into it.
    session.clear()
    login_user(user)


def _login_account_key() -> str:
    """Failures per account too, so many addresses cannot share out the guesses."""
    return "login-account:" + request.form.get("email", "").strip().lower()[:254]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT"], methods=["POST"],
               deduct_when=_failed_login)
@limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_LIMIT"], methods=["POST"],
               key_func=_login_account_key, deduct_when=_failed_login)
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("main.dashboard"))
    error = None
    form = LoginForm()
    if form.is_submitted():
        password = form.password.data or ""
        user = services.authenticate(form.email.data or "", password) if form.validate() else None
        if user is not None:
            _start_session(user)
            return redirect(safe_next(request.args.get("next")) or url_for("main.dashboard"))
        error = (LOGIN_FAILED if len(password) <= services.MAX_PASSWORD else
                 f"Passwords are at most {services.MAX_PASSWORD:,} characters, so this one "
                 "cannot be right. Check it and try again.")
    status = 401 if error else 200
    return render_template("accounts/login.html", error=error,
                           email=(form.email.data or "")[:254]), status


@bp.post("/logout")
def logout():
    require_button()
    if current_user.is_authenticated:
        services.rotate_session_token(current_user._get_current_object())
    logout_user()
    session.clear()
    # Text kept in this browser for unsaved plans goes too: school computers are shared.
    session["saved_drafts"] = ["*"]
    flash("You have logged out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user._get_current_object(),
                                     form.current_password.data or "",
                                     form.new_password.data or "", form.confirm.data or "")
        except ValidationError as error:
            form.add_errors(error.fields)
        else:
            # Other sessions ended with the token change; keep this one signed in.
            _start_session(current_user._get_current_object())
            flash("Your password has been changed. Other devices have been logged out.",
                  "success")
            return redirect(url_for("accounts.account"))
    errors = form.field_errors()
    return render_template("accounts/account.html", errors=errors), 400 if errors else 200


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = services.find_invitation(token)
    user = current_user._get_current_object() if current_user.is_authenticated else None
    # Someone signed in joins as themselves with the button alone.
    form = EmptyForm() if user is not None else InvitationForm()
    if isinstance(form, InvitationForm) and invitation.email:
        del form.email  # the invitation names the address; the page does not ask for it
    if form.validate_on_submit():
        try:
            joined = services.accept_invitation(token, user, form.data)
        except ValidationError as error:
            form.add_errors(error.fields or {"form": error.message})
        else:
            if user is None:
                _start_session(joined)
            flash(f"Welcome to {invitation.work_group.title}.", "success")
            return redirect(url_for("accounts.start_here", group_id=invitation.work_group_id))
    errors = form.field_errors()
    data = form.data
    if not form.is_submitted() and invitation.name:
        data["display_name"] = invitation.name  # as the inviter wrote it; theirs to change
    return render_template("accounts/invitation.html", invitation=invitation, errors=errors,
                           data=data), 400 if errors else 200


@bp.get("/work-groups/<int:group_id>/start")
@login_required
def start_here(group_id: int):
    """Where a newcomer lands after joining: the group, its next session and first steps."""
    page = welcome.start_here(current_user._get_current_object(), group_id)
    return render_template("accounts/start_here.html", p=page)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    reset = services.find_reset(token)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            # default="" and a POST never send None; `or ""` only narrows WTForms' str | None.
            services.use_reset(token, form.password.data or "", form.confirm.data or "")
        except ValidationError as error:
            form.add_errors(error.fields)
        else:
            logout_user()
            session.clear()
            flash("Your password has been set. Log in with it now.", "success")
            return redirect(url_for("accounts.login"))
    errors = form.field_errors()
    return render_template("accounts/reset.html", reset=reset, errors=errors), (
        400 if errors else 200)


@bp.get("/session")
def session_status():
    """Whether this browser is still signed in, and a fresh form token if it is.

    Edit pages ask before they submit, so a teacher whose session ended can sign in again in
    another tab and then save, without leaving the page or losing what they typed.
    """
    if not current_user.is_authenticated:
        response = jsonify(signed_in=False, login_url=url_for(
            "accounts.login", next=url_for("accounts.signed_in_again")))
    else:
        response = jsonify(signed_in=True, user=current_user.id,
                           csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/session/signed-in")
@login_required
def signed_in_again():
    """Where the sign-in tab opened from an edit page lands."""
    return render_template("accounts/signed_in_again.html")
