"""Every document of a full rebuild, built in batches (in worker processes if asked).

Building one document at a time costs about six queries per lesson; a batch of 500 costs a
handful (each source's `build_many`). With `procs` > 1 the batches are built in child
processes, each with its own app and database connection, and come back in whatever order
they finish (the index does not care about order).
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from itertools import islice
from typing import Any

from flask import Flask, current_app

from app.extensions import db
from app.search import sources
from app.search.sources import Doc

Batch = tuple[str, list[int]]


def batches(size: int = 500) -> list[Batch]:
    """Every (kind, ids) batch of a rebuild: ids read per source, `size` at a time."""
    out: list[Batch] = []
    for kind in sources.kinds():
        ids = sources.ids_of(kind)
        while chunk := list(islice(ids, size)):
            out.append((kind, chunk))
    return out


def iter_documents(progress: Callable[[int], None] | None = None, *, batch: int = 500,
                   procs: int = 1) -> Iterator[Doc]:
    """Every document the database says should be indexed, built fresh.

    `progress(n)` hears how many ids were considered since its last call (some, such as an
    unpublished material, give no document), so it reaches the count of `sources.all_keys()`.

    `procs` builder processes: one by default, because batched building is several times
    faster than the index can take documents in, and on two cores the index's own writer
    processes need the CPU (bench/bench_rebuild.py times each combination).
    """
    work = batches(batch)
    # Children cannot see a private in-memory SQLite database.
    if procs > 1 and not _shared_database(current_app.config["SQLALCHEMY_DATABASE_URI"]):
        procs = 1
    built = _in_workers(work, procs) if procs > 1 and len(work) > 1 else _here(work)
    for count, docs in built:
        if progress is not None:
            progress(count)
        yield from docs


def _here(work: list[Batch]) -> Iterator[tuple[int, list[Doc]]]:
    for kind, ids in work:
        yield len(ids), sources.build_batch(kind, ids)


def _in_workers(work: list[Batch], procs: int) -> Iterator[tuple[int, list[Doc]]]:
    """Build batches in `procs` child processes, at most two batches in flight per child (so
    a slow consumer does not pile up every built document in memory)."""
    # Spawned, not forked: the parent may be a threaded server holding locks and connections.
    context = multiprocessing.get_context("spawn")
    pending = iter(work)
    with ProcessPoolExecutor(procs, mp_context=context, initializer=_start_worker,
                             initargs=(_portable_config(current_app.config),)) as pool:
        running: set[Future[tuple[int, list[Doc]]]] = set()
        try:
            while True:
                while len(running) < 2 * procs and (item := next(pending, None)) is not None:
                    running.add(pool.submit(_build_in_worker, *item))
                if not running:
                    return
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            for future in running:
                future.cancel()


def _shared_database(uri: str) -> bool:
    return not (uri.startswith("sqlite") and (":memory:" in uri or uri.rstrip("/") == "sqlite:"))


def _portable_config(config: dict[str, Any]) -> dict[str, Any]:
    """The parent's settings a child app can be built from (values that cannot be pickled,
    such as a connection factory, are left to the child's defaults)."""
    portable = {}
    for key, value in config.items():
        try:
            pickle.dumps(value)
        except Exception:
            continue
        portable[key] = value
    return portable


#: The worker process's app (its context stays pushed for the life of the process).
_worker_app: Flask | None = None


def _start_worker(config: dict[str, Any]) -> None:
    global _worker_app
    from app import create_app

    _worker_app = create_app(config)
    _worker_app.app_context().push()
    # Never share a pooled connection with the parent: open our own on first use.
    db.engine.dispose(close=False)


def _build_in_worker(kind: str, ids: list[int]) -> tuple[int, list[Doc]]:
    try:
        return len(ids), sources.build_batch(kind, ids)
    finally:
        # End the read transaction and forget the rows, so the next batch sees fresh data.
        db.session.remove()
