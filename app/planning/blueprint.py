"""The planning blueprint; its routes live in the routes*.py modules of this package.

app.planning.init_app imports each of those modules by name, so their views register on `bp`.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("planning", __name__)
