"""The workgroups blueprint; its routes live in the routes*.py modules of this package.

app.workgroups.init_app imports each of those modules by name, so their views register on `bp`.
"""

from __future__ import annotations

import re

from flask import Blueprint, request
from flask_login import current_user

from app.accounts.models import User
from app.errors import NotFound, ValidationError

bp = Blueprint("workgroups", __name__)

MAX_INT = 2_147_483_647
_NUMBER_RE = re.compile(r"[0-9]{1,40}")


def acting_user() -> User:
    return current_user._get_current_object()


def revision_pair() -> tuple[int, int]:
    """The a and b query parameters as revision numbers; 400 otherwise."""
    a, b = request.args.get("a", "").strip(), request.args.get("b", "").strip()
    if not (_NUMBER_RE.fullmatch(a) and _NUMBER_RE.fullmatch(b)):
        raise ValidationError("Choose two versions to compare: the address needs a revision "
                              "number for a and for b, like ?a=2&b=5. Pick them on the "
                              "history page.")
    if max(int(a), int(b)) > MAX_INT:
        raise NotFound("That version does not exist.")
    return int(a), int(b)
