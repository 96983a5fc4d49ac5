"""Subject-leader review: asking, the queue, the review screen and its diff, decisions,
per-school approval, approved versions for readers, and who may do what."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app import signals
from app.accounts.models import AuditEvent, User
from app.extensions import db
from app.planning.models import Lesson, Sequence
from app.reviews.models import Approval, ReviewDecision, ReviewRequest
from app.reviews.services import approval_banner
from tests.reviews_helpers import (
    ask_review,
    build_team,
    client_for,
    count,
    decide,
    edit_lesson,
    edit_sequence,
    head_number,
    review_id_from,
)


@pytest.fixture
def team(app, make_work_group, make_user):
    return build_team(app, make_work_group, make_user)


def text(response) -> str:
    return response.get_data(as_text=True)


def submit_lesson(app, login, team, reviewer=None, school=None, **fields) -> tuple[int, int]:
    """The author writes lesson 1 and asks for a review; returns (review id, revision)."""
    lesson_id = team.plan.lesson_ids[0]
    number = edit_lesson(app, team.author, lesson_id, **(fields or {
        "key_learning_point": "Multiples of 4 are double the multiples of 2."}))
    author = client_for(app, login, team.author)
    response = ask_review(author, "lesson", lesson_id, school or team.school_a,
                          reviewer or team.sl_a)
    assert response.status_code == 302, text(response)[:2000]
    return review_id_from(response), number


# --- asking and the queue ---------------------------------------------------------------------


def test_queue_shows_only_requests_sent_to_me(app, login, team):
    first, _ = submit_lesson(app, login, team)
    author = client_for(app, login, team.author)
    other_lesson = team.plan.lesson_ids[1]
    edit_lesson(app, team.author, other_lesson, title="Counting in eights")
    assert ask_review(author, "lesson", other_lesson, team.school_a, team.lead).status_code == 302

    page = text(client_for(app, login, team.sl_a).get("/reviews"))
    waiting = page.split("Waiting for your review")[1].split("Reviews you asked for")[0]
    assert f"/reviews/{first}" in waiting and "Lesson 1" in waiting
    assert "Counting in eights" not in page

    lead_page = text(client_for(app, login, team.lead).get("/reviews"))
    assert "Counting in eights" in lead_page and f"/reviews/{first}\"" not in lead_page
    asked = text(author.get("/reviews")).split("Reviews you asked for")[1]
    assert "Counting in eights" in asked and "Lesson 1" in asked


def test_reviewer_must_be_the_schools_subject_leader_or_the_lead(app, login, team):
    lesson_id = team.plan.lesson_ids[0]
    author = client_for(app, login, team.author)
    # A teacher, another school's subject leader, and a school the author does not belong to.
    for school, person in [(team.school_a, team.teacher_b), (team.school_a, team.sl_b),
                           (team.school_b, team.sl_b)]:
        response = ask_review(author, "lesson", lesson_id, school, person)
        assert response.status_code == 400
        assert "There is a problem" in text(response)
    assert count(app, ReviewRequest) == 0
    form = text(author.get(f"/reviews/new?kind=lesson&id={lesson_id}"))
    assert "Sal Leader-A" in form and "Lee Lead" in form
    assert "Tom Teacher-B" not in form and "Bea Leader-B" not in form


def test_asking_again_replaces_the_open_request_for_that_school(app, login, team):
    first, _ = submit_lesson(app, login, team)
    second, _ = submit_lesson(app, login, team, reviewer=team.lead,
                              key_learning_point="Double the 2s to get the 4s.")
    with app.app_context():
        old, new = db.session.get(ReviewRequest, first), db.session.get(ReviewRequest, second)
        assert (old.status, old.outcome) == ("closed", "superseded")
        assert new.status == "open" and new.reviewer_id == team.lead.id


# --- the review screen ------------------------------------------------------------------------


def test_first_review_shows_everything_then_later_reviews_show_changes_since_approval(
        app, login, team):
    review_id, number = submit_lesson(app, login, team)
    leader = client_for(app, login, team.sl_a)
    page = text(leader.get(f"/reviews/{review_id}"))
    assert "this is a first review" in page
    assert "<ins>Multiples of 4 are double the multiples of 2.</ins>" in page

    assert decide(leader, review_id, "approve", number).status_code == 302
    number2 = edit_lesson(app, team.author, team.plan.lesson_ids[0],
                          key_learning_point="Multiples of 4 are double the multiples of 2.",
                          stem_sentences="Double 3 twos is 3 fours.")
    edit_lesson(app, team.author, team.plan.lesson_ids[0],
                key_learning_point="Multiples of 4 are twice the multiples of 2.")
    number3 = number2 + 1
    second = review_id_from(ask_review(client_for(app, login, team.author), "lesson",
                                       team.plan.lesson_ids[0], team.school_a, team.sl_a))
    page = text(leader.get(f"/reviews/{second}"))
    assert f"From revision {number}, approved for" in page and f"to revision {number3}" in page
    assert "first review" not in page
    # Both later revisions are in one diff from the approved version, and nothing older is.
    assert "<del>double</del>" in page and "<ins>twice</ins>" in page
    assert "Stem sentences" in page and "Key learning point" in page
    assert "Prior learning" not in page.split("What changed")[1].split("Unchanged")[0]


def test_stale_submitted_revision_says_so_and_shows_the_newer_diff(app, login, team):
    review_id, submitted = submit_lesson(app, login, team)
    newer = edit_lesson(app, team.sl_b, team.plan.lesson_ids[0],
                        fluency_practice="Chant the 4s forwards and backwards.")
    leader = client_for(app, login, team.sl_a)
    page = text(leader.get(f"/reviews/{review_id}"))
    assert "no longer the revision that was submitted" in page
    assert f"revision {newer} was saved since" in page
    assert "Chant the 4s forwards and backwards." in page
    assert f'name="revision_number" value="{newer}"' in page
    assert f"a={submitted}&amp;b={newer}" in page

    # Deciding on what the reviewer saw earlier is refused; on the newer one it works.
    response = decide(leader, review_id, "approve", submitted)
    assert response.status_code == 303
    assert count(app, Approval) == 0
    assert "was saved after you opened this review" in text(leader.get(f"/reviews/{review_id}"))
    assert decide(leader, review_id, "approve", newer).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Approval.revision_number)) == newer


def test_review_evidence_comes_from_the_registered_provider(app, login, team):
    review_id, number = submit_lesson(app, login, team)
    leader = client_for(app, login, team.sl_a)
    assert "observations and agreed changes" not in text(leader.get(f"/reviews/{review_id}"))
    calls = []

    def provider(_app, *, user, item, from_number, to_number):
        calls.append((user.id, type(item).__name__, item.id, from_number, to_number))
        return [("Research lesson, 30 Jan", "/research-lessons/1",
                 "Pupils doubled <both> factors.")]

    signals.review_evidence.connect(provider, sender=app, weak=False)
    page = text(leader.get(f"/reviews/{review_id}"))
    assert "The observations and agreed changes behind it" in page
    assert 'href="/research-lessons/1"' in page and "doubled &lt;both&gt; factors" in page
    assert calls == [(team.sl_a.id, "Lesson", team.plan.lesson_ids[0], 0, number)]


# --- deciding ---------------------------------------------------------------------------------


def test_approving_your_own_revision_is_403_with_the_reason(app, login, team):
    lesson_id = team.plan.lesson_ids[0]
    number = edit_lesson(app, team.sl_a, lesson_id, checks="Hinge: is 3 x 4 = 4 x 3?")
    author = client_for(app, login, team.author)
    review_id = review_id_from(ask_review(author, "lesson", lesson_id, team.school_a, team.sl_a))
    leader = client_for(app, login, team.sl_a)
    page = text(leader.get(f"/reviews/{review_id}"))
    assert "authors may not approve their own revision" in page
    assert 'value="approve"' not in page and 'value="request_changes"' in page

    response = decide(leader, review_id, "approve", number)
    assert response.status_code == 403
    assert "authors may not approve their own revision" in text(response)
    assert count(app, Approval) == 0 and count(app, ReviewDecision) == 0
    # Asking for changes to it is fine; the Lead may approve it.
    assert decide(leader, review_id, "comment", number, "Looks good to me.").status_code == 302
    assert decide(client_for(app, login, team.lead), review_id, "approve",
                  number).status_code == 302
    assert count(app, Approval) == 1


def test_a_teacher_or_another_schools_subject_leader_cannot_decide(app, login, team):
    review_id, number = submit_lesson(app, login, team)
    for person in (team.teacher_b, team.author, team.sl_b):
        the_client = client_for(app, login, person)
        page = text(the_client.get(f"/reviews/{review_id}"))
        assert "Your decision" not in page and "subject leader or the Work Group Lead" in page
        for decision in ("approve", "request_changes", "comment"):
            response = decide(the_client, review_id, decision, number, "Fine")
            assert response.status_code == 403, (person.display_name, decision)
            assert "subject leader or the Work Group Lead" in text(response)
    assert count(app, Approval) == 0 and count(app, ReviewDecision) == 0


def test_decisions_need_a_comment_and_render_markdown_safely(app, login, team):
    review_id, number = submit_lesson(app, login, team)
    leader = client_for(app, login, team.sl_a)
    response = decide(leader, review_id, "request_changes", number)
    assert response.status_code == 400 and "Say what should change." in text(response)
    response = decide(leader, review_id, "rubber-stamp", number, "ok")
    assert response.status_code == 400
    response = decide(leader, review_id, "comment", number, "ok", nonsense="x")
    assert response.status_code == 400
    assert count(app, ReviewDecision) == 0

    response = decide(leader, review_id, "request_changes", number,
                      "Add a **worked example**. <script>alert(1)</script>",
                      key_learning_point="Say *why* doubling works.")
    assert response.status_code == 302
    page = text(leader.get(f"/reviews/{review_id}"))
    assert "<strong>worked example</strong>" in page and "<script>alert" not in page
    assert 'On <a href="#change-key_learning_point">Key learning point</a>' in page
    assert "<em>why</em>" in page
    with app.app_context():
        request = db.session.get(ReviewRequest, review_id)
        assert (request.status, request.outcome) == ("closed", "changes_requested")
    assert decide(leader, review_id, "approve", number).status_code == 400  # closed now


def test_decisions_notify_and_reviewers_watch(app, login, team):
    from app.notifications.models import Notification, Watch

    review_id, number = submit_lesson(app, login, team)
    assert count(app, Notification, Notification.user_id == team.sl_a.id,
                 Notification.kind == "review_requested") == 1
    decide(client_for(app, login, team.sl_a), review_id, "approve", number)
    with app.app_context():
        note = db.session.scalar(select(Notification).where(
            Notification.user_id == team.author.id, Notification.kind == "decision_made"))
        assert note.url == f"/reviews/{review_id}" and "approved revision" in note.text
    assert count(app, Watch, Watch.user_id == team.sl_a.id, Watch.target_kind == "lesson",
                 Watch.target_id == team.plan.lesson_ids[0]) == 1


# --- per-school approval and the sequence's status -------------------------------------------


def test_sequence_status_follows_reviews_for_its_own_school_and_approvals_are_audited(
        app, login, team):
    sequence_id = team.plan.id

    def status() -> str:
        with app.app_context():
            return db.session.get(Sequence, sequence_id).status

    author = client_for(app, login, team.author)
    first = review_id_from(ask_review(author, "sequence", sequence_id, team.school_a, team.sl_a))
    assert status() == "in_review"
    leader = client_for(app, login, team.sl_a)
    number = head_number(app, "sequence", sequence_id)
    decide(leader, first, "request_changes", number, "Add a small step for 8s.")
    assert status() == "draft"
    edit_sequence(app, team.author, sequence_id, small_steps="1. Count in fours\n2. Eights")
    second = review_id_from(ask_review(author, "sequence", sequence_id, team.school_a,
                                       team.sl_a))
    assert status() == "in_review"
    assert decide(leader, second, "approve",
                  head_number(app, "sequence", sequence_id)).status_code == 302
    assert status() == "approved"
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "review.approved")))
        assert len(events) == 1 and events[0].work_group_id == team.group.id
        assert events[0].actor_id == team.sl_a.id and "approved for" in events[0].detail
        assert db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "sequence.status").order_by(AuditEvent.id.desc())
            .limit(1)).detail == "In review → Approved"


def test_another_schools_subject_leader_approves_for_their_own_school_only(app, login, team):
    sequence_id = team.plan.id
    number = head_number(app, "sequence", sequence_id)
    author = client_for(app, login, team.author)
    for_a = review_id_from(ask_review(author, "sequence", sequence_id, team.school_a,
                                      team.sl_a))
    adopter = client_for(app, login, team.sl_b)
    for_b = review_id_from(ask_review(adopter, "sequence", sequence_id, team.school_b,
                                      team.sl_b))
    # School b's subject leader cannot decide for school a ...
    assert decide(adopter, for_a, "approve", number).status_code == 403
    # ... but adopts it for school b, which leaves the owning school's status alone.
    assert decide(adopter, for_b, "approve", number).status_code == 302
    with app.app_context():
        approval = db.session.scalar(select(Approval))
        assert (approval.school_id, approval.revision_number) == (team.school_b, number)
        assert db.session.get(Sequence, sequence_id).status == "in_review"
    # School a's subject leader cannot decide school b's requests either.
    edit_sequence(app, team.author, sequence_id, overview="New overview.")
    for_b2 = review_id_from(ask_review(adopter, "sequence", sequence_id, team.school_b,
                                       team.sl_b))
    assert decide(client_for(app, login, team.sl_a), for_b2, "approve",
                  number + 1).status_code == 403

    # Readers see their own school's approved version first.
    def banner(user):
        with app.app_context():
            reader = db.session.get(User, user.id)
            return approval_banner(reader, db.session.get(Sequence, sequence_id).document)

    seen_by_b = banner(team.teacher_b)
    assert (seen_by_b.school_id, seen_by_b.revision_number) == (team.school_b, number)
    # Another school's adoption is not "the approved version" for the owning school's readers.
    assert banner(team.author) is None
    assert decide(client_for(app, login, team.lead), for_a, "approve",
                  number + 1).status_code == 302
    seen_by_a = banner(team.author)
    assert (seen_by_a.school_id, seen_by_a.revision_number) == (team.school_a, number + 1)
    assert seen_by_a.is_latest and seen_by_a.others == [(seen_by_b.school_name, number)]


# --- approved versions for readers -----------------------------------------------------------


def test_approved_version_stays_pinned_after_later_edits(app, login, team):
    lesson_id = team.plan.lesson_ids[0]
    review_id, approved = submit_lesson(app, login, team,
                                        key_learning_point="Approved wording.")
    decide(client_for(app, login, team.sl_a), review_id, "approve", approved)
    reader = client_for(app, login, team.teacher_b)
    page = text(reader.get(f"/lessons/{lesson_id}/approved"))
    assert f"Approved version</strong> (revision {approved}, by <bdi>Sal Leader-A" in page
    assert "It is also the latest version." in page

    latest = edit_lesson(app, team.author, lesson_id, key_learning_point="Draft wording.")
    page = text(reader.get(f"/lessons/{lesson_id}/approved"))
    assert "Approved wording." in page and "Draft wording." not in page
    assert f"the latest draft is revision {latest}" in page
    assert f'href="/lessons/{lesson_id}">Switch to the latest draft' in page
    compare = f"/lessons/{lesson_id}/compare?a={approved}&amp;b={latest}"
    assert compare in page
    diff = text(reader.get(compare.replace("&amp;", "&")))
    assert "<del>Approved</del>" in diff and "<ins>Draft</ins>" in diff
    with app.app_context():
        lesson = db.session.get(Lesson, lesson_id)
        view = approval_banner(db.session.get(User, team.teacher_b.id), lesson.document)
        assert (view.revision_number, view.head_number, view.is_latest) == (
            approved, latest, False)
    # The partial the lesson page includes renders the switch and the diff link.
    with app.test_request_context():
        template = app.jinja_env.from_string(
            '{% from "reviews/_approval_banner.html" import approval_banner %}'
            '{{ approval_banner(view) }}')
        banner = template.render(view=view)
    assert f'href="/lessons/{lesson_id}/approved?school={team.school_a}"' in banner
    assert compare in banner


def test_sequence_approved_page_and_nothing_approved_is_404(app, login, team):
    reader = client_for(app, login, team.teacher_b)
    assert reader.get(f"/sequences/{team.plan.id}/approved").status_code == 404
    number = head_number(app, "sequence", team.plan.id)
    review_id = review_id_from(ask_review(client_for(app, login, team.author), "sequence",
                                          team.plan.id, team.school_a, team.lead))
    decide(client_for(app, login, team.lead), review_id, "approve", number)
    edit_sequence(app, team.author, team.plan.id, title="Renamed after approval")
    page = text(reader.get(f"/sequences/{team.plan.id}/approved"))
    assert "Year 3: the 2, 4 and 8 times tables" in page and "Lessons in this version" in page
    assert "Renamed after approval" in page  # only in the breadcrumb: the current title
    assert page.count("Renamed after approval") == 1


def test_reader_from_another_work_group_gets_404_on_review_pages(app, login, team):
    review_id, number = submit_lesson(app, login, team)
    decide(client_for(app, login, team.sl_a), review_id, "approve", number)
    outsider = client_for(app, login, team.outsider)
    lesson_id = team.plan.lesson_ids[0]
    for url in (f"/reviews/{review_id}", f"/lessons/{lesson_id}/approved",
                f"/sequences/{team.plan.id}/approved",
                f"/reviews/new?kind=lesson&id={lesson_id}"):
        assert outsider.get(url).status_code == 404, url
    assert decide(outsider, review_id, "comment", number, "hi").status_code == 404
    assert ask_review(outsider, "lesson", lesson_id, team.school_a,
                      team.sl_a).status_code == 404
    assert f"/reviews/{review_id}" not in text(outsider.get("/reviews"))
    with app.app_context():
        lesson = db.session.get(Lesson, lesson_id)
        assert approval_banner(db.session.get(User, team.outsider.id), lesson.document) is None
    # Shared with everyone, the plan and its approved version are readable; the review
    # discussion stays with the Work Group.
    with app.app_context():
        db.session.get(Sequence, team.plan.id).visibility = "all"
        db.session.commit()
    assert outsider.get(f"/lessons/{lesson_id}/approved").status_code == 200
    assert outsider.get(f"/reviews/{review_id}").status_code == 404


def test_school_only_plan_review_is_hidden_from_the_other_school(app, login, team,
                                                                make_user):
    review_id, _ = submit_lesson(app, login, team)
    with app.app_context():
        db.session.get(Sequence, team.plan.id).visibility = "school"
        db.session.commit()
    assert client_for(app, login, team.teacher_b).get(f"/reviews/{review_id}").status_code == 404
    assert client_for(app, login, team.sl_a).get(f"/reviews/{review_id}").status_code == 200


def test_review_pages_have_labels_and_no_inline_script(app, login, team):
    review_id, _ = submit_lesson(app, login, team)
    leader = client_for(app, login, team.sl_a)
    author = client_for(app, login, team.author)
    for the_client, url in ((leader, f"/reviews/{review_id}"), (leader, "/reviews"),
                            (author, f"/reviews/new?kind=lesson&id={team.plan.lesson_ids[0]}")):
        page = text(the_client.get(url))
        assert "<script>" not in page and " style=" not in page
        for control_id in re.findall(r'<(?:input|textarea|select)[^>]* id="([^"]+)"', page):
            assert f'for="{control_id}"' in page, (url, control_id)
        levels = [int(n) for n in re.findall(r"<h([1-6])", page)]
        assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
