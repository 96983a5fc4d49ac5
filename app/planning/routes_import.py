"""Import a lesson from Word: the upload page, then the new-lesson editor filled from the
document for the teacher to check; only her Save creates the lesson (issue 15, item 7)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge

from app.accounts.models import User
from app.core.markdown import render_markdown
from app.errors import DomainError, ValidationError, error_response
from app.files.routes import ENVELOPE_BYTES, limit_uploads
from app.forms import CoplanForm
from app.planning import word_import
from app.planning.blueprint import bp
from app.planning.fields import LESSON_FIELDS, LESSON_SECTIONS
from app.planning.forms import LessonForm
from app.planning.models import Sequence
from app.planning.presenters import material_options
from app.planning.routes import _forget_browser_draft, limit_saves

IMPORT_ENDPOINT = "planning.import_word"
NO_FILE = "Choose the Word document (.docx) of a lesson plan."


class WordUploadForm(CoplanForm):
    """The Word document; what it is, is decided from its bytes."""

    file = FileField("Word document", validators=[FileRequired(message=NO_FILE)])


def _user() -> User:
    return current_user._get_current_object()


def _max_bytes() -> int:
    return int(current_app.config["FILES_MAX_BYTES"])


@bp.url_value_preprocessor
def allow_import_size(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Raise the request size limit for an import, before anything reads the body (as the
    Files pages do), and only for people who may add lessons to the sequence: anyone else's
    big body is refused unread at the app's usual limit."""
    if endpoint != IMPORT_ENDPOINT or request.method != "POST" \
            or not current_user.is_authenticated:
        return
    try:
        word_import.importable_sequence(_user(), int((values or {})["sequence_id"]))
    except (DomainError, KeyError, ValueError):
        return
    request.max_content_length = _max_bytes() + ENVELOPE_BYTES


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    if request.endpoint != IMPORT_ENDPOINT:
        return error_response(413)
    limit = _max_bytes() // (1024 * 1024)
    return error_response(413, f"That file is over the {limit} MB limit, so nothing was "
                               "imported. Save the lesson on its own in a new document (or "
                               "make its pictures smaller), then go back and import it again.")


def _upload_page(sequence: Sequence, errors: dict[str, str],
                 status: int = 200) -> ResponseReturnValue:
    return render_template("planning/import_word.html", sequence=sequence, errors=errors,
                           max_megabytes=_max_bytes() // (1024 * 1024)), status


def _editor(sequence: Sequence, data: dict[str, Any], errors: dict[str, str], *,
            status: int = 200, preview: dict[str, Any] | None = None,
            imported: word_import.ImportedLesson | None = None) -> ResponseReturnValue:
    return render_template("planning/lesson_new.html", sequence=sequence, data=data,
                           errors=errors, preview=preview, imported=imported,
                           fields=LESSON_FIELDS, sections=LESSON_SECTIONS,
                           material_options=material_options(),
                           draft_key=f"lesson-new:{sequence.id}"), status


@bp.route("/sequences/<int:sequence_id>/lessons/import", methods=["GET", "POST"])
@login_required
# Each import runs a converter process and stores pictures: it counts with every other upload
# the person makes (the Files pages' shared allowance).
@limit_uploads
def import_word(sequence_id: int) -> ResponseReturnValue:
    user = _user()
    sequence = word_import.importable_sequence(user, sequence_id)
    if request.method == "GET":
        return _upload_page(sequence, {})
    form = WordUploadForm()
    if not form.validate():
        return _upload_page(sequence, form.field_errors(), 400)
    upload = form.file.data
    try:
        imported = word_import.import_word(user, sequence_id, upload.filename or "",
                                           upload.stream.read(_max_bytes() + 1),
                                           max_bytes=_max_bytes())
    except ValidationError as error:
        form.add_errors(error.fields or {"file": error.message})
        return _upload_page(sequence, form.field_errors(), error.status)
    return _editor(sequence, imported.data, imported.errors, imported=imported)


@bp.post("/sequences/<int:sequence_id>/lessons/new")
@login_required
@limit_saves
def create_lesson(sequence_id: int) -> ResponseReturnValue:
    """The new-lesson editor's Save (and Preview): the lesson exists only from here."""
    user = _user()
    sequence = word_import.importable_sequence(user, sequence_id)
    form = LessonForm()
    data = form.plan_data()
    if form.action.data == "preview":
        preview = {f.key: render_markdown(data[f.key]) for f in LESSON_FIELDS if data[f.key]}
        return _editor(sequence, data, form.field_errors(), preview=preview)
    if form.validate():
        try:
            lesson = word_import.create_lesson(user, sequence_id, data)
        except ValidationError as error:
            form.add_errors(error.fields or {"form": error.message})
        else:
            _forget_browser_draft(f"lesson-new:{sequence_id}")
            flash(f"Lesson “{lesson.title}” added as lesson {lesson.position}.", "success")
            return redirect(url_for("planning.lesson", lesson_id=lesson.id), code=303)
    return _editor(sequence, data, form.field_errors(), status=400)
