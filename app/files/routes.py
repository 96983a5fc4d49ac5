"""Files pages: the files of a lesson, a sequence, a board thread or a Work Group session (list,
upload, replace, remove, restore), and downloads.

One set of views serves every kind of target: each kind has a `Place` (its URLs and what they
call its ids) and the same four views are registered under each, so a rule about who may
upload, or how big a body may be, is written once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
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


@dataclass(frozen=True)
class Place:
    """Where one kind of target's Files pages live, and what their URLs call its ids."""

    kind: str
    #: The part of the URL that names the thing, e.g. "/sessions/<int:session_id>".
    rule: str
    id_arg: str
    #: The Work Group named in the URL too (board threads live inside their group's board).
    group_arg: str | None = None

    def endpoint(self, action: str) -> str:
        """A view's endpoint name (blueprint-relative); lessons' came first, unprefixed."""
        if self.kind == "lesson":
            return "lesson_files" if action == "page" else action
        return f"{self.kind}_files" if action == "page" else f"{self.kind}_{action}"

    def where(self, values: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The target's id and the service's keyword arguments, from the URL's values."""
        group = int(values[self.group_arg]) if self.group_arg else None
        return int(values[self.id_arg]), {"kind": self.kind, "work_group_id": group}

    def url_values(self, target_id: int, work_group_id: int | None) -> dict[str, Any]:
        """What url_for needs to address this thing's pages."""
        values: dict[str, Any] = {self.id_arg: target_id}
        if self.group_arg and work_group_id is not None:
            values[self.group_arg] = work_group_id
        return values


PLACES = (
    Place("lesson", "/lessons/<int:lesson_id>", "lesson_id"),
    Place("sequence", "/sequences/<int:sequence_id>", "sequence_id"),
    # The thread's own page is /work-groups/<id>/board/<comment_id> (app.workgroups).
    Place("board_thread", "/work-groups/<int:work_group_id>/board/<int:comment_id>",
          "comment_id", group_arg="work_group_id"),
    Place("session", "/sessions/<int:session_id>", "session_id"),
)
#: "files.<endpoint>" -> the place and the action ("page", "replace", "remove", "restore").
ENDPOINTS: dict[str, tuple[Place, str]] = {
    f"files.{place.endpoint(action)}": (place, action)
    for place in PLACES for action in ("page", "replace", "remove", "restore")}

KIND_LABELS = {"image": "Picture", "pdf": "PDF", "document": "Document", "slides": "Slides",
               "spreadsheet": "Spreadsheet"}


#: Uploads and replacements per person per window when the config sets none.
DEFAULT_UPLOAD_LIMIT = "30 per minute"
#: The rate-limit bucket every upload of a person counts in (files, pictures, Word imports).
UPLOADS_SCOPE = "uploads"


def _user() -> User:
    return current_user._get_current_object()


def upload_key() -> str:
    """Rate-limit key for a person's uploads (one person's burst never slows another's)."""
    return f"uploads:{getattr(current_user, 'id', request.remote_addr)}"


#: Uploads and replacements together, per person, counted in the shared store (see
#: app/throttle.py): each one stores up to FILES_MAX_BYTES, so a loop could fill the disk
#: and the Work Group's quota in seconds. UPLOAD_LIMIT in the config changes it.
limit_uploads = limiter.shared_limit(
    lambda: current_app.config.get("UPLOAD_LIMIT") or DEFAULT_UPLOAD_LIMIT,
    scope=UPLOADS_SCOPE, key_func=upload_key, methods=["POST"])


def _may_add(user: User, values: dict[str, Any], *, place: Place) -> None:
    target_id, where = place.where(values)
    attachments.editable_target(user, target_id, **where)


def _may_replace(user: User, values: dict[str, Any], *, place: Place) -> None:
    target_id, where = place.where(values)
    attachments.editable_attachment(user, target_id, int(values["attachment_id"]), **where)


#: The views that take a file, and so a request body larger than the app's usual limit:
#: each with its check (a domain error if not) that the signed-in person may send one there.
UPLOAD_CHECKS: dict[str, Callable[[User, dict[str, Any]], None]] = {
    **{f"files.{place.endpoint('page')}": partial(_may_add, place=place) for place in PLACES},
    **{f"files.{place.endpoint('replace')}": partial(_may_replace, place=place)
       for place in PLACES}}
UPLOAD_ENDPOINTS = frozenset(UPLOAD_CHECKS)


def _may_upload(endpoint: str, values: dict[str, Any]) -> bool:
    """Whether the signed-in person may change the files the URL names (nothing raised)."""
    check = UPLOAD_CHECKS.get(endpoint)
    if check is None:
        return False
    try:
        check(_user(), values)
    except (DomainError, KeyError, ValueError):
        return False
    return True


@bp.url_value_preprocessor
def allow_upload_size(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Raise the request size limit for uploads, before anything reads the body.

    URL preprocessors run before every before_request hook, and the app's hooks (the input
    policy, the CSRF check) read the form: a later hook would meet the app-wide 2 MB limit.
    A body over this limit is refused unread (413, see `too_large` below), so nothing of it
    is parsed or stored. Only people who may change the files the URL names may send that much:
    anyone else's body (signed out, or a stranger posting to any thing's id) is refused at the
    usual limit before it is read, and a small one gets the view's 404 or 403. The same holds
    for every kind of target (see UPLOAD_CHECKS)."""
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


def _place() -> tuple[Place, str]:
    return ENDPOINTS[str(request.endpoint)]


def _page(user: User, place: Place, values: dict[str, Any], errors: dict[str, str],
          status: int = 200) -> ErrorPage:
    target_id, where = place.where(values)
    page = attachments.list_files(user, target_id, **where)
    base = place.url_values(target_id, where["work_group_id"])

    def files_url(action: str = "page", attachment_id: int | None = None) -> str:
        extra: dict[str, Any] = {} if attachment_id is None else {"attachment_id": attachment_id}
        return url_for(f".{place.endpoint(action)}", **base, **extra)

    return render_template("files/files.html", page=page, errors=errors,
                           kinds=KIND_LABELS, size=attachments.megabytes,
                           files_url=files_url), status


def _back(place: Place, values: dict[str, Any]):
    target_id, where = place.where(values)
    return redirect(url_for(f".{place.endpoint('page')}",
                            **place.url_values(target_id, where["work_group_id"])), code=303)


@login_required
@limit_uploads
def files_page(**values: Any):
    """A thing's files, and (POST) a new file for it."""
    user = _user()
    place, _action = _place()
    if request.method == "GET":
        return _page(user, place, values, {})
    target_id, where = place.where(values)
    form = UploadForm()
    if form.validate():
        upload = form.file.data
        try:
            attachment = attachments.add(user, target_id, upload.filename or "",
                                         _read(upload), **where)
        except ValidationError as error:
            form.add_errors(error.fields or {attachments.FILE_FIELD: error.message})
            return _page(user, place, values, form.field_errors(), error.status)
        flash(f"Added “{attachment.current.display_name}”.", "success")
        return _back(place, values)
    # Who may upload is decided before what was sent, as the service does.
    attachments.editable_target(user, target_id, **where)
    return _page(user, place, values, form.field_errors(), 400)


@login_required
@limit_uploads
def replace(attachment_id: int, **values: Any):
    user = _user()
    place, _action = _place()
    target_id, where = place.where(values)
    form = UploadForm()
    field = f"replace-{attachment_id}"
    if form.validate():
        upload = form.file.data
        try:
            version = attachments.replace(user, target_id, attachment_id,
                                          upload.filename or "", _read(upload), **where)
        except ValidationError as error:
            message = error.fields.get(attachments.FILE_FIELD) or error.message
            return _page(user, place, values, {field: message}, error.status)
        flash(f"“{version.display_name}” is now version {version.number}; the older versions "
              "are kept.", "success")
        return _back(place, values)
    attachments.editable_attachment(user, target_id, attachment_id, **where)
    return _page(user, place, values, {field: form.field_errors().get("file", "")}, 400)


@login_required
def remove(attachment_id: int, **values: Any):
    require_button()
    place, _action = _place()
    target_id, where = place.where(values)
    attachment = attachments.remove(_user(), target_id, attachment_id, **where)
    flash(f"Removed “{attachment.current.display_name}”. You can restore it from the list of "
          "removed files below.", "success")
    return _back(place, values)


@login_required
def restore(attachment_id: int, **values: Any):
    require_button()
    place, _action = _place()
    target_id, where = place.where(values)
    attachment = attachments.restore(_user(), target_id, attachment_id, **where)
    flash(f"Restored “{attachment.current.display_name}”.", "success")
    return _back(place, values)


def _add_rules() -> None:
    """The same four views under each kind's URLs."""
    for place in PLACES:
        bp.add_url_rule(f"{place.rule}/files", place.endpoint("page"), files_page,
                        methods=["GET", "POST"])
        for action, view in (("replace", replace), ("remove", remove), ("restore", restore)):
            bp.add_url_rule(f"{place.rule}/files/<int:attachment_id>/{action}",
                            place.endpoint(action), view, methods=["POST"])


_add_rules()


@bp.app_template_global("file_count")
def file_count(kind: str, target_id: int) -> int:
    """For a page's "Files (2)" link: the files its Files page lists to every reader (only
    call it on a page that already shows the thing)."""
    return attachments.file_count(kind, target_id)


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
    return {"filename": version.url_name,
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
