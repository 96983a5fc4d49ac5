"""Research lessons: scheduling, observing, discussing, agreed changes closing the loop into
revisions, timelines, search, demo data, and everyone who must NOT see or change them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import render_template_string
from sqlalchemy import inspect, select, update

from app import signals, visibility
from app.accounts.models import User, WorkGroup
from app.errors import Forbidden, ValidationError
from app.extensions import db
from app.notifications.visibility import url_visible
from app.observations import hooks, services
from app.observations import timeline as timelines
from app.observations.models import (
    AgreedChange,
    Discussion,
    FocusPupil,
    Noticing,
    Observation,
    ResearchLesson,
)
from app.planning.models import Lesson
from app.revisions.models import Revision
from tests.observations_helpers import (
    add_change,
    build_world,
    change_state,
    edit_lesson,
    make_research_lesson,
    research_lesson_count,
    schedule_data,
)
from tests.planning_helpers import make_plan


@pytest.fixture
def world(app, make_work_group, make_user):
    return build_world(app, make_work_group, make_user)

CODE_ONLY = "Pupils are recorded by code only (A, B, C), never by name"


def _page(response) -> str:
    return response.get_data(as_text=True)


def _observation_form(**rows) -> dict[str, str]:
    data = {"responses": "", "action": "save"}
    data.update(rows)
    return data


# --- scheduling ------------------------------------------------------------------------------


def test_schedule_pins_the_current_revision_and_shows_the_plan_taught(app, client, login, world):
    edit_lesson(app, world.teacher, world.lesson_id, stem_sentences="First stem")
    edit_lesson(app, world.teacher, world.lesson_id, stem_sentences="Second stem")
    login(world.teacher)
    form = client.get(f"/lessons/{world.lesson_id}/research-lessons/new")
    assert form.status_code == 200
    assert 'name="observers"' in _page(form) and "Never pupils’ names" in _page(form)
    response = client.post(f"/lessons/{world.lesson_id}/research-lessons/new",
                           data=schedule_data(world.teacher, [world.observer]))
    assert response.status_code == 302, _page(response)[:2000]
    with app.app_context():
        rl = db.session.scalar(select(ResearchLesson))
        lesson = db.session.get(Lesson, world.lesson_id)
        assert (rl.revision_number, rl.document_id) == (3, lesson.document_id)
        assert rl.revision_id == db.session.scalar(select(Revision.id).where(
            Revision.document_id == lesson.document_id, Revision.number == 3))
        assert rl.school_id == world.group.school_ids[0] and rl.visibility == "work_group"
        assert rl.observer_ids == {world.observer.id}
    page = _page(client.get(response.headers["Location"]))
    assert "Second stem" in page and "The plan as taught (revision 3)" in page


def test_an_earlier_revision_can_be_pinned_and_its_text_is_shown(app, client, login, world):
    edit_lesson(app, world.teacher, world.lesson_id, stem_sentences="Taught **stem**")
    edit_lesson(app, world.teacher, world.lesson_id, stem_sentences="Later stem")
    login(world.teacher)
    response = client.post(f"/lessons/{world.lesson_id}/research-lessons/new",
                           data=schedule_data(world.teacher, revision_number="2"))
    assert response.status_code == 302
    page = _page(client.get(response.headers["Location"]))
    assert "<strong>stem</strong>" in page and "Later stem" not in page
    assert "the plan is now at revision 3" in page


def test_a_revision_of_a_different_lesson_is_404(app, client, login, world):
    for n in range(3):  # the other lesson reaches revision 4; this one stays at 1
        edit_lesson(app, world.teacher, world.other_lesson_id, body=f"v{n}")
    login(world.teacher)
    url = f"/lessons/{world.lesson_id}/research-lessons/new"
    assert client.get(url + "?revision=4").status_code == 404
    assert client.get(url + "?revision=99999999999999").status_code == 404
    response = client.post(url, data=schedule_data(world.teacher, revision_number="4"))
    assert response.status_code == 404
    assert client.post(url, data=schedule_data(world.teacher, revision_number="99999999999")
                       ).status_code == 404
    assert research_lesson_count(app) == 0
    # The same number is fine on the lesson it belongs to.
    assert client.post(f"/lessons/{world.other_lesson_id}/research-lessons/new",
                       data=schedule_data(world.teacher, revision_number="4")).status_code == 302


def test_an_observer_outside_the_work_group_is_refused_with_a_message(app, client, login, world):
    login(world.teacher)
    response = client.post(f"/lessons/{world.lesson_id}/research-lessons/new",
                           data=schedule_data(world.teacher, [world.observer, world.outsider]))
    assert response.status_code == 400
    assert "Only members of this Work Group can observe" in _page(response)
    assert research_lesson_count(app) == 0
    # Editing cannot slip them in either.
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    response = client.post(f"/research-lessons/{rl_id}/edit",
                           data=schedule_data(world.teacher, [world.outsider]))
    assert response.status_code == 400 and "Only members of this Work Group" in _page(response)
    with app.app_context():
        assert db.session.get(ResearchLesson, rl_id).observer_ids == {world.observer.id}


def test_the_teacher_cannot_also_observe_and_a_non_member_cannot_teach(app, client, login,
                                                                       world):
    login(world.teacher)
    url = f"/lessons/{world.lesson_id}/research-lessons/new"
    response = client.post(url, data=schedule_data(world.teacher, [world.teacher]))
    assert response.status_code == 400 and "cannot also observe" in _page(response)
    response = client.post(url, data=schedule_data(world.outsider))
    assert response.status_code == 400 and "Choose the teacher" in _page(response)
    assert research_lesson_count(app) == 0


def test_class_set_up_that_names_a_pupil_is_refused_and_kept(app, client, login, world):
    login(world.teacher)
    text = "28 pupils. Watch the girl called Maya near the window."
    response = client.post(f"/lessons/{world.lesson_id}/research-lessons/new",
                           data=schedule_data(world.teacher, class_context=text))
    assert response.status_code == 400
    page = _page(response)
    assert CODE_ONLY in page and text in page
    assert research_lesson_count(app) == 0


def test_only_members_schedule_and_school_restriction_needs_a_school(app, client, login, world,
                                                                     make_hub, make_user):
    plan = make_plan(app, world.teacher, world.group, lessons=1, visibility="hub")
    login(world.outsider)  # same hub: may read the plan, may not schedule on it
    assert client.get(f"/lessons/{plan.lesson_ids[0]}").status_code == 200
    assert client.get(f"/lessons/{plan.lesson_ids[0]}/research-lessons/new").status_code == 403
    login(world.teacher)
    response = client.post(f"/lessons/{world.lesson_id}/research-lessons/new",
                           data=schedule_data(world.lead, visibility="school"))
    assert response.status_code == 400 and "cannot be limited to their school" in _page(response)


# --- observations ------------------------------------------------------------------------------


def test_observation_form_works_without_javascript(app, client, login, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    login(world.observer)
    page = _page(client.get(f"/research-lessons/{rl_id}/my-observation"))
    assert len(re.findall(r'name="pupils-\d+-code"', page)) >= 3
    assert len(re.findall(r'name="noticings-\d+-note"', page)) >= 3
    assert page.count("<legend>Focus pupil") >= 3
    assert "<script" not in page.split("<main", 1)[1].split("</main>", 1)[0]
    assert ' style="' not in page
    response = client.post(f"/research-lessons/{rl_id}/my-observation", data={
        "pupils-0-code": "A", "pupils-0-profile": "secure 2x facts",
        "pupils-0-prediction": "Will not use the stem unprompted.",
        "pupils-0-evidence": "Used the stem after the chorus.",
        "pupils-1-code": "", "pupils-1-profile": "",  # a blank row is ignored
        "pupils-2-code": "B2", "pupils-2-evidence": "Counted in ones.",
        "noticings-0-at": "12", "noticings-0-about": "phase:main_input",
        "noticings-0-note": "I noticed several pupils read the array as eight 2s.",
        "noticings-1-at": "10:40", "noticings-1-about": "field:stem_sentences",
        "noticings-1-note": "The stem was too long to chorus.",
        "responses": "- *6x4 is double 3x2* appeared at three tables", "action": "save"})
    assert response.status_code == 302, _page(response)[:3000]
    with app.app_context():
        obs = db.session.scalar(select(Observation))
        assert obs.observer_id == world.observer.id
        assert [p.code for p in obs.focus_pupils] == ["A", "B2"]
        assert [(n.at, n.phase, n.field_key) for n in obs.noticings] == [
            ("12", "main_input", ""), ("10:40", "", "stem_sentences")]
        assert "<em>6x4 is double 3x2</em>" in obs.responses_html
        obs_id = obs.id
    page = _page(client.get(f"/research-lessons/{rl_id}"))
    assert "Focus pupils watched by <bdi>Nadia Okafor</bdi>" in page
    assert '<th scope="row">B2</th>' in page
    assert "Main input" in page and "Stem sentences and generalisations" in page
    # Opening "my observation" again goes to the saved one.
    response = client.get(f"/research-lessons/{rl_id}/my-observation")
    assert response.headers["Location"].endswith(f"/observations/{obs_id}/edit")


@pytest.mark.parametrize("code", ["ABCD", "Tom", "a", "A B", "Jo Smith", "b2", "É", "A-"])
def test_focus_pupil_code_must_be_a_code_not_a_name(app, client, login, world, code):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    login(world.observer)
    response = client.post(f"/research-lessons/{rl_id}/my-observation", data=_observation_form(
        **{"pupils-0-code": code, "pupils-0-profile": "still counts in ones"}))
    assert response.status_code == 400
    page = _page(response)
    assert CODE_ONLY in page
    assert 'id="f-pupils-0-code"' in page and "still counts in ones" in page
    with app.app_context():
        assert db.session.scalar(select(FocusPupil.id)) is None


def test_a_row_without_a_code_and_repeated_codes_are_refused(app, client, login, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    login(world.observer)
    response = client.post(f"/research-lessons/{rl_id}/my-observation", data=_observation_form(
        **{"pupils-0-code": "", "pupils-0-profile": "high prior attainment",
           "pupils-1-code": "A", "pupils-2-code": "A"}))
    assert response.status_code == 400
    page = _page(response)
    assert "Give this focus pupil a code" in page and "Code A is used twice" in page


def test_pupil_names_in_notes_are_refused(app, client, login, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    login(world.observer)
    response = client.post(f"/research-lessons/{rl_id}/my-observation", data=_observation_form(
        **{"noticings-0-note": "I noticed a boy named Tom doubled both factors."}))
    assert response.status_code == 400 and CODE_ONLY in _page(response)
    # Ordinary maths prose is not mistaken for a name.
    response = client.post(f"/research-lessons/{rl_id}/my-observation", data=_observation_form(
        **{"noticings-0-note": "Pupils called out 'Double!' before the stem; Pupil Premium "
                               "pupils B and C used the number line."}))
    assert response.status_code == 302


def test_notes_over_the_length_limit_are_refused_with_the_text_kept(app, client, login, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    login(world.observer)
    long_text = "noticed " * 1_300  # 10,400 characters
    response = client.post(f"/research-lessons/{rl_id}/my-observation", data=_observation_form(
        responses=long_text, **{"noticings-0-note": long_text}))
    assert response.status_code == 400
    page = _page(response)
    assert "Pupil responses is too long" in page and "the limit is 10,000" in page
    assert "The note is too long" in page
    assert long_text.strip() in page
    with app.app_context():
        assert db.session.scalar(select(Observation.id)) is None
    login(world.teacher)
    response = client.post(f"/research-lessons/{rl_id}/discussion",
                           data={"teacher_reflection": long_text})
    assert response.status_code == 400 and "reflection is too long" in _page(response)
    assert long_text.strip() in _page(response)
    response = client.post(f"/research-lessons/{rl_id}/changes",
                           data={"change_text": "x" * 2_001})
    assert response.status_code == 400 and "The agreed change is too long" in _page(response)
    assert "x" * 2_001 in _page(response)


def test_only_the_observer_edits_their_observation(app, client, login, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id,
                                 [world.observer, world.bystander])
    login(world.observer)
    client.post(f"/research-lessons/{rl_id}/my-observation",
                data=_observation_form(responses="Mine."))
    with app.app_context():
        obs_id = db.session.scalar(select(Observation.id))
    for person in (world.bystander, world.colleague, world.teacher, world.lead):
        login(person)
        assert client.get(f"/observations/{obs_id}/edit").status_code == 403, person.display_name
        assert client.post(f"/observations/{obs_id}/edit",
                           data=_observation_form(responses="Not mine.")).status_code == 403
    login(world.colleague)  # a member who is not an observer
    response = client.get(f"/research-lessons/{rl_id}/my-observation")
    assert response.status_code == 403 and "Only the observers" in _page(response)
    with app.app_context():
        assert db.session.get(Observation, obs_id).responses == "Mine."
        with pytest.raises(Forbidden):
            services.update_observation(db.session.get(User, world.bystander.id), obs_id,
                                        {"responses": "forged"})


def test_an_observer_who_recorded_stays_an_observer(app, client, login, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    login(world.observer)
    client.post(f"/research-lessons/{rl_id}/my-observation",
                data=_observation_form(responses="Seen."))
    login(world.teacher)
    response = client.post(f"/research-lessons/{rl_id}/edit",
                           data=schedule_data(world.teacher, [world.bystander]))
    assert response.status_code == 400 and "already recorded an observation" in _page(response)


def test_observations_have_no_grading_or_scoring_fields(app):
    judged = re.compile(r"grade|score|rating|judg|outstanding|mark", re.I)
    for model in (ResearchLesson, Observation, FocusPupil, Noticing, Discussion, AgreedChange):
        assert not [c.key for c in inspect(model).columns if judged.search(c.key)], model


# --- discussion and agreed changes ---------------------------------------------------------------


def test_the_loop_closes_from_agreed_change_to_revision(app, client, login, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    login(world.observer)
    response = client.post(f"/research-lessons/{rl_id}/discussion", data={
        "teacher_reflection": "The array was busy.",
        "discussion_points": "- Order of representations", "pupil_interview": "Pupil B: lines."})
    assert response.status_code == 302
    response = client.post(f"/research-lessons/{rl_id}/changes", data={
        "change_text": "Introduce the double number line before the array.",
        "change_field": "representations"})
    assert response.status_code == 302
    keep = add_change(app, world.observer, rl_id, "Show 3x2 vs 6x4 as a non-example.",
                      "procedural_variation")
    page = _page(client.get(f"/research-lessons/{rl_id}"))
    assert page.index("The teacher’s reflection") < page.index("Discussion points")
    assert "<li>Order of representations</li>" in page
    assert f'href="/lessons/{world.lesson_id}/edit?research_lesson={rl_id}"' in page
    with app.app_context():
        change_id = db.session.scalar(select(AgreedChange.id).where(
            AgreedChange.field_key == "representations"))

    # What the lesson editor does on save, as the lead wires it: save, then address.
    number = edit_lesson(app, world.teacher, world.lesson_id, representations="Number line first")
    with app.app_context():
        teacher = db.session.get(User, world.teacher.id)
        lesson = db.session.get(Lesson, world.lesson_id)
        assert [c.id for c in services.open_changes_for_lesson(teacher, lesson)] == [change_id,
                                                                                     keep]
        services.address_changes(teacher, lesson, number, [str(change_id)])
        db.session.commit()
        assert [c.id for c in services.open_changes_for_lesson(teacher, lesson)] == [keep]
    assert change_state(app, change_id) == ("addressed", 2)
    page = _page(client.get(f"/research-lessons/{rl_id}"))
    assert "addressed in revision 2" in page
    assert f"/lessons/{world.lesson_id}/compare?a=1&amp;b=2" in page


def test_addressing_with_another_lessons_change_or_revision_is_a_field_error(app, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    other_rl = make_research_lesson(app, world.teacher, world.other_lesson_id, [world.observer])
    mine = add_change(app, world.observer, rl_id)
    theirs = add_change(app, world.observer, other_rl)
    for n in range(3):
        edit_lesson(app, world.teacher, world.other_lesson_id, body=f"v{n}")  # reaches 4
    edit_lesson(app, world.teacher, world.lesson_id, body="Changed")  # this one reaches 2
    with app.app_context():
        teacher = db.session.get(User, world.teacher.id)
        lesson = db.session.get(Lesson, world.lesson_id)
        cases = [(2, [mine, theirs]), (2, [theirs]), (2, ["abc"]), (4, [mine]),  # 4: theirs
                 (1, [mine]), (None, [mine])]
        for number, ids in cases:
            with pytest.raises(ValidationError) as caught:
                services.address_changes(teacher, lesson, number, ids)
            assert set(caught.value.fields) == {"addresses"}, (number, ids)
            db.session.rollback()
        assert services.address_changes(teacher, lesson, 2, [mine])[0].status == "addressed"
        db.session.commit()
        with pytest.raises(ValidationError) as caught:
            services.address_changes(teacher, lesson, 2, [mine])
        assert "already addressed" in caught.value.fields["addresses"]
    assert change_state(app, theirs) == ("open", None)


def test_marking_addressed_by_hand_checks_the_revision(app, client, login, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    change_id = add_change(app, world.observer, rl_id)
    for n in range(3):
        edit_lesson(app, world.teacher, world.other_lesson_id, body=f"v{n}")
    edit_lesson(app, world.teacher, world.lesson_id, body="Changed")
    login(world.teacher)
    response = client.post(f"/agreed-changes/{change_id}/address", data={"revision_number": "4"})
    assert response.status_code == 400 and "Choose a revision of this lesson" in _page(response)
    response = client.post(f"/agreed-changes/{change_id}/address", data={"revision_number": "1"})
    assert response.status_code == 400 and "not later than the one taught" in _page(response)
    assert change_state(app, change_id) == ("open", None)
    login(world.bystander)  # any member may edit a Work Group plan, so may mark it addressed
    response = client.post(f"/agreed-changes/{change_id}/address", data={"revision_number": "2"})
    assert response.status_code == 303
    assert change_state(app, change_id) == ("addressed", 2)


def test_declining_needs_a_reason_and_keeps_it(app, client, login, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    change_id = add_change(app, world.observer, rl_id)
    login(world.observer)
    response = client.post(f"/agreed-changes/{change_id}/decline", data={"reason": "  "})
    assert response.status_code == 400 and "Say why the change is declined" in _page(response)
    response = client.post(f"/agreed-changes/{change_id}/decline",
                           data={"reason": "The array order suits this class."})
    assert response.status_code == 303
    page = _page(client.get(f"/research-lessons/{rl_id}"))
    assert "Declined" in page and "The array order suits this class." in page
    login(world.colleague)  # a member who was not in the room
    assert client.post(f"/agreed-changes/{change_id}/reopen").status_code == 403
    login(world.teacher)
    assert client.post(f"/agreed-changes/{change_id}/reopen").status_code == 303
    assert change_state(app, change_id) == ("open", None)


def test_lesson_editor_partials(app, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    change_id = add_change(app, world.observer, rl_id, "Use <b>bold</b> & a number line")
    with app.test_request_context():
        teacher = db.session.get(User, world.teacher.id)
        lesson = db.session.get(Lesson, world.lesson_id)
        changes = services.open_changes_for_lesson(teacher, lesson)
        html = render_template_string(
            '{% from "observations/_agreed_changes_panel.html" import agreed_changes_panel %}'
            '{{ agreed_changes_panel(changes, checked=[checked]) }}', changes=changes,
            checked=str(change_id))
        assert "<legend>Agreed changes from research lessons</legend>" in html
        assert (f'<input type="checkbox" id="f-addresses-{change_id}" name="addresses" '
                f'value="{change_id}" checked>') in html
        assert f'<label for="f-addresses-{change_id}">' in html
        assert "Use &lt;b&gt;bold&lt;/b&gt; &amp; a number line" in html
        assert "Representations and manipulatives" in html
        panel = services.lesson_panel(teacher, lesson)
        html = render_template_string(
            '{% from "observations/_lesson_panel.html" import lesson_panel %}'
            '{{ lesson_panel(panel) }}', panel=panel)
        assert f"/research-lessons/{rl_id}" in html and "Open agreed changes" in html
        assert f"/lessons/{world.lesson_id}/edit?research_lesson={rl_id}" in html
        outsider = db.session.get(User, world.outsider.id)
        assert services.open_changes_for_lesson(outsider, lesson) == []


# --- who must not see it -------------------------------------------------------------------------


def test_another_work_group_gets_404_everywhere(app, client, login, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    change_id = add_change(app, world.observer, rl_id)
    login(world.observer)
    client.post(f"/research-lessons/{rl_id}/my-observation",
                data=_observation_form(responses="Seen."))
    client.post(f"/comments/observation/{rl_id}", data={"body": "A thought."})
    with app.app_context():
        obs_id = db.session.scalar(select(Observation.id))
        from app.comments.models import Comment

        comment_id = db.session.scalar(select(Comment.id))
    login(world.outsider)
    gets = [f"/research-lessons/{rl_id}", f"/research-lessons/{rl_id}/edit",
            f"/research-lessons/{rl_id}/my-observation", f"/research-lessons/{rl_id}/discussion",
            f"/observations/{obs_id}", f"/observations/{obs_id}/edit",
            f"/lessons/{world.lesson_id}/timeline", f"/sequences/{world.plan.id}/timeline",
            f"/lessons/{world.lesson_id}/research-lessons/new",
            f"/comments/observation/{rl_id}", f"/comments/lesson/{world.lesson_id}",
            f"/comments/{comment_id}/history", f"/comments/{comment_id}/edit"]
    for path in gets:
        assert client.get(path).status_code == 404, path
    posts = [f"/research-lessons/{rl_id}/changes", f"/agreed-changes/{change_id}/decline",
             f"/agreed-changes/{change_id}/address", f"/agreed-changes/{change_id}/reopen",
             f"/observations/{obs_id}/edit", f"/research-lessons/{rl_id}/discussion",
             f"/comments/observation/{rl_id}", f"/comments/{comment_id}/resolve",
             f"/comments/{comment_id}/delete"]
    for path in posts:
        assert client.post(path, data={"body": "x", "reason": "x"}).status_code == 404, path
    assert f"/research-lessons/{rl_id}" not in _page(client.get("/research-lessons"))


def test_school_restricted_notes_are_hidden_from_another_school_in_the_group(app, client, login,
                                                                            world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.colleague],
                                 visibility="school")
    add_change(app, world.teacher, rl_id, "Restricted change")
    login(world.colleague)  # same school as the teacher
    assert client.get(f"/research-lessons/{rl_id}").status_code == 200
    assert "Restricted change" in _page(client.get(f"/lessons/{world.lesson_id}/timeline"))
    for person in (world.observer, world.lead):  # other school; the Lead has no school here
        login(person)
        assert client.get(f"/research-lessons/{rl_id}").status_code == 404
        assert client.get(f"/comments/observation/{rl_id}").status_code == 404
        assert "Restricted change" not in _page(client.get(f"/lessons/{world.lesson_id}"
                                                           "/timeline"))
        assert f"/research-lessons/{rl_id}" not in _page(client.get("/research-lessons"))
    with app.app_context():
        lesson = db.session.get(Lesson, world.lesson_id)
        observer = db.session.get(User, world.observer.id)
        assert services.lesson_panel(observer, lesson).research_lessons == []
        assert services.open_changes_for_lesson(observer, lesson) == []


def test_readers_of_a_school_only_plan_from_other_schools_never_see_its_records(
        app, client, login, world):
    plan = make_plan(app, world.teacher, world.group, lessons=1, visibility="school")
    rl_id = make_research_lesson(app, world.teacher, plan.lesson_ids[0], [world.colleague])
    login(world.observer)  # in the group, other school: cannot read the plan
    assert client.get(f"/research-lessons/{rl_id}").status_code == 404
    login(world.colleague)
    assert client.get(f"/research-lessons/{rl_id}").status_code == 200


def test_site_admins_do_not_read_observations_by_default(app, client, login, world, make_user):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    admin = make_user("Site Admin", site_role="site_admin")
    login(admin)
    assert client.get(f"/lessons/{world.lesson_id}").status_code == 200
    assert client.get(f"/research-lessons/{rl_id}").status_code == 404


# --- timeline ---------------------------------------------------------------------------------


def _set_times(app, rl_id: int, lesson_id: int, **times: dt.datetime) -> None:
    with app.app_context():
        lesson = db.session.get(Lesson, lesson_id)
        for number, at in ((1, times["rev1"]), (2, times["rev2"])):
            db.session.execute(update(Revision).where(
                Revision.document_id == lesson.document_id, Revision.number == number)
                .values(created_at=at))
        db.session.execute(update(Observation).values(created_at=times["observed"]))
        db.session.execute(update(AgreedChange).values(created_at=times["agreed"],
                                                       addressed_at=times["addressed"]))
        db.session.execute(update(ResearchLesson).where(ResearchLesson.id == rl_id)
                           .values(taught_on=times["taught"]))
        db.session.commit()


def test_timeline_interleaves_the_story_in_order(app, client, login, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    login(world.observer)
    client.post(f"/research-lessons/{rl_id}/my-observation",
                data=_observation_form(responses="Seen."))
    change_id = add_change(app, world.observer, rl_id)
    number = edit_lesson(app, world.teacher, world.lesson_id, representations="Line first")
    with app.app_context():
        services.address_changes(db.session.get(User, world.teacher.id),
                                 db.session.get(Lesson, world.lesson_id), number, [change_id])
        db.session.commit()
    day = dt.datetime(2025, 1, 30, tzinfo=dt.UTC)
    _set_times(app, rl_id, world.lesson_id, rev1=day - dt.timedelta(days=10), taught=day.date(),
               observed=day + dt.timedelta(hours=11), agreed=day + dt.timedelta(hours=15),
               rev2=day + dt.timedelta(days=4), addressed=day + dt.timedelta(days=4, minutes=1))
    with app.test_request_context():
        events = timelines.timeline(db.session.get(User, world.teacher.id),
                                    lesson=db.session.get(Lesson, world.lesson_id))
    assert [e.kind for e in events] == ["revision", "research_lesson", "observation",
                                        "change_raised", "revision", "change_addressed"]
    assert events[-1].title == "Change addressed in revision 2"
    assert "compare?a=1&b=2" in events[-1].url
    page = _page(client.get(f"/lessons/{world.lesson_id}/timeline"))
    order = [page.index(text) for text in ("Revision 1", "taught by Sam Iqbal",
                                           "Observation by Nadia Okafor", "Change agreed",
                                           "Revision 2", "Change addressed in revision 2")]
    assert order == sorted(order)
    page = _page(client.get(f"/sequences/{world.plan.id}/timeline"))
    assert "Sequence revision 1" in page and "Lesson 1: Change addressed in revision 2" in page


def test_a_lesson_revised_and_taught_the_same_day_is_taught_after_the_revision(app, client,
                                                                              login, world):
    # Revision 1 in the morning, revision 2 in the afternoon, taught (revision 2) that day and
    # observed in the evening: the lesson taught sits between revision 2 and the observation,
    # not at the start of the day before both revisions.
    number = edit_lesson(app, world.teacher, world.lesson_id, representations="Bar first")
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    login(world.observer)
    client.post(f"/research-lessons/{rl_id}/my-observation",
                data=_observation_form(responses="Seen."))
    day = dt.datetime(2025, 1, 30, tzinfo=dt.UTC)
    _set_times(app, rl_id, world.lesson_id, rev1=day + dt.timedelta(hours=8),
               taught=day.date(), observed=day + dt.timedelta(hours=18),
               agreed=day + dt.timedelta(hours=19), rev2=day + dt.timedelta(hours=13),
               addressed=None)
    with app.test_request_context():
        events = timelines.timeline(db.session.get(User, world.teacher.id),
                                    lesson=db.session.get(Lesson, world.lesson_id))
    assert number == 2
    assert [e.kind for e in events] == ["revision", "revision", "research_lesson", "observation"]


def test_a_lesson_recorded_after_it_was_taught_keeps_its_day(app, client, login, world):
    # Taught on 24 Nov, recorded on 2 Dec against the revision written that morning: the
    # timeline still says 24 Nov and puts it there.
    edit_lesson(app, world.teacher, world.lesson_id, representations="Bar first")
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    login(world.observer)
    client.post(f"/research-lessons/{rl_id}/my-observation",
                data=_observation_form(responses="Seen."))
    day = dt.datetime(2025, 11, 24, tzinfo=dt.UTC)
    _set_times(app, rl_id, world.lesson_id, rev1=day - dt.timedelta(days=3), taught=day.date(),
               observed=day + dt.timedelta(days=8, hours=12), agreed=day,
               rev2=day + dt.timedelta(days=8, hours=9), addressed=None)
    with app.test_request_context():
        events = timelines.timeline(db.session.get(User, world.teacher.id),
                                    lesson=db.session.get(Lesson, world.lesson_id))
    assert [e.kind for e in events] == ["revision", "research_lesson", "revision", "observation"]
    assert events[1].time.date() == day.date()
    page = _page(client.get(f"/lessons/{world.lesson_id}/timeline"))
    assert '<time datetime="2025-11-24">24 Nov 2025</time>' in page


def test_timeline_takes_providers_from_other_features(app, client, login, world):
    def reviews(scope):
        yield timelines.TimelineEvent(dt.datetime(2030, 1, 1, tzinfo=dt.UTC), "review",
                                      "Approved by the subject leader", "/x", "Amira Holt")

    timelines.register_timeline_provider(reviews)
    timelines.register_timeline_provider(reviews)
    try:
        login(world.teacher)
        page = _page(client.get(f"/lessons/{world.lesson_id}/timeline"))
        assert page.count("Approved by the subject leader") == 1
        assert page.index("Revision 1") < page.index("Approved by the subject leader")
    finally:
        timelines.PROVIDERS.remove(reviews)


# --- search ---------------------------------------------------------------------------------------


def _search(app, user_id: int, text: str) -> list[str]:
    from app.search import services as search

    with app.test_request_context():
        user = db.session.get(User, user_id)
        page = search.search(user, search.SearchRequest(text=text))
        return [hit.key for hit in page.results.hits]


def _search_page_hits(app, login, user, text: str) -> set[int]:
    """Research lessons the user finds on the public search page (/search?q=...)."""
    the_client = app.test_client()
    login(user, the_client)
    response = the_client.get("/search", query_string={"q": text})
    assert response.status_code == 200
    return {int(n) for n in re.findall(r'href="/research-lessons/(\d+)"', _page(response))}


def test_research_lessons_are_searchable_only_by_those_who_may_read_them(app, login, world):
    """A record limited to the teacher's school is found by that school in the Work Group only:
    not by a teacher of the group's other school, nor by another Work Group (no patching)."""
    from app.search import indexer

    open_rl = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer],
                                   research_focus="Do pupils see the doubling on a numberline?")
    closed_rl = make_research_lesson(app, world.teacher, world.other_lesson_id, [],
                                     visibility="school",
                                     research_focus="Private numberline question")
    with app.app_context():
        indexer.rebuild()
    # Same school as the teacher, same Work Group: finds both.
    assert _search_page_hits(app, login, world.colleague, "numberline") == {open_rl, closed_rl}
    # The group's other school: the open record only, whether observer or bystander.
    assert _search_page_hits(app, login, world.observer, "numberline") == {open_rl}
    for query in ("numberline", "private", "private OR numberline", "numberl*"):
        assert closed_rl not in _search_page_hits(app, login, world.bystander, query), query
    # Another Work Group: nothing.
    assert _search_page_hits(app, login, world.outsider, "numberline") == set()
    with app.app_context():
        doc = indexer.sources.build(f"observation:{closed_rl}")
        assert doc["title"].startswith("Research lesson: Lesson 2 (30 Jan 2025)")
        # One combined token: in this Work Group AND from the teacher's school.
        assert doc["access"] == [f"school:{world.group.school_ids[0]}&wg:{world.group.id}"]
        assert "site" not in indexer.sources.build(f"observation:{open_rl}")["access"]


# --- demo data --------------------------------------------------------------------------------


@pytest.fixture
def _fast_hash(monkeypatch):
    from tests.test_demo_planning import DEMO_HASH

    monkeypatch.setattr("app.accounts.services.generate_password_hash",
                        lambda password, method="scrypt": DEMO_HASH)


def _load_demo(app) -> dict[str, int]:
    from app.demo.loader import load_demo, read_seed
    from app.demo.observations_loader import load_observations

    with app.app_context():
        ids = load_demo()
        load_observations(read_seed(), ids)
        db.session.commit()
        return {k: v.id for k, v in ids.items()}


def test_demo_research_lessons_load_once_and_close_the_loop(app, _fast_hash):
    from app.comments.models import Comment

    ids = _load_demo(app)
    again = _load_demo(app)
    assert ids == again
    with app.app_context():
        # The seed's three, and one coming up with nothing recorded yet (observations_loader).
        assert len(db.session.scalars(select(ResearchLesson.id)).all()) == 4
        assert db.session.get(ResearchLesson, ids["obs-upcoming"]).observations == []
        assert len(db.session.scalars(select(Comment.id).where(
            Comment.target_type.in_(("lesson", "observation")))).all()) == 3
        obs1 = db.session.get(ResearchLesson, ids["obs-1"])
        assert obs1.revision_number == 1 and obs1.lesson_id == ids["les-y3-3"]
        assert [(c.status, c.addressed_revision_number) for c in obs1.agreed_changes] == [
            ("addressed", 2)] * 3
        assert [p.code for o in obs1.observations for p in o.focus_pupils] == ["A", "B", "C"]
        assert len([n for o in obs1.observations for n in o.noticings]) == 2
        assert obs1.discussion.teacher_reflection.startswith("The array was busy")
        open_changes = db.session.scalars(select(AgreedChange).where(
            AgreedChange.status == "open")).all()
        assert open_changes and any(c.research_lesson.lesson_id == ids["les-y5-2"]
                                    for c in open_changes)
        obs3 = db.session.get(ResearchLesson, ids["obs-3"])
        assert obs3.kind == "support_visit" and obs3.revision_number == 2
        comment = db.session.get(Comment, ids["cmt-3"])
        assert (comment.target_type, comment.target_id) == ("observation", ids["obs-1"])
        assert db.session.get(Comment, ids["cmt-1"]).anchor == "stem_sentences"


# --- hooks other features call ------------------------------------------------------------------


def test_hooks_for_reviews_session_digest_and_notification_links(app, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    addressed = add_change(app, world.observer, rl_id, "Number line first")
    add_change(app, world.observer, rl_id, "Still to do", "checks")
    number = edit_lesson(app, world.teacher, world.lesson_id, representations="Line first")
    with app.test_request_context():
        teacher = db.session.get(User, world.teacher.id)
        outsider = db.session.get(User, world.outsider.id)
        lesson = db.session.get(Lesson, world.lesson_id)
        services.address_changes(teacher, lesson, number, [addressed])
        db.session.commit()
        def evidence(user, item, from_number, to_number):
            return [row for answer in signals.answers(
                signals.review_evidence, user=user, item=item, from_number=from_number,
                to_number=to_number) for row in answer]

        def session_digest(user, group, since):
            return [section for answer in signals.answers(
                signals.session_digest, user=user, group=group, since=since)
                for section in answer]

        [(title, url, text)] = evidence(teacher, lesson, 1, 2)
        assert title.startswith("Research lesson: Lesson 1") and url.endswith(
            f"/research-lessons/{rl_id}#change-{addressed}")
        assert text == "Agreed change addressed in revision 2: Number line first"
        assert evidence(teacher, lesson, 2, 2) == [] and evidence(outsider, lesson, 0, 2) == []
        sequence = lesson.sequence
        assert [t for _title, _url, t in evidence(teacher, sequence, 0,
                                                   sequence.document.head_number)] == [
            "Agreed change addressed in Lesson 1, revision 2: Number line first"]
        group = db.session.get(WorkGroup, world.group.id)
        since = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        digest = dict(session_digest(teacher, group, since))
        assert [t for t, _u, _x in digest["Open agreed changes"]] == ["Still to do"]
        assert len(digest["Research lessons"]) == 1
        assert session_digest(outsider, group, since) == []
        # Notification links to the record follow the research-lesson rule (app/visibility.py).
        assert url_visible(teacher, f"/research-lessons/{rl_id}")
        assert not url_visible(outsider, f"/research-lessons/{rl_id}")
        change = db.session.get(AgreedChange, addressed)
        assert visibility.allows(teacher, visibility.AGREED_CHANGE_READ, change)
        assert not visibility.allows(outsider, visibility.AGREED_CHANGE_READ, change)
    hooks.install(app)  # create_app installed them once already: twice keeps one answer
    with app.test_request_context():
        assert len(signals.answers(
            signals.review_evidence, user=db.session.get(User, world.teacher.id),
            item=db.session.get(Lesson, world.lesson_id), from_number=1, to_number=2)) == 1


# --- accessibility ------------------------------------------------------------------------------


def _controls_without_labels(page: str) -> list[str]:
    missing = []
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
        if re.search(r'type="(?:hidden|submit)"', tag):
            continue
        found = re.search(r'\bid="([^"]+)"', tag)
        if found is None or f'<label for="{found.group(1)}"' not in page:
            missing.append(tag)
    return missing


def test_pages_label_every_control_and_use_no_inline_code(app, client, login, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    change_id = add_change(app, world.observer, rl_id)
    edit_lesson(app, world.teacher, world.lesson_id, body="Changed")
    login(world.observer)
    client.post(f"/research-lessons/{rl_id}/my-observation", data=_observation_form(
        **{"pupils-0-code": "A", "noticings-0-note": "I noticed the chorus."}))
    client.post(f"/comments/observation/{rl_id}", data={"body": "A comment"})
    login(world.teacher)
    pages = [f"/lessons/{world.lesson_id}/research-lessons/new", f"/research-lessons/{rl_id}",
             f"/research-lessons/{rl_id}/edit", f"/research-lessons/{rl_id}/discussion",
             f"/lessons/{world.lesson_id}/timeline", f"/sequences/{world.plan.id}/timeline",
             "/research-lessons", f"/comments/observation/{rl_id}", "/comments/1/history"]
    login(world.observer)
    pages_observer = ["/observations/1/edit", "/comments/1/edit"]
    for who, paths in ((world.teacher, pages), (world.observer, pages_observer)):
        login(who)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            page = _page(response)
            assert _controls_without_labels(page) == [], path
            assert ' style="' not in page and "<script>" not in page, path
            levels = [int(n) for n in re.findall(r"<h([1-6])\b", page)]
            assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:],
                                                                          strict=False)), path
            for table in re.findall(r"<table\b.*?</table>", page, re.S):
                assert "<caption" in table and 'scope="col"' in table, path
    login(world.teacher)
    page = _page(client.get(f"/research-lessons/{rl_id}"))
    assert f'id="change-{change_id}"' in page and f'<label for="f-revision-{change_id}">' in page
    assert f'<label for="f-reason-{change_id}">' in page


def test_narrowing_the_plan_narrows_the_research_lesson_in_search(app, client, login, world):
    from app.search import indexer

    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer],
                                 research_focus="Does the numberline help?")
    with app.app_context():
        indexer.rebuild()
    assert _search(app, world.observer.id, "numberline") == [f"observation:{rl_id}"]
    login(world.teacher)  # the plan becomes the teacher's school's only
    response = client.post(f"/sequences/{world.plan.id}/settings",
                           data={"visibility": "school", "status": "draft"})
    assert response.status_code == 302
    with app.app_context():
        indexer.catch_up()
    assert _search(app, world.observer.id, "numberline") == []
