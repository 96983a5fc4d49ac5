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
    tokens |= {f"school:{s}" for s in school_ids(user)}
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
