"""Who may see, edit or administer what. Every permission decision is made here."""

from __future__ import annotations

from app.accounts.models import Membership, School, User, WorkGroup


def membership(user: User, work_group_id: int) -> Membership | None:
    """The user's membership of a Work Group, if any."""
    for member in user.memberships:
        if member.work_group_id == work_group_id:
            return member
    return None


def work_group_ids(user: User) -> set[int]:
    """Ids of the Work Groups the user belongs to."""
    return {m.work_group_id for m in user.memberships}


def school_ids(user: User) -> set[int]:
    """Schools the user belongs to: their own and those they represent in Work Groups."""
    ids = {m.school_id for m in user.memberships if m.school_id}
    if user.school_id:
        ids.add(user.school_id)
    return ids


def is_work_group_lead(user: User, work_group: WorkGroup) -> bool:
    member = membership(user, work_group.id)
    return work_group.lead_id == user.id or bool(member and member.has_role("work_group_lead"))


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
    return membership(user, work_group.id) is not None or can_manage_work_group(user, work_group)


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

def hub_ids(user: User) -> set[int]:
    """Hubs whose 'everyone in the hub' content the user may read."""
    ids = {m.work_group.hub_id for m in user.memberships}
    if user.is_hub_admin and user.admin_hub_id:
        ids.add(user.admin_hub_id)
    return ids


def can_view_sequence(user: User, sequence) -> bool:
    """Read access follows the sequence's visibility."""
    if user.is_site_admin:
        return True
    visibility = sequence.visibility
    if visibility == "all":
        return True
    if visibility == "hub":
        return sequence.work_group.hub_id in hub_ids(user)
    if visibility == "work_group":
        return sequence.work_group_id in work_group_ids(user) or (
            is_work_group_lead(user, sequence.work_group))
    return sequence.school_id in school_ids(user)


def can_edit_sequence(user: User, sequence) -> bool:
    """Members of the owning Work Group edit; school-only content needs that school too."""
    return can_edit_plan_in(user, sequence.work_group_id, sequence.visibility, sequence.school_id)


def can_edit_plan_in(user: User, work_group_id: int, visibility: str, school_id: int) -> bool:
    """can_edit_sequence from the owning group, visibility and school alone (for lists)."""
    if membership(user, work_group_id) is None:
        return False
    return visibility != "school" or school_id in school_ids(user)


def can_restore_sequence(user: User, sequence) -> bool:
    """Authors and the group's leads bring archived plans back."""
    if not can_edit_sequence(user, sequence) and not is_work_group_lead(user, sequence.work_group):
        return False
    return True


def can_create_in(user: User, work_group_id: int, school_id: int) -> bool:
    """A member creates plans for their Work Group and a school they belong to there."""
    member = membership(user, work_group_id)
    if member is None:
        return False
    if member.has_role("work_group_lead"):
        return school_id in {s.id for s in member.work_group.schools}
    return school_id in school_ids(user)


def can_approve_sequence(user: User, sequence) -> bool:
    """Subject leaders of the owning school and the Work Group Lead approve."""
    member = membership(user, sequence.work_group_id)
    if member is None:
        return False
    if member.has_role("work_group_lead"):
        return True
    return member.has_role("subject_leader") and member.school_id == sequence.school_id


def visible_sequences_clause(user: User):
    """SQL condition matching the sequences the user may read (same rules as above)."""
    from sqlalchemy import and_, or_, select, true

    from app.accounts.models import WorkGroup
    from app.planning.models import Sequence

    if user.is_site_admin:
        return true()
    led = [m.work_group_id for m in user.memberships if m.has_role("work_group_lead")]
    hub_groups = select(WorkGroup.id).where(WorkGroup.hub_id.in_(hub_ids(user) or {-1}))
    return or_(
        Sequence.visibility == "all",
        and_(Sequence.visibility == "hub", Sequence.work_group_id.in_(hub_groups)),
        and_(Sequence.visibility == "work_group",
             Sequence.work_group_id.in_(work_group_ids(user) | set(led) or {-1})),
        and_(Sequence.visibility == "school", Sequence.school_id.in_(school_ids(user) or {-1})),
    )


# --- search -------------------------------------------------------------------------------------
# The index stores, for each document, the scope tokens that may read it; a search passes the
# reader's tokens as a filter inside the query. These two functions mirror can_view_sequence.


def sequence_access_tokens(sequence) -> list[str]:
    """Who may read a sequence (and its lessons), as index tokens."""
    tokens = ["site"]  # site admins read everything, as can_view_sequence allows
    if sequence.visibility == "all":
        tokens.append("all")
    elif sequence.visibility == "hub":
        tokens.append(f"hub:{sequence.work_group.hub_id}")
    elif sequence.visibility == "work_group":
        tokens.append(f"wg:{sequence.work_group_id}")
    else:
        tokens.append(f"school:{sequence.school_id}")
    return tokens


def search_access_tokens(user: User) -> list[str]:
    """The index tokens a reader holds: computed per search, so changes apply at once."""
    from sqlalchemy import select

    from app.extensions import db

    tokens = {"all"}
    if user.is_site_admin:
        tokens.add("site")
    tokens |= {f"hub:{h}" for h in hub_ids(user)}
    led = set(db.session.scalars(select(WorkGroup.id).where(WorkGroup.lead_id == user.id)))
    tokens |= {f"wg:{w}" for w in work_group_ids(user) | led}
    schools = school_ids(user)
    tokens |= {f"school:{s}" for s in schools}
    # Records limited to one school of one Work Group need both: one combined token each.
    tokens |= {f"wg:{w}:school:{s}" for w in work_group_ids(user) | led for s in schools}
    return sorted(tokens)


# --- PD materials and subject-knowledge logs -------------------------------------------------


def can_curate_materials(user: User) -> bool:
    """Site admins, hub admins and Work Group Leads curate the PD materials catalogue."""
    from sqlalchemy import select

    from app.extensions import db

    if user.is_site_admin or (user.is_hub_admin and user.admin_hub_id is not None):
        return True
    if any(m.has_role("work_group_lead") for m in user.memberships):
        return True
    led = db.session.scalar(select(WorkGroup.id).where(WorkGroup.lead_id == user.id).limit(1))
    return led is not None


def can_suggest_material(user: User) -> bool:
    return user.is_authenticated


def can_view_material(user: User, material) -> bool:
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
    return membership(user, work_group.id) is not None or work_group.lead_id == user.id


def can_schedule_research_lesson(user: User, lesson) -> bool:
    """Members of the Work Group that owns the plan schedule research lessons on it."""
    sequence = lesson.sequence
    return can_view_sequence(user, sequence) and in_work_group(user, sequence.work_group)


def can_view_research_lesson(user: User, research_lesson) -> bool:
    """Readers of the lesson who are in the Work Group; the teacher's school only if restricted."""
    if not can_view_sequence(user, research_lesson.lesson.sequence):
        return False
    if not in_work_group(user, research_lesson.work_group):
        return False
    return research_lesson.visibility != "school" or research_lesson.school_id in school_ids(user)


def can_edit_research_lesson(user: User, research_lesson) -> bool:
    """The teacher, whoever scheduled it, and the Work Group Lead change its details."""
    if not can_view_research_lesson(user, research_lesson):
        return False
    return user.id in (research_lesson.teacher_id, research_lesson.created_by_id) or \
        is_work_group_lead(user, research_lesson.work_group)


def can_record_observation(user: User, research_lesson) -> bool:
    """Only the research lesson's observers record observations."""
    return can_view_research_lesson(user, research_lesson) and \
        user.id in research_lesson.observer_ids


def can_edit_observation(user: User, observation) -> bool:
    """An observation is its observer's own record: nobody else edits it."""
    return observation.observer_id == user.id and \
        can_record_observation(user, observation.research_lesson)


def can_record_discussion(user: User, research_lesson) -> bool:
    """Everyone who was in the room: the teacher, the organisers, the Lead and the observers."""
    return can_edit_research_lesson(user, research_lesson) or \
        can_record_observation(user, research_lesson)


def can_manage_agreed_changes(user: User, research_lesson) -> bool:
    """Those who held the discussion add agreed changes, decline or reopen them."""
    return can_record_discussion(user, research_lesson)


def can_address_agreed_change(user: User, research_lesson) -> bool:
    """Marking a change addressed means editing the plan: plan editors who can see the record."""
    return can_view_research_lesson(user, research_lesson) and \
        can_edit_sequence(user, research_lesson.lesson.sequence)


# --- search -------------------------------------------------------------------------------------
# Tokens OR together, so "in the Work Group AND in this school" needs one combined token:
# wg:<work group id>:school:<school id>. A document that would need two schools gets a token
# nobody holds (it stays out of search, and the pages still answer for those allowed).

NOBODY = "nobody"


def research_lesson_access_tokens(research_lesson) -> list[str]:
    """Who may read a research lesson record, as index tokens (mirrors can_view_research_lesson)."""
    sequence = research_lesson.lesson.sequence
    group = research_lesson.work_group
    # Work Group members see the lesson through its visibility unless it is narrower than them.
    if sequence.visibility == "work_group" and sequence.work_group_id != group.id:
        return [NOBODY]
    if sequence.visibility == "hub" and sequence.work_group.hub_id != group.hub_id:
        return [NOBODY]
    schools: set[int | None] = set()
    if sequence.visibility == "school":
        schools.add(sequence.school_id)
    if research_lesson.visibility == "school":
        schools.add(research_lesson.school_id)
    if not schools:
        return [f"wg:{group.id}"]
    if len(schools) == 1 and None not in schools:
        return [f"wg:{group.id}:school:{schools.pop()}"]
    return [NOBODY]


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


def can_view_action_plan(user: User, plan) -> bool:
    """The school's members in the Work Group and the Work Group Lead; nobody else."""
    return is_school_member(user, plan.work_group, plan.school_id) or \
        is_work_group_lead(user, plan.work_group)


def can_edit_action_plan(user: User, plan) -> bool:
    """Everyone who may read a plan shapes it; the signed-off version is never altered."""
    return can_view_action_plan(user, plan)


def can_create_action_plan(user: User, work_group: WorkGroup, school_id: int) -> bool:
    """A school's members start its plan, or the Lead does, for a school in the group."""
    if school_id not in {s.id for s in work_group.schools}:
        return False
    return is_school_member(user, work_group, school_id) or is_work_group_lead(user, work_group)


def can_sign_off_action_plan(user: User, plan) -> bool:
    """The school's headteacher (in this Work Group) and the Work Group Lead sign off."""
    if is_work_group_lead(user, plan.work_group):
        return True
    member = membership(user, plan.work_group_id)
    return member is not None and member.school_id == plan.school_id and \
        member.has_role("headteacher")


def can_comment_on_action_plan(user: User, plan) -> bool:
    """The headteacher and the Lead comment; the school's team answers by editing the plan."""
    return can_sign_off_action_plan(user, plan)


def can_moderate_action_plan_comments(user: User, plan) -> bool:
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


def can_review_for(user: User, sequence, school_id: int) -> bool:
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


def own_revision_reason(user: User, revision) -> str | None:
    """Why the user may not approve this revision (they wrote it), or None if they may."""
    if revision.author_id == user.id:
        return (f"You saved revision {revision.number}, and authors may not approve their own "
                "revision. Ask another subject leader or the Work Group Lead to approve it.")
    return None


def can_request_review(user: User, sequence, school_id: int) -> bool:
    """Editors ask for their plan's own school; any reader asks for a school they belong to
    (to adopt a shared plan there)."""
    if not can_view_sequence(user, sequence):
        return False
    if school_id == sequence.school_id and can_edit_sequence(user, sequence):
        return True
    return school_id in school_ids(user)


def can_view_review(user: User, request, sequence) -> bool:
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
