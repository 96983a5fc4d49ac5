"""Benchmark planning at Work Group scale: view a lesson, save a revision, compare two revisions.

Re-run with:  .venv/bin/python bench/bench_planning.py                  (10,000 lessons)
              .venv/bin/python bench/bench_planning.py --lessons 2000   (a quick run)

Builds a throwaway app on a temporary SQLite file with one Work Group, school and teacher and
~10,000 lessons of about 600 words each spread over ~500 sequences, then times, in-process:

- viewing a lesson page (GET /lessons/<id> through the test client, logged in);
- saving a small edit (services.update_lesson + commit, Markdown rendering included);
- comparing two revisions of a 2,000-line lesson (app.core.diffing.diff_snapshots).

Setup writes rows directly (bulk inserts of documents, revisions with pre-rendered HTML, lessons
and sequences); the lesson text is rendered by the app's one renderer, in worker processes.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.markdown import render_markdown  # noqa: E402  (after the path is set)
from app.planning.fields import LESSON_MARKDOWN_KEYS, SEQUENCE_MARKDOWN_KEYS  # noqa: E402

SEED = 20250120
TARGETS_MS = {"view": 15.0, "save": 100.0, "diff": 100.0}
BIG_LESSON_LINES = 2000
BIG_LESSON_EDITS = 50

# --- a small vocabulary of maths-teaching prose ---------------------------------------------------

REPS = ("bar model", "double number line", "part-whole model", "array", "tens frame",
        "place value chart", "Dienes blocks", "place value counters", "Cuisenaire rods",
        "bead string", "number line", "fraction wall", "area model", "multiplication square",
        "hundred square", "counting stick", "cubes in towers of four", "rekenrek")
CONCEPTS = ("equal groups", "commutativity", "the distributive law", "equivalent fractions",
            "a common denominator", "place value", "regrouping", "the inverse relationship",
            "scaling by 10", "unitising", "partitioning", "doubling and halving",
            "grouping (quotitive) division", "sharing (partitive) division", "common factors",
            "the structure of the times table", "compensation", "the size of one part")
VERBS = ("notice", "explain", "compare", "represent", "generalise", "justify", "reason about",
         "spot", "describe", "prove", "predict", "check")
TERMS = ("dividend", "divisor", "quotient", "product", "factor", "multiple", "numerator",
         "denominator", "equivalent", "partition", "exchange", "minuend", "subtrahend",
         "addend", "sum", "difference", "commutative", "remainder", "multiplier", "whole",
         "part", "unit fraction", "simplest form", "common multiple")
MISTAKES = ("count every object in ones", "add the same number to the numerator and denominator",
            "give the number of groups as the answer", "just add a zero",
            "compare the denominators only", "double both factors",
            "read the array as the wrong number of rows", "forget to exchange ten ones",
            "think that more parts means a bigger fraction", "subtract the smaller digit from "
            "the larger in every column")
TEMPLATES = (
    "Pupils {verb} {concept} using the {rep}, then say the stem sentence together.",
    "Model {concept} with the {rep} before moving to the {rep2}, so the structure stays "
    "visible.",
    "Some pupils may {mistake}; use the {rep} to show why that cannot be right.",
    "Ask: if {a} x {b} = {p}, what is {a} x {c}? How do you know without starting again?",
    "{a} groups of {b} is {p}, and {b} groups of {a} is also {p}: the {term} stays the same.",
    "Partner talk: one pupil explains {concept}, the other points to it on the {rep}.",
    "Hinge question: which picture shows {concept}? Pupils show A, B or C on mini-whiteboards.",
    "Pupils who {mistake} work with the teacher for five minutes after the lesson.",
    "Use the word {term} in a full sentence: \"The {term} is {p} because {a} x {b} = {p}.\"",
    "Keep the numbers small at first ({a} and {b}) so attention goes to {concept}.",
    "Show a non-example next to the example and ask pupils to {verb} what is different.",
    "Quick recall: {a} x {b}, {p} / {b} and {p} / {a}, answered chorally and then in pairs.",
)
STEMS = ("There are {a} groups of {b}. {a} {b}s are {p}.",
         "{a} x {b} = {p}, so {b} x {a} = {p}.",
         "The {term} is {p} because {a} x {b} = {p}.",
         "If I know {a} x {b}, I also know {a} x {c}.")
HEADINGS = ("## Starter", "## Main teaching", "## Independent practice", "## Plenary")
#: Rough word budget of each lesson field; together about 600 words.
BUDGETS = {"key_learning_point": 20, "prior_learning": 25, "key_vocabulary": 16,
           "stem_sentences": 30, "representations": 45, "difficult_points": 55,
           "conceptual_variation": 50, "procedural_variation": 45, "fluency_practice": 30,
           "deeper_questions": 40, "checks": 40, "body": 90}
LIST_FIELDS = {"key_vocabulary", "stem_sentences", "difficult_points", "deeper_questions",
               "checks"}


def sentence(rng: random.Random, templates: tuple[str, ...] = TEMPLATES) -> str:
    a, b, c = rng.randint(2, 12), rng.randint(2, 12), rng.randint(2, 12)
    rep, rep2 = rng.sample(REPS, 2)
    return rng.choice(templates).format(
        a=a, b=b, c=c, p=a * b, rep=rep, rep2=rep2, concept=rng.choice(CONCEPTS),
        verb=rng.choice(VERBS), term=rng.choice(TERMS), mistake=rng.choice(MISTAKES))


def field_text(rng: random.Random, key: str, words: int) -> str:
    """About `words` words of prose, as bullets for list-like fields."""
    if key == "key_vocabulary":
        return "\n".join(f"- {term}" for term in rng.sample(TERMS, max(3, words // 2)))
    parts: list[str] = []
    count = 0
    templates = STEMS if key == "stem_sentences" else TEMPLATES
    while count < words:
        text = sentence(rng, templates)
        parts.append(text)
        count += len(text.split())
    if key in LIST_FIELDS:
        return "\n".join(f"- {part}" for part in parts)
    if key == "body":
        return "\n\n".join(f"{HEADINGS[i % 4]}\n\n{part}" for i, part in enumerate(parts))
    return " ".join(parts)


def lesson_fields(rng: random.Random, title: str) -> dict[str, str]:
    return {"title": title, **{key: field_text(rng, key, budget)
                               for key, budget in BUDGETS.items()}}


def lesson_title(rng: random.Random) -> str:
    concept = rng.choice(CONCEPTS)
    return f"{concept[0].upper()}{concept[1:]} with the {rng.choice(REPS)}"


def render(fields: dict[str, Any], keys: list[str]) -> dict[str, str]:
    return {key: str(render_markdown(fields[key])) if fields.get(key) else "" for key in keys}


def make_lessons(start: int, count: int, seed: int) -> list[tuple[dict[str, str], dict[str, str]]]:
    """Lessons start..start+count-1 with their rendered HTML (runs in a worker process)."""
    made = []
    for index in range(start, start + count):
        rng = random.Random(seed * 1_000_003 + index)
        fields = lesson_fields(rng, lesson_title(rng))
        made.append((fields, render(fields, LESSON_MARKDOWN_KEYS)))
    return made


def generated(lessons: int, seed: int, jobs: int,
              chunk: int = 250) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """Every lesson in order, rendered on `jobs` processes."""
    starts = range(0, lessons, chunk)
    if jobs <= 1:
        for start in starts:
            yield from make_lessons(start, min(chunk, lessons - start), seed)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(make_lessons, s, min(chunk, lessons - s), seed) for s in starts]
        for future in futures:
            yield from future.result()


# --- setup ------------------------------------------------------------------------------------


def build_app(directory: str):
    from app import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory}/bench.sqlite",
        "SECRET_KEY": "bench-" + os.urandom(8).hex(),
        "TESTING": True,
        "SEARCH_INDEX_DIR": f"{directory}/search-index",
        "RATELIMIT_ENABLED": False,
    })


def make_people() -> Any:
    """One hub, school, Work Group and participant teacher; returns the teacher."""
    from app.accounts.models import Hub, Membership, School, User, WorkGroup, project_code_key
    from app.extensions import db

    hub = Hub(name="Bench Hub", region="Bench")
    school = School(name="Bench Primary School", phase="primary", hub=hub)
    group = WorkGroup(hub=hub, project_code="NCP 24-11", code_key=project_code_key("NCP 24-11"),
                      title="Bench Work Group", programme_stage="sustaining", phase="primary",
                      academic_year="2024/25", schools=[school])
    user = User(email="bench@school.example.org", display_name="Bench Teacher", school=school,
                password_hash="!")
    member = Membership(user=user, work_group=group, school=school)
    member.set_roles(["participant_teacher"])
    db.session.add_all([hub, school, group, user, member])
    db.session.commit()
    return user


def insert_plans(user: Any, lessons: int, sequences: int, seed: int, jobs: int) -> int:
    """Bulk-insert sequences and lessons with revision 1 each; returns the total word count."""
    from sqlalchemy import insert

    from app.extensions import db
    from app.planning.models import Lesson, Sequence
    from app.revisions.models import Document, Revision
    from app.timeutil import utcnow

    group_id, school_id = user.memberships[0].work_group_id, user.school_id
    per_sequence = -(-lessons // sequences)
    now = utcnow()
    # Documents 1..S are the sequences and S+1..S+L the lessons, so every id is known up front.
    db.session.execute(insert(Document), [{"id": s, "kind": "sequence", "head_number": 1}
                                          for s in range(1, sequences + 1)])
    db.session.execute(insert(Sequence), [{
        "id": s, "document_id": s, "work_group_id": group_id, "school_id": school_id,
        "academic_year": "2024/25", "title": _sequence_title(s), "year_group": "Y3",
        "strand": "md", "visibility": "work_group", "status": "draft", "created_by_id": user.id,
        "created_at": now, "updated_at": now} for s in range(1, sequences + 1)])
    titles: dict[int, list[dict[str, Any]]] = {s: [] for s in range(1, sequences + 1)}
    words = 0
    batch: dict[str, list[dict[str, Any]]] = {"documents": [], "revisions": [], "lessons": []}

    def flush_batch() -> None:
        if batch["lessons"]:
            db.session.execute(insert(Document), batch["documents"])
            db.session.execute(insert(Revision), batch["revisions"])
            db.session.execute(insert(Lesson), batch["lessons"])
        for rows in batch.values():
            rows.clear()

    for index, (fields, html) in enumerate(generated(lessons, seed, jobs)):
        lesson_id = index + 1
        document_id = sequences + lesson_id
        sequence_id = min(index // per_sequence + 1, sequences)
        words += sum(len(value.split()) for key, value in fields.items() if key != "title")
        titles[sequence_id].append({"id": lesson_id, "title": fields["title"]})
        batch["documents"].append({"id": document_id, "kind": "lesson", "head_number": 1})
        batch["revisions"].append({"document_id": document_id, "number": 1,
                                   "author_id": user.id, "created_at": now,
                                   "summary": "Lesson created.", "merged_numbers": [],
                                   "fields": fields, "html": html})
        batch["lessons"].append({"id": lesson_id, "document_id": document_id,
                                 "sequence_id": sequence_id,
                                 "position": len(titles[sequence_id]), "title": fields["title"],
                                 "created_by_id": user.id, "created_at": now,
                                 "updated_at": now})
        if len(batch["lessons"]) == 500:
            flush_batch()
    flush_batch()
    db.session.execute(insert(Revision), [_sequence_revision(s, items, user.id, now)
                                          for s, items in titles.items()])
    db.session.commit()
    return words


def _sequence_title(sequence_id: int) -> str:
    return f"Sequence {sequence_id}: multiplication and division"


def _sequence_revision(sequence_id: int, lessons: list[dict[str, Any]], user_id: int,
                       now: Any) -> dict[str, Any]:
    fields = {"title": _sequence_title(sequence_id),
              "year_group": "Y3", "strand": "md", "rtp_codes": ["3NF–2"], "big_ideas": [],
              "tags": ["bench"], "small_steps": "\n".join(f"1. {x['title']}" for x in lessons),
              "overview": "Build the times tables from doubling.", "lessons": lessons}
    return {"document_id": sequence_id, "number": 1, "author_id": user_id, "created_at": now,
            "summary": "Sequence created.", "merged_numbers": [], "fields": fields,
            "html": render(fields, SEQUENCE_MARKDOWN_KEYS)}


def big_lesson_pair(rng: random.Random) -> tuple[dict[str, str], dict[str, str]]:
    """A 2,000-line lesson and the same lesson after 50 scattered small edits.

    Half the lines are lesson notes; the rest are spread over the other fields (one field may
    hold at most 100,000 characters, about 1,300 lines of this prose).
    """
    old: dict[str, str] = {"title": "A very long lesson"}
    others = [key for key in BUDGETS if key != "body"]
    share, extra = divmod(BIG_LESSON_LINES - BIG_LESSON_LINES // 2, len(others))
    for key in BUDGETS:
        wanted = BIG_LESSON_LINES // 2 if key == "body" else \
            share + (1 if others.index(key) < extra else 0)
        lines: list[str] = []
        while len(lines) < wanted:
            roll = rng.random()
            if key == "body" and roll < 0.03:
                lines.append(rng.choice(HEADINGS))
            elif roll < 0.15:
                lines.append("")
            else:
                lines.append(("- " if key in LIST_FIELDS else "") + sentence(rng))
        old[key] = "\n".join(lines)
    new = dict(old)
    for _ in range(BIG_LESSON_EDITS):
        key = "body" if rng.random() < 0.6 else rng.choice(list(BUDGETS))
        lines = new[key].split("\n")
        at = rng.randrange(len(lines))
        roll = rng.random()
        if roll < 0.6 and lines[at]:
            words = lines[at].split(" ")
            words[rng.randrange(len(words))] = rng.choice(TERMS)
            lines[at] = " ".join(words)
        elif roll < 0.85:
            lines.insert(at, sentence(rng))
        else:
            del lines[at]
        new[key] = "\n".join(lines)
    return old, new


# --- measuring --------------------------------------------------------------------------------


def timed(run: Callable[[int], object], samples: int, warmup: int = 10) -> list[float]:
    """Milliseconds of each call run(i), after a few untimed warm-up calls."""
    for i in range(warmup):
        run(-1 - i)
    times = []
    for i in range(samples):
        start = time.perf_counter()
        run(i)
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[18]


def report(label: str, times: list[float], target: float | None) -> bool:
    met = target is None or p95(times) <= target
    goal = f"p95 ≤ {target:.0f} ms  {'OK' if met else 'MISSED'}" if target else "(no target)"
    print(f"  {label:<52} median {statistics.median(times):7.2f} ms   "
          f"p95 {p95(times):7.2f} ms   {goal}")
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lessons", type=int, default=10_000)
    parser.add_argument("--sequences", type=int, default=0, help="default: lessons / 20")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="processes that render the lessons during setup")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    sequences = args.sequences or max(1, args.lessons // 20)

    with tempfile.TemporaryDirectory(prefix="coplan-bench-") as directory:
        app = build_app(directory)
        from app.accounts.models import User
        from app.core.diffing import diff_snapshots
        from app.extensions import db
        from app.planning import services
        from app.planning.fields import LESSON_DIFF_FIELDS
        from app.planning.models import Lesson

        started = time.perf_counter()
        with app.app_context():
            db.create_all()
            user = make_people()
            user_id, login_id = user.id, user.get_id()
            words = insert_plans(user, args.lessons, sequences, args.seed, args.jobs)
        setup = time.perf_counter() - started
        size = os.path.getsize(f"{directory}/bench.sqlite") / 1e6
        print(f"Coplan planning benchmark: {args.lessons:,} lessons in {sequences:,} sequences, "
              f"{words / args.lessons:.0f} words per lesson on average")
        print(f"  setup (generate, render on {args.jobs} process(es), bulk insert): {setup:.1f} s;"
              f" SQLite file {size:.0f} MB")
        rng = random.Random(args.seed)
        results = []

        # 1. Viewing a lesson page, logged in, as the browser would ask for it.
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = login_id
            sess["_fresh"] = True
        has_route = "planning.lesson" in app.view_functions
        view_ids = [rng.randint(1, args.lessons) for _ in range(args.samples)]

        def view(i: int) -> None:
            lesson_id = view_ids[i] if i >= 0 else rng.randint(1, args.lessons)
            if has_route:
                response = client.get(f"/lessons/{lesson_id}")
                assert response.status_code == 200, response.status_code
                return
            with app.app_context():  # fallback: the service and the stored HTML
                lesson = services.get_lesson(db.session.get(User, user_id), lesson_id)
                head = services.head(lesson.document_id, lesson.document.head_number)
                "".join(head.html.values())

        label = "view a lesson (GET /lessons/<id>)" if has_route else \
            "view a lesson (get_lesson + stored HTML; no route)"
        results.append(report(label, timed(view, args.samples), TARGETS_MS["view"]))

        # 2. Saving a small edit: what the edit route does after parsing the form.
        save_ids = [rng.randint(1, args.lessons) for _ in range(args.samples + 10)]

        def save(i: int) -> None:
            lesson_id = save_ids[i]
            with app.app_context():  # the posted form: the head text plus one new sentence
                lesson = db.session.get(Lesson, lesson_id)
                number = lesson.document.head_number
                data = dict(services.head(lesson.document_id, number).fields)
                key = rng.choice(list(BUDGETS))
                data[key] = data[key] + "\n\n" + sentence(rng)
            start = time.perf_counter()
            with app.app_context():  # one request: load the user, save, commit
                result = services.update_lesson(db.session.get(User, user_id), lesson_id, data,
                                                number, "Small edit.")
                db.session.commit()
                assert result.changed
            save_times.append((time.perf_counter() - start) * 1000)

        save_times: list[float] = []
        for i in range(args.samples + 10):
            save(i)
        results.append(report("save a revision (update_lesson + commit)", save_times[10:],
                              TARGETS_MS["save"]))

        # 3. Comparing two revisions of a 2,000-line lesson.
        old, new = big_lesson_pair(random.Random(args.seed + 1))
        lines = sum(value.count("\n") + 1 for key, value in old.items() if key != "title")
        with app.app_context():
            author = db.session.get(User, user_id)
            big = services.add_lesson(author, 1, old["title"], fields=old)
            services.update_lesson(author, big.id, new, 1, "Fifty small edits.")
            db.session.commit()
            big_id = big.id
            first, second = services.head(big.document_id, 1), services.head(big.document_id, 2)
            a, b = dict(first.fields), dict(second.fields)
        results.append(report(f"compare 2 revisions ({lines:,} lines, diff_snapshots)",
                              timed(lambda _i: diff_snapshots(a, b, LESSON_DIFF_FIELDS),
                                    args.samples), TARGETS_MS["diff"]))
        if "planning.lesson_compare" in app.view_functions:
            def compare_page(_i: int) -> None:
                response = client.get(f"/lessons/{big_id}/compare?a=1&b=2")
                assert response.status_code == 200, response.status_code

            report("  the same as a page (GET /lessons/<id>/compare)",
                   timed(compare_page, args.samples), None)

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    print(f"  targets: view p95 ≤ {TARGETS_MS['view']:.0f} ms, save p95 ≤ "
          f"{TARGETS_MS['save']:.0f} ms, diff p95 ≤ {TARGETS_MS['diff']:.0f} ms; "
          f"{args.samples} samples each")
    print("Re-run: .venv/bin/python bench/bench_planning.py  (--lessons 2000 for a quick run)")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
