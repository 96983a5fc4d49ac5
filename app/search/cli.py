"""`flask search rebuild|verify|status|worker|apply`: the search index (a cache of the database)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.search import indexer, log, sources, worker


def register_cli(app: Flask) -> None:
    """Add the `search` command group to the app."""
    search = AppGroup("search", help="The search index (a cache of the database).")

    @search.command("rebuild")
    def search_rebuild() -> None:
        """Build a new index from the database and swap it in (search keeps working)."""
        total = sum(1 for _ in sources.all_keys())
        with click.progressbar(length=total, label="Indexing") as bar:
            count = indexer.rebuild(progress=bar.update)
        click.echo(f"Indexed {count} documents.")

    @search.command("verify")
    @click.option("--sample", type=click.IntRange(min=1), default=None,
                  help="Check this many random documents instead of all of them.")
    def search_verify(sample: int | None) -> None:
        """Report documents missing from or stale in the index; exit 1 if any."""
        report = indexer.verify(sample=sample)
        for label, keys in (("missing", report.missing), ("stale", report.stale),
                            ("not in the database", report.extra)):
            if keys:
                click.echo(f"{len(keys)} {label}: {', '.join(keys[:20])}"
                           + (" …" if len(keys) > 20 else ""))
        if not report.ok:
            raise SystemExit(1)
        click.echo(f"The index matches the database ({report.checked} documents checked).")

    @search.command("status")
    def search_status() -> None:
        """The backend, its documents, and how far each host's index has applied the log."""
        backend = current_app.config.get("SEARCH_BACKEND", "whoosh")
        index = indexer.get_index()
        click.echo(f"Backend: {backend}")
        click.echo(f"Documents: {index.count() if index.exists() else 'no index yet'}")
        if indexer.uses_postgres(current_app):
            click.echo("Documents are written with each change: nothing is pending.")
            return
        click.echo(f"This index: {log.reader_name(current_app)}")
        click.echo(f"Log entries kept: {log.entries()}")
        readers = log.status()
        if not readers:
            click.echo("No index has applied the log yet.")
        for reader in readers:
            applied = reader.applied_at.strftime("%Y-%m-%d %H:%M:%S") if reader.applied_at \
                else "never"
            click.echo(f"- {reader.name}: {reader.pending} pending, position {reader.position}, "
                       f"{reader.documents} documents, last applied {applied}, "
                       f"last seen {reader.seen_at:%Y-%m-%d %H:%M:%S}")

    @search.command("apply")
    def search_apply() -> None:
        """Apply the change log to this host's index now (the indexer does this by itself)."""
        applied = indexer.catch_up(limit=1000, timeout=30)
        if applied == indexer.BUSY:
            raise click.ClickException("Another process is writing to the index; try again.")
        click.echo(f"Applied {applied} updates.")

    @search.command("worker")
    def search_worker() -> None:
        """Be this host's indexer: apply the change log to the index as it grows (runs until
        stopped; with SEARCH_INDEXER=process, start one per host beside the web workers)."""
        app_obj = current_app._get_current_object()  # type: ignore[attr-defined]
        stop = threading.Event()

        def finish(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, finish)
        signal.signal(signal.SIGINT, finish)
        click.echo(f"Search indexer for {log.reader_name(app_obj)} "
                   "(waiting for the host's indexer lock if another process holds it).")
        worker.run(app_obj, stop)

    app.cli.add_command(search)
