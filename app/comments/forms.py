"""Comment forms: a new comment or reply, and an edit.

The service keeps the comment rules (visible text, the length limit with its count, a parent
on this page, an anchor of this page); the forms check what was sent has that shape.
"""

from __future__ import annotations

from wtforms import StringField
from wtforms.validators import InputRequired, Length, Optional

from app.forms import CoplanForm, WholeNumberField, clip

ANCHOR_MESSAGE = "Choose the part of the page from the list, or leave it blank."
REPLY_MISSING = "The comment you replied to is not on this page."


class CommentForm(CoplanForm):
    """A comment, or a reply when parent_id names the comment replied to."""

    # Cut just past the service's limit: it still says "too long" without reading megabytes.
    body = StringField(default="", filters=[clip(100_000)],
                       validators=[InputRequired(message="Write your comment first.")])
    anchor = StringField(default="", validators=[Length(max=60, message=ANCHOR_MESSAGE)])
    parent_id = WholeNumberField(validators=[Optional()])
    next = StringField(default="")

    def field_errors(self) -> dict[str, str]:
        """A reply to an id that is not a number is shown as a missing comment, by the text."""
        errors = super().field_errors()
        if errors.pop("parent_id", None):
            errors.setdefault("body", REPLY_MISSING)
        return errors


class EditCommentForm(CoplanForm):
    """A new text for one's own comment."""

    body = StringField(default="", filters=[clip(100_000)],
                       validators=[InputRequired(message="Write your comment first.")])
    next = StringField(default="")
