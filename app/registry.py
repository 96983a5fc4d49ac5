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
    from app.core.search import SearchBackend
    from app.planning.link_cache import LinkCache
    from app.search.log import Cursor
    from app.search.sources import Source
    from app.search.worker import Running

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
    #: The search backend, created on first use (Whoosh keeps a searcher open).
    search_index: SearchBackend | None = None
    #: Where this process has read the search change log (gaps it still waits for).
    search_cursor: Cursor = field(default_factory=lambda: _new_cursor())
    #: This process's indexer thread (SEARCH_INDEXER=thread), once started.
    search_indexer: Running | None = None
    #: When this process last pruned the search log (time.monotonic()).
    search_pruned_at: float = 0.0
    #: The process that started the indexer thread and warm-up (they run once per process).
    started_pid: int | None = None
    #: Held while this app's background rebuild runs (ensure_index), so a second request does
    #: not start another; per app, so one app's rebuild never blocks another app's.
    rebuild_lock: threading.Lock = field(default_factory=threading.Lock)
    #: Plan fields' HTML with wiki links resolved, per reader class (app/planning/link_cache.py).
    link_cache: LinkCache | None = None
    #: Pending mail retries after a failed first attempt (cancelled at shutdown and in tests).
    mail_retries: list[threading.Timer] = field(default_factory=list)


def _new_cursor() -> Cursor:
    from app.search.log import Cursor  # app.search imports this module

    return Cursor()


def install(app: Flask) -> Registry:
    """Give the app its empty registry (called first thing by create_app)."""
    registry = app.extensions[KEY] = Registry()
    return registry


def registry(app: Flask | None = None) -> Registry:
    """The registry of `app`, or of the current app."""
    return (app or current_app).extensions[KEY]
