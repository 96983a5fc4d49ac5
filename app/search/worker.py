"""One indexer per host: applies the change log to the host's Whoosh index, off every request.

Whichever process holds the host's indexer lock (a file lock beside the index directory) is
the indexer; the others stand by and take over within LEADER_RETRY seconds if it dies (the
kernel releases the lock of a killed process). It runs as a thread of a web worker
(SEARCH_INDEXER=thread) or as `flask search worker` (SEARCH_INDEXER=process).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from dataclasses import dataclass

from flask import Flask

from app.core.search import SearchIndex
from app.extensions import db
from app.registry import registry
from app.search import indexer

#: How often a standing-by process tries to become the host's indexer.
LEADER_RETRY = 2.0
#: How often the indexer says it is alive (and prunes now and then).
HEARTBEAT = 10.0


@dataclass
class Running:
    thread: threading.Thread
    stop: threading.Event
    pid: int


def lock_path(app: Flask) -> str:
    return os.path.realpath(app.config["SEARCH_INDEX_DIR"]) + ".indexer.lock"


def run(app: Flask, stop: threading.Event, *, wait: bool = True) -> bool:
    """Be this host's indexer until `stop` is set. Returns False at once if another process
    is the indexer and `wait` is False; otherwise waits for its turn."""
    path = lock_path(app)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait or stop.wait(LEADER_RETRY):
                    return False
        try:
            _serve(app, stop)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return True


def _serve(app: Flask, stop: threading.Event) -> None:
    poll = float(app.config.get("SEARCH_POLL_SECONDS", 0.2))
    last_beat = 0.0
    while not stop.is_set():
        applied = 0
        with app.app_context():
            try:
                # A missing index is built (a damaged one is noticed by the next search,
                # which asks for the rebuild); checking health every poll would cost more.
                if indexer.get_index(app).exists() or indexer.ensure_index(app) == "ok":
                    applied = indexer.catch_up(limit=int(app.config.get("SEARCH_BATCH_SIZE",
                                                                        500)))
                    if time.monotonic() - last_beat > HEARTBEAT:
                        indexer.heartbeat(app)
                        last_beat = time.monotonic()
            except Exception:  # the log keeps the work: log it, wait, try again
                app.logger.exception("Search indexer: applying the change log failed")
                applied = 0
                stop.wait(min(5.0, 10 * poll))
            finally:
                db.session.remove()
        if applied <= 0:
            stop.wait(poll)


def start_in_process(app: Flask) -> None:
    """What each web process starts beside serving: the indexer thread (SEARCH_INDEXER=thread,
    Whoosh) and a background warm-up of the index, so the first search after a deploy does
    not pay for loading it. Called by gunicorn's post_worker_init (gunicorn.conf.py) and, for
    `flask run`, on the first request."""
    state = registry(app)
    if state.started_pid == os.getpid():
        return
    state.started_pid = os.getpid()
    if not indexer.uses_postgres(app) and app.config.get("SEARCH_INDEXER") == "thread":
        ensure_thread(app)
    if app.config.get("SEARCH_WARM", True):
        with app.app_context():
            index = indexer.get_index(app)
            if isinstance(index, SearchIndex):
                index.warm_in_background()
            else:
                try:
                    index.warm()
                except Exception:  # only an optimisation: never stop a worker starting
                    app.logger.exception("Search warm-up failed")


def ensure_thread(app: Flask) -> None:
    """Start this process's indexer thread (it becomes the host's indexer or stands by)."""
    state = registry(app)
    running = state.search_indexer
    if running is not None and running.pid == os.getpid() and running.thread.is_alive():
        return
    stop = threading.Event()
    thread = threading.Thread(target=run, args=(app, stop), name="search-indexer", daemon=True)
    state.search_indexer = Running(thread, stop, os.getpid())
    thread.start()


def stop_thread(app: Flask, timeout: float = 10.0) -> None:
    """Stop this process's indexer thread (between tests, and at shutdown)."""
    running = registry(app).search_indexer
    if running is not None:
        running.stop.set()
        running.thread.join(timeout)
        registry(app).search_indexer = None
