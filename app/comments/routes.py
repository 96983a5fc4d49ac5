"""Comment pages and actions under /comments: thread, post, reply, edit, history, resolve."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request
from flask_login import current_user, login_required

from app.accounts.models import User
from app.comments import services
from app.comments.forms import CommentForm, EditCommentForm
from app.errors import Forbidden, ValidationError
from app.files import pictures
from app.files.picture_forms import add_to_text, picture_requested
from app.forms import require_button, safe_next

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
    form = CommentForm()
    if picture_requested():
        # "Add picture" without JavaScript: the comment comes back with the picture's Markdown
        # added to what was typed; nothing is posted yet.
        typed = {"body": form.body.data or "", "anchor": form.anchor.data or ""}
        refused = add_to_text(user, pictures.COMMENT_CONTEXTS.get(kind, ""), target_id, typed,
                              ["body"])
        return render_template("comments/thread.html", errors=refused, data=typed,
                               thread=services.load_thread(user, kind, target_id)), (
            400 if refused else 200)
    if form.validate_on_submit():
        try:
            comment = services.add_comment(user, kind, target_id, form.body.data or "",
                                           form.anchor.data or "", form.parent_id.data)
        except ValidationError as error:
            form.add_errors(error.fields or {"body": error.message})
        else:
            flash("Reply posted." if comment.parent_id else "Comment posted.", "success")
            return _back(services.target_for(user, kind, target_id).url(target_id), comment.id)
    page = services.load_thread(user, kind, target_id)
    if not page.can_comment:
        # Who may comment is decided before what they wrote, as the service does.
        raise Forbidden("Only members of the Work Group can comment here.")
    # Show a failed reply in its thread's reply box, or in the main box if it has none.
    data = {"body": form.body.data, "parent_id": page.thread_of(form.parent_id.data)}
    errors = form.field_errors()
    if data["parent_id"] and "body" in errors:
        errors[f"reply-{data['parent_id']}"] = errors.pop("body")
    return render_template("comments/thread.html", thread=page, errors=errors, data=data), 400


@bp.route("/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(comment_id: int):
    user = _user()
    comment, target = services.editable_comment(user, comment_id)
    form = EditCommentForm() if request.method == "POST" else EditCommentForm(
        data={"body": comment.body})
    if picture_requested():
        # "Add picture" without JavaScript: the edit comes back with the picture's Markdown.
        typed = {"body": form.body.data or ""}
        form.add_errors(add_to_text(user, pictures.COMMENT_CONTEXTS.get(comment.target_type, ""),
                                    comment.target_id, typed, ["body"]))
        form.body.data = typed["body"]
    elif form.validate_on_submit():
        try:
            services.edit_comment(user, comment_id, form.body.data or "")
        except ValidationError as error:
            form.add_errors(error.fields or {"body": error.message})
        else:
            flash("Comment updated. The earlier version is kept in its history.", "success")
            return _back(target.url(comment.target_id), comment_id)
    errors = form.field_errors()
    return render_template("comments/edit.html", comment=comment, body=form.body.data,
                           errors=errors,
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
    require_button()
    comment = services.set_resolved(_user(), comment_id, True)
    return _done(comment.id, "Thread resolved.")


@bp.post("/<int:comment_id>/unresolve")
@login_required
def unresolve(comment_id: int):
    require_button()
    comment = services.set_resolved(_user(), comment_id, False)
    return _done(comment.id, "Thread reopened.")


@bp.post("/<int:comment_id>/delete")
@login_required
def delete(comment_id: int):
    require_button()
    comment = services.delete_comment(_user(), comment_id)
    return _done(comment.id, "Comment removed. Replies stay, under “comment removed”.")


def _done(comment_id: int, message: str):
    flash(message, "success")
    comment, target = services.get_comment(_user(), comment_id)
    return _back(target.url(comment.target_id), comment_id)
