"""The lesson editor a teacher can work in (issue 14, item 6): sections with a live preview,
a lesson's duration, a sequence started with its lessons, "Duplicate this lesson", and
presence (who else has the plan open), which is a hint and never a lock."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.materials.models import PlanMaterialLink
from app.planning import page_data, presence
from app.planning.models import Lesson, Sequence
from app.revisions.models import Revision
from app.timeutil import utcnow
from tests.planning_helpers import lesson_form, make_plan, sequence_data, signed_in
from tests.test_materials import make_material


def _head(app, lesson_id: int) -> dict:
    with app.app_context():
        lesson = db.session.get(Lesson, lesson_id)
        return dict(db.session.scalars(select(Revision).where(
            Revision.document_id == lesson.document_id).order_by(Revision.number.desc())
        ).first().fields)


# --- sections and preview -----------------------------------------------------------------------


def test_the_editor_groups_the_fields_into_sections_with_a_preview_beside_each(
        app, client, login, make_work_group, make_user):
    group = make_work_group()
    author = make_user(group=group)
    plan = make_plan(app, author, group, lessons=1)
    login(author)
    page = client.get(f"/lessons/{plan.lesson_ids[0]}/edit").get_data(as_text=True)
    legends = re.findall(r"<legend><h2>([^<]+)</h2></legend>", page)
    assert legends == ["The learning", "Representations and variation",
                       "Practice and checks", "Lesson notes"]
    sections = page.split('<fieldset class="plan-section">')[1:]
    assert 'name="stem_sentences"' in sections[0] and 'name="checks"' in sections[2]
    assert sum(s.count("<textarea") for s in sections) == 12  # every field, in one section
    assert page.count('data-preview-for="f-') == 12
    assert "js/editor.js" in page and 'value="preview"' in page  # the no-JS button stays


def test_the_preview_endpoint_renders_maths_and_escapes_hostile_input(
        client, login, make_work_group, make_user):
    login(make_user(group=make_work_group()))
    response = client.post("/preview", data={
        "text": r"Half is $\frac{1}{2}$ <script>alert(1)</script> "
                "<img src=x onerror=alert(1)> [x](javascript:alert(1))"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert r'<span class="math-inline">\frac{1}{2}</span>' in html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html


def test_the_preview_endpoint_needs_the_csrf_token_and_a_signed_in_user(
        app, client, login, make_work_group, make_user):
    assert client.post("/preview", data={"text": "*hi*"}).status_code in (302, 401)
    login(make_user(group=make_work_group()))
    refused = client.post("/preview", data={"text": "*hi*"}, csrf=False)
    assert refused.status_code == 400 and "<em>hi</em>" not in refused.get_data(as_text=True)


# --- duration -----------------------------------------------------------------------------------


def test_a_lesson_has_a_duration_shown_on_its_page(app, client, login, make_work_group,
                                                  make_user):
    group = make_work_group()
    author = make_user(group=group)
    lesson_id = make_plan(app, author, group, lessons=1).lesson_ids[0]
    login(author)
    saved = client.post(f"/lessons/{lesson_id}/edit", data=lesson_form(duration=" 045 "))
    assert saved.status_code == 302
    assert _head(app, lesson_id)["duration"] == "45"
    assert "Duration: 45 minutes" in client.get(f"/lessons/{lesson_id}").get_data(as_text=True)
    cleared = client.post(f"/lessons/{lesson_id}/edit", data=lesson_form(base=2, duration=""))
    assert cleared.status_code == 302 and _head(app, lesson_id)["duration"] == ""
    # A phone offers its number keypad: the attributes arrive as attributes, not as text.
    editor = client.get(f"/lessons/{lesson_id}/edit").get_data(as_text=True)
    assert re.search(r'<input id="f-duration"[^>]* inputmode="numeric" class="short">', editor)


def test_a_duration_outside_5_to_240_minutes_is_a_field_error_with_the_input_kept(
        app, client, login, make_work_group, make_user):
    group = make_work_group()
    author = make_user(group=group)
    lesson_id = make_plan(app, author, group, lessons=1).lesson_ids[0]
    login(author)
    for typed in ("4", "241", "an hour", "1e3", "-30", "4.5", "99999999999999999999"):
        response = client.post(f"/lessons/{lesson_id}/edit",
                               data=lesson_form(duration=typed, stem_sentences="Kept text."))
        page = response.get_data(as_text=True)
        assert response.status_code == 400, typed
        assert 'id="f-duration-error"' in page and "from 5 to 240" in page
        assert f'value="{typed}"' in page and "Kept text." in page
    for base, edge in ((1, "5"), (2, "240")):
        assert client.post(f"/lessons/{lesson_id}/edit", data=lesson_form(
            base=base, duration=edge)).status_code == 302
        assert _head(app, lesson_id)["duration"] == edge


# --- a sequence with its lessons in one step -----------------------------------------------------


def test_a_new_sequence_is_created_with_its_lessons_titled_in_one_step(
        app, client, login, make_work_group, make_user):
    group = make_work_group()
    login(make_user(group=group))
    assert 'name="lesson_titles"' in client.get("/sequences/new").get_data(as_text=True)
    response = client.post("/sequences/new", data=sequence_data(
        group, lesson_titles="Count in fours\n\n  Double the twos  \r\nThe 8 times table\n"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert page.index("Count in fours") < page.index("Double the twos") < \
        page.index("The 8 times table")
    with app.app_context():
        sequence = db.session.scalars(select(Sequence)).one()
        assert [(lesson.position, lesson.title) for lesson in sequence.lessons] == [
            (1, "Count in fours"), (2, "Double the twos"), (3, "The 8 times table")]
        first = db.session.scalars(select(Revision).where(
            Revision.document_id == sequence.document_id)).all()
        assert len(first) == 1  # one revision, already listing the lessons
        assert [item["title"] for item in first[0].fields["lessons"]] == [
            "Count in fours", "Double the twos", "The 8 times table"]


def test_a_lesson_title_too_long_refuses_the_new_sequence_and_keeps_the_text(
        app, client, login, make_work_group, make_user):
    group = make_work_group()
    login(make_user(group=group))
    typed = "Fine title\n" + "x" * 201
    response = client.post("/sequences/new", data=sequence_data(group, lesson_titles=typed))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="f-lesson_titles-error"' in page and "x" * 201 in page
    too_many = "\n".join(f"Lesson {n}" for n in range(61))
    assert client.post("/sequences/new", data=sequence_data(
        group, lesson_titles=too_many)).status_code == 400
    with app.app_context():
        assert db.session.scalars(select(Sequence)).all() == []


# --- duplicate ----------------------------------------------------------------------------------


def test_duplicate_a_lesson_into_this_or_another_sequence_i_may_edit(
        app, client, login, make_work_group, make_user):
    group = make_work_group()
    author = make_user(group=group)
    plan = make_plan(app, author, group, lessons=2)
    other = make_plan(app, author, group, lessons=0, title="Another sequence")
    lesson_id = plan.lesson_ids[0]
    login(author)
    material = make_material(app)
    client.post(f"/lessons/{lesson_id}/edit", data={**lesson_form(
        duration="50", stem_sentences=r"$\frac{1}{4}$ of 8 is 2."),
        "material_id": str(material.id), "material_note": "", "material_position": "1"})
    lesson_page = client.get(f"/lessons/{lesson_id}").get_data(as_text=True)
    assert f"/lessons/{lesson_id}/duplicate" in lesson_page
    choices = client.get(f"/lessons/{lesson_id}/duplicate").get_data(as_text=True)
    assert f'value="{plan.id}"' in choices and f'value="{other.id}"' in choices

    here = client.post(f"/lessons/{lesson_id}/duplicate", data={"target_id": str(plan.id)})
    assert here.status_code == 302
    there = client.post(f"/lessons/{lesson_id}/duplicate", data={"target_id": str(other.id)})
    assert there.status_code == 302
    with app.app_context():
        copies = db.session.scalars(select(Lesson).where(
            Lesson.id.not_in(plan.lesson_ids)).order_by(Lesson.id)).all()
        assert [(c.sequence_id, c.position, c.title) for c in copies] == [
            (plan.id, 3, "Lesson 1 (copy)"), (other.id, 1, "Lesson 1")]
        ids = [c.id for c in copies]
    for copy_id in ids:
        fields = _head(app, copy_id)
        assert fields["duration"] == "50" and fields["stem_sentences"].startswith(r"$\frac")
        assert [m["material_id"] for m in fields["materials"]] == [material.id]
    with app.app_context():  # the material's backlinks list the copies too
        linked = db.session.scalars(select(PlanMaterialLink.lesson_id).where(
            PlanMaterialLink.material_id == material.id)).all()
        assert sorted(linked) == sorted([lesson_id, *ids])
    assert _head(app, lesson_id)["title"] == "Lesson 1"  # the original is unchanged


def test_duplicate_is_refused_into_a_sequence_i_may_not_edit(
        app, client, login, make_work_group, make_user):
    group, elsewhere = make_work_group(), make_work_group()
    author = make_user(group=group)
    stranger = make_user(group=elsewhere)
    plan = make_plan(app, author, group, lessons=1)
    theirs = make_plan(app, stranger, elsewhere, lessons=0, title="Their sequence",
                       visibility="all")
    login(author)
    refused = client.post(f"/lessons/{plan.lesson_ids[0]}/duplicate",
                          data={"target_id": str(theirs.id)})
    assert refused.status_code in (403, 404)
    with app.app_context():
        assert db.session.scalars(select(Lesson).where(
            Lesson.sequence_id == theirs.id)).all() == []
    with app.app_context():
        db.session.get(Sequence, theirs.id).archived_at = utcnow()
        db.session.get(Sequence, plan.id).archived_at = utcnow()
        db.session.commit()
    archived = client.post(f"/lessons/{plan.lesson_ids[0]}/duplicate",
                           data={"target_id": str(plan.id)})
    assert archived.status_code == 303  # back to the choice, with the reason
    with app.app_context():
        assert len(db.session.get(Sequence, plan.id).lessons) == 1
    # The stranger may read nothing of the author's group: no copy out of it either.
    other_client = signed_in(app, stranger)
    assert other_client.post(f"/lessons/{plan.lesson_ids[0]}/duplicate",
                             data={"target_id": str(theirs.id)}).status_code == 404


# --- presence -----------------------------------------------------------------------------------


def _named(app, user) -> User:
    return db.session.get(User, user.id)


def test_the_editor_and_the_lesson_page_show_who_else_is_editing(
        app, make_work_group, make_user):
    group = make_work_group()
    ann = make_user("Ann Author", group=group)
    ben = make_user("Ben Builder", group=group)
    lesson_id = make_plan(app, ann, group, lessons=1).lesson_ids[0]
    anns, bens = signed_in(app, ann), signed_in(app, ben)
    alone = anns.get(f"/lessons/{lesson_id}/edit").get_data(as_text=True)
    assert re.search(r'id="presence"[^>]* hidden', alone)  # nobody else yet
    page = bens.get(f"/lessons/{lesson_id}/edit").get_data(as_text=True)
    assert "Also editing now: <span class=\"presence-names\">Ann Author</span>" in page
    assert "Ben Builder" not in page.split('id="presence"')[1].split("</p>")[0]
    beat = anns.post(f"/lessons/{lesson_id}/presence")
    assert beat.status_code == 200 and beat.get_json() == {"others": ["Ben Builder"]}
    reader = make_user("Cat Reader", group=group)
    lesson_page = signed_in(app, reader).get(f"/lessons/{lesson_id}").get_data(as_text=True)
    assert "Being edited by <bdi>Ann Author</bdi>, <bdi>Ben Builder</bdi> right now." \
        in lesson_page
    own_view = anns.get(f"/lessons/{lesson_id}").get_data(as_text=True)
    assert "Being edited by <bdi>Ben Builder</bdi> right now." in own_view

    assert anns.post(f"/lessons/{lesson_id}/presence/leave").status_code == 204
    after = bens.post(f"/lessons/{lesson_id}/presence").get_json()
    assert after == {"others": []}
    assert "Ann Author" not in signed_in(app, reader).get(
        f"/lessons/{lesson_id}").get_data(as_text=True).split("Being edited by")[-1][:80]


def test_presence_disappears_when_the_editor_goes_silent(app, make_work_group, make_user):
    group = make_work_group()
    ann = make_user("Ann Author", group=group)
    ben = make_user("Ben Builder", group=group)
    lesson_id = make_plan(app, ann, group, lessons=1).lesson_ids[0]
    assert signed_in(app, ann).get(f"/lessons/{lesson_id}/edit").status_code == 200
    with app.app_context():
        document_id = db.session.get(Lesson, lesson_id).document_id
        now = utcnow()
        assert presence.others_editing(document_id, ben.id, now) == ["Ann Author"]
        assert presence.others_editing(document_id, ann.id, now) == []  # never oneself
        later = now + timedelta(seconds=59)
        assert presence.others_editing(document_id, ben.id, later) == ["Ann Author"]
        silent = now + timedelta(seconds=61)
        assert presence.others_editing(document_id, ben.id, silent) == []
        reader = _named(app, ben)
        assert page_data.lesson_page(reader, lesson_id, later).editing == ["Ann Author"]
        assert page_data.lesson_page(reader, lesson_id, silent).editing == []


def test_presence_never_blocks_a_save(app, make_work_group, make_user):
    group = make_work_group()
    ann = make_user("Ann Author", group=group)
    ben = make_user("Ben Builder", group=group)
    lesson_id = make_plan(app, ann, group, lessons=1).lesson_ids[0]
    anns, bens = signed_in(app, ann), signed_in(app, ben)
    anns.get(f"/lessons/{lesson_id}/edit")
    bens.get(f"/lessons/{lesson_id}/edit")
    first = bens.post(f"/lessons/{lesson_id}/edit", data={
        **lesson_form(stem_sentences="Ben's stem."), "csrf_token": bens.csrf_token()})
    assert first.status_code == 302
    second = anns.post(f"/lessons/{lesson_id}/edit", data={
        **lesson_form(key_learning_point="Ann's point."), "csrf_token": anns.csrf_token()})
    assert second.status_code == 302  # merged with Ben's, not refused
    fields = _head(app, lesson_id)
    assert fields["stem_sentences"] == "Ben's stem." and fields["key_learning_point"] == \
        "Ann's point."


def test_presence_is_only_for_editors_and_needs_the_csrf_token(
        app, make_work_group, make_user):
    group, elsewhere = make_work_group(), make_work_group()
    ann = make_user("Ann Author", group=group)
    lesson_id = make_plan(app, ann, group, lessons=1, visibility="all").lesson_ids[0]
    stranger = signed_in(app, make_user("Sid Stranger", group=elsewhere))
    assert stranger.get(f"/lessons/{lesson_id}").status_code == 200  # may read, not edit
    assert stranger.post(f"/lessons/{lesson_id}/presence").status_code == 403
    assert stranger.post(f"/lessons/{lesson_id}/presence/leave").status_code == 403
    anns = signed_in(app, ann)
    assert anns.post(f"/lessons/{lesson_id}/presence", csrf=False).status_code == 400
    with app.app_context():
        document_id = db.session.get(Lesson, lesson_id).document_id
        assert presence.others_editing(document_id, 0, utcnow()) == []


def test_opening_the_editor_records_its_heartbeat_after_the_page_has_gone(
        app, client, login, make_work_group, make_user):
    from app.planning.models import EditPresence

    group = make_work_group()
    author = make_user(group=group)
    lesson_id = make_plan(app, author, group, lessons=1).lesson_ids[0]
    login(author)

    def beats() -> int:
        with app.app_context():
            return len(db.session.scalars(select(EditPresence)).all())

    # A refused save (400) is no heartbeat.
    refused = client.post(f"/lessons/{lesson_id}/edit", data=lesson_form(duration="4"))
    assert refused.status_code == 400 and beats() == 0
    # While the page is still being sent nothing is written; once it has gone, the beat is.
    page = client.get(f"/lessons/{lesson_id}/edit", buffered=False)
    assert page.status_code == 200 and beats() == 0
    page.close()
    assert beats() == 1
