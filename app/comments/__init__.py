"""Comments on plans, research lessons and (later) the Work Group board: threads with history."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire comments into an app: the /comments pages, the commentable kinds of thing and the
    rule that shows notification links to a comment only to those who may still open it."""
    # Imported when wiring, not when another feature imports app.comments.models: the routes
    # and targets import planning and observations, which import comment modules (a cycle).
    from app.comments import models  # noqa: F401  (tables known before create_all)
    from app.comments.routes import bp
    from app.comments.services import can_open_comment
    from app.comments.targets import register_targets
    from app.registry import registry

    app.register_blueprint(bp)
    register_targets(app)
    registry(app).visibility_checks["comment_id"] = can_open_comment
