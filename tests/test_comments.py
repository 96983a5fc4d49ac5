"""Comments: threads, replies, edits with history, resolve, soft delete, mentions, safety."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app import signals
from app.accounts.models import User
from app.comments import services
from app.comments.mentions import find_mentions, highlight_mentions
from app.comments.models import Comment, CommentRevision, Mention
from app.comments.targets import register_target
from app.errors import NotFound
from app.extensions import db
from tests.observations_helpers import (
    build_world,
    make_research_lesson,
)
from tests.planning_helpers import make_plan


@pytest.fixture
def world(app, make_work_group, make_user):
    return build_world(app, make_work_group, make_user)


def _page(response) -> str:
    return response.get_data(as_text=True)


def _post(client, world, body: str, **extra):
    return client.post(f"/comments/lesson/{world.lesson_id}",
                       data={"body": body, "next": f"/lessons/{world.lesson_id}", **extra})


def _comments(app) -> list[Comment]:
    with app.app_context():
        rows = db.session.scalars(select(Comment).order_by(Comment.id)).all()
        db.session.expunge_all()
        return rows


def _thread_html(client, world) -> str:
    return _page(client.get(f"/comments/lesson/{world.lesson_id}"))


def test_thread_with_replies_one_level_deep(app, client, login, world):
    login(world.colleague)
    response = _post(client, world, "Could we chorus the stem?", anchor="stem_sentences")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/lessons/{world.lesson_id}#comment-1")
    login(world.teacher)
    assert _post(client, world, "Yes: I say, you say.", parent_id="1").status_code == 303
    assert _post(client, world, "A reply to the reply", parent_id="2").status_code == 303
    rows = _comments(app)
    assert [(c.id, c.parent_id, c.anchor) for c in rows] == [
        (1, None, "stem_sentences"), (2, 1, "stem_sentences"), (3, 1, "stem_sentences")]
    page = _thread_html(client, world)
    assert "Comments (3)" in page
    assert (f'On: <a href="/lessons/{world.lesson_id}#field-stem_sentences"><bdi>Stem sentences '
            'and generalisations</bdi></a>') in page
    assert page.index("Could we chorus") < page.index("Yes: I say") < page.index("A reply to")
    assert page.count('class="comment-replies"') == 1
    assert "<summary>Reply" in page  # replying works without JavaScript
    response = _post(client, world, "  ", parent_id="3")  # an empty reply, in thread 1
    assert response.status_code == 400
    assert 'id="f-reply-1-error"' in _page(response) and 'href="#f-reply-1"' in _page(response)


def test_reply_to_a_comment_on_another_page_is_refused(app, client, login, world):
    login(world.teacher)
    client.post(f"/comments/lesson/{world.other_lesson_id}", data={"body": "Elsewhere"})
    assert _post(client, world, "Huge", parent_id="99999999999999").status_code == 400
    response = _post(client, world, "Sneaky reply", parent_id="1")
    assert response.status_code == 400 and "not on this page" in _page(response)
    assert "Sneaky reply" in _page(response)
    assert len(_comments(app)) == 1


def test_bad_anchor_empty_and_overlong_bodies_keep_the_text(app, client, login, world):
    login(world.teacher)
    response = _post(client, world, "About what?", anchor="no_such_field")
    assert response.status_code == 400 and "Choose the part of the page" in _page(response)
    assert "About what?" in _page(response)
    assert _post(client, world, "   ").status_code == 400
    long_body = "word " * 2_100
    response = _post(client, world, long_body)
    assert response.status_code == 400 and "the limit is 10,000" in _page(response)
    assert long_body.strip() in _page(response)
    assert _comments(app) == []


def test_edit_keeps_history_and_only_the_author_edits(app, client, login, world):
    login(world.colleague)
    _post(client, world, "First thought")
    assert client.get("/comments/1/edit").status_code == 200
    response = client.post("/comments/1/edit", data={"body": "Second thought"})
    assert response.status_code == 303
    client.post("/comments/1/edit", data={"body": "Second thought"})  # unchanged: no version
    with app.app_context():
        versions = db.session.scalars(select(CommentRevision.body).where(
            CommentRevision.comment_id == 1).order_by(CommentRevision.number)).all()
        assert versions == ["First thought", "Second thought"]
        assert db.session.get(Comment, 1).edited_at is not None
    page = _thread_html(client, world)
    assert "Second thought" in page and "First thought" not in page and ">edited</a>" in page
    history = _page(client.get("/comments/1/history"))
    assert "First thought" in history and "Second thought" in history
    login(world.teacher)  # a plan editor, but not the author
    assert client.get("/comments/1/edit").status_code == 403
    assert client.post("/comments/1/edit", data={"body": "Hijacked"}).status_code == 403
    assert "First thought" in _page(client.get("/comments/1/history"))  # readers see history
    assert _comments(app)[0].body == "Second thought"


def test_resolve_by_author_or_plan_editor_only(app, client, login, world, make_user):
    login(world.colleague)
    _post(client, world, "Is the array too busy?")
    _post(client, world, "A reply", parent_id="1")
    login(world.teacher)  # edits the plan
    assert client.post("/comments/1/resolve").status_code == 303
    assert _comments(app)[0].resolved and _comments(app)[0].resolved_by_id == world.teacher.id
    assert "Resolved by <bdi>Sam Iqbal</bdi>" in _thread_html(client, world)
    assert client.post("/comments/2/resolve").status_code == 400  # replies follow their thread
    login(world.colleague)
    assert client.post("/comments/1/unresolve").status_code == 303
    assert not _comments(app)[0].resolved
    # A reader of a hub-shared plan from another group may read, not moderate or comment.
    plan = make_plan(app, world.teacher, world.group, lessons=1, visibility="hub")
    login(world.teacher)
    client.post(f"/comments/lesson/{plan.lesson_ids[0]}", data={"body": "Shared plan note"})
    login(world.outsider)
    page = _page(client.get(f"/comments/lesson/{plan.lesson_ids[0]}"))
    assert "Shared plan note" in page and 'name="body"' not in page
    assert client.post("/comments/3/resolve").status_code == 403
    response = client.post(f"/comments/lesson/{plan.lesson_ids[0]}", data={"body": "Me too"})
    assert response.status_code == 403
    assert len(_comments(app)) == 3


def test_soft_delete_shows_comment_removed_and_keeps_history(app, client, login, world):
    login(world.colleague)
    _post(client, world, "Secret-ish remark")
    login(world.teacher)
    _post(client, world, "Reply stays", parent_id="1")
    assert client.post("/comments/1/delete").status_code == 403  # not the author
    login(world.colleague)
    assert client.post("/comments/1/delete").status_code == 303
    page = _thread_html(client, world)
    assert "Comment removed" in page and "Secret-ish remark" not in page
    assert "Reply stays" in page
    assert client.get("/comments/1/edit").status_code == 400
    with app.app_context():
        comment = db.session.get(Comment, 1)
        assert comment.deleted_at is not None and comment.body == "Secret-ish remark"
        assert db.session.scalar(select(func.count(CommentRevision.id))) == 2
    assert "Secret-ish remark" in _page(client.get("/comments/1/history"))  # the author
    login(world.teacher)
    assert "Secret-ish remark" not in _page(client.get("/comments/1/history"))
    response = _post(client, world, "Reply to removed", parent_id="1")
    assert response.status_code == 400 and "Reply to removed" in _page(response)


def _record_notifications(app) -> list[tuple]:
    """Record what comments ask notifications to send: (user_id, kind, message, url)."""
    sent: list[tuple] = []
    signals.notify.connect(lambda _app, *, user_id, kind, message, url:
                           sent.append((user_id, kind, message, url)), sender=app, weak=False)
    return sent


def test_mentions_store_members_ignore_others_and_notify(app, client, login, world):
    sent = _record_notifications(app)
    login(world.teacher)
    body = ("Thanks @Nadia Okafor and @ellie? Also @olive outsider, @s.iqbal (me) and "
            "jo@example.org; `@Owen Radley` in code.")
    assert _post(client, world, body).status_code == 303
    with app.app_context():
        mentioned = set(db.session.scalars(select(Mention.user_id)))
    # Nadia by name; Ellie is not matched (her e-mail local part is not "ellie").
    assert world.observer.id in mentioned and world.outsider.id not in mentioned
    assert world.teacher.id in mentioned  # stored, but nobody notifies themselves
    assert [(s[0], s[1]) for s in sent] == [(world.observer.id, "mention"),
                                            (world.bystander.id, "mention")]
    assert sent[0][3].endswith(f"/lessons/{world.lesson_id}#comment-1")
    assert "Sam Iqbal mentioned you" in sent[0][2]
    page = _thread_html(client, world)
    assert '<mark class="mention">@Nadia Okafor</mark>' in page
    assert "<code>@Owen Radley</code>" in page  # code is left as written
    # Editing away a mention removes it; adding one notifies only the new person.
    sent.clear()
    client.post("/comments/1/edit", data={"body": "Thanks @Nadia Okafor and @Jo Castleford"})
    with app.app_context():
        assert set(db.session.scalars(select(Mention.user_id))) == {world.observer.id,
                                                                    world.lead.id}
    assert [s[0] for s in sent] == [world.lead.id]
    for receiver in list(signals.notify.receivers_for(app)):
        signals.notify.disconnect(receiver, sender=app)
    assert _post(client, world, "No hook: @Nadia Okafor").status_code == 303


def test_mentions_only_reach_people_who_can_read_the_target(app, client, login, world):
    sent = _record_notifications(app)
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.colleague],
                                 visibility="school")
    login(world.teacher)
    client.post(f"/comments/observation/{rl_id}",
                data={"body": "@Ellie Marsden and @Nadia Okafor, see pupil B"})
    assert [s[0] for s in sent] == [world.colleague.id]  # Nadia is at the other school
    with app.app_context():
        assert set(db.session.scalars(select(Mention.user_id))) == {world.colleague.id}
    login(world.observer)
    assert client.get(f"/comments/observation/{rl_id}").status_code == 404
    assert client.post(f"/comments/observation/{rl_id}", data={"body": "x"}).status_code == 404


def test_find_mentions_prefers_the_longest_name(app, world):
    with app.app_context():
        people = [db.session.get(User, p.id) for p in (world.teacher, world.observer)]
        jo = User(email="jo@x.org", display_name="Nadia")
        found = find_mentions("Hi @nadia okafor, @Nadia, and @s.iqbal.", people + [jo])
        assert [(p.display_name, typed) for p, typed in found] == [
            ("Nadia Okafor", "@nadia okafor"), ("Nadia", "@Nadia"), ("Sam Iqbal", "@s.iqbal")]
        assert find_mentions("mail n.okafor@eskdyke.example.org", people) == []


def test_comment_html_is_sanitised(app, client, login, world, make_user):
    make_user('Eve <img src=x onerror=alert(1)>', group=world.group,
              email="eve@school.example.org")
    login(world.teacher)
    body = ('<script>alert("x")</script> [click](javascript:alert(1)) '
            '<img src=x onerror=alert(2)> **ok** @Eve <img src=x onerror=alert(1)> @eve')
    assert _post(client, world, body).status_code == 303
    page = _thread_html(client, world)
    thread = page[page.index('class="comments"'):]
    assert "<script>alert" not in thread and 'href="javascript' not in thread
    assert "<img" not in thread and "onerror=alert" not in thread.replace("&lt;img src=x "
                                                                          "onerror=alert", "")
    assert "<strong>ok</strong>" in thread
    assert '<mark class="mention">@Eve &lt;img src=x onerror=alert(1)&gt;</mark>' in thread
    # The highlighter copies tags as rendered and escapes every text node again.
    out = highlight_mentions('<p title="@Jo">a &lt;b&gt; @Jo</p><a href="/x">@Jo</a>', ["@Jo"])
    assert out == ('<p title="@Jo">a &lt;b&gt; <mark class="mention">@Jo</mark></p>'
                   '<a href="/x">@Jo</a>')


def test_csrf_is_enforced_on_every_comment_action(app, client, login, world):
    login(world.teacher)
    _post(client, world, "Real")
    for path, data in [(f"/comments/lesson/{world.lesson_id}", {"body": "Forged"}),
                       ("/comments/1/edit", {"body": "Forged"}), ("/comments/1/resolve", {}),
                       ("/comments/1/unresolve", {}), ("/comments/1/delete", {})]:
        assert client.post(path, data=data, csrf=False).status_code == 400, path
    rows = _comments(app)
    assert [(c.body, c.resolved, c.deleted_at) for c in rows] == [("Real", False, None)]


def test_other_work_group_gets_404_on_every_comment_route(app, client, login, world):
    login(world.teacher)
    _post(client, world, "Inside the group")
    client.post(f"/comments/sequence/{world.plan.id}", data={"body": "On the sequence"})
    login(world.outsider)
    for path in [f"/comments/lesson/{world.lesson_id}", f"/comments/sequence/{world.plan.id}",
                 "/comments/1/edit", "/comments/1/history", "/comments/2/history",
                 "/comments/unknown-kind/1", "/comments/lesson/999999"]:
        assert client.get(path).status_code == 404, path
    for path in [f"/comments/lesson/{world.lesson_id}", "/comments/1/edit",
                 "/comments/1/resolve", "/comments/1/unresolve", "/comments/1/delete"]:
        assert client.post(path, data={"body": "x"}).status_code == 404, path
    assert [c.body for c in _comments(app)] == ["Inside the group", "On the sequence"]


def test_a_new_target_kind_plugs_in(app, client, login, world):
    """A kind registered on this app replaces the Work Group board's own "board" rules."""
    member_ids = {world.teacher.id, world.observer.id}
    register_target(app, "board", lambda user, i: user.id in member_ids,
                    lambda user, i: user.id == world.teacher.id,
                    work_group_id=lambda i: world.group.id, url=lambda i: f"/board/{i}",
                    title=lambda i: "Board")
    _board(app, client, login, world)


def _board(app, client, login, world) -> None:
    login(world.teacher)
    assert client.post("/comments/board/7", data={"body": "Hello @Nadia Okafor"}
                       ).status_code == 303
    login(world.observer)
    assert "Hello" in _page(client.get("/comments/board/7"))
    assert client.post("/comments/board/7", data={"body": "Hi"}).status_code == 403
    login(world.colleague)
    assert client.get("/comments/board/7").status_code == 404
    with app.app_context(), pytest.raises(NotFound):
        services.load_thread(db.session.get(User, world.colleague.id), "board", 7)


def test_comment_thread_partial_is_accessible(app, client, login, world):
    login(world.teacher)
    _post(client, world, "A comment")
    page = _thread_html(client, world)
    start = page.index('<section class="comments"')
    thread = page[start:page.index("</section>", start)]
    assert ' style="' not in thread and "<script" not in thread
    for control in re.findall(r'<(?:textarea|select)[^>]*id="([^"]+)"', thread):
        assert f'<label for="{control}">' in thread, control
    assert 'aria-labelledby="comments-lesson-' in thread
