"""A new comment on a plan tells the plan's watchers who commented and where.

Subscribed in app.notifications.init_app (per app) to `app.signals.comment_posted`; the
comments feature only announces the comment. Watchers who may no longer read the plan are
skipped by notify_watchers, and people the comment @mentions already had their own
notification, so they get no second one.
"""

from __future__ import annotations

from collections.abc import Set

from flask import Flask

from app.accounts.models import User
from app.comments.models import Comment
from app.notifications.models import WATCH_KINDS
from app.notifications.services import auto_watch, notify_watchers


def comment_text(user: User, comment: Comment, title: str, about: str) -> str:
    """"Tom commented on “Equivalent fractions” (about Key vocabulary)." and the like."""
    verb = "replied to a comment on" if comment.parent_id else "commented on"
    where = f" (about {about})" if about else ""
    return f"{user.display_name} {verb} “{title}”{where}."


def on_comment_posted(_app: Flask, *, comment: Comment, user: User, title: str, url: str,
                      about: str, mentioned: Set[int]) -> None:
    """The commenter follows the plan from now on; its other watchers are told."""
    kind = comment.target_type
    if kind not in WATCH_KINDS:
        return  # research lessons and board posts have no watchers
    auto_watch(user, kind, comment.target_id)
    notify_watchers(kind, comment.target_id, user, comment_text(user, comment, title, about),
                    url, note_kind="comment", skip=mentioned)
