"""The planning blueprint; its routes live in the routes*.py modules of this package."""

from __future__ import annotations

import importlib
import pkgutil

from flask import Blueprint

bp = Blueprint("planning", __name__)


def load_routes() -> Blueprint:
    """Import every routes module of the package so their views register on `bp`."""
    import app.planning as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("routes"):
            importlib.import_module(f"app.planning.{module.name}")
    return bp
