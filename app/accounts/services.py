"""Account logic: passwords, sessions, invitations, resets and memberships."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from app import policy
from app.accounts.models import (
    PHASES,
    PROGRAMME_STAGES,
    SITE_ROLES,
    WG_ROLES,
    AuditEvent,
    Hub,
    Invitation,
    Membership,
    PasswordReset,
    School,
    User,
    WorkGroup,
    project_code_key,
    valid_academic_year,
)
from app.core.text import is_whole_number, one_line
from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.timeutil import aware, utcnow

MIN_PASSWORD = 10
#: Generous but bounded: scrypt hashes the whole password (no 72-byte truncation).
MAX_PASSWORD = 1024
# A real hash to compare against when the e-mail is unknown, so both paths take as long.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_rules(password: str, field: str = "password") -> None:
    """Raise ValidationError when a new password is too short or too long."""
    if len(password) < MIN_PASSWORD:
        raise ValidationError(fields={field: f"Use at least {MIN_PASSWORD} characters."})
    if len(password) > MAX_PASSWORD:
        raise ValidationError(fields={field: f"Use at most {MAX_PASSWORD} characters."})


def set_password(user: User, password: str) -> None:
    """Hash and store a new password, ending every other session of this user."""
    check_password_rules(password)
    user.password_hash = generate_password_hash(password, method="scrypt")
    rotate_session_token(user)


def rotate_session_token(user: User) -> None:
    """Invalidate every cookie issued for this user so far."""
    user.session_token = secrets.token_hex(16)


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same outcome either way).

    Passwords are compared whole: one longer than MAX_PASSWORD is refused before any lookup
    (no password that long can have been set), never cut down to a prefix that might match.
    """
    if len(password) > MAX_PASSWORD:
        return None
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    if user.disabled:
        return None
    user.last_login_at = utcnow()
    return user


@cache
def _user_with_memberships() -> Any:
    # Built once per process: every request runs it, and building costs more than running.
    return select(User).where(User.id == bindparam("user_id", type_=Integer)).options(
        joinedload(User.memberships).joinedload(Membership.role_rows),
        joinedload(User.memberships).joinedload(Membership.work_group),
        joinedload(User.named_lead_of))


def load_user_from_cookie(value: str) -> User | None:
    """Flask-Login loader: `id:token`, refused when the token was rotated or user disabled."""
    user_id, _, token = value.partition(":")
    if not is_whole_number(user_id) or not token:
        return None
    # One query for the user, memberships, roles, groups and the groups naming them Lead:
    # every page's policy checks need them, and a page view has a budget of five statements.
    user = db.session.scalars(_user_with_memberships(),
                              {"user_id": int(user_id)}).unique().first()
    if user is None or user.disabled or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def audit(actor: User | None, action: str, target: str, detail: str = "",
          work_group_id: int | None = None) -> None:
    db.session.add(AuditEvent(actor_id=actor.id if actor else None, action=action,
                              target=target, detail=detail, work_group_id=work_group_id))


# --- people -------------------------------------------------------------------------------

def create_user(email: str, display_name: str, password: str, *, school_id: int | None = None,
                job_title: str = "", site_role: str = "", admin_hub_id: int | None = None) -> User:
    """Create an account after checking the e-mail is free and the password acceptable."""
    errors: dict[str, str] = {}
    email = normalise_email(email)
    if "@" not in email or len(email) > 254 or " " in email:
        errors["email"] = "Enter an e-mail address like name@school.org.uk."
    elif db.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        errors["email"] = "An account with this e-mail already exists. Log in instead."
    display_name = one_line(display_name)
    if not display_name or len(display_name) > 120:
        errors["display_name"] = "Enter your name (up to 120 characters)."
    if site_role not in SITE_ROLES:
        errors["site_role"] = "Choose a site role from the list."
    if len(password) < MIN_PASSWORD or len(password) > MAX_PASSWORD:
        errors["password"] = f"Use between {MIN_PASSWORD} and {MAX_PASSWORD} characters."
    if errors:
        raise ValidationError(fields=errors)
    user = User(email=email, display_name=display_name, school_id=school_id,
                job_title=one_line(job_title)[:200], site_role=site_role, admin_hub_id=admin_hub_id)
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user


def change_password(user: User, current: str, new: str, confirm: str) -> None:
    """Change the user's own password; every other session ends."""
    if len(current) > MAX_PASSWORD or not check_password_hash(user.password_hash, current):
        raise ValidationError(fields={"current_password": "That is not your current password."})
    if new != confirm:
        raise ValidationError(fields={"confirm": "The two new passwords do not match."})
    check_password_rules(new, "new_password")
    set_password(user, new)
    audit(user, "password.changed", user.email)


def set_disabled(actor: User, target: User, disabled: bool) -> None:
    """Disable or re-enable an account; a disabled user is locked out at once."""
    if not policy.can_manage_user(actor, target):
        raise Forbidden("Only an admin can disable this account.")
    if actor.id == target.id:
        raise ValidationError("You cannot disable your own account.")
    target.disabled = disabled
    rotate_session_token(target)
    audit(actor, "user.disabled" if disabled else "user.enabled", target.email)


@dataclass(frozen=True)
class IssuedLink:
    token: str
    record_id: int


def issue_password_reset(actor: User, target: User, hours: int) -> IssuedLink:
    """A one-time reset link for an account the actor manages."""
    if not policy.can_manage_user(actor, target):
        raise Forbidden("Only an admin can issue a password-reset link for this account.")
    token = secrets.token_urlsafe(32)
    reset = PasswordReset(token_hash=hash_token(token), user_id=target.id, created_by_id=actor.id,
                          expires_at=utcnow() + timedelta(hours=hours))
    db.session.add(reset)
    db.session.flush()
    audit(actor, "password.reset_issued", target.email)
    return IssuedLink(token, reset.id)


def find_reset(token: str) -> PasswordReset:
    """A usable reset record, or a clear error for used or expired links."""
    reset = db.session.scalar(select(PasswordReset).where(
        PasswordReset.token_hash == hash_token(token)))
    if reset is None:
        raise NotFound("This password-reset link is not valid. Ask an admin for a new one.")
    if reset.used_at is not None:
        raise ValidationError("This password-reset link has already been used. "
                              "Ask an admin for a new one.")
    if aware(reset.expires_at) < utcnow():
        raise ValidationError("This password-reset link has expired. Ask an admin for a new one.")
    return reset


def use_reset(token: str, new: str, confirm: str) -> User:
    reset = find_reset(token)
    if new != confirm:
        raise ValidationError(fields={"confirm": "The two passwords do not match."})
    set_password(reset.user, new)
    reset.used_at = utcnow()
    return reset.user


# --- organisation -------------------------------------------------------------------------

def get_work_group(user: User, work_group_id: int) -> WorkGroup:
    """A Work Group the user may see, else NotFound (never reveals that it exists)."""
    group = db.session.get(WorkGroup, work_group_id)
    if group is None or not policy.can_view_work_group(user, group):
        raise NotFound()
    return group


def visible_work_groups(user: User) -> list[WorkGroup]:
    """The groups a user belongs to or manages, newest year first."""
    query = select(WorkGroup).order_by(WorkGroup.academic_year.desc(), WorkGroup.project_code)
    if user.is_site_admin:
        return list(db.session.scalars(query))
    groups = [g for g in db.session.scalars(query) if policy.can_view_work_group(user, g)]
    return groups


def validate_work_group(data: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    data = {**data, "project_code": one_line(data.get("project_code", "")),
            "title": one_line(data.get("title", ""))}
    if not data["project_code"] or len(data["project_code"]) > 40:
        errors["project_code"] = "Enter the project code, e.g. NCP 24-11."
    if not data["title"] or len(data["title"]) > 200:
        errors["title"] = "Enter a title (up to 200 characters)."
    if data.get("programme_stage") not in PROGRAMME_STAGES:
        errors["programme_stage"] = "Choose a programme stage from the list."
    if data.get("phase") not in PHASES:
        errors["phase"] = "Choose a phase from the list."
    if not valid_academic_year(data.get("academic_year", "")):
        errors["academic_year"] = "Write the academic year like 2024/25."
    return errors


def save_work_group(actor: User, data: dict[str, str], group: WorkGroup | None = None,
                    school_ids: list[int] | None = None) -> WorkGroup:
    """Create or update a Work Group (site admins, or hub admins for their hub)."""
    hub_id = int(data["hub_id"]) if is_whole_number(str(data.get("hub_id", ""))) else 0
    if group is None and not policy.can_create_work_group(actor, hub_id):
        raise Forbidden("Only a site admin or this hub's admin can create Work Groups here.")
    if group is not None and not policy.can_manage_work_group(actor, group):
        raise Forbidden()
    errors = validate_work_group(data)
    if group is None and db.session.get(Hub, hub_id) is None:
        errors["hub_id"] = "Choose a hub."
    if errors:
        raise ValidationError(fields=errors)
    if group is None:
        group = WorkGroup(hub_id=hub_id)
        db.session.add(group)
    group.project_code = one_line(data["project_code"])
    group.code_key = project_code_key(group.project_code)
    group.title = one_line(data["title"])
    group.programme_stage = data["programme_stage"]
    group.phase = data["phase"]
    group.academic_year = data["academic_year"].strip()
    if school_ids is not None:
        group.schools = [s for s in (db.session.get(School, i) for i in school_ids) if s]
    db.session.flush()
    audit(actor, "work_group.saved", group.label, work_group_id=group.id)
    return group


def save_school(actor: User, data: dict[str, str], school: School | None = None) -> School:
    if not policy.can_manage_schools(actor):
        raise Forbidden()
    errors: dict[str, str] = {}
    name = one_line(data.get("name", ""))
    if not name or len(name) > 200:
        errors["name"] = "Enter the school's name (up to 200 characters)."
    if data.get("phase") not in PHASES:
        errors["phase"] = "Choose a phase from the list."
    urn = data.get("urn", "").strip() or None
    if urn and not (is_whole_number(urn) and 5 <= len(urn) <= 8):
        errors["urn"] = "A URN is 6 digits, e.g. 100000. Leave it empty if you do not know it."
    elif urn:
        clash = db.session.scalar(select(School).where(School.urn == urn))
        if clash is not None and clash is not school:
            errors["urn"] = f"{clash.name} already has this URN."
    if errors:
        raise ValidationError(fields=errors)
    if school is None:
        school = School()
        db.session.add(school)
    school.name, school.phase, school.urn = name, data["phase"], urn
    if actor.is_hub_admin and school.hub_id is None:
        school.hub_id = actor.admin_hub_id
    db.session.flush()
    audit(actor, "school.saved", school.name)
    return school


def save_hub(actor: User, name: str, region: str) -> Hub:
    if not policy.can_manage_hubs(actor):
        raise Forbidden()
    name = one_line(name)
    if not name or len(name) > 200:
        raise ValidationError(fields={"name": "Enter the hub's name (up to 200 characters)."})
    if db.session.scalar(select(Hub).where(Hub.name == name)):
        raise ValidationError(fields={"name": "A hub with this name already exists."})
    hub = Hub(name=name, region=one_line(region)[:200])
    db.session.add(hub)
    db.session.flush()
    audit(actor, "hub.created", hub.name)
    return hub


def check_roles(roles: list[str]) -> list[str]:
    unknown = [r for r in roles if r not in WG_ROLES]
    if unknown or not roles:
        raise ValidationError(fields={"roles": "Choose at least one role from the list."})
    return roles


def set_membership(actor: User, group: WorkGroup, target: User, roles: list[str],
                   school_id: int | None) -> Membership:
    """Add a person to a Work Group or change their roles and school there."""
    if not policy.can_manage_work_group(actor, group):
        raise Forbidden("Only this Work Group's Lead or an admin can change its members.")
    check_roles(roles)
    if school_id is not None and school_id not in {s.id for s in group.schools}:
        raise ValidationError(fields={"school_id": "Choose one of this Work Group's schools."})
    member = policy.membership(target, group.id)
    before = member.role_labels if member else "not a member"
    if member is None:
        member = Membership(user=target, work_group=group)
        db.session.add(member)
    member.school_id = school_id
    member.set_roles(roles)
    if "work_group_lead" in roles and group.lead_id is None:
        group.lead_id = target.id
    db.session.flush()
    audit(actor, "membership.changed", f"{target.display_name} in {group.project_code}",
          f"{before} → {member.role_labels}", work_group_id=group.id)
    return member


def remove_membership(actor: User, group: WorkGroup, target: User) -> None:
    if not policy.can_manage_work_group(actor, group):
        raise Forbidden("Only this Work Group's Lead or an admin can change its members.")
    member = policy.membership(target, group.id)
    if member is None:
        raise NotFound()
    if group.lead_id == target.id:
        group.lead_id = None
    db.session.delete(member)
    target.memberships = [m for m in target.memberships if m is not member]
    audit(actor, "membership.removed", f"{target.display_name} in {group.project_code}",
          member.role_labels, work_group_id=group.id)


def invite(actor: User, group: WorkGroup, roles: list[str], school_id: int | None, email: str,
           days: int, name: str = "") -> IssuedLink:
    """Create a single-use invitation link; the caller shows it (and mails it if configured).

    Whoever may manage the group's members may give any of its roles (as on the members page).
    """
    if not policy.can_manage_work_group(actor, group):
        raise Forbidden("Only this Work Group's Lead or an admin can invite people.")
    errors: dict[str, str] = {}
    chosen = [r for r in WG_ROLES if r in set(roles)]  # WG_ROLES order, no repeats
    if not chosen or any(r not in WG_ROLES for r in roles):
        errors["roles"] = "Choose at least one role from the list."
    if school_id is not None and school_id not in {s.id for s in group.schools}:
        errors["school_id"] = "Choose one of this Work Group's schools."
    email = normalise_email(email)
    if email and ("@" not in email or len(email) > 254):
        errors["email"] = "Enter an e-mail address like name@school.org.uk, or leave it empty."
    name = one_line(name)
    if len(name) > 120:
        errors["name"] = "Write their name in up to 120 characters, or leave it empty."
    if errors:
        raise ValidationError(fields=errors)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(token_hash=hash_token(token), email=email, work_group_id=group.id,
                            school_id=school_id, role=chosen[0], roles=",".join(chosen),
                            name=name, invited_by_id=actor.id,
                            expires_at=utcnow() + timedelta(days=days))
    db.session.add(invitation)
    db.session.flush()
    audit(actor, "invitation.created", f"{name or email or 'someone'} to {group.project_code}",
          invitation.role_labels, work_group_id=group.id)
    return IssuedLink(token, invitation.id)


def pending_invitations(actor: User, group: WorkGroup) -> list[Invitation]:
    """Invitations to the group not used or revoked yet (expired ones too, to resend)."""
    if not policy.can_manage_work_group(actor, group):
        raise Forbidden("Only this Work Group's Lead or an admin can see its invitations.")
    return list(db.session.scalars(
        select(Invitation).where(Invitation.work_group_id == group.id,
                                 Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())))


def _managed_invitation(actor: User, group: WorkGroup, invitation_id: int) -> Invitation:
    # Only an invitation of this group, and only for those who may invite to it.
    if not policy.can_manage_work_group(actor, group):
        raise Forbidden("Only this Work Group's Lead or an admin can change its invitations.")
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.work_group_id != group.id:
        raise NotFound()
    if invitation.used_at is not None:
        raise ValidationError("This invitation has already been used.")
    return invitation


def revoke_invitation(actor: User, group: WorkGroup, invitation_id: int) -> Invitation:
    """Withdraw a pending invitation: its link stops working at once."""
    invitation = _managed_invitation(actor, group, invitation_id)
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        audit(actor, "invitation.revoked", f"{invitation.name or invitation.email or 'someone'} "
              f"to {group.project_code}", invitation.role_labels, work_group_id=group.id)
    return invitation


def resend_invitation(actor: User, group: WorkGroup, invitation_id: int,
                      days: int) -> tuple[Invitation, IssuedLink]:
    """A fresh link for a pending invitation, valid for `days` more; the old link stops working.

    Only the token's hash is kept, so the old link cannot be shown again: a new one is made.
    """
    invitation = _managed_invitation(actor, group, invitation_id)
    if invitation.revoked_at is not None:
        raise ValidationError("This invitation was withdrawn. Create a new one instead.")
    token = secrets.token_urlsafe(32)
    invitation.token_hash = hash_token(token)
    invitation.expires_at = utcnow() + timedelta(days=days)
    audit(actor, "invitation.resent", f"{invitation.name or invitation.email or 'someone'} "
          f"to {group.project_code}", invitation.role_labels, work_group_id=group.id)
    return invitation, IssuedLink(token, invitation.id)


def find_invitation(token: str) -> Invitation:
    """A usable invitation, or a clear error for a used or expired link."""
    invitation = db.session.scalar(select(Invitation).where(
        Invitation.token_hash == hash_token(token)))
    if invitation is None:
        raise NotFound("This invitation link is not valid. Ask your Work Group Lead for a new one.")
    if invitation.revoked_at is not None:
        raise ValidationError("This invitation has been withdrawn. "
                              "Ask your Work Group Lead for a new one if you still need it.")
    if invitation.used_at is not None:
        raise ValidationError("This invitation has already been used. If that was you, log in; "
                              "otherwise ask your Work Group Lead for a new link.")
    if aware(invitation.expires_at) < utcnow():
        raise ValidationError("This invitation has expired. "
                              "Ask your Work Group Lead for a new one.")
    return invitation


def accept_invitation(token: str, user: User | None, data: dict[str, str]) -> User:
    """Join the Work Group: a signed-in user joins as themselves, anyone else signs up."""
    invitation = find_invitation(token)
    if user is None:
        if data.get("password") != data.get("confirm"):
            raise ValidationError(fields={"confirm": "The two passwords do not match."})
        user = create_user(invitation.email or data.get("email", ""), data.get("display_name", ""),
                           data.get("password", ""), school_id=invitation.school_id,
                           job_title=data.get("job_title", ""))
    elif invitation.email and invitation.email != user.email:
        raise Forbidden("This invitation was sent to another e-mail address.")
    member = policy.membership(user, invitation.work_group_id)
    if member is None:
        member = Membership(user=user, work_group_id=invitation.work_group_id,
                            school_id=invitation.school_id)
        db.session.add(member)
    member.set_roles(sorted(set(member.roles) | set(invitation.role_list)))
    invitation.used_at = utcnow()
    invitation.used_by_id = user.id
    db.session.flush()
    audit(user, "invitation.accepted", f"{user.display_name} joined "
          f"{invitation.work_group.project_code}", invitation.role_labels,
          work_group_id=invitation.work_group_id)
    return user
