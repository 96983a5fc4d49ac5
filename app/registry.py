"""The one per-app object that holds what features register with each other.

`create_app` stores a fresh `Registry` in `app.extensions["coplan"]`; features fill it from
their `init_app`. Nothing here is module-level state, so two apps in one process (the tests
build many) keep separate search sources, comment targets and visibility rules.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

if TYPE_CHECKING:  # only for annotations: these modules import this one
    from app.comments.targets import Target
    from app.core.search import SearchIndex
    from app.search.sources import Source

KEY = "coplan"

#: check(user, value of a URL variable) -> may this user open a page with it?
VisibilityCheck = Callable[[Any, Any], bool]


@dataclass
class Registry:
    """Per-app registrations and the per-app search index."""

    #: Searchable kinds of thing, by kind ("lesson", "material", ...).
    search_sources: dict[str, Source] = field(default_factory=dict)
    #: Commentable kinds of thing, by kind ("lesson", "observation", "board", ...).
    comment_targets: dict[str, Target] = field(default_factory=dict)
    #: Visibility rules for the ids in notification links, by URL variable name.
    visibility_checks: dict[str, VisibilityCheck] = field(default_factory=dict)
    #: The Whoosh index wrapper, created on first use (it keeps a searcher open).
    search_index: SearchIndex | None = None
    #: Pending "try the index writer again" timers. They are daemon threads that give up after
    #: a bounded number of attempts; only the test fixture cancels them (stop_retries), a
    #: server exiting just drops them (the outbox keeps the work for the next drain).
    search_retries: list[threading.Timer] = field(default_factory=list)
    #: Held while this app's background rebuild runs (ensure_index), so a second request does
    #: not start another; per app, so one app's rebuild never blocks another app's.
    rebuild_lock: threading.Lock = field(default_factory=threading.Lock)
    #: Pending mail retries after a failed first attempt (cancelled at shutdown and in tests).
    mail_retries: list[threading.Timer] = field(default_factory=list)


def install(app: Flask) -> Registry:
    """Give the app its empty registry (called first thing by create_app)."""
    registry = app.extensions[KEY] = Registry()
    return registry


def registry(app: Flask | None = None) -> Registry:
    """The registry of `app`, or of the current app."""
    return (app or current_app).extensions[KEY]
