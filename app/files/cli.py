"""`flask files verify`: is every stored file there and unchanged?"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.extensions import db
from app.files.storage import Problem, get_store


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
        if problems:
            click.echo(f"{len(problems)} of {bar.length} files need attention "
                       f"(backend: {store.name}).", err=True)
            raise SystemExit(1)
        click.echo(f"All {bar.length} files are intact (backend: {store.name}).")

    app.cli.add_command(files)
