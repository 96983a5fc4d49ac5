"""Hubs, Work Groups, schools, people and their memberships."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.timeutil import utcnow

PROGRAMME_STAGES: dict[str, str] = {
    "mastery_readiness": "Mastery Readiness",
    "development": "Development",
    "embedding": "Embedding",
    "sustaining": "Sustaining",
    "mastering_number": "Mastering Number",
    "y5_8_continuity": "Year 5–8 Continuity",
    "sktm": "Specialist Knowledge for Teaching Maths",
    "secondary_tfm": "Secondary TfM",
    "other": "Other",
}
PHASES: dict[str, str] = {
    "primary": "Primary",
    "secondary": "Secondary",
    "cross_phase": "Cross-phase",
    "all_through": "All-through",
    "special": "Special",
    "other": "Other",
}
WG_ROLES: dict[str, str] = {
    "work_group_lead": "Work Group Lead",
    "lead_participant": "Lead participant",
    "participant_teacher": "Participant teacher",
    "subject_leader": "Subject leader",
    "headteacher": "Headteacher",
}
SITE_ROLES: dict[str, str] = {"": "None", "hub_admin": "Hub admin", "site_admin": "Site admin"}

ACADEMIC_YEAR_RE = re.compile(r"^(\d{4})/(\d{2})$")


def project_code_key(code: str) -> str:
    """Normalise a project code so `NCP 24-11` and `ncp24-11` compare equal."""
    return re.sub(r"\s+", "", code).upper()


def valid_academic_year(value: str) -> bool:
    """True for `2024/25` style years whose second part follows the first."""
    match = ACADEMIC_YEAR_RE.match(value.strip())
    if not match:
        return False
    start, end = int(match.group(1)), int(match.group(2))
    return (start + 1) % 100 == end


class Hub(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    region: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    work_groups: Mapped[list[WorkGroup]] = relationship(back_populates="hub")


class School(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phase: Mapped[str] = mapped_column(String(20), default="primary")
    #: Unique Reference Number from Get Information about Schools; optional, never invented.
    urn: Mapped[str | None] = mapped_column(String(8), unique=True)
    hub_id: Mapped[int | None] = mapped_column(ForeignKey("hub.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    hub: Mapped[Hub | None] = relationship()


class WorkGroupSchool(Model):
    """A school taking part in a Work Group."""

    work_group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id"), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), primary_key=True)


class WorkGroup(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id"))
    #: The project code as typed, e.g. "NCP 24-11".
    project_code: Mapped[str] = mapped_column(String(40))
    #: project_code without spaces, upper-cased, so spaced and unspaced forms match.
    code_key: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(200))
    programme_stage: Mapped[str] = mapped_column(String(40))
    phase: Mapped[str] = mapped_column(String(20))
    academic_year: Mapped[str] = mapped_column(String(7))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    hub: Mapped[Hub] = relationship(back_populates="work_groups")
    lead: Mapped[User | None] = relationship(foreign_keys=[lead_id])
    schools: Mapped[list[School]] = relationship(
        secondary="work_group_school", order_by="School.name"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="work_group", cascade="all, delete-orphan"
    )

    @property
    def stage_label(self) -> str:
        return PROGRAMME_STAGES.get(self.programme_stage, self.programme_stage)

    @property
    def label(self) -> str:
        return f"{self.project_code} {self.title} ({self.academic_year})"


class User(UserMixin, Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased: e-mail addresses are unique case-insensitively.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    job_title: Mapped[str] = mapped_column(String(200), default="")
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    password_hash: Mapped[str] = mapped_column(String(300), default="")
    #: Part of the login cookie; rotating it ends every session signed with the old one.
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16))
    #: "", "hub_admin" or "site_admin".
    site_role: Mapped[str] = mapped_column(String(20), default="")
    #: The hub a hub admin administers.
    admin_hub_id: Mapped[int | None] = mapped_column(ForeignKey("hub.id"))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    school: Mapped[School | None] = relationship()
    admin_hub: Mapped[Hub | None] = relationship()
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    #: Work Groups that name this person as their Lead. Read-only; the page loader fetches it
    #: with the user (app.visibility.led_group_ids uses it only when it was loaded that way).
    named_lead_of: Mapped[list[WorkGroup]] = relationship(
        primaryjoin="WorkGroup.lead_id == User.id", viewonly=True, lazy="select")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users at login
        return not self.disabled

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_site_admin(self) -> bool:
        return self.site_role == "site_admin"

    @property
    def is_hub_admin(self) -> bool:
        return self.site_role == "hub_admin"


class Membership(Model):
    """A person in a Work Group, representing a school, with one or more roles."""

    __table_args__ = (UniqueConstraint("user_id", "work_group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    work_group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id"), index=True)
    #: The school the member represents here; empty for hub staff such as the Lead.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    work_group: Mapped[WorkGroup] = relationship(back_populates="memberships")
    school: Mapped[School | None] = relationship()
    role_rows: Mapped[list[MembershipRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> list[str]:
        return sorted(r.role for r in self.role_rows)

    def set_roles(self, roles: list[str]) -> None:
        wanted = set(roles)
        self.role_rows = [r for r in self.role_rows if r.role in wanted]
        have = {r.role for r in self.role_rows}
        self.role_rows.extend(MembershipRole(role=role) for role in sorted(wanted - have))

    def has_role(self, *roles: str) -> bool:
        return any(r.role in roles for r in self.role_rows)

    @property
    def role_labels(self) -> str:
        return ", ".join(WG_ROLES.get(r, r) for r in self.roles)


class MembershipRole(Model):
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(30), primary_key=True)


class Invitation(Model):
    """A single-use, expiring link that brings a person into a Work Group."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the token: a leaked database does not leak usable links.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    work_group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    #: The first of `roles` (kept for code written when an invitation gave one role).
    role: Mapped[str] = mapped_column(String(30))
    #: Every role the invitation gives, comma-separated in WG_ROLES order.
    roles: Mapped[str] = mapped_column(String(200), default="")
    #: The newcomer's name as the inviter wrote it; fills the sign-up form's name.
    name: Mapped[str] = mapped_column(String(120), default="")
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: Set when someone who may invite to the Work Group withdrew the link.
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    work_group: Mapped[WorkGroup] = relationship()
    school: Mapped[School | None] = relationship()
    invited_by: Mapped[User] = relationship(foreign_keys=[invited_by_id])

    @property
    def role_list(self) -> list[str]:
        """The roles this invitation gives (one for invitations made before several)."""
        return [r for r in self.roles.split(",") if r] or [self.role]

    @property
    def role_labels(self) -> str:
        return ", ".join(WG_ROLES.get(r, r) for r in self.role_list)


class PasswordReset(Model):
    """A one-time password-reset link issued by an admin."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class AuditEvent(Model):
    """Who changed memberships, roles, visibility or approvals, and when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(60))
    work_group_id: Mapped[int | None] = mapped_column(ForeignKey("work_group.id"), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )

    actor: Mapped[User | None] = relationship()
