"""gunicorn settings read from the working directory (`make serve`, `gunicorn wsgi:app`)."""

from typing import Any


def post_worker_init(worker: Any) -> None:
    """Start the search indexer thread and warm-up as each worker starts, not on its first
    request, so the first search after a deploy is quick (app/search/worker.py)."""
    from app.search.worker import start_in_process

    start_in_process(worker.wsgi)
