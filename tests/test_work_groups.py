"""Work Groups, memberships, invitations and resets — including attempts to overstep."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db


def test_dashboard_lists_only_my_work_groups_and_their_schools(client, login, make_work_group,
                                                               make_user):
    mine, other = make_work_group(), make_work_group(code="NCP 24-12")
    login(make_user(group=mine))
    page = client.get("/").get_data(as_text=True)
    assert mine.title in page and other.title not in page


def test_work_group_page_lists_schools_members_and_roles(client, login, make_work_group,
                                                         make_user):
    group = make_work_group()
    make_user(name="Amira Holt", group=group, roles=("lead_participant", "subject_leader"))
    login(make_user(group=group))
    page = client.get(f"/work-groups/{group.id}").get_data(as_text=True)
    assert "Amira Holt" in page and "Lead participant, Subject leader" in page


def test_another_work_groups_page_is_not_found(client, login, make_work_group, make_user):
    mine, other = make_work_group(), make_work_group()
    login(make_user(group=mine))
    assert client.get(f"/work-groups/{other.id}").status_code == 404


def test_teacher_cannot_reach_admin_pages(client, login, make_work_group, make_user):
    group = make_work_group()
    login(make_user(group=group))
    for path in ("/admin/", "/admin/audit", "/admin/schools/new", "/admin/work-groups/new"):
        assert client.get(path).status_code == 403, path
    assert client.get(f"/admin/work-groups/{group.id}/members").status_code == 403
    assert client.get(f"/admin/work-groups/{group.id}/invite").status_code == 403


def test_teacher_cannot_change_memberships_here_or_elsewhere(app, client, login, make_work_group,
                                                             make_user):
    from app.accounts.models import Membership

    mine, other = make_work_group(), make_work_group()
    me = make_user(group=mine)
    victim = make_user(group=other)
    login(me)
    response = client.post(f"/admin/work-groups/{other.id}/members/{victim.id}",
                           data={"action": "remove"})
    assert response.status_code == 404
    response = client.post(f"/admin/work-groups/{mine.id}/members/{me.id}",
                           data={"roles": ["work_group_lead"], "school_id": mine.school_ids[0]})
    assert response.status_code == 403
    with app.app_context():
        mem = db.session.scalar(select(Membership).where(Membership.user_id == me.id))
        assert mem.roles == ["participant_teacher"]
        assert db.session.scalar(select(func.count()).select_from(Membership).where(
            Membership.user_id == victim.id)) == 1


def test_lead_of_one_group_cannot_manage_another(client, login, make_work_group, make_user):
    mine, other = make_work_group(), make_work_group()
    login(make_user(group=mine, roles=("work_group_lead",)))
    assert client.get(f"/admin/work-groups/{mine.id}/members").status_code == 200
    assert client.get(f"/admin/work-groups/{other.id}/members").status_code == 404
    assert client.get(f"/admin/work-groups/{other.id}/invite").status_code == 404


def test_hub_admin_manages_only_their_hub(client, login, make_hub, make_work_group, make_user):
    hub = make_hub()
    mine, other = make_work_group(hub_id=hub.id), make_work_group()
    login(make_user(site_role="hub_admin", admin_hub_id=hub.id))
    assert client.get(f"/admin/work-groups/{mine.id}/members").status_code == 200
    assert client.get(f"/admin/work-groups/{other.id}/members").status_code == 404
    assert mine.title in client.get("/admin/").get_data(as_text=True)


def test_lead_changes_roles_and_the_audit_log_records_it(app, client, login, make_work_group,
                                                         make_user):
    from app.accounts.models import AuditEvent, Membership

    group = make_work_group()
    lead = make_user(group=group, roles=("work_group_lead",))
    teacher = make_user(group=group)
    login(lead)
    response = client.post(f"/admin/work-groups/{group.id}/members/{teacher.id}",
                           data={"roles": ["lead_participant", "subject_leader"],
                                 "school_id": str(group.school_ids[1])})
    assert response.status_code == 302
    with app.app_context():
        mem = db.session.scalar(select(Membership).where(Membership.user_id == teacher.id))
        assert mem.roles == ["lead_participant", "subject_leader"]
        assert mem.school_id == group.school_ids[1]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action ==
                                                           "membership.changed"))
        assert "Subject leader" in event.detail and event.actor_id == lead.id


def test_membership_refuses_unknown_roles_and_outside_schools(client, login, make_work_group,
                                                              make_user, make_school):
    group = make_work_group()
    login(make_user(group=group, roles=("work_group_lead",)))
    teacher = make_user()
    outsider_school = make_school()
    bad_role = client.post(f"/admin/work-groups/{group.id}/members",
                           data={"email": teacher.email, "roles": ["emperor"]})
    assert bad_role.status_code == 400
    assert "Choose at least one role" in bad_role.get_data(as_text=True)
    bad_school = client.post(f"/admin/work-groups/{group.id}/members",
                             data={"email": teacher.email, "roles": ["participant_teacher"],
                                   "school_id": str(outsider_school.id)})
    assert "Choose one of this Work Group" in bad_school.get_data(as_text=True)
    ok = client.post(f"/admin/work-groups/{group.id}/members",
                     data={"email": teacher.email, "roles": ["participant_teacher"],
                           "school_id": str(group.school_ids[0])})
    assert ok.status_code == 302


def _invite(client, group, **data) -> str:
    response = client.post(f"/admin/work-groups/{group.id}/invite",
                           data={"role": "participant_teacher",
                                 "school_id": str(group.school_ids[0]), **data})
    assert response.status_code == 200
    match = re.search(r'value="(http://localhost/invitations/[^"]+)"',
                      response.get_data(as_text=True))
    assert match, "the invitation link is shown on screen"
    return match.group(1).replace("http://localhost", "")


def test_invitation_link_works_once(app, client, login, make_work_group, make_user):
    from app.accounts.models import Membership, User

    group = make_work_group()
    login(make_user(group=group, roles=("work_group_lead",)))
    link = _invite(client, group)
    client.post("/logout")
    newcomer = app.test_client()
    page = newcomer.get(link)
    assert page.status_code == 200 and group.title in page.get_data(as_text=True)
    response = newcomer.post(link, data={
        "display_name": "Nia Newcomer", "email": "Nia@Example.org", "password": "p" * 70,
        "confirm": "p" * 70})
    assert response.status_code == 302
    assert "Nia Newcomer" in newcomer.get("/").get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nia@example.org"))
        member = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
        assert member.work_group_id == group.id and member.roles == ["participant_teacher"]
    again = app.test_client().post(link, data={
        "display_name": "Intruder", "email": "x@example.org", "password": "q" * 12,
        "confirm": "q" * 12})
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)


def test_expired_invitation_gives_a_clear_error(app, client, login, make_work_group, make_user):
    from app.accounts.models import Invitation
    from app.timeutil import utcnow

    group = make_work_group()
    login(make_user(group=group, roles=("work_group_lead",)))
    link = _invite(client, group)
    with app.app_context():
        for invitation in db.session.scalars(select(Invitation)):
            invitation.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = app.test_client().get(link)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert app.test_client().get("/invitations/not-a-token").status_code == 404


def test_invitation_keeps_what_was_typed_when_invalid(client, login, make_work_group, make_user,
                                                      app):
    group = make_work_group()
    login(make_user(group=group, roles=("work_group_lead",)))
    link = _invite(client, group)
    response = app.test_client().post(link, data={
        "display_name": "Kept Name", "email": "kept@example.org", "password": "short",
        "confirm": "short"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'value="Kept Name"' in page and 'value="kept@example.org"' in page


def test_invitation_for_an_email_refuses_another_account(app, client, login, make_work_group,
                                                         make_user):
    group = make_work_group()
    login(make_user(group=group, roles=("work_group_lead",)))
    link = _invite(client, group, email="meant@example.org")
    client.post("/logout")
    stranger = make_user()
    login(stranger)
    assert client.post(link).status_code == 403


def test_admin_reset_link_sets_a_password_once(app, client, login, make_user):
    admin = make_user(site_role="site_admin")
    target = make_user()
    login(admin)
    page = client.post(f"/admin/users/{target.id}", data={"action": "reset"})
    link = re.search(r'value="http://localhost(/reset/[^"]+)"', page.get_data(as_text=True))
    assert link
    other = app.test_client()
    done = other.post(link.group(1), data={"password": "brand new secret", "confirm":
                                           "brand new secret"})
    assert done.status_code == 302
    assert other.post(link.group(1), data={"password": "another secret!", "confirm":
                                           "another secret!"}).status_code == 400
    assert other.post("/login", data={"email": target.email,
                                      "password": "brand new secret"}).status_code == 302


def test_teacher_cannot_issue_reset_links_or_disable_people(client, login, make_user):
    teacher, target = make_user(), make_user()
    login(teacher)
    assert client.post(f"/admin/users/{target.id}", data={"action": "reset"}).status_code == 403
    assert client.post(f"/admin/users/{target.id}", data={"action": "disable"}).status_code == 403


def test_admin_disables_an_account(app, client, login, make_user):
    admin, target = make_user(site_role="site_admin"), make_user()
    victim_client = app.test_client()
    login(target, victim_client)
    login(admin)
    assert client.post(f"/admin/users/{target.id}", data={"action": "disable"}).status_code == 302
    assert victim_client.get("/").status_code == 302


def test_site_admin_creates_work_group_with_validation(app, client, login, make_hub, make_school,
                                                       make_user):
    from app.accounts.models import WorkGroup

    hub = make_hub()
    school = make_school(hub_id=hub.id)
    login(make_user(site_role="site_admin"))
    bad = client.post("/admin/work-groups/new", data={
        "hub_id": hub.id, "project_code": "NCP 25-15", "title": "Secondary community",
        "programme_stage": "secondary_tfm", "phase": "secondary", "academic_year": "2025/27"})
    assert bad.status_code == 400
    assert "Write the academic year like 2024/25" in bad.get_data(as_text=True)
    assert 'value="Secondary community"' in bad.get_data(as_text=True)
    ok = client.post("/admin/work-groups/new", data={
        "hub_id": hub.id, "project_code": "NCP25-15", "title": "Secondary community",
        "programme_stage": "secondary_tfm", "phase": "secondary", "academic_year": "2025/26",
        "school_ids": [str(school.id)]})
    assert ok.status_code == 302
    with app.app_context():
        group = db.session.scalar(select(WorkGroup).where(WorkGroup.code_key == "NCP25-15"))
        assert group.project_code == "NCP25-15" and [s.id for s in group.schools] == [school.id]


def test_project_codes_match_spaced_or_unspaced():
    from app.accounts.models import project_code_key, valid_academic_year

    assert project_code_key("NCP 24-11") == project_code_key("ncp24-11") == "NCP24-11"
    assert valid_academic_year("2024/25") and valid_academic_year("1999/00")
    assert not valid_academic_year("2024/26") and not valid_academic_year("24/25")


def test_school_form_validates_urn(client, login, make_user):
    login(make_user(site_role="site_admin"))
    bad = client.post("/admin/schools/new", data={"name": "Moorside Primary", "phase": "primary",
                                                  "urn": "12ab"})
    assert bad.status_code == 400 and "6 digits" in bad.get_data(as_text=True)
    ok = client.post("/admin/schools/new", data={"name": "Moorside Primary", "phase": "primary",
                                                 "urn": "123456"})
    assert ok.status_code == 302
    page = client.get(ok.headers["Location"]).get_data(as_text=True)
    assert "Moorside Primary" in page and "123456" in page
