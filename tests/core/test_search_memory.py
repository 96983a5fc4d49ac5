"""The Whoosh engine's cache budget, ranking that every worker agrees on, and warm-up."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pytest

from app.core.search import SearchIndex, SearchResults
from app.core.search.budget import ENTRY_OVERHEAD, Budget

WORDS = (
    "fraction number line array bar model place value counters multiply divide doubling "
    "halving equal groups pupils teacher partition regroup tens ones hundreds estimate round "
    "compare order pattern reason explain represent symmetry angle triangle square shape "
    "money coins length mass capacity time minutes hours table facts bonds fluency recall"
).split()
TEACHERS = [["all", "school:1"], ["all", "school:2", "wg:1"], ["school:3"], ["all"]]
BASE = datetime(2025, 1, 1, 9, 0)


def lesson(i: int, rng: random.Random, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": f"lesson:{i:04d}",
        "type": "lesson",
        "title": " ".join(rng.choices(WORDS, k=4)),
        "body": " ".join(rng.choices(WORDS, k=rng.randint(20, 90))),
        "year_group": str(rng.randint(1, 6)),
        "school": str(rng.randint(1, 3)),
        "access": ["all"] if i % 3 else [f"school:{i % 4}", "wg:1"],
        "version": 1,
        "url": f"/lessons/{i}",
        "updated": BASE + timedelta(hours=i),
    }
    out.update(fields)
    return out


def queries(count: int, seed: int = 3) -> list[str]:
    """Distinct queries of every kind the parser offers: words, pairs, phrases, prefixes,
    filters, OR, exclusions and typos (which bring in spelling and fuzzy matching)."""
    rng = random.Random(seed)
    makers = (
        lambda: rng.choice(WORDS),
        lambda: f"{rng.choice(WORDS)} {rng.choice(WORDS)}",
        lambda: f'"{rng.choice(WORDS)} {rng.choice(WORDS)}"',
        lambda: rng.choice([w for w in WORDS if len(w) > 4])[:3] + "*",
        lambda: f"year:{rng.randint(1, 6)} {rng.choice(WORDS)}",
        lambda: f"{rng.choice(WORDS)} OR {rng.choice(WORDS)}",
        lambda: f"{rng.choice(WORDS)} -{rng.choice(WORDS)}",
        lambda: rng.choice([w for w in WORDS if len(w) > 5])[::-1][:2] + "ndtion",
    )
    out: list[str] = []
    while len(out) < count:
        q = rng.choice(makers)()
        if q not in out:
            out.append(q)
    return out


def summary(res: SearchResults) -> tuple[Any, ...]:
    return ([h.key for h in res.hits], res.total, res.facets, res.suggestion, res.message)


Opener = Callable[..., SearchIndex]


@pytest.fixture
def opened() -> Iterator[Opener]:
    """``SearchIndex(...)`` that closes each index (its open files) after the test, as
    several worker processes would each hold one."""
    made: list[SearchIndex] = []

    def open_index(*args: Any, **kwargs: Any) -> SearchIndex:
        made.append(SearchIndex(*args, **kwargs))
        return made[-1]

    yield open_index
    for index in made:
        index.close()


@pytest.fixture
def corpus(tmp_path: Path, opened: Opener) -> Path:
    rng = random.Random(11)
    path = tmp_path / "ix"
    opened(path).rebuild([lesson(i, rng) for i in range(400)], procs=1)
    return path


def test_budget_evicts_least_recently_used_first() -> None:
    per = ENTRY_OVERHEAD + 100
    budget = Budget(3 * per)
    for name in "abc":
        budget.put(name, "x", nbytes=100)
    assert budget.get("a") == "x"  # now the most recently used
    budget.put("d", "x", nbytes=100)
    assert budget.get("b") is None
    assert [budget.get(k) for k in "acd"] == ["x", "x", "x"]
    assert budget.bytes == 3 * per
    budget.put("huge", "x", nbytes=10 * per)  # bigger than the budget: not kept
    assert budget.get("huge") is None
    assert budget.bytes == 3 * per


def test_tiny_budget_stays_under_it_and_finds_the_same(corpus: Path, opened: Opener) -> None:
    tiny = opened(corpus, memory_mb=0.02)  # 20 KB: a handful of entries
    large = opened(corpus, memory_mb=64)
    for i, text in enumerate(queries(150)):
        kw: dict[str, Any] = {"access": TEACHERS[i % 4], "page": 1 + i % 2, "pagelen": 10}
        assert summary(tiny.search(text, **kw)) == summary(large.search(text, **kw)), text
        assert tiny.cache_bytes() <= 0.02 * 2**20
    tiny.warm()
    assert tiny.cache_bytes() <= 0.02 * 2**20
    # The large cache kept far more: the tiny one really evicted.
    assert large.cache_bytes() > 5 * 0.02 * 2**20
    for text in ("newest", ""):
        assert summary(tiny.search(text, access=["all"])) == summary(
            large.search(text, access=["all"])
        )


def test_workers_rank_alike_after_others_changed_the_index(corpus: Path, opened: Opener) -> None:
    """A worker that cached scores before another one added and deleted documents ranks every
    query exactly like a worker that opened the index afterwards."""
    early = opened(corpus)
    texts = queries(60, seed=5)
    for text in texts:
        early.search(text, access=["all"])  # caches scores under the old statistics
    rng = random.Random(12)
    # Make "fraction" common and "pattern" rare: their idf changes a lot.
    added = [
        lesson(1000 + i, rng, body="fraction " * 5 + " ".join(rng.choices(WORDS, k=30)))
        for i in range(300)
    ]
    deleted = [f"lesson:{i:04d}" for i in range(0, 400, 3)]
    writer = opened(corpus)
    assert writer.apply(added, deleted)
    fresh = opened(corpus)
    for text in [*texts, "fraction pattern", "fraction OR pattern"]:
        for access in (["all"], TEACHERS[1]):
            want = [h.key for h in fresh.search(text, access=access, pagelen=100).hits]
            assert [h.key for h in early.search(text, access=access, pagelen=100).hits] == want
            assert [h.key for h in writer.search(text, access=access, pagelen=100).hits] == want


def test_equal_scores_are_ordered_by_document_key(tmp_path: Path, opened: Opener) -> None:
    index = opened(tmp_path / "ix")
    index.create()
    same: dict[str, Any] = {"type": "lesson", "title": "Bar model", "body": "A bar model."}
    same.update(access=["all"], version=1, updated=BASE)
    for batch in (["lesson:d", "lesson:b"], ["lesson:c"], ["lesson:a"]):  # three segments
        assert index.apply([{**same, "key": k} for k in batch], [])
    sorts: tuple[Literal["relevance", "newest"], ...] = ("relevance", "newest")
    for sort in sorts:
        hits = index.search("bar model", access=["all"], sort=sort).hits
        assert [h.key for h in hits] == ["lesson:a", "lesson:b", "lesson:c", "lesson:d"]
    page = index.search("bar model", access=["all"], pagelen=2, page=2).hits
    assert [h.key for h in page] == ["lesson:c", "lesson:d"]


def test_background_warm_up_runs_alongside_searches(corpus: Path, opened: Opener) -> None:
    cold = opened(corpus)
    texts = queries(40, seed=8)
    want = [summary(cold.search(t, access=TEACHERS[0])) for t in texts]
    index = opened(corpus)
    thread = index.warm_in_background()
    assert index.warm_in_background() is thread or not thread.is_alive()
    got: list[Any] = []
    searcher = threading.Thread(
        target=lambda: got.extend(summary(index.search(t, access=TEACHERS[0])) for t in texts)
    )
    searcher.start()
    searcher.join(60)
    thread.join(60)
    assert not thread.is_alive()
    assert got == want
    # Warm-up loaded the newest-first order: listing everything needs nothing new.
    before = index.cache_bytes()
    index.search("", access=["all"])
    assert index.cache_bytes() - before < 2000


def test_bulk_column_reads_equal_per_document_reads(corpus: Path, opened: Opener) -> None:
    """Field lengths and update times are read in one go from Whoosh's column files; they must
    be what Whoosh's own per-document lookups return (after deletions and updates, too)."""
    index = opened(corpus)
    assert index.apply([lesson(7, random.Random(1), title="changed")], ["lesson:0009"])
    with index._lock:
        searcher = index._current_searcher()
        assert searcher is not None
        views = index._segment_views(searcher)
        assert len(views) == 2
        for v in views:
            for field in ("title", "body", "sequence_title", "codes"):
                want = [v.reader.doc_field_length(d, field) or 0 for d in range(v.n)]
                assert list(v.load_lengths(field)) == want
            updated, _ = v.newest()
            assert list(updated) == list(v.reader.column_reader("updated", translate=False))
