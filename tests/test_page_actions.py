"""One primary action per page, the rest in a small "More actions" menu, and no action twice
(issue 14, item 11): the lesson, sequence, research lesson, Work Group home, PD material and
session pages, for the people most likely to act on them."""

from __future__ import annotations

from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from tests.observations_helpers import build_world, make_research_lesson
from tests.planning_helpers import make_plan, signed_in
from tests.test_materials import make_material
from tests.workgroup_sessions_helpers import freeze_today, make_session


class _Actions(HTMLParser):
    """The page's action bars (div.action-bar): every link or button in them with its label,
    whether it is styled as the primary button and whether it sits in the <details> menu; and
    every other primary-styled action in <main>: a .button link, or the button of a one-button
    form (macros.post_button, class "inline"); the submit buttons of real forms are not counted."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.bars = 0
        self.bar_depth: int | None = None
        self.menu_depth: int | None = None
        self.summaries: list[str] = []
        self.items: list[SimpleNamespace] = []
        self.primary_elsewhere: list[str] = []
        self.current: SimpleNamespace | None = None
        self.in_main = False
        self.in_summary = False
        self.forms: list[bool] = []  # for each open <form>: is it a one-button form?

    def handle_starttag(self, tag, attrs) -> None:
        if tag in self.VOID:
            return
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        self.stack.append(tag)
        depth = len(self.stack)
        if tag == "main":
            self.in_main = True
        if tag == "div" and "action-bar" in classes:
            self.bars += 1
            self.bar_depth = depth
        if tag == "details" and self.bar_depth is not None:
            assert "more-actions" in classes
            self.menu_depth = depth
        if tag == "summary" and self.menu_depth is not None:
            self.in_summary = True
            self.summaries.append("")
        if tag in ("a", "button"):
            # A link styled .button, or a <button> not styled as secondary, small, a link or
            # danger, looks like a primary action.
            primary = ("button" in classes if tag == "a" else True) and not (
                {"secondary", "link-button", "danger", "small"} & set(classes))
            self.current = SimpleNamespace(tag=tag, label="", primary=primary,
                                           in_bar=self.bar_depth is not None,
                                           in_menu=self.menu_depth is not None,
                                           in_form=bool(self.forms),
                                           one_button_form=bool(self.forms) and self.forms[-1])
        if tag == "form":
            self.forms.append("inline" in classes)

    def handle_endtag(self, tag) -> None:
        if tag in self.VOID or not self.stack:
            return
        depth = len(self.stack)
        if tag in ("a", "button") and self.current is not None:
            item, self.current = self.current, None
            item.label = " ".join(item.label.split())
            if item.in_bar:
                self.items.append(item)
            elif self.in_main and item.primary and (item.tag == "a" or item.one_button_form):
                self.primary_elsewhere.append(item.label)
        if tag == "form" and self.forms:
            self.forms.pop()
        if tag == "summary":
            self.in_summary = False
        if tag == "details" and self.menu_depth == depth:
            self.menu_depth = None
        if tag == "div" and self.bar_depth == depth:
            self.bar_depth = None
        if tag == "main":
            self.in_main = False
        self.stack.pop()

    def handle_data(self, data) -> None:
        if self.current is not None:
            self.current.label += data
        elif self.in_summary:
            self.summaries[-1] += data


def actions(page: str) -> _Actions:
    parsed = _Actions()
    parsed.feed(page)
    return parsed


def check_bar(page: str, primary: str | None, in_menu: set[str],
              not_shown: set[str] = frozenset()) -> _Actions:
    """The page has one action bar whose only primary action is `primary` (or none), every label
    once, and `in_menu` inside its "More actions" menu."""
    found = actions(page)
    assert found.bars == 1
    labels = [item.label for item in found.items]
    assert len(labels) == len(set(labels)), f"repeated actions: {labels}"
    primaries = [item.label for item in found.items if item.primary]
    assert primaries == ([primary] if primary else [])
    assert not [item.label for item in found.items if item.primary and item.in_menu]
    menu = {item.label for item in found.items if item.in_menu}
    assert in_menu <= menu, in_menu - menu
    assert set(labels) == menu | set(primaries), "every other action is in the menu"
    assert found.summaries == ["More actions"]
    assert not (not_shown & set(labels))
    return found


@pytest.fixture
def world(app, make_work_group, make_user) -> SimpleNamespace:
    return build_world(app, make_work_group, make_user)


def page(app, user: SimpleNamespace, path: str) -> str:
    response = signed_in(app, user).get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_lesson_page_edit_is_the_one_button_and_manage_links_are_in_the_menu(app, world):
    lesson = world.lesson_id
    found = check_bar(page(app, world.teacher, f"/lessons/{lesson}"), "Edit",
                      {"History", "Markdown source", "Timeline", "Ask for a review",
                       "Move to another sequence…", "Duplicate this lesson…"})
    # Archiving stays a button of its own section, not a second primary one.
    assert found.primary_elsewhere == []


def test_lesson_page_for_a_teacher_with_open_changes_has_still_one_primary(app, world):
    research = make_research_lesson(app, world.teacher, world.lesson_id, observers=[world.observer])
    from tests.observations_helpers import add_change

    add_change(app, world.teacher, research)
    html = page(app, world.teacher, f"/lessons/{world.lesson_id}")
    assert "Revise the plan with these changes" in html
    found = check_bar(html, "Edit", {"Timeline"})
    assert found.primary_elsewhere == []
    # The research panel no longer repeats the lesson's timeline.
    assert html.count(f'href="/lessons/{world.lesson_id}/timeline"') == 1


def test_an_archived_lesson_offers_restore_as_its_only_primary_action(app, world):
    client = signed_in(app, world.teacher)
    lesson = world.lesson_id
    assert client.post(f"/lessons/{lesson}/archive").status_code == 302
    html = client.get(f"/lessons/{lesson}").get_data(as_text=True)
    found = check_bar(html, None, {"History", "Markdown source", "Timeline"},
                      not_shown={"Edit", "Duplicate this lesson…"})
    assert found.primary_elsewhere == ["Restore it"]


def test_sequence_page_edit_details_is_the_one_button(app, world):
    found = check_bar(page(app, world.teacher, f"/sequences/{world.plan.id}"), "Edit details",
                      {"History", "Print all lessons", "Download Markdown", "Adapt for my school",
                       "Search in this sequence", "Timeline", "Ask for a review"})
    assert found.primary_elsewhere == []


def test_research_lesson_page_an_invited_observer_records_her_observation(app, world):
    research = make_research_lesson(app, world.teacher, world.lesson_id, observers=[world.observer])
    html = page(app, world.observer, f"/research-lessons/{research}")
    found = check_bar(html, "Record my observation", {"Timeline of this lesson"})
    assert found.primary_elsewhere == []


def test_research_lesson_page_the_teacher_records_the_discussion(app, world):
    research = make_research_lesson(app, world.teacher, world.lesson_id, observers=[world.observer])
    html = page(app, world.teacher, f"/research-lessons/{research}")
    check_bar(html, "Record the post-lesson discussion", {"Timeline of this lesson"},
              not_shown={"Record my observation"})


def test_work_group_home_a_teacher_starts_a_sequence(app, world):
    found = check_bar(page(app, world.colleague, f"/work-groups/{world.group.id}"), "New sequence",
                      {"Before the next session", "Activity"},
                      not_shown={"Invite someone", "Manage members"})
    assert found.primary_elsewhere == []


def test_work_group_home_the_lead_has_one_button_and_her_tools_in_the_menu(app, world):
    html = page(app, world.lead, f"/work-groups/{world.group.id}")
    found = actions(html)
    assert [item.label for item in found.items if item.primary] in (
        ["New sequence"], ["Invite someone"])
    check_bar(html, found.items[0].label,
              {"Manage members", "Edit details", "Before the next session", "Activity"})
    assert found.primary_elsewhere == []


def test_material_page_archive_is_a_form_in_the_menu(app, make_work_group, make_user):
    curator = make_user(group=make_work_group(), roles=("work_group_lead",))
    material = make_material(app)
    html = page(app, curator, f"/materials/{material.id}")
    found = check_bar(html, "Record that I studied this", {"Edit", "Archive"})
    archive = [item for item in found.items if item.label == "Archive"]
    assert archive[0].tag == "button" and archive[0].in_form and archive[0].in_menu
    assert found.primary_elsewhere == []


def test_a_suggested_material_offers_approve_as_the_curators_only_primary(app, make_work_group,
                                                                          make_user):
    curator = make_user(group=make_work_group(), roles=("work_group_lead",))
    material = make_material(app, status="suggested")
    found = check_bar(page(app, curator, f"/materials/{material.id}"), None, {"Edit", "Archive"})
    assert found.primary_elsewhere == ["Approve and publish"]


def test_session_page_edit_agenda_and_notes_is_the_one_button(app, world, monkeypatch):
    freeze_today(monkeypatch)
    session_id = make_session(app, world.lead, world.group)
    found = check_bar(page(app, world.lead, f"/sessions/{session_id}"), "Edit agenda and notes",
                      {"Edit details, attendees and links", "History of the notes"})
    assert found.primary_elsewhere == []


def test_a_reader_who_cannot_edit_gets_the_menu_without_a_primary_button(app, world):
    # A plan shared with the hub: the other Work Group's teacher reads it but cannot edit it.
    plan = make_plan(app, world.teacher, world.group, lessons=1, visibility="hub")
    html = page(app, world.outsider, f"/lessons/{plan.lesson_ids[0]}")
    check_bar(html, None, {"History", "Markdown source", "Timeline"},
              not_shown={"Edit", "Move to another sequence…", "Duplicate this lesson…"})
