"""May this person still open this notification's link? Asked again at feed and digest time.

A notification stores only a path. The path is matched against the app's routes and every
id in it is checked with the same rules the pages use (through the features' get_* services
and app.policy). An id this module knows no rule for makes the link count as hidden: an
unknown page is left out of a feed rather than leaked. Features add their own rules with
`app.extensions["coplan.visibility_checks"][<URL variable name>] = check(user, value) -> bool`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.exceptions import HTTPException

from app import policy
from app.accounts.models import User, WorkGroup
from app.errors import NotFound
from app.extensions import db

Check = Callable[[User, Any], bool]


def _found(getter: Callable[[], object]) -> bool:
    try:
        getter()
    except NotFound:
        return False
    return True


def _lesson(user: User, value: int) -> bool:
    from app.planning.services import get_lesson

    return _found(lambda: get_lesson(user, value))


def _sequence(user: User, value: int) -> bool:
    from app.planning.services import get_sequence

    return _found(lambda: get_sequence(user, value))


def _review(user: User, value: int) -> bool:
    from app.reviews.services import get_request

    return _found(lambda: get_request(user, value))


def _material(user: User, value: int) -> bool:
    from app.materials.services import get_material

    return _found(lambda: get_material(user, value))


def _work_group(user: User, value: int) -> bool:
    group = db.session.get(WorkGroup, value)
    return group is not None and policy.can_view_work_group(user, group)


BUILTIN_CHECKS: dict[str, Check] = {
    "lesson_id": _lesson,
    "sequence_id": _sequence,
    "review_id": _review,
    "material_id": _material,
    "group_id": _work_group,
    "work_group_id": _work_group,
    # A revision number only narrows a lesson or sequence that is checked on its own.
    "number": lambda _user, _value: True,
    # School pages are open to every signed-in user (policy.can_view_school).
    "school_id": lambda user, _value: bool(user.is_authenticated),
}


def url_visible(user: User, url: str) -> bool:
    """True when every id in the link's path passes its visibility rule for this user."""
    if user.disabled:
        return False
    path = urlsplit(url).path
    try:
        _endpoint, args = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return False
    checks = {**BUILTIN_CHECKS, **current_app.extensions.get("coplan.visibility_checks", {})}
    for name, value in args.items():
        check = checks.get(name)
        if check is None or not check(user, value):
            return False
    return True
