"""Flask commands for the whole app: users and demo data (features add their own)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.accounts import services
from app.accounts.models import SITE_ROLES, School, User
from app.database import unit_of_work
from app.demo.loader import DEMO_PASSWORD, STEPS, demo_accounts, load_demo
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

    app.cli.add_command(users)
    app.cli.add_command(demo)
