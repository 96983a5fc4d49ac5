"""`flask materials import FILE`: load a catalogue from CSV or JSON."""

from __future__ import annotations

import os

import click
from flask import Flask
from flask.cli import AppGroup

from app.database import unit_of_work
from app.materials.importer import COLUMNS_HELP, MAX_IMPORT_BYTES, ImportRefused, import_file
from app.search import indexer


def register_cli(app: Flask) -> None:
    """Add the `materials` command group to the app."""
    materials = AppGroup("materials", help="PD materials catalogue.")

    @materials.command("import", help="Import PD materials from a CSV or JSON FILE.\n\n"
                                      + "\b\n" + COLUMNS_HELP,
                       short_help="Import PD materials from CSV or JSON.")
    @click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
    def import_command(path: str) -> None:
        # Check the size before reading, so a huge file is refused without loading it.
        size = os.path.getsize(path)
        if size > MAX_IMPORT_BYTES:
            raise click.ClickException(
                f"{path} is {size / 1_048_576:.1f} MB; the limit is "
                f"{MAX_IMPORT_BYTES // 1_048_576} MB. Nothing was imported.")
        with open(path, "rb") as handle:
            content = handle.read()
        bar = None

        def start(total: int) -> None:
            nonlocal bar
            bar = click.progressbar(length=total, label="Importing materials")
            bar.__enter__()

        try:
            with unit_of_work():
                report = import_file(None, os.path.basename(path), content,
                                     progress=lambda n: bar.update(n) if bar else None,
                                     on_rows=start)
        except ImportRefused as error:
            raise click.ClickException(f"{error} Nothing was imported.") from error
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
        _refresh_search()
        click.echo(report.summary())
        if report.refused:
            click.echo("Refused rows (nothing from them was saved):")
            for number, reason in report.refused:
                click.echo(f"  row {number}: {reason}")

    app.cli.add_command(materials)


def _refresh_search() -> None:
    """Apply the committed changes to this host's index now (the log keeps them otherwise)."""
    try:
        indexer.catch_up()
    except Exception as error:  # the index is a cache: never fail an import over it
        click.echo(f"Search index not updated yet ({error}); it catches up on the next change "
                   "or `flask search rebuild`.", err=True)
