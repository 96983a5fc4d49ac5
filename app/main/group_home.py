"""The Work Group home: the group's plans, next session, research lessons and open work.

Every list is read through the visibility table's SQL filters (app.visibility.sql_filter), so
the home never lists a plan, research lesson or review the reader could not open. The page
costs a fixed number of statements however many plans and lessons the group has
(tests/test_planning_home.py counts them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app import policy, visibility
from app.accounts.models import Membership, User, WorkGroup
from app.core.markdown import SafeHtml
from app.extensions import db
from app.observations.models import AgreedChange, ResearchLesson
from app.planning.models import STATUSES, Lesson, Sequence
from app.planning.reference_data import STRANDS, YEAR_GROUPS
from app.reviews.approved import CHANGED_SINCE_APPROVAL, changed_since_approval
from app.reviews.waiting import WaitingReview, open_in_group
from app.workgroups import dates, sessions
from app.workgroups.models import WorkGroupSession

STRAND_NAMES: dict[str, str] = {code: name for code, name, _phase in STRANDS}
YEAR_NAMES: dict[str, str] = dict(YEAR_GROUPS)
#: Research lesson states in the order a cycle runs through them, with their headings.
STATES: dict[str, str] = {
    "scheduled": "Scheduled",
    "awaiting_observations": "Awaiting observations",
    "awaiting_discussion": "Awaiting discussion",
    "changes_open": "Agreed changes open",
}
#: Plans the home lists before "See all plans" (the Plans page lists them all).
HOME_PLANS_SHOWN = 12


@dataclass(frozen=True)
class PlanFilters:
    """The plan list's GET filters, checked: unknown values are ignored, not errors."""

    year_group: str = ""
    strand: str = ""
    status: str = ""
    mine: bool = False

    @classmethod
    def parse(cls, args: Any) -> PlanFilters:
        year, strand = args.get("year", ""), args.get("strand", "")
        status = args.get("status", "")
        return cls(year_group=year if year in YEAR_NAMES else "",
                   strand=strand if strand in STRAND_NAMES else "",
                   status=status if status in STATUSES else "",
                   mine=args.get("mine") == "1")

    @property
    def active(self) -> bool:
        return bool(self.year_group or self.strand or self.status or self.mine)


@dataclass(frozen=True)
class PlanRow:
    sequence: Sequence
    lesson_count: int
    #: Approved, but the draft (or a lesson) has changed since: never shown as "Approved".
    draft_changed: bool = False

    @property
    def year_label(self) -> str:
        return YEAR_NAMES.get(self.sequence.year_group, self.sequence.year_group)

    @property
    def strand_label(self) -> str:
        return STRAND_NAMES.get(self.sequence.strand, self.sequence.strand)

    @property
    def status_label(self) -> str:
        if self.draft_changed:
            return CHANGED_SINCE_APPROVAL
        return STATUSES.get(self.sequence.status, self.sequence.status)

    @property
    def status_class(self) -> str:
        return "draft" if self.draft_changed else self.sequence.status


@dataclass
class PlanList:
    filters: PlanFilters
    rows: list[PlanRow]
    #: How many plans match (the home shows the first HOME_PLANS_SHOWN).
    total: int
    #: (code, name) of the year groups and strands the group's plans this year use.
    year_options: list[tuple[str, str]]
    strand_options: list[tuple[str, str]]
    #: Whether the reader may start a plan in this group (a member with a school in it).
    can_create: bool


def plan_list(user: User, group: WorkGroup, filters: PlanFilters,
              limit: int | None = None) -> PlanList:
    """The group's plans of its academic year that the reader may see, newest change first."""
    base = [Sequence.work_group_id == group.id, Sequence.academic_year == group.academic_year,
            Sequence.archived_at.is_(None),
            visibility.sql_filter(user, visibility.SEQUENCE_READ)]
    wanted = list(base)
    if filters.year_group:
        wanted.append(Sequence.year_group == filters.year_group)
    if filters.strand:
        wanted.append(Sequence.strand == filters.strand)
    if filters.status:
        wanted.append(Sequence.status == filters.status)
    if filters.mine:
        wanted.append(Sequence.created_by_id == user.id)
    lessons = (select(func.count(Lesson.id))
               .where(Lesson.sequence_id == Sequence.id, Lesson.archived_at.is_(None))
               .correlate(Sequence).scalar_subquery())
    total = func.count().over()
    query = (select(Sequence, lessons, total).where(*wanted)
             .options(joinedload(Sequence.school), joinedload(Sequence.created_by))
             .order_by(Sequence.updated_at.desc(), Sequence.id.desc()))
    if limit is not None:
        query = query.limit(limit)
    found = db.session.execute(query).all()
    changed = changed_since_approval([sequence for sequence, *_ in found])
    # The filter choices come from the unfiltered list, so a filter never offers a dead end.
    facets = db.session.execute(select(Sequence.year_group, Sequence.strand).where(*base)
                                .distinct()).all()
    years = {row.year_group for row in facets} | ({filters.year_group} - {""})
    strands = {row.strand for row in facets} | ({filters.strand} - {""})
    return PlanList(
        filters=filters,
        rows=[PlanRow(sequence, count or 0, sequence.id in changed)
              for sequence, count, _total in found],
        total=found[0][2] if found else 0,
        year_options=[(code, name) for code, name in YEAR_GROUPS if code in years],
        strand_options=[(code, name) for code, name, _p in STRANDS if code in strands],
        can_create=any(policy.can_create_in(user, group.id, school.id)
                       for school in group.schools))


@dataclass
class NextSession:
    session: WorkGroupSession
    agenda: SafeHtml


def next_session(user: User, group: WorkGroup, today: dt.date | None = None
                 ) -> NextSession | None:
    """The group's next session (today or later) with its agenda. The caller has checked the
    reader sees the group, and whoever sees it sees its sessions (policy.can_view_sessions)."""
    found = db.session.scalar(
        select(WorkGroupSession).where(WorkGroupSession.work_group_id == group.id,
                                       WorkGroupSession.date >= (today or dates.today()))
        .order_by(WorkGroupSession.date, WorkGroupSession.start_time, WorkGroupSession.id)
        .limit(1))
    if found is None:
        return None
    return NextSession(found, sessions.note_html(user, sessions.head(found), "agenda"))


def research_state(research_lesson: ResearchLesson, today: dt.date) -> str:
    """Where a research lesson is in its cycle: a key of STATES, or "done".

    Open agreed changes come first (they are the work left); before the lesson is taught it is
    scheduled; then it waits for every invited observer's record, then for the discussion."""
    if any(change.status == "open" for change in research_lesson.agreed_changes):
        return "changes_open"
    if research_lesson.taught_on > today:
        return "scheduled"
    recorded = {o.observer_id for o in research_lesson.observations}
    if not recorded or not research_lesson.observer_ids <= recorded:
        return "awaiting_observations"
    if research_lesson.discussion is None and not research_lesson.agreed_changes:
        return "awaiting_discussion"
    return "done"


@dataclass
class ResearchBoard:
    """The group's research lessons of its academic year, by state, and their open changes."""

    by_state: dict[str, list[ResearchLesson]] = field(default_factory=dict)
    done: int = 0
    open_changes: list[AgreedChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.done and not any(self.by_state.values())


def research_board(user: User, group: WorkGroup, today: dt.date | None = None
                   ) -> ResearchBoard:
    """Visible research lessons of the group's year, grouped by state (three statements)."""
    day = today or dates.today()
    query = (select(ResearchLesson)
             .where(ResearchLesson.work_group_id == group.id,
                    visibility.sql_filter(user, visibility.RESEARCH_LESSON_READ))
             .options(joinedload(ResearchLesson.lesson).joinedload(Lesson.sequence),
                      joinedload(ResearchLesson.teacher), joinedload(ResearchLesson.discussion),
                      selectinload(ResearchLesson.observers),
                      selectinload(ResearchLesson.observations),
                      selectinload(ResearchLesson.agreed_changes))
             .order_by(ResearchLesson.taught_on, ResearchLesson.id))
    span = dates.academic_year_range(group.academic_year)
    if span is not None:
        query = query.where(ResearchLesson.taught_on.between(*span))
    board = ResearchBoard(by_state={key: [] for key in STATES})
    for research_lesson in db.session.scalars(query):
        state = research_state(research_lesson, day)
        if state == "done":
            board.done += 1
        else:
            board.by_state[state].append(research_lesson)
        # An agreed change is seen by whoever sees its research lesson (AGREED_CHANGE_READ).
        board.open_changes += [c for c in research_lesson.agreed_changes if c.status == "open"]
    return board


@dataclass
class GroupHome:
    group: WorkGroup
    plans: PlanList
    next: NextSession | None
    research: ResearchBoard
    reviews: list[WaitingReview]
    is_member: bool
    #: The members' people, loaded at once and held here: the session's identity map keeps
    #: rows only while something refers to them, and the members list reads each one.
    people: list[User] = field(default_factory=list)


def group_home(user: User, group: WorkGroup, filters: PlanFilters,
               today: dt.date | None = None) -> GroupHome:
    """Everything the Work Group home shows (the caller has checked the reader sees the group)."""
    people = list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.work_group_id == group.id)))
    return GroupHome(group=group, plans=plan_list(user, group, filters, HOME_PLANS_SHOWN),
                     next=next_session(user, group, today),
                     research=research_board(user, group, today),
                     reviews=open_in_group(user, group.id),
                     is_member=policy.can_view_group_digest(user, group), people=people)
