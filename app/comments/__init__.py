"""Comments on plans, research lessons and (later) the Work Group board: threads with history."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire comments into an app: the /comments pages and the commentable kinds of thing.

    The factory may call this once, or make the same calls in its own register_* steps.
    """
    from app.comments import models  # noqa: F401  (tables known before create_all)
    from app.comments.routes import bp
    from app.comments.targets import register_targets

    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
    register_targets()
    # Notification links to a comment's pages are shown only to those who may still open them.
    app.extensions.setdefault("coplan.visibility_checks", {})["comment_id"] = _can_open_comment


def _can_open_comment(user, comment_id: int) -> bool:
    from app.comments.services import get_comment
    from app.errors import NotFound

    try:
        get_comment(user, comment_id)
    except NotFound:
        return False
    return True
