"""The research-lesson cycle as teachers run it (issue 14, item 3): observers are told they were
invited, the teacher chooses the focus pupils that each observer's form starts from, the
schedule form pre-fills the key point and ties the lesson to a session, the discussion form
shows the evidence beside it, the editor puts agreed changes beside the fields they concern,
and the timeline reads as threads. And everyone who must not see or act cannot."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import School, User
from app.extensions import db
from app.notifications.models import Notification
from app.observations import services
from app.observations.models import PlannedPupil, ResearchLesson
from app.observations.validation import CODE_MESSAGE, NAME_MESSAGE
from app.workgroups.models import SessionLink
from tests.observations_helpers import (
    add_change,
    build_world,
    edit_lesson,
    make_research_lesson,
    research_lesson_count,
    schedule_data,
)
from tests.workgroup_sessions_helpers import make_session


@pytest.fixture
def world(app, make_work_group, make_user):
    return build_world(app, make_work_group, make_user)


@pytest.fixture
def mailed(app, monkeypatch) -> list[tuple[str, str, str]]:
    """Mail configured; what the invitation handler queues is recorded instead of sent."""
    app.config["MAIL_SERVER"] = "smtp.example.org"
    sent: list[tuple[str, str, str]] = []
    monkeypatch.setattr("app.notifications.feature_events.send_mail",
                        lambda to, subject, body: sent.append((to, subject, body)) or True)
    return sent


def _text(response) -> str:
    return response.get_data(as_text=True)


def _notes(app, user_id: int, kind: str = "observer_invited") -> list[Notification]:
    with app.app_context():
        rows = list(db.session.scalars(select(Notification).where(
            Notification.user_id == user_id, Notification.kind == kind)))
        db.session.expunge_all()
        return rows


def _schedule(client, world, observers=(), **extra) -> object:
    return client.post(f"/lessons/{world.lesson_id}/research-lessons/new",
                       data=schedule_data(world.teacher, list(observers), **extra))


def _rl_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(ResearchLesson.id)))


# --- invitations -----------------------------------------------------------------------------


def test_invited_observers_are_told_in_the_app_and_by_mail_and_see_it_on_their_dashboard(
        app, client, login, world, mailed):
    login(world.teacher)
    assert _schedule(client, world, [world.observer]).status_code == 302
    rl_id = _rl_id(app)
    [note] = _notes(app, world.observer.id)
    assert note.url == f"/research-lessons/{rl_id}"
    assert "Sam Iqbal invited you to observe" in note.text and "30 January 2025" in note.text
    assert note.emailed_at is not None  # the digest will not send it again
    assert [(to, subject) for to, subject, _ in mailed] == [
        (world.observer.email, "Invitation to observe: Lesson 1")]
    assert f"http://localhost/research-lessons/{rl_id}" in mailed[0][2]
    assert _notes(app, world.teacher.id) == []
    # Adding a second observer tells only the newcomer.
    client.post(f"/research-lessons/{rl_id}/edit",
                data=schedule_data(world.teacher, [world.observer, world.bystander]))
    assert len(_notes(app, world.observer.id)) == 1
    assert len(_notes(app, world.bystander.id)) == 1 and len(mailed) == 2
    # The observer finds it from the notification and on the dashboard.
    login(world.observer)
    dashboard = _text(client.get("/"))
    section = dashboard[dashboard.index("Lessons I am to observe"):]
    assert f'href="/research-lessons/{rl_id}"' in section[:2000]


def test_without_mail_the_invitation_is_in_the_app_only(app, client, login, world, monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr("app.notifications.feature_events.send_mail",
                        lambda to, subject, body: sent.append(to) or True)
    login(world.teacher)
    assert _schedule(client, world, [world.observer]).status_code == 302
    [note] = _notes(app, world.observer.id)
    assert note.emailed_at is None and sent == []


def test_outsiders_and_forged_posts_schedule_nothing_and_tell_no_one(app, client, login, world):
    login(world.outsider)
    url = f"/lessons/{world.lesson_id}/research-lessons/new"
    assert client.get(url).status_code in (403, 404)
    assert _schedule(client, world, [world.observer]).status_code in (403, 404)
    login(world.teacher)
    response = client.post(url, data=schedule_data(world.teacher, [world.observer]), csrf=False)
    assert response.status_code == 400
    assert research_lesson_count(app) == 0 and _notes(app, world.observer.id) == []


# --- the schedule form -----------------------------------------------------------------------


def test_the_form_prefills_the_key_point_and_lists_observers_with_their_school_not_the_teacher(
        app, client, login, world):
    edit_lesson(app, world.teacher, world.lesson_id,
                key_learning_point="4x products are **double** 2x products.")
    login(world.teacher)
    page = _text(client.get(f"/lessons/{world.lesson_id}/research-lessons/new"))
    key_point = re.search(r'<textarea[^>]*name="key_point"[^>]*>(.*?)</textarea>', page, re.S)
    assert key_point and "4x products are **double** 2x products." in key_point.group(1)
    observers = page[page.index("<legend>Observers</legend>"):]
    observers = observers[:observers.index("</fieldset>")]
    with app.app_context():
        school = db.session.get(School, world.observer.school_id).name
    assert f"Nadia Okafor — {school}" in observers
    assert f'value="{world.teacher.id}"' not in observers and "Sam Iqbal" not in observers


def test_focus_pupils_chosen_when_scheduling_start_each_observers_form(app, client, login, world):
    login(world.teacher)
    response = _schedule(client, world, [world.observer], **{
        "pupils-0-code": "A", "pupils-0-profile": "Confident counting in 2s; unsure why.",
        "pupils-1-code": "", "pupils-1-profile": "",
        "pupils-2-code": "B", "pupils-2-profile": "New to the school."})
    assert response.status_code == 302
    rl_id = _rl_id(app)
    page = _text(client.get(f"/research-lessons/{rl_id}"))
    assert "Pupil A" in page and "Confident counting in 2s" in page
    login(world.observer)
    form = _text(client.get(f"/research-lessons/{rl_id}/my-observation"))
    assert 'name="pupils-0-code" value="A"' in form.replace('type="text" ', "")
    assert 'value="B"' in form and "New to the school." in form
    assert form.index("Confident counting in 2s") < form.index("New to the school.")


def test_focus_pupils_are_codes_never_names(app, client, login, world):
    login(world.teacher)
    for row, message in [
            ({"pupils-0-code": "Maya", "pupils-0-profile": "Quiet."}, CODE_MESSAGE),
            ({"pupils-0-code": "A", "pupils-0-profile": "A girl called Maya, quiet."},
             NAME_MESSAGE),
            ({"pupils-0-code": "A", "pupils-1-code": "A"}, "Code A is used twice"),
            ({"pupils-0-profile": "Struggles with doubling."}, "Give this focus pupil a code")]:
        response = _schedule(client, world, [world.observer], **row)
        assert response.status_code == 400 and message in _text(response), row
    assert research_lesson_count(app) == 0 and _notes(app, world.observer.id) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PlannedPupil)) == 0


def test_a_research_lesson_is_tied_to_one_of_its_groups_sessions(app, client, login, world):
    session_id = make_session(app, world.lead, world.group, title="Research lesson day")
    login(world.teacher)
    form = _text(client.get(f"/lessons/{world.lesson_id}/research-lessons/new"))
    assert f'<option value="{session_id}"' in form and "Research lesson day" in form
    assert _schedule(client, world, session_id=str(session_id)).status_code == 302
    rl_id = _rl_id(app)
    page = _text(client.get(f"/research-lessons/{rl_id}"))
    assert f'href="/sessions/{session_id}"' in page
    with app.app_context():
        links = db.session.scalars(select(SessionLink).where(
            SessionLink.kind == "research_lesson", SessionLink.target_id == rl_id)).all()
        assert [link.session_id for link in links] == [session_id]
    # Untied again from the edit form.
    client.post(f"/research-lessons/{rl_id}/edit",
                data=schedule_data(world.teacher, session_id=""))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SessionLink)) == 0


def test_another_groups_session_is_refused(app, client, login, world, make_user):
    other_lead = make_user("Lee Other", group=world.other_group, roles=("work_group_lead",))
    foreign = make_session(app, other_lead, world.other_group)
    login(world.teacher)
    response = _schedule(client, world, session_id=str(foreign))
    assert response.status_code == 400 and "Choose one of this Work Group" in _text(response)
    assert _schedule(client, world, session_id="x1").status_code == 400
    assert research_lesson_count(app) == 0


# --- discussion, editor and timeline ---------------------------------------------------------


def _observe(client, rl_id: int) -> None:
    response = client.post(f"/research-lessons/{rl_id}/my-observation", data={
        "responses": "", "action": "save",
        "pupils-0-code": "A", "pupils-0-evidence": "Drew the array, then doubled each row.",
        "noticings-0-at": "12", "noticings-0-about": "field:representations",
        "noticings-0-note": "I noticed pupils reached for the number line first."})
    assert response.status_code == 302, _text(response)[:1500]


def test_the_discussion_form_shows_the_observations_beside_it(app, client, login, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    login(world.observer)
    _observe(client, rl_id)
    login(world.teacher)
    page = _text(client.get(f"/research-lessons/{rl_id}/discussion"))
    aside = page[page.index('class="observations-aside"'):]
    assert page.index('name="teacher_reflection"') < page.index('class="observations-aside"')
    assert "Pupil A" in aside and "Drew the array, then doubled each row." in aside
    assert "I noticed pupils reached for the number line first." in aside
    assert "12 min" in aside and "Nadia Okafor" in aside
    login(world.outsider)
    assert client.get(f"/research-lessons/{rl_id}/discussion").status_code == 404


def test_the_editor_puts_agreed_changes_first_and_beside_the_field_they_concern(
        app, client, login, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    beside = add_change(app, world.observer, rl_id, "Show the number line before the array.")
    whole = add_change(app, world.observer, rl_id, "Shorter plenary.", field_key="")
    login(world.teacher)
    page = _text(client.get(f"/lessons/{world.lesson_id}/edit"))
    panel = page.index('id="f-addresses"')
    assert panel < page.index('name="title"')
    note = page.index(f'id="field-change-{beside}"')
    assert page.index('id="f-representations"') < note < page.index('id="f-difficult_points"')
    assert f'href="#f-addresses-{beside}"' in page and 'href="#f-representations"' in page
    assert f'id="field-change-{whole}"' not in page  # about no field: in the panel only
    assert f'id="f-addresses-{whole}"' in page


def test_the_timeline_reads_as_threads_from_observation_to_revision(app, client, login, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    login(world.observer)
    _observe(client, rl_id)
    change_id = add_change(app, world.observer, rl_id, "Number line before the array.")
    number = edit_lesson(app, world.teacher, world.lesson_id, representations="Line first")
    with app.app_context():
        from app.planning.models import Lesson

        services.address_changes(db.session.get(User, world.teacher.id),
                                 db.session.get(Lesson, world.lesson_id), number, [change_id])
        db.session.commit()
    login(world.teacher)
    page = _text(client.get(f"/lessons/{world.lesson_id}/timeline"))
    thread = page[page.index(f'id="thread-{change_id}"'):]
    thread = thread[thread.index("</h3>"):thread.index("</article>")]  # the steps, not the title
    steps = [thread.index(text) for text in (
        "Observed", "I noticed pupils reached for the number line first.", "Agreed",
        "Number line before the array.", "Revised", f"revision {number} addressed it")]
    assert steps == sorted(steps)
    assert f"compare?a=1&amp;b={number}" in thread
    seq = _text(client.get(f"/sequences/{world.plan.id}/timeline"))
    assert f'id="thread-{change_id}"' in seq
    login(world.outsider)
    assert client.get(f"/lessons/{world.lesson_id}/timeline").status_code == 404


def test_school_only_notes_keep_their_threads_and_evidence_from_another_school(
        app, client, login, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.colleague],
                                 visibility="school")
    login(world.colleague)
    _observe(client, rl_id)
    change_id = add_change(app, world.colleague, rl_id, "Number line before the array.")
    login(world.observer)  # same Work Group, the other school
    assert client.get(f"/research-lessons/{rl_id}/discussion").status_code == 404
    page = _text(client.get(f"/lessons/{world.lesson_id}/timeline"))
    assert f'id="thread-{change_id}"' not in page and "reached for the number line" not in page


def test_whoever_invites_themselves_is_not_told(app, client, login, world):
    login(world.lead)
    assert _schedule(client, world, [world.lead, world.observer]).status_code == 302
    assert _notes(app, world.lead.id) == [] and len(_notes(app, world.observer.id)) == 1
