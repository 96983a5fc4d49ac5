"""The lesson editor's helpers: live preview, presence heartbeats, and duplicating a lesson."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from app.accounts.models import User
from app.core.markdown import render_markdown
from app.errors import ValidationError
from app.extensions import db
from app.forms import refusal
from app.planning import duplicate, presence, services
from app.planning.blueprint import bp
from app.planning.fields import MAX_FIELD_CHARS
from app.planning.forms import MoveToForm
from app.timeutil import utcnow


def _user() -> User:
    return current_user._get_current_object()


@bp.post("/preview")
@login_required
def preview() -> ResponseReturnValue:
    """One field's Markdown rendered by the same sanitising renderer a save uses, for the
    editor's live preview (the form's Preview button does the same without JavaScript)."""
    text = request.form.get("text", "")[:MAX_FIELD_CHARS]
    html = str(render_markdown(text)) if text.strip() else ""
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/lessons/<int:lesson_id>/presence")
@login_required
def lesson_presence(lesson_id: int) -> ResponseReturnValue:
    """A heartbeat from an open editor; answers who else is editing, for its notice."""
    user = _user()
    item = services.editable_lesson(user, lesson_id)
    now = utcnow()
    presence.beat(user.id, item.document_id, now)
    return jsonify(others=presence.others_editing(item.document_id, user.id, now))


@bp.post("/lessons/<int:lesson_id>/presence/leave")
@login_required
def lesson_presence_leave(lesson_id: int) -> ResponseReturnValue:
    """The editor was closed (navigator.sendBeacon on pagehide)."""
    user = _user()
    item = services.editable_lesson(user, lesson_id)
    presence.leave(user.id, item.document_id)
    return Response(status=204)


@bp.get("/lessons/<int:lesson_id>/duplicate")
@login_required
def duplicate_lesson_page(lesson_id: int) -> ResponseReturnValue:
    """Choose where a copy of the lesson goes: this sequence or another one I may edit."""
    user = _user()
    item = services.get_lesson(user, lesson_id)
    query = request.args.get("q", "").strip()[:200]
    return render_template("planning/duplicate.html", lesson=item,
                           choice=duplicate.duplicate_targets(user, item, query))


def into_chosen_sequence(act: Callable[[int], ResponseReturnValue],
                         back: str) -> ResponseReturnValue:
    """A lesson sent to the sequence chosen on a Move-to or Duplicate page: `act(sequence id)`
    does it and answers; a refusal (no choice, a sequence she may not edit) is flashed on
    `back`, with nothing the call did kept."""
    form = MoveToForm()
    try:
        if not form.validate() or form.target_id.data is None:
            raise refusal(form)
        return act(form.target_id.data)
    except ValidationError as error:
        db.session.rollback()  # the redirect below would commit what the call did
        flash(" ".join(error.fields.values()) or error.message, "error")
        return redirect(back), 303


@bp.post("/lessons/<int:lesson_id>/duplicate")
@login_required
def duplicate_lesson(lesson_id: int) -> ResponseReturnValue:
    def copy_into(target_id: int) -> ResponseReturnValue:
        copy = duplicate.duplicate_lesson(_user(), lesson_id, target_id)
        flash(f"Copied as lesson {copy.position} of “{copy.sequence.title}”. This is the copy.",
              "success")
        return redirect(url_for("planning.lesson", lesson_id=copy.id))

    return into_chosen_sequence(
        copy_into, url_for("planning.duplicate_lesson_page", lesson_id=lesson_id))
