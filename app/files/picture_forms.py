"""The "Add picture" part of a Markdown form: its fields, and adding a picture to the text a
teacher is writing without JavaScript (the form is sent with the picture, the picture is
stored, and the same form comes back with everything typed and the picture's Markdown added
to the chosen field; nothing else is saved).

The fields are named so they never clash with a form's own: `picture`, `picture_alt` and
`picture_field` (which text the picture goes into), sent by a button named `picture_add`.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import Any

from flask import current_app, request
from flask_wtf.file import FileField, FileRequired
from limits import parse
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.accounts.models import User
from app.errors import ValidationError
from app.extensions import limiter
from app.files import pictures
from app.files.routes import DEFAULT_UPLOAD_LIMIT, UPLOADS_SCOPE, upload_key
from app.forms import CoplanForm

PICTURE_FIELD = "picture"
NO_PICTURE = "Choose a picture to add."
NO_ALT = ("Describe the picture in a few words, for colleagues who use a screen reader "
          "(for example “Bar model showing 3/4 of 12”).")
ALT_TOO_LONG = f"Keep the description under {pictures.MAX_ALT_CHARS} characters."
NO_TEXT_CHOSEN = "Choose which text the picture goes into."
TOO_MANY = ("You have added a lot of files in a short time. Wait a minute, then add the "
            "picture again.")


class PictureForm(CoplanForm):
    """A picture and its description (what it is, is decided from its bytes)."""

    picture = FileField("Picture", validators=[FileRequired(message=NO_PICTURE)])
    picture_alt = StringField("Description", default="", validators=[
        DataRequired(message=NO_ALT), Length(max=pictures.MAX_ALT_CHARS, message=ALT_TOO_LONG)])
    picture_field = StringField(default="")


def picture_requested() -> bool:
    """Whether this POST is the form's "Add picture" button (not a save)."""
    return request.method == "POST" and "picture_add" in request.form


def read_upload(form: PictureForm) -> bytes:
    """The uploaded bytes, one byte past the limit at most (the service says it is too big)."""
    return form.picture.data.stream.read(int(current_app.config["FILES_MAX_BYTES"]) + 1)


def _within_upload_limit() -> bool:
    """Count one upload against the person's limit (UPLOAD_LIMIT), in the same bucket as the
    Files pages and the picture address (app.files.routes.limit_uploads): one allowance for
    all of a person's uploads. The editors' views take saves too, so the limit is counted
    here rather than by a decorator on them."""
    if not limiter.enabled:
        return True
    item = parse(current_app.config.get("UPLOAD_LIMIT") or DEFAULT_UPLOAD_LIMIT)
    return bool(limiter.limiter.hit(item, upload_key(), UPLOADS_SCOPE))


def add_to_text(user: User, context: str, context_id: int, data: MutableMapping[str, Any],
                fields: Iterable[str]) -> dict[str, str]:
    """Store the picture sent with a Markdown form and append its Markdown to the chosen
    field of `data` (one of `fields`; the only one when there is one). Field errors, keyed
    `picture` and `picture_alt`, when nothing was added; `data` is then unchanged.

    Who may add is decided first (NotFound or Forbidden, as for a save)."""
    pictures.may_add(user, context, context_id)
    form = PictureForm()
    keys = list(fields)
    key = form.picture_field.data or (keys[0] if len(keys) == 1 else "")
    if not form.validate():
        return {name: message for name, message in form.field_errors().items()
                if name != "picture_field"}
    if key not in keys:
        return {pictures.ALT_FIELD: NO_TEXT_CHOSEN}
    if not _within_upload_limit():
        return {PICTURE_FIELD: TOO_MANY}
    alt = form.picture_alt.data or ""
    try:
        version = pictures.add_picture(user, context, context_id,
                                       form.picture.data.filename or "", read_upload(form), alt)
    except ValidationError as error:
        message = next(iter(error.fields.values()), "") or error.message
        return {PICTURE_FIELD: message}
    text = str(data.get(key) or "").rstrip()
    data[key] = (text + "\n\n" if text else "") + pictures.picture_markdown(version, alt) + "\n"
    return {}
