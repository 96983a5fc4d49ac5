"""Files in plans: content-addressed blob storage (folder or PostgreSQL), files attached to
lessons (their page, upload and download) and `flask files`."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Check the storage settings now (a typo fails at start, not at the first upload), add
    the files pages and the `files` command group."""
    from app.files import (
        extraction,
        history,
        models,  # noqa: F401  (tables known before create_all)
    )
    from app.files.cli import register_cli
    from app.files.routes import bp
    from app.files.routes_pictures import bp as pictures_bp
    from app.files.storage import backend_name

    backend_name(app)
    app.register_blueprint(bp)
    app.register_blueprint(pictures_bp)
    register_cli(app)
    history.init_app(app)
    extraction.init_app(app)
