"""Plug the board and action plans into the comment engine (app.comments.targets).

"board": target_id is the Work Group's id; a thread is a top-level comment.
"action_plan": target_id is the ActionPlan's id; comments may be anchored to a priority.
The engine asks these rules (from app.workgroups.permissions) and decides nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, url_for

from app.accounts.models import User, WorkGroup
from app.comments.targets import existing, register_target
from app.extensions import db
from app.workgroups import action_plans, permissions
from app.workgroups.models import ActionPlan


def _group(target_id: int) -> WorkGroup | None:
    return db.session.get(WorkGroup, target_id)


def _plan(target_id: int) -> ActionPlan | None:
    return db.session.get(ActionPlan, target_id)


_T = TypeVar("_T")


def _on(load: Callable[[int], _T | None], rule: Callable[[User, _T], bool]
        ) -> Callable[[User, int], bool]:
    def check(user: User, target_id: int) -> bool:
        item = load(target_id)
        return item is not None and rule(user, item)
    return check


def plan_anchors(target_id: int) -> list[tuple[str, str]]:
    """A comment on a plan can be about one priority (of the latest draft) or the review."""
    plan = _plan(target_id)
    if plan is None:
        return []
    fields = action_plans.head(plan).fields
    return [(f"priority:{p['id']}", f"Priority: {p.get('area', '')}"[:120])
            for p in fields.get("priorities", [])] + [("review_points", "Review points")]


def register_targets(app: Flask) -> None:
    """Register "board" and "action_plan" with this app's comment engine."""
    register_target(
        app, "board", _on(_group, permissions.can_view_board),
        _on(_group, permissions.can_post_on_board),
        can_moderate=_on(_group, permissions.can_moderate_board),
        work_group_id=lambda i: i,
        url=lambda i: url_for("workgroups.board", work_group_id=i),
        title=lambda i: f"{existing(_group, i).title}: discussion board")
    register_target(
        app, "action_plan", _on(_plan, permissions.can_view_action_plan),
        _on(_plan, permissions.can_comment_on_action_plan),
        can_moderate=_on(_plan, permissions.can_moderate_action_plan_comments),
        work_group_id=lambda i: existing(_plan, i).work_group_id,
        url=lambda i: url_for("workgroups.action_plan", plan_id=i),
        title=lambda i: existing(_plan, i).title,
        anchors=plan_anchors)
