"""`flask search rebuild|verify|drain`: the search index (a cache of the database)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.search import indexer, sources


def register_cli(app: Flask) -> None:
    """Add the `search` command group to the app."""
    search = AppGroup("search", help="The search index (a cache of the database).")

    @search.command("rebuild")
    def search_rebuild() -> None:
        """Rebuild the whole index from the database."""
        total = sum(1 for _ in sources.all_keys())
        with click.progressbar(length=total, label="Indexing") as bar:
            count = indexer.rebuild(progress=bar.update)
        click.echo(f"Indexed {count} documents.")

    @search.command("verify")
    def search_verify() -> None:
        """Report documents missing from or stale in the index; exit 1 if any."""
        report = indexer.verify()
        for label, keys in (("missing", report.missing), ("stale", report.stale),
                            ("not in the database", report.extra)):
            if keys:
                click.echo(f"{len(keys)} {label}: {', '.join(keys[:20])}"
                           + (" …" if len(keys) > 20 else ""))
        if not report.ok:
            raise SystemExit(1)
        click.echo("The index matches the database.")

    @search.command("drain")
    def search_drain() -> None:
        """Apply pending index updates from the outbox now."""
        applied = indexer.drain(limit=100_000, timeout=30)
        if applied == indexer.BUSY:
            raise click.ClickException("Another process is writing to the index; try again.")
        click.echo(f"Applied {applied} updates.")

    app.cli.add_command(search)
