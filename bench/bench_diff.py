"""Benchmark the text diff engine on a 2,000-line lesson with 50 scattered edits.

Re-run with:  .venv/bin/python bench/bench_diff.py

The target is well under 100 ms per comparison. The engine is loaded straight from its file so
this script needs neither Flask nor the rest of the app.
"""

from __future__ import annotations

import importlib.util
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
LINES = 2000
EDITS = 50
RUNS = 50
SEED = 20240611

WORDS = (
    "pupils children teacher class lesson fraction fractions numerator denominator equivalent "
    "whole part parts equal unequal bar model number line place value tens ones hundreds "
    "thousands decimal decimals multiply divide multiplication division times table factor "
    "multiple remainder array partition exchange regroup column method add subtract sum "
    "difference compare greater less than estimate reason explain prove convince generalise "
    "represent concrete pictorial abstract manipulatives counters cubes dienes rods ask notice "
    "wonder misconception fluency variation procedural conceptual small steps ping pong "
    "stem sentence I know that because so therefore the a an of to and in is are it this "
    "each how many what why which same different pattern shape angle area perimeter length "
    "metre centimetre gram kilogram litre millilitre hour minute second calendar coins pounds "
    "pence pattern sequence term rule check show work independently pairs groups discuss "
    "starter plenary assessment feedback worked example your turn deepen challenge"
).split()
HEADINGS = ("## Starter", "## Main teaching", "## Independent practice", "## Plenary")


def load_diffing() -> ModuleType:
    """Import app/core/diffing.py by path, so app/__init__.py (and Flask) are not imported."""
    path = ROOT / "app" / "core" / "diffing.py"
    spec = importlib.util.spec_from_file_location("coplan_diffing", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def sentence(rng: random.Random, words: int = 12) -> str:
    """A line of about ``words`` teaching words, sometimes a bullet, with punctuation."""
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    text = text[0].upper() + text[1:] + rng.choice(".?!:")
    return rng.choice(("", "", "", "- ", "1. ", "> ")) + text


def build_lesson(rng: random.Random) -> list[str]:
    """Markdown-like lesson: headings, blank lines between paragraphs, list items."""
    lines: list[str] = []
    while len(lines) < LINES:
        roll = rng.random()
        if roll < 0.03:
            lines += ["", rng.choice(HEADINGS), ""]
        elif roll < 0.20:
            lines.append("")
        else:
            lines.append(sentence(rng, rng.randint(8, 16)))
    return lines[:LINES]


def edit(rng: random.Random, lines: list[str]) -> list[str]:
    """Apply EDITS scattered edits: word swaps, word insertions, line inserts and deletes."""
    lines = list(lines)
    for _ in range(EDITS):
        at = rng.randrange(len(lines))
        roll = rng.random()
        words = lines[at].split(" ")
        if roll < 0.5 and len(words) > 2:
            words[rng.randrange(len(words))] = rng.choice(WORDS)
            lines[at] = " ".join(words)
        elif roll < 0.7 and len(words) > 2:
            words.insert(rng.randrange(len(words)), rng.choice(WORDS))
            lines[at] = " ".join(words)
        elif roll < 0.85:
            lines.insert(at, sentence(rng))
        else:
            del lines[at]
    return lines


def timed(function: Callable[[], object], runs: int = RUNS) -> list[float]:
    """Wall-clock milliseconds of each run."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(name: str, times: list[float]) -> None:
    """Print median and 95th percentile."""
    p95 = statistics.quantiles(times, n=20, method="inclusive")[18]
    print(f"{name:<22} median {statistics.median(times):7.2f} ms   p95 {p95:7.2f} ms")


def main() -> None:
    """Build the texts, time the diff functions and print the figures."""
    diffing = load_diffing()
    rng = random.Random(SEED)
    base_lines = build_lesson(rng)
    old = "\n".join(base_lines) + "\n"
    new = "\n".join(edit(rng, base_lines)) + "\n"
    theirs = "\n".join(edit(rng, base_lines)) + "\n"
    words = len(old.split())
    print(f"Lesson: {LINES} lines, {words} words, {EDITS} edits; {RUNS} runs each")
    report("inline_diff_html", timed(lambda: diffing.inline_diff_html(old, new)))
    report("side_by_side_html", timed(lambda: diffing.side_by_side_html(old, new)))
    report(
        "merge_snapshots",
        timed(lambda: diffing.merge_snapshots({"body": old}, {"body": new}, {"body": theirs})),
    )
    print("Re-run: .venv/bin/python bench/bench_diff.py")


if __name__ == "__main__":
    main()
