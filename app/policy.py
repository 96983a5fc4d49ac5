"""Who may see, edit or administer what. Every permission decision is made here.

Who may see and edit plans, lessons, research lessons and Work Groups is written once, as data,
in app/visibility.py; the functions here that answer for those kinds are derived from it, as
are the SQL filter, the search tokens and notification visibility.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement

from app import visibility
from app.accounts.models import Membership, School, User, WorkGroup

if TYPE_CHECKING:  # the features' models import this module's callers; names for types only
    from app.materials.models import Material
    from app.observations.models import Observation, ResearchLesson
    from app.planning.models import Lesson, Sequence
    from app.reviews.models import ReviewRequest
    from app.revisions.models import Revision
    from app.workgroups.models import ActionPlan


def membership(user: User, work_group_id: int) -> Membership | None:
    """The user's membership of a Work Group, if any."""
    for member in user.memberships:
        if member.work_group_id == work_group_id:
            return member
    return None


def work_group_ids(user: User) -> set[int]:
    """Ids of the Work Groups the user belongs to."""
    return visibility.MEMBERS.values(user)


def school_ids(user: User) -> set[int]:
    """Schools the user belongs to: their own and those they represent in Work Groups."""
    return visibility.SCHOOL.values(user)


def is_work_group_lead(user: User, work_group: WorkGroup) -> bool:
    """Named as the group's Lead, or given the Lead role in it."""
    return visibility.is_lead(user, work_group)


def can_see_admin(user: User) -> bool:
    """Admin pages are for site admins and hub admins."""
    return user.is_site_admin or (user.is_hub_admin and user.admin_hub_id is not None)


def can_manage_hubs(user: User) -> bool:
    return user.is_site_admin


def can_manage_schools(user: User) -> bool:
    return can_see_admin(user)


def can_create_work_group(user: User, hub_id: int) -> bool:
    return user.is_site_admin or (user.is_hub_admin and user.admin_hub_id == hub_id)


def can_manage_work_group(user: User, work_group: WorkGroup) -> bool:
    """Site admins, the hub's admins and the group's Lead manage members and invitations."""
    return can_create_work_group(user, work_group.hub_id) or is_work_group_lead(user, work_group)


def can_view_work_group(user: User, work_group: WorkGroup) -> bool:
    """Members, the Lead, the hub's admins and site admins."""
    return visibility.allows(user, visibility.WORK_GROUP_READ, work_group)


def can_manage_user(user: User, target: User) -> bool:
    """Site admins manage everyone; hub admins manage people in their hub's Work Groups."""
    if user.is_site_admin:
        return True
    if user.is_hub_admin and user.admin_hub_id is not None and not target.is_site_admin:
        return any(m.work_group.hub_id == user.admin_hub_id for m in target.memberships)
    return False


def can_view_school(user: User, school: School) -> bool:
    """School pages list members; any signed-in user may see which schools take part."""
    return user.is_authenticated


# --- planning ---------------------------------------------------------------------------------

def can_view_sequence(user: User, sequence: Sequence) -> bool:
    """Read access follows the sequence's visibility (visibility.SEQUENCE_READ)."""
    return visibility.allows(user, visibility.SEQUENCE_READ, sequence)


def can_edit_sequence(user: User, sequence: Sequence) -> bool:
    """Members of the owning Work Group edit; school-only content needs that school too."""
    return visibility.allows(user, visibility.SEQUENCE_EDIT, sequence)


def can_edit_plan_in(user: User, work_group_id: int, visibility_value: str,
                     school_id: int) -> bool:
    """can_edit_sequence from the owning group, visibility and school alone (for lists)."""
    return visibility.allows(user, visibility.SEQUENCE_EDIT, {
        "work_group_id": work_group_id, "visibility": visibility_value, "school_id": school_id})


def can_restore_sequence(user: User, sequence: Sequence) -> bool:
    """Authors and the group's leads bring archived plans back."""
    if not can_edit_sequence(user, sequence) and not is_work_group_lead(user, sequence.work_group):
        return False
    return True


def can_create_in(user: User, work_group_id: int, school_id: int) -> bool:
    """A member creates plans for their Work Group and a school they belong to there."""
    member = membership(user, work_group_id)
    if member is None:
        return False
    if is_work_group_lead(user, member.work_group):
        return school_id in {s.id for s in member.work_group.schools}
    return school_id in school_ids(user)


def can_approve_sequence(user: User, sequence: Sequence) -> bool:
    """Subject leaders of the owning school and the Work Group Lead approve."""
    member = membership(user, sequence.work_group_id)
    if member is None:
        return False
    if is_work_group_lead(user, sequence.work_group):
        return True
    return member.has_role("subject_leader") and member.school_id == sequence.school_id


def visible_sequences_clause(user: User) -> ColumnElement[bool]:
    """SQL condition matching the sequences the user may read (the same rule)."""
    return visibility.sql_filter(user, visibility.SEQUENCE_READ)


# --- search -------------------------------------------------------------------------------------
# The index stores, for each document, the tokens of those who may read it; a search passes the
# reader's tokens as a filter inside the query. Both come from app/visibility.py.


def sequence_access_tokens(sequence: Sequence) -> list[str]:
    """Who may read a sequence (and its lessons), as index tokens."""
    return visibility.object_tokens(visibility.SEQUENCE_READ, sequence)


def search_access_tokens(user: User) -> list[str]:
    """The index tokens a reader holds: computed per search, so changes apply at once."""
    return visibility.reader_tokens(user)


# --- PD materials and subject-knowledge logs -------------------------------------------------


def can_curate_materials(user: User) -> bool:
    """Site admins, hub admins and Work Group Leads curate the PD materials catalogue."""
    if user.is_site_admin or (user.is_hub_admin and user.admin_hub_id is not None):
        return True
    return bool(visibility.led_group_ids(user))


def can_suggest_material(user: User) -> bool:
    return user.is_authenticated


def can_view_material(user: User, material: Material) -> bool:
    """Published: everyone; a suggestion: curators and its author."""
    return (material.status == "published" or can_curate_materials(user)
            or material.suggested_by_id == user.id)


def can_view_study_log(viewer: User, owner: User) -> bool:
    """Owner; subject leader/headteacher of the owner's school; Lead of a group the owner is in.

    Not site admins: a study log is personal professional data.
    """
    if viewer.id == owner.id:
        return True
    owner_schools = school_ids(owner)
    if any(m.school_id in owner_schools and m.has_role("subject_leader", "headteacher")
           for m in viewer.memberships if m.school_id):
        return True
    return any(is_work_group_lead(viewer, m.work_group) for m in owner.memberships)


def can_view_school_learning(viewer: User, school_id: int) -> bool:
    return any(m.school_id == school_id and m.has_role("subject_leader", "headteacher")
               for m in viewer.memberships)


def can_view_group_learning(viewer: User, work_group: WorkGroup) -> bool:
    return is_work_group_lead(viewer, work_group)


# --- research lessons and observations ---------------------------------------------------------

def in_work_group(user: User, work_group: WorkGroup) -> bool:
    """A member of the Work Group, or its Lead."""
    return visibility.GROUP.holds(user, work_group.id)


def can_schedule_research_lesson(user: User, lesson: Lesson) -> bool:
    """Members of the Work Group that owns the plan schedule research lessons on it."""
    sequence = lesson.sequence
    return can_view_sequence(user, sequence) and in_work_group(user, sequence.work_group)


def can_view_research_lesson(user: User, research_lesson: ResearchLesson) -> bool:
    """Readers of the lesson who are in the Work Group; the teacher's school only if restricted."""
    return visibility.allows(user, visibility.RESEARCH_LESSON_READ, research_lesson)


def can_edit_research_lesson(user: User, research_lesson: ResearchLesson) -> bool:
    """The teacher, whoever scheduled it, and the Work Group Lead change its details."""
    if not can_view_research_lesson(user, research_lesson):
        return False
    return user.id in (research_lesson.teacher_id, research_lesson.created_by_id) or \
        is_work_group_lead(user, research_lesson.work_group)


def can_record_observation(user: User, research_lesson: ResearchLesson) -> bool:
    """Only the research lesson's observers record observations."""
    return can_view_research_lesson(user, research_lesson) and \
        user.id in research_lesson.observer_ids


def can_edit_observation(user: User, observation: Observation) -> bool:
    """An observation is its observer's own record: nobody else edits it."""
    return observation.observer_id == user.id and \
        can_record_observation(user, observation.research_lesson)


def can_record_discussion(user: User, research_lesson: ResearchLesson) -> bool:
    """Everyone who was in the room: the teacher, the organisers, the Lead and the observers."""
    return can_edit_research_lesson(user, research_lesson) or \
        can_record_observation(user, research_lesson)


def can_manage_agreed_changes(user: User, research_lesson: ResearchLesson) -> bool:
    """Those who held the discussion add agreed changes, decline or reopen them."""
    return can_record_discussion(user, research_lesson)


def can_address_agreed_change(user: User, research_lesson: ResearchLesson) -> bool:
    """Marking a change addressed means editing the plan: plan editors who can see the record."""
    return can_view_research_lesson(user, research_lesson) and \
        can_edit_sequence(user, research_lesson.lesson.sequence)


def research_lesson_access_tokens(research_lesson: ResearchLesson) -> list[str]:
    """Who may read a research lesson record, as index tokens."""
    return visibility.object_tokens(visibility.RESEARCH_LESSON_READ, research_lesson)


# --- sessions, action plans, board and overview ------------------------------------------------

# --- sessions ---------------------------------------------------------------------------------


def can_view_sessions(user: User, work_group: WorkGroup) -> bool:
    """Whoever sees the Work Group sees its year of sessions (and the calendar)."""
    return can_view_work_group(user, work_group)


def can_manage_sessions(user: User, work_group: WorkGroup) -> bool:
    """The Lead and the hub's admins plan sessions: dates, hosts, attendance, links."""
    return can_manage_work_group(user, work_group)


def can_edit_session_notes(user: User, work_group: WorkGroup) -> bool:
    """Members write the agenda and notes together, as do those who plan the sessions."""
    return membership(user, work_group.id) is not None or can_manage_work_group(user, work_group)


# --- action plans -------------------------------------------------------------------------------


def is_school_member(user: User, work_group: WorkGroup, school_id: int) -> bool:
    """The user represents this school in this Work Group."""
    member = membership(user, work_group.id)
    return member is not None and member.school_id == school_id


def can_view_action_plan(user: User, plan: ActionPlan) -> bool:
    """The school's members in the Work Group and the Work Group Lead; nobody else."""
    return is_school_member(user, plan.work_group, plan.school_id) or \
        is_work_group_lead(user, plan.work_group)


def can_edit_action_plan(user: User, plan: ActionPlan) -> bool:
    """Everyone who may read a plan shapes it; the signed-off version is never altered."""
    return can_view_action_plan(user, plan)


def can_create_action_plan(user: User, work_group: WorkGroup, school_id: int) -> bool:
    """A school's members start its plan, or the Lead does, for a school in the group."""
    if school_id not in {s.id for s in work_group.schools}:
        return False
    return is_school_member(user, work_group, school_id) or is_work_group_lead(user, work_group)


def can_sign_off_action_plan(user: User, plan: ActionPlan) -> bool:
    """The school's headteacher (in this Work Group) and the Work Group Lead sign off."""
    if is_work_group_lead(user, plan.work_group):
        return True
    member = membership(user, plan.work_group_id)
    return member is not None and member.school_id == plan.school_id and \
        member.has_role("headteacher")


def can_comment_on_action_plan(user: User, plan: ActionPlan) -> bool:
    """The headteacher and the Lead comment; the school's team answers by editing the plan."""
    return can_sign_off_action_plan(user, plan)


def can_moderate_action_plan_comments(user: User, plan: ActionPlan) -> bool:
    """Those who edit the plan mark comments resolved once they have acted on them."""
    return can_edit_action_plan(user, plan)


# --- discussion board -------------------------------------------------------------------------


def can_view_board(user: User, work_group: WorkGroup) -> bool:
    """The board is the group's own space: members and the Lead only (not admins)."""
    return membership(user, work_group.id) is not None or work_group.lead_id == user.id


def can_post_on_board(user: User, work_group: WorkGroup) -> bool:
    return can_view_board(user, work_group)


def can_moderate_board(user: User, work_group: WorkGroup) -> bool:
    """The Lead resolves and reopens anyone's threads; authors always may their own."""
    return can_view_board(user, work_group) and is_work_group_lead(user, work_group)


# --- overview -----------------------------------------------------------------------------------


def can_view_overview(user: User, work_group: WorkGroup) -> bool:
    """The Work Group Lead and site admins see every school's progress side by side."""
    return user.is_site_admin or is_work_group_lead(user, work_group)


# --- reviews -----------------------------------------------------------------------------------

def is_subject_leader_of(user: User, school_id: int) -> bool:
    """True when one of the user's memberships makes them subject leader for that school."""
    return any(m.school_id == school_id and m.has_role("subject_leader")
               for m in user.memberships)


def can_review_for(user: User, sequence: Sequence, school_id: int) -> bool:
    """Approve or ask for changes to a plan (a sequence or its lessons) for one school.

    Per-school adoption: each school's subject leader decides for their own school only; the
    Work Group Lead decides for any school in the group. Either must be able to read the plan.
    """
    if user.disabled or not can_view_sequence(user, sequence):
        return False
    group = sequence.work_group
    in_group = school_id == sequence.school_id or school_id in {s.id for s in group.schools}
    if in_group and is_work_group_lead(user, group):
        return True
    return is_subject_leader_of(user, school_id)


def own_revision_reason(user: User, revision: Revision) -> str | None:
    """Why the user may not approve this revision (they wrote it), or None if they may."""
    if revision.author_id == user.id:
        return (f"You saved revision {revision.number}, and authors may not approve their own "
                "revision. Ask another subject leader or the Work Group Lead to approve it.")
    return None


def can_request_review(user: User, sequence: Sequence, school_id: int) -> bool:
    """Editors ask for their plan's own school; any reader asks for a school they belong to
    (to adopt a shared plan there)."""
    if not can_view_sequence(user, sequence):
        return False
    if school_id == sequence.school_id and can_edit_sequence(user, sequence):
        return True
    return school_id in school_ids(user)


def can_view_review(user: User, request: ReviewRequest, sequence: Sequence) -> bool:
    """The requester, the reviewer, anyone who may decide it, and members of the plan's Work
    Group, provided they can still read the plan."""
    if not can_view_sequence(user, sequence):
        return False
    if user.id in (request.requested_by_id, request.reviewer_id):
        return True
    if membership(user, sequence.work_group_id) is not None:
        return True
    return is_work_group_lead(user, sequence.work_group) or can_review_for(
        user, sequence, request.school_id)


def can_view_group_digest(user: User, work_group: WorkGroup) -> bool:
    """"Before the next session" and the activity feed: the group's members and its Lead."""
    return membership(user, work_group.id) is not None or is_work_group_lead(user, work_group)
