"""Sequences and lessons: creating, editing, merging, structure, archive, permissions."""

from __future__ import annotations

import re
from urllib.parse import quote_plus

from sqlalchemy import func, select

from app.extensions import db
from app.planning.models import Lesson, Sequence
from app.revisions.models import Revision
from tests.planning_helpers import lesson_form, make_plan, sequence_data


def _revisions(app, document_id: int) -> list[Revision]:
    with app.app_context():
        rows = db.session.scalars(select(Revision).where(Revision.document_id == document_id)
                                  .order_by(Revision.number))
        return [(r.number, r.fields, r.summary) for r in rows]


def _lesson_list(response) -> str:
    page = response.get_data(as_text=True)
    return page[page.index('<ol class="lesson-list">'):]


def test_create_sequence_through_the_form(app, client, login, make_work_group, make_user):
    group = make_work_group()
    login(make_user(group=group))
    form = client.get("/sequences/new")
    assert form.status_code == 200 and 'name="rtp_codes"' in form.get_data(as_text=True)
    response = client.post("/sequences/new", data=sequence_data(
        group, big_ideas=["fluency", "coherence"], rtp_codes="3NF–2, 3md-1"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Year 3: the 2, 4 and 8 times tables" in page
    assert "3NF–2" in page and "3MD–1" in page  # hyphen accepted, stored with the en dash
    assert "<strong>4 times</strong>" in page
    assert "Coherence, Fluency" in page


def test_sequence_form_errors_keep_the_text(client, login, make_work_group, make_user):
    group = make_work_group()
    login(make_user(group=group))
    long_overview = "word " * 25_000
    response = client.post("/sequences/new", data=sequence_data(
        group, title="", year_group="Y13", strand="astrology", rtp_codes="9ZZ-1",
        overview=long_overview))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for message in ("Enter a title", "Choose a year group from the list",
                    "Choose a curriculum strand", "Not a ready-to-progress code: 9ZZ-1",
                    "Overview is too long"):
        assert message in page
    assert long_overview.strip()[:500] in page  # the text is kept in the form


def test_title_over_200_characters_is_refused(client, login, make_work_group, make_user):
    group = make_work_group()
    login(make_user(group=group))
    response = client.post("/sequences/new", data=sequence_data(group, title="x" * 201))
    assert response.status_code == 400
    assert "Keep the title to 200 characters" in response.get_data(as_text=True)


def test_cannot_create_in_a_work_group_i_am_not_in(client, login, make_work_group, make_user):
    mine, other = make_work_group(), make_work_group()
    login(make_user(group=mine))
    response = client.post("/sequences/new", data=sequence_data(other))
    assert response.status_code == 400
    assert "Choose one of your Work Groups" in response.get_data(as_text=True)


def test_add_lessons_in_order_and_reorder_by_buttons(app, client, login, make_work_group,
                                                     make_user):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=2)
    login(user)
    response = client.post(f"/sequences/{plan.id}/lessons", data={"title": "Lesson 0",
                                                                  "position": "1"})
    assert response.status_code == 302 and "/edit" in response.headers["Location"]
    page = _lesson_list(client.get(f"/sequences/{plan.id}"))
    assert page.index("Lesson 0") < page.index("Lesson 1") < page.index("Lesson 2")
    client.post(f"/lessons/{plan.lesson_ids[1]}/move", data={"direction": "up"})
    page = _lesson_list(client.get(f"/sequences/{plan.id}"))
    assert page.index("Lesson 0") < page.index("Lesson 2") < page.index("Lesson 1")
    history = [summary for _n, _f, summary in _revisions(app, plan.document_id)]
    assert any(s.startswith("Lesson moved down") or s.startswith("Lesson moved up")
               for s in history)
    bad = client.post(f"/lessons/{plan.lesson_ids[0]}/move", data={"direction": "down"})
    assert bad.status_code == 303  # already last: a message, not an error page


def test_edit_lesson_saves_a_revision_and_hides_empty_fields(app, client, login,
                                                             make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=1)
    login(user)
    lesson_id = plan.lesson_ids[0]
    response = client.post(f"/lessons/{lesson_id}/edit", data=lesson_form(
        key_learning_point="Equal groups of four: $4 \\times 3 = 12$",
        stem_sentences="There are __ groups of 4.", summary="First draft"))
    assert response.status_code == 302
    page = client.get(f"/lessons/{lesson_id}").get_data(as_text=True)
    assert "Key learning point" in page and '<span class="math-inline">' in page
    assert "Stem sentences and generalisations" in page
    # Empty fields are hidden (the comment form below the plan still offers every field).
    assert "Conceptual variation" not in page.split('class="comments"')[0]
    assert "Revision 2" in page
    again = client.post(f"/lessons/{lesson_id}/edit", data=lesson_form(
        base=2, key_learning_point="Equal groups of four: $4 \\times 3 = 12$",
        stem_sentences="There are __ groups of 4."), follow_redirects=True)
    assert "No changes to save" in again.get_data(as_text=True)
    assert len(_revisions(app, plan.lesson_documents[0])) == 2


def test_preview_renders_without_saving(app, client, login, make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=1)
    login(user)
    response = client.post(f"/lessons/{plan.lesson_ids[0]}/edit", data={
        **lesson_form(body="| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>x</script>"),
        "action": "preview"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Preview (not saved yet)" in page
    assert "<table>" in page and "<script>x" not in page
    assert len(_revisions(app, plan.lesson_documents[0])) == 1


def test_concurrent_edits_to_different_parts_merge(app, client, login, make_work_group,
                                                   make_user):
    group = make_work_group()
    amira, daniel = make_user(group=group, name="Amira"), make_user(group=group, name="Daniel")
    plan = make_plan(app, amira, group, lessons=1)
    lesson_id = plan.lesson_ids[0]
    login(amira)
    client.post(f"/lessons/{lesson_id}/edit", data=lesson_form(body="one\ntwo\nthree\n"))
    other = app.test_client()
    login(daniel, other)
    # Both start from revision 2; Daniel saves first.
    assert other.post(f"/lessons/{lesson_id}/edit", data=lesson_form(
        base=2, body="ONE\ntwo\nthree\n")).status_code == 302
    response = client.post(f"/lessons/{lesson_id}/edit", data=lesson_form(
        base=2, body="one\ntwo\nTHREE\n", key_learning_point="Mine"), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "merged with Daniel" in page
    revisions = _revisions(app, plan.lesson_documents[0])
    assert revisions[-1][1]["body"] == "ONE\ntwo\nTHREE\n"
    assert revisions[-1][1]["key_learning_point"] == "Mine"
    assert [n for n, _f, _s in revisions] == [1, 2, 3, 4]


def test_conflicting_edit_opens_resolution_and_keeps_my_text(app, client, login,
                                                             make_work_group, make_user):
    group = make_work_group()
    amira, daniel = make_user(group=group), make_user(group=group, name="Daniel Fenwick")
    plan = make_plan(app, amira, group, lessons=1)
    lesson_id = plan.lesson_ids[0]
    other = app.test_client()
    login(daniel, other)
    other.post(f"/lessons/{lesson_id}/edit", data=lesson_form(
        stem_sentences="There are __ groups of four."))
    login(amira)
    response = client.post(f"/lessons/{lesson_id}/edit", data=lesson_form(
        stem_sentences="__ fours are __.", fluency_practice="Count in fours to 48"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed the same part" in page and "Daniel Fenwick" in page
    assert "There are __ groups of four." in page and "__ fours are __." in page
    assert "Count in fours to 48" in page  # everything typed is still in the form
    assert 'name="base_number" value="2"' in page
    assert len(_revisions(app, plan.lesson_documents[0])) == 2  # nothing saved yet
    resolved = client.post(f"/lessons/{lesson_id}/edit", data=lesson_form(
        base=2, stem_sentences="There are __ groups of four. __ fours are __.",
        fluency_practice="Count in fours to 48"))
    assert resolved.status_code == 302
    final = _revisions(app, plan.lesson_documents[0])[-1]
    assert final[0] == 3 and final[1]["fluency_practice"] == "Count in fours to 48"


def test_forged_base_revision_never_overwrites(app, client, login, make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=1)
    login(user)
    lesson_id = plan.lesson_ids[0]
    client.post(f"/lessons/{lesson_id}/edit", data=lesson_form(body="Original text"))
    for forged in ("99", "0", "-1", "abc"):
        response = client.post(f"/lessons/{lesson_id}/edit",
                               data={**lesson_form(body="Overwrite!"), "base_number": forged})
        assert response.status_code == 409, forged
    assert _revisions(app, plan.lesson_documents[0])[-1][1]["body"] == "Original text"


def test_field_over_the_limit_is_refused_with_text_kept(app, client, login, make_work_group,
                                                        make_user):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=1)
    login(user)
    huge = "fraction " * 12_000
    response = client.post(f"/lessons/{plan.lesson_ids[0]}/edit",
                           data=lesson_form(body=huge, fluency_practice="keep me"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Lesson notes is too long" in page and "keep me" in page and huge[:1000] in page


def test_control_characters_are_removed_by_the_input_policy(app, client, login, make_work_group,
                                                             make_user):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=1)
    login(user)
    # NUL (which PostgreSQL refuses), DEL and a C1 control are dropped; CRLF becomes LF.
    body = quote_plus("Half\x00 of six\r\nis three\x7f\x85 e\u0301".encode()).encode()
    response = client.post(f"/lessons/{plan.lesson_ids[0]}/edit",
                           data=b"title=Lesson+1&base_number=1&body=" + body,
                           content_type="application/x-www-form-urlencoded", csrf=False,
                           headers={"X-CSRFToken": client.csrf_token()})
    assert response.status_code == 302
    saved = _revisions(app, plan.lesson_documents[0])[-1][1]["body"]
    assert saved == "Half of six\nis three \u00e9"  # and NFC: e + combining acute is one é


def test_invalid_utf8_is_refused_and_nothing_is_stored(app, client, login, make_work_group,
                                                      make_user):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=1)
    login(user)
    before = _revisions(app, plan.lesson_documents[0])
    response = client.post(f"/lessons/{plan.lesson_ids[0]}/edit",
                           data=b"title=Lesson+1&base_number=1&body=three+%FF%FE%C3(",
                           content_type="application/x-www-form-urlencoded", csrf=False,
                           headers={"X-CSRFToken": client.csrf_token()})
    assert response.status_code == 400
    assert "not valid text" in response.get_data(as_text=True)
    assert _revisions(app, plan.lesson_documents[0]) == before
    # In the address too: a 400, not a literal "%FF" search.
    assert client.get("/sequences?year=%FF").status_code == 400


def test_move_lesson_to_another_sequence(app, client, login, make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group)
    first, second = make_plan(app, user, group, lessons=2), make_plan(app, user, group, lessons=1)
    login(user)
    response = client.post(f"/lessons/{first.lesson_ids[0]}/move-to",
                           data={"target_id": str(second.id)})
    assert response.status_code == 302
    with app.app_context():
        lesson = db.session.get(Lesson, first.lesson_ids[0])
        assert lesson.sequence_id == second.id and lesson.position == 2
    assert "Lesson moved in" in _revisions(app, second.document_id)[-1][2]
    assert "Lesson moved out" in _revisions(app, first.document_id)[-1][2]


def test_archive_and_restore_never_delete(app, client, login, make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=2)
    login(user)
    client.post(f"/lessons/{plan.lesson_ids[0]}/archive")
    page = client.get(f"/sequences/{plan.id}").get_data(as_text=True)
    assert "Archived lessons" in page
    client.post(f"/sequences/{plan.id}/archive")
    link = f'href="/sequences/{plan.id}"'
    assert link not in client.get("/sequences").get_data(as_text=True)
    assert link in client.get("/sequences?archived=1").get_data(as_text=True)
    client.post(f"/sequences/{plan.id}/restore")
    client.post(f"/lessons/{plan.lesson_ids[0]}/restore")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Lesson)) == 2
        assert db.session.get(Sequence, plan.id).archived_at is None
    assert link in client.get("/sequences").get_data(as_text=True)


def test_other_work_group_cannot_see_or_edit(app, client, login, make_work_group, make_user):
    mine, other = make_work_group(), make_work_group()
    author = make_user(group=mine)
    plan = make_plan(app, author, mine, lessons=1)
    login(make_user(group=other))
    lesson_id = plan.lesson_ids[0]
    for path in (f"/sequences/{plan.id}", f"/lessons/{lesson_id}", f"/lessons/{lesson_id}/edit",
                 f"/sequences/{plan.id}/edit"):
        assert client.get(path).status_code == 404, path
    for path, data in ((f"/lessons/{lesson_id}/edit", lesson_form(body="x")),
                       (f"/lessons/{lesson_id}/archive", {}),
                       (f"/sequences/{plan.id}/lessons", {"title": "Sneaky"}),
                       (f"/sequences/{plan.id}/settings", {"visibility": "all",
                                                           "status": "draft"})):
        assert client.post(path, data=data).status_code == 404, path
    assert f'href="/sequences/{plan.id}"' not in client.get("/sequences").get_data(as_text=True)


def test_hub_visibility_lets_readers_in_but_not_editors(app, client, login, make_hub,
                                                        make_work_group, make_user):
    hub = make_hub()
    mine, neighbour = make_work_group(hub_id=hub.id), make_work_group(hub_id=hub.id)
    author = make_user(group=mine)
    plan = make_plan(app, author, mine, lessons=1, visibility="hub")
    login(make_user(group=neighbour))
    assert client.get(f"/sequences/{plan.id}").status_code == 200
    assert client.get(f"/lessons/{plan.lesson_ids[0]}/edit").status_code == 403
    assert client.post(f"/lessons/{plan.lesson_ids[0]}/edit",
                       data=lesson_form(body="x")).status_code == 403


def test_school_only_sequence_hidden_from_other_schools_in_the_group(app, client, login,
                                                                     make_work_group, make_user):
    group = make_work_group()
    author = make_user(group=group, school_id=group.school_ids[0])
    plan = make_plan(app, author, group, lessons=1, visibility="school")
    login(make_user(group=group, school_id=group.school_ids[1]))
    assert client.get(f"/sequences/{plan.id}").status_code == 404
    assert client.get(f"/lessons/{plan.lesson_ids[0]}").status_code == 404


def test_settings_change_visibility_and_only_leaders_approve(app, client, login,
                                                             make_work_group, make_user):
    from app.accounts.models import AuditEvent

    group = make_work_group()
    teacher = make_user(group=group)
    plan = make_plan(app, teacher, group, lessons=0)
    login(teacher)
    refused = client.post(f"/sequences/{plan.id}/settings", data={"visibility": "all",
                                                                  "status": "approved"})
    assert refused.status_code == 303
    with app.app_context():
        assert db.session.get(Sequence, plan.id).status == "draft"
    client.post("/logout")
    login(make_user(group=group, roles=("subject_leader",), school_id=group.school_ids[0]))
    assert client.post(f"/sequences/{plan.id}/settings", data={
        "visibility": "all", "status": "approved"}).status_code == 302
    with app.app_context():
        sequence = db.session.get(Sequence, plan.id)
        assert (sequence.visibility, sequence.status) == ("all", "approved")
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"sequence.visibility", "sequence.status"} <= actions


def test_wiki_links_resolve_only_to_what_the_reader_sees(app, client, login, make_work_group,
                                                         make_user):
    mine, other = make_work_group(), make_work_group()
    me = make_user(group=mine)
    stranger = make_user(group=other)
    make_plan(app, stranger, other, lessons=1, title="Secret fractions plan")
    visible = make_plan(app, me, mine, lessons=1, title="Place value basics")
    login(me)
    client.post(f"/lessons/{visible.lesson_ids[0]}/edit", data=lesson_form(
        body="See [[Place value basics/Lesson 1]] and [[Secret fractions plan]] and "
             "[[Nowhere plan]] and [[pd:9.99]]."))
    page = client.get(f"/lessons/{visible.lesson_ids[0]}").get_data(as_text=True)
    assert re.search(rf'href="/lessons/{visible.lesson_ids[0]}">Lesson 1</a>', page)
    # The hidden sequence renders exactly like a missing one: label only, no link to it.
    assert '<span class="wikilink missing">Secret fractions plan</span>' in page
    assert '<span class="wikilink missing">Nowhere plan</span>' in page
    assert "unknown material" in page
