"""Comment pages and actions under /comments: thread, post, reply, edit, history, resolve."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request
from flask_login import current_user, login_required

from app.accounts.models import User
from app.comments import services
from app.errors import ValidationError
from app.extensions import db
from app.forms import form_int, form_text, safe_next

bp = Blueprint("comments", __name__, url_prefix="/comments")


def _user() -> User:
    return current_user._get_current_object()


def _back(fallback: str, comment_id: int | None = None):
    """Back to the page the form was on (same-site paths only), at the comment."""
    target = safe_next(request.form.get("next")) or fallback
    return redirect(target + (f"#comment-{comment_id}" if comment_id else ""), code=303)


@bp.get("/<kind>/<int:target_id>")
@login_required
def thread(kind: str, target_id: int):
    page = services.load_thread(_user(), kind, target_id)
    return render_template("comments/thread.html", thread=page, errors={}, data={})


@bp.post("/<kind>/<int:target_id>")
@login_required
def add(kind: str, target_id: int):
    user = _user()
    data = {"body": form_text("body"), "anchor": form_text("anchor", 60),
            "parent_id": form_int("parent_id")}
    try:
        comment = services.add_comment(user, kind, target_id, data["body"], data["anchor"],
                                       data["parent_id"])
    except ValidationError as error:
        db.session.rollback()
        page = services.load_thread(user, kind, target_id)
        # Show a failed reply in its thread's reply box, or in the main box if it has none.
        data["parent_id"] = page.thread_of(data["parent_id"])
        errors = error.fields or {"body": error.message}
        if data["parent_id"] and "body" in errors:
            errors[f"reply-{data['parent_id']}"] = errors.pop("body")
        return render_template("comments/thread.html", thread=page, errors=errors,
                               data=data), 400
    db.session.commit()
    flash("Reply posted." if comment.parent_id else "Comment posted.", "success")
    return _back(services.target_for(user, kind, target_id).url(target_id), comment.id)


@bp.route("/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(comment_id: int):
    user = _user()
    comment, target = services.editable_comment(user, comment_id)
    errors: dict[str, str] = {}
    body = comment.body
    if request.method == "POST":
        body = form_text("body")
        try:
            services.edit_comment(user, comment_id, body)
        except ValidationError as error:
            db.session.rollback()
            errors = error.fields or {"body": error.message}
        else:
            db.session.commit()
            flash("Comment updated. The earlier version is kept in its history.", "success")
            return _back(target.url(comment.target_id), comment_id)
    return render_template("comments/edit.html", comment=comment, body=body, errors=errors,
                           target_title=target.title(comment.target_id),
                           target_url=target.url(comment.target_id),
                           next=safe_next(request.values.get("next")) or ""), (
        400 if errors else 200)


@bp.get("/<int:comment_id>/history")
@login_required
def history(comment_id: int):
    user = _user()
    comment, target, versions = services.comment_history(user, comment_id)
    return render_template("comments/history.html", comment=comment, versions=versions,
                           target_title=target.title(comment.target_id),
                           target_url=target.url(comment.target_id))


@bp.post("/<int:comment_id>/resolve")
@login_required
def resolve(comment_id: int):
    comment = services.set_resolved(_user(), comment_id, True)
    return _done(comment.id, "Thread resolved.")


@bp.post("/<int:comment_id>/unresolve")
@login_required
def unresolve(comment_id: int):
    comment = services.set_resolved(_user(), comment_id, False)
    return _done(comment.id, "Thread reopened.")


@bp.post("/<int:comment_id>/delete")
@login_required
def delete(comment_id: int):
    comment = services.delete_comment(_user(), comment_id)
    return _done(comment.id, "Comment removed. Replies stay, under “comment removed”.")


def _done(comment_id: int, message: str):
    db.session.commit()
    flash(message, "success")
    comment, target = services.get_comment(_user(), comment_id)
    return _back(target.url(comment.target_id), comment_id)
