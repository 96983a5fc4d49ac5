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
