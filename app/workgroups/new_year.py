"""Starting a Work Group's next academic year.

The Work Group row moves on (its `academic_year` names the current year, so the session form
takes dates in the new year); nothing of the year before is changed. Sessions keep their own
year, action plans and sequences theirs, and research lessons, reviews and revisions hang off
those, so last year's work stays readable and searchable under its year ("2026/27").

Each current-year sequence is either carried forward or archived, as the Lead chooses:
- carried forward: a new sequence for the new year, made like an adaptation (app.planning.adapt
  .carry_forward): its own history from the old one's current text, with provenance to it. We
  copy rather than re-date the old sequence because a sequence's year is part of its search
  document, its reviews and its research lessons' records: re-dating it would move last
  year's evidence into this year;
- archived: the existing archive (reversible with "Restore" on the sequence page).

Membership is confirmed per person: a member left unconfirmed is removed exactly as the
members page removes them (app.accounts.services.remove_membership): their past records
stay, and their access goes with the membership. The Lead and the person starting the year
always stay.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from app import policy, visibility
from app.accounts import services as accounts
from app.accounts.models import Membership, User, WorkGroup
from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.planning import adapt
from app.planning.models import Sequence
from app.timeutil import utcnow
from app.workgroups import dates

#: What the Lead may choose for each current-year sequence.
CHOICES: dict[str, str] = {"carry": "Carry forward", "archive": "Archive"}


@dataclass
class MemberRow:
    membership: Membership
    #: Always stays: the group's Lead, or the person starting the year.
    fixed: bool


@dataclass
class NewYearPage:
    group: WorkGroup
    current: str
    next: str
    sequences: list[Sequence]
    members: list[MemberRow]
    #: Why the next year cannot start yet ("" when it can).
    blocked: str


@dataclass
class NewYearResult:
    year: str
    carried: list[Sequence]
    archived: list[Sequence]
    removed: list[User]


def manageable_group(user: User, work_group_id: int) -> WorkGroup:
    """The group, if the user may start its new year: 404 to outsiders, 403 to members."""
    group = db.session.get(WorkGroup, work_group_id)
    if group is None or not policy.can_view_work_group(user, group):
        raise NotFound()
    if not policy.can_manage_sessions(user, group):
        raise Forbidden("Only the Work Group Lead and the hub's admins start a new year.")
    return group


def _next_year(group: WorkGroup) -> str:
    following = dates.next_academic_year(group.academic_year)
    if following is None:  # stored years are always "2024/25"-shaped
        raise ValidationError(f"The Work Group's year “{group.academic_year}” is not an "
                              "academic year like 2024/25. Ask an admin to correct it.")
    return following


def _blocked(group: WorkGroup, today: dt.date) -> str:
    """A group already in a year that has not begun cannot skip further ahead."""
    now = dates.academic_year_of(today)
    if group.academic_year > now:
        return (f"The Work Group is already in {group.academic_year}, which has not begun "
                f"(this is {now}). Start the year after it once {group.academic_year} is under "
                "way.")
    return ""


def current_sequences(user: User, group: WorkGroup) -> list[Sequence]:
    """The group's sequences of its current year that are not archived and that `user` may
    read, by title. A plan kept to a school the Lead is not in stays as it is, in its year:
    nobody may carry forward or archive what they cannot read."""
    return list(db.session.scalars(select(Sequence).where(
        Sequence.work_group_id == group.id, Sequence.academic_year == group.academic_year,
        Sequence.archived_at.is_(None), visibility.sql_filter(user, visibility.SEQUENCE_READ))
        .order_by(Sequence.year_group, Sequence.title, Sequence.id)))


def _members(user: User, group: WorkGroup) -> list[MemberRow]:
    rows = [MemberRow(m, m.user_id in {user.id, group.lead_id}
                      or m.has_role("work_group_lead")) for m in group.memberships]
    return sorted(rows, key=lambda r: (not r.fixed, r.membership.user.display_name.casefold()))


def new_year_page(user: User, work_group_id: int, today: dt.date | None = None) -> NewYearPage:
    """What the "Start the next year" page shows: the choices to make."""
    group = manageable_group(user, work_group_id)
    return NewYearPage(group, group.academic_year, _next_year(group),
                       current_sequences(user, group),
                       _members(user, group), _blocked(group, today or dates.today()))


def start_new_year(user: User, work_group_id: int, choices: dict[int, str],
                   confirmed: set[int], today: dt.date | None = None,
                   from_year: str | None = None) -> NewYearResult:
    """Move the group into its next academic year.

    `choices` maps each current sequence's id to a key of CHOICES (every one must be chosen);
    `confirmed` holds the user ids of members who stay; `from_year` is the year the page was
    opened in (a second submit of the same page must not move the group on again).
    """
    group = manageable_group(user, work_group_id)
    if from_year is not None and from_year != group.academic_year:
        raise ValidationError(f"{group.project_code} has already moved to "
                              f"{group.academic_year}; nothing was changed.")
    following = _next_year(group)
    if reason := _blocked(group, today or dates.today()):
        raise ValidationError(reason)
    sequences = current_sequences(user, group)
    errors: dict[str, str] = {}
    for sequence in sequences:
        if choices.get(sequence.id) not in CHOICES:
            errors[f"sequence-{sequence.id}"] = (f"Choose whether to carry “{sequence.title}” "
                                                 f"forward to {following} or archive it.")
    # Choices for the group's plans this person cannot read are ignored (those plans stay as
    # they are); only ids that are no current plan at all mean the page is out of date.
    unknown = set(choices) - set(db.session.scalars(select(Sequence.id).where(
        Sequence.work_group_id == group.id, Sequence.academic_year == group.academic_year,
        Sequence.archived_at.is_(None))))
    if unknown:
        errors["form"] = ("The list of sequences has changed since the page was opened. "
                          "Check the choices below and start the year again.")
    if errors:
        raise ValidationError(fields=errors)

    previous = group.academic_year
    result = NewYearResult(following, [], [], [])
    for sequence in sequences:
        if choices[sequence.id] == "carry":
            result.carried.append(adapt.carry_forward(user, sequence, following))
        else:
            sequence.archived_at, sequence.archived_by_id = utcnow(), user.id
            result.archived.append(sequence)
    for row in _members(user, group):
        if not row.fixed and row.membership.user_id not in confirmed:
            result.removed.append(row.membership.user)
    for person in result.removed:
        accounts.remove_membership(user, group, person)
    group.academic_year = following
    db.session.flush()
    accounts.audit(user, "work_group.new_year", group.project_code,
                   f"{previous} → {following}: {len(result.carried)} sequence(s) carried "
                   f"forward, {len(result.archived)} archived, {len(result.removed)} member(s) "
                   "not continuing", work_group_id=group.id)
    return result
