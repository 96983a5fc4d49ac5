"""Invitations as a Work Group Lead and a newcomer meet them (issue 14, item 10): the
newcomer's name and several roles on one link, a copy button that needs no JavaScript to be
useful, pending invitations that can be withdrawn or sent again only by those who may invite
to that group, clear pages for withdrawn and expired links, and a "start here" page after
joining."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import services
from app.accounts.models import Invitation, Membership, User, WorkGroup
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.timeutil import utcnow
from tests.planning_helpers import make_plan
from tests.reviews_helpers import client_for
from tests.workgroup_sessions_helpers import freeze_today, make_session

LINK_RE = re.compile(r'value="http://localhost(/invitations/[^"]+)"')


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def world(app, make_work_group, make_user):
    group = make_work_group()
    other = make_work_group(code="NCP 24-12")
    return {
        "group": group, "other": other,
        "lead": make_user("Jo Castleford", group=group, roles=("work_group_lead",)),
        "teacher": make_user("Tom Fenwick", group=group),
        "other_lead": make_user("Olly Otherlead", group=other, roles=("work_group_lead",)),
    }


def invite(the_client, group, **data) -> tuple[str, str]:
    """Create an invitation through the form; returns (link path, page)."""
    response = the_client.post(f"/admin/work-groups/{group.id}/invite", data={
        "name": "Nia Newcomer", "roles": ["lead_participant", "subject_leader"],
        "school_id": str(group.school_ids[0]), **data})
    assert response.status_code == 200, text(response)[:300]
    match = LINK_RE.search(text(response))
    assert match, "the new link is shown"
    return match.group(1), text(response)


def invitation_row(app, invitation_id: int | None = None) -> Invitation:
    with app.app_context():
        query = select(Invitation).order_by(Invitation.id.desc())
        if invitation_id is not None:
            query = query.where(Invitation.id == invitation_id)
        row = db.session.scalar(query)
        db.session.expunge(row)
        return row


def test_invite_with_name_and_several_roles_shows_a_copyable_link_and_lists_it(
        app, login, world):
    lead = client_for(app, login, world["lead"])
    form = text(lead.get(f"/admin/work-groups/{world['group'].id}/invite"))
    assert 'name="name"' in form and form.count('type="checkbox" ') == 5
    assert "No invitations are waiting." in form
    link, page = invite(lead, world["group"])
    # The link is plain selectable text; the copy button is shown only by copy.js.
    assert re.search(r'<input id="invite-link" type="text" readonly value="http', page)
    assert re.search(r'<button type="button"[^>]*data-copy="invite-link" hidden>Copy link', page)
    assert "js/copy.js" in page
    pending = page.split('id="pending-heading"')[1]
    assert "Nia Newcomer" in pending and "Lead participant, Subject leader" in pending
    row = invitation_row(app)
    assert (row.name, row.roles, row.role) == (
        "Nia Newcomer", "lead_participant,subject_leader", "lead_participant")


@pytest.mark.parametrize("roles", [[], ["emperor"], ["subject_leader", "emperor"]])
def test_invite_refuses_no_role_or_an_unknown_one(app, login, world, roles):
    lead = client_for(app, login, world["lead"])
    response = lead.post(f"/admin/work-groups/{world['group'].id}/invite",
                         data={"name": "Nia", "roles": roles})
    assert response.status_code == 400
    assert "Choose at least one role from the list." in text(response)
    assert 'value="Nia"' in text(response)
    with app.app_context():
        assert db.session.scalar(select(Invitation)) is None


def test_newcomer_joins_with_every_role_and_lands_on_start_here(app, login, world,
                                                                monkeypatch):
    freeze_today(monkeypatch)
    group = world["group"]
    make_session(app, world["lead"], group, date="2025-03-20", title="Reasoning with fractions")
    plan = make_plan(app, world["teacher"], group, lessons=1, title="Fractions on a wall")
    link, _page = invite(client_for(app, login, world["lead"]), group)
    newcomer = app.test_client()
    form = text(newcomer.get(link))
    assert 'value="Nia Newcomer"' in form  # the name the Lead wrote, theirs to change
    assert "as Lead participant, Subject leader" in form
    response = newcomer.post(link, data={
        "display_name": "Nia Newcomer", "email": "nia@example.org", "password": "p" * 12,
        "confirm": "p" * 12})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/work-groups/{group.id}/start")
    page = text(newcomer.get(response.headers["Location"]))
    assert "Start here:" in page and "What to do first" in page
    assert "You are in this Work Group as Lead participant, Subject leader." in page
    assert "Jo Castleford" in page and "Tom Fenwick" in page
    assert "Nia Newcomer</bdi> (you)" in page
    assert "Session 3: Reasoning with fractions" in page
    assert "Fractions on a wall" in page and f'href="/sequences/{plan.id}"' in page
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nia@example.org"))
        member = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
        assert member.roles == ["lead_participant", "subject_leader"]


def test_start_here_is_only_for_those_who_may_see_the_group(app, login, world):
    group_id = world["group"].id
    outsider = client_for(app, login, world["other_lead"])
    assert outsider.get(f"/work-groups/{group_id}/start").status_code == 404
    anonymous = app.test_client().get(f"/work-groups/{group_id}/start")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert client_for(app, login, world["teacher"]).get(
        f"/work-groups/{group_id}/start").status_code == 200


def test_withdrawn_invitation_link_gives_a_clear_page_and_leaves_the_list(app, login, world):
    lead = client_for(app, login, world["lead"])
    link, _page = invite(lead, world["group"])
    row = invitation_row(app)
    url = f"/admin/work-groups/{world['group'].id}/invitations/{row.id}/revoke"
    assert lead.post(url, csrf=False).status_code == 400  # no form token: nothing happens
    assert invitation_row(app, row.id).revoked_at is None
    response = lead.post(url)
    assert response.status_code == 302
    page = text(lead.get(response.headers["Location"]))
    assert "its link no longer works" in page
    assert "Nia Newcomer" not in page.split('id="pending-heading"')[1]
    resent = lead.post(f"/admin/work-groups/{world['group'].id}/invitations/{row.id}/resend")
    assert resent.status_code == 400 and "was withdrawn" in text(resent)
    for method in ("get", "post"):
        refused = getattr(app.test_client(), method)(link, data={
            "display_name": "Nia", "email": "nia@example.org", "password": "p" * 12,
            "confirm": "p" * 12})
        assert refused.status_code == 400
        assert "This invitation has been withdrawn." in text(refused)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "nia@example.org")) is None


def test_resend_makes_a_new_link_and_the_old_one_stops_working(app, login, world):
    lead = client_for(app, login, world["lead"])
    old_link, _page = invite(lead, world["group"])
    row = invitation_row(app)
    with app.app_context():
        db.session.get(Invitation, row.id).expires_at = utcnow() - timedelta(days=1)
        db.session.commit()
    expired = app.test_client().get(old_link)
    assert expired.status_code == 400 and "This invitation has expired." in text(expired)
    assert "<strong>Expired</strong>" in text(lead.get(
        f"/admin/work-groups/{world['group'].id}/invite"))
    url = f"/admin/work-groups/{world['group'].id}/invitations/{row.id}/resend"
    assert lead.post(url, csrf=False).status_code == 400
    response = lead.post(url)
    assert response.status_code == 200
    new_link = LINK_RE.search(text(response)).group(1)
    assert new_link != old_link and "Invitation link for <bdi>Nia Newcomer</bdi>" in text(response)
    assert app.test_client().get(old_link).status_code == 404
    assert app.test_client().get(new_link).status_code == 200
    assert invitation_row(app, row.id).expires_at.replace(tzinfo=None) > \
        utcnow().replace(tzinfo=None) + timedelta(days=1)


def test_people_who_may_not_invite_cannot_revoke_or_resend(app, login, world):
    lead = client_for(app, login, world["lead"])
    link, _page = invite(lead, world["group"])
    row = invitation_row(app)
    group_id, other_id = world["group"].id, world["other"].id
    outsider = client_for(app, login, world["other_lead"])
    teacher = client_for(app, login, world["teacher"])
    for action in ("revoke", "resend"):
        # Another Work Group's Lead: not through the victim's group, nor through their own.
        assert outsider.post(
            f"/admin/work-groups/{group_id}/invitations/{row.id}/{action}").status_code == 404
        assert outsider.post(
            f"/admin/work-groups/{other_id}/invitations/{row.id}/{action}").status_code == 404
        # A member of the group who is not its Lead.
        assert teacher.post(
            f"/admin/work-groups/{group_id}/invitations/{row.id}/{action}").status_code == 403
    after = invitation_row(app, row.id)
    assert after.revoked_at is None and after.token_hash == row.token_hash
    assert app.test_client().get(link).status_code == 200
    # The other Lead's own invitation page does not list this group's invitations.
    assert "Nia Newcomer" not in text(outsider.get(f"/admin/work-groups/{other_id}/invite"))


def test_services_check_who_may_change_an_invitation(app, login, world):
    invite(client_for(app, login, world["lead"]), world["group"])
    row = invitation_row(app)
    with app.app_context():
        group = db.session.get(WorkGroup, world["group"].id)
        other = db.session.get(WorkGroup, world["other"].id)
        teacher = db.session.get(User, world["teacher"].id)
        other_lead = db.session.get(User, world["other_lead"].id)
        for call in (services.revoke_invitation, services.pending_invitations):
            with pytest.raises(Forbidden):
                call(teacher, group, row.id) if call is services.revoke_invitation \
                    else call(teacher, group)
        with pytest.raises(Forbidden):
            services.resend_invitation(teacher, group, row.id, 7)
        with pytest.raises(NotFound):
            services.revoke_invitation(other_lead, other, row.id)
        with pytest.raises(NotFound):
            services.resend_invitation(other_lead, other, row.id, 7)
        assert services.pending_invitations(other_lead, other) == []
        assert db.session.get(Invitation, row.id).revoked_at is None


def test_used_invitation_cannot_be_resent_or_revoked(app, login, world):
    lead = client_for(app, login, world["lead"])
    link, _page = invite(lead, world["group"])
    row = invitation_row(app)
    joined = app.test_client().post(link, data={
        "display_name": "Nia", "email": "nia@example.org", "password": "p" * 12,
        "confirm": "p" * 12})
    assert joined.status_code == 302
    for action in ("revoke", "resend"):
        response = lead.post(
            f"/admin/work-groups/{world['group'].id}/invitations/{row.id}/{action}")
        assert response.status_code == 400 and "already been used" in text(response)


def test_resend_mails_the_new_link_to_the_address_on_the_invitation(app, login, world,
                                                                    monkeypatch):
    from app.mail import outbox

    app.config.update(MAIL_SERVER="smtp.example.org", MAIL_FROM="coplan@example.org",
                      MAIL_RETRY_DELAYS=(0.0, 0.0))
    delivered: list = []
    monkeypatch.setattr(outbox, "smtp_send", delivered.append)
    lead = client_for(app, login, world["lead"])
    _link, page = invite(lead, world["group"], email="Nia@Example.org")
    assert "It is also being e-mailed to them." in page and len(delivered) == 1
    row = invitation_row(app)
    response = lead.post(f"/admin/work-groups/{world['group'].id}/invitations/{row.id}/resend")
    new_link = LINK_RE.search(text(response)).group(1)
    assert "It is also being e-mailed to them." in text(response)
    assert [m["To"] for m in delivered] == ["nia@example.org", "nia@example.org"]
    assert new_link in delivered[1].get_content()
