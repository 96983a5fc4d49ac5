"""What can be reviewed: a lesson or sequence the user may read.

Reads go through app.planning (history.get_subject), so a plan the user may not see is NotFound
here too."""

from __future__ import annotations

from app.accounts.models import User
from app.errors import NotFound
from app.planning import history
from app.planning.history import Subject
from app.reviews.models import TARGET_KINDS


def get_target(user: User, kind: str, item_id: int) -> Subject:
    """The lesson or sequence to review, if the user may read it; NotFound otherwise."""
    if kind not in TARGET_KINDS:
        raise NotFound()
    return history.get_subject(user, kind, item_id)  # type: ignore[arg-type]
