"""Full rebuilds build documents in batches (and in worker processes): the batched builders must
index exactly what the one-at-a-time builders do, in a constant number of queries."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.accounts.models import User
from app.extensions import db
from app.materials.models import Material
from app.materials.services import apply_fields
from app.observations import services as observations
from app.planning import services as planning
from app.search import rebuild, sources
from tests.observations_helpers import add_change, edit_lesson, make_research_lesson
from tests.planning_helpers import make_plan
from tests.sql_helpers import statements_sent


def _material(app, title: str, status: str = "published", archived: bool = False) -> None:
    with app.app_context():
        material = Material(status=status)
        apply_fields(material, {
            "title": title, "source": "ncetm_primary_pd", "kind": "teacher_guide",
            "url": f"https://www.ncetm.org.uk/{title.lower().replace(' ', '-')}", "spine": "3",
            "segment": "3.2", "theme": None, "core_concept": None, "year_groups": ["Y3"],
            "strand": "fractions", "description": "Unit fractions on a **number line**.",
            "teaching_points": ["Equal parts"], "tags": ["fractions"]})
        if archived:
            from app.timeutil import utcnow

            material.archived_at = utcnow()
        db.session.add(material)
        db.session.commit()


@pytest.fixture
def world(app, make_hub, make_work_group, make_user) -> SimpleNamespace:
    """Two hubs, three Work Groups and their schools; plans of every visibility, edited by
    several people, archived ones, research lessons with observations, and materials."""
    hub = make_hub()
    group = make_work_group(hub_id=hub.id)
    neighbour = make_work_group("NCP 25-15", hub_id=hub.id, year="2025/26")
    faraway = make_work_group("NCP23-10", schools=1)
    teacher = make_user("Sam Iqbal", group=group, roles=("lead_participant",))
    colleague = make_user("Ellie Marsden", group=group, school_id=group.school_ids[1])
    observer = make_user("Nadia Okafor", group=group, school_id=group.school_ids[1])
    other = make_user("Olive Other", group=neighbour)
    far = make_user("Fay Far", group=faraway)
    plans = [
        make_plan(app, teacher, group, lessons=3),
        make_plan(app, teacher, group, lessons=2, visibility="school",
                  title="Year 4: fractions [[pd:3.2]]", strand="fractions", year_group="Y4"),
        make_plan(app, colleague, group, lessons=1, visibility="hub",
                  school_id=str(group.school_ids[1])),
        make_plan(app, other, neighbour, lessons=2, visibility="all", strand="shape"),
        make_plan(app, far, faraway, lessons=2, visibility="school"),
        make_plan(app, teacher, group, lessons=0),
    ]
    edit_lesson(app, colleague, plans[0].lesson_ids[0], key_learning_point="Four is double two.")
    edit_lesson(app, teacher, plans[0].lesson_ids[0], difficult_points="Doubling both factors.",
                key_learning_point="Four is double two; see [[pd:2.7]].")
    with app.app_context():
        author = db.session.get(User, teacher.id)
        planning.archive_lesson(author, plans[0].lesson_ids[2])
        planning.archive_sequence(author, plans[1].id)
        db.session.commit()
    research = make_research_lesson(app, teacher, plans[0].lesson_ids[0], [observer])
    make_research_lesson(app, colleague, plans[0].lesson_ids[1], visibility="school",
                         kind="support_visit")
    add_change(app, teacher, research)
    with app.app_context():
        observations.save_my_observation(
            db.session.get(User, observer.id), research,
            {"responses": "Most pupils counted on in fours.",
             "pupils": [{"code": "A", "profile": "Confident", "prediction": "Doubles",
                         "evidence": "Said 'double'"}],
             "noticings": [{"at": "12", "about": "phase:main_input",
                            "note": "Pupil B read the array as eight 2s."}]})
        observations.save_discussion(db.session.get(User, teacher.id), research, {
            "teacher_reflection": "The array came too early.",
            "discussion_points": "Number line first.", "pupil_interview": "A: 'It doubled.'"})
        db.session.commit()
    _material(app, "Unit fractions")
    _material(app, "A suggestion", status="suggested")
    _material(app, "Old fractions", archived=True)
    return SimpleNamespace(plans=plans, research=research)


def _one_by_one(kind: str, ids: list[int]) -> list[dict]:
    built = (sources.build(f"{kind}:{item_id}") for item_id in ids)
    return [doc for doc in built if doc is not None]


def test_batched_builders_give_exactly_the_documents_built_one_by_one(app, world):
    with app.app_context():
        ids = {kind: list(sources.ids_of(kind)) for kind in sources.kinds()}
        assert {k for k, v in ids.items() if v} >= {"lesson", "sequence", "observation",
                                                    "material"}
        expected = {kind: _one_by_one(kind, kind_ids) for kind, kind_ids in ids.items()}
        db.session.remove()  # nothing the single builders loaded helps the batched ones
        for kind, kind_ids in ids.items():
            # A deleted id in the batch is left out, as build leaves it out.
            batch = sources.build_batch(kind, [*kind_ids, 10_000])
            assert batch == expected[kind], kind
        # The archived lesson, the suggestion and the archived material are handled alike.
        lessons = {doc["key"]: doc for doc in expected["lesson"]}
        assert lessons[f"lesson:{world.plans[0].lesson_ids[2]}"]["archived"] is True
        assert lessons[f"lesson:{world.plans[0].lesson_ids[0]}"]["segment"] == ["2.7"]
        assert len(expected["material"]) == 1
        observation = {doc["key"]: doc for doc in expected["observation"]}[
            f"observation:{world.research}"]
        assert "eight 2s" in observation["body"] and "Number line first" in observation["body"]


def test_every_document_of_a_rebuild_in_worker_processes_too(app, world):
    with app.app_context():
        expected = sorted((doc for key in sources.all_keys()
                           if (doc := sources.build(key)) is not None), key=lambda d: d["key"])
        seen: list[int] = []
        here = list(rebuild.iter_documents(seen.append, batch=4, procs=1))
        assert sorted(here, key=lambda d: d["key"]) == expected
        assert sum(seen) == sum(1 for _ in sources.all_keys())
        # Spawned children build their own app from this one's config and read the database.
        there = list(rebuild.iter_documents(batch=4, procs=2))
        assert sorted(there, key=lambda d: d["key"]) == expected


def test_building_many_lessons_takes_a_constant_number_of_queries(app, make_work_group,
                                                                   make_user):
    group = make_work_group()
    teacher = make_user(group=group)
    colleague = make_user(group=group)
    plans = [make_plan(app, teacher, group, lessons=10, title=f"Plan {n}") for n in range(5)]
    for plan in plans:
        edit_lesson(app, colleague, plan.lesson_ids[0], body="Edited by a colleague.")
    lesson_ids = [i for plan in plans for i in plan.lesson_ids]
    assert len(lesson_ids) == 50
    with app.app_context():
        with statements_sent(app) as statements:
            docs = sources.build_batch("lesson", lesson_ids)
        assert len(docs) == 50
        assert len(statements) <= 4, statements
        db.session.remove()
        with statements_sent(app) as statements:
            assert len(sources.build_batch("sequence", [plan.id for plan in plans])) == 5
        assert len(statements) <= 3, statements
