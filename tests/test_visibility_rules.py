"""Visibility is written once (app/visibility.py); these tests check the forms derived from it.

The property test generates worlds (users with site roles, schools and memberships with roles;
Work Groups with or without a named Lead; plans and research lessons of every visibility) and
checks, for every user and object, that the page predicate, the SQL filter, the search
documents' access tokens against the reader's tokens, and notification-link visibility give
the same answer. The behaviour tests below pin what the rule itself says.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app import policy, visibility
from app.accounts.models import Membership, User, WorkGroup
from app.extensions import db
from app.notifications.visibility import url_visible
from app.observations.models import AgreedChange, Observation, ResearchLesson
from app.observations.search_docs import research_lesson_document
from app.planning.models import Lesson, Sequence
from app.planning.search_docs import lesson_document, sequence_document
from app.revisions.models import Document, Revision
from tests.planning_helpers import lesson_form, make_plan

ROLES = ("participant_teacher", "subject_leader", "headteacher", "work_group_lead")

membership_st = st.fixed_dictionaries({
    "group": st.integers(0, 2),
    "school": st.one_of(st.none(), st.integers(0, 2)),
    "roles": st.lists(st.sampled_from(ROLES), min_size=1, max_size=2, unique=True),
})
user_st = st.fixed_dictionaries({
    "site_role": st.sampled_from(["", "", "", "site_admin", "hub_admin"]),
    "admin_hub": st.one_of(st.none(), st.integers(0, 1)),
    "school": st.one_of(st.none(), st.integers(0, 2)),
    "disabled": st.sampled_from([False, False, False, True]),
    "memberships": st.lists(membership_st, max_size=3, unique_by=lambda m: m["group"]),
})
sequence_st = st.fixed_dictionaries({
    "group": st.integers(0, 2),
    "school": st.integers(0, 2),
    "visibility": st.sampled_from(["all", "hub", "work_group", "school"]),
})
research_lesson_st = st.fixed_dictionaries({
    "sequence": st.integers(0, 2),
    "group": st.integers(0, 2),
    "school": st.one_of(st.none(), st.integers(0, 2)),
    "visibility": st.sampled_from(["work_group", "school"]),
})
world_st = st.fixed_dictionaries({
    "users": st.lists(user_st, min_size=1, max_size=3),
    "leads": st.lists(st.one_of(st.none(), st.integers(0, 2)), min_size=3, max_size=3),
    "sequences": st.lists(sequence_st, min_size=3, max_size=3),
    "research_lessons": st.lists(research_lesson_st, min_size=1, max_size=2),
})

#: Worlds a random search might take long to reach, each once in every run.
SHARP_CASES = [
    # A Lead named on the group (not a member) and a member from another school, a research
    # lesson of group 0 on a plan kept to a school of group 1.
    {"users": [{"site_role": "", "admin_hub": None, "school": 1, "disabled": False,
                "memberships": [{"group": 0, "school": 1, "roles": ["participant_teacher"]}]},
               {"site_role": "", "admin_hub": None, "school": None, "disabled": False,
                "memberships": []}],
     "leads": [1, None, None],
     "sequences": [{"group": 1, "school": 1, "visibility": "school"},
                   {"group": 0, "school": 0, "visibility": "work_group"},
                   {"group": 2, "school": 2, "visibility": "hub"}],
     "research_lessons": [{"sequence": 0, "group": 0, "school": 1, "visibility": "school"},
                          {"sequence": 1, "group": 0, "school": None, "visibility": "school"}]},
    # A site admin in group 0 for school 1; a hub admin of hub 1; a Lead by role only.
    {"users": [{"site_role": "site_admin", "admin_hub": None, "school": None, "disabled": False,
                "memberships": [{"group": 0, "school": 1, "roles": ["subject_leader"]}]},
               {"site_role": "hub_admin", "admin_hub": 1, "school": 2, "disabled": False,
                "memberships": []},
               {"site_role": "", "admin_hub": None, "school": None, "disabled": False,
                "memberships": [{"group": 2, "school": None, "roles": ["work_group_lead"]}]}],
     "leads": [None, None, None],
     "sequences": [{"group": 0, "school": 0, "visibility": "school"},
                   {"group": 2, "school": 2, "visibility": "hub"},
                   {"group": 1, "school": 1, "visibility": "all"}],
     "research_lessons": [{"sequence": 1, "group": 2, "school": 2, "visibility": "school"},
                          {"sequence": 0, "group": 0, "school": 0, "visibility": "work_group"}]},
]


@pytest.fixture
def places(app, make_hub, make_school):
    """Two hubs, three Work Groups (two in the first hub), three schools: kept for every world."""
    hubs = [make_hub(), make_hub()]
    schools = [make_school(hub_id=hubs[0].id) for _ in range(3)]
    with app.app_context():
        groups = []
        for n, hub in enumerate([hubs[0], hubs[0], hubs[1]]):
            group = WorkGroup(hub_id=hub.id, project_code=f"NCP 24-{n}", code_key=f"ncp24{n}",
                              title=f"Group {n}", programme_stage="sustaining", phase="primary",
                              academic_year="2024/25")
            db.session.add(group)
            db.session.flush()
            groups.append(group.id)
        author = User(email="author@example.org", display_name="Author")
        db.session.add(author)
        db.session.commit()
        return SimpleNamespace(hubs=[h.id for h in hubs], schools=[s.id for s in schools],
                               groups=groups, author=author.id)


def _document(author_id: int) -> tuple[Document, Revision]:
    document = Document(kind="lesson", head_number=1)
    db.session.add(document)
    db.session.flush()
    revision = Revision(document_id=document.id, number=1, author_id=author_id, fields={},
                        html={})
    db.session.add(revision)
    return document, revision


def _build(world: dict, places: SimpleNamespace) -> SimpleNamespace:
    """The world's rows, flushed (never committed: each example rolls back)."""
    users = []
    for n, spec in enumerate(world["users"]):
        user = User(email=f"u{n}@example.org", display_name=f"User {n}",
                    site_role=spec["site_role"], disabled=spec["disabled"],
                    admin_hub_id=(places.hubs[spec["admin_hub"]]
                                  if spec["admin_hub"] is not None else None),
                    school_id=(places.schools[spec["school"]]
                               if spec["school"] is not None else None))
        db.session.add(user)
        for m in spec["memberships"]:
            member = Membership(user=user, work_group_id=places.groups[m["group"]],
                                school_id=(places.schools[m["school"]]
                                           if m["school"] is not None else None))
            member.set_roles(m["roles"])
            db.session.add(member)
        users.append(user)
    db.session.flush()
    for group_id, lead in zip(places.groups, world["leads"], strict=True):
        db.session.get(WorkGroup, group_id).lead_id = users[lead].id if (
            lead is not None and lead < len(users)) else None
    sequences, lessons = [], []
    for n, spec in enumerate(world["sequences"]):
        document, _ = _document(places.author)
        sequence = Sequence(document_id=document.id, work_group_id=places.groups[spec["group"]],
                            school_id=places.schools[spec["school"]], academic_year="2024/25",
                            title=f"Plan {n}", year_group="Y3", strand="md",
                            visibility=spec["visibility"], created_by_id=places.author)
        db.session.add(sequence)
        db.session.flush()
        lesson_document_row, _ = _document(places.author)
        lesson = Lesson(document_id=lesson_document_row.id, sequence_id=sequence.id,
                        title=f"Lesson {n}", created_by_id=places.author)
        db.session.add(lesson)
        sequences.append(sequence)
        lessons.append(lesson)
    db.session.flush()
    research_lessons = []
    for spec in world["research_lessons"]:
        lesson = lessons[spec["sequence"]]
        revision = db.session.scalar(select(Revision).where(
            Revision.document_id == lesson.document_id))
        rl = ResearchLesson(lesson_id=lesson.id, document_id=lesson.document_id,
                            revision_number=1, revision_id=revision.id,
                            taught_on=dt.date(2025, 3, 4), teacher_id=places.author,
                            school_id=(places.schools[spec["school"]]
                                       if spec["school"] is not None else None),
                            work_group_id=places.groups[spec["group"]], year_group="Y3",
                            visibility=spec["visibility"], created_by_id=places.author)
        db.session.add(rl)
        research_lessons.append(rl)
    db.session.flush()
    observations, changes = [], []
    for rl in research_lessons:
        observation = Observation(research_lesson_id=rl.id, observer_id=places.author)
        change = AgreedChange(research_lesson_id=rl.id, text="Start with the number line",
                              created_by_id=places.author)
        db.session.add_all([observation, change])
        observations.append(observation)
        changes.append(change)
    db.session.flush()
    db.session.expire_all()
    return SimpleNamespace(users=[db.session.get(User, u.id) for u in users],
                           sequences=sequences, lessons=lessons,
                           research_lessons=research_lessons, observations=observations,
                           changes=changes,
                           groups=[db.session.get(WorkGroup, g) for g in places.groups])


def _found_by_search(document: dict | None, user: User) -> bool:
    assert document is not None
    return bool(set(document["access"]) & set(policy.search_access_tokens(user)))


def _disagreements(app, world: SimpleNamespace) -> list[str]:
    """Every (user, object) where a derived form differs from the page predicate."""
    problems = []

    def check(label: str, answers: dict[str, bool]) -> None:
        if len(set(answers.values())) > 1:
            problems.append(f"{label}: {answers}")

    for user in world.users:
        readable = set(db.session.scalars(select(Sequence.id).where(
            policy.visible_sequences_clause(user))))
        editable = set(db.session.scalars(select(Sequence.id).where(
            visibility.sql_filter(user, visibility.SEQUENCE_EDIT))))
        readable_lessons = set(db.session.scalars(select(Lesson.id).where(
            visibility.sql_filter(user, visibility.LESSON_READ))))
        readable_rls = set(db.session.scalars(select(ResearchLesson.id).where(
            visibility.sql_filter(user, visibility.RESEARCH_LESSON_READ))))
        readable_observations = set(db.session.scalars(select(Observation.id).where(
            visibility.sql_filter(user, visibility.OBSERVATION_READ))))
        readable_changes = set(db.session.scalars(select(AgreedChange.id).where(
            visibility.sql_filter(user, visibility.AGREED_CHANGE_READ))))
        readable_groups = set(db.session.scalars(select(WorkGroup.id).where(
            visibility.sql_filter(user, visibility.WORK_GROUP_READ))))
        with app.test_request_context():
            for sequence in world.sequences:
                check(f"user {user.id} reads sequence {sequence.id}", {
                    "predicate": policy.can_view_sequence(user, sequence),
                    "sql": sequence.id in readable,
                    "search": _found_by_search(sequence_document(sequence.id), user),
                    "notification": url_visible(user, f"/sequences/{sequence.id}"),
                })
                check(f"user {user.id} edits sequence {sequence.id}", {
                    "predicate": policy.can_edit_sequence(user, sequence),
                    "list": policy.can_edit_plan_in(user, sequence.work_group_id,
                                                     sequence.visibility, sequence.school_id),
                    "sql": sequence.id in editable,
                })
            for lesson in world.lessons:
                check(f"user {user.id} reads lesson {lesson.id}", {
                    "predicate": policy.can_view_sequence(user, lesson.sequence),
                    "sql": lesson.id in readable_lessons,
                    "search": _found_by_search(lesson_document(lesson.id), user),
                    "notification": url_visible(user, f"/lessons/{lesson.id}"),
                })
            for rl in world.research_lessons:
                check(f"user {user.id} reads research lesson {rl.id}", {
                    "predicate": policy.can_view_research_lesson(user, rl),
                    "sql": rl.id in readable_rls,
                    "search": _found_by_search(research_lesson_document(rl.id), user),
                    "notification": url_visible(user, f"/research-lessons/{rl.id}"),
                })
            for observation, change in zip(world.observations, world.changes, strict=True):
                check(f"user {user.id} reads observation {observation.id}", {
                    "predicate": policy.can_view_research_lesson(
                        user, observation.research_lesson),
                    "sql": observation.id in readable_observations,
                })
                check(f"user {user.id} reads agreed change {change.id}", {
                    "predicate": policy.can_view_research_lesson(user, change.research_lesson),
                    "sql": change.id in readable_changes,
                })
            for group in world.groups:
                check(f"user {user.id} sees Work Group {group.id}", {
                    "predicate": policy.can_view_work_group(user, group),
                    "sql": group.id in readable_groups,
                    "notification": url_visible(user, f"/work-groups/{group.id}/sessions"),
                })
    return problems


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(world=world_st)
@example(world=SHARP_CASES[0])
@example(world=SHARP_CASES[1])
def test_every_derived_form_of_the_visibility_rule_agrees(app, places, world):
    with app.app_context():
        try:
            built = _build(world, places)
            assert _disagreements(app, built) == []
        finally:
            db.session.rollback()


# --- what the rule says, from the people it is about -----------------------------------------


def test_school_only_plan_is_not_found_in_search_by_the_rest_of_its_work_group(
        app, client, login, make_work_group, make_user):
    group = make_work_group()
    author = make_user(group=group, school_id=group.school_ids[0])
    plan = make_plan(app, author, group, lessons=1, visibility="school", title="Quokka fractions")
    neighbour = make_user(group=group, school_id=group.school_ids[1])
    login(neighbour)
    page = client.get("/search", query_string={"q": "quokka"}).get_data(as_text=True)
    assert f"/sequences/{plan.id}\"" not in page and "Quokka fractions" not in page
    client.post("/logout")
    login(make_user(group=group, school_id=group.school_ids[0]))
    page = client.get("/search", query_string={"q": "quokka"}).get_data(as_text=True)
    assert "Quokka fractions" in page


def test_a_member_from_another_school_may_not_edit_a_school_only_plan_they_can_read(
        app, client, login, make_work_group, make_user):
    """A site admin reads every plan; as a member of the group for another school she still
    may not edit a plan kept to one school."""
    group = make_work_group()
    author = make_user(group=group, school_id=group.school_ids[0])
    plan = make_plan(app, author, group, lessons=1, visibility="school")
    admin = make_user(group=group, school_id=group.school_ids[1], site_role="site_admin")
    login(admin)
    assert client.get(f"/lessons/{plan.lesson_ids[0]}").status_code == 200
    assert client.get(f"/lessons/{plan.lesson_ids[0]}/edit").status_code == 403
    assert client.post(f"/lessons/{plan.lesson_ids[0]}/edit",
                       data=lesson_form(body="overwritten")).status_code == 403


def test_a_lead_named_on_the_group_reads_its_plans_everywhere(app, client, login,
                                                              make_work_group, make_user):
    """A Lead named on the Work Group but not a member of it: pages, lists and search agree."""
    group = make_work_group()
    author = make_user(group=group)
    plan = make_plan(app, author, group, lessons=0, title="Wombat place value")
    lead = make_user()
    with app.app_context():
        db.session.get(WorkGroup, group.id).lead_id = lead.id
        db.session.commit()
    login(lead)
    assert client.get(f"/sequences/{plan.id}").status_code == 200
    assert "Wombat place value" in client.get("/sequences").get_data(as_text=True)
    assert "Wombat place value" in client.get(
        "/search", query_string={"q": "wombat"}).get_data(as_text=True)
