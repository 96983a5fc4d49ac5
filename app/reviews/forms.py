"""Review forms: asking for a review, and a reviewer's decision.

The service keeps the review rules (who may review for which school, the length limits of
stripped text, a decision that needs a comment, the revision still current); the forms read
the shape of what was sent.
"""

from __future__ import annotations

from flask import request
from wtforms import StringField
from wtforms.validators import AnyOf, Optional

from app.core.text import is_whole_number
from app.forms import CoplanForm, WholeNumberField, clip
from app.reviews.models import DECISIONS
from app.reviews.services import MAX_COMMENT, MAX_NOTE

#: Prefix of the names of comments on parts of the plan (`field__<part key>`).
FIELD_PREFIX = "field__"
#: A revision number that is not a whole number names no version.
NO_SUCH_VERSION = "That version does not exist."


class _RevisionForm(CoplanForm):
    """A form that names the revision it was shown (a hidden field)."""

    revision_number = WholeNumberField(validators=[Optional()])

    def field_errors(self) -> dict[str, str]:
        """As the service words it: a revision number that is not a number names no version."""
        errors = super().field_errors()
        if "revision_number" in self.errors and "revision_number" not in self._domain_errors:
            errors["revision_number"] = NO_SUCH_VERSION
        return errors


class SubmitReviewForm(_RevisionForm):
    """Ask for a review: the plan (kind and id), one "school:reviewer" choice and a note.

    API clients may send school_id and reviewer_id instead of the combined radio value.
    """

    kind = StringField(default="")
    id = StringField(default="")
    reviewer = StringField(default="")
    school_id = WholeNumberField(validators=[Optional()])
    reviewer_id = WholeNumberField(validators=[Optional()])
    # Cut just past the service's limit: it still says "too long" without reading megabytes.
    note = StringField(default="", filters=[clip(MAX_NOTE)])

    def school_and_reviewer(self) -> tuple[int | None, int | None]:
        """The chosen school and reviewer, from the radio value or the separate fields."""
        school, _, person = (self.reviewer.data or "").partition(":")
        if is_whole_number(school) and is_whole_number(person):
            return int(school), int(person)
        return self.school_id.data, self.reviewer_id.data


class DecisionForm(_RevisionForm):
    """A reviewer's decision and comment (comments on parts of the plan are read by name)."""

    decision = StringField(default="", validators=[
        AnyOf(list(DECISIONS), message="Choose approve, ask for changes or comment.")])
    comment = StringField(default="", filters=[clip(MAX_COMMENT)])

    def lesson_numbers(self) -> dict[int, int] | None:
        """The lesson revisions a sequence review showed (`lesson_revisions`, "id:number"
        pairs separated by commas); None when the form did not send them (API clients)."""
        sent = request.form.get("lesson_revisions")
        if sent is None:
            return None
        found: dict[int, int] = {}
        for pair in sent.split(",")[:1000]:
            lesson, _, number = pair.strip().partition(":")
            if is_whole_number(lesson) and is_whole_number(number):
                found[int(lesson)] = int(number)
        return found

    def part_comments(self) -> dict[str, str]:
        """Comments on parts of the plan: one per part, named `field__<part key>`."""
        return {key[len(FIELD_PREFIX):]: value[: MAX_COMMENT + 1]
                for key, value in request.form.items() if key.startswith(FIELD_PREFIX)}


class AdoptionForm(CoplanForm):
    """"Request approval for my school": which of the reader's schools (a hidden field)."""

    school_id = WholeNumberField(validators=[Optional()])
