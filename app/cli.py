"""Flask commands: users, demo data (search commands join as that feature arrives)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.accounts import services
from app.accounts.models import SITE_ROLES, School, User
from app.database import unit_of_work
from app.errors import ValidationError
from app.extensions import db


def _fail(error: ValidationError) -> None:
    messages = "; ".join(f"{k}: {v}" for k, v in error.fields.items()) or error.message
    raise click.ClickException(messages)


def register_cli(app: Flask) -> None:
    users = AppGroup("users", help="Create accounts and set passwords.")
    demo = AppGroup("demo", help="Fictional demo data.")

    @users.command("create")
    @click.option("--email", required=True)
    @click.option("--name", "display_name", required=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--school", "school_name", default="", help="Exact school name.")
    @click.option("--job-title", default="")
    @click.option("--site-role", type=click.Choice([r for r in SITE_ROLES if r]), default=None)
    def create_user(email: str, display_name: str, password: str, school_name: str,
                    job_title: str, site_role: str | None) -> None:
        """Create an account."""
        school = None
        if school_name:
            school = db.session.scalar(select(School).where(School.name == school_name))
            if school is None:
                raise click.ClickException(f"No school is called {school_name!r}.")
        try:
            with unit_of_work():
                user = services.create_user(email, display_name, password,
                                            school_id=school.id if school else None,
                                            job_title=job_title, site_role=site_role or "")
        except ValidationError as error:
            _fail(error)
        click.echo(f"Created {user.display_name} <{user.email}>.")

    @users.command("set-password")
    @click.option("--email", required=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    def set_password(email: str, password: str) -> None:
        """Set a password; the person's other sessions end."""
        user = db.session.scalar(select(User).where(User.email == services.normalise_email(email)))
        if user is None:
            raise click.ClickException(f"No account uses {email}.")
        try:
            with unit_of_work():
                services.set_password(user, password)
        except ValidationError as error:
            _fail(error)
        click.echo(f"Password set for {user.email}.")

    @demo.command("load")
    @click.option("--if-empty", is_flag=True, help="Only load into a database with no accounts.")
    def load(if_empty: bool) -> None:
        """Load the fictional demo Work Group (safe to run again: nothing changes twice)."""
        from app.demo.loader import DEMO_PASSWORD, STEPS, demo_accounts, load_demo

        has_users = db.session.scalar(select(User.id).limit(1)) is not None
        if if_empty and has_users:
            click.echo("The database already has accounts: demo data not loaded.")
        else:
            with (click.progressbar(length=len(STEPS), label="Loading demo data") as bar,
                  unit_of_work()):
                load_demo(progress=lambda _step: bar.update(1))
        click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for email, name, title in demo_accounts():
            click.echo(f"  {email:45} {name} — {title}")

    search = AppGroup("search", help="The search index (a cache of the database).")

    @search.command("rebuild")
    def search_rebuild() -> None:
        """Rebuild the whole index from the database."""
        from app.search import indexer, sources

        total = sum(1 for _ in sources.all_keys())
        with click.progressbar(length=total, label="Indexing") as bar:
            count = indexer.rebuild(progress=bar.update)
        click.echo(f"Indexed {count} documents.")

    @search.command("verify")
    def search_verify() -> None:
        """Report documents missing from or stale in the index; exit 1 if any."""
        from app.search import indexer

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
        from app.search import indexer

        applied = indexer.drain(limit=100_000, timeout=30)
        if applied == indexer.BUSY:
            raise click.ClickException("Another process is writing to the index; try again.")
        click.echo(f"Applied {applied} updates.")

    app.cli.add_command(search)
    app.cli.add_command(users)
    app.cli.add_command(demo)
