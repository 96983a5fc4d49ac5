"""Notifications, watches, the Atom feed, digests, "since my last visit", and the Work Group
pages "before the next session" and activity."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import select, update

from app import signals
from app.accounts.models import Membership, User
from app.extensions import db
from app.notifications.feed import send_digests
from app.notifications.models import FeedToken, Notification, Watch
from app.notifications.services import notify, unread_count
from app.notifications.since import changes_since_last_visit
from app.planning.models import Sequence
from app.registry import registry
from app.revisions.models import Revision
from tests.planning_helpers import make_plan
from tests.reviews_helpers import (
    ask_review,
    build_team,
    client_for,
    count,
    decide,
    edit_lesson,
    head_number,
    review_id_from,
)


@pytest.fixture
def team(app, make_work_group, make_user):
    return build_team(app, make_work_group, make_user)

ATOM = "{http://www.w3.org/2005/Atom}"


def text(response) -> str:
    return response.get_data(as_text=True)


def send(app, user, kind="mention", message="Sam mentioned you.", url="/reviews") -> int:
    with app.app_context():
        signals.send(signals.notify, user_id=user.id, kind=kind, message=message, url=url)
        db.session.commit()
        return db.session.scalar(select(Notification.id).order_by(Notification.id.desc()))


def unread(app, user) -> int:
    with app.app_context():
        return unread_count(db.session.get(User, user.id))


# --- notifications page, unread count, marking read -------------------------------------------


def test_unread_count_and_marking_one_and_all_read(app, login, team):
    first = send(app, team.author, message="First thing.")
    send(app, team.author, message="Second thing.")
    send(app, team.sl_a, message="Someone else's.")
    assert unread(app, team.author) == 2
    author = client_for(app, login, team.author)
    page = text(author.get("/notifications"))
    assert "You have 2 unread notifications." in page
    assert "First thing." in page and "Someone else's." not in page
    with app.test_request_context():
        from flask import render_template_string
        from flask_login import login_user

        login_user(db.session.get(User, team.author.id))
        rendered = render_template_string("Notifications ({{ unread_notifications() }})")
    assert rendered == "Notifications (2)"

    assert author.post(f"/notifications/{first}/read").status_code == 302
    assert unread(app, team.author) == 1
    assert author.post("/notifications/read-all").status_code == 302
    assert unread(app, team.author) == 0
    assert unread(app, team.sl_a) == 1
    assert "You are up to date." in text(author.get("/notifications"))


def test_only_the_recipient_can_mark_a_notification_read(app, login, team):
    theirs = send(app, team.sl_a)
    other = client_for(app, login, team.author)
    assert other.post(f"/notifications/{theirs}/read").status_code == 404
    assert other.post("/notifications/999999/read").status_code == 404
    assert other.post("/notifications/read-all").status_code == 302
    assert unread(app, team.sl_a) == 1
    assert other.get(f"/notifications/{theirs}/read").status_code == 405
    assert client_for(app, login, team.sl_a).post(
        f"/notifications/{theirs}/read", csrf=False).status_code == 400
    assert unread(app, team.sl_a) == 1


def test_notify_refuses_unknown_kinds_and_links_off_the_site(app, team):
    with app.app_context():
        for kind, url in [("shout", "/reviews"), ("mention", "https://evil.example/x"),
                          ("mention", "//evil.example/x"), ("mention", "reviews")]:
            with pytest.raises(ValueError):
                notify(team.author.id, kind, "Hello", url)
        notify(team.author.id, "mention", "  lots   of\nspace " + "x" * 600, "/reviews")
        db.session.commit()
        note = db.session.scalar(select(Notification))
        assert note.text.startswith("lots of space x") and len(note.text) == 500


# --- watching -----------------------------------------------------------------------------------


def test_watchers_hear_about_changes_once_until_they_read_and_authors_auto_watch(
        app, login, team):
    lesson_id = team.plan.lesson_ids[0]
    teacher = client_for(app, login, team.teacher_b)
    assert teacher.post(f"/watch/lesson/{lesson_id}",
                        data={"next": "https://evil.example/"}).headers["Location"] \
        == f"/lessons/{lesson_id}"
    edit_lesson(app, team.author, lesson_id, checks="Exit task: 6 x 4.")
    edit_lesson(app, team.author, lesson_id, checks="Exit task: 7 x 4.")
    with app.app_context():
        notes = list(db.session.scalars(select(Notification).where(
            Notification.user_id == team.teacher_b.id, Notification.kind == "change")))
        assert len(notes) == 1 and notes[0].url == f"/lessons/{lesson_id}"
        assert "Ann Author changed “Lesson 1”" in notes[0].text
        # The author watches what they saved, and is not told about their own change.
        assert db.session.scalar(select(Watch).where(
            Watch.user_id == team.author.id, Watch.target_kind == "lesson",
            Watch.target_id == lesson_id)) is not None
        assert not db.session.scalar(select(Notification).where(
            Notification.user_id == team.author.id, Notification.kind == "change"))
    client_for(app, login, team.teacher_b).post("/notifications/read-all")
    edit_lesson(app, team.author, lesson_id, checks="Exit task: 8 x 4.")
    assert count(app, Notification, Notification.user_id == team.teacher_b.id) == 2

    assert teacher.post(f"/unwatch/lesson/{lesson_id}").status_code == 302
    edit_lesson(app, team.author, lesson_id, checks="Exit task: 9 x 4.")
    assert count(app, Notification, Notification.user_id == team.teacher_b.id) == 2


def test_watch_needs_read_access_and_a_known_kind(app, login, team):
    outsider = client_for(app, login, team.outsider)
    assert outsider.post(f"/watch/lesson/{team.plan.lesson_ids[0]}").status_code == 404
    assert outsider.post(f"/watch/sequence/{team.plan.id}").status_code == 404
    member = client_for(app, login, team.teacher_b)
    assert member.post(f"/watch/pupil/{team.plan.id}").status_code == 404
    assert member.post(f"/watch/lesson/{team.plan.lesson_ids[0]}", csrf=False).status_code == 400
    assert count(app, Watch, Watch.user_id.in_([team.outsider.id, team.teacher_b.id])) == 0


def test_watcher_who_lost_access_is_not_told(app, login, team):
    sequence_id = team.plan.id
    client_for(app, login, team.teacher_b).post(f"/watch/sequence/{sequence_id}")
    with app.app_context():
        db.session.get(Sequence, sequence_id).visibility = "school"  # school a only
        db.session.commit()
    from tests.reviews_helpers import edit_sequence

    edit_sequence(app, team.author, sequence_id, overview="Now for school a only.")
    assert count(app, Notification, Notification.user_id == team.teacher_b.id) == 0


def test_authors_whose_work_was_merged_are_told(app, login, team):
    from app.planning import services as planning
    from tests.planning_helpers import lesson_form

    lesson_id = team.plan.lesson_ids[0]
    base = head_number(app, "lesson", lesson_id)
    first = edit_lesson(app, team.sl_a, lesson_id, prior_learning="Counting in 2s.")
    with app.app_context():
        author = db.session.get(User, team.author.id)
        result = planning.update_lesson(author, lesson_id, lesson_form(
            base=base, fluency_practice="Chant the 4s."), base, "From an older tab.")
        db.session.commit()
        assert result.merged and result.head.number == first + 1
        note = db.session.scalar(select(Notification).where(
            Notification.user_id == team.sl_a.id, Notification.kind == "merged"))
        assert f"(revision {first}) were merged with Ann Author's save" in note.text
        assert note.url == f"/lessons/{lesson_id}/compare?a={first}&b={first + 1}"


def test_watch_button_partial_posts_to_watch_or_unwatch(app, team):
    with app.test_request_context("/lessons/3"):
        template = app.jinja_env.from_string(
            '{% from "notifications/_watch_button.html" import watch_button %}'
            '{{ watch_button("lesson", 3, watching) }}')
        off, on = template.render(watching=False), template.render(watching=True)
    assert 'action="/watch/lesson/3"' in off and "Watch for changes" in off
    assert 'action="/unwatch/lesson/3"' in on and 'aria-pressed="true"' in on
    assert 'name="csrf_token"' in on and 'name="next" value="/lessons/3"' in on


# --- Atom feed -----------------------------------------------------------------------------------


def make_feed(the_client) -> str:
    page = text(the_client.post("/notifications/feed"))
    match = re.search(r'value="http://localhost/feeds/([A-Za-z0-9_-]+)\.atom"', page)
    assert match, page
    return match.group(1)


def test_feed_is_valid_atom_behind_a_hashed_token(app, login, team):
    send(app, team.author, message="Review <requested> & waiting.", url="/reviews")
    send(app, team.author, kind="change", message="Lesson 1 changed.",
         url=f"/lessons/{team.plan.lesson_ids[0]}#top")
    token = make_feed(client_for(app, login, team.author))
    with app.app_context():
        row = db.session.scalar(select(FeedToken))
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    response = app.test_client().get(f"/feeds/{token}.atom")  # no login needed
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{tag}") is not None, tag
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    newest = entries[0]
    assert newest.find(f"{ATOM}title").text == "Watched item changed: Lesson 1 changed."
    assert newest.find(f"{ATOM}link").get("href") == \
        f"http://localhost/lessons/{team.plan.lesson_ids[0]}#top"
    assert entries[1].find(f"{ATOM}summary").text == "Review <requested> & waiting."
    datetime.fromisoformat(newest.find(f"{ATOM}updated").text)
    assert len({e.find(f"{ATOM}id").text for e in entries}) == 2


def test_wrong_replaced_or_revoked_feed_token_is_an_empty_404(app, login, team):
    send(app, team.author)
    author = client_for(app, login, team.author)
    first = make_feed(author)
    anonymous = app.test_client()
    for bad in ("nope", "x" * 43, first[:-1] + ("A" if first[-1] != "A" else "B")):
        response = anonymous.get(f"/feeds/{bad}.atom")
        assert response.status_code == 404 and response.data == b""
    second = make_feed(author)
    assert anonymous.get(f"/feeds/{first}.atom").data == b""
    assert anonymous.get(f"/feeds/{second}.atom").status_code == 200
    assert author.post("/notifications/feed/revoke").status_code == 302
    response = anonymous.get(f"/feeds/{second}.atom")
    assert response.status_code == 404 and response.data == b""
    with app.app_context():
        db.session.execute(update(User).where(User.id == team.author.id).values(disabled=True))
        db.session.commit()
    third_owner = client_for(app, login, team.sl_a)
    assert anonymous.get(f"/feeds/{make_feed(third_owner)}.atom").status_code == 200


def test_feed_drops_what_its_owner_can_no_longer_see(app, login, team):
    # A page of a feature that registered no visibility rule for its URL's id.
    app.add_url_rule("/widgets/<int:widget_id>", "widget", lambda widget_id: "")
    lesson_id = team.plan.lesson_ids[0]
    send(app, team.teacher_b, kind="change", message="Lesson changed.",
         url=f"/lessons/{lesson_id}")
    send(app, team.teacher_b, kind="change", message="Sequence changed.",
         url=f"/sequences/{team.plan.id}/compare?a=1&b=2")
    send(app, team.teacher_b, kind="new_observation", message="Unknown page.",
         url="/widgets/1")
    send(app, team.teacher_b, message="Group page.", url=f"/work-groups/{team.group.id}")
    token = make_feed(client_for(app, login, team.teacher_b))

    def titles() -> list[str]:
        root = ET.fromstring(app.test_client().get(f"/feeds/{token}.atom").data)
        return [e.find(f"{ATOM}summary").text for e in root.findall(f"{ATOM}entry")]

    # A page kind this feed has no rule for is left out rather than leaked.
    assert titles() == ["Group page.", "Sequence changed.", "Lesson changed."]
    registry(app).visibility_checks["widget_id"] = lambda u, v: v == 1
    assert "Unknown page." in titles()
    with app.app_context():
        db.session.get(Sequence, team.plan.id).visibility = "school"  # school a only
        db.session.commit()
    assert titles() == ["Group page.", "Unknown page."]
    with app.app_context():
        member = db.session.scalar(select(Membership).where(
            Membership.user_id == team.teacher_b.id))
        db.session.delete(member)
        db.session.commit()
    assert titles() == ["Unknown page."]


# --- e-mail digests ------------------------------------------------------------------------------


def test_digest_is_a_no_op_without_mail_and_sends_each_item_once_with_it(
        app, team, monkeypatch):
    send(app, team.author, message="Visible one.", url="/reviews")
    send(app, team.author, message="Hidden one.", url="/research-lessons/5")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notifications", "digest"])
    assert result.exit_code == 0 and "Mail is not configured" in result.output
    assert count(app, Notification, Notification.emailed_at.is_not(None)) == 0

    sent = []
    monkeypatch.setattr("app.notifications.feed.send_mail",
                        lambda to, subject, body: sent.append((to, subject, body)) or True)
    app.config["MAIL_SERVER"] = "smtp.example.org"
    result = runner.invoke(args=["notifications", "digest"])
    assert result.exit_code == 0 and "Sent 1 digest." in result.output
    assert [(to, subject) for to, subject, _ in sent] == [
        (team.author.email, "Coplan: 1 new notification")]
    assert "Visible one." in sent[0][2] and "Hidden one." not in sent[0][2]
    assert "http://localhost/reviews" in sent[0][2]
    assert count(app, Notification, Notification.emailed_at.is_(None)) == 0
    assert runner.invoke(args=["notifications", "digest"]).output.startswith("Sent 0 digests")
    with app.app_context():
        assert send_digests() == 0


# --- since my last visit --------------------------------------------------------------------------


def test_since_last_visit_lists_only_visible_items_changed_by_others(
        app, login, team, make_user):
    lesson_id = team.plan.lesson_ids[0]
    reader = client_for(app, login, team.teacher_b)
    reader.get(f"/lessons/{lesson_id}")
    reader.get(f"/sequences/{team.plan.id}")
    seen = head_number(app, "lesson", lesson_id)

    def listed(user) -> list[tuple[str, int, int | None, str | None]]:
        with app.app_context():
            items = changes_since_last_visit(db.session.get(User, user.id))
            return [(c.kind, c.item_id, c.seen, c.compare_url) for c in items]

    # The second lesson was never opened but changed today: new to them.
    assert listed(team.teacher_b) == [("lesson", team.plan.lesson_ids[1], None, None)]
    reader.get(f"/lessons/{team.plan.lesson_ids[1]}")
    assert listed(team.teacher_b) == []
    head = edit_lesson(app, team.author, lesson_id, checks="Exit task.")
    assert listed(team.teacher_b) == [
        ("lesson", lesson_id, seen, f"/lessons/{lesson_id}/compare?a={seen}&b={head}")]
    with app.app_context():
        item = changes_since_last_visit(db.session.get(User, team.teacher_b.id))[0]
        assert item.authors == ["Ann Author"]
    # Their own change is not news; the author sees nothing of their own.
    assert listed(team.author) == []
    reader.get(f"/lessons/{lesson_id}")
    assert listed(team.teacher_b) == []
    edit_lesson(app, team.teacher_b, lesson_id, checks="Exit task, again.")
    assert listed(team.teacher_b) == []

    # Another Work Group's plan, even shared with the hub, and a school-only plan of another
    # school in my group, are not listed.
    outsider_plan = make_plan(app, team.outsider, team.other_group, lessons=1,
                              visibility="all")
    hidden = make_plan(app, team.author, team.group, lessons=1, visibility="school")
    ids = {item_id for _k, item_id, _s, _c in listed(team.teacher_b)}
    assert outsider_plan.id not in ids and hidden.id not in ids
    assert not ids & set(outsider_plan.lesson_ids + hidden.lesson_ids)
    assert hidden.id in {i for _k, i, _s, _c in listed(team.sl_a)}
    # Never opened and older than 30 days: not news any more.
    with app.app_context():
        old = datetime.now(UTC) - timedelta(days=40)
        db.session.execute(update(Revision).where(Revision.document_id.in_(
            hidden.lesson_documents + [hidden.document_id])).values(created_at=old))
        db.session.commit()
    assert hidden.id not in {i for _k, i, _s, _c in listed(team.sl_a)}


def test_since_last_visit_partial_renders_links(app, login, team):
    reader = client_for(app, login, team.teacher_b)
    lesson_id = team.plan.lesson_ids[0]
    reader.get(f"/lessons/{lesson_id}")
    edit_lesson(app, team.author, lesson_id, checks="Exit task.")
    with app.test_request_context():
        items = changes_since_last_visit(db.session.get(User, team.teacher_b.id))
        html = app.jinja_env.from_string(
            '{% from "notifications/_since_last_visit.html" import since_last_visit %}'
            '{{ since_last_visit(items) }}').render(items=items)
    assert "Since your last visit" in html and "changed by <bdi>Ann Author</bdi>" in html
    assert f'href="/lessons/{lesson_id}/compare?a=' in html and "New to you" in html


# --- before the next session ------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["yesterday", "2025-13-01", "2025-02-30", "30/01/2025"])
def test_since_last_session_bad_date_is_a_clear_400(app, login, team, bad):
    response = client_for(app, login, team.author).get(
        f"/work-groups/{team.group.id}/since-last-session", query_string={"since": bad})
    assert response.status_code == 400
    assert "is not a date" in text(response) and "2025-01-30" in text(response)


def test_since_last_session_lists_changes_reviews_and_provided_sections(app, login, team):
    url = f"/work-groups/{team.group.id}/since-last-session"
    lesson_id = team.plan.lesson_ids[0]
    head = edit_lesson(app, team.author, lesson_id, checks="Exit task.")
    review_id = review_id_from(ask_review(client_for(app, login, team.author), "lesson",
                                          lesson_id, team.school_a, team.sl_a))
    member = client_for(app, login, team.teacher_b)
    page = text(member.get(url))
    assert "Plans changed" in page and "Lesson 1" in page and "Ann Author" in page
    assert f"/reviews/{review_id}" in page and "<bdi>Sal Leader-A</bdi> reviewing for" in page
    assert f"/lessons/{lesson_id}/compare" not in page  # new in this period: nothing before

    calls = []

    def digest(_app, *, user, group, since):
        calls.append((user.id, group.id, since))
        return [("New observations", [("Research lesson 30 Jan", "/research-lessons/1",
                                      "Pupils doubled <both> factors.")]),
                ("Open agreed changes", [])]

    signals.session_digest.connect(digest, sender=app, weak=False)
    signals.last_session_date.connect(lambda _app, *, group: date.today() + timedelta(days=1),
                                      sender=app, weak=False)
    page = text(member.get(url))
    assert "New observations" in page and "doubled &lt;both&gt; factors" in page
    assert "Open agreed changes" in page and "Nothing in this period." in page
    assert "No plan was changed in this period." in page
    tomorrow = date.today() + timedelta(days=1)
    assert calls[-1] == (team.teacher_b.id, team.group.id,
                         datetime.combine(tomorrow, datetime.min.time(), tzinfo=UTC))
    page = text(member.get(url, query_string={"since": date.today().isoformat()}))
    assert "Lesson 1" in page and "Since the last session" in page
    assert f"a={head - 1}" in page or f"/lessons/{lesson_id}/compare" not in page


def test_since_last_session_is_for_members_and_the_lead_only(app, login, team):
    url = f"/work-groups/{team.group.id}/since-last-session"
    assert client_for(app, login, team.outsider).get(url).status_code == 404
    assert client_for(app, login, team.lead).get(url).status_code == 200
    assert client_for(app, login, team.author).get(
        "/work-groups/999999/since-last-session").status_code == 404


def test_since_last_session_hides_plans_the_member_cannot_read(app, login, team):
    hidden = make_plan(app, team.author, team.group, lessons=1, visibility="school",
                       title="Secret school plan")
    page = text(client_for(app, login, team.teacher_b).get(
        f"/work-groups/{team.group.id}/since-last-session"))
    assert "Secret school plan" not in page
    assert "Secret school plan" in text(client_for(app, login, team.sl_a).get(
        f"/work-groups/{team.group.id}/since-last-session"))
    assert hidden.id


# --- activity -----------------------------------------------------------------------------------


def test_activity_feed_shows_saves_reviews_and_approvals_and_pages(app, login, team):
    lesson_id = team.plan.lesson_ids[0]
    number = edit_lesson(app, team.author, lesson_id, checks="Exit task.")
    author = client_for(app, login, team.author)
    review_id = review_id_from(ask_review(author, "lesson", lesson_id, team.school_a, team.sl_a))
    leader = client_for(app, login, team.sl_a)
    decide(leader, review_id, "comment", number, "Nearly.")
    decide(leader, review_id, "approve", number)
    make_plan(app, team.author, team.group, lessons=1, visibility="school", title="Secret plan")

    url = f"/work-groups/{team.group.id}/activity"
    page = text(client_for(app, login, team.teacher_b).get(url))
    assert f"<bdi>Sal Leader-A</bdi> approved revision {number} of" in page
    assert "<bdi>Sal Leader-A</bdi> commented on" in page
    assert f"<bdi>Ann Author</bdi> asked Sal Leader-A to review revision {number} of" in page
    assert "<bdi>Ann Author</bdi> saved revision" in page and "Secret plan" not in page
    assert page.index("approved revision") < page.index("asked Sal Leader-A")
    assert "Secret plan" in text(leader.get(url))
    assert client_for(app, login, team.outsider).get(url).status_code == 404
    assert author.get(url, query_string={"page": "x"}).status_code == 400

    for n in range(35):
        edit_lesson(app, team.author, lesson_id, checks=f"Exit task {n}.")
    first = text(author.get(url))
    assert 'rel="next"' in first and "Exit task" not in first.split("Activity in")[0]
    second = text(author.get(url, query_string={"page": "2"}))
    assert 'rel="prev"' in second and "approved revision" in second


def test_teacher_is_told_of_a_new_observation_and_an_agreed_change(app, client, login,
                                                                    make_work_group, make_user):
    from datetime import date

    from app.accounts.models import User
    from app.notifications.models import Notification
    from app.observations import services as observations
    from tests.planning_helpers import make_plan

    group = make_work_group()
    teacher = make_user(group=group, name="Taught Teacher")
    observer = make_user(group=group, name="Observing Olu")
    plan = make_plan(app, teacher, group, lessons=1)
    with app.test_request_context():
        teacher_row = db.session.get(User, teacher.id)
        observer_row = db.session.get(User, observer.id)
        research = observations.schedule_research_lesson(teacher_row, plan.lesson_ids[0], {
            "taught_on": date.today().isoformat(), "teacher_id": str(teacher.id),
            "observers": [str(observer.id)], "year_group": "Y3",
            "class_setup": "Mixed class of 28", "research_focus": "Doubling"})
        db.session.commit()
        observations.save_my_observation(observer_row, research.id, {"responses": "Counted on"})
        observations.add_agreed_change(observer_row, research.id, "Show the number line first")
        db.session.commit()
        kinds = sorted(n.kind for n in db.session.query(Notification).filter_by(
            user_id=teacher.id))
    assert kinds == ["agreed_change", "new_observation"]
