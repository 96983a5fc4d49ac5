"""Right-to-left override characters in user titles and names stay isolated on display.

A title such as "Fractions \u202egnp.exe" must not reorder the text around it (lists, breadcrumbs,
"by <name>" lines, flash messages). Every text occurrence of a user-made title or name outside
<title>, <script> and attribute values sits inside a <bdi> or an element with a dir attribute.
The objects are made through the models and services, not the forms (which may strip them).
"""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.accounts.models import School, User, WorkGroup
from app.extensions import db

RLO = "\u202e"
#: Each user-made title or name carries the override and a word that says which it is.
SEQUENCE = f"Fractions {RLO}gnp.exe sequence"
LESSON = f"Unit fractions {RLO}fdp.exe lesson"
LESSON_2 = f"Halves {RLO}cod.exe lesson two"
GROUP = f"Fractions group {RLO}puorg"
SCHOOL = f"Oakfield {RLO}loohcs"
VIEWER = f"Sam {RLO}reweiv"
COLLEAGUE = f"Rosa {RLO}eugaelloc"
LEAD = f"Jo {RLO}dael"
MATERIAL = f"Fraction walls {RLO}lairetam"
SUGGESTION = f"Fraction strips {RLO}noitseggus"
THREAD = f"Bar models {RLO}daerht"
SESSION = f"Session on fractions {RLO}noisses"
NOTICE = f"{COLLEAGUE} changed “{SEQUENCE}”"
FLASH = f"Saved “{SEQUENCE}”."
TODAY = dt.date(2025, 2, 10)


class _Text(HTMLParser):
    """Text nodes holding the override, each with whether an ancestor isolates it."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.bad: list[str] = []
        self.seen = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in self.VOID:
            return
        isolates = tag == "bdi" or any(name == "dir" and value in ("auto", "rtl", "ltr")
                                       for name, value in attrs)
        self.stack.append((tag, isolates))

    def handle_startendtag(self, tag, attrs) -> None:
        pass

    def handle_endtag(self, tag) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data) -> None:
        if RLO not in data:
            return
        tags = [tag for tag, _ in self.stack]
        if "title" in tags or "script" in tags:
            return
        self.seen += 1
        if not any(isolates for _, isolates in self.stack):
            self.bad.append(f"{' > '.join(tags[-4:])}: {data.strip()!r}")


def unisolated(html: str) -> tuple[int, list[str]]:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.seen, parser.bad


@pytest.fixture
def world(app, make_work_group, make_user, monkeypatch):
    """A Work Group whose titles and names all carry the override, seen by a member."""
    from app.materials.links import sync_links
    from app.materials.models import Material
    from app.materials.services import apply_fields
    from app.notifications.services import notify
    from app.observations import services as observations
    from app.planning import services as planning
    from app.search.indexer import get_index
    from app.workgroups import action_plans, board, sessions

    monkeypatch.setattr("app.workgroups.dates.today", lambda: TODAY)
    with app.app_context():
        get_index(app).create()
    group = make_work_group()
    school_id = group.school_ids[0]
    with app.app_context():
        db.session.get(WorkGroup, group.id).title = GROUP
        db.session.get(School, school_id).name = SCHOOL
        db.session.commit()
    lead = make_user(name=LEAD, group=group, roles=("work_group_lead",))
    viewer = make_user(name=VIEWER, group=group, roles=("lead_participant", "subject_leader"),
                       school_id=school_id)
    colleague = make_user(name=COLLEAGUE, group=group, school_id=school_id)
    with app.app_context():
        author = db.session.get(User, colleague.id)
        sequence = planning.create_sequence(author, {
            "title": SEQUENCE, "year_group": "Y3", "strand": "fractions", "rtp_codes": "",
            "tags": "", "small_steps": "", "overview": "Unit fractions of shapes.",
            "work_group_id": str(group.id), "school_id": str(school_id),
            "visibility": "work_group"})
        lessons = [planning.add_lesson(author, sequence.id, title) for title in (LESSON, LESSON_2)]
        db.session.commit()
        material = Material(status="published")
        apply_fields(material, {
            "title": MATERIAL, "source": "ncetm_primary_pd", "kind": "teacher_guide",
            "url": "https://www.ncetm.org.uk/fraction-walls", "spine": "3", "segment": "3.2",
            "theme": None, "core_concept": None, "year_groups": ["Y3"], "strand": "fractions",
            "description": "", "teaching_points": [], "tags": []})
        suggestion = Material(status="suggested", suggested_by_id=viewer.id)
        apply_fields(suggestion, {
            "title": SUGGESTION, "source": "other", "kind": "teacher_guide",
            "url": "https://example.org/fraction-strips", "spine": None, "segment": "",
            "theme": None, "core_concept": None, "year_groups": [], "strand": None,
            "description": "", "teaching_points": [], "tags": []})
        db.session.add_all([material, suggestion])
        db.session.flush()
        sync_links(sequence.id, None, [{"material_id": material.id, "note": ""}])
        sync_links(sequence.id, lessons[0].id, [{"material_id": material.id, "note": ""}])
        research_lesson = observations.schedule_research_lesson(author, lessons[0].id, {
            "taught_on": "2025-01-30", "teacher_id": str(colleague.id), "year_group": "Y3",
            "kind": "research_lesson", "visibility": "work_group",
            "research_focus": "Do fraction walls help?", "observers": [str(viewer.id)]})
        thread = board.create_thread(author, group.id, THREAD, "question",
                                     "How do your classes draw them?")
        session = sessions.create_session(db.session.get(User, lead.id), group.id, {
            "number": "4", "date": "2025-03-10", "start_time": "13:00", "end_time": "16:00",
            "kind": "research_lesson", "host_school_id": str(school_id), "title": SESSION,
            "agenda": "1. Fractions", "attendees": [str(viewer.id), str(colleague.id)],
            "links": [f"sequence:{sequence.id}"]})
        plan = action_plans.create_plan(db.session.get(User, viewer.id), group.id, school_id)
        notify(viewer.id, "change", NOTICE, f"/sequences/{sequence.id}")
        db.session.flush()
        # The services may strip bidi controls from new titles; rows saved before they did
        # (and right-to-left titles in general) still reach the pages, so store them as given.
        _store_titles(sequence, lessons, [LESSON, LESSON_2])
        material.title, suggestion.title = MATERIAL, SUGGESTION
        thread.title, session.title = THREAD, SESSION
        db.session.commit()
        return SimpleNamespace(
            group=group, viewer=viewer, colleague=colleague, lead=lead, school_id=school_id,
            sequence_id=sequence.id, lesson_ids=[lesson.id for lesson in lessons],
            material_id=material.id, suggestion_id=suggestion.id,
            research_lesson_id=research_lesson.id, thread_id=thread.comment_id,
            session_id=session.id, plan_id=plan.id)


def _store_titles(sequence, lessons, titles: list[str]) -> None:
    """Put the marked titles on the rows and in every revision that records them."""
    from app.revisions.models import Revision

    def revise(document_id: int, **changes) -> None:
        for revision in db.session.scalars(select(Revision).filter_by(document_id=document_id)):
            fields = dict(revision.fields)
            for key, value in changes.items():
                if key in fields or key == "title":
                    fields[key] = value(fields.get(key)) if callable(value) else value
            revision.fields = fields

    by_id = {}
    for lesson, title in zip(lessons, titles, strict=True):
        lesson.title = title
        by_id[lesson.id] = title
        revise(lesson.document_id, title=title)
    sequence.title = SEQUENCE

    def lesson_items(items):
        return [{**item, "title": by_id.get(item.get("id"), item.get("title"))}
                for item in items or []]

    revise(sequence.document_id, title=SEQUENCE, lessons=lesson_items)


def _pages(w: SimpleNamespace) -> dict[str, str]:
    """Each page, and a title or name it must show."""
    g, lesson = w.group.id, w.lesson_ids[0]
    return {
        "/": SEQUENCE,
        "/sequences": SEQUENCE,
        f"/sequences/{w.sequence_id}": LESSON,
        f"/sequences/{w.sequence_id}/history": SEQUENCE,
        f"/sequences/{w.sequence_id}/print": LESSON,
        f"/sequences/{w.sequence_id}/revisions/1": SEQUENCE,
        f"/sequences/{w.sequence_id}/compare?a=1&b=2": SEQUENCE,
        f"/sequences/{w.sequence_id}/timeline": LESSON,
        f"/lessons/{lesson}": LESSON,
        f"/lessons/{lesson}/history": LESSON,
        f"/lessons/{lesson}/revisions/1": LESSON,
        f"/lessons/{lesson}/timeline": LESSON,
        f"/lessons/{lesson}/research-lessons/new": LESSON,
        "/search?q=fractions": SEQUENCE,
        "/work-groups": GROUP,
        f"/work-groups/{g}": GROUP,
        f"/work-groups/{g}/activity": SEQUENCE,
        f"/work-groups/{g}/since-last-session": SEQUENCE,
        f"/schools/{w.school_id}": VIEWER,
        "/notifications": NOTICE,
        "/materials": MATERIAL,
        f"/materials/{w.material_id}": MATERIAL,
        f"/materials/{w.suggestion_id}": SUGGESTION,
        "/my/learning": SEQUENCE,
        f"/work-groups/{g}/board": THREAD,
        f"/work-groups/{g}/board/{w.thread_id}": THREAD,
        f"/work-groups/{g}/sessions": SESSION,
        f"/sessions/{w.session_id}": SESSION,
        f"/sessions/{w.session_id}/history": SESSION,
        f"/work-groups/{g}/action-plans": SCHOOL,
        f"/action-plans/{w.plan_id}": SCHOOL,
        f"/action-plans/{w.plan_id}/history": SCHOOL,
        "/research-lessons": LESSON,
        f"/research-lessons/{w.research_lesson_id}": LESSON,
        f"/research-lessons/{w.research_lesson_id}/my-observation": LESSON,
        f"/reviews/new?kind=lesson&id={lesson}": LESSON,
        "/account": VIEWER,
    }


def test_titles_and_names_are_isolated_on_every_page(app, client, login, world):
    login(world.viewer)
    problems: list[str] = []
    for url, expected in _pages(world).items():
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert expected.replace("“", "&#8220;") in html or expected in html, url
        seen, bad = unisolated(html)
        assert seen, url
        problems.extend(f"{url}: {where}" for where in bad)
    assert not problems, "\n".join(problems)


def test_the_pages_show_every_kind_of_title(app, client, login, world):
    """The check above is only as good as what the pages show: each marked text appears."""
    login(world.viewer)
    shown = "".join(client.get(url).get_data(as_text=True) for url in _pages(world))
    for text in (SEQUENCE, LESSON, LESSON_2, GROUP, SCHOOL, VIEWER, COLLEAGUE, LEAD, MATERIAL,
                 SUGGESTION, THREAD, SESSION):
        assert text in shown, text


def test_flash_messages_are_isolated(app, client, login, world):
    login(world.viewer)
    with client.session_transaction() as sess:
        sess["_flashes"] = [("success", FLASH)]
    html = client.get("/sequences").get_data(as_text=True)
    assert "Saved" in html
    seen, bad = unisolated(html)
    assert seen and not bad, bad


def test_the_checker_finds_bare_and_isolated_text():
    assert unisolated(f"<title>{SEQUENCE}</title><p>by <bdi>{VIEWER}</bdi></p>") == (1, [])
    assert unisolated(f'<h1 dir="auto">{SEQUENCE}</h1><option dir="auto">{LESSON}</option>'
                      ) == (2, [])
    assert unisolated(f'<a href="/x" title="{SEQUENCE}">x</a><script>"{RLO}"</script>') == (0, [])
    seen, bad = unisolated(f"<ul><li><a href='/x'>{SEQUENCE}</a><br></li></ul>")
    assert seen == 1 and bad == [f"ul > li > a: {SEQUENCE!r}"]


def test_no_marked_title_reaches_the_database_changed(app, world):
    """The services store the titles as given, so the pages above really show the override."""
    from app.planning.models import Sequence

    with app.app_context():
        assert db.session.scalars(select(Sequence.title)).all() == [SEQUENCE]
