"""Plan views cost a fixed number of SQL statements, never write while the reader waits, and
do not grow with the Work Group (issue: fast pages at any Work Group size)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.notifications.services import notify, unread_count
from app.planning import adapt
from app.planning.models import Visit
from app.planning.presenters import MOVE_TARGETS_SHOWN
from tests.observations_helpers import add_change, make_research_lesson
from tests.planning_helpers import make_plan, signed_in
from tests.reviews_helpers import (
    ask_review,
    build_team,
    decide,
    edit_lesson,
    edit_sequence,
    review_id_from,
)
from tests.sql_helpers import statements_sent
from tests.test_attachments import pdf, png, post_file, versions
from tests.test_attachments_targets import make_thread
from tests.workgroup_sessions_helpers import freeze_today, make_session

#: The issue's budget for one lesson or sequence view.
BUDGET = 5


def view(app, the_client, url: str) -> tuple[str, list[str], list[str]]:
    """GET a page: (html, statements until the response was produced, statements after it was
    sent). The response is closed only after the first count, as a server closes it."""
    with statements_sent(app) as during:
        response = the_client.get(url, buffered=False)
        body = b"".join(response.response)
    count = len(during)
    with statements_sent(app) as after:
        response.close()
    assert response.status_code == 200, body[:500]
    return body.decode(), during[:count], after


def writes(sql: list[str]) -> list[str]:
    return [s for s in sql if s.split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]


@pytest.fixture
def team(app, make_work_group, make_user) -> SimpleNamespace:
    """A plan with everything its pages can show: a lesson taught as a research lesson with an
    open agreed change, approved by its school, adapted by the other school, and changed by
    someone else since the reader's last visit."""
    team = build_team(app, make_work_group, make_user)
    lesson_id = team.plan.lesson_ids[0]
    number = edit_lesson(app, team.author, lesson_id,
                         key_learning_point="Multiples of 4 are double the multiples of 2.")
    author = signed_in(app, team.author)
    review = review_id_from(ask_review(author, "lesson", lesson_id, team.school_a, team.sl_a))
    leader = signed_in(app, team.sl_a)
    assert decide(leader, review, "approve", number).status_code == 302
    research = make_research_lesson(app, team.author, lesson_id)
    add_change(app, team.author, research, "Use the double number line first.")
    with app.app_context():
        copy = adapt.adapt_sequence(db.session.get(User, team.sl_b.id), team.plan.id,
                                    team.group.id, team.school_b)
        db.session.commit()
        team.copy_id, team.copy_lesson_id = copy.id, copy.lessons[0].id
    return team


def test_a_lesson_view_costs_at_most_five_statements_with_every_panel_showing(app, team):
    reader = signed_in(app, team.teacher_b)
    lesson_id = team.plan.lesson_ids[0]
    reader.get(f"/lessons/{lesson_id}")  # a first visit, remembered
    reader.post(f"/watch/lesson/{lesson_id}")
    edit_lesson(app, team.sl_a, lesson_id, stem_sentences="Double 3 twos is 3 fours.")
    with app.app_context():
        notify(team.teacher_b.id, "mention", "Sal mentioned you", "/")
        notify(team.teacher_b.id, "mention", "Sal mentioned you again", "/")
        db.session.commit()

    page, sql, _after = view(app, reader, f"/lessons/{lesson_id}")

    assert len(sql) <= BUDGET, "\n".join(sql)
    assert "Changed since your last visit" in page and "Sal Leader-A" in page
    assert "Approved" in page                                  # the approval banner
    assert "Use the double number line first." in page         # open agreed change
    assert "Taught and observed" in page                       # research panel
    assert "Lesson 2" in page and 'rel="next"' in page         # the pager
    assert "Contributors:" in page
    assert "Stop watching" in page                             # watch state from the page query
    with app.app_context():   # two mentions and the watched lesson's change
        unread = unread_count(db.session.get(User, team.teacher_b.id))
    assert unread == 3 and f"Notifications ({unread}" in page   # from the page's own query


def test_an_adapted_lesson_and_its_sequence_cost_at_most_five_statements(app, team):
    reader = signed_in(app, team.sl_b)
    edit_lesson(app, team.author, team.plan.lesson_ids[0], stem_sentences="Changed upstream.")

    page, sql, _after = view(app, reader, f"/lessons/{team.copy_lesson_id}")
    assert len(sql) <= BUDGET, "\n".join(sql)
    assert "Adapted from" in page and "The original has changed since" in page

    page, sql, _after = view(app, reader, f"/sequences/{team.copy_id}")
    assert len(sql) <= BUDGET, "\n".join(sql)
    assert "Adapted from" in page


def test_a_sequence_view_costs_at_most_five_statements_with_every_panel_showing(app, team):
    reader = signed_in(app, team.teacher_b)
    reader.get(f"/sequences/{team.plan.id}")
    edit_sequence(app, team.sl_a, team.plan.id, overview="Now with arrays first.")

    page, sql, _after = view(app, reader, f"/sequences/{team.plan.id}")

    assert len(sql) <= BUDGET, "\n".join(sql)
    assert "Changed since your last visit" in page and "Sal Leader-A" in page
    assert "Adapted by others" in page                         # team.sl_b's copy
    assert "Lesson 1" in page and "Lesson 2" in page
    assert "Notifications (" in page


def test_a_view_never_writes_before_its_response_and_remembers_the_visit_after(app, team):
    reader = signed_in(app, team.teacher_b)
    lesson_id = team.plan.lesson_ids[0]

    for url in (f"/lessons/{lesson_id}", f"/sequences/{team.plan.id}"):
        _page, sql, after = view(app, reader, url)
        assert writes(sql) == [], writes(sql)
        assert [s for s in writes(after) if s.startswith("INSERT INTO visit")], after

    with app.app_context():
        seen = db.session.scalars(select(Visit.document_id).where(
            Visit.user_id == team.teacher_b.id)).all()
    assert len(seen) == 2
    # A view of what was already seen writes nothing at all, even after the response.
    _page, sql, after = view(app, reader, f"/lessons/{lesson_id}")
    assert writes(sql) == [] and writes(after) == []

    # Someone else's save since is reported on the next view, and only once.
    edit_lesson(app, team.author, lesson_id, stem_sentences="Something new.")
    first, _sql, _after = view(app, reader, f"/lessons/{lesson_id}")
    again, _sql, _after = view(app, reader, f"/lessons/{lesson_id}")
    assert "Changed since your last visit" in first
    assert "Changed since your last visit" not in again


def test_the_lesson_view_does_not_grow_with_the_work_group(app, make_user, team):
    reader = signed_in(app, team.author)
    lesson_id = team.plan.lesson_ids[1]
    small, sql_small, _after = view(app, reader, f"/lessons/{lesson_id}")
    for n in range(40):
        make_plan(app, team.author, team.group, lessons=0, title=f"Another sequence {n:02}")
    big, sql_big, _after = view(app, reader, f"/lessons/{lesson_id}")

    assert len(sql_big) == len(sql_small) <= BUDGET
    assert "Another sequence" not in big
    # The page differs only by per-request tokens, not by a list of the group's sequences.
    assert abs(len(big) - len(small)) < 200
    assert "Move to another sequence" in big
    # The move page lists a screenful and asks for more of the title for the rest.
    move_page = reader.get(f"/lessons/{lesson_id}/move-to").get_data(as_text=True)
    assert move_page.count('name="target_id"') == MOVE_TARGETS_SHOWN
    assert "More sequences match" in move_page


def test_an_archived_lesson_has_no_previous_or_next(app, team):
    author = signed_in(app, team.author)
    middle = make_plan(app, team.author, team.group, lessons=3).lesson_ids[1]
    assert 'rel="prev"' in author.get(f"/lessons/{middle}").get_data(as_text=True)
    assert author.post(f"/lessons/{middle}/archive").status_code == 302
    page = author.get(f"/lessons/{middle}").get_data(as_text=True)
    assert "This lesson is archived" in page
    assert 'rel="prev"' not in page and 'rel="next"' not in page


def test_move_targets_are_searched_on_their_own_page_and_only_those_i_may_edit(
        app, make_user, team):
    mine = make_plan(app, team.author, team.group, lessons=0, title="Fractions: tenths")
    make_plan(app, team.author, team.group, lessons=0, title="Fractions: quarters")
    make_plan(app, team.author, team.group, lessons=0, title="100 square patterns")
    private_b = make_plan(app, team.sl_b, team.group, lessons=0,
                          title="Fractions: school B only", visibility="school",
                          school_id=str(team.school_b))
    author = signed_in(app, team.author)
    lesson_id = team.plan.lesson_ids[1]

    page = author.get(f"/lessons/{lesson_id}/move-to").get_data(as_text=True)
    assert "Fractions: tenths" in page and "Fractions: quarters" in page
    assert "school B only" not in page          # school-only plan of another school
    assert f'value="{team.plan.id}"' not in page  # not its own sequence

    page = author.get(f"/lessons/{lesson_id}/move-to?q=TENTHS").get_data(as_text=True)
    assert "Fractions: tenths" in page and "Fractions: quarters" not in page
    page = author.get(f"/lessons/{lesson_id}/move-to?q=100%25").get_data(as_text=True)
    assert "No sequence you can edit matches" in page   # % is a character, not a wildcard

    response = author.post(f"/lessons/{lesson_id}/move-to", data={"target_id": str(mine.id)})
    assert response.status_code == 302
    assert "Fractions: tenths" in author.get(f"/lessons/{lesson_id}").get_data(as_text=True)
    # Another school's school-only plan is refused even when posted by hand.
    response = author.post(f"/lessons/{lesson_id}/move-to",
                           data={"target_id": str(private_b.id)})
    assert response.status_code in (303, 403, 404)
    assert "Fractions: tenths" in author.get(f"/lessons/{lesson_id}").get_data(as_text=True)


def test_the_move_page_is_only_for_editors(app, make_work_group, make_user, team):
    lesson_id = team.plan.lesson_ids[0]
    outsider = signed_in(app, team.outsider)
    assert outsider.get(f"/lessons/{lesson_id}/move-to").status_code == 404
    # Someone in another Work Group of the hub may read a hub-wide plan, not move its lessons.
    neighbour_group = make_work_group(code="NCP 24-50", hub_id=team.group.hub_id)
    neighbour = make_user("Nell Neighbour", group=neighbour_group)
    shared = make_plan(app, team.author, team.group, lessons=1, visibility="hub")
    reader = signed_in(app, neighbour)
    assert reader.get(f"/lessons/{shared.lesson_ids[0]}").status_code == 200
    assert reader.get(f"/lessons/{shared.lesson_ids[0]}/move-to").status_code == 403


def test_changed_since_names_only_who_changed_this_plan(app, team, make_user):
    """The reader's last visits of other plans, and who changed those, never leak into this
    plan's "changed since" note (its author list is correlated to this plan's document)."""
    reader = signed_in(app, team.teacher_b)
    first, second = team.plan.lesson_ids
    reader.get(f"/lessons/{first}")
    reader.get(f"/lessons/{second}")
    edit_lesson(app, team.sl_a, first, stem_sentences="Changed by Sal.")
    edit_lesson(app, team.author, second, stem_sentences="Changed by Ann.")

    page, _sql, _after = view(app, reader, f"/lessons/{first}")
    note = page[page.index("Changed since your last visit"):]
    note = note[:note.index("</div>")]
    assert "Sal Leader-A" in note and "Ann Author" not in note


#: A Files page (a lesson's, sequence's, board thread's or session's): the reader, the thing,
#: its files, their versions with who added them, who removed any, and the header's counts.
FILES_BUDGET = 7


@pytest.mark.parametrize("kind", ["lesson", "sequence", "board_thread", "session"])
def test_a_files_page_costs_a_fixed_number_of_statements(app, tmp_path, monkeypatch,
                                                         make_work_group, make_user, kind):
    freeze_today(monkeypatch)
    app.config["FILES_DIR"] = str(tmp_path / "files")
    group = make_work_group()
    lead = make_user("Lee Lead", group=group, roles=("work_group_lead",))
    teacher = make_user("Tess Teacher", group=group)
    plan = make_plan(app, teacher, group)
    if kind == "lesson":
        files = f"/lessons/{plan.lesson_ids[0]}/files"
    elif kind == "sequence":
        files = f"/sequences/{plan.id}/files"
    elif kind == "board_thread":
        files = f"/work-groups/{group.id}/board/{make_thread(app, teacher, group)}/files"
    else:
        files = f"/sessions/{make_session(app, lead, group)}/files"
    client = signed_in(app, teacher)
    counts = []
    for n in range(3):
        assert post_file(client, files, f"sheet {n}.pdf", pdf(b"%d" % n)).status_code == 303
        attachment_id = versions(app)[-1].attachment_id
        assert post_file(client, f"{files}/{attachment_id}/replace", f"sheet {n} v2.pdf",
                         pdf(b"v2 %d" % n)).status_code == 303
        if n == 1:
            assert client.post(f"{files}/{attachment_id}/remove").status_code == 303
        client.get(files)  # the confirmation shown once
        page, sql, after = view(app, client, files)
        assert len(sql) <= FILES_BUDGET, "\n".join(sql)
        assert writes(sql) == [] and writes(after) == []
        counts.append(len(sql))
    # More files, versions and removed files: the same statements.
    assert counts[1] == counts[2]
    assert page.count("Earlier versions (1)") == 2 and "Removed files" in page


def test_a_pictures_page_costs_a_fixed_number_of_statements(app, tmp_path, make_work_group,
                                                            make_user):
    from tests.test_pictures import upload_json

    app.config["FILES_DIR"] = str(tmp_path / "files")
    group = make_work_group()
    teacher = make_user("Tess Teacher", group=group)
    lesson = make_plan(app, teacher, group).lesson_ids[0]
    client = signed_in(app, teacher)
    counts = []
    for n in range(3):
        added = upload_json(client, "lesson", lesson, png((n * 40, 10, 10)), f"Model {n}")
        assert added.status_code == 201
        if n == 1:
            attachment_id = versions(app)[-1].attachment_id
            assert client.post(f"/pictures/lesson/{lesson}/{attachment_id}/remove"
                               ).status_code == 303
            client.get(f"/pictures/lesson/{lesson}")  # the confirmation shown once
        page, sql, after = view(app, client, f"/pictures/lesson/{lesson}")
        assert len(sql) <= FILES_BUDGET, "\n".join(sql)
        assert writes(sql) == [] and writes(after) == []
        counts.append(len(sql))
    assert counts[1] == counts[2]
    assert page.count("Take down") == 2 and "Put back" in page
