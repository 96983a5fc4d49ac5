"""School action plans: editing one priority at a time, bad input, merges, sign-off, privacy."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.revisions.models import Revision
from app.workgroups.models import ActionPlan, ActionPlanSignOff
from tests.workgroup_sessions_helpers import (
    add_priority,
    build_world,
    freeze_today,
    head_number,
    make_action_plan,
    page,
    priority_form,
)


@pytest.fixture
def world(make_work_group, make_user):
    return build_world(make_work_group, make_user)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    freeze_today(monkeypatch)


def _revision(app, plan_id: int, number: int | None = None) -> Revision:
    with app.app_context():
        plan = db.session.get(ActionPlan, plan_id)
        revision = db.session.scalar(select(Revision).where(
            Revision.document_id == plan.document_id,
            Revision.number == (number or plan.document.head_number)))
        db.session.expunge_all()
        return revision


def _priorities(app, plan_id: int, number: int | None = None) -> list[dict]:
    return _revision(app, plan_id, number).fields["priorities"]


# --- starting and editing -------------------------------------------------------------------------


def test_school_member_starts_a_plan_and_adds_a_priority_with_actions(app, client, login, world):
    login(world.teacher_a)
    listing = page(client.get(f"/work-groups/{world.group.id}/action-plans"))
    assert "Start the plan" in listing
    response = client.post(f"/work-groups/{world.group.id}/action-plans",
                           data={"school_id": str(world.school_a)})
    assert response.status_code == 302
    plan_id = int(re.search(r"/action-plans/(\d+)", response.headers["Location"]).group(1))
    form = priority_form(1, actions=[
        {"action": "Agree layouts in a staff meeting", "lead_id": str(world.teacher_a.id),
         "due": "4/4/2025", "status": "in_progress"},
        {"action": "", "lead_id": "", "due": "", "status": "not_started"}])
    response = client.post(f"/action-plans/{plan_id}/priorities/new", data=form)
    assert response.status_code == 302, page(response)[:3000]
    [priority] = _priorities(app, plan_id)
    assert priority["area"] == "Lesson design / representations" and priority["rag"] == "amber"
    assert [(a["action"], a["lead_id"], a["due"], a["status"]) for a in priority["actions"]] == \
        [("Agree layouts in a staff meeting", world.teacher_a.id, "2025-04-04", "in_progress")]
    assert priority["id"].startswith("pr-") and priority["actions"][0]["id"].startswith("act-")
    html = page(client.get(f"/action-plans/{plan_id}"))
    assert "RAG rating: <span class=\"rag rag-amber\">Amber</span>" in html
    assert "Sam Iqbal" in html and "Fri 4 Apr 2025" not in html and "4 Apr 2025" in html
    assert "In progress" in html and "Draft: revision 2, not signed off yet." in html


def test_unparseable_due_date_is_a_field_error_and_the_text_is_kept(app, client, login, world):
    plan = make_action_plan(app, world.teacher_a, world.group, world.school_a)
    login(world.teacher_a)
    form = priority_form(1, actions=[{"action": "Update calculation policy",
                                      "due": "end of May-ish", "status": "not_started"}])
    response = client.post(f"/action-plans/{plan.id}/priorities/new", data=form)
    html = page(response)
    assert response.status_code == 400
    assert "“end of May-ish” is not a date we can read" in html
    assert 'href="#f-actions-0-due"' in html  # the error summary links to the field
    due_input = re.search(r'<input id="f-actions-0-due"[^>]*>', html, re.S).group(0)
    assert 'value="end of May-ish"' in due_input and 'aria-invalid="true"' in due_input
    assert 'value="Update calculation policy"' in html
    assert head_number(app, plan.id) == 1


def test_other_bad_input_is_refused_field_by_field(app, client, login, world):
    plan = make_action_plan(app, world.teacher_a, world.group, world.school_a)
    login(world.teacher_a)
    form = priority_form(1, area="", rag="purple",
                         evidence_links="javascript:alert(1)\nhttps://ok.example.org",
                         actions=[{"action": "", "due": "2025-05-01", "status": "done",
                                   "lead_id": str(world.teacher_b.id)},
                                  {"action": "Something", "status": "finished"}])
    html = page(client.post(f"/action-plans/{plan.id}/priorities/new", data=form))
    assert "Name the priority area" in html
    assert "Choose red, amber or green" in html
    assert "“javascript:alert(1)” is not a web address" in html
    assert "Describe the action" in html
    assert "Choose the lead from the list." in html  # a teacher of another school
    assert "Choose a status from the list." in html
    assert head_number(app, plan.id) == 1


def test_actions_can_be_removed_and_added_keeping_their_ids(app, client, login, world):
    plan = make_action_plan(app, world.teacher_a, world.group, world.school_a)
    priority_id = add_priority(app, world.teacher_a, plan.id)
    [before] = _priorities(app, plan.id)
    kept_id = before["actions"][0]["id"]
    login(world.teacher_a)
    form = priority_form(2, actions=[
        {"id": kept_id, "action": "Agree layouts in a staff meeting", "due": "2025-04-04",
         "status": "done"},
        {"id": "", "action": "Update calculation policy", "due": "23 May 2025",
         "status": "not_started"}], action="add_row")
    response = client.post(f"/action-plans/{plan.id}/priorities/{priority_id}/edit", data=form)
    assert response.status_code == 302 and "#new-action" in response.headers["Location"]
    [after] = _priorities(app, plan.id)
    assert after["actions"][0]["id"] == kept_id and after["actions"][0]["status"] == "done"
    assert after["actions"][1]["due"] == "2025-05-23"
    form["actions-0-remove"] = "1"
    form["actions-1-id"] = after["actions"][1]["id"]
    form["base_number"] = "3"
    client.post(f"/action-plans/{plan.id}/priorities/{priority_id}/edit", data=form)
    assert [a["action"] for a in _priorities(app, plan.id)[0]["actions"]] == \
        ["Update calculation policy"]


def test_review_points_with_a_bad_date_keep_the_text(app, client, login, world):
    plan = make_action_plan(app, world.teacher_a, world.group, world.school_a)
    login(world.teacher_a)
    response = client.post(f"/action-plans/{plan.id}/review-points", data={
        "base_number": "1", "review-0-date": "10 Decembr 2024", "review-0-note": "With head"})
    html = page(response)
    assert response.status_code == 400 and "“10 Decembr 2024” is not a date" in html
    assert 'value="10 Decembr 2024"' in html
    response = client.post(f"/action-plans/{plan.id}/review-points", data={
        "base_number": "1", "review-0-date": "1/7/2025", "review-0-note": "Impact review",
        "review-1-date": "10 December 2024", "review-1-note": "With head"})
    assert response.status_code == 302
    points = _revision(app, plan.id).fields["review_points"]
    assert [(p["date"], p["note"]) for p in points] == [("2024-12-10", "With head"),
                                                        ("2025-07-01", "Impact review")]


# --- concurrent edits -------------------------------------------------------------------------


def test_edits_to_different_priorities_merge_item_by_item(app, client, login, world):
    plan = make_action_plan(app, world.teacher_a, world.group, world.school_a)
    first = add_priority(app, world.teacher_a, plan.id, area="Representations")
    second = add_priority(app, world.teacher_a, plan.id, area="PD model")
    other = app.test_client()
    login(world.teacher_a)
    login(world.colleague_a, other)
    assert client.post(f"/action-plans/{plan.id}/priorities/{first}/edit",
                       data=priority_form(3, area="Representations", rag="green")
                       ).status_code == 302
    response = other.post(f"/action-plans/{plan.id}/priorities/{second}/edit",
                          data=priority_form(3, area="PD model", rag="red"))
    assert response.status_code == 302
    head = _revision(app, plan.id)
    assert head.number == 5 and head.merged_numbers == [4]
    assert [(p["id"], p["rag"]) for p in head.fields["priorities"]] == [(first, "green"),
                                                                         (second, "red")]


def test_edits_to_the_same_priority_conflict_and_keep_what_was_typed(app, client, login, world):
    plan = make_action_plan(app, world.teacher_a, world.group, world.school_a)
    priority_id = add_priority(app, world.teacher_a, plan.id, area="Representations")
    other = app.test_client()
    login(world.teacher_a)
    login(world.colleague_a, other)
    client.post(f"/action-plans/{plan.id}/priorities/{priority_id}/edit",
                data=priority_form(2, area="Representations", rag="green",
                                   success_criteria="Theirs: all classes use it."))
    response = other.post(f"/action-plans/{plan.id}/priorities/{priority_id}/edit",
                          data=priority_form(2, area="Representations", rag="red",
                                             success_criteria="Mine: half the classes."))
    html = page(response)
    assert response.status_code == 409
    assert "Theirs: all classes use it." in html  # their version, to compare
    assert "Mine: half the classes." in html  # my text, still in the form
    assert 'name="base_number" value="3"' in html
    assert head_number(app, plan.id) == 3
    # Saving again from their revision goes through.
    response = other.post(f"/action-plans/{plan.id}/priorities/{priority_id}/edit",
                          data=priority_form(3, area="Representations", rag="red"))
    assert response.status_code == 302 and _priorities(app, plan.id)[0]["rag"] == "red"


def test_removing_a_priority_someone_just_changed_is_a_conflict(app, client, login, world):
    plan = make_action_plan(app, world.teacher_a, world.group, world.school_a)
    priority_id = add_priority(app, world.teacher_a, plan.id)
    login(world.teacher_a)
    client.post(f"/action-plans/{plan.id}/priorities/{priority_id}/edit",
                data=priority_form(2, rag="green"))
    response = client.post(f"/action-plans/{plan.id}/priorities/{priority_id}/remove",
                           data={"base_number": "2"})
    assert response.status_code == 409 and len(_priorities(app, plan.id)) == 1
    response = client.post(f"/action-plans/{plan.id}/priorities/{priority_id}/remove",
                           data={"base_number": "3"})
    assert response.status_code == 302 and _priorities(app, plan.id) == []
    assert len(_priorities(app, plan.id, 3)) == 1  # earlier versions keep it


# --- sign-off -----------------------------------------------------------------------------------


def test_editing_a_signed_off_version_makes_a_new_draft_and_never_alters_it(app, client, login,
                                                                           world):
    plan = make_action_plan(app, world.teacher_a, world.group, world.school_a)
    priority_id = add_priority(app, world.teacher_a, plan.id)
    login(world.head_a)
    assert client.post(f"/action-plans/{plan.id}/sign-off",
                       data={"number": "2"}).status_code == 302
    signed_before = _revision(app, plan.id, 2)
    client.post("/logout")
    login(world.teacher_a)
    response = client.post(f"/action-plans/{plan.id}/priorities/{priority_id}/edit",
                           data=priority_form(2, rag="green", summary="Spring review"))
    assert response.status_code == 302
    signed_after = _revision(app, plan.id, 2)
    assert (signed_after.id, signed_after.fields, signed_after.created_at) == \
        (signed_before.id, signed_before.fields, signed_before.created_at)
    assert signed_after.fields["priorities"][0]["rag"] == "amber"
    assert _revision(app, plan.id).number == 3
    with app.app_context():
        [record] = db.session.scalars(select(ActionPlanSignOff)).all()
        assert (record.revision_number, record.role) == (2, "headteacher")
    pinned = page(client.get(f"/action-plans/{plan.id}"))
    assert "Signed off: revision 2 by <bdi>Priya Dunmore</bdi> (headteacher)" in pinned
    assert "There is a newer draft: revision 3" in pinned
    assert f"/action-plans/{plan.id}/compare?a=2&amp;b=3" in pinned
    assert "rag-amber" in pinned and "rag-green" not in pinned
    draft = page(client.get(f"/action-plans/{plan.id}?version=draft"))
    assert "rag-green" in draft and "not signed off" in draft
    diff = page(client.get(f"/action-plans/{plan.id}/compare?a=2&b=3"))
    assert "<del>Amber" in diff and "<ins>Green" in diff


def test_only_the_headteacher_and_the_lead_sign_off(app, client, login, world):
    plan = make_action_plan(app, world.teacher_a, world.group, world.school_a)
    for person in (world.teacher_a, world.colleague_a):
        login(person)
        assert client.post(f"/action-plans/{plan.id}/sign-off",
                           data={"number": "1"}).status_code == 403
        client.post("/logout")
    login(world.head_b)  # a headteacher, but of the other school: cannot even see it
    assert client.post(f"/action-plans/{plan.id}/sign-off",
                       data={"number": "1"}).status_code == 404
    client.post("/logout")
    login(world.lead)
    assert client.post(f"/action-plans/{plan.id}/sign-off", data={"number": "1"},
                       csrf=False).status_code == 400
    assert client.post(f"/action-plans/{plan.id}/sign-off",
                       data={"number": "7"}).status_code == 404
    assert client.post(f"/action-plans/{plan.id}/sign-off",
                       data={"number": "1"}).status_code == 302
    with app.app_context():
        assert [(r.role, r.revision_number) for r in
                db.session.scalars(select(ActionPlanSignOff))] == [("work_group_lead", 1)]


# --- privacy -------------------------------------------------------------------------------------


def test_a_schools_plan_is_invisible_to_other_schools_and_groups(app, client, login, world):
    plan = make_action_plan(app, world.teacher_a, world.group, world.school_a)
    priority_id = add_priority(app, world.teacher_a, plan.id)
    gets = [f"/action-plans/{plan.id}", f"/action-plans/{plan.id}?version=draft",
            f"/action-plans/{plan.id}/history", f"/action-plans/{plan.id}/revisions/1",
            f"/action-plans/{plan.id}/compare?a=1&b=2",
            f"/action-plans/{plan.id}/priorities/new",
            f"/action-plans/{plan.id}/priorities/{priority_id}/edit",
            f"/action-plans/{plan.id}/review-points", f"/comments/action_plan/{plan.id}"]
    posts = [f"/action-plans/{plan.id}/priorities/new",
             f"/action-plans/{plan.id}/priorities/{priority_id}/edit",
             f"/action-plans/{plan.id}/priorities/{priority_id}/remove",
             f"/action-plans/{plan.id}/review-points", f"/action-plans/{plan.id}/sign-off",
             f"/action-plans/{plan.id}/revisions/1/restore", f"/comments/action_plan/{plan.id}"]
    for person in (world.teacher_b, world.head_b, world.outsider):
        login(person)
        for path in gets:
            assert client.get(path).status_code == 404, (person.display_name, path)
        for path in posts:
            response = client.post(path, data={**priority_form(2), "number": "1",
                                               "body": "Sneaky comment"})
            assert response.status_code == 404, (person.display_name, path)
        listing = page(client.get(f"/work-groups/{world.group.id}/action-plans"))
        assert f"/action-plans/{plan.id}" not in listing
        client.post("/logout")
    assert head_number(app, plan.id) == 2
    login(world.lead)
    assert client.get(f"/action-plans/{plan.id}").status_code == 200
    listing = page(client.get(f"/work-groups/{world.group.id}/action-plans"))
    assert f"/action-plans/{plan.id}" in listing and "Start the plan" in listing


def test_a_teacher_cannot_start_another_schools_plan(app, client, login, world):
    login(world.teacher_b)
    response = client.post(f"/work-groups/{world.group.id}/action-plans",
                           data={"school_id": str(world.school_a)})
    assert response.status_code == 403
    response = client.post(f"/work-groups/{world.other.id}/action-plans",
                           data={"school_id": str(world.other.school_ids[0])})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalars(select(ActionPlan)).all() == []


def test_headteacher_and_lead_comment_others_in_the_school_read(app, client, login, world):
    from app.comments.models import Comment

    plan = make_action_plan(app, world.teacher_a, world.group, world.school_a)
    priority_id = add_priority(app, world.teacher_a, plan.id)
    login(world.head_a)
    response = client.post(f"/comments/action_plan/{plan.id}", data={
        "body": "Can @Sam Iqbal bring the calculation policy?",
        "anchor": f"priority:{priority_id}", "next": f"/action-plans/{plan.id}"})
    assert response.status_code == 303
    client.post("/logout")
    login(world.teacher_a)
    html = page(client.get(f"/action-plans/{plan.id}"))
    assert "bring the calculation policy" in html
    assert "On: <bdi>Priority: Lesson design</bdi>" in html
    response = client.post(f"/comments/action_plan/{plan.id}", data={"body": "Me too"})
    assert response.status_code == 403
    with app.app_context():
        comment = db.session.scalars(select(Comment)).one()
        assert [m.user_id for m in comment.mentions] == [world.teacher_a.id]
    # The school's team marks it resolved once acted on.
    assert client.post(f"/comments/{comment.id}/resolve",
                       data={"next": f"/action-plans/{plan.id}"}).status_code == 303


# --- history and restore ----------------------------------------------------------------


def test_history_compare_and_restore_make_a_new_draft(app, client, login, world):
    plan = make_action_plan(app, world.teacher_a, world.group, world.school_a)
    priority_id = add_priority(app, world.teacher_a, plan.id, area="Representations")
    login(world.teacher_a)
    client.post(f"/action-plans/{plan.id}/priorities/{priority_id}/edit",
                data=priority_form(2, area="Representations and structure"))
    history = page(client.get(f"/action-plans/{plan.id}/history"))
    assert "Revision 3" in history and "Priority updated: Representations and structure." \
        in history
    diff = page(client.get(f"/action-plans/{plan.id}/compare?a=1&b=3&view=side"))
    assert "Priority: Representations and structure" in diff and "<table" in diff
    old = page(client.get(f"/action-plans/{plan.id}/revisions/2"))
    assert "an earlier version" in old and "Restore this version" in old
    assert client.post(f"/action-plans/{plan.id}/revisions/2/restore").status_code == 302
    head = _revision(app, plan.id)
    assert (head.number, head.restored_from) == (4, 2)
    assert head.fields["priorities"][0]["area"] == "Representations"
