"""Benchmark what a user waits for on lesson and sequence pages, over HTTP, against An Otter Wiki.

Re-run with:  .venv/bin/python bench/http_bench.py                        (1,000 lessons, a few min)
              .venv/bin/python bench/http_bench.py --lessons 1000,10000 --keep /tmp/kh \\
                  --json /tmp/http_bench.json
              .venv/bin/python bench/http_bench.py --systems coplan     (Coplan alone)
              (at 10,000 add --otter-editors 0: Otter's editor takes minutes there)

For each size, in the same run:

1. Coplan: a fresh SQLite database (`flask db upgrade`), a corpus imported through the planning
   and observations services (bench_search_http.import_corpus with bench_rebuild's lesson text,
   laid out here): Work Groups of 6-7 schools and 8-9 teachers, ~150 lessons each in
   sequences of ~20 lessons, plus one very large group holding every tenth sequence (10% of
   the corpus). `--keep DIR` keeps the imported database and reuses it.
2. Served by gunicorn, 2 sync workers, on a free loopback port from the repo root (so
   gunicorn.conf.py starts the search indexer thread: the index is live), and driven by a small
   load client (threads, one http.client connection each, reopened when the server closes it)
   logged in as teachers: lesson views at concurrency 1, 4 and 16 (req/s, p50, p95, and server
   CPU per request: utime + stime of the workers and their children from /proc, before/after,
   divided by requests), the same for sequence views and for lessons in the very large group,
   after one unmeasured pass over the same pages; first views of lessons the teacher never
   opened (c=1); the editor opened (GET /lessons/<id>/edit); sequential saves (the edit form
   posted as the page gives it, p50/p95 of the POST); 4 people saving one lesson at once from
   the same base revision, once each in another field and once all in the same field
   (successes, merges, conflicts = 409, lost = accepted edits whose text is not in the final
   head: must be 0); distinct first-run searches; VmRSS of each worker at the end.
3. An Otter Wiki (PyPI `otterwiki`, in its own venv, `--otter-venv`, made when missing): the
   same lessons and sequences (head revisions, archived ones left out) written as Markdown
   pages into a git repository with one commit, served by gunicorn with 2 sync workers
   (`otterwiki.server:app`, READ_ACCESS and WRITE_ACCESS = ANONYMOUS), and the same
   measures: page views, editor, saves (POST /<page>/save; Otter has no merge: the last save
   wins), its search (GET /-/search/<query>, a scan of every page).

Prints one table per size: measure, Coplan, Otter, ratio (how many times better Coplan is:
Otter / Coplan for times and CPU, Coplan / Otter for req/s), the issue's target and whether it
is met; the CPU count and the load average at start and end (the machine is shared: CPU per
request is the figure to trust when the load is high). `--json PATH` writes the same as JSON.
Cleans up: both gunicorns' process groups stopped, temporary directories removed.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_rebuild  # noqa: E402
import bench_search_http as bsh  # noqa: E402

LARGE_SHARE = 10  # every tenth sequence goes to the very large Work Group
GROUP_LESSONS = 150  # lessons in a Work Group of realistic size
VIEW_TEACHERS = 8  # teachers (of as many ordinary groups) whose views are measured
HOT_LESSONS = 30  # lessons each of them reads again and again
LEVELS = (1, 4, 16)
OTTER_VENV = Path("/tmp/otterwiki-venv")
EDIT_FIELDS = ("checks", "body", "fluency_practice", "deeper_questions")


# --- the corpus (child processes with the Coplan environment) ---------------------------------


def groups_for(lessons: int) -> int:
    """Ordinary Work Groups for a corpus: ~GROUP_LESSONS lessons each (the large one apart)."""
    return max(1, round(lessons * (LARGE_SHARE - 1) / LARGE_SHARE / GROUP_LESSONS))


def make_people(lessons: int) -> list[dict[str, Any]]:
    """Group 0 is the very large one; every group has 6 or 7 schools and a teacher in each,
    two in the first two (teachers 0 and 2, 1 and 3 share a school: bench_rebuild has a
    colleague two places on edit the author's lesson, which a school-only plan allows)."""
    from app.accounts.models import Hub
    from app.extensions import db

    made = []
    hub = None
    for n in range(1 + groups_for(lessons)):
        if n % 6 == 0:
            hub = Hub(name=f"Bench Hub {n // 6 + 1}", region="Bench")
            db.session.add(hub)
        school_count = 7 if n % 2 == 0 else 6
        made.append(bench_rebuild.add_group(
            hub, n + 1, ("NCP 24-11", "NCP 25-15", "NCP23-10")[n % 3],
            ("2024/25", "2025/26")[n % 2], school_count, [0, 1, *range(school_count)],
            f"Bench Work Group {n + 1}" + (" (large)" if n == 0 else "")))
    db.session.commit()
    return bench_rebuild.people_ids(made)


def plan_layout(lessons: int, per_sequence: int = 20) -> list[dict[str, Any]]:
    """bench_rebuild's layout, with this bench's groups: every LARGE_SHARE-th sequence in the
    large group 0, the others round robin over the ordinary groups."""
    ordinary = groups_for(lessons)
    rng = random.Random(bench_rebuild.SEED)
    layout, k = [], 0
    for s in range(-(-lessons // per_sequence)):
        if s % LARGE_SHARE == 0:
            group = 0
        else:
            group, k = 1 + k % ordinary, k + 1
        layout.append({"group": group, "author": rng.randrange(bench_rebuild.TEACHERS_PER_GROUP),
                       "visibility": rng.choice(bench_rebuild.VISIBILITIES),
                       "strand": rng.choice(bench_rebuild.STRANDS),
                       "year_group": f"Y{rng.randint(1, 6)}",
                       "lessons": min(per_sequence, lessons - s * per_sequence)})
    return layout


def import_only(lessons: int, meta_path: str, mode: str) -> None:
    """bench_search_http.import_corpus with this bench's groups, then what the measures need:
    passwords for the teachers of the large group and of the first ordinary group, each
    group's sequences, and a lesson of group 1 that four of its teachers may edit."""
    bench_rebuild.make_people = lambda: make_people(lessons)  # looked up at call time
    bench_rebuild.plan_layout = plan_layout
    bsh.import_corpus(lessons, meta_path, mode)

    from sqlalchemy import or_, select

    from app import create_app
    from app.accounts.models import Membership, User
    from app.accounts.services import set_password
    from app.extensions import db
    from app.planning.models import Lesson, Sequence

    meta = json.loads(Path(meta_path).read_text())
    app = create_app()
    with app.app_context():
        group_ids = sorted(set(db.session.scalars(select(Membership.work_group_id))))
        # the sequences each group's first teacher (the one who logs in) may read
        reader_schools = [db.session.scalars(
            select(User.school_id).where(User.email == e["email"])).one()
            for e in meta["editors"]]
        meta["sequences"] = [list(db.session.scalars(
            select(Sequence.id).where(Sequence.work_group_id == gid,
                                      Sequence.archived_at.is_(None),
                                      or_(Sequence.visibility != "school",
                                          Sequence.school_id == school))
            .order_by(Sequence.id))) for gid, school in zip(group_ids, reader_schools,
                                                             strict=True)]
        savers = []
        for gid in group_ids[:2]:
            for user in db.session.scalars(select(User).join(Membership).where(
                    Membership.work_group_id == gid).order_by(User.id)):
                set_password(user, bsh.PASSWORD)
                if gid == group_ids[1]:
                    savers.append(user.email)
        meta["large_teachers"] = [u.email for u in db.session.scalars(
            select(User).join(Membership).where(Membership.work_group_id == group_ids[0])
            .order_by(User.id))]
        meta["savers"] = savers[:4]
        meta["shared_lesson"] = db.session.scalars(
            select(Lesson.id).join(Sequence, Lesson.sequence_id == Sequence.id)
            .where(Sequence.work_group_id == group_ids[1], Sequence.visibility != "school",
                   Lesson.archived_at.is_(None)).order_by(Lesson.id.desc()).limit(1)).one()
        db.session.commit()
    Path(meta_path).write_text(json.dumps(meta))


def export_otter(directory: str) -> None:
    """The corpus as Otter pages: group/sequence/lesson Markdown files (head revisions, the
    lesson fields as sections), committed at once; writes the page of each id to pages.json."""
    from sqlalchemy import select

    from app import create_app
    from app.extensions import db
    from app.planning.fields import LESSON_FIELDS
    from app.planning.models import Lesson, Sequence
    from app.revisions.models import Document, Revision

    repo = Path(directory)
    pages: dict[str, dict[str, str]] = {"lesson": {}, "sequence": {}}
    app = create_app()
    with app.app_context():
        def head_fields(document_id: int) -> dict[str, Any]:
            return dict(db.session.scalars(
                select(Revision).join(Document, Document.id == Revision.document_id)
                .where(Revision.document_id == document_id,
                       Revision.number == Document.head_number)).one().fields)

        for sequence in db.session.scalars(select(Sequence).where(
                Sequence.archived_at.is_(None)).order_by(Sequence.id)):
            seq_page = f"work-group-{sequence.work_group_id}/sequence-{sequence.id}"
            pages["sequence"][str(sequence.id)] = seq_page
            fields = head_fields(sequence.document_id)
            links: list[str] = []
            for lesson in db.session.scalars(select(Lesson).where(
                    Lesson.sequence_id == sequence.id, Lesson.archived_at.is_(None))
                    .order_by(Lesson.position)):
                page = f"{seq_page}/lesson-{lesson.id}"
                pages["lesson"][str(lesson.id)] = page
                values = head_fields(lesson.document_id)
                text = f"# {lesson.title}\n\n" + "".join(
                    f"## {f.label}\n\n{values[f.key].strip()}\n\n"
                    for f in LESSON_FIELDS if str(values.get(f.key) or "").strip())
                (repo / f"{page}.md").parent.mkdir(parents=True, exist_ok=True)
                (repo / f"{page}.md").write_text(text)
                links.append(f"{len(links) + 1}. [{lesson.title}](/{page})")
            (repo / f"{seq_page}.md").write_text(
                f"# {sequence.title}\n\nYear group: {sequence.year_group}; strand: "
                f"{sequence.strand}; visibility: {sequence.visibility}\n\n"
                f"## Small-step summary\n\n{fields.get('small_steps', '')}\n\n"
                f"## Overview\n\n{fields.get('overview', '')}\n\n## Lessons\n\n"
                + "\n".join(links) + "\n")
    (repo / "home.md").write_text("# Bench\n\nLessons by Work Group and sequence.\n")
    git = ["git", "-C", directory, "-c", "user.name=Bench", "-c", "user.email=bench@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "Bench corpus"], check=True)
    (repo.parent / "pages.json").write_text(json.dumps(pages))


# --- server CPU and memory --------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def tree_cpu(master: int) -> float:
    """CPU seconds of the master's workers and everything they started (Otter runs git in
    child processes): utime + stime of each, plus the cutime + cstime of children reaped."""
    total, todo = 0.0, children(master)
    while todo:
        pid = todo.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        todo += children(pid)
    return total


def wait_idle(master: int, timeout: float = 180) -> float:
    """Wait until the workers are idle (under 5% of a CPU for 2 s running): start-up work
    such as the search index warm-up must not be billed to the first measured pages.
    Returns the seconds waited."""
    started = time.monotonic()
    quiet = 0
    while time.monotonic() - started < timeout and quiet < 2:
        before = tree_cpu(master)
        time.sleep(1)
        quiet = quiet + 1 if tree_cpu(master) - before < 0.05 else 0
    return time.monotonic() - started


# --- the load client --------------------------------------------------------------------------


def drive(base: str, jobs: list[tuple[str, str]], concurrency: int,
          cpu: Callable[[], float]) -> dict[str, float]:
    """GET each (path, cookie) once, `concurrency` threads taking them in turn, each thread on
    one connection (http.client reopens it when the server closed it). Every answer must be
    200."""
    url = urllib.parse.urlsplit(base)
    lock = threading.Lock()
    pending = iter(jobs)
    times: list[float] = []
    bad: list[str] = []
    ready = threading.Barrier(concurrency + 1)

    def client() -> None:
        conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=120)
        ready.wait()
        while True:
            with lock:
                job = next(pending, None)
            if job is None:
                break
            path, cookie = job
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                response = conn.getresponse()
                response.read()
                status = response.status
            except (http.client.HTTPException, OSError) as error:
                conn.close()
                status = 0
                bad.append(f"{path}: {error}")
            seconds = time.perf_counter() - started
            with lock:
                times.append(seconds * 1000)
                if status != 200 and status:
                    bad.append(f"{path}: {status}")
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    cpu_before = cpu()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    used = cpu() - cpu_before
    if bad:
        raise RuntimeError(f"{len(bad)} of {len(jobs)} requests failed, e.g. {bad[:3]}")
    return {"rps": len(times) / wall, "p50": statistics.median(times),
            "p95": bsh.pct(times, 95), "cpu": used * 1000 / len(times)}


def spread(pairs: list[tuple[str, str]], count: int, offset: int) -> list[tuple[str, str]]:
    """`count` requests cycling through `pairs` from `offset` (each level starts elsewhere)."""
    return list(itertools.islice(itertools.cycle(pairs[offset % len(pairs):]
                                                 + pairs[:offset % len(pairs)]), count))


def interleave(*lists: list[Any]) -> list[Any]:
    return [x for group in itertools.zip_longest(*lists) for x in group if x is not None]


def views(label: str, base: str, pairs: list[tuple[str, str]], args: argparse.Namespace,
          cpu: Callable[[], float], v: dict[str, float]) -> None:
    """One unmeasured pass over the pages, then each concurrency level."""
    drive(base, pairs, 2, cpu)
    for n, c in enumerate(LEVELS):
        got = drive(base, spread(pairs, max(args.requests, 10 * c), 7 * n), c, cpu)
        for key, value in got.items():
            v[f"{label}_c{c}_{key}"] = value
        print(f"    {label} c={c}: {got['rps']:.1f} req/s, p50 {got['p50']:.0f} ms, "
              f"p95 {got['p95']:.0f} ms, {got['cpu']:.1f} ms CPU/req "
              f"(load {os.getloadavg()[0]:.2f})", flush=True)


def cookie_of(browser: bsh.Browser) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in browser.jar)


def timed(label: str, results: list[float], used: float, v: dict[str, float]) -> None:
    v[f"{label}_p50"], v[f"{label}_p95"] = statistics.median(results), bsh.pct(results, 95)
    v[f"{label}_cpu"] = used * 1000 / len(results)
    print(f"    {label}: {len(results)}, p50 {v[label + '_p50']:.0f} ms, p95 "
          f"{v[label + '_p95']:.0f} ms, {v[label + '_cpu']:.1f} ms CPU each", flush=True)


def together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at the same moment, one thread each; their results in order."""
    out: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int) -> None:
        start.wait()
        try:
            out[i] = calls[i]()
        except Exception as error:  # reported by the caller
            out[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


# --- Coplan -----------------------------------------------------------------------------------


def coplan_pages(setup: bsh.Setup, base: str) -> dict[str, Any]:
    """Logged-in browsers and the pages each reads."""
    meta = setup.meta
    editors = meta["editors"]
    large = bsh.Browser(base)
    large.login(editors[0]["email"])
    readers = []
    for editor in editors[1:1 + VIEW_TEACHERS]:
        if len(editor["lessons"]) >= HOT_LESSONS + 40:
            browser = bsh.Browser(base)
            browser.login(editor["email"])
            readers.append((browser, editor))
    if not readers:
        raise RuntimeError("no Work Group has enough lessons for the views (corpus too small)")
    return {"large": large, "readers": readers}


def measure_coplan(setup: bsh.Setup, args: argparse.Namespace, v: dict[str, float]) -> None:
    """Fills `v` as it goes (what was measured before a failure is kept)."""
    meta = setup.meta
    rng = random.Random(5)
    with bsh.gunicorn(setup) as (proc, base, _started):
        booted = bsh.wait_booted(proc.pid)
        print(f"  Coplan up at {base} (workers booted: {booted}, idle after "
              f"{wait_idle(proc.pid):.0f} s more)", flush=True)
        db_before: dict[int, float] = {}

        def cpu() -> float:
            return tree_cpu(proc.pid) + (
                bsh.database_cpu_since(setup, args.pg_url, db_before) if setup.pg_name else 0)

        people = coplan_pages(setup, base)
        readers = people["readers"]
        lessons = interleave(*[[(f"/lessons/{lid}", cookie_of(b))
                                for lid in e["lessons"][:HOT_LESSONS]] for b, e in readers])
        views("lesson", base, lessons, args, cpu, v)
        first = interleave(*[[(f"/lessons/{lid}", cookie_of(b))
                              for lid in e["lessons"][HOT_LESSONS:HOT_LESSONS + 10]]
                             for b, e in readers])
        got = drive(base, first, 1, cpu)
        v.update({f"first_{k}": x for k, x in got.items()})
        print(f"    first views: p50 {got['p50']:.0f} ms, p95 {got['p95']:.0f} ms, "
              f"{got['cpu']:.1f} ms CPU/req", flush=True)
        groups = [i for i, e in enumerate(meta["editors"]) if e in [r[1] for r in readers]]
        sequences = interleave(*[[(f"/sequences/{sid}", cookie_of(b))
                                  for sid in meta["sequences"][g]]
                                 for (b, _e), g in zip(readers, groups, strict=True)])
        views("sequence", base, sequences, args, cpu, v)
        big = [(f"/lessons/{lid}", cookie_of(people["large"]))
               for lid in meta["editors"][0]["lessons"][:2 * HOT_LESSONS]]
        views("large", base, big, args, cpu, v)
        # the editor opened, on lessons not read above
        editor_pages = interleave(*[[(f"/lessons/{lid}/edit", cookie_of(b))
                                     for lid in e["lessons"][HOT_LESSONS + 10:HOT_LESSONS + 20]]
                                    for b, e in readers])
        got = drive(base, editor_pages, 1, cpu)
        v.update({"editor_p50": got["p50"], "editor_p95": got["p95"], "editor_cpu": got["cpu"]})
        print(f"    editor open: p50 {got['p50']:.0f} ms, p95 {got['p95']:.0f} ms, "
              f"{got['cpu']:.1f} ms CPU/req", flush=True)
        # sequential saves, round robin over the readers (far below the per-person limit)
        saves = []
        before = cpu()
        for n in range(args.saves):
            browser, editor = readers[n % len(readers)]
            lesson = editor["lessons"][HOT_LESSONS + 20 + (n // len(readers))
                                       % (len(editor["lessons"]) - HOT_LESSONS - 20)]
            saves.append(browser.save(lesson, f"\n- Check {n}: {rng.choice(('ask', 'show'))}.")
                         * 1000)
        timed("save", saves, cpu() - before, v)
        # four people saving one lesson at once
        for kind in ("distinct", "same"):
            got = coplan_together(base, meta, kind, rng)
            v.update({f"{kind}_{k}": x for k, x in got.items()})
            print(f"    4 saves at once ({kind} fields): {got}", flush=True)
        # first-run searches
        reader = readers[0][0]
        before = cpu()
        found = [reader.search(q)[0] * 1000 for q in bsh.first_run_queries(args.queries, 7)]
        timed("search", found, cpu() - before, v)
        rss = bsh.workers_rss_mb(proc.pid)
        v["rss_max"], v["rss_min"] = max(rss.values()), min(rss.values())
        for line in bsh.errors_in_log(setup)[:3]:
            print("    gunicorn log: " + line[:200], flush=True)


def coplan_together(base: str, meta: dict[str, Any], kind: str,
                    rng: random.Random) -> dict[str, float]:
    """Four teachers open the editor of one lesson (same base revision) and save at once,
    each in another field (`distinct`) or all at the end of the same one (`same`)."""
    lesson = meta["shared_lesson"]
    people = []
    for email in meta["savers"]:
        browser = bsh.Browser(base)
        browser.login(email)
        status, page, _ = browser.request(f"/lessons/{lesson}/edit")
        if status != 200:
            raise RuntimeError(f"editor of lesson {lesson} answered {status} to {email}")
        people.append((browser, bsh.form_fields(page, "checks")))
    marks = [f"zq{kind}{i}{rng.randrange(10**6)}" for i in range(len(people))]

    def saver(i: int) -> Callable[[], tuple[int, str]]:
        browser, fields = people[i]
        target = EDIT_FIELDS[i] if kind == "distinct" else "checks"
        data = [(k, val + f"\n\nEdit {marks[i]}." if k == target else val) for k, val in fields]

        def save() -> tuple[int, str]:
            status, _text, _s = browser.request(f"/lessons/{lesson}/edit",
                                                data + [("action", "save")])
            flashed = browser.request(f"/lessons/{lesson}")[1] if status == 302 else ""
            return status, flashed
        return save

    outcomes = together([saver(i) for i in range(len(people))])
    errors = [o for o in outcomes if isinstance(o, Exception)]
    if errors:
        raise RuntimeError(f"concurrent save failed: {errors[0]}")
    _status, page, _ = people[0][0].request(f"/lessons/{lesson}/edit")
    head = "\n".join(value for _k, value in bsh.form_fields(page, "checks"))
    accepted = [i for i, (status, _f) in enumerate(outcomes) if status == 302]
    return {"ok": len(accepted),
            "merged": sum(1 for status, flashed in outcomes
                          if status == 302 and "merged" in flashed),
            "conflicts": sum(1 for status, _f in outcomes if status == 409),
            "other": sum(1 for status, _f in outcomes if status not in (302, 409)),
            "lost": sum(1 for i in accepted if marks[i] not in head)}


# --- An Otter Wiki ----------------------------------------------------------------------------


def otter_venv(path: Path) -> Path:
    """Its own venv (reused when present): otterwiki and gunicorn from PyPI."""
    if not (path / "bin" / "gunicorn").exists() or not list(
            (path / "lib").glob("python*/site-packages/otterwiki")):
        print(f"  installing otterwiki into {path} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        subprocess.run([str(path / "bin" / "pip"), "install", "-q", "otterwiki", "gunicorn"],
                       check=True, capture_output=True)
    return path


@contextmanager
def otter_served(setup: bsh.Setup, args: argparse.Namespace
                 ) -> Iterator[tuple[subprocess.Popen[bytes], str, dict[str, Any], Path]]:
    venv = otter_venv(args.otter_venv)
    work = setup.workdir / "otter"
    repo = work / "repository"
    repo.mkdir(parents=True)
    started = time.perf_counter()
    bsh.run([sys.executable, __file__, "--export-otter", str(repo)], setup.env)
    pages = json.loads((work / "pages.json").read_text())
    print(f"  Otter corpus written and committed: {len(pages['lesson']):,} lesson pages, "
          f"{len(pages['sequence']):,} sequence pages, {time.perf_counter() - started:.0f} s",
          flush=True)
    settings = work / "settings.cfg"
    settings.write_text(
        f"REPOSITORY = {str(repo)!r}\nSECRET_KEY = {secrets.token_hex(16)!r}\n"
        f"SQLALCHEMY_DATABASE_URI = {'sqlite:///' + str(work / 'otter.db')!r}\n"
        "READ_ACCESS = 'ANONYMOUS'\nWRITE_ACCESS = 'ANONYMOUS'\n"
        "COMMIT_MESSAGE = 'OPTIONAL'\nSITE_NAME = 'Bench Otter'\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["OTTERWIKI_SETTINGS"] = str(settings)
    # Otter creates its tables as it is imported: once here, or both workers race to create
    # them in the new SQLite file and one fails to boot
    subprocess.run([str(venv / "bin" / "python"), "-c", "import otterwiki.server"], cwd=work,
                   env=env, check=True, capture_output=True)
    # a long timeout: Otter's editor builds an index of every page (seconds at 1k lessons)
    with bsh.serve([str(venv / "bin" / "gunicorn"), "-w", "2", "-k", "sync", "-t", "900",
                    "otterwiki.server:app"], work, env, work / "gunicorn.log") as (proc, base, _):
        yield proc, base, pages, work


def otter_get(browser: bsh.Browser, path: str) -> str:
    status, page, _ = browser.request(path)
    if status != 200:
        raise RuntimeError(f"Otter {path} answered {status}")
    return page


def otter_form(browser: bsh.Browser, page: str) -> tuple[str, str]:
    """The CSRF token (from the page view) and the page's Markdown (its source): what Otter's
    editor would post, without opening the editor (which indexes every page: seconds)."""
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"',
                      otter_get(browser, f"/{page}"))
    if not token:
        raise RuntimeError(f"no CSRF token on Otter's page /{page}")
    text = otter_get(browser, f"/{page}/source?raw=1")
    return token.group(1), text.rsplit("\n[]: # (", 1)[0]


def otter_save(browser: bsh.Browser, page: str, edit: str) -> tuple[float, int]:
    token, text = otter_form(browser, page)
    status, _t, seconds = browser.request(f"/{page}/save", [
        ("csrf_token", token), ("content", text + edit), ("commit", "Bench edit")])
    return seconds, status


def measure_otter(setup: bsh.Setup, args: argparse.Namespace, v: dict[str, float]) -> None:
    """Fills `v` as it goes (what was measured before a failure is kept)."""
    meta = setup.meta
    rng = random.Random(5)
    with otter_served(setup, args) as (proc, base, pages, work):
        def cpu() -> float:
            return tree_cpu(proc.pid)

        browser = bsh.Browser(base)
        deadline = time.monotonic() + 60
        while browser.request("/-/healthz")[0] != 200:  # both workers load the app first
            if time.monotonic() > deadline:
                raise RuntimeError(f"Otter not healthy; see {work / 'gunicorn.log'}")
            time.sleep(0.2)
        print(f"  Otter up at {base} (idle after {wait_idle(proc.pid):.0f} s)", flush=True)
        lesson_page = pages["lesson"]
        readers = [e for e in meta["editors"][1:1 + VIEW_TEACHERS]
                   if len(e["lessons"]) >= HOT_LESSONS + 40]

        def page_of(lid: int) -> str:
            return "/" + lesson_page[str(lid)]

        views("lesson", base, interleave(*[[(page_of(lid), "") for lid in
                                            e["lessons"][:HOT_LESSONS]] for e in readers]),
              args, cpu, v)
        got = drive(base, interleave(*[[(page_of(lid), "") for lid in
                                        e["lessons"][HOT_LESSONS:HOT_LESSONS + 10]]
                                       for e in readers]), 1, cpu)
        v.update({f"first_{k}": x for k, x in got.items()})
        groups = [i for i, e in enumerate(meta["editors"]) if e in readers]
        sequences = interleave(*[["/" + pages["sequence"][str(s)] for s in meta["sequences"][g]]
                                 for g in groups])
        views("sequence", base, [(path, "") for path in sequences], args, cpu, v)
        views("large", base, [(page_of(lid), "")
                              for lid in meta["editors"][0]["lessons"][:2 * HOT_LESSONS]],
              args, cpu, v)
        try:
            if args.otter_editors > 0:
                got = drive(base, interleave(*[[(page_of(lid) + "/edit", "") for lid in
                                                e["lessons"][HOT_LESSONS + 10:HOT_LESSONS + 20]]
                                               for e in readers])[:args.otter_editors], 1, cpu)
                v.update({"editor_p50": got["p50"], "editor_p95": got["p95"],
                          "editor_cpu": got["cpu"]})
                print(f"    editor open: p50 {got['p50']:.0f} ms, p95 {got['p95']:.0f} ms, "
                      f"{got['cpu']:.1f} ms CPU/req", flush=True)
        except RuntimeError as error:  # its editor indexes every page: minutes at 10k
            v["editor_failed"] = 1
            print(f"    editor open failed: {error}", flush=True)
        saves = []
        before = cpu()
        for n in range(args.saves):
            editor = readers[n % len(readers)]
            lesson = editor["lessons"][HOT_LESSONS + 20 + (n // len(readers))
                                       % (len(editor["lessons"]) - HOT_LESSONS - 20)]
            seconds, status = otter_save(browser, lesson_page[str(lesson)],
                                         f"\n- Check {n}: {rng.choice(('ask', 'show'))}.\n")
            if status != 302:
                raise RuntimeError(f"Otter save answered {status}")
            saves.append(seconds * 1000)
        timed("save", saves, cpu() - before, v)
        for kind in ("distinct", "same"):
            got = otter_together(base, work / "repository",
                                 lesson_page[str(meta["shared_lesson"])], kind, rng)
            v.update({f"{kind}_{k}": x for k, x in got.items()})
            print(f"    4 saves at once ({kind} places): {got}", flush=True)
        found = []
        before = cpu()
        for query in bsh.first_run_queries(args.queries, 7):
            # Otter searches text: the same words, without Coplan's filters and quotes
            words = " ".join(w for w in query.replace('"', "").split() if ":" not in w)
            started = time.perf_counter()
            otter_get(browser, "/-/search/" + urllib.parse.quote(words, safe=""))
            found.append((time.perf_counter() - started) * 1000)
        timed("search", found, cpu() - before, v)
        rss = bsh.workers_rss_mb(proc.pid)
        v["rss_max"], v["rss_min"] = max(rss.values()), min(rss.values())


def otter_together(base: str, repo: Path, page: str, kind: str,
                   rng: random.Random) -> dict[str, float]:
    """Four people read one page and save it at once (Otter keeps the last). The final head
    is read from the repository: each worker's own git index can lag behind the other's."""
    people = []
    for _ in range(4):
        browser = bsh.Browser(base)
        people.append((browser, otter_form(browser, page)))
    marks = [f"zq{kind}{i}{rng.randrange(10**6)}" for i in range(4)]

    def saver(i: int) -> Callable[[], int]:
        browser, (token, text) = people[i]
        if kind == "distinct":  # after another section's heading each
            parts = text.split("\n## ")
            at = min(1 + i, len(parts) - 1)
            parts[at] = parts[at] + f"\nEdit {marks[i]}.\n"
            text = "\n## ".join(parts)
        else:
            text = text + f"\nEdit {marks[i]}.\n"
        return lambda: browser.request(f"/{page}/save", [("csrf_token", token),
                                                        ("content", text),
                                                        ("commit", "Bench edit")])[0]

    outcomes = together([saver(i) for i in range(4)])
    head = subprocess.run(["git", "-C", str(repo), "show", f"HEAD:{page}.md"], check=True,
                          capture_output=True, text=True).stdout
    accepted = [i for i, status in enumerate(outcomes) if status == 302]
    return {"ok": len(accepted), "merged": 0, "conflicts": 0,
            "other": sum(1 for status in outcomes if status != 302),
            "lost": sum(1 for i in accepted if marks[i] not in head)}


# --- the table --------------------------------------------------------------------------------


def rows(size: int) -> list[tuple[str, str, str, str, Callable[[float], bool] | None, bool]]:
    """(key, label, unit, target text, target test, ratio wanted >= 10x)."""
    cpu_goal = 3.0 if size <= 1000 else 5.0
    made: list[tuple[str, str, str, str, Callable[[float], bool] | None, bool]] = []
    for label, name in (("lesson", "lesson view"), ("sequence", "sequence view"),
                        ("large", "lesson, large group")):
        for c in LEVELS:
            made.append((f"{label}_c{c}_rps", f"{name} c={c} req/s", "req/s", "", None, False))
            made.append((f"{label}_c{c}_p50", f"{name} c={c} p50", "ms", "", None, False))
            p95 = c == 16
            made.append((f"{label}_c{c}_p95", f"{name} c={c} p95", "ms",
                         "<= 50 ms" if p95 else "", (lambda x: x <= 50) if p95 else None,
                         False))
            cpu = label in ("lesson", "large")
            made.append((f"{label}_c{c}_cpu", f"{name} c={c} CPU/req", "ms",
                         f"<= {cpu_goal:.0f} ms, >= 10x" if cpu else "",
                         (lambda x: x <= cpu_goal) if cpu else None, cpu))
        if label == "lesson":
            made += [("first_p50", "lesson first view p50", "ms", "", None, False),
                     ("first_p95", "lesson first view p95", "ms", "", None, False),
                     ("first_cpu", "lesson first view CPU/req", "ms",
                      f"<= {cpu_goal:.0f} ms", lambda x: x <= cpu_goal, False)]
    made += [("editor_p50", "editor open p50", "ms", "", None, False),
             ("editor_p95", "editor open p95", "ms", "<= 100 ms", lambda x: x <= 100, False),
             ("editor_cpu", "editor open CPU/req", "ms", "", None, False),
             ("save_p50", "save p50 (POST)", "ms", "", None, False),
             ("save_p95", "save p95 (POST)", "ms", "<= 100 ms", lambda x: x <= 100, False),
             ("save_cpu", "save CPU (page reads + POST)", "ms", "", None, False)]
    for kind in ("distinct", "same"):
        where = "other fields" if kind == "distinct" else "same field"
        made += [(f"{kind}_ok", f"4 at once, {where}: saved", "", "", None, False),
                 (f"{kind}_merged", f"4 at once, {where}: merged", "", "", None, False),
                 (f"{kind}_conflicts", f"4 at once, {where}: 409", "", "", None, False),
                 (f"{kind}_lost", f"4 at once, {where}: lost", "", "= 0", lambda x: x == 0,
                  False)]
    made += [("search_p50", "first-run search p50", "ms", "", None, False),
             ("search_p95", "first-run search p95", "ms", "", None, False),
             ("search_cpu", "search CPU/query", "ms", "", None, False),
             ("rss_max", "worker RSS, larger", "MB", "<= 250 MB", lambda x: x <= 250, False),
             ("rss_min", "worker RSS, smaller", "MB", "", None, False)]
    return made


def ratio(key: str, coplan: float | None, otter: float | None) -> float | None:
    """How many times better Coplan is (None when it means nothing)."""
    if coplan is None or otter is None or not key.endswith(("_rps", "_p50", "_p95", "_cpu")):
        return None
    if key.endswith("_rps"):
        return coplan / otter if otter else None
    return otter / coplan if coplan else None


def table(size: int, coplan: dict[str, float], otter: dict[str, float]
          ) -> list[dict[str, Any]]:
    out = []
    for key, label, unit, goal, test, tenfold in rows(size):
        c, o = coplan.get(key), otter.get(key)
        r = ratio(key, c, o)
        met = None
        if test is not None and c is not None:
            met = test(c) and (not tenfold or (r is not None and r >= 10))
        out.append({"key": key, "measure": label, "unit": unit, "coplan": c, "otter": o,
                    "ratio": r, "target": goal, "met": met})
    return out


def print_table(size: int, lines: list[dict[str, Any]], notes: list[str]) -> None:
    def cell(x: float | None) -> str:
        return "-" if x is None else f"{x:.1f}" if abs(x) < 100 else f"{x:.0f}"

    print(f"\n{size:,} lessons   (ratio: how many times better Coplan is)")
    head = f"{'measure':<40} {'unit':>5} {'Coplan':>8} {'Otter':>8} {'ratio':>7} " \
           f"{'target':>18} {'met':>4}"
    print(head)
    print("-" * len(head))
    for line in lines:
        met = {None: "", True: "yes", False: "NO"}[line["met"]]
        r = "-" if line["ratio"] is None else f"{line['ratio']:.2f}x"
        print(f"{line['measure']:<40} {line['unit']:>5} {cell(line['coplan']):>8} "
              f"{cell(line['otter']):>8} {r:>7} {line['target']:>18} {met:>4}")
    for note in notes:
        print(f"  note: {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lessons", default="1000", help="sizes, comma-separated")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep imported Coplan databases here and reuse them")
    parser.add_argument("--backend", default="whoosh", choices=("whoosh", "postgres"),
                        help="Coplan's search backend (postgres: a PostgreSQL database too)")
    parser.add_argument("--pg-url", default=bsh.PG_URL)
    parser.add_argument("--import", dest="mode", choices=("service", "bulk"), default="service")
    parser.add_argument("--requests", type=int, default=200, help="page views per level")
    parser.add_argument("--saves", type=int, default=60)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--otter-venv", type=Path, default=OTTER_VENV)
    parser.add_argument("--otter-editors", type=int, default=5,
                        help="Otter editor opens (each indexes every page: slow)")
    parser.add_argument("--systems", default="coplan,otter",
                        help="what to measure: coplan, otter or both")
    parser.add_argument("--json", type=Path, default=None, help="write the tables here")
    parser.add_argument("--import-only", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--export-otter", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.import_only:
        import_only(int(args.import_only[0]), args.import_only[1], args.import_only[2])
        return 0
    if args.export_otter:
        export_otter(args.export_otter)
        return 0

    report: dict[str, Any] = {"cpus": os.cpu_count(), "load_start": os.getloadavg(),
                              "sizes": {}}
    print(f"Coplan vs An Otter Wiki over HTTP: gunicorn 2 sync workers each, "
          f"{os.cpu_count()} CPUs, load average at start "
          f"{' '.join(f'{x:.2f}' for x in report['load_start'])}", flush=True)
    for size in (int(s) for s in args.lessons.split(",")):
        print(f"{size:,} lessons (load {os.getloadavg()[0]:.2f})", flush=True)
        coplan: dict[str, float] = {}
        otter: dict[str, float] = {}
        notes: list[str] = []
        load = os.getloadavg()
        try:
            with bsh.prepared(args.backend, size, args.keep, args.pg_url, args.mode,
                              Path(__file__), "pages-") as setup:
                notes.append("Coplan corpus " + ("reused from --keep" if setup.import_seconds
                                                 is None else f"imported through the services "
                                                 f"in {setup.import_seconds:.0f} s"))
                for name, measure, values in (("coplan", measure_coplan, coplan),
                                              ("otter", measure_otter, otter)):
                    if name not in args.systems:
                        continue
                    try:
                        measure(setup, args, values)
                    except Exception as error:
                        print(f"  {name} FAILED: {error}", flush=True)
                        notes.append(f"{name} FAILED: {str(error)[:500]}")
                        log = setup.workdir / ("otter" if name == "otter" else "") / \
                            "gunicorn.log"
                        if log.exists():  # outlives the working directory
                            kept = Path(tempfile.mkstemp(prefix=f"http-bench-{name}-",
                                                         suffix=".log")[1])
                            shutil.copyfile(log, kept)
                            notes.append(f"{name}'s gunicorn log kept in {kept}")
        except Exception as error:
            notes.append(f"FAILED: {str(error)[:1000]}")
        notes.append(f"load average {load[0]:.2f} before, {os.getloadavg()[0]:.2f} after")
        notes.append("Otter has no merge: of saves made at once, the last one wins; its "
                     f"save is timed on the POST alone, like Coplan's; its editor opened "
                     f"{args.otter_editors} times (it indexes every page each time)")
        if otter.pop("editor_failed", None):
            notes.append("Otter's editor did not answer within the client's 120 s")
        lines = table(size, coplan, otter)
        print_table(size, lines, notes)
        report["sizes"][str(size)] = {"rows": lines, "notes": notes}
    report["load_end"] = os.getloadavg()
    print(f"\n{os.cpu_count()} CPUs; load average at start "
          f"{' '.join(f'{x:.2f}' for x in report['load_start'])}, at end "
          f"{' '.join(f'{x:.2f}' for x in report['load_end'])}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
