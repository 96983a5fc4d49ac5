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
from app.errors import ValidationError
from app.extensions import db, limiter, login_manager
from app.forms import form_data, form_text, safe_next

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
    email = ""
    if request.method == "POST":
        email = form_text("email", 254)
        password = request.form.get("password", "")
        user = services.authenticate(email, password)
        if user is not None:
            _start_session(user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("main.dashboard"))
        error = (LOGIN_FAILED if len(password) <= services.MAX_PASSWORD else
                 f"Passwords are at most {services.MAX_PASSWORD:,} characters, so this one "
                 "cannot be right. Check it and try again.")
    status = 401 if error else 200
    return render_template("accounts/login.html", error=error, email=email), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        services.rotate_session_token(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()
    # Text kept in this browser for unsaved plans goes too: school computers are shared.
    session["saved_drafts"] = ["*"]
    flash("You have logged out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.change_password(current_user._get_current_object(),
                                     request.form.get("current_password", ""),
                                     request.form.get("new_password", ""),
                                     request.form.get("confirm", ""))
        except ValidationError as error:
            errors = error.fields
        else:
            # Other sessions ended with the token change; keep this one signed in.
            _start_session(current_user._get_current_object())
            db.session.commit()
            flash("Your password has been changed. Other devices have been logged out.",
                  "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/account.html", errors=errors), 400 if errors else 200


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = services.find_invitation(token)
    errors: dict[str, str] = {}
    data = form_data("display_name", "email", "job_title")
    if request.method == "POST":
        user = current_user._get_current_object() if current_user.is_authenticated else None
        try:
            joined = services.accept_invitation(token, user, {
                **data, "password": request.form.get("password", ""),
                "confirm": request.form.get("confirm", "")})
        except ValidationError as error:
            db.session.rollback()
            errors = error.fields or {"form": error.message}
        else:
            db.session.commit()
            if user is None:
                _start_session(joined)
            flash(f"Welcome to {invitation.work_group.title}.", "success")
            return redirect(url_for("main.work_group", group_id=invitation.work_group_id))
    return render_template("accounts/invitation.html", invitation=invitation, errors=errors,
                           data=data), 400 if errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    reset = services.find_reset(token)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.use_reset(token, request.form.get("password", ""),
                               request.form.get("confirm", ""))
        except ValidationError as error:
            db.session.rollback()
            errors = error.fields
        else:
            db.session.commit()
            logout_user()
            session.clear()
            flash("Your password has been set. Log in with it now.", "success")
            return redirect(url_for("accounts.login"))
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
