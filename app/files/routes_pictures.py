"""Adding a picture to Markdown text: one upload address for pictures.js (JSON: the Markdown to
insert at the cursor), which without JavaScript answers a page with that Markdown; and the
larger request size for the editors whose "Add picture" button sends the form itself."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from app.accounts.models import User
from app.comments.models import Comment
from app.errors import DomainError, ValidationError, wants_json
from app.extensions import db
from app.files import pictures
from app.files.picture_forms import PictureForm, read_upload
from app.files.routes import ENVELOPE_BYTES, limit_uploads
from app.forms import require_button
from app.observations.models import Observation

bp = Blueprint("pictures", __name__)
# Which comment threads offer "Add a picture", and in which context (comments/_thread.html).
bp.add_app_template_global(lambda kind: pictures.COMMENT_CONTEXTS.get(kind, ""),
                           "picture_context_for")


def _user() -> User:
    return current_user._get_current_object()


def _comment_context(values: dict[str, Any]) -> tuple[str, int]:
    comment = db.session.get(Comment, int(values["comment_id"]))
    if comment is None:
        raise KeyError("comment_id")
    return pictures.COMMENT_CONTEXTS[comment.target_type], comment.target_id


def _observation_context(values: dict[str, Any]) -> tuple[str, int]:
    observation = db.session.get(Observation, int(values["observation_id"]))
    if observation is None:
        raise KeyError("observation_id")
    return "observation", observation.research_lesson_id


#: The views that may be sent a picture, and the picture context and id their URL names.
PICTURE_ENDPOINTS = {
    "pictures.upload": lambda v: (str(v["context"]), int(v["context_id"])),
    "planning.edit_lesson": lambda v: ("lesson", int(v["lesson_id"])),
    "planning.edit_sequence": lambda v: ("sequence", int(v["sequence_id"])),
    "comments.add": lambda v: (pictures.COMMENT_CONTEXTS[v["kind"]], int(v["target_id"])),
    "comments.edit": _comment_context,
    "workgroups.new_thread": lambda v: ("board", int(v["work_group_id"])),
    "workgroups.edit_notes": lambda v: ("session", int(v["session_id"])),
    "observations.my_observation": lambda v: ("observation", int(v["research_lesson_id"])),
    "observations.edit_observation": _observation_context,
    "observations.discussion": lambda v: ("observation", int(v["research_lesson_id"])),
}


def _may_add(endpoint: str, values: dict[str, Any]) -> bool:
    try:
        context, context_id = PICTURE_ENDPOINTS[endpoint](values)
        pictures.may_add(_user(), context, context_id)
    except (DomainError, KeyError, ValueError):
        return False
    return True


@bp.app_url_value_preprocessor
def allow_picture_size(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Raise the request size limit for a form sent with a picture, before anything reads
    the body (as app.files.routes.allow_upload_size does for the Files pages), and only for
    people who may add a picture there: anyone else's big body is refused unread. Ordinary
    saves are not multipart, so they never pay for the check."""
    if (endpoint in PICTURE_ENDPOINTS and request.method == "POST"
            and request.mimetype == "multipart/form-data"
            and current_user.is_authenticated and _may_add(endpoint, values or {})):
        request.max_content_length = (int(current_app.config["FILES_MAX_BYTES"])
                                      + ENVELOPE_BYTES)


@bp.post("/pictures/<context>/<int:context_id>")
@login_required
@limit_uploads
def upload(context: str, context_id: int) -> ResponseReturnValue:
    """Store a picture for a text (see app.files.pictures.CONTEXTS) and answer the Markdown
    to insert: JSON for pictures.js, a page to copy it from otherwise."""
    user = _user()
    pictures.may_add(user, context, context_id)
    form = PictureForm()
    errors: dict[str, str] = {}
    status = 400
    if form.validate():
        alt = form.picture_alt.data or ""
        try:
            version = pictures.add_picture(user, context, context_id,
                                           form.picture.data.filename or "", read_upload(form),
                                           alt)
        except ValidationError as error:
            errors = {"picture": next(iter(error.fields.values()), "") or error.message}
            status = error.status
        else:
            markdown = pictures.picture_markdown(version, alt)
            if wants_json():
                return jsonify(markdown=markdown, url=pictures.picture_url(version)), 201
            return render_template("files/picture_added.html", markdown=markdown,
                                   url=pictures.picture_url(version),
                                   alt=pictures.clean_alt(alt)), 201
    else:
        errors = {k: v for k, v in form.field_errors().items() if k != "picture_field"}
    if wants_json():
        return jsonify(error="Please check the picture", fields=errors,
                       message=" ".join(errors.values())), status
    return render_template("files/picture_added.html", errors=errors), status


@bp.get("/pictures/<context>/<int:context_id>")
@login_required
def manage(context: str, context_id: int) -> ResponseReturnValue:
    """The pictures added to a thing's texts, with Take down / Put back for those who may."""
    page = pictures.list_pictures(_user(), context, context_id)
    return render_template("files/pictures.html", page=page,
                           url=pictures.picture_url)


@bp.post("/pictures/<context>/<int:context_id>/<int:attachment_id>/remove")
@login_required
def take_down(context: str, context_id: int, attachment_id: int) -> ResponseReturnValue:
    require_button()
    picture = pictures.take_down(_user(), context, context_id, attachment_id)
    flash(f"Took down “{picture.current.display_name}”: readers no longer see it. You can "
          "put it back from this page.", "success")
    return redirect(url_for(".manage", context=context, context_id=context_id), code=303)


@bp.post("/pictures/<context>/<int:context_id>/<int:attachment_id>/restore")
@login_required
def put_back(context: str, context_id: int, attachment_id: int) -> ResponseReturnValue:
    require_button()
    picture = pictures.put_back(_user(), context, context_id, attachment_id)
    flash(f"Put back “{picture.current.display_name}”.", "success")
    return redirect(url_for(".manage", context=context, context_id=context_id), code=303)
