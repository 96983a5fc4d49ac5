"""Comments where the work is (issue 14, items 4 and 9): a lesson's and a sequence's pages show
their thread with its count, a comment can be about one field of the plan and links to it, only
readers of the plan read or post, and the plan's watchers hear who commented where."""

from __future__ import annotations

from sqlalchemy import select

from app.comments.models import Comment
from app.extensions import db
from app.notifications.models import Notification, Watch
from app.planning.models import Sequence
from tests.observations_helpers import build_world
from tests.planning_helpers import make_plan, signed_in
from tests.reviews_helpers import edit_lesson, edit_sequence


def _notes(app, person) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(n.kind, n.text, n.url) for n in db.session.scalars(
            select(Notification).where(Notification.user_id == person.id)
            .order_by(Notification.id))]


def _comment_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Comment)).all())


def _post(client, kind: str, target_id: int, body: str, **extra: str):
    path = f"/{kind}s/{target_id}"
    return client.post(f"/comments/{kind}/{target_id}", data={"body": body, "next": path,
                                                              **extra})


def test_a_teacher_sees_the_thread_and_its_count_on_the_lesson_page_and_posts_there(
        app, make_work_group, make_user):
    world = build_world(app, make_work_group, make_user)
    colleague = signed_in(app, world.colleague)
    lesson = f"/lessons/{world.lesson_id}"

    page = colleague.get(lesson).get_data(as_text=True)
    assert f'<a href="#comments-lesson-{world.lesson_id}">0 comments</a>' in page
    assert "No comments yet." in page and "Add a comment" in page
    assert '<option value="stem_sentences" dir="auto">Stem sentences and generalisations' in page

    # A post without the CSRF token is refused and stores nothing.
    forged = colleague.post(f"/comments/lesson/{world.lesson_id}", csrf=False,
                            data={"body": "Forged", "next": lesson})
    assert forged.status_code == 400 and _comment_count(app) == 0

    response = _post(colleague, "lesson", world.lesson_id, "Could we start from the fraction wall?")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{lesson}#comment-1")
    page = colleague.get(lesson).get_data(as_text=True)
    assert f'<a href="#comments-lesson-{world.lesson_id}">1 comment</a>' in page
    assert "Could we start from the fraction wall?" in page and "Ellie Marsden" in page
    # The thread sits below the plan, after its research panel.
    assert page.index('class="comments"') > page.index("Lesson 1</h1>")
    # The other lesson's page has its own (empty) thread.
    other = colleague.get(f"/lessons/{world.other_lesson_id}").get_data(as_text=True)
    assert "fraction wall" not in other and "0 comments" in other


def test_a_comment_about_a_field_shows_its_label_and_links_to_that_part_of_the_plan(
        app, make_work_group, make_user):
    world = build_world(app, make_work_group, make_user)
    edit_lesson(app, world.teacher, world.lesson_id, key_vocabulary="numerator, denominator")
    edit_sequence(app, world.teacher, world.plan.id, overview="Fractions as equal parts.")
    teacher = signed_in(app, world.teacher)

    assert _post(teacher, "lesson", world.lesson_id, "Add 'unit fraction'?",
                 anchor="key_vocabulary").status_code == 303
    page = teacher.get(f"/lessons/{world.lesson_id}").get_data(as_text=True)
    link = f'On: <a href="/lessons/{world.lesson_id}#field-key_vocabulary"><bdi>Key vocabulary'
    assert link in page
    assert 'id="field-key_vocabulary"' in page          # the link has somewhere to land

    assert _post(teacher, "sequence", world.plan.id, "Too fast?", anchor="overview"
                 ).status_code == 303
    page = teacher.get(f"/sequences/{world.plan.id}").get_data(as_text=True)
    assert f'<a href="#comments-sequence-{world.plan.id}">1 comment</a>' in page
    assert f'On: <a href="/sequences/{world.plan.id}#field-overview"><bdi>Overview' in page
    assert 'id="field-overview"' in page and "Too fast?" in page

    # A field the plan does not have is refused, with the text kept.
    response = _post(teacher, "lesson", world.lesson_id, "Kept text", anchor="no_such_field")
    assert response.status_code == 400 and "Kept text" in response.get_data(as_text=True)


def test_a_reader_who_may_not_see_the_plan_can_neither_read_nor_post_comments(
        app, make_work_group, make_user):
    world = build_world(app, make_work_group, make_user)
    # A plan only its own school sees, in the same Work Group as the observer's school.
    private = make_plan(app, world.teacher, world.group, lessons=1, visibility="school")
    teacher = signed_in(app, world.teacher)
    assert _post(teacher, "lesson", private.lesson_ids[0], "Our school only").status_code == 303
    assert _post(teacher, "lesson", world.lesson_id, "The group's plan").status_code == 303

    for person, lesson_id in ((world.outsider, world.lesson_id),          # another group
                              (world.observer, private.lesson_ids[0])):   # another school
        reader = signed_in(app, person)
        assert reader.get(f"/lessons/{lesson_id}").status_code == 404
        assert reader.get(f"/comments/lesson/{lesson_id}").status_code == 404
        assert _post(reader, "lesson", lesson_id, "Let me in").status_code == 404
    assert _comment_count(app) == 2


def test_a_hub_reader_of_a_shared_plan_reads_its_thread_but_cannot_join_it(
        app, make_work_group, make_user):
    world = build_world(app, make_work_group, make_user)
    shared = make_plan(app, world.teacher, world.group, lessons=1, visibility="hub")
    lesson_id = shared.lesson_ids[0]
    assert _post(signed_in(app, world.teacher), "lesson", lesson_id, "For the group"
                 ).status_code == 303

    reader = signed_in(app, world.outsider)
    page = reader.get(f"/lessons/{lesson_id}").get_data(as_text=True)
    assert "For the group" in page and "1 comment" in page
    assert "Add a comment" not in page
    assert _post(reader, "lesson", lesson_id, "From another group").status_code == 403
    assert _comment_count(app) == 1


def test_watchers_are_told_who_commented_where_and_only_if_they_may_still_read_the_plan(
        app, make_work_group, make_user):
    world = build_world(app, make_work_group, make_user)
    lesson_id = world.lesson_id
    for person in (world.observer, world.bystander, world.lead):
        assert signed_in(app, person).post(f"/watch/lesson/{lesson_id}").status_code in (302, 303)
    colleague = signed_in(app, world.colleague)

    assert _post(colleague, "lesson", lesson_id, "Try the wall first, @Jo Castleford",
                 anchor="stem_sentences").status_code == 303
    url = f"/lessons/{lesson_id}#comment-1"
    told = ("comment", "Ellie Marsden commented on “Lesson 1” (about Stem sentences and "
            "generalisations).", url)
    assert _notes(app, world.teacher) == [told]     # the author watches her own plan
    assert _notes(app, world.observer) == [told]
    # Mentioned and watching: one notification, the mention.
    assert [kind for kind, _text, _url in _notes(app, world.lead)] == ["mention"]
    assert _notes(app, world.colleague) == []       # never told about one's own comment
    with app.app_context():                         # and now following the lesson
        assert db.session.scalar(select(Watch).where(
            Watch.user_id == world.colleague.id, Watch.target_kind == "lesson",
            Watch.target_id == lesson_id)) is not None

    # The plan becomes school-only: the watchers from the other school hear nothing more.
    with app.app_context():
        db.session.get(Sequence, world.plan.id).visibility = "school"
        db.session.commit()
    assert _post(signed_in(app, world.teacher), "lesson", lesson_id, "Agreed.",
                 parent_id="1").status_code == 303
    assert _notes(app, world.colleague) == [
        ("comment", "Sam Iqbal replied to a comment on “Lesson 1” (about Stem sentences and "
         "generalisations).", f"/lessons/{lesson_id}#comment-2")]
    assert _notes(app, world.observer) == [told] and _notes(app, world.bystander) == [told]
