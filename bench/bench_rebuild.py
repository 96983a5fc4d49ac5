"""Benchmark a full search rebuild (`flask search rebuild`) over a realistic database.

Re-run with:  .venv/bin/python bench/bench_rebuild.py                      (10,000 lessons)
              .venv/bin/python bench/bench_rebuild.py --lessons 2000       (a quick run)
              .venv/bin/python bench/bench_rebuild.py --lessons 50000 --import bulk
              .venv/bin/python bench/bench_rebuild.py --database-url postgresql://...

Imports a corpus into a fresh database: two hubs, six Work Groups with two schools and four
teachers each, sequences of every visibility (about 20 lessons each, ~600 words per lesson
from bench_planning's generator, one in ten linking a PD segment), one lesson in ten edited
again by a colleague, one in fifty archived, a research lesson every 200 lessons and 200 PD
materials. `--import service` (the default) makes every sequence, lesson, edit and research
lesson through the planning and observations services, as the pages do; `--import bulk`
inserts the same plans' rows directly (as bench_planning does: much faster, for 50k).

Then it times, on this machine (load average printed): building every document one at a time
(the old path, on a sample), building them in batches in-process and in 2 worker processes
(no index), and full rebuilds (app.search.rebuild.iter_documents into SearchIndex.rebuild)
for each combination of builder processes x Whoosh writer processes. Wall-clock documents/s
and documents per CPU-second (parent and children). Target: >= 300 lessons/s at 10k.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_planning import generated, lesson_fields, lesson_title  # noqa: E402

SEED = 20251203
TARGET = 300.0
HUBS, GROUPS_PER_HUB, SCHOOLS_PER_GROUP, TEACHERS_PER_GROUP = 2, 3, 2, 4
VISIBILITIES = ("work_group", "work_group", "school", "hub", "all")
STRANDS = ("md", "npv", "as", "fractions", "shape")
MATERIALS = 200


# --- the database -------------------------------------------------------------------------------


@contextmanager
def database(directory: str, url: str | None, keep: str = "") -> Iterator[str]:
    """A fresh SQLite file (or the one at `keep`, kept for the next run), or a throwaway
    schema on the PostgreSQL server at `url`."""
    if not url:
        yield f"sqlite:///{Path(keep).resolve() if keep else Path(directory) / 'bench.sqlite'}"
        return
    from sqlalchemy import create_engine, text

    from app.config import normalise_database_url

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(normalise_database_url(url))
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    try:
        yield normalise_database_url(url) + f"{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def build_app(directory: str, uri: str) -> Any:
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": uri, "TESTING": True,
                       "SECRET_KEY": "bench-" + os.urandom(8).hex(),
                       "SEARCH_INDEX_DIR": f"{directory}/search-index",
                       "RATELIMIT_ENABLED": False, "SEARCH_AUTO_REBUILD": "off"})


def add_group(hub: Any, n: int, code: str, year: str, school_count: int,
              teacher_schools: list[int], title: str) -> tuple[Any, list[Any]]:
    """One Work Group of `school_count` schools in `hub`, with a participant teacher in the
    school of each index in `teacher_schools`; returns (group, teachers), not yet committed."""
    from app.accounts.models import Membership, School, User, WorkGroup, project_code_key
    from app.extensions import db

    schools = [School(name=f"Bench School {n}-{s + 1}", phase="primary", hub=hub)
               for s in range(school_count)]
    group = WorkGroup(hub=hub, project_code=code, code_key=project_code_key(code), title=title,
                      programme_stage="sustaining", phase="primary", academic_year=year,
                      schools=schools)
    teachers = []
    for t, index in enumerate(teacher_schools):
        school = schools[index]
        user = User(email=f"teacher{n}-{t}@school{n}.example.org",
                    display_name=f"Teacher {n}.{t}", school=school, password_hash="!")
        member = Membership(user=user, work_group=group, school=school)
        member.set_roles(["participant_teacher"])
        db.session.add_all([user, member])
        teachers.append(user)
    db.session.add(group)
    return group, teachers


def people_ids(groups: list[tuple[Any, list[Any]]]) -> list[dict[str, Any]]:
    """Each group's id and its teachers' (id, school id), once committed."""
    return [{"id": group.id, "teachers": [(u.id, u.school_id) for u in teachers]}
            for group, teachers in groups]


def make_people() -> list[dict[str, Any]]:
    """Hubs, Work Groups, schools and teachers; returns each group's ids and teachers."""
    from app.accounts.models import Hub
    from app.extensions import db

    groups = []
    codes = ("NCP 24-11", "NCP 25-15", "NCP23-10")
    for h in range(HUBS):
        hub = Hub(name=f"Bench Hub {h + 1}", region="Bench")
        db.session.add(hub)
        for g in range(GROUPS_PER_HUB):
            n = h * GROUPS_PER_HUB + g + 1
            groups.append(add_group(
                hub, n, codes[g], ("2024/25", "2025/26")[g % 2], SCHOOLS_PER_GROUP,
                [t % SCHOOLS_PER_GROUP for t in range(TEACHERS_PER_GROUP)],
                f"Bench Work Group {n}"))
    db.session.commit()
    return people_ids(groups)


def plan_layout(lessons: int, per_sequence: int = 20) -> list[dict[str, Any]]:
    """Which group, author, visibility and strand each sequence has (same in both modes)."""
    rng = random.Random(SEED)
    return [{"group": s % (HUBS * GROUPS_PER_HUB), "author": rng.randrange(TEACHERS_PER_GROUP),
             "visibility": rng.choice(VISIBILITIES), "strand": rng.choice(STRANDS),
             "year_group": f"Y{rng.randint(1, 6)}",
             "lessons": min(per_sequence, lessons - s * per_sequence)}
            for s in range(-(-lessons // per_sequence))]


def linked(lessons: Iterator[tuple[dict[str, str], dict[str, str]]]
           ) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """One lesson in ten links a PD segment, as co-planned lessons do (the search document
    parses the Markdown of those to find it)."""
    for n, (fields, html) in enumerate(lessons):
        if n % 10 == 0:
            fields = {**fields, "body": fields["body"] + f"\n\nSee [[pd:2.{n % 13 + 1}]]."}
        yield fields, html


def import_with_services(groups: list[dict[str, Any]], lessons: int, jobs: int,
                         report: Callable[[int], None]) -> None:
    """Every sequence, lesson, edit and research lesson through the services, as pages do."""
    from app.accounts.models import User
    from app.extensions import db
    from app.observations import services as observations
    from app.planning import services as planning

    def user(user_id: int) -> User:
        found = db.session.get(User, user_id)
        assert found is not None
        return found

    texts = (fields for fields, _html in linked(generated(lessons, SEED, jobs)))
    made = 0
    for s, layout in enumerate(plan_layout(lessons)):
        group = groups[layout["group"]]
        author_id, school_id = group["teachers"][layout["author"]]
        author = user(author_id)
        sequence = planning.create_sequence(author, {
            "title": f"Sequence {s + 1}: {layout['strand']}", "year_group": layout["year_group"],
            "strand": layout["strand"], "rtp_codes": "3NF-2", "tags": "bench",
            "small_steps": "1. Count in fours", "overview": "Build the times tables.",
            "work_group_id": str(group["id"]), "school_id": str(school_id),
            "visibility": layout["visibility"]})
        for _ in range(layout["lessons"]):
            fields = next(texts)
            lesson = planning.add_lesson(author, sequence.id, fields["title"], fields=fields)
            made += 1
            if made % 10 == 0:  # a colleague edits one lesson in ten
                colleague_id = group["teachers"][(layout["author"] + 2) % TEACHERS_PER_GROUP][0]
                planning.update_lesson(user(colleague_id), lesson.id,
                                       {**fields, "checks": fields["checks"] + "\n- Exit ticket."},
                                       lesson.document.head_number, "Added a check.")
            if made % 200 == 0:
                observations.schedule_research_lesson(author, lesson.id, {
                    "taught_on": "2025-01-30", "teacher_id": str(author_id),
                    "year_group": layout["year_group"], "kind": "research_lesson",
                    "visibility": "work_group", "class_context": "28 pupils in pairs.",
                    "research_focus": "Does the array help pupils explain doubling?",
                    "key_point": "Doubling", "difficult_points": "Doubling both factors.",
                    "feedback_wanted": "Order of representations.", "observers": []})
            if made % 50 == 0:
                planning.archive_lesson(author, lesson.id)
            if made % 100 == 0:
                db.session.commit()
                report(made)
        db.session.commit()
    report(made)


def import_bulk(groups: list[dict[str, Any]], lessons: int, jobs: int,
                report: Callable[[int], None]) -> None:
    """The same plans as rows inserted directly (documents, revisions, sequences, lessons)."""
    from sqlalchemy import insert

    from app.extensions import db
    from app.planning.models import Lesson, Sequence
    from app.revisions.models import Document, Revision
    from app.timeutil import utcnow

    now = utcnow()
    layouts = plan_layout(lessons)
    texts = linked(generated(lessons, SEED, jobs))
    doc_id = lesson_id = 0
    for s, layout in enumerate(layouts, start=1):
        group = groups[layout["group"]]
        author_id, school_id = group["teachers"][layout["author"]]
        rows: dict[str, list[dict[str, Any]]] = {"doc": [], "rev": [], "lesson": []}
        items = []
        doc_id += 1
        sequence_doc = doc_id
        for position in range(1, layout["lessons"] + 1):
            fields, html = next(texts)
            doc_id += 1
            lesson_id += 1
            items.append({"id": lesson_id, "title": fields["title"]})
            rows["doc"].append({"id": doc_id, "kind": "lesson", "head_number": 1})
            rows["rev"].append({"document_id": doc_id, "number": 1, "author_id": author_id,
                                "created_at": now, "summary": "Lesson created.",
                                "merged_numbers": [], "fields": fields, "html": html})
            rows["lesson"].append({
                "id": lesson_id, "document_id": doc_id, "sequence_id": s, "position": position,
                "title": fields["title"], "created_by_id": author_id, "created_at": now,
                "updated_at": now, "archived_at": now if lesson_id % 50 == 0 else None})
        seq_fields = {"title": f"Sequence {s}: {layout['strand']}",
                      "year_group": layout["year_group"], "strand": layout["strand"],
                      "rtp_codes": ["3NF-2"], "big_ideas": [], "tags": ["bench"],
                      "small_steps": "1. Count in fours", "overview": "Build the times tables.",
                      "lessons": items}
        db.session.execute(insert(Document), [{"id": sequence_doc, "kind": "sequence",
                                               "head_number": 1}, *rows["doc"]])
        db.session.execute(insert(Sequence), [{
            "id": s, "document_id": sequence_doc, "work_group_id": group["id"],
            "school_id": school_id, "academic_year": "2024/25", "title": seq_fields["title"],
            "year_group": layout["year_group"], "strand": layout["strand"],
            "visibility": layout["visibility"], "status": "draft", "created_by_id": author_id,
            "created_at": now, "updated_at": now}])
        db.session.execute(insert(Revision), [{
            "document_id": sequence_doc, "number": 1, "author_id": author_id, "created_at": now,
            "summary": "Sequence created.", "merged_numbers": [], "fields": seq_fields,
            "html": {}}, *rows["rev"]])
        db.session.execute(insert(Lesson), rows["lesson"])
        if s % 25 == 0:
            db.session.commit()
            report(lesson_id)
    db.session.commit()
    report(lesson_id)


def add_materials() -> None:
    from app.extensions import db
    from app.materials.models import Material
    from app.materials.services import apply_fields

    rng = random.Random(SEED)
    for n in range(MATERIALS):
        material = Material(status="published" if n % 10 else "suggested")
        apply_fields(material, {
            "title": lesson_title(rng), "source": "ncetm_primary_pd", "kind": "teacher_guide",
            "url": f"https://www.ncetm.org.uk/resources/{n}", "spine": str(1 + n % 3),
            "segment": f"{1 + n % 3}.{n % 30}", "theme": None, "core_concept": None,
            "year_groups": [f"Y{1 + n % 6}"], "strand": STRANDS[n % len(STRANDS)],
            "description": lesson_fields(rng, "m")["key_learning_point"],
            "teaching_points": ["Equal parts"], "tags": ["bench"]})
        db.session.add(material)
    db.session.commit()


# --- measuring ----------------------------------------------------------------------------------


def cpu_seconds() -> float:
    """CPU time of this process and of every child it has waited for."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def measure(label: str, run: Callable[[], int]) -> tuple[float, float]:
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), cpu_seconds()
    count = run()
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    print(f"  {label:<46} {count:>7,} docs {wall:7.1f} s  {count / wall:7.0f} docs/s wall  "
          f"{count / cpu:6.0f} docs/CPU-s  (load before {load:.2f})", flush=True)
    return count / wall, count / cpu


def build_only(procs: int) -> int:
    from app.search import rebuild

    return sum(1 for _ in rebuild.iter_documents(procs=procs))


def full_rebuild(index: Any, total: int, builders: int, writers: int) -> int:
    """What `flask search rebuild` does: documents from the database into a new index."""
    from app.search import rebuild

    seen: list[int] = []
    docs = rebuild.iter_documents(seen.append, procs=builders)
    count = index.rebuild(docs, total=total, procs=writers)
    assert sum(seen) == total, (sum(seen), total)  # the progress bar reaches its end
    return int(count)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lessons", type=int, default=10_000)
    parser.add_argument("--import", dest="mode", choices=("service", "bulk"), default="service")
    parser.add_argument("--database-url", default="", help="PostgreSQL server (default SQLite)")
    parser.add_argument("--keep", default="", metavar="FILE",
                        help="SQLite file to import into and keep; if it has lessons already, "
                             "only the timings run (re-measure when the machine is quiet)")
    parser.add_argument("--combos", default="1x1,1x2,2x1,2x2",
                        help="builder processes x Whoosh writer processes to time")
    parser.add_argument("--sample", type=int, default=1000,
                        help="documents built one by one for the old-path figure")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="processes generating the lesson text during import")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="coplan-bench-rebuild-") as directory, \
            database(directory, args.database_url, args.keep) as uri:
        app = build_app(directory, uri)
        from app.extensions import db
        from app.planning.models import Lesson
        from app.search import indexer, sources

        backend = "PostgreSQL" if args.database_url else "SQLite"
        print(f"Coplan rebuild benchmark: {args.lessons:,} lessons, {backend}, "
              f"{args.mode} import, {os.cpu_count()} CPUs, load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        started = time.perf_counter()

        def report(made: int) -> None:
            if made % 1000 == 0 or made == args.lessons:
                print(f"    imported {made:,} lessons, {time.perf_counter() - started:.0f} s",
                      flush=True)

        with app.app_context():
            db.create_all()
            if not db.session.query(Lesson.id).limit(1).all():
                groups = make_people()
                (import_with_services if args.mode == "service" else import_bulk)(
                    groups, args.lessons, args.jobs, report)
                add_materials()
            total = sum(1 for _ in sources.all_keys())
        print(f"  import: {time.perf_counter() - started:.0f} s; {total:,} ids to consider",
              flush=True)

        with app.app_context():
            keys = list(sources.all_keys())[: args.sample]

            def one_by_one() -> int:
                return sum(1 for key in keys if sources.build(key) is not None)

            measure(f"build one by one (old path, first {len(keys):,})", one_by_one)
            db.session.remove()
            for procs in (1, 2):
                measure(f"build in batches, {procs} process(es), no index",
                        partial(build_only, procs))
                db.session.remove()
            index = indexer.get_index()
            results = {}
            for combo in args.combos.split(","):
                builders, writers = (int(x) for x in combo.split("x"))
                results[combo] = measure(
                    f"rebuild: {builders} builder(s) x {writers} writer(s)",
                    partial(full_rebuild, index, total, builders, writers))
                db.session.remove()
            best = max(results, key=lambda c: results[c][0])
            rate = results[best][0]
            print(f"  fastest: {best} at {rate:.0f} docs/s "
                  f"({'OK' if rate >= TARGET else 'MISSED'}: target {TARGET:.0f} lessons/s)")
            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
