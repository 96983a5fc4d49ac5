"""Issue 12's judged queries as regression tests for the query rules (search understanding).

The documents, the queries and their graded judgements are the relevance benchmark's
(bench/relevance_corpus.py, bench/relevance_judged.py: grades come from each document's own
text and metadata by a rule documented there, never from an engine). For every query a
teacher would type, Coplan's search must find something and put a relevant document first;
over the whole set it must leave at most 2 % of queries without results and rank better
(nDCG@10) than plain Whoosh BM25F and SQLite FTS5 over the same documents.

The indexes are built once per module (about 250 documents, a second or two).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))

from relevance import (  # noqa: E402  (bench/ is not a package)
    MAX_ZERO_RATE,
    Coplan,
    Fts5,
    WhooshBM25F,
    run_engine,
    summarise,
)
from relevance_corpus import documents  # noqa: E402
from relevance_judged import QUERIES, Judged, judgements  # noqa: E402

DOCS = documents()
JUDGED = judgements(DOCS)
TITLES = {str(d["key"]): str(d["title"]) for d in DOCS}


@pytest.fixture(scope="module")
def coplan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coplan]:
    engine = Coplan(DOCS, tmp_path_factory.mktemp("relevance"))
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def coplan_answers(coplan: Coplan) -> dict[str, tuple[list[str], int]]:
    return {q.text: coplan.search(q.text) for q in QUERIES}


def test_every_judged_query_has_a_relevant_document() -> None:
    # A query nothing is relevant to could never fail the tests below.
    assert [q.text for q in QUERIES if not JUDGED[q.text]] == []
    assert len(QUERIES) >= 60


@pytest.mark.parametrize("query", QUERIES, ids=[q.text for q in QUERIES])
def test_first_result_is_relevant(
    query: Judged, coplan_answers: dict[str, tuple[list[str], int]]
) -> None:
    keys, _total = coplan_answers[query.text]
    assert keys, f"{query.text!r} found nothing"
    grades = JUDGED[query.text]
    first = keys[0]
    assert grades.get(first, 0) >= 1, (
        f"{query.text!r}: first result {TITLES[first]!r} is not relevant "
        f"(relevant: {sorted(TITLES[k] for k, g in grades.items() if g == 2)[:5]})"
    )


def test_few_queries_find_nothing(coplan_answers: dict[str, tuple[list[str], int]]) -> None:
    empty = [text for text, (keys, _total) in coplan_answers.items() if not keys]
    assert len(empty) / len(QUERIES) <= MAX_ZERO_RATE, f"no results for {empty}"


def test_ranks_better_than_plain_bm25_baselines(
    coplan: Coplan, tmp_path_factory: pytest.TempPathFactory
) -> None:
    directory = tmp_path_factory.mktemp("baselines")
    scores: dict[str, Any] = {}
    for engine in (coplan, WhooshBM25F(DOCS, directory), Fts5(DOCS, directory)):
        scores[engine.name] = summarise(run_engine(engine, QUERIES, JUDGED))["ndcg@10"]
        if engine is not coplan:
            engine.close()
    assert scores["Coplan"] > scores["Whoosh BM25F"], scores
    assert scores["Coplan"] > scores["SQLite FTS5"], scores
