"""The Work Group home (the planning home) and the dashboard's "my work" (issue 14, items 1-2).

Each panel is read as a teacher reads it: the right items, never an item of another school's or
Work Group's that the reader may not open, filters that work without JavaScript, one sub-menu
on every Work Group page, a Reviews count that comes and goes, empty panels that say what to do
next, and a statement count that does not grow with the group.
"""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from app.extensions import db
from app.planning.models import Sequence
from tests.observations_helpers import add_change, make_research_lesson
from tests.planning_helpers import make_plan, signed_in
from tests.reviews_helpers import ask_review, decide, review_id_from
from tests.sql_helpers import statements_sent
from tests.workgroup_sessions_helpers import freeze_today, make_session, user

FUTURE, PAST = "2025-03-10", "2025-01-30"   # either side of the frozen "today", 2025-02-10


def section(page: str, heading_id: str) -> str:
    """The text of the <section> labelled by `heading_id` (up to its closing tag)."""
    start = page.index(f'id="{heading_id}"')
    return page[start:page.index("</section>", start)]


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def get_page(the_client, url: str) -> str:
    response = the_client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def set_visibility(app, sequence_id: int, visibility: str) -> None:
    with app.app_context():
        db.session.execute(update(Sequence).where(Sequence.id == sequence_id)
                           .values(visibility=visibility))
        db.session.commit()


@pytest.fixture
def world(app, make_work_group, make_user, monkeypatch) -> SimpleNamespace:
    """A Work Group of two schools (A owns the plans, B adopts) and, in the same hub, another
    Work Group with its own plan, research lesson and review that nobody here may see."""
    freeze_today(monkeypatch)
    group = make_work_group(schools=2)
    a, b = group.school_ids
    other = make_work_group(code="NCP 24-99", hub_id=group.hub_id)
    w = SimpleNamespace(group=group, other=other, school_a=a, school_b=b)
    w.author = make_user("Ann Author", group=group, school_id=a)
    w.sl_a = make_user("Sal Leader-A", group=group, roles=("subject_leader",), school_id=a)
    w.teacher_b = make_user("Tom Teacher-B", group=group, school_id=b)
    w.sl_b = make_user("Bea Leader-B", group=group, roles=("subject_leader",), school_id=b)
    w.lead = make_user("Lee Lead", group=group, roles=("work_group_lead",))
    w.outsider = make_user("Olly Outsider", group=other, roles=("subject_leader",),
                           school_id=other.school_ids[0])
    w.fractions = make_plan(app, w.author, group, lessons=1,
                            title="Equivalent fractions on a fraction wall", year_group="Y5",
                            strand="fractions", rtp_codes="5F-2")
    w.tables = make_plan(app, w.teacher_b, group, lessons=2, school_id=str(b),
                         title="The 2, 4 and 8 times tables")
    w.school_only = make_plan(app, w.author, group, lessons=1, visibility="school",
                              title="Kestrel school-only plan")
    w.elsewhere = make_plan(app, w.outsider, other, lessons=1, title="Elsewhere plan")
    return w


# --- the Work Group home -----------------------------------------------------------------------


def test_home_lists_the_groups_plans_and_never_another_schools_or_groups(app, world):
    page = get_page(signed_in(app, world.teacher_b), f"/work-groups/{world.group.id}")
    plans = text_of(section(page, "plans-heading"))
    assert "Equivalent fractions on a fraction wall" in plans
    assert "The 2, 4 and 8 times tables" in plans
    assert "Kestrel school-only plan" not in plans           # school A's only
    assert "Elsewhere plan" not in page                       # another Work Group
    assert "2 plans" in plans and "2 lessons" in plans and "Draft" in plans

    author_page = get_page(signed_in(app, world.author), f"/work-groups/{world.group.id}")
    assert "Kestrel school-only plan" in text_of(section(author_page, "plans-heading"))


def test_someone_outside_the_group_cannot_open_its_home_or_plans(app, world):
    outsider = signed_in(app, world.outsider)
    assert outsider.get(f"/work-groups/{world.group.id}").status_code == 404
    assert outsider.get(f"/work-groups/{world.group.id}/plans").status_code == 404
    assert outsider.get(f"/research-lessons?work_group={world.group.id}").status_code == 404


def test_plan_filters_are_a_get_form_and_each_one_narrows_the_list(app, world):
    reader = signed_in(app, world.author)
    url = f"/work-groups/{world.group.id}"
    page = get_page(reader, url)
    form = page[page.index('<form class="plan-filters'):]
    form = form[:form.index("</form>")]
    assert 'method="get"' in form
    # Only the year groups and strands the group's plans use are offered.
    assert '<option value="Y5">Year 5</option>' in form and 'value="Y3"' in form
    assert 'value="Y6"' not in form and 'value="fractions"' in form and 'value="geometry"' \
        not in form

    def titles(query: str) -> str:
        return text_of(section(get_page(reader, f"{url}?{query}"), "plans-heading"))

    year = titles("year=Y5")
    assert "Equivalent fractions" in year and "times tables" not in year
    strand = titles("strand=md")
    assert "times tables" in strand and "Equivalent fractions" not in strand
    mine = titles("mine=1")
    assert "Equivalent fractions" in mine and "Kestrel school-only plan" in mine
    assert "times tables" not in mine
    assert "No plans match these filters" in titles("status=approved")
    assert "Show every plan of 2024/25" in titles("status=approved")
    with app.app_context():
        db.session.execute(update(Sequence).where(Sequence.id == world.tables.id)
                           .values(status="in_review"))
        db.session.commit()
    in_review = titles("status=in_review")
    assert "times tables" in in_review and "Equivalent fractions" not in in_review
    drafts = titles("status=draft&mine=1&year=Y5")
    assert "Equivalent fractions" in drafts and "Kestrel" not in drafts
    # Unknown values are ignored, never an error page.
    assert "Equivalent fractions" in titles("year=Y99&strand=nope&status=deleted")


def test_a_long_list_links_to_the_plans_page_with_its_filters(app, world):
    from app.main.group_home import HOME_PLANS_SHOWN

    for n in range(HOME_PLANS_SHOWN):
        make_plan(app, world.author, world.group, lessons=0, title=f"Extra plan {n}")
    reader = signed_in(app, world.author)
    # A stray parameter named like the page's own never breaks the link.
    page = get_page(reader, f"/work-groups/{world.group.id}?mine=1&group_id=7")
    plans = section(page, "plans-heading")
    assert plans.count("<li>") == HOME_PLANS_SHOWN
    total = HOME_PLANS_SHOWN + 2
    assert f'href="/work-groups/{world.group.id}/plans?mine=1">See all {total} plans' in plans
    full = section(get_page(reader, f"/work-groups/{world.group.id}/plans?mine=1"),
                   "plans-heading")
    assert full.count("<li>") == total


def test_plans_page_lists_every_plan_with_the_same_filters(app, world):
    reader = signed_in(app, world.teacher_b)
    page = get_page(reader, f"/work-groups/{world.group.id}/plans?strand=fractions")
    listed = text_of(section(page, "plans-heading"))
    assert "Equivalent fractions" in listed and "times tables" not in listed
    assert "Kestrel school-only plan" not in page and "Elsewhere plan" not in page


def test_new_sequence_from_the_home_starts_in_that_group(app, world, make_user,
                                                         make_work_group):
    # Ann is in a newer Work Group too: the form would otherwise choose that one.
    newer = make_work_group(code="NCP 25-01", year="2025/26", hub_id=world.group.hub_id)
    with app.app_context():
        from app.accounts.models import Membership
        db.session.add(Membership(user_id=world.author.id, work_group_id=newer.id,
                                  school_id=newer.school_ids[0]))
        db.session.commit()
    reader = signed_in(app, world.author)
    page = get_page(reader, f"/work-groups/{world.group.id}")
    link = f'href="/sequences/new?work_group={world.group.id}"'
    assert link in page and ">New sequence</a>" in page
    form = get_page(reader, f"/sequences/new?work_group={world.group.id}")
    assert re.search(rf'<option value="{world.group.id}"[^>]*selected', form)
    plain = get_page(reader, "/sequences/new")
    assert re.search(rf'<option value="{newer.id}"[^>]*selected', plain)
    # Someone who sees the group but may not plan in it (its hub's admin) gets no button.
    admin = make_user("Hana Hub-Admin", site_role="hub_admin", admin_hub_id=world.group.hub_id)
    admin_page = get_page(signed_in(app, admin), f"/work-groups/{world.group.id}")
    assert link not in admin_page and "Plans in 2024/25" in admin_page


def test_home_shows_the_next_session_with_its_agenda(app, world):
    make_session(app, world.lead, world.group, number="2", date="2025-01-13",
                 title="Session 2: last time", agenda="Old agenda")
    make_session(app, world.lead, world.group, number="4", date="2025-03-06",
                 title="Session 4: fractions", agenda="1. Share **fraction walls**")
    page = get_page(signed_in(app, world.teacher_b), f"/work-groups/{world.group.id}")
    panel = section(page, "group-next-heading")
    assert "Session 4: fractions" in panel and "<strong>fraction walls</strong>" in panel
    assert "Old agenda" not in panel


def test_research_lessons_are_grouped_by_where_they_are_in_the_cycle(app, world):
    lesson = world.fractions.lesson_ids[0]
    observer = world.teacher_b
    scheduled = make_research_lesson(app, world.author, lesson, [observer], taught_on=FUTURE,
                                     key_point="Scheduled one")
    awaiting_obs = make_research_lesson(app, world.author, lesson, [observer],
                                        taught_on=PAST)
    awaiting_talk = make_research_lesson(app, world.author, lesson, [observer],
                                         taught_on="2025-01-20")
    observer_client = signed_in(app, observer)
    assert observer_client.post(f"/research-lessons/{awaiting_talk}/my-observation", data={
        "noticings-0-about": "phase:main_input", "noticings-0-note": "I noticed pairs.",
        "action": "save"}).status_code == 302
    changes = make_research_lesson(app, world.author, lesson, [], taught_on="2025-01-06")
    add_change(app, world.author, changes, "Use the number line first.")
    hidden = make_research_lesson(app, world.author, lesson, [], taught_on="2025-01-07",
                                  visibility="school")
    add_change(app, world.author, hidden, "School A only change.")

    page = get_page(signed_in(app, world.teacher_b), f"/work-groups/{world.group.id}")
    panel = section(page, "group-research-heading")

    def under(key: str) -> str:
        start = panel.index(f'id="rl-{key}"')
        return panel[start:panel.index("</div>", start)]

    assert f"/research-lessons/{scheduled}\"" in under("scheduled")
    assert f"/research-lessons/{awaiting_obs}\"" in under("awaiting_observations")
    assert "0 of 1 observations recorded" in under("awaiting_observations")
    assert f"/research-lessons/{awaiting_talk}\"" in under("awaiting_discussion")
    assert f"/research-lessons/{changes}\"" in under("changes_open")
    assert f"/research-lessons/{hidden}\"" not in page      # school A's record only
    changes_panel = text_of(section(page, "group-changes-heading"))
    assert "Use the number line first." in changes_panel
    assert "School A only change." not in page
    assert f'href="/research-lessons?work_group={world.group.id}"' in panel
    # The author of school A sees the restricted one.
    author_page = get_page(signed_in(app, world.author), f"/work-groups/{world.group.id}")
    assert "School A only change." in author_page


def test_home_lists_open_reviews_the_reader_may_see(app, world):
    author = signed_in(app, world.author)
    review = review_id_from(ask_review(author, "sequence", world.fractions.id, world.school_a,
                                       world.sl_a))
    hidden = review_id_from(ask_review(author, "sequence", world.school_only.id,
                                       world.school_a, world.sl_a))
    page = get_page(signed_in(app, world.teacher_b), f"/work-groups/{world.group.id}")
    panel = section(page, "group-reviews-heading")
    assert f'href="/reviews/{review}"' in panel and "Equivalent fractions" in panel
    assert f'href="/reviews/{hidden}"' not in page           # a school-only plan's review


def test_a_hub_admin_sees_the_home_but_not_reviews_only_members_may_open(app, world,
                                                                         make_user):
    author = signed_in(app, world.author)
    set_visibility(app, world.fractions.id, "hub")      # the hub's admin may read the plan
    review = review_id_from(ask_review(author, "sequence", world.fractions.id, world.school_a,
                                       world.sl_a))
    admin = make_user("Hana Hub-Admin", site_role="hub_admin", admin_hub_id=world.group.hub_id)
    page = get_page(signed_in(app, admin), f"/work-groups/{world.group.id}")
    assert "Equivalent fractions" in section(page, "plans-heading")
    assert f'href="/reviews/{review}"' not in page
    assert signed_in(app, admin).get(f"/reviews/{review}").status_code == 404


def test_hidden_reviews_never_crowd_out_visible_ones(app, world):
    from app.accounts.models import User
    from app.reviews.waiting import open_in_group

    author = signed_in(app, world.author)
    hidden = review_id_from(ask_review(author, "sequence", world.school_only.id,
                                       world.school_a, world.sl_a))
    shown = review_id_from(ask_review(author, "sequence", world.fractions.id, world.school_a,
                                      world.sl_a))
    with app.app_context():
        tom = db.session.get(User, world.teacher_b.id)
        # The oldest request is one Tom may not see; the first row he gets is the next one.
        assert [row.request.id for row in open_in_group(tom, world.group.id, limit=1)] == [shown]
        assert hidden < shown


def test_research_lessons_index_shows_one_groups_under_its_menu(app, world, make_user):
    mine = make_research_lesson(app, world.author, world.fractions.lesson_ids[0], [],
                                taught_on=PAST)
    theirs = make_research_lesson(app, world.outsider, world.elsewhere.lesson_ids[0], [],
                                  taught_on=PAST)
    page = get_page(signed_in(app, world.author), f"/research-lessons?work_group={world.group.id}")
    assert f"/research-lessons/{mine}\"" in page and f"/research-lessons/{theirs}\"" not in page
    assert 'class="group-nav' in page
    everything = get_page(signed_in(app, world.outsider), "/research-lessons")
    assert f"/research-lessons/{theirs}\"" in everything
    assert f"/research-lessons/{mine}\"" not in everything


# --- one sub-menu on every Work Group page ------------------------------------------------------


def _work_group_pages(app, world) -> dict[str, tuple[str, str]]:
    """Every Work Group page: name -> (url, the menu item it marks as current)."""
    from app.workgroups import action_plans, board

    session_id = make_session(app, world.lead, world.group, number="4", date="2025-03-06")
    with app.app_context():
        plan = action_plans.create_plan(user(world.author), world.group.id, world.school_a)
        thread = board.create_thread(user(world.author), world.group.id, "Bar models?",
                                     "question", "Who uses them in Y3?")
        db.session.commit()
        plan_id, comment_id = plan.id, thread.comment_id
    g = world.group.id
    return {
        "home": (f"/work-groups/{g}", "Home"),
        "plans": (f"/work-groups/{g}/plans", "Plans"),
        "research lessons": (f"/research-lessons?work_group={g}", "Research lessons"),
        "sessions": (f"/work-groups/{g}/sessions", "Sessions"),
        "session": (f"/sessions/{session_id}", "Sessions"),
        "new session": (f"/work-groups/{g}/sessions/new", "Sessions"),
        "session notes": (f"/sessions/{session_id}/notes", "Sessions"),
        "action plans": (f"/work-groups/{g}/action-plans", "Action plans"),
        "action plan": (f"/action-plans/{plan_id}", "Action plans"),
        "review points": (f"/action-plans/{plan_id}/review-points", "Action plans"),
        "board": (f"/work-groups/{g}/board", "Board"),
        "board thread": (f"/work-groups/{g}/board/{comment_id}", "Board"),
        "overview": (f"/work-groups/{g}/overview", "Overview"),
        "before the next session": (f"/work-groups/{g}/since-last-session", "Home"),
        "activity": (f"/work-groups/{g}/activity", "Home"),
    }


PAGE_NAMES = ["home", "plans", "research lessons", "sessions", "session", "new session",
              "session notes", "action plans", "action plan", "review points", "board",
              "board thread", "overview", "before the next session", "activity"]
MENU = ["Home", "Plans", "Research lessons", "Sessions", "Action plans", "Board", "Overview"]


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_every_work_group_page_has_the_one_sub_menu(app, world, name):
    url, current = _work_group_pages(app, world)[name]
    # The Lead sees every item (the overview is theirs); a member of school A edits its plan.
    page = get_page(signed_in(app, world.lead), url)
    assert page.count('<nav class="group-nav') == 1, name
    nav = page[page.index('<nav class="group-nav'):]
    nav = nav[:nav.index("</nav>")]
    labels = [text_of(label).strip() for label in re.findall(r"<a [^>]*>(.*?)</a>", nav)]
    assert labels == MENU, name
    marked = re.findall(r'<a [^>]*aria-current="page"[^>]*>(.*?)</a>', nav)
    assert marked == [current], name


def test_the_sub_menu_offers_a_teacher_only_what_they_may_open(app, world):
    page = get_page(signed_in(app, world.teacher_b), f"/work-groups/{world.group.id}")
    nav = page[page.index('<nav class="group-nav'):]
    nav = nav[:nav.index("</nav>")]
    assert "Overview" not in nav and "Board" in nav and "Research lessons" in nav


# --- the dashboard: my work --------------------------------------------------------------------


def test_dashboard_lists_my_drafts_and_recent_plans_of_my_groups_only(app, world):
    page = get_page(signed_in(app, world.teacher_b), "/")
    drafts = text_of(section(page, "my-drafts-heading"))
    assert "The 2, 4 and 8 times tables" in drafts
    assert "Equivalent fractions" not in drafts               # Ann's draft, not Tom's
    recent = text_of(section(page, "my-recent-heading"))
    assert "Equivalent fractions" in recent
    assert "Kestrel school-only plan" not in page and "Elsewhere plan" not in page
    assert f'href="/work-groups/{world.group.id}"' in page
    assert f'href="/work-groups/{world.other.id}"' not in page


def test_recent_plans_are_my_groups_even_when_others_share_theirs(app, world):
    set_visibility(app, world.elsewhere.id, "all")
    tom = signed_in(app, world.teacher_b)
    assert get_page(tom, f"/sequences/{world.elsewhere.id}")        # Tom may read it...
    assert "Elsewhere plan" not in get_page(tom, "/")               # ...but it is not his group's


def test_a_draft_of_a_group_i_left_is_no_longer_mine_to_see(app, world):
    from app.accounts import services as accounts
    from app.accounts.models import WorkGroup

    assert "Equivalent fractions" in section(get_page(signed_in(app, world.author), "/"),
                                             "my-drafts-heading")
    with app.app_context():   # the Lead takes Ann out of the group
        accounts.remove_membership(user(world.lead), db.session.get(WorkGroup, world.group.id),
                                   user(world.author))
        db.session.commit()
    drafts = section(get_page(signed_in(app, world.author), "/"), "my-drafts-heading")
    assert "Equivalent fractions" not in drafts        # the Work Group's: no longer hers
    assert "Kestrel school-only plan" in drafts        # her school's: still hers


def test_dashboard_lists_lessons_i_am_to_observe_with_their_dates(app, world):
    lesson = world.fractions.lesson_ids[0]
    soon = make_research_lesson(app, world.author, lesson, [world.teacher_b], taught_on=FUTURE)
    taught = make_research_lesson(app, world.author, lesson, [world.teacher_b], taught_on=PAST)
    recorded = make_research_lesson(app, world.author, lesson, [world.teacher_b],
                                    taught_on="2025-01-20")
    not_invited = make_research_lesson(app, world.author, lesson, [world.sl_a], taught_on=FUTURE)
    # Invited, but the record is for the teacher's school only: Tom may not open it.
    hidden = make_research_lesson(app, world.author, lesson, [world.teacher_b],
                                  taught_on=FUTURE, visibility="school")
    tom = signed_in(app, world.teacher_b)
    assert tom.post(f"/research-lessons/{recorded}/my-observation", data={
        "noticings-0-about": "phase:plenary", "noticings-0-note": "I noticed it.",
        "action": "save"}).status_code == 302

    panel = section(get_page(tom, "/"), "my-observe-heading")
    assert f"/research-lessons/{soon}\"" in panel and 'datetime="2025-03-10"' in panel
    assert "Mon 10 Mar 2025" in panel
    assert f"/research-lessons/{taught}/my-observation" in panel   # taught: record it
    assert f"/research-lessons/{soon}/my-observation" not in panel
    for absent in (recorded, not_invited, hidden):
        assert f"/research-lessons/{absent}\"" not in panel


def test_dashboard_lists_reviews_waiting_for_me(app, world):
    author = signed_in(app, world.author)
    review = review_id_from(ask_review(author, "lesson", world.fractions.lesson_ids[0],
                                       world.school_a, world.sl_a))
    panel = section(get_page(signed_in(app, world.sl_a), "/"), "my-reviews-heading")
    assert f'href="/reviews/{review}"' in panel and "Lesson 1" in panel
    assert "Ann Author" in text_of(panel)
    other = section(get_page(signed_in(app, world.outsider), "/"), "my-reviews-heading")
    assert "Nothing is waiting for your review" in other


def test_dashboard_lists_open_agreed_changes_on_my_plans(app, world):
    lesson = world.fractions.lesson_ids[0]
    rl = make_research_lesson(app, world.author, lesson, [], taught_on=PAST)
    add_change(app, world.author, rl, "Use the number line first.")
    # Recorded by Tom for his school only: Ann may not see it, though the plan is hers.
    hidden = make_research_lesson(app, world.teacher_b, lesson, [], taught_on=PAST,
                                  visibility="school")
    add_change(app, world.teacher_b, hidden, "Tom's school-only change.")
    panel = section(get_page(signed_in(app, world.author), "/"), "my-changes-heading")
    assert "Use the number line first." in panel
    assert f'href="/lessons/{lesson}/edit"' in panel
    assert "school-only change" not in panel
    # Sal's plans have no changes.
    sal = section(get_page(signed_in(app, world.sl_a), "/"), "my-changes-heading")
    assert "No open agreed changes on your plans" in sal


def test_dashboard_shows_my_next_session(app, world):
    make_session(app, world.lead, world.group, number="4", date="2025-03-06",
                 title="Session 4: fractions", agenda="Bring a fraction wall")
    page = get_page(signed_in(app, world.teacher_b), "/")
    assert "Session 4: fractions" in section(page, "next-session-heading")
    assert "Session 4" not in get_page(signed_in(app, world.outsider), "/")


# --- the Reviews count in the menu -------------------------------------------------------------


def reviews_item(page: str) -> str:
    nav = page[page.index('aria-label="Main"'):]
    item = re.search(r'<a href="/reviews"[^>]*>(.*?)</a>', nav)
    assert item, "no Reviews item"
    return text_of(item.group(1)).split()


def test_reviews_count_appears_while_something_waits_and_then_goes(app, world):
    sal = signed_in(app, world.sl_a)
    assert reviews_item(get_page(sal, "/")) == ["Reviews"]
    author = signed_in(app, world.author)
    lesson = world.fractions.lesson_ids[0]
    review = review_id_from(ask_review(author, "lesson", lesson, world.school_a, world.sl_a))
    review_id_from(ask_review(author, "sequence", world.tables.id, world.school_a,
                              world.sl_a))
    for url in ("/", f"/lessons/{lesson}", f"/sequences/{world.fractions.id}",
                f"/work-groups/{world.group.id}"):
        assert reviews_item(get_page(sal, url)) == ["Reviews", "2", "waiting", "for", "you"], url
    assert reviews_item(get_page(author, "/")) == ["Reviews"]   # the asker waits for nobody
    with app.app_context():
        from app.reviews.models import ReviewRequest
        number = db.session.get(ReviewRequest, review).revision_number
    assert decide(sal, review, "approve", number).status_code == 302
    assert reviews_item(get_page(sal, "/")) == ["Reviews", "1", "waiting", "for", "you"]


def test_reviews_count_leaves_out_plans_the_reviewer_can_no_longer_read(app, world):
    author = signed_in(app, world.author)
    # Tom asks Bea to approve Ann's plan for adoption at school B; then the plan becomes
    # school A's only, so Bea may no longer open it (the queue hides it too).
    review_id_from(ask_review(signed_in(app, world.teacher_b), "sequence", world.fractions.id,
                              world.school_b, world.sl_b))
    review_id_from(ask_review(author, "sequence", world.fractions.id, world.school_a,
                              world.sl_a))
    bea = signed_in(app, world.sl_b)
    assert reviews_item(get_page(bea, "/"))[:2] == ["Reviews", "1"]
    set_visibility(app, world.fractions.id, "school")
    assert reviews_item(get_page(signed_in(app, world.sl_a), "/"))[:2] == ["Reviews", "1"]
    page = get_page(bea, "/")
    assert reviews_item(page) == ["Reviews"]
    assert "Equivalent fractions" not in section(page, "my-reviews-heading")
    assert "Equivalent fractions" not in get_page(bea, "/reviews")
    assert reviews_item(get_page(bea, f"/sequences/{world.tables.id}")) == ["Reviews"]
    assert reviews_item(get_page(bea, f"/lessons/{world.tables.lesson_ids[0]}")) == ["Reviews"]


# --- empty panels say what to do next ------------------------------------------------------------


def test_empty_panels_each_offer_the_next_step(app, make_work_group, make_user, monkeypatch):
    freeze_today(monkeypatch)
    group = make_work_group()
    newcomer = make_user("Nina New", group=group, school_id=group.school_ids[0])
    lead = make_user("Lee Lead", group=group, roles=("work_group_lead",))
    dashboard = get_page(signed_in(app, newcomer), "/")
    for heading in ("my-reviews-heading", "my-observe-heading", "my-drafts-heading",
                    "my-changes-heading", "my-recent-heading"):
        panel = section(dashboard, heading)
        assert 'class="empty"' in panel and "<a href=" in panel, heading
    assert 'href="/sequences/new"' in section(dashboard, "my-drafts-heading")

    home = get_page(signed_in(app, newcomer), f"/work-groups/{group.id}")
    plans = section(home, "plans-heading")
    assert "No plans in 2024/25 yet" in plans
    assert f'href="/sequences/new?work_group={group.id}"' in plans
    for heading in ("group-next-heading", "group-reviews-heading", "group-research-heading"):
        assert "<a href=" in section(home, heading), heading
    assert "Schedule a research lesson" in section(home, "group-research-heading")
    lead_home = get_page(signed_in(app, lead), f"/work-groups/{group.id}")
    assert f'href="/work-groups/{group.id}/sessions/new"' in section(lead_home,
                                                                     "group-next-heading")


# --- bounded cost ------------------------------------------------------------------------------


def count_statements(app, the_client, url: str) -> int:
    with statements_sent(app) as sent:
        get_page(the_client, url)
    return len(sent)


def test_home_and_dashboard_cost_does_not_grow_with_the_group(app, world, make_user):
    group_url = f"/work-groups/{world.group.id}"
    lesson = world.fractions.lesson_ids[0]
    author = signed_in(app, world.author)

    def grow() -> None:
        rl = make_research_lesson(app, world.author, lesson, [world.sl_a], taught_on=PAST)
        add_change(app, world.author, rl, "Another change.")
        make_plan(app, world.author, world.group, lessons=2, title="Another plan")
        ask_review(author, "sequence", world.tables.id, world.school_a, world.sl_a)
        make_user(group=world.group, school_id=world.school_b)

    grow()
    make_session(app, world.lead, world.group, number="4", date="2025-03-06")
    sal = signed_in(app, world.sl_a)
    before = (count_statements(app, sal, group_url), count_statements(app, sal, "/"))
    for _ in range(3):
        grow()
    after = (count_statements(app, sal, group_url), count_statements(app, sal, "/"))
    assert after == before
    assert before[0] <= 20 and before[1] <= 16, before
