"""Work Group sessions, school action plans, the discussion board and the Lead's overview."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the feature into an app: pages, comment targets, template helpers, extensions.

    The factory may call this once (after app.comments.init_app), or make the same calls in
    its own register_* steps.
    """
    from app.workgroups import models  # noqa: F401  (tables known before create_all)
    from app.workgroups.blueprint import load_routes
    from app.workgroups.sessions import last_session_date
    from app.workgroups.targets import register_targets
    from app.workgroups.views import (
        day,
        group_links,
        next_session_panel,
        time_range,
        work_group_year,
    )

    bp = load_routes()
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
    register_targets()
    # Used by other features (e.g. "changed since the last session") without importing us.
    app.extensions["coplan.last_session_date"] = last_session_date
    # For the partials the Work Group page and the dashboard include.
    app.add_template_global(work_group_year, "work_group_year")
    app.add_template_global(next_session_panel, "next_session_panel")
    app.add_template_global(group_links, "work_group_links")
    app.add_template_filter(day, "wg_day")
    app.add_template_filter(time_range, "wg_time_range")
