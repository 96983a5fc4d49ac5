"""Reviews that mean what they say (issue 14, item 7): a sequence review shows its lessons'
changes since their approved revisions, approving pins each lesson's revision, the approved
version links to those revisions, a changed draft never reads "Approved", and a school can ask
its own subject leader to approve another school's shared sequence as it is."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.extensions import db
from app.reviews.models import Approval, ReviewRequest
from tests.planning_helpers import make_plan
from tests.reviews_helpers import (
    ask_review,
    build_team,
    client_for,
    count,
    edit_lesson,
    edit_sequence,
    review_id_from,
)


@pytest.fixture
def team(app, make_work_group, make_user) -> SimpleNamespace:
    team = build_team(app, make_work_group, make_user)
    # Another Work Group of the same hub, whose school C may adopt a hub-shared plan.
    other = make_work_group(code="NCP 24-12", schools=1, hub_id=team.group.hub_id)
    team.school_c = other.school_ids[0]
    team.teacher_c = make_user("Cal Teacher-C", group=other, school_id=team.school_c)
    team.sl_c = make_user("Cyd Leader-C", group=other, roles=("subject_leader",),
                          school_id=team.school_c)
    team.shared = make_plan(app, team.author, team.group, lessons=2, visibility="hub",
                            title="Hub-shared fractions")
    return team


def text(response) -> str:
    return response.get_data(as_text=True)


def lesson_revisions(page: str) -> str:
    found = re.search(r'name="lesson_revisions" value="([^"]*)"', page)
    assert found, "the decision form does not say which lesson revisions it showed"
    return found.group(1)


def decide_sequence(the_client, review_id: int, page: str, decision: str = "approve"):
    number = re.search(r'name="revision_number" value="(\d+)"', page)
    assert number
    return the_client.post(f"/reviews/{review_id}/decide", data={
        "decision": decision, "comment": "", "revision_number": number.group(1),
        "lesson_revisions": lesson_revisions(page)})


def ask_and_approve(app, login, team) -> tuple[int, list[int]]:
    """The author asks for the plan's review; its school's subject leader approves it.
    Returns (review id, the lesson revisions approved)."""
    lessons = team.plan.lesson_ids
    numbers = [edit_lesson(app, team.author, lessons[0], key_learning_point="Halve the 8s."),
               edit_lesson(app, team.author, lessons[1], stem_sentences="4 is half of 8.")]
    review_id = review_id_from(ask_review(client_for(app, login, team.author), "sequence",
                                          team.plan.id, team.school_a, team.sl_a))
    leader = client_for(app, login, team.sl_a)
    page = text(leader.get(f"/reviews/{review_id}"))
    assert decide_sequence(leader, review_id, page).status_code == 302
    return review_id, numbers


def test_subject_leader_sees_each_lessons_changes_in_the_sequence_review(app, login, team):
    lessons = team.plan.lesson_ids
    edit_lesson(app, team.author, lessons[0], key_learning_point="Halve the 8s.")
    review_id = review_id_from(ask_review(client_for(app, login, team.author), "sequence",
                                          team.plan.id, team.school_a, team.sl_a))
    page = text(client_for(app, login, team.sl_a).get(f"/reviews/{review_id}"))
    section = page.split("Its lessons: changes since their approved versions")[1]
    assert "<ins>Halve the 8s.</ins>" in section
    assert "Not approved for" in section and "Lesson 2" in section
    assert lesson_revisions(page) == f"{lessons[0]}:2,{lessons[1]}:1"
    assert f'href="/lessons/{lessons[0]}/revisions/2"' in section


def test_approving_pins_lessons_and_the_next_review_shows_only_later_changes(app, login, team):
    review_id, numbers = ask_and_approve(app, login, team)
    with app.app_context():
        pinned = {document_id: number for document_id, number in db.session.execute(
            select(Approval.document_id, Approval.revision_number)
            .where(Approval.sequence_approval_id.is_not(None)))}
    assert pinned == dict(zip(team.plan.lesson_documents, numbers, strict=True))

    # A later edit of lesson 2 is the only lesson change the next review shows.
    edit_lesson(app, team.author, team.plan.lesson_ids[1], stem_sentences="8 is double 4.")
    second = review_id_from(ask_review(client_for(app, login, team.author), "sequence",
                                       team.plan.id, team.school_a, team.sl_a))
    page = text(client_for(app, login, team.sl_a).get(f"/reviews/{second}"))
    section = page.split("Its lessons: changes since their approved versions")[1]
    assert f"From revision {numbers[1]} (approved" in section
    assert "<ins>8 is double </ins>" in section and "Halve the 8s." not in section
    assert "Unchanged since approval: <bdi>Lesson 1</bdi>" in section
    # The closed, approved review still shows what it approved, not today's heads.
    closed = text(client_for(app, login, team.sl_a).get(f"/reviews/{review_id}"))
    assert "8 is double 4." not in closed and "4 is half of 8." in closed


def test_approved_page_links_to_pinned_revisions_and_a_later_edit_does_not_change_it(
        app, login, team):
    _review, numbers = ask_and_approve(app, login, team)
    reader = client_for(app, login, team.teacher_b)
    url = f"/sequences/{team.plan.id}/approved"
    before = text(reader.get(url))
    for lesson_id, number in zip(team.plan.lesson_ids, numbers, strict=True):
        assert f'href="/lessons/{lesson_id}/revisions/{number}"' in before
    sequence_page = text(reader.get(f"/sequences/{team.plan.id}"))
    assert "<dt>Status</dt><dd>Approved</dd>" in sequence_page
    assert "It is also the latest version." in sequence_page

    later = edit_lesson(app, team.author, team.plan.lesson_ids[0], checks="Is 8 x 3 = 24?")
    after = text(reader.get(url))
    assert f'href="/lessons/{team.plan.lesson_ids[0]}/revisions/{numbers[0]}"' in after
    assert f"/revisions/{later}\"" not in after
    # The draft no longer claims to be the approved version.
    sequence_page = text(reader.get(f"/sequences/{team.plan.id}"))
    assert "<dt>Status</dt><dd>Approved</dd>" not in sequence_page
    assert "Approved version exists; current draft has changes" in sequence_page
    assert "Its lessons have changed since" in sequence_page
    assert "Switch to the approved version" in sequence_page
    # The edited lesson's own page says its approved revision is an older one.
    lesson_page = text(reader.get(f"/lessons/{team.plan.lesson_ids[0]}"))
    assert f"<strong>Approved version</strong> (revision {numbers[0]}," in lesson_page
    assert f"latest draft (revision {later}), which has changes since" in lesson_page


def test_a_lesson_edited_after_the_screen_was_loaded_blocks_approval(app, login, team):
    edit_lesson(app, team.author, team.plan.lesson_ids[0], key_learning_point="Halve the 8s.")
    review_id = review_id_from(ask_review(client_for(app, login, team.author), "sequence",
                                          team.plan.id, team.school_a, team.sl_a))
    leader = client_for(app, login, team.sl_a)
    page = text(leader.get(f"/reviews/{review_id}"))
    edit_lesson(app, team.author, team.plan.lesson_ids[1], checks="Unseen by the reviewer.")
    response = decide_sequence(leader, review_id, page)
    assert response.status_code == 303
    assert count(app, Approval) == 0
    assert "A lesson of this sequence was changed" in text(leader.get(f"/reviews/{review_id}"))


def test_another_school_asks_its_own_subject_leader_to_adopt_a_shared_sequence(
        app, login, team):
    teacher = client_for(app, login, team.teacher_c)
    url = f"/sequences/{team.shared.id}"
    assert "Request approval for my school" in text(teacher.get(url))
    # The owning school's people are not offered it: their route is "Ask for a review".
    assert "Request approval for my school" not in text(
        client_for(app, login, team.author).get(url))

    response = teacher.post(f"{url}/request-approval", data={"school_id": team.school_c})
    assert response.status_code == 303
    review_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        request = db.session.get(ReviewRequest, review_id)
        assert (request.school_id, request.reviewer_id) == (team.school_c, team.sl_c.id)

    leader = client_for(app, login, team.sl_c)
    assert f"/reviews/{review_id}" in text(leader.get("/reviews"))
    page = text(leader.get(f"/reviews/{review_id}"))
    assert "adopting a plan from" in page and "Lesson 1" in page
    assert decide_sequence(leader, review_id, page).status_code == 302
    with app.app_context():
        schools = set(db.session.scalars(select(Approval.school_id)))
    assert schools == {team.school_c}
    approved = text(teacher.get(f"{url}/approved"))
    assert f'href="/lessons/{team.shared.lesson_ids[0]}/revisions/1"' in approved
    # The owner's status is untouched: C's adoption is not the owning school's approval.
    assert "<dt>Status</dt><dd>Approved</dd>" not in text(
        client_for(app, login, team.author).get(url))


def test_who_may_not_approve_an_adoption(app, login, team):
    teacher = client_for(app, login, team.teacher_c)
    response = teacher.post(f"/sequences/{team.shared.id}/request-approval",
                            data={"school_id": team.school_c})
    review_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = text(client_for(app, login, team.sl_c).get(f"/reviews/{review_id}"))
    # The asking teacher (no subject-leader role), the owning school's subject leader, and a
    # subject leader of another Work Group who cannot read the plan.
    for person, codes in [(team.teacher_c, {403}), (team.sl_a, {403}),
                          (team.outsider, {404})]:
        response = decide_sequence(client_for(app, login, person), review_id, page)
        assert response.status_code in codes, person.display_name
    assert count(app, Approval) == 0


def test_adoption_requests_only_for_my_own_other_school(app, login, team):
    url = f"/sequences/{team.shared.id}/request-approval"
    teacher = client_for(app, login, team.teacher_c)
    # Not a school of mine, and not the plan's own school.
    assert teacher.post(url, data={"school_id": team.school_b}).status_code == 403
    author = client_for(app, login, team.author)
    assert author.post(url, data={"school_id": team.school_a}).status_code == 403
    # A plan I cannot read.
    assert teacher.post(f"/sequences/{team.plan.id}/request-approval",
                        data={"school_id": team.school_c}).status_code == 404
    # Without the CSRF token.
    assert teacher.post(url, data={"school_id": team.school_c}, csrf=False).status_code == 400
    assert count(app, ReviewRequest) == 0


def test_no_subject_leader_means_no_button_and_no_request(app, login, team, make_user,
                                                          make_work_group):
    lonely = make_work_group(code="NCP 24-13", schools=1, hub_id=team.group.hub_id)
    teacher = make_user("Lone Teacher", group=lonely, school_id=lonely.school_ids[0])
    the_client = client_for(app, login, teacher)
    assert "Request approval for my school" not in text(
        the_client.get(f"/sequences/{team.shared.id}"))
    response = the_client.post(f"/sequences/{team.shared.id}/request-approval",
                               data={"school_id": lonely.school_ids[0]})
    assert response.status_code == 303
    assert "no subject leader" in text(the_client.get(response.headers["Location"]))
    assert count(app, ReviewRequest) == 0


def test_the_work_group_lead_is_not_asked_in_place_of_a_subject_leader(
        app, login, make_work_group, make_user):
    group = make_work_group(code="NCP 24-14")
    owner, adopter = group.school_ids
    make_user("Lea Lead", group=group, roles=("work_group_lead",))
    author = make_user("Ada Author", group=group, school_id=owner)
    teacher = make_user("Tia Teacher", group=group, school_id=adopter)
    plan = make_plan(app, author, group, lessons=1)
    the_client = client_for(app, login, teacher)
    assert "Request approval for my school" not in text(the_client.get(f"/sequences/{plan.id}"))
    response = the_client.post(f"/sequences/{plan.id}/request-approval",
                               data={"school_id": adopter})
    assert response.status_code == 303 and count(app, ReviewRequest) == 0


def _status_in_lists(reader, team) -> tuple[str, str]:
    """The sequence's status as the Work Group's plans and the sequences list show it."""
    home = text(reader.get(f"/work-groups/{team.group.id}/plans"))
    row = home.split(f'href="/sequences/{team.plan.id}"')[1].split("</li>")[0]
    listed = text(reader.get("/sequences"))
    cell = listed.split(f'href="/sequences/{team.plan.id}"')[1].split("</tr>")[0]
    return row, cell


@pytest.mark.parametrize("change", ["lesson", "sequence"])
def test_lists_never_call_a_changed_draft_approved(app, login, team, change):
    ask_and_approve(app, login, team)
    reader = client_for(app, login, team.teacher_b)
    row, cell = _status_in_lists(reader, team)
    assert ">Approved</span>" in row and "<td>Approved</td>" in cell
    if change == "lesson":
        edit_lesson(app, team.author, team.plan.lesson_ids[1], checks="Is 8 x 3 = 24?")
    else:
        edit_sequence(app, team.author, team.plan.id, overview="Now with a bar model.")
    row, cell = _status_in_lists(reader, team)
    assert ">Approved</span>" not in row and "<td>Approved</td>" not in cell
    assert "Draft changed since approval" in row and "Draft changed since approval" in cell
