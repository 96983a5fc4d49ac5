"""Adapting a sequence into another Work Group: content, provenance, permissions, upstream news."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.planning import adapt, services
from app.planning.models import Lesson, Sequence
from app.revisions.models import Revision
from tests.planning_helpers import make_plan


@pytest.fixture
def two_groups(make_hub, make_work_group, make_user) -> SimpleNamespace:
    """Group A owns a hub-visible plan; group B (same hub) has two teachers in two schools."""
    hub = make_hub()
    group_a = make_work_group(hub_id=hub.id)
    group_b = make_work_group(code="NCP 24-12", hub_id=hub.id, year="2025/26")
    author = make_user(group=group_a)
    b1 = make_user(group=group_b, school_id=group_b.school_ids[0])
    b2 = make_user(group=group_b, school_id=group_b.school_ids[1])
    return SimpleNamespace(a=group_a, b=group_b, author=author, b1=b1, b2=b2)


def _user(user: SimpleNamespace) -> User:
    return db.session.get(User, user.id)


def _write_lessons(app, author: SimpleNamespace, plan: SimpleNamespace) -> None:
    """Give the source lessons real text and a second revision."""
    with app.app_context():
        for n, lesson_id in enumerate(plan.lesson_ids, start=1):
            services.update_lesson(_user(author), lesson_id, {
                "title": f"Lesson {n}", "key_learning_point": f"Point {n}: **double** it.",
                "body": f"Notes for lesson {n}."}, 1, "Detail added.")
        db.session.commit()


def _adapt(app, user: SimpleNamespace, source_id: int, group: SimpleNamespace,
           school_id: int | None = None) -> int:
    with app.app_context():
        copy = adapt.adapt_sequence(_user(user), source_id, group.id,
                                    school_id or user.school_id)
        db.session.commit()
        return copy.id


def test_copy_has_the_source_content_and_provenance(app, two_groups) -> None:
    g = two_groups
    plan = make_plan(app, g.author, g.a, lessons=3, visibility="hub")
    _write_lessons(app, g.author, plan)
    copy_id = _adapt(app, g.b1, plan.id, g.b)
    with app.app_context():
        source = db.session.get(Sequence, plan.id)
        copy = db.session.get(Sequence, copy_id)
        assert copy.adapted_from_id == source.id
        assert copy.adapted_from_number == source.document.head_number
        assert (copy.work_group_id, copy.school_id) == (g.b.id, g.b1.school_id)
        assert (copy.visibility, copy.status, copy.academic_year) == ("work_group", "draft",
                                                                      "2025/26")
        assert copy.created_by_id == g.b1.id
        assert (copy.title, copy.year_group, copy.strand) == (source.title, "Y3", "md")

        history = list(db.session.scalars(select(Revision).where(
            Revision.document_id == copy.document_id)))
        assert [r.number for r in history] == [1] and copy.document.head_number == 1
        first = history[0]
        assert first.summary == (f"Adapted from “{source.title}” revision "
                                 f"{source.document.head_number}")
        assert first.author_id == g.b1.id
        source_head = services.head(source.document_id, source.document.head_number)
        for key in ("title", "rtp_codes", "tags", "small_steps", "overview"):
            assert first.fields[key] == source_head.fields[key]
        assert "<strong>4 times</strong>" in first.html["overview"]
        # The lesson list names the copies, in order.
        assert first.fields["lessons"] == [{"id": lesson.id, "title": lesson.title}
                                           for lesson in copy.lessons]


def test_lessons_are_copied_in_order_with_provenance(app, two_groups) -> None:
    g = two_groups
    plan = make_plan(app, g.author, g.a, lessons=3, visibility="hub")
    _write_lessons(app, g.author, plan)
    with app.app_context():  # reorder the source and archive one lesson: neither is lost
        services.move_lesson(_user(g.author), plan.lesson_ids[2], "up")
        services.archive_lesson(_user(g.author), plan.lesson_ids[0])
        db.session.commit()
    copy_id = _adapt(app, g.b1, plan.id, g.b)
    with app.app_context():
        copy = db.session.get(Sequence, copy_id)
        assert [lesson.title for lesson in copy.lessons] == ["Lesson 3", "Lesson 2"]
        assert [lesson.position for lesson in copy.lessons] == [1, 2]
        for lesson in copy.lessons:
            source = db.session.get(Lesson, lesson.adapted_from_id)
            assert source.sequence_id == plan.id and source.title == lesson.title
            assert lesson.adapted_from_number == source.document.head_number == 2
            assert lesson.document.head_number == 1
            head = services.head(lesson.document_id, 1)
            assert head.summary == f"Adapted from “{lesson.title}” revision 2"
            assert head.fields == services.head(source.document_id, 2).fields
            assert "<strong>double</strong>" in head.html["key_learning_point"]
            # The copy is its own plan: group B may edit it, its lessons are separate rows.
            assert lesson.document_id != source.document_id
        services.update_lesson(_user(g.b1), copy.lessons[0].id,
                               {"title": "Lesson 3", "body": "Our version."}, 1, "Ours.")
        db.session.commit()
        source_lesson = db.session.get(Lesson, copy.lessons[0].adapted_from_id)
        assert source_lesson.document.head_number == 2


def test_cannot_adapt_a_sequence_i_cannot_see(app, two_groups) -> None:
    g = two_groups
    plan = make_plan(app, g.author, g.a, visibility="work_group")
    with app.app_context(), pytest.raises(NotFound):
        adapt.adapt_sequence(_user(g.b1), plan.id, g.b.id, g.b1.school_id)
    with app.app_context(), pytest.raises(NotFound):
        adapt.adapt_sequence(_user(g.b1), 999_999, g.b.id, g.b1.school_id)


def test_cannot_adapt_into_a_work_group_i_am_not_in(app, two_groups) -> None:
    g = two_groups
    plan = make_plan(app, g.author, g.a, visibility="hub")
    with app.app_context():
        with pytest.raises(ValidationError) as error:
            adapt.adapt_sequence(_user(g.author), plan.id, g.b.id, g.b.school_ids[0])
        assert "work_group_id" in error.value.fields
        # A member, but for someone else's school.
        with pytest.raises(ValidationError) as error:
            adapt.adapt_sequence(_user(g.b1), plan.id, g.b.id, g.b2.school_id)
        assert set(error.value.fields) == {"school_id"}
        db.session.rollback()
        assert db.session.scalar(select(Sequence).where(
            Sequence.adapted_from_id == plan.id)) is None


def test_adaptations_list_only_the_copies_the_reader_may_see(app, two_groups) -> None:
    g = two_groups
    plan = make_plan(app, g.author, g.a, visibility="hub")
    school_only = _adapt(app, g.b1, plan.id, g.b)
    shared = _adapt(app, g.b2, plan.id, g.b)
    everyone = _adapt(app, g.b2, plan.id, g.b)
    with app.app_context():
        services.update_settings(_user(g.b1), school_only, "school", "draft")
        services.update_settings(_user(g.b2), everyone, "all", "draft")
        db.session.commit()

        source = db.session.get(Sequence, plan.id)
        ids = {name: [s.id for s in adapt.adaptations(_user(u), source)]
               for name, u in (("b1", g.b1), ("b2", g.b2), ("author", g.author))}
        assert ids["b1"] == [school_only, shared, everyone]
        assert ids["b2"] == [shared, everyone]  # b1's school-only copy is hidden
        assert ids["author"] == [everyone]  # group B's work_group copies are theirs alone
        services.archive_sequence(_user(g.b2), shared)
        assert [s.id for s in adapt.adaptations(_user(g.b2), source)] == [everyone]


def test_upstream_changes_after_the_source_is_edited(app, two_groups) -> None:
    g = two_groups
    plan = make_plan(app, g.author, g.a, lessons=2, visibility="hub")
    copy_id = _adapt(app, g.b1, plan.id, g.b)
    with app.app_context():
        copy = db.session.get(Sequence, copy_id)
        copied_at = copy.adapted_from_number
        assert adapt.upstream_changes(_user(g.b1), copy) is None
        assert all(adapt.lesson_upstream_changes(_user(g.b1), lesson) is None
                   for lesson in copy.lessons)

        source = db.session.get(Sequence, plan.id)
        services.update_sequence(_user(g.author), plan.id, {
            "title": source.title, "year_group": "Y3", "strand": "md",
            "overview": "Now with a **bar model** first."}, copied_at, "Overview rewritten.")
        services.update_lesson(_user(g.author), plan.lesson_ids[1],
                               {"title": "Lesson 2", "body": "New starter."}, 1, "Starter.")
        db.session.commit()

        assert adapt.upstream_changes(_user(g.b1), copy) == (copied_at, copied_at + 1)
        first, second = copy.lessons
        assert adapt.lesson_upstream_changes(_user(g.b1), first) is None
        assert adapt.lesson_upstream_changes(_user(g.b1), second) == (1, 2)

        # Once the source is out of the reader's sight, nothing about it is reported.
        services.update_settings(_user(g.author), plan.id, "work_group", "draft")
        db.session.commit()
        assert adapt.upstream_changes(_user(g.b1), copy) is None
        assert adapt.lesson_upstream_changes(_user(g.b1), second) is None
        assert adapt.upstream_changes(_user(g.author), copy) == (copied_at, copied_at + 1)


def test_adapt_page_makes_a_copy_that_tracks_upstream(app, client, login, make_work_group,
                                                      make_user):
    from tests.planning_helpers import lesson_form, make_plan

    theirs, mine = make_work_group(), make_work_group()
    author = make_user(group=theirs)
    plan = make_plan(app, author, theirs, lessons=1, visibility="all")
    me = make_user(group=mine)
    login(me)
    page = client.get(f"/sequences/{plan.id}/adapt")
    assert page.status_code == 200 and "Make my copy" in page.get_data(as_text=True)
    refused = client.post(f"/sequences/{plan.id}/adapt",
                          data={"work_group_id": str(theirs.id), "school_id": ""})
    assert refused.status_code == 400
    made = client.post(f"/sequences/{plan.id}/adapt", data={
        "work_group_id": str(mine.id), "school_id": str(mine.school_ids[0])})
    assert made.status_code == 302
    copy_page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "Adapted from" in copy_page and "The original has changed" not in copy_page
    other = app.test_client()
    login(author, other)
    other.post(f"/lessons/{plan.lesson_ids[0]}/edit", data=lesson_form(body="Improved"))
    other.post(f"/sequences/{plan.id}/lessons", data={"title": "A new lesson"})
    copy_page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "The original has changed since" in copy_page
    assert f"/sequences/{plan.id}/compare?a=" in copy_page.replace("&amp;", "&")
    # The copy is shared with my Work Group only: I see it listed, the original's author not.
    assert "Adapted by others" in client.get(f"/sequences/{plan.id}").get_data(as_text=True)
    assert "Adapted by others" not in other.get(f"/sequences/{plan.id}").get_data(as_text=True)
