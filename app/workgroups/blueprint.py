"""The workgroups blueprint; its routes live in the routes*.py modules of this package."""

from __future__ import annotations

import importlib
import pkgutil
import re

from flask import Blueprint, request
from flask_login import current_user

from app.accounts.models import User
from app.core.text import is_whole_number
from app.errors import NotFound, ValidationError

bp = Blueprint("workgroups", __name__)

MAX_INT = 2_147_483_647
_NUMBER_RE = re.compile(r"[0-9]{1,40}")


def load_routes() -> Blueprint:
    """Import every routes module of the package so their views register on `bp`."""
    import app.workgroups as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("routes"):
            importlib.import_module(f"app.workgroups.{module.name}")
    return bp


def acting_user() -> User:
    return current_user._get_current_object()


def base_number() -> int | None:
    """The revision a form was based on (hidden field base_number), if it is a number."""
    value = request.form.get("base_number", "").strip()
    return int(value) if is_whole_number(value) and int(value) <= MAX_INT else None


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
