"""Files pages: a lesson's files (list, upload, replace, remove, restore) and downloads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from app.accounts.models import User
from app.errors import DomainError, ErrorPage, ValidationError, error_response
from app.extensions import limiter
from app.files import attachments
from app.files.forms import UploadForm
from app.files.models import AttachmentVersion
from app.files.storage import CHUNK_SIZE, BlobMissing, get_store
from app.forms import require_button

bp = Blueprint("files", __name__)

#: Room in a request body for the multipart envelope and the form's other fields.
ENVELOPE_BYTES = 64 * 1024
#: The views that take a file, and so a request body larger than the app's usual limit.
UPLOAD_ENDPOINTS = frozenset({"files.lesson_files", "files.replace"})

KIND_LABELS = {"image": "Picture", "pdf": "PDF", "document": "Document", "slides": "Slides",
               "spreadsheet": "Spreadsheet"}


#: Uploads and replacements per person per window when the config sets none.
DEFAULT_UPLOAD_LIMIT = "30 per minute"


def _user() -> User:
    return current_user._get_current_object()


def _upload_key() -> str:
    """Rate-limit key for a person's uploads (one person's burst never slows another's)."""
    return f"uploads:{getattr(current_user, 'id', request.remote_addr)}"


#: Uploads and replacements together, per person, counted in the shared store (see
#: app/throttle.py): each one stores up to FILES_MAX_BYTES, so a loop could fill the disk
#: and the Work Group's quota in seconds. UPLOAD_LIMIT in the config changes it.
limit_uploads = limiter.shared_limit(
    lambda: current_app.config.get("UPLOAD_LIMIT") or DEFAULT_UPLOAD_LIMIT, scope="uploads",
    key_func=_upload_key, methods=["POST"])


def _may_upload(endpoint: str, values: dict[str, Any]) -> bool:
    """Whether the signed-in person may change the files the URL names (nothing raised)."""
    try:
        if endpoint == "files.replace":
            attachments.editable_attachment(_user(), int(values["lesson_id"]),
                                            int(values["attachment_id"]))
        else:
            attachments.editable_lesson(_user(), int(values["lesson_id"]))
    except (DomainError, KeyError, ValueError):
        return False
    return True


@bp.url_value_preprocessor
def allow_upload_size(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Raise the request size limit for uploads, before anything reads the body.

    URL preprocessors run before every before_request hook, and the app's hooks (the input
    policy, the CSRF check) read the form: a later hook would meet the app-wide 2 MB limit.
    A body over this limit is refused unread (413, see `too_large` below), so nothing of it
    is parsed or stored. Only people who may change this lesson's files may send that much:
    anyone else's body (signed out, or a stranger posting to any lesson id) is refused at the
    usual limit before it is read, and a small one gets the view's 404 or 403."""
    if (endpoint in UPLOAD_ENDPOINTS and request.method == "POST"
            and current_user.is_authenticated and _may_upload(endpoint, values or {})):
        request.max_content_length = (int(current_app.config["FILES_MAX_BYTES"])
                                      + ENVELOPE_BYTES)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> ErrorPage:
    limit = attachments.megabytes(int(current_app.config["FILES_MAX_BYTES"]))
    return error_response(413, f"That file is over the {limit} limit per file, so nothing was "
                               "added. Make it smaller (for slides, compress their pictures), "
                               "or split it into parts, then go back and upload it again.")


def _read(upload: FileStorage) -> bytes:
    """The uploaded bytes, one byte past the limit at most (the service says it is too big)."""
    return upload.stream.read(int(current_app.config["FILES_MAX_BYTES"]) + 1)


def _page(user: User, lesson_id: int, errors: dict[str, str], status: int = 200) -> ErrorPage:
    page = attachments.list_for_lesson(user, lesson_id)
    return render_template("files/lesson_files.html", page=page, errors=errors,
                           kinds=KIND_LABELS, size=attachments.megabytes,
                           url_name=url_name), status


@bp.route("/lessons/<int:lesson_id>/files", methods=["GET", "POST"])
@login_required
@limit_uploads
def lesson_files(lesson_id: int):
    user = _user()
    if request.method == "GET":
        return _page(user, lesson_id, {})
    form = UploadForm()
    if form.validate():
        upload = form.file.data
        try:
            attachment = attachments.add(user, lesson_id, upload.filename or "", _read(upload))
        except ValidationError as error:
            form.add_errors(error.fields or {attachments.FILE_FIELD: error.message})
            return _page(user, lesson_id, form.field_errors(), error.status)
        flash(f"Added “{attachment.current.display_name}”.", "success")
        return redirect(url_for(".lesson_files", lesson_id=lesson_id), code=303)
    # Who may upload is decided before what was sent, as the service does.
    attachments.editable_lesson(user, lesson_id)
    return _page(user, lesson_id, form.field_errors(), 400)


@bp.post("/lessons/<int:lesson_id>/files/<int:attachment_id>/replace")
@login_required
@limit_uploads
def replace(lesson_id: int, attachment_id: int):
    user = _user()
    form = UploadForm()
    field = f"replace-{attachment_id}"
    if form.validate():
        upload = form.file.data
        try:
            version = attachments.replace(user, lesson_id, attachment_id,
                                          upload.filename or "", _read(upload))
        except ValidationError as error:
            message = error.fields.get(attachments.FILE_FIELD) or error.message
            return _page(user, lesson_id, {field: message}, error.status)
        flash(f"“{version.display_name}” is now version {version.number}; the older versions "
              "are kept.", "success")
        return redirect(url_for(".lesson_files", lesson_id=version.attachment.target_id),
                        code=303)
    attachments.editable_attachment(user, lesson_id, attachment_id)
    return _page(user, lesson_id, {field: form.field_errors().get("file", "")}, 400)


@bp.post("/lessons/<int:lesson_id>/files/<int:attachment_id>/remove")
@login_required
def remove(lesson_id: int, attachment_id: int):
    require_button()
    attachment = attachments.remove(_user(), lesson_id, attachment_id)
    flash(f"Removed “{attachment.current.display_name}”. You can restore it from the list of "
          "removed files below.", "success")
    return redirect(url_for(".lesson_files", lesson_id=attachment.target_id), code=303)


@bp.post("/lessons/<int:lesson_id>/files/<int:attachment_id>/restore")
@login_required
def restore(lesson_id: int, attachment_id: int):
    require_button()
    attachment = attachments.restore(_user(), lesson_id, attachment_id)
    flash(f"Restored “{attachment.current.display_name}”.", "success")
    return redirect(url_for(".lesson_files", lesson_id=attachment.target_id), code=303)


def url_name(version: AttachmentVersion) -> str:
    """The last part of a download's URL: an ASCII form of the name, for people reading the
    address only (the file's name is sent in Content-Disposition)."""
    return secure_filename(version.display_name) or f"file.{version.extension}"


def _chunks(key: str) -> Iterator[bytes]:
    """The blob read a chunk at a time while the response is sent.

    Opened here, not in the view: Flask pushes the request's context again around this
    generator, after the view's own ended, and the PostgreSQL store reads through the session
    current when it is opened. Opened in the view, its reads would use a session already
    closed by then, whose new transaction nothing would end."""
    with get_store().open(key) as stream:
        while piece := stream.read(CHUNK_SIZE):
            yield piece


def _disposition(version: AttachmentVersion) -> dict[str, str]:
    """RFC 6266: an ASCII `filename` for old clients, the real name in `filename*` (UTF-8,
    percent-encoded, so no quote, CR or LF can reach the header whatever the name holds)."""
    fallback = secure_filename(version.display_name) or f"file.{version.extension}"
    return {"filename": fallback,
            "filename*": "UTF-8''" + quote(version.display_name, safe="!#$&+-.^_`|~")}


@bp.get("/files/<int:version_id>/<path:name>")
@login_required
def download(version_id: int, name: str):
    """A version's stored bytes, as the type decided at upload; the URL's name is ignored."""
    version = attachments.version_for_download(_user(), version_id)
    if not get_store().exists(version.blob_hash):
        # Listed but gone (`flask files verify` reports these): an error for the admins.
        raise BlobMissing(version.blob_hash)
    response = current_app.response_class(stream_with_context(_chunks(version.blob_hash)),
                                          mimetype=version.media_type)
    response.content_length = version.size
    # Only re-encoded pictures are shown in the browser; everything else is saved as a file.
    inline = version.kind == "image"
    response.headers.set("Content-Disposition", "inline" if inline else "attachment",
                         **_disposition(version))
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Opened on its own, a file runs no script and reaches nothing of Coplan's.
    response.headers["Content-Security-Policy"] = "sandbox"
    # The reader's access is checked on every request, so no copy is kept to reuse.
    response.headers["Cache-Control"] = "private, no-store"
    return response
