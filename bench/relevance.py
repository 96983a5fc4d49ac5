"""Measured relevance: Coplan's search against plain Whoosh BM25F and SQLite FTS5, one run.

Run:   .venv/bin/python bench/relevance.py [--per-query] [--json PATH]

The documents are ``relevance_corpus.documents()`` (about 250 primary TfM lessons and sequences,
seeded) and the queries ``relevance_judged.QUERIES`` (over 90 a primary teacher would type),
graded 0/1/2 by the rule documented in relevance_judged.py from each document's own content
and metadata, never from any engine's output. Three engines index the same documents in one
process:

* Coplan: ``app.core.search.SearchIndex`` in a temporary directory, built by ``rebuild()`` and
  searched with ``access=["all"], pagelen=10`` (and ``today=2026-12-03`` when ``search()``
  takes it, so "last year" means 2025/26);
* Whoosh BM25F: a fresh Whoosh index, title, body, sequence title and the metadata as TEXT
  fields with StemmingAnalyzer, queried through a default MultifieldParser over those fields;
* SQLite FTS5 with ``tokenize='porter unicode61'``, ranked by ``bm25()``, each word of the
  query double-quoted and the words joined by spaces (all must match).

Reported per engine: nDCG@10 (gain 2^grade - 1, ideal ordering from the judgements), P@5
(grade >= 1), MRR (first result of grade >= 1 within the top 10), the share of queries with no
results, and mean search latency (each query once, after one warm-up pass); plus the machine's
load average. Target (issue 12): Coplan's nDCG@10 above both baselines and at most 2 % of
queries with no results.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# Appended, so that PYTHONPATH=<another checkout> measures that checkout's engine instead.
for _path in (str(BENCH), str(ROOT)):
    if _path not in sys.path:
        sys.path.append(_path)

from relevance_corpus import documents  # noqa: E402  (bench/ is not a package)
from relevance_judged import QUERIES, TODAY, Judged, judgements  # noqa: E402

K = 10
#: Issue 12's targets.
MAX_ZERO_RATE = 0.02
METADATA_FIELDS = ("year_group", "strand", "rtp", "segment", "academic_year", "school_name",
                   "status")  # fmt: skip


class Engine(Protocol):
    name: str

    def search(self, text: str) -> tuple[list[str], int]:
        """The keys of the first ``K`` results, best first, and how many matched."""
        ...

    def close(self) -> None:
        """Release files and connections."""
        ...


def _meta_text(doc: Mapping[str, Any], name: str) -> str:
    value = doc.get(name)
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value)


class Coplan:
    name = "Coplan"

    def __init__(self, docs: Sequence[Mapping[str, Any]], directory: Path) -> None:
        from app.core.search import SearchIndex

        self.index = SearchIndex(directory / "coplan")
        self.index.rebuild(docs, total=len(docs))
        # The query rules add `today=` for relative academic years; older trees lack it.
        self.kwargs: dict[str, Any] = {"today": TODAY} if coplan_takes_today() else {}

    def search(self, text: str) -> tuple[list[str], int]:
        results = self.index.search(text, access=["all"], pagelen=K, **self.kwargs)
        return [hit.key for hit in results.hits], results.total

    def close(self) -> None:
        self.index.close()


class WhooshBM25F:
    name = "Whoosh BM25F"

    def __init__(self, docs: Sequence[Mapping[str, Any]], directory: Path) -> None:
        from whoosh import index
        from whoosh.analysis import StemmingAnalyzer
        from whoosh.fields import ID, TEXT, Schema
        from whoosh.qparser import MultifieldParser

        self.fields = ["title", "body", "sequence_title", *METADATA_FIELDS]
        schema = Schema(key=ID(stored=True, unique=True),
                        **{f: TEXT(analyzer=StemmingAnalyzer()) for f in self.fields})
        path = directory / "whoosh"
        path.mkdir()
        self.index = index.create_in(str(path), schema)
        writer = self.index.writer()
        for doc in docs:
            writer.add_document(key=str(doc["key"]),
                                **{f: _meta_text(doc, f) for f in self.fields})
        writer.commit()
        self.parser = MultifieldParser(self.fields, schema)
        self.searcher = self.index.searcher()

    def search(self, text: str) -> tuple[list[str], int]:
        results = self.searcher.search(self.parser.parse(text), limit=K)
        return [hit["key"] for hit in results], len(results)

    def close(self) -> None:
        self.searcher.close()
        self.index.close()


class Fts5:
    name = "SQLite FTS5"

    def __init__(self, docs: Sequence[Mapping[str, Any]], directory: Path) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(key UNINDEXED, title, body, sequence_title, "
            "metadata, tokenize='porter unicode61')"
        )
        self.db.executemany(
            "INSERT INTO docs VALUES (?, ?, ?, ?, ?)",
            [(str(d["key"]), _meta_text(d, "title"), _meta_text(d, "body"),
              _meta_text(d, "sequence_title"),
              " ".join(_meta_text(d, f) for f in METADATA_FIELDS)) for d in docs],
        )  # fmt: skip

    @staticmethod
    def match_expression(text: str) -> str:
        """Each word double-quoted, joined by spaces: a plain AND of the words."""
        words = [w for w in text.split() if any(c.isalnum() for c in w)]
        return " ".join('"' + w.replace('"', '""') + '"' for w in words)

    def search(self, text: str) -> tuple[list[str], int]:
        expression = self.match_expression(text)
        if not expression:
            return [], 0
        try:
            rows = self.db.execute(
                "SELECT key FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
                (expression, K)).fetchall()
            (total,) = self.db.execute(
                "SELECT count(*) FROM docs WHERE docs MATCH ?", (expression,)).fetchone()
        except sqlite3.OperationalError:  # e.g. a word FTS5 cannot parse: no results
            return [], 0
        return [r[0] for r in rows], int(total)

    def close(self) -> None:
        self.db.close()


# ---- metrics ---------------------------------------------------------------------------
def ndcg(keys: Sequence[str], grades: Mapping[str, int], k: int = K) -> float:
    def dcg(gs: Sequence[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gs[:k]))

    ideal = dcg(sorted(grades.values(), reverse=True))
    return dcg([grades.get(key, 0) for key in keys]) / ideal if ideal else 0.0


def precision_at(keys: Sequence[str], grades: Mapping[str, int], k: int = 5) -> float:
    return sum(1 for key in keys[:k] if grades.get(key, 0) >= 1) / k


def reciprocal_rank(keys: Sequence[str], grades: Mapping[str, int]) -> float:
    for i, key in enumerate(keys[:K], 1):
        if grades.get(key, 0) >= 1:
            return 1 / i
    return 0.0


@dataclass
class QueryResult:
    query: str
    keys: list[str]
    total: int
    seconds: float
    ndcg: float
    p5: float
    rr: float


def run_engine(
    engine: Engine, queries: Sequence[Judged], judged: Mapping[str, Mapping[str, int]]
) -> list[QueryResult]:
    for q in queries:  # warm-up: first-use costs are not what a teacher waits for each time
        engine.search(q.text)
    out = []
    for q in queries:
        started = time.perf_counter()
        keys, total = engine.search(q.text)
        seconds = time.perf_counter() - started
        grades = judged[q.text]
        out.append(QueryResult(q.text, keys, total, seconds, ndcg(keys, grades),
                               precision_at(keys, grades), reciprocal_rank(keys, grades)))
    return out


def summarise(results: Sequence[QueryResult]) -> dict[str, float]:
    return {
        "ndcg@10": statistics.fmean(r.ndcg for r in results),
        "p@5": statistics.fmean(r.p5 for r in results),
        "mrr": statistics.fmean(r.rr for r in results),
        "zero_result_rate": sum(1 for r in results if r.total == 0) / len(results),
        "mean_latency_ms": statistics.fmean(r.seconds for r in results) * 1000,
    }


def coplan_takes_today() -> bool:
    from app.core.search import SearchIndex

    return "today" in inspect.signature(SearchIndex.search).parameters


def build_engines(docs: Sequence[Mapping[str, Any]], directory: Path) -> list[Engine]:
    return [Coplan(docs, directory), WhooshBM25F(docs, directory), Fts5(docs, directory)]


def target_met(summaries: Mapping[str, Mapping[str, float]]) -> dict[str, bool]:
    coplan = summaries["Coplan"]
    others = [s["ndcg@10"] for name, s in summaries.items() if name != "Coplan"]
    return {
        "ndcg_above_baselines": all(coplan["ndcg@10"] > n for n in others),
        "zero_results_at_most_2pc": coplan["zero_result_rate"] <= MAX_ZERO_RATE,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-query", action="store_true",
                        help="each query's nDCG@10 per engine and the top 3 titles")
    parser.add_argument("--json", type=Path, help="write the numbers to this file")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    docs = documents()
    titles = {str(d["key"]): str(d["title"]) for d in docs}
    judged = judgements(docs)
    with tempfile.TemporaryDirectory(prefix="relevance-") as tmp:
        engines = build_engines(docs, Path(tmp))
        results = {e.name: run_engine(e, QUERIES, judged) for e in engines}
        for engine in engines:
            engine.close()
    summaries = {name: summarise(rs) for name, rs in results.items()}
    load = os.getloadavg()

    print(f"{len(docs)} documents, {len(QUERIES)} judged queries; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"Coplan search(today=...): {'passed' if coplan_takes_today() else 'not supported'}")
    header = f"{'engine':14} {'nDCG@10':>8} {'P@5':>6} {'MRR':>6} {'zero':>7} {'mean ms':>8}"
    print(header)
    print("-" * len(header))
    for name, s in summaries.items():
        print(f"{name:14} {s['ndcg@10']:8.3f} {s['p@5']:6.3f} {s['mrr']:6.3f} "
              f"{s['zero_result_rate']:6.1%} {s['mean_latency_ms']:8.2f}")
    kinds = sorted({q.kind for q in QUERIES})
    print("\nnDCG@10 by kind of query")
    print(f"{'kind':16} {'n':>3} " + " ".join(f"{n:>14}" for n in results))
    for kind in kinds:
        idx = [i for i, q in enumerate(QUERIES) if q.kind == kind]
        cells = " ".join(f"{statistics.fmean(rs[i].ndcg for i in idx):14.3f}"
                         for rs in results.values())
        print(f"{kind:16} {len(idx):3d} {cells}")
    zero = [r.query for r in results["Coplan"] if r.total == 0]
    print(f"\nCoplan queries with no results ({len(zero)}): {zero or 'none'}")
    met = target_met(summaries)
    verdict = {True: "met", False: "NOT met"}
    print(f"Target nDCG@10 above both baselines: {verdict[met['ndcg_above_baselines']]}; "
          f"at most 2 % zero-result queries: {verdict[met['zero_results_at_most_2pc']]}")

    if args.per_query:
        print()
        for i, q in enumerate(QUERIES):
            grades = judged[q.text]
            twos = sum(g == 2 for g in grades.values())
            print(f"{q.text!r} [{q.kind}] relevant: {twos} x 2, {len(grades) - twos} x 1")
            for name, rs in results.items():
                r = rs[i]
                top = "; ".join(f"{titles[k]} ({grades.get(k, 0)})" for k in r.keys[:3])
                print(f"    {name:14} nDCG {r.ndcg:.3f} n={r.total:<4d} {top or '-'}")
    if args.json:
        args.json.write_text(json.dumps({
            "documents": len(docs), "queries": len(QUERIES), "loadavg": load,
            "summary": summaries, "target": met,
            "per_query": {name: [{"query": r.query, "ndcg@10": r.ndcg, "p@5": r.p5,
                                  "rr": r.rr, "total": r.total, "top": r.keys}
                                 for r in rs] for name, rs in results.items()},
        }, indent=2))  # fmt: skip
    print(f"\n({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
