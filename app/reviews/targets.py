"""What can be reviewed: a lesson or sequence the user may read.

Reads go through app.planning (history.get_subject), so a plan the user may not see is NotFound
here too."""

from __future__ import annotations

from typing import cast

from app.accounts.models import User
from app.errors import NotFound
from app.planning import history
from app.planning.history import Kind, Subject
from app.reviews.models import TARGET_KINDS


def get_target(user: User, kind: str, item_id: int) -> Subject:
    """The lesson or sequence to review, if the user may read it; NotFound otherwise."""
    if kind not in TARGET_KINDS:
        raise NotFound()
    # TARGET_KINDS holds exactly the two Kind values, so kind is one of them here.
    return history.get_subject(user, cast(Kind, kind), item_id)
