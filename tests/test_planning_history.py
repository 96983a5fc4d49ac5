"""History, old versions, comparisons, restore, visits, source and export — and attempts to peek."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db
from app.planning import history, services
from app.planning.models import Lesson, Sequence
from app.revisions.models import Revision
from tests.planning_helpers import make_plan


def edit_lesson(app, user: SimpleNamespace, lesson_id: int, summary: str = "",
                base: int | None = None, **changes: str) -> int:
    """Save changes to a lesson through the service, as `user`; returns the head number."""
    with app.app_context():
        author = db.session.get(User, user.id)
        lesson = db.session.get(Lesson, lesson_id)
        head = lesson.document.head_number
        fields = dict(history.revisions.get_revision(lesson.document_id,
                                                     base or head).fields)
        result = services.update_lesson(author, lesson_id, {**fields, **changes},
                                        base or head, summary)
        db.session.commit()
        return result.head.number


def sequence_head(app, sequence_id: int) -> int:
    with app.app_context():
        return db.session.get(Sequence, sequence_id).document.head_number


def revision_fields(app, lesson_id: int, number: int) -> dict[str, Any]:
    with app.app_context():
        lesson = db.session.get(Lesson, lesson_id)
        return dict(history.revisions.get_revision(lesson.document_id, number).fields)


def revision_count(app, document_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Revision)
                                 .where(Revision.document_id == document_id))


def set_visibility(app, sequence_id: int, visibility: str) -> None:
    with app.app_context():
        db.session.get(Sequence, sequence_id).visibility = visibility
        db.session.commit()


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


@pytest.fixture
def team(app, make_work_group, make_user) -> SimpleNamespace:
    """Two teachers in one Work Group (Ana writes the plan, Ben edits it) and their lesson."""
    group = make_work_group()
    ana = make_user(name="Ana Writer", group=group)
    ben = make_user(name="Ben Editor", group=group)
    plan = make_plan(app, ana, group, lessons=2)
    lesson_id = plan.lesson_ids[0]
    edit_lesson(app, ana, lesson_id, "Added the key point",
                key_learning_point="Pupils divide a whole into equal parts.")
    edit_lesson(app, ben, lesson_id, "Sharpened the key point",
                key_learning_point="Pupils divide a whole into unequal parts.")
    return SimpleNamespace(group=group, ana=ana, ben=ben, plan=plan, lesson_id=lesson_id)


# --- history ----------------------------------------------------------------------------------


def test_lesson_history_lists_revisions_newest_first_with_authors_and_summaries(
        client, login, team):
    login(team.ana)
    html = page(client, f"/lessons/{team.lesson_id}/history")
    rows = re.findall(r"Revision (\d+)</a>", html)
    assert rows == ["3", "2", "1"]
    third, second = html.index("Revision 3</a>"), html.index("Revision 2</a>")
    assert "Ben Editor" in html[third:second] and "Sharpened the key point" in html[third:second]
    assert "Ana Writer" in html[second:] and "Added the key point" in html[second:]
    assert "Lesson created." in html
    contributors = html[html.index("<h2>Contributors</h2>"):html.index("Versions</h2>")]
    assert contributors.index("Ana Writer") < contributors.index("Ben Editor")
    # A no-JavaScript compare form: two radio groups, defaults on the two newest versions.
    assert re.search(r'form="compare-form" name="a" value="2" id="a-2" checked', html)
    assert re.search(r'form="compare-form" name="b" value="3" id="b-3" checked', html)
    assert f'action="/lessons/{team.lesson_id}/compare"' in html
    assert '<label for="a-1" class="visually-hidden">Compare from revision 1</label>' in html
    assert f'href="/lessons/{team.lesson_id}/revisions/1"' in html


def test_history_notes_merged_and_restored_revisions(app, client, login, team):
    # Ana edits from revision 2 while Ben's revision 3 is newer: a clean three-way merge.
    edit_lesson(app, team.ana, team.lesson_id, "Added vocabulary", base=2,
                key_vocabulary="numerator, denominator")
    with app.app_context():
        merged = history.revisions.get_revision(
            db.session.get(Lesson, team.lesson_id).document_id, 4)
        assert merged.merged_numbers == [3]
    login(team.ana)
    client.post(f"/lessons/{team.lesson_id}/revisions/1/restore")
    html = page(client, f"/lessons/{team.lesson_id}/history")
    assert "Merged in changes from revision 3." in html
    assert "Restored from revision 1." in html
    assert re.findall(r"Revision (\d+)</a>", html)[0] == "5"


def test_sequence_history_shows_structure_changes(app, client, login, team):
    login(team.ana)
    client.post(f"/lessons/{team.plan.lesson_ids[1]}/move", data={"direction": "up"})
    html = page(client, f"/sequences/{team.plan.id}/history")
    assert "Lesson added: Lesson 1" in html and "Lesson added: Lesson 2" in html
    assert "Lesson moved up: Lesson 2 is now lesson 1" in html
    assert "Contributors" not in html  # that list is for lessons


def test_one_revision_means_nothing_to_compare(app, client, login, make_work_group, make_user):
    group = make_work_group()
    ana = make_user(group=group)
    plan = make_plan(app, ana, group, lessons=1)
    login(ana)
    html = page(client, f"/lessons/{plan.lesson_ids[0]}/history")
    assert "only one version so far" in html and 'type="radio"' not in html


# --- comparing ------------------------------------------------------------------------------


def test_compare_inline_marks_exactly_the_changed_word(client, login, team):
    login(team.ben)
    html = page(client, f"/lessons/{team.lesson_id}/compare?a=2&b=3")
    assert '<div class="diff diff-inline">Pupils divide a whole into <del>equal</del>' \
           '<ins>unequal</ins> parts.</div>' in html
    assert html.count("<ins>") == 2 and html.count("<del>") == 2  # the change + the key
    assert "Unchanged: Title." in html
    assert f'href="/lessons/{team.lesson_id}/compare?view=side&amp;a=2&amp;b=3"' in html


def test_compare_swapped_numbers_shows_older_to_newer(client, login, team):
    login(team.ben)
    html = page(client, f"/lessons/{team.lesson_id}/compare?a=3&b=1")
    assert re.search(r"From\s+<a[^>]*>revision 1</a>.*to\s+<a[^>]*>revision 3</a>", html, re.S)
    assert "Key learning point <span class=\"diff-kind\">(added)</span>" in html
    assert "<ins>Pupils divide a whole into unequal parts.</ins>" in html


def test_compare_side_by_side_is_an_accessible_table(client, login, team):
    login(team.ana)
    html = page(client, f"/lessons/{team.lesson_id}/compare?a=2&b=3&view=side")
    table = html[html.index('<table class="diff diff-table">'):html.index("</table>")]
    assert ("<caption>Key learning point: revision 2 on the left, revision 3 on the right"
            "</caption>") in table
    assert table.count('<th scope="col"') == 4
    row = re.search(r'<tr class="diff-row-replace">(.*?)</tr>', table, re.S).group(1)
    cells = re.findall(r'<td class="([\w-]+)">(.*?)</td>', row, re.S)
    assert cells == [("diff-no", "1"), ("diff-old", "Pupils divide a whole into "
                                                    "<del>equal</del> parts."),
                     ("diff-no", "1"), ("diff-new", "Pupils divide a whole into "
                                                    "<ins>unequal</ins> parts.")]
    assert ">Source, inline</a>" in html


def test_sequence_compare_describes_lessons_added_renamed_and_moved(app, client, login, team):
    before = sequence_head(app, team.plan.id)
    login(team.ana)
    client.post(f"/sequences/{team.plan.id}/lessons", data={"title": "Fractions of amounts"})
    edit_lesson(app, team.ana, team.lesson_id, title="Equal parts of a whole")
    client.post(f"/lessons/{team.plan.lesson_ids[1]}/move", data={"direction": "up"})
    after = sequence_head(app, team.plan.id)
    assert after == before + 3
    html = page(client, f"/sequences/{team.plan.id}/compare?a={before}&b={after}")
    assert "Lesson added: <ins><bdi>Fractions of amounts</bdi></ins>" in html
    assert ("Lesson renamed: <del><bdi>Lesson 1</bdi></del> → "
            "<ins><bdi>Equal parts of a whole</bdi></ins>") in html
    assert re.search(r"Lesson moved: <bdi>(Lesson 2</bdi> \(now lesson 1\)|"
                     r"Equal parts of a whole</bdi> \(now lesson 2\))", html)
    assert "Lesson removed" not in html
    assert "Unchanged: Title, Year group, Strand" in html


def test_sequence_compare_shows_labels_and_tags_in_words(app, client, login, team):
    with app.app_context():
        ana = db.session.get(User, team.ana.id)
        head = db.session.get(Sequence, team.plan.id).document.head_number
        data = {**history.revisions.get_revision(
            db.session.get(Sequence, team.plan.id).document_id, head).fields,
            "year_group": "Y4", "tags": "times tables, arrays", "rtp_codes": "3NF-2"}
        services.update_sequence(ana, team.plan.id, data, head, "Moved to Year 4")
        db.session.commit()
    login(team.ben)
    html = page(client, f"/sequences/{team.plan.id}/compare?a={head}&b={head + 1}")
    assert "Year <del>3</del><ins>4</ins>" in html
    assert "Tag added: <ins><bdi>arrays</bdi></ins>" in html
    assert "Tag removed" not in html


@pytest.mark.parametrize("query", ["", "?a=1", "?b=2", "?a=x&b=2", "?a=1&b=-2", "?a=1.5&b=2",
                                   "?a=%C2%B2&b=1", "?a=&b="])
def test_compare_without_two_revision_numbers_is_a_clear_400(client, login, team, query):
    login(team.ana)
    html = page(client, f"/lessons/{team.lesson_id}/compare{query}", 400)
    assert "Choose two versions to compare" in html
    page(client, f"/sequences/{team.plan.id}/compare{query}", 400)


def test_compare_same_revision_says_so(client, login, team):
    login(team.ana)
    assert "same revision twice" in page(client, f"/lessons/{team.lesson_id}/compare?a=2&b=2")


# --- reading old revisions --------------------------------------------------------------------


def test_old_revision_shows_its_own_content_with_a_banner(app, client, login, team):
    edit_lesson(app, team.ana, team.lesson_id, "Notes",
                body="Use **bar models**.\n\n<script>alert(1)</script>")
    login(team.ben)
    html = page(client, f"/lessons/{team.lesson_id}/revisions/2")
    assert "You are viewing revision 2 of 4</strong>" in html
    assert "(by <bdi>Ana Writer</bdi>," in html and "Change summary: Added the key point" in html
    assert "into equal parts" in html and "unequal" not in html
    assert "Lesson notes" not in html and "Fluency practice" not in html  # empty: hidden
    assert f'href="/lessons/{team.lesson_id}/compare?a=2&amp;b=4"' in html
    assert f'action="/lessons/{team.lesson_id}/revisions/2/restore"' in html
    current = page(client, f"/lessons/{team.lesson_id}/revisions/4")
    assert "this is the current version" in current and "Restore this version" not in current
    assert "<strong>bar models</strong>" in current  # stored HTML, not escaped...
    assert "<script>alert(1)" not in current and "&lt;script&gt;" in current  # ...but sanitised


def test_old_sequence_revision_lists_its_lessons_and_details(app, client, login, team):
    login(team.ana)
    html = page(client, f"/sequences/{team.plan.id}/revisions/2")
    assert "You are viewing revision 2 of 3" in html
    assert re.search(r'<ol class="lesson-list">\s*<li dir="auto">Lesson 1</li>\s*</ol>', html)
    assert "<dt>Year group</dt><dd>Year 3</dd>" in html
    assert "<strong>4 times</strong>" in html  # the overview's stored HTML


def test_reader_who_cannot_edit_sees_no_restore_button_and_gets_403(
        app, client, login, make_work_group, make_user, team):
    set_visibility(app, team.plan.id, "hub")
    neighbour = make_user(group=make_work_group(hub_id=team.group.hub_id))
    login(neighbour)
    html = page(client, f"/lessons/{team.lesson_id}/revisions/1")
    assert "Restore this version" not in html
    assert client.post(f"/lessons/{team.lesson_id}/revisions/1/restore").status_code == 403
    assert client.post(f"/sequences/{team.plan.id}/revisions/1/restore").status_code == 403
    assert revision_count(app, team.plan.lesson_documents[0]) == 3


# --- restoring ----------------------------------------------------------------------------------


def test_restore_creates_a_new_revision_with_the_old_content(app, client, login, team):
    login(team.ben)
    response = client.post(f"/lessons/{team.lesson_id}/revisions/2/restore")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/lessons/{team.lesson_id}")
    assert "Revision 2 restored as revision 4" in page(client, f"/lessons/{team.lesson_id}")
    assert revision_fields(app, team.lesson_id, 4) == revision_fields(app, team.lesson_id, 2)
    assert revision_fields(app, team.lesson_id, 3)["key_learning_point"].endswith("unequal parts.")
    html = page(client, f"/lessons/{team.lesson_id}/history")
    assert re.findall(r"Revision (\d+)</a>", html) == ["4", "3", "2", "1"]
    assert "Restored revision 2." in html


def test_restoring_the_current_content_adds_nothing(app, client, login, team):
    login(team.ben)
    client.post(f"/lessons/{team.lesson_id}/revisions/3/restore")
    assert revision_count(app, team.plan.lesson_documents[0]) == 3
    assert "nothing to restore" in page(client, f"/lessons/{team.lesson_id}")


def test_restore_sequence_revision_keeps_the_lessons(app, client, login, team):
    with app.app_context():
        ana = db.session.get(User, team.ana.id)
        sequence = db.session.get(Sequence, team.plan.id)
        head = sequence.document.head_number
        data = {**history.revisions.get_revision(sequence.document_id, head).fields,
                "overview": "A new overview."}
        services.update_sequence(ana, team.plan.id, data, head, "New overview")
        db.session.commit()
    login(team.ben)
    response = client.post(f"/sequences/{team.plan.id}/revisions/{head}/restore",
                           follow_redirects=True)
    assert f"Revision {head} restored as revision {head + 2}" in response.get_data(as_text=True)
    with app.app_context():
        sequence = db.session.get(Sequence, team.plan.id)
        restored = history.revisions.get_revision(sequence.document_id, head + 2)
        assert restored.fields["overview"] == "Build **4 times** from doubling."
        assert restored.restored_from == head
        assert [item["title"] for item in restored.fields["lessons"]] == ["Lesson 1", "Lesson 2"]


def test_restore_needs_post_and_a_csrf_token(app, client, login, team):
    login(team.ben)
    assert client.get(f"/lessons/{team.lesson_id}/revisions/1/restore").status_code == 405
    response = client.post(f"/lessons/{team.lesson_id}/revisions/1/restore", csrf=False)
    assert response.status_code == 400
    assert revision_count(app, team.plan.lesson_documents[0]) == 3


# --- permissions: outsiders, other schools, other lessons' revisions -----------------------------


def urls(team: SimpleNamespace, lesson_id: int | None = None) -> list[str]:
    lesson = lesson_id or team.lesson_id
    seq = team.plan.id
    return [f"/lessons/{lesson}/history", f"/lessons/{lesson}/revisions/1",
            f"/lessons/{lesson}/compare?a=1&b=2", f"/lessons/{lesson}/source",
            f"/lessons/{lesson}/revisions/1/source", f"/lessons/{lesson}/source.md",
            f"/lessons/{lesson}/revisions/1/source.md", f"/sequences/{seq}/history",
            f"/sequences/{seq}/revisions/1", f"/sequences/{seq}/compare?a=1&b=2",
            f"/sequences/{seq}/export.md", f"/sequences/{seq}/print"]


def test_outsider_from_another_work_group_gets_404_everywhere(
        app, client, login, make_work_group, make_user, team):
    login(make_user(group=make_work_group(code="NCP 24-99")))
    for url in urls(team):
        assert client.get(url).status_code == 404, url
    for url in (f"/lessons/{team.lesson_id}/revisions/1/restore",
                f"/sequences/{team.plan.id}/revisions/1/restore"):
        assert client.post(url).status_code == 404, url
    assert revision_count(app, team.plan.lesson_documents[0]) == 3


def test_school_only_plan_is_hidden_from_a_member_at_another_school(
        app, client, login, make_user, team):
    set_visibility(app, team.plan.id, "school")
    other_school = make_user(group=team.group, school_id=team.group.school_ids[1])
    login(other_school)
    for url in urls(team):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/lessons/{team.lesson_id}/revisions/1/restore").status_code == 404
    assert client.post(f"/sequences/{team.plan.id}/revisions/1/restore").status_code == 404
    assert revision_count(app, team.plan.lesson_documents[0]) == 3
    # Colleagues at the owning school still see all of it.
    colleague = app.test_client()
    login(team.ben, colleague)
    for url in urls(team):
        assert colleague.get(url).status_code == 200, url


def test_revision_numbers_of_another_lesson_are_404(app, client, login, team):
    other = team.plan.lesson_ids[1]  # only revision 1 exists; the first lesson has 1-3
    login(team.ana)
    for url in (f"/lessons/{other}/revisions/3", f"/lessons/{other}/revisions/3/source",
                f"/lessons/{other}/revisions/3/source.md",
                f"/lessons/{other}/compare?a=1&b=3", f"/lessons/{other}/revisions/0",
                f"/sequences/{team.plan.id}/revisions/99",
                # Past PostgreSQL's integer range: still a 404, never a database error.
                f"/lessons/{other}/revisions/99999999999", "/lessons/99999999999/history",
                f"/sequences/{team.plan.id}/compare?a=1&b=9999999999"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/lessons/{other}/revisions/3/restore").status_code == 404
    assert revision_count(app, team.plan.lesson_documents[1]) == 1


def test_revisions_of_a_hidden_lesson_stay_hidden_from_a_visible_lessons_url(
        app, client, login, make_work_group, make_user, team):
    """Numbers are looked up per document: a hidden lesson's revision 3 is never reachable."""
    group = make_work_group(code="NCP 24-77")
    mine = make_user(group=group)
    plan = make_plan(app, mine, group, lessons=1)
    login(mine)
    assert client.get(f"/lessons/{plan.lesson_ids[0]}/revisions/3").status_code == 404
    assert client.get(f"/lessons/{team.lesson_id}/revisions/3").status_code == 404
    html = page(client, f"/lessons/{plan.lesson_ids[0]}/revisions/1")
    assert "unequal" not in html


# --- raw source, export and print ---------------------------------------------------------------


def test_lesson_source_is_a_page_with_a_title_a_way_back_and_the_text(app, client, login, team):
    edit_lesson(app, team.ana, team.lesson_id,
                body="Try <b>this</b> & **that** <script>x</script>.")
    login(team.ben)
    html = page(client, f"/lessons/{team.lesson_id}/source")
    assert "<title>Markdown source of Lesson 1 · Coplan</title>" in html
    assert "<h1>Markdown source of “<bdi>Lesson 1</bdi>”</h1>" in html
    assert f'<a href="/lessons/{team.lesson_id}">Back to the lesson</a>' in html
    assert f'href="/lessons/{team.lesson_id}/source.md" download>Download as .md</a>' in html
    # The author's HTML is text on this page, never markup.
    source = re.search(r'<pre class="markdown-source" lang="en-GB" dir="auto">(.*?)</pre>',
                       html, re.S)
    assert source and source.group(1) == (
        "# Lesson 1\n\n## Key learning point\n\nPupils divide a whole into unequal parts.\n\n"
        "## Lesson notes\n\nTry &lt;b&gt;this&lt;/b&gt; &amp; **that** "
        "&lt;script&gt;x&lt;/script&gt;.\n")
    assert "<script>x" not in html


def test_lesson_source_file_is_plain_markdown(app, client, login, team):
    edit_lesson(app, team.ana, team.lesson_id, body="Try <b>this</b> & **that**.")
    login(team.ben)
    response = client.get(f"/lessons/{team.lesson_id}/source.md")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="lesson-1.md"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_data(as_text=True) == (
        "# Lesson 1\n\n## Key learning point\n\nPupils divide a whole into unequal parts.\n\n"
        "## Lesson notes\n\nTry <b>this</b> & **that**.\n")
    old = client.get(f"/lessons/{team.lesson_id}/revisions/2/source.md")
    assert old.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert old.headers["Content-Disposition"] == \
        'attachment; filename="lesson-1-revision-2.md"'
    assert "into equal parts." in old.get_data(as_text=True)
    assert "Lesson notes" not in old.get_data(as_text=True)


def test_revision_source_page_leads_back_to_that_revision(app, client, login, team):
    login(team.ben)
    html = page(client, f"/lessons/{team.lesson_id}/revisions/2/source")
    assert "<title>Markdown source of Lesson 1, revision 2 · Coplan</title>" in html
    assert f'<a href="/lessons/{team.lesson_id}/revisions/2">Back to revision 2</a>' in html
    assert f'href="/lessons/{team.lesson_id}/revisions/2/source.md" download>' in html
    assert "into equal parts." in html and "unequal" not in html
    # The revision page links here.
    revision = page(client, f"/lessons/{team.lesson_id}/revisions/2")
    assert f'href="/lessons/{team.lesson_id}/revisions/2/source">Markdown source</a>' in revision


def test_export_md_downloads_the_whole_sequence_in_order(app, client, login, team):
    login(team.ana)
    client.post(f"/sequences/{team.plan.id}/lessons", data={"title": "Fractions of amounts"})
    client.post(f"/lessons/{team.plan.lesson_ids[1]}/archive")
    response = client.get(f"/sequences/{team.plan.id}/export.md")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="year-3-the-2-4-and-8-times-tables.md"'
    assert response.mimetype == "text/markdown"
    text = response.get_data(as_text=True)
    assert text.startswith("# Year 3: the 2, 4 and 8 times tables\n\n- Year group: Year 3\n")
    assert "- Ready-to-progress criteria: 3NF–2\n" in text and "- Tags: times tables\n" in text
    assert "## Small-step summary\n\n1. Count in fours\n" in text
    assert "## Overview\n\nBuild **4 times** from doubling.\n" in text
    first = text.index("## Lesson 1: Lesson 1\n")
    second = text.index("## Lesson 2: Fractions of amounts\n")
    assert first < second
    assert "### Key learning point\n\nPupils divide a whole into unequal parts.\n" in text
    assert "Lesson 2\n" not in text.replace("## Lesson 2: ", "")  # archived lesson left out
    assert "### Fluency practice" not in text


def test_print_page_has_every_lesson_on_its_own_page(app, client, login, team):
    edit_lesson(app, team.ana, team.plan.lesson_ids[1], checks="Hinge question: *which* is 1/4?")
    login(team.ben)
    client.post(f"/sequences/{team.plan.id}/lessons", data={"title": "Archived soon"})
    archived = page(client, f"/sequences/{team.plan.id}/print")
    assert "Lesson 3: <bdi>Archived soon</bdi></h2>" in archived
    with app.app_context():
        lesson_id = db.session.scalar(select(Lesson.id).where(Lesson.title == "Archived soon"))
    client.post(f"/lessons/{lesson_id}/archive")
    html = page(client, f"/sequences/{team.plan.id}/print")
    assert html.count('<article class="print-lesson"') == 2
    assert "Archived soon</bdi></h2>" not in html
    assert "Lesson 1: <bdi>Lesson 1</bdi></h2>" in html
    assert "Lesson 2: <bdi>Lesson 2</bdi></h2>" in html
    assert "into unequal parts." in html and "Hinge question: <em>which</em> is 1/4?" in html
    assert f'<h3 id="l{team.plan.lesson_ids[1]}-f-checks">' in html


# --- what changed since my last visit -----------------------------------------------------------


def test_a_visit_marker_never_moves_back(app, team):
    from app.planning.models import Visit
    from app.planning.visits import record_visit

    def seen(user_id: int, document_id: int) -> int | None:
        return db.session.scalar(select(Visit.number).where(
            Visit.user_id == user_id, Visit.document_id == document_id))

    with app.app_context():
        ben, document_id = team.ben.id, team.plan.lesson_documents[0]
        assert seen(ben, document_id) is None
        record_visit(ben, document_id, 2)
        db.session.commit()
        assert seen(ben, document_id) == 2
        record_visit(ben, document_id, 1)  # an older page never moves it back
        db.session.commit()
        assert seen(ben, document_id) == 2
        record_visit(ben, document_id, 3)
        db.session.commit()
        assert seen(ben, document_id) == 3
        assert seen(ben, team.plan.lesson_documents[1]) is None
        assert seen(team.ana.id, document_id) is None


def test_changed_since_last_visit_links_to_the_comparison(app, client, login, team):
    login(team.ben)
    first = page(client, f"/lessons/{team.lesson_id}")
    assert "Changed since your last visit" not in first  # first visit: nothing to report
    edit_lesson(app, team.ana, team.lesson_id, "Vocabulary", key_vocabulary="whole, part")
    edit_lesson(app, team.ana, team.lesson_id, "Stems", stem_sentences="The whole is divided…")
    html = page(client, f"/lessons/{team.lesson_id}")
    assert re.search(r"Changed since your last visit</strong> \(revision 3 → 5\)\s*"
                     r"by <bdi>Ana Writer</bdi>", html)
    compare_url = f"/lessons/{team.lesson_id}/compare?a=3&amp;b=5"
    assert compare_url in html
    diff = page(client, compare_url.replace("&amp;", "&"))
    assert "<ins>whole, part</ins>" in diff
    assert "Changed since your last visit" not in page(client, f"/lessons/{team.lesson_id}")
