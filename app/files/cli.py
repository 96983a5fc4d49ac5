"""`flask files verify`: is every stored file there and unchanged? `flask files gc`: delete
stored content nothing uses."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import click
from flask import Flask
from flask.cli import AppGroup

from app.extensions import db
from app.files import garbage
from app.files.attachments import megabytes
from app.files.storage import BlobStore, Problem, get_store

GRACE_MINUTES = int(garbage.DEFAULT_GRACE.total_seconds() // 60)


def register_cli(app: Flask) -> None:
    """Add the `files` command group to the app."""
    files = AppGroup("files", help="Stored files (images and attachments).")

    @files.command("verify")
    def files_verify() -> None:
        """Re-hash every stored file; list missing or corrupt ones and exit 1 if any."""
        store = get_store()
        problems: list[Problem] = []
        try:
            with click.progressbar(length=store.count(), label="Checking files") as bar:
                problems.extend(store.verify(progress=bar.update))
        finally:
            db.session.rollback()  # it only read
        for problem in problems:
            click.echo(f"{problem.kind}: {problem.hash} ({problem.detail})")
        _list_garbage(store)
        if problems:
            click.echo(f"{len(problems)} of {bar.length} files need attention "
                       f"(backend: {store.name}).", err=True)
            raise SystemExit(1)
        click.echo(f"All {bar.length} files are intact (backend: {store.name}).")

    @files.command("gc")
    @click.option("--grace-minutes", type=click.IntRange(min=0), default=GRACE_MINUTES,
                  show_default=True,
                  help="Only delete what was stored at least this long ago (an upload in "
                       "progress is never collected).")
    @click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
    def files_gc(grace_minutes: int, dry_run: bool) -> None:
        """Delete stored content no file version uses: catalogued blobs no version names and
        (folder store) files no catalogue row names, once older than the grace period.

        Content of removed files is kept (removing a file can be undone), and so is every
        version a plan revision had. Safe to run while the app serves requests."""
        store = get_store()
        try:
            found = list(garbage.find(store))
            with click.progressbar(length=len(found), label="Collecting unused files") as bar:
                done = garbage.collect(store, found, grace=timedelta(minutes=grace_minutes),
                                       dry_run=dry_run, progress=bar.update)
        finally:
            db.session.rollback()
        verb = "Would delete" if dry_run else "Deleted"
        for item in done.deleted:
            click.echo(f"{verb.lower()} {item.kind}: {item.name} ({item.size} bytes)")
        click.echo(f"{verb} {len(done.deleted)} unused files ({megabytes(done.freed)}); kept "
                   f"{done.kept} younger than {grace_minutes} minutes or in use again "
                   f"(backend: {store.name}).")

    @files.command("extract")
    def files_extract() -> None:
        """Read the text of files waiting for it, for search (pictures and types with no
        reader are marked done). The app does this after each upload; run it from cron to
        pick up what a stopped process left. Safe beside running app processes."""
        from app.files import extraction

        with click.progressbar(length=extraction.pending_count(),
                               label="Reading files for search") as bar:
            done = extraction.extract_pending(progress=bar.update)
        click.echo(f"Read {done.read} files; {done.noted} with a note instead of text; "
                   f"{done.skipped} with nothing to read.")
        for note, count in sorted(Counter(done.notes).items()):
            click.echo(f"  {count} x {note}")

    app.cli.add_command(files)


def _list_garbage(store: BlobStore) -> None:
    """List unused content (not an error: `flask files gc` deletes it)."""
    unused = list(garbage.find(store))
    db.session.rollback()
    for item in unused:
        click.echo(f"{item.kind}: {item.name} ({item.size} bytes, stored "
                   f"{item.stored_at:%Y-%m-%d %H:%M} UTC)")
    if unused:
        click.echo(f"{len(unused)} stored files are used by no file version "
                   f"({megabytes(sum(i.size for i in unused))}); `flask files gc` deletes "
                   f"those older than {GRACE_MINUTES} minutes.")
