"""History pages: revision lists, old versions, comparisons, restore, source, export, print."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from app.accounts.models import User
from app.errors import NotFound, ValidationError
from app.forms import require_button
from app.planning import history
from app.planning.blueprint import bp
from app.planning.history import Kind
from app.revisions.pages import comparison_view
from app.web import revision_addressed

MAX_INT = 2_147_483_647
#: Revision numbers in query strings: bounded so PostgreSQL integers never overflow (404).
_NUMBER_RE = re.compile(r"[0-9]{1,40}")


def _user() -> User:
    return current_user._get_current_object()


def _revision_pair() -> tuple[int, int]:
    """The a and b query parameters as revision numbers; ValidationError (400) otherwise."""
    a, b = request.args.get("a", "").strip(), request.args.get("b", "").strip()
    if not (_NUMBER_RE.fullmatch(a) and _NUMBER_RE.fullmatch(b)):
        raise ValidationError("Choose two versions to compare: the address needs a revision "
                              "number for a and for b, like ?a=2&b=5. Pick them on the "
                              "history page.")
    if max(int(a), int(b)) > MAX_INT:
        raise NotFound("That version does not exist.")
    return int(a), int(b)


def _text(body: str, disposition: str) -> Response:
    response = Response(body, mimetype="text/plain")
    response.headers["Content-Disposition"] = disposition
    return response


# --- shared views (one per page, for lessons and sequences alike) -------------------------------


def _history(kind: Kind, item_id: int) -> str:
    page = history.history_page(_user(), kind, item_id)
    return render_template("revisions/history.html", page=page, subject=page.subject)


def _revision(kind: Kind, item_id: int, number: int) -> str:
    page = history.revision_page(_user(), kind, item_id, number)
    return render_template("revisions/revision.html", page=page, subject=page.subject)


def _restore(kind: Kind, item_id: int, number: int) -> BaseResponse:
    require_button()
    result = history.restore(_user(), kind, item_id, number)
    if result.changed:
        flash(f"Revision {number} restored as revision {result.head.number}.", "success")
    else:
        flash(f"Revision {number} is the same as the current version: nothing to restore.",
              "info")
    values: dict[str, Any] = {f"{kind}_id": item_id}
    return redirect(url_for(f"planning.{kind}", **values))


def _compare(kind: Kind, item_id: int) -> str:
    a, b = _revision_pair()
    view = comparison_view(request.args.get("view"))
    comparison = history.compare(_user(), kind, item_id, a, b)
    return render_template("revisions/compare.html", c=comparison, subject=comparison.subject,
                           view=view)


# --- lessons ------------------------------------------------------------------------------------


@bp.get("/lessons/<int:lesson_id>/history")
@login_required
def lesson_history(lesson_id: int) -> str:
    return _history("lesson", lesson_id)


@bp.get("/lessons/<int:lesson_id>/revisions/<int:number>")
@login_required
@revision_addressed
def lesson_revision(lesson_id: int, number: int) -> str:
    return _revision("lesson", lesson_id, number)


@bp.post("/lessons/<int:lesson_id>/revisions/<int:number>/restore")
@login_required
def lesson_revision_restore(lesson_id: int, number: int) -> BaseResponse:
    return _restore("lesson", lesson_id, number)


@bp.get("/lessons/<int:lesson_id>/compare")
@login_required
@revision_addressed
def lesson_compare(lesson_id: int) -> str:
    return _compare("lesson", lesson_id)


# The source is a page of the site (title, way back, language); the .md address beside it is
# the raw file, for saving or pasting into another tool.


@bp.get("/lessons/<int:lesson_id>/source")
@login_required
@revision_addressed
def lesson_source(lesson_id: int) -> str:
    return render_template("planning/source.html",
                           page=history.lesson_source_page(_user(), lesson_id))


@bp.get("/lessons/<int:lesson_id>/source.md")
@login_required
@revision_addressed
def lesson_source_file(lesson_id: int) -> Response:
    page = history.lesson_source_page(_user(), lesson_id)
    return _text(page.text, f'attachment; filename="{page.filename}"')


@bp.get("/lessons/<int:lesson_id>/revisions/<int:number>/source")
@login_required
@revision_addressed
def lesson_revision_source(lesson_id: int, number: int) -> str:
    return render_template("planning/source.html",
                           page=history.lesson_source_page(_user(), lesson_id, number))


@bp.get("/lessons/<int:lesson_id>/revisions/<int:number>/source.md")
@login_required
@revision_addressed
def lesson_revision_source_file(lesson_id: int, number: int) -> Response:
    page = history.lesson_source_page(_user(), lesson_id, number)
    return _text(page.text, f'attachment; filename="{page.filename}"')


# --- sequences ----------------------------------------------------------------------------------


@bp.get("/sequences/<int:sequence_id>/history")
@login_required
def sequence_history(sequence_id: int) -> str:
    return _history("sequence", sequence_id)


@bp.get("/sequences/<int:sequence_id>/revisions/<int:number>")
@login_required
@revision_addressed
def sequence_revision(sequence_id: int, number: int) -> str:
    return _revision("sequence", sequence_id, number)


@bp.post("/sequences/<int:sequence_id>/revisions/<int:number>/restore")
@login_required
def sequence_revision_restore(sequence_id: int, number: int) -> BaseResponse:
    return _restore("sequence", sequence_id, number)


@bp.get("/sequences/<int:sequence_id>/compare")
@login_required
@revision_addressed
def sequence_compare(sequence_id: int) -> str:
    return _compare("sequence", sequence_id)


@bp.get("/sequences/<int:sequence_id>/export.md")
@login_required
@revision_addressed
def sequence_export(sequence_id: int) -> Response:
    filename, body = history.export_sequence(_user(), sequence_id)
    response = Response(body, mimetype="text/markdown")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/sequences/<int:sequence_id>/print")
@login_required
@revision_addressed
def sequence_print(sequence_id: int) -> str:
    page = history.print_page(_user(), sequence_id)
    return render_template("planning/print.html", page=page)
