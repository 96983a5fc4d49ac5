"""May this person still open this notification's link? Asked again at feed and digest time.

A notification stores only a path. The path is matched against the app's routes and every
id in it is checked: plans, lessons, research lessons, observations, agreed changes and Work
Groups by the rules written in app/visibility.py (`Rule.url_keys` names their URL variables),
other kinds through their features' get_* services. An id this module knows no rule for makes
the link count as hidden: an unknown page is left out of a feed rather than leaked.
Features add their own rules with
`registry(app).visibility_checks[<URL variable name>] = check(user, value) -> bool` (app.registry).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.exceptions import HTTPException

from app import visibility
from app.accounts.models import User
from app.errors import NotFound
from app.extensions import db
from app.registry import registry

Check = Callable[[User, Any], bool]


def _found(getter: Callable[[], object]) -> bool:
    try:
        getter()
    except NotFound:
        return False
    return True


def _review(user: User, value: int) -> bool:
    from app.reviews.services import get_request

    return _found(lambda: get_request(user, value))


def _material(user: User, value: int) -> bool:
    from app.materials.services import get_material

    return _found(lambda: get_material(user, value))


BUILTIN_CHECKS: dict[str, Check] = {
    "review_id": _review,
    "material_id": _material,
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
    checks = {**BUILTIN_CHECKS, **registry().visibility_checks}
    for name, value in args.items():
        rule = visibility.rule_for_url_key(name)
        if rule is not None:
            # Plans, lessons, research lessons and Work Groups: the one written rule.
            obj = db.session.get(rule.model, value)
            if obj is None or not visibility.allows(user, rule, obj):
                return False
            continue
        check = checks.get(name)
        if check is None or not check(user, value):
            return False
    return True
