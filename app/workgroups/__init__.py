"""Work Group sessions, school action plans, the discussion board and the Lead's overview."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the feature into an app: pages, comment targets, template helpers, and its answer
    to "when was this group's last session?" (app.signals.last_session_date)."""
    # Imported when wiring, not when another feature imports app.workgroups.models: the routes
    # import comments, planning and observations, which import our models (a cycle).
    from app import signals
    from app.workgroups import (
        models,  # noqa: F401  (tables known before create_all)
        routes_board,  # noqa: F401  (each routes module adds its views to `bp`)
        routes_new_year,  # noqa: F401
        routes_overview,  # noqa: F401
        routes_plans,  # noqa: F401
        routes_sessions,  # noqa: F401
    )
    from app.workgroups.blueprint import bp
    from app.workgroups.sessions import on_last_session_date
    from app.workgroups.targets import register_targets
    from app.workgroups.views import (
        day,
        group_links,
        next_session_panel,
        time_range,
        work_group_year,
    )

    app.register_blueprint(bp)
    register_targets(app)
    signals.last_session_date.connect(on_last_session_date, sender=app)
    # For the partials the Work Group page and the dashboard include.
    app.add_template_global(work_group_year, "work_group_year")
    app.add_template_global(next_session_panel, "next_session_panel")
    app.add_template_global(group_links, "work_group_links")
    app.add_template_filter(day, "wg_day")
    app.add_template_filter(time_range, "wg_time_range")
