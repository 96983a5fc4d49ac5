"""Resident memory and first-query time of a worker that opens a big search index.

Re-run with:  .venv/bin/python bench/bench_search_memory.py --n 50000 --index /tmp/coplan-50k
(the index is built once, in a child process, and reused; add --warm to time warm-up).

Each measurement runs in a fresh process, as a newly started gunicorn worker would: it opens
the index with ``SearchIndex(path, memory_mb=...)``, times the first query (optionally after
``warm()`` or while ``warm_in_background()`` runs), then runs ~200 distinct realistic queries
under 24 different teachers' access tokens and reports VmRSS / VmHWM from /proc/self/status
and the engine's own estimate of its cached bytes. ``--root`` imports the engine from another
checkout (e.g. the commit before a change) to measure "before".

Goal: <= 250 MB resident per worker at 50k lessons; first query <= 300 ms.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import itertools
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_search import QUERIES, to_document  # noqa: E402  (bench/ is not a package)
from corpus import GENERAL, RARE_WORDS, STRANDS, generate_lessons  # noqa: E402

FIRST_QUERY = "equivalent fractions"


def status_mb(field: str) -> float:
    """A VmRSS-style line of /proc/self/status, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_engine(root: Path) -> ModuleType:
    sys.path.insert(0, str(root))
    return importlib.import_module("app.core.search")


def realistic_queries(count: int, seed: int = 7) -> list[str]:
    """Distinct queries shaped like the benchmark mix: words, pairs, phrases, prefixes,
    filters, typos, rare words, OR and NOT, drawn from the corpus vocabulary."""
    rng = random.Random(seed)
    nouns = sorted({n for s in STRANDS.values() for n in s[4]} | set(GENERAL))
    singles = sorted({w for n in nouns for w in n.split() if len(w) > 3})
    years = ["1", "2", "3", "4", "5", "6"]
    out: list[str] = [q.text for q in QUERIES]
    makers = (
        lambda: rng.choice(singles),
        lambda: f"{rng.choice(singles)} {rng.choice(singles)}",
        lambda: f'"{rng.choice([n for n in nouns if " " in n])}"',
        lambda: rng.choice(singles)[:5] + "*",
        lambda: f"year:{rng.choice(years)} {rng.choice(singles)}",
        lambda: f"strand:{rng.choice(list(STRANDS))} {rng.choice(singles)}",
        lambda: _typo(rng, rng.choice([w for w in singles if len(w) > 6])),
        lambda: f"{rng.choice(RARE_WORDS)} {rng.choice(singles)}",
        lambda: f"{rng.choice(singles)} OR {rng.choice(singles)}",
        lambda: f"{rng.choice(singles)} -{rng.choice(singles)}",
    )
    seen = set(out)
    for make in itertools.cycle(makers):
        if len(out) >= count:
            break
        q = make()
        if q not in seen:
            seen.add(q)
            out.append(q)
    return out[:count]


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def teachers(count: int = 24) -> list[list[str]]:
    """Access tokens of distinct teachers (approved lessons, their work group and school)."""
    return [["all", f"wg:{i % 20}", f"school:{(i * 37) % 120}"] for i in range(count)]


def build(engine: ModuleType, path: Path, n: int) -> None:
    t0 = time.perf_counter()
    docs = (to_document(lesson) for lesson in generate_lessons(n, seed=1))
    count = engine.SearchIndex(path).rebuild(docs, total=n)
    print(f"built {count:,} lessons in {time.perf_counter() - t0:.0f} s", flush=True)


def measure(engine: ModuleType, path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One worker's life: open, first query, many distinct queries; memory figures."""
    out: dict[str, Any] = {"rss_start": status_mb("VmRSS")}
    params = inspect.signature(engine.SearchIndex).parameters
    kwargs = {"memory_mb": args.memory_mb} if "memory_mb" in params and args.memory_mb else {}
    index = engine.SearchIndex(path, **kwargs)
    access = teachers()
    t0 = time.perf_counter()
    if args.warm == "sync":
        index.warm()
        out["warm_ms"] = (time.perf_counter() - t0) * 1000
    elif args.warm == "background":
        index.warm_in_background()
        time.sleep(args.delay)
    t1, c1 = time.perf_counter(), time.process_time()
    index.search(FIRST_QUERY, access=access[0])
    out["first_ms"] = (time.perf_counter() - t1) * 1000
    # CPU time (all threads): robust to other jobs on the machine, unlike wall time.
    out["first_cpu_ms"] = (time.process_time() - c1) * 1000
    out["first_after_open_ms"] = (time.perf_counter() - t0) * 1000
    out["rss_first"] = status_mb("VmRSS")
    out["rss_anon_first"] = status_mb("RssAnon")
    times = []
    cpu = []
    for i, text in enumerate(realistic_queries(args.queries)):
        t, c = time.perf_counter(), time.process_time()
        index.search(text, access=access[i % len(access)], page=1 + i % 3)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    times.sort()
    out["queries"] = len(times)
    out["query_p50_ms"] = times[len(times) // 2]
    out["query_p95_ms"] = times[int(len(times) * 0.95)]
    cpu.sort()
    out["query_cpu_p50_ms"] = cpu[len(cpu) // 2]
    out["query_cpu_p95_ms"] = cpu[int(len(cpu) * 0.95)]
    out["rss_end"] = status_mb("VmRSS")
    # Anonymous memory is the worker's own; file pages are the index's mmapped segments,
    # shared with the other workers and the page cache.
    out["rss_anon_end"] = status_mb("RssAnon")
    out["rss_file_end"] = status_mb("RssFile")
    out["hwm"] = status_mb("VmHWM")
    if hasattr(index, "cache_bytes"):
        out["cache_mb"] = index.cache_bytes() / 2**20
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000, help="lessons in the corpus")
    parser.add_argument("--index", type=Path, default=Path("/tmp/coplan-search-50k"))
    parser.add_argument("--root", type=Path, default=BENCH.parent, help="checkout to import")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--memory-mb", type=int, default=0, help="SearchIndex memory_mb")
    parser.add_argument("--warm", choices=("none", "sync", "background"), default="none")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before 1st query")
    parser.add_argument("--child", choices=("build", "measure"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    engine = load_engine(args.root)
    if args.child == "build":
        build(engine, args.index, args.n)
        return
    if args.child == "measure":
        print(json.dumps(measure(engine, args.index, args)))
        return
    if not args.index.exists():
        subprocess.run([sys.executable, __file__, *sys.argv[1:], "--child", "build"], check=True)
    # A fresh process, so nothing from building the corpus counts against the worker.
    res = subprocess.run(
        [sys.executable, __file__, *sys.argv[1:], "--child", "measure"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    r = json.loads(res.stdout.strip().splitlines()[-1])
    print(f"engine from {args.root}, index {args.index}, warm={args.warm}")
    for key, value in r.items():
        print(f"  {key:20} {value:10.1f}")


if __name__ == "__main__":
    main()
