"""Account and admin forms as a user meets them: errors beside the right field, typed text
kept, ids in other scripts' digits refused as field errors (never a 500 or a silent guess)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.extensions import db


def _invite_link(client, group) -> str:
    response = client.post(f"/admin/work-groups/{group.id}/invite",
                           data={"role": "participant_teacher"})
    assert response.status_code == 200
    match = re.search(r'value="http://localhost(/invitations/[^"]+)"',
                      response.get_data(as_text=True))
    assert match
    return match.group(1)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_invitation_refuses_an_email_without_a_name_before_the_at(app, client, login,
                                                                    make_work_group, make_user):
    group = make_work_group()
    login(make_user(group=group, roles=("work_group_lead",)))
    link = _invite_link(client, group)
    response = app.test_client().post(link, data={
        "display_name": "Nia Newcomer", "email": "@example.org", "password": "p" * 12,
        "confirm": "p" * 12})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="f-email-error">.*Enter an e-mail address like', page)
    assert 'value="Nia Newcomer"' in page and 'value="@example.org"' in page


def test_work_group_hub_in_other_digits_is_a_field_error_not_hub_one(app, client, login,
                                                                       make_hub, make_user):
    from app.accounts.models import WorkGroup

    hub = make_hub()
    assert hub.id == 1
    login(make_user(site_role="site_admin"))
    before = _count(app, WorkGroup)
    response = client.post("/admin/work-groups/new", data={
        "hub_id": "\u0661", "project_code": "NCP 25-15", "title": "Arabic-digit hub",
        "programme_stage": "secondary_tfm", "phase": "secondary", "academic_year": "2025/26"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="f-hub_id-error">.*Enter a whole number', page)
    assert 'value="Arabic-digit hub"' in page
    assert _count(app, WorkGroup) == before


def test_invitation_school_in_other_digits_is_a_field_error(app, client, login, make_work_group,
                                                           make_user):
    from app.accounts.models import Invitation

    group = make_work_group()
    login(make_user(group=group, roles=("work_group_lead",)))
    response = client.post(f"/admin/work-groups/{group.id}/invite", data={
        "role": "participant_teacher", "school_id": "\u0663", "email": "kept@example.org"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="f-school_id-error">.*Enter a whole number', page)
    assert 'value="kept@example.org"' in page
    assert _count(app, Invitation) == 0


def test_changing_a_member_to_a_school_in_other_digits_changes_nothing(app, client, login,
                                                                       make_work_group,
                                                                       make_user):
    from app.accounts.models import Membership

    group = make_work_group()
    login(make_user(group=group, roles=("work_group_lead",)))
    teacher = make_user(group=group)
    response = client.post(f"/admin/work-groups/{group.id}/members/{teacher.id}", data={
        "action": "save", "roles": ["subject_leader"], "school_id": "\u0662"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Enter a whole number" in page
    with app.app_context():
        member = db.session.scalar(select(Membership).where(Membership.user_id == teacher.id))
        assert member.roles == ["participant_teacher"] and member.school_id == teacher.school_id


def test_an_unknown_admin_button_on_a_person_is_refused(app, client, login, make_user):
    from app.accounts.models import User

    admin, target = make_user(site_role="site_admin"), make_user()
    login(admin)
    assert client.post(f"/admin/users/{target.id}", data={"action": "disable"}).status_code == 302
    response = client.post(f"/admin/users/{target.id}", data={"action": "explode"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(User, target.id).disabled


def test_logging_out_without_the_form_token_is_refused(client, login, make_user):
    login(make_user())
    assert client.post("/logout", csrf=False).status_code == 400
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_a_wrong_current_password_is_shown_beside_it(client, login, make_user):
    login(make_user())
    response = client.post("/account", data={"current_password": "", "new_password": "n" * 12,
                                             "confirm": "n" * 12})
    assert response.status_code == 400
    assert re.search(r'id="f-current_password-error">.*not your current password',
                     response.get_data(as_text=True))
