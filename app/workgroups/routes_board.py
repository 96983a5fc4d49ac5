"""The Work Group's discussion board: thread list, new thread, one thread."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from app.errors import ValidationError
from app.extensions import db
from app.files.picture_forms import add_to_text, picture_requested
from app.workgroups import board as boards
from app.workgroups.blueprint import acting_user, bp
from app.workgroups.forms import ThreadForm
from app.workgroups.models import BOARD_CATEGORIES

SHOW = {"open": "Open threads", "resolved": "Resolved threads", "all": "All threads"}


def _board_page(work_group_id: int, errors: dict[str, str], data: dict[str, str]):
    category = request.args.get("category", "")
    category = category if category in BOARD_CATEGORIES else ""
    show = request.args.get("show", "open")
    show = show if show in SHOW else "open"
    group, threads = boards.list_threads(acting_user(), work_group_id, category, show)
    return render_template("workgroups/board.html", group=group, threads=threads,
                           categories=BOARD_CATEGORIES, category=category, show=show,
                           shows=SHOW, errors=errors, data=data), 400 if errors else 200


@bp.get("/work-groups/<int:work_group_id>/board")
@login_required
def board(work_group_id: int):
    return _board_page(work_group_id, {}, {"category": "question"})


@bp.post("/work-groups/<int:work_group_id>/board")
@login_required
def new_thread(work_group_id: int):
    form = ThreadForm()
    data = form.thread()
    if picture_requested():
        # "Add picture" without JavaScript: the board comes back with the picture's Markdown
        # added to the message typed; nothing is posted yet.
        return _board_page(work_group_id,
                           add_to_text(acting_user(), "board", work_group_id, data, ["body"]),
                           data)
    try:
        thread = boards.create_thread(acting_user(), work_group_id, data["title"],
                                     data["category"], data["body"])
    except ValidationError as error:
        # The board is drawn again: drop the first comment the call had already flushed.
        db.session.rollback()
        form.add_errors(error.fields or {"body": error.message})
        return _board_page(work_group_id, form.field_errors(), data)
    flash("Thread started. Members can reply below it.", "success")
    return redirect(url_for("workgroups.board_thread", work_group_id=work_group_id,
                            comment_id=thread.comment_id))


@bp.get("/work-groups/<int:work_group_id>/board/<int:comment_id>")
@login_required
def board_thread(work_group_id: int, comment_id: int):
    page = boards.thread_page(acting_user(), work_group_id, comment_id)
    return render_template("workgroups/board_thread.html", page=page, group=page.group)
