"""Load the fictional demo hub, Work Group, schools and people; running it twice changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import has_app_context
from sqlalchemy import select

from app.accounts import services
from app.accounts.models import Hub, Membership, School, User, WorkGroup, project_code_key
from app.demo.clock import SEED_NOW, shift_seed
from app.demo.materials_loader import STEP as MATERIALS_STEP
from app.demo.observations_loader import STEP as OBSERVATIONS_STEP
from app.demo.planning_loader import STEP as PLANNING_STEP
from app.demo.reviews_loader import STEP as REVIEWS_STEP
from app.demo.workgroups_loader import STEP as WORKGROUPS_STEP
from app.extensions import db
from app.workgroups import dates

SEED_PATH = Path(__file__).with_name("seed.json")
#: Shared by every demo account; printed by `make run`. Demo data only, never real accounts.
DEMO_PASSWORD = "demo-password-2025"
DEMO_ADMIN: dict[str, Any] = {"id": "p-admin", "display_name": "Alex Ridley",
              "email": "admin@larkmoor-hub.example.org", "job_title": "Maths Hub administrator",
              "school_id": None}

Step = Callable[[dict[str, Any], dict[str, Any]], None]


def raw_seed() -> dict[str, Any]:
    """The seed as written: the 2024/25 story."""
    return json.loads(SEED_PATH.read_text())


def _existing_group(seed: dict[str, Any]) -> WorkGroup | None:
    """The demo Work Group if it was loaded before (whatever year it has moved on to)."""
    hub = db.session.scalar(select(Hub).where(Hub.name == seed["hub"]["name"]))
    if hub is None:
        return None
    return db.session.scalar(select(WorkGroup).where(
        WorkGroup.code_key == project_code_key(seed["work_group"]["project_code"]),
        WorkGroup.hub_id == hub.id).order_by(WorkGroup.id).limit(1))


def demo_today(seed: dict[str, Any], today: dt.date | None = None) -> dt.date:
    """The day the demo's dates are relative to: the day it was first loaded (kept as its Work
    Group's creation date, so loading again later finds the same records), else `today`."""
    group = _existing_group(seed) if has_app_context() else None
    if group is not None:
        made = group.created_at.date()
        if group.academic_year < dates.academic_year_of(made):
            # Loaded before the demo's dates were relative: it keeps the seed's own dates.
            return SEED_NOW.date()
        return made
    return today or dates.today()


def read_seed(today: dt.date | None = None) -> dict[str, Any]:
    """The seed with its dates moved into the current academic year (app.demo.clock)."""
    seed = raw_seed()
    return shift_seed(seed, demo_today(seed, today))


def load_demo(progress: Callable[[str], None] = lambda _msg: None,
              today: dt.date | None = None) -> dict[str, Any]:
    """Create (or find) every demo record; returns the id maps for later feature loaders.

    Dates are relative to `today` (default: today in England) on the first load."""
    seed = read_seed(today)
    ids: dict[str, Any] = {}
    for name, step in STEPS:
        step(seed, ids)
        db.session.flush()
        progress(name)
    return ids


def _hub(seed: dict[str, Any], ids: dict[str, Any]) -> None:
    data = seed["hub"]
    hub = db.session.scalar(select(Hub).where(Hub.name == data["name"]))
    if hub is None:
        hub = Hub(name=data["name"], region=data.get("region", ""))
        db.session.add(hub)
        db.session.flush()
    ids[data["id"]] = hub


def _schools(seed: dict[str, Any], ids: dict[str, Any]) -> None:
    hub = ids[seed["hub"]["id"]]
    for data in seed["schools"]:
        school = db.session.scalar(select(School).where(School.name == data["name"]))
        if school is None:
            school = School(name=data["name"], phase=data.get("phase", "primary"), hub_id=hub.id)
            db.session.add(school)
        ids[data["id"]] = school


def _people(seed: dict[str, Any], ids: dict[str, Any]) -> None:
    for data in [*seed["people"], DEMO_ADMIN]:
        user = db.session.scalar(select(User).where(User.email == data["email"]))
        if user is None:
            school = ids.get(data.get("school_id") or "")
            user = User(email=data["email"], display_name=data["display_name"],
                        job_title=data.get("job_title", ""),
                        school_id=school.id if school else None)
            services.set_password(user, DEMO_PASSWORD)
            db.session.add(user)
        ids[data["id"]] = user
    admin = ids[DEMO_ADMIN["id"]]
    admin.site_role = "site_admin"


def _work_group(seed: dict[str, Any], ids: dict[str, Any]) -> None:
    data = seed["work_group"]
    hub = ids[data["hub_id"]]
    group = _existing_group(seed)
    if group is None:
        # Created "on" the demo's day: demo_today reads it back on later loads.
        created = dt.datetime.combine(dt.date.fromisoformat(seed["_meta"]["demo_today"]),
                                      dt.time(12), tzinfo=dt.UTC)
        group = WorkGroup(hub_id=hub.id, project_code=data["project_code"],
                          code_key=project_code_key(data["project_code"]), title=data["name"],
                          programme_stage=data["programme_stage"], phase=data["phase"],
                          academic_year=data["academic_year"], created_at=created)
        db.session.add(group)
    group.schools = [ids[s] for s in data["school_ids"]]
    db.session.flush()
    group.lead_id = ids[data["lead_person_id"]].id
    ids[data["id"]] = group


def _memberships(seed: dict[str, Any], ids: dict[str, Any]) -> None:
    for data in seed["memberships"]:
        user, group = ids[data["person_id"]], ids[data["work_group_id"]]
        roles = [r for r in data["roles"] if r != "mastery_specialist"]
        member = db.session.scalar(select(Membership).where(
            Membership.user_id == user.id, Membership.work_group_id == group.id))
        if member is None:
            school = ids.get(data.get("school_id") or "")
            member = Membership(user=user, work_group=group,
                                school_id=school.id if school else None)
            member.set_roles(roles)
            db.session.add(member)


STEPS: list[tuple[str, Step]] = [
    ("hub", _hub), ("schools", _schools), ("people", _people), ("work group", _work_group),
    ("memberships", _memberships), MATERIALS_STEP, PLANNING_STEP, OBSERVATIONS_STEP,
    REVIEWS_STEP, WORKGROUPS_STEP,
]


def demo_accounts(seed: dict[str, Any] | None = None) -> list[tuple[str, str, str]]:
    """(e-mail, name, job title) of every demo account, for `make run` to print."""
    seed = seed or read_seed()
    return [(p["email"], p["display_name"], p.get("job_title", ""))
            for p in [DEMO_ADMIN, *seed["people"]]]
