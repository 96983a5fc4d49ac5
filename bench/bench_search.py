"""Benchmark the search engine (app/core/search/) against SQLite FTS5 on one corpus.

Re-run with:  .venv/bin/python bench/bench_search.py --sizes 10000,50000
Quick check:  .venv/bin/python bench/bench_search.py --quick

For each size it reports: rebuild throughput (lessons/s), query p50/p95 over a fixed mix of
queries (words, AND, phrases, prefixes, filters, rare words, maths tokens, typos), each with
snippets for the first page, totals and facets, under a typical teacher's access filter;
save->findable time (apply one document, then search from a second SearchIndex, as another
worker process would, until it is found; median of 20); and the same query mix on an FTS5
table (porter tokenizer, snippet(), filters as WHERE clauses) with the Whoosh/FTS5 ratio.

Targets: p95 <= 40 ms @10k and <= 150 ms @50k; rebuild >= 300 lessons/s; save->findable <= 1 s.

Ranker comparison:  .venv/bin/python bench/bench_search.py --compare-whoosh --index DIR
times, per query of the mix (relevance only), the engine's own matching + ranking (bitsets and
a threshold walk over cached BM25 lists) against Whoosh's ``Searcher.search(q,
filter=permission_query, limit=20)`` (BM25F), with and without an exact total, first run (a
fresh SearchIndex / searcher per pass) and warm, and how many of the top 20 agree.
The engine is imported as app.core.search with the repository root on sys.path; no app is created.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import generate_lessons  # noqa: E402  (bench/ is not a package)

REPS = 5
SAVE_RUNS = 20
#: A teacher sees approved lessons everywhere plus everything in their work group and school.
USER_ACCESS = ["all", "wg:3", "school:23"]
FACETS = ("type", "year_group", "strand", "school", "academic_year", "status")


def load_engine() -> ModuleType:
    """The engine package, app.core.search (importing it runs app/__init__.py too)."""
    sys.path.insert(0, str(ROOT))
    return importlib.import_module("app.core.search")


def to_document(lesson: dict[str, Any]) -> dict[str, Any]:
    """A corpus lesson as a search document, with access tokens like the app's policy."""
    access = [f"wg:{lesson['work_group']}", f"school:{lesson['school']}"]
    if lesson["status"] == "approved":
        access.append("all")
    return {
        "key": f"lesson:{lesson['id']}",
        "type": "lesson",
        "url": f"/lessons/{lesson['id']}",
        "version": 1,
        "archived": lesson["id"] % 50 == 0,
        "access": access,
        **{k: v for k, v in lesson.items() if k != "id"},
    }


@dataclass(frozen=True)
class Q:
    """One benchmark query: Whoosh text, and its FTS5 MATCH expression plus WHERE clause."""

    kind: str
    text: str
    match: str | None
    where: str = ""
    params: tuple[Any, ...] = ()


QUERIES: tuple[Q, ...] = (
    Q("word", "fractions", "fractions"),
    Q("word", "multiplication", "multiplication"),
    Q("word", "array", "array"),
    Q("word", "misconception", "misconception"),
    Q("word", "regroup", "regroup"),
    Q("word", "symmetry", "symmetry"),
    Q("word", "pupils", "pupils"),
    Q("and", "equivalent fractions", "equivalent fractions"),
    Q("and", "times table doubling", "times table doubling"),
    Q("and", "bar model subtraction", "bar model subtraction"),
    Q("and", "place value counters", "place value counters"),
    Q("and", "stem sentence division", "stem sentence division"),
    Q("phrase", '"number line"', '"number line"'),
    Q("phrase", '"equal groups"', '"equal groups"'),
    Q("phrase", '"same-day intervention"', '"same day intervention"'),
    Q("phrase", '"right angle" triangle', '"right angle" triangle'),
    Q("prefix", "fract*", "fract*"),
    Q("prefix", "multipl*", "multipl*"),
    Q("prefix", "quadri*", "quadri*"),
    Q("filter", "year:3 fractions", "fractions", "d.year_group = ?", ("Y3",)),
    Q("filter", "strand:MD array", "array", "d.strand = ?", ("MD",)),
    Q(
        "filter",
        "type:lesson rtp:3NF-2 facts",
        "facts",
        "d.id IN (SELECT doc_id FROM doc_rtp WHERE code = ?)",
        ("3NF-2",),
    ),
    Q("filter", "segment:2.7 doubling", "doubling", "d.segment = ?", ("2.7",)),
    Q(
        "filter",
        "project:NCP24-11 representation",
        "representation",
        "d.project = ?",
        ("NCP24-11",),
    ),
    Q(
        "filter",
        "status:approved year:5 decimal",
        "decimal",
        "d.status = ? AND d.year_group = ?",
        ("approved", "Y5"),
    ),  # fmt: skip
    Q("filter", "year:2", None, "d.year_group = ?", ("Y2",)),
    Q("rare", "cuisenaire", "cuisenaire"),
    Q("rare", "soroban", "soroban"),
    Q("rare", "dodecagon rods", "dodecagon rods"),
    Q("token", "3/4", '"3 4"'),
    Q("token", "10%", "10"),
    Q("token", "3NF-2", '"3nf 2"'),
    Q("typo", "fractoins", "fractoins"),
    Q("typo", "multiplcation arrays", "multiplcation arrays"),
    Q("typo", "equivelant", "equivelant"),
    Q("or", "quotient OR dividend", "quotient OR dividend"),
    Q("not", "fractions -decimal", "fractions NOT decimal"),
)


def percentile(samples: Sequence[float], pct: float) -> float:
    """The pct-th percentile (0-100) of samples, by nearest rank."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def timed(fn: Callable[[], Any], reps: int) -> tuple[float, list[float], list[float]]:
    """Run fn once (cold), then reps times; return (cold ms, wall ms per run, CPU ms per run).

    CPU time is reported because other jobs may share the machine: wall time then includes
    waiting for a core, CPU time does not.
    """
    t0 = time.perf_counter()
    fn()
    cold = (time.perf_counter() - t0) * 1000
    wall, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return cold, wall, cpu


# --------------------------------------------------------------------------------------------
# SQLite FTS5
# --------------------------------------------------------------------------------------------


def build_fts(path: Path, docs: Sequence[dict[str, Any]], engine: ModuleType) -> sqlite3.Connection:
    """FTS5 table with the same text plus plain tables for filters and access tokens."""
    con = sqlite3.connect(path)
    con.executescript(
        """
        PRAGMA journal_mode=WAL;
        CREATE TABLE docs(id INTEGER PRIMARY KEY, key TEXT, type TEXT, year_group TEXT,
            strand TEXT, school TEXT, academic_year TEXT, status TEXT, segment TEXT,
            project TEXT, archived INT, updated TEXT);
        CREATE TABLE doc_access(token TEXT, doc_id INT);
        CREATE TABLE doc_rtp(code TEXT, doc_id INT);
        CREATE VIRTUAL TABLE fts USING fts5(title, body, sequence_title,
            tokenize='porter unicode61');
        """
    )
    with con:
        for i, d in enumerate(docs):
            con.execute(
                "INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (i, d["key"], d["type"], d["year_group"], d["strand"], d["school"],
                 d["academic_year"], d["status"], d["segment"],
                 engine.normalise_project_code(d["project_code"]), int(d["archived"]),
                 d["updated"].isoformat()),
            )  # fmt: skip
            con.executemany("INSERT INTO doc_access VALUES (?,?)", [(t, i) for t in d["access"]])
            con.executemany(
                "INSERT INTO doc_rtp VALUES (?,?)",
                [(engine.normalise_code(c), i) for c in d["rtp"]],
            )
            con.execute(
                "INSERT INTO fts(rowid, title, body, sequence_title) VALUES (?,?,?,?)",
                (i, d["title"], d["body"], d["sequence_title"]),
            )
        con.execute("CREATE INDEX ix_access ON doc_access(token, doc_id)")
        con.execute("CREATE INDEX ix_rtp ON doc_rtp(code, doc_id)")
    return con


def fts_search(con: sqlite3.Connection, q: Q, access: Sequence[str]) -> tuple[int, list[Any]]:
    """Equivalent work to SearchIndex.search: total, facets, top 20 and their snippets."""
    marks = ",".join("?" * len(access))
    where = f"d.archived = 0 AND d.id IN (SELECT doc_id FROM doc_access WHERE token IN ({marks}))"
    if q.where:
        where += f" AND {q.where}"
    cols = "d.id, d.type, d.year_group, d.strand, d.school, d.academic_year, d.status"
    if q.match is None:
        rows = con.execute(
            f"SELECT {cols}, d.updated FROM docs d WHERE {where}", (*access, *q.params)
        ).fetchall()
        rows.sort(key=lambda r: r[-1], reverse=True)
    else:
        rows = con.execute(
            f"SELECT {cols}, bm25(fts, 3.0, 1.0, 1.5) AS rank FROM fts "
            f"JOIN docs d ON d.id = fts.rowid WHERE fts MATCH ? AND {where}",
            (q.match, *access, *q.params),
        ).fetchall()
        rows.sort(key=lambda r: r[-1])
    facets = {name: Counter(r[i + 1] for r in rows) for i, name in enumerate(FACETS)}
    top = [r[0] for r in rows[:20]]
    page: list[Any] = []
    if top and q.match is not None:
        page = con.execute(
            "SELECT rowid, title, snippet(fts, 1, '<mark>', '</mark>', '…', 24) FROM fts "
            f"WHERE fts MATCH ? AND rowid IN ({','.join('?' * len(top))})",
            (q.match, *top),
        ).fetchall()
    del facets
    return len(rows), page


# --------------------------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------------------------


def dir_mb(path: Path) -> float:
    """Size of the files under path in MB."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def run_size(engine: ModuleType, n: int, workdir: Path) -> dict[str, float]:
    """Build both indexes for n lessons and time them; print and return the figures."""
    print(f"\n=== {n:,} lessons ===", flush=True)
    t0 = time.perf_counter()
    docs = [to_document(lesson) for lesson in generate_lessons(n, seed=1)]
    words = statistics.mean(len(d["body"].split()) for d in docs[:500])
    print(f"corpus generated in {time.perf_counter() - t0:.1f} s (~{words:.0f} words/lesson)")

    builder = engine.SearchIndex(workdir / f"whoosh-{n}")
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    count = builder.rebuild(docs, total=len(docs))
    build_s = time.perf_counter() - t0
    rate = count / build_s
    print(
        f"whoosh rebuild: {build_s:.1f} s = {rate:.0f} lessons/s, "
        f"{dir_mb(builder.path):.0f} MB on disk (load average before: {load:.1f})"
    )
    builder.close()
    # A fresh instance, as a newly started worker would have; warm() is what it runs first.
    index = engine.SearchIndex(builder.path)
    t0 = time.perf_counter()
    index.warm()
    print(f"whoosh warm(): {(time.perf_counter() - t0) * 1000:.0f} ms")

    t0 = time.perf_counter()
    con = build_fts(workdir / f"fts-{n}.db", docs, engine)
    print(f"fts5 build:     {time.perf_counter() - t0:.1f} s")
    del docs

    whoosh_ms: list[float] = []
    whoosh_cpu: list[float] = []
    whoosh_cold: list[float] = []
    fts_ms: list[float] = []
    per_query: list[tuple[float, float, float, float, Q, int, int]] = []
    for q in QUERIES:
        cold, w, c = timed(partial(index.search, q.text, access=USER_ACCESS), REPS)
        res = index.search(q.text, access=USER_ACCESS)
        assert res.available, res.message
        _, f, _ = timed(partial(fts_search, con, q, USER_ACCESS), REPS)
        f_total, _ = fts_search(con, q, USER_ACCESS)
        whoosh_ms.extend(w)
        whoosh_cpu.extend(c)
        whoosh_cold.append(cold)
        fts_ms.extend(f)
        per_query.append(
            (cold, statistics.median(w), statistics.median(c), statistics.median(f), q,
             res.total, f_total)
        )  # fmt: skip

    print(
        f"\n{'query':34} {'cold ms':>8} {'warm ms':>8} {'cpu ms':>7} {'fts5 ms':>8} "
        f"{'hits':>6} {'fts hits':>8}"
    )
    for cold, wm, cm, fm, q, wt, ft in per_query:
        print(
            f"{q.kind + ': ' + q.text:34.34} {cold:8.1f} {wm:8.1f} {cm:7.1f} {fm:8.1f} "
            f"{wt:6d} {ft:8d}"
        )

    w50, w95 = percentile(whoosh_ms, 50), percentile(whoosh_ms, 95)
    c95 = percentile(whoosh_cpu, 95)
    k50, k95 = percentile(whoosh_cold, 50), percentile(whoosh_cold, 95)
    f50, f95 = percentile(fts_ms, 50), percentile(fts_ms, 95)

    writer_side = engine.SearchIndex(index.path)
    reader_side = index  # searches as another worker process would
    reader_side.search("warm", access=USER_ACCESS)
    save_ms: list[float] = []
    for i in range(SAVE_RUNS):
        word = f"savecheck{i}q"
        doc = {
            "key": f"lesson:new-{i}",
            "type": "lesson",
            "title": f"New lesson {word}",
            "body": "A freshly saved lesson about equal groups.",
            "access": ["school:23"],
            "version": 1,
        }
        t0 = time.perf_counter()
        while not writer_side.apply([doc], []):
            time.sleep(0.01)
        while reader_side.search(word, access=USER_ACCESS).total == 0:
            time.sleep(0.005)
        save_ms.append((time.perf_counter() - t0) * 1000)
    save_med = statistics.median(save_ms)

    print(
        f"\nwhoosh query: p50 {w50:.1f} ms, p95 {w95:.1f} ms, CPU p95 {c95:.1f} ms "
        f"({len(QUERIES)} queries x {REPS} after a first run; snippets, facets, totals)"
    )
    print(f"whoosh cold:  p50 {k50:.1f} ms, p95 {k95:.1f} ms (first run of each query)")
    print(f"fts5 query:   p50 {f50:.1f} ms, p95 {f95:.1f} ms")
    print(f"whoosh/fts5:  p50 x{w50 / f50:.1f}, p95 x{w95 / f95:.1f}")
    print(f"save->findable: median {save_med:.0f} ms, max {max(save_ms):.0f} ms")
    con.close()
    writer_side.close()
    reader_side.close()
    return {
        "n": n,
        "rate": rate,
        "w50": w50,
        "w95": w95,
        "c95": c95,
        "k95": k95,
        "f50": f50,
        "f95": f95,
        "save": save_med,
        "load": os.getloadavg()[0],
    }


def _permission_filter(engine: ModuleType, parsed: Any, access: Sequence[str]) -> Any:
    """The filter query SearchIndex.search builds: access tokens, archive flag, typed filters."""
    from whoosh import query

    querying = importlib.import_module("app.core.search.querying")
    must: list[Any] = [
        query.Or([query.Term("access", t) for t in sorted(access)]),
        query.Term("archived", False),
    ]
    nots: list[Any] = []
    for fieldname, values, negated in parsed.constraints:
        (nots if negated else must).append(querying.constraint_query(fieldname, values))
    filter_q: Any = query.And(must)
    return query.AndNot(filter_q, query.Or(nots)) if nots else filter_q


def compare_whoosh(engine: ModuleType, path: Path, passes: int = 3) -> None:
    """Home-made ranking vs Whoosh BM25F with a permission filter, on the relevance queries."""
    querying = importlib.import_module("app.core.search.querying")
    evaluation = importlib.import_module("app.core.search.evaluation")
    ranking = importlib.import_module("app.core.search.ranking")
    texts = [q.text for q in QUERIES if q.match is not None]
    rows: dict[str, dict[str, list[float]]] = {t: {} for t in texts}
    agree: dict[str, int] = {}
    totals: dict[str, tuple[int, int]] = {}

    def add(text: str, name: str, ms: float) -> None:
        if name.endswith("first") or rep:  # "warm" skips the pass that fills the caches
            rows[text].setdefault(name, []).append(ms)

    rep = 0
    for first_run in (True, False):
        label = "first" if first_run else "warm"
        index = engine.SearchIndex(path)
        index.count()  # opens the searcher: opening is not what is compared
        for rep in range(passes if first_run else passes + 1):
            if first_run and rep:
                index.close()
                index = engine.SearchIndex(path)
                index.count()
            for text in texts:
                parsed = querying.parse_text(text)
                filter_q = _permission_filter(engine, parsed, USER_ACCESS)
                filter_key = (tuple(sorted(USER_ACCESS)), False, tuple(
                    (f, tuple(v), n) for f, v, n in parsed.constraints))  # fmt: skip
                with index._lock:
                    s = index._current_searcher()
                    q = index._parse(querying.items_to_string(parsed.items))
                    t0 = time.perf_counter()
                    views = index._views(s, filter_key, filter_q)
                    matched, lists = evaluation.match(q, views)
                    ours = ranking.rank(views, matched, lists, 20, "relevance")
                    total = sum(m.bit_count() for m in matched)
                    add(text, f"ours {label}", (time.perf_counter() - t0) * 1000)
                    t0 = time.perf_counter()
                    res = s.search(q, filter=filter_q, limit=20)
                    page = [hit.docnum for hit in res]
                    add(text, f"whoosh {label}", (time.perf_counter() - t0) * 1000)
                    wtotal = len(res)
                    add(text, f"whoosh+total {label}", (time.perf_counter() - t0) * 1000)
                    agree[text] = len(set(page) & set(ours))
                    totals[text] = (total, wtotal)
        index.close()

    names = ["ours first", "whoosh first", "whoosh+total first", "ours warm", "whoosh warm",
             "whoosh+total warm"]  # fmt: skip
    print(f"\n{'query (median ms)':30}" + "".join(f"{n:>19}" for n in names) + "  top20 agree"
          "  total (ours/whoosh)")  # fmt: skip
    for text in texts:
        cells = "".join(f"{statistics.median(rows[text][n]):19.1f}" for n in names)
        print(f"{text:30.30}{cells}  {agree[text]:11d}  {totals[text][0]}/{totals[text][1]}")
    for n in names:
        samples = [x for t in texts for x in rows[t][n]]
        print(f"{n:20} p50 {percentile(samples, 50):7.1f}  p95 {percentile(samples, 95):7.1f} ms")


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments, run each size, print a summary against the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000", help="comma-separated lesson counts")
    parser.add_argument("--quick", action="store_true", help="one small run of 2,000 lessons")
    parser.add_argument("--keep", action="store_true", help="keep the index directories")
    parser.add_argument("--compare-whoosh", action="store_true", help="ranker comparison only")
    parser.add_argument("--index", type=Path, help="existing index for --compare-whoosh")
    args = parser.parse_args(argv)
    if args.compare_whoosh:
        compare_whoosh(load_engine(), args.index)
        return
    sizes = [2000] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]

    engine = load_engine()
    workdir = Path(tempfile.mkdtemp(prefix="coplan-bench-search-"))
    try:
        results = [run_size(engine, n, workdir) for n in sizes]
    finally:
        if args.keep:
            print(f"\nindexes kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print("\n=== summary (ms unless noted) ===")
    print(
        f"{'lessons':>8} {'build/s':>8} {'p50':>6} {'p95':>6} {'cpu95':>6} {'cold95':>7} "
        f"{'fts50':>6} {'fts95':>6} {'x p50':>6} {'x p95':>6} {'save':>5} {'load':>5}"
    )
    for r in results:
        target = 40 if r["n"] <= 10_000 else 150
        verdict = "ok" if r["w95"] <= target else f"MISSES {target} ms"
        print(
            f"{r['n']:8,d} {r['rate']:8.0f} {r['w50']:6.1f} {r['w95']:6.1f} {r['c95']:6.1f} "
            f"{r['k95']:7.0f} {r['f50']:6.1f} {r['f95']:6.1f} {r['w50'] / r['f50']:6.1f} "
            f"{r['w95'] / r['f95']:6.1f} {r['save']:5.0f} {r['load']:5.1f}  p95 {verdict}"
        )
    print("x = whoosh/fts5 ratio; cold95 = p95 of each query's first run after warm();")
    print("load = 1-minute load average at the end (2 cores; above 2 means waiting for CPU)")
    print("targets: p95 <= 40 ms @10k, <= 150 ms @50k; build >= 300/s; save->findable <= 1000 ms")
    print("re-run:  .venv/bin/python bench/bench_search.py --sizes 10000,50000")


if __name__ == "__main__":
    main()
