"""Rendering and diffing any one field of pathological text must stay cheap.

Each input is at most 100,000 characters (MAX_FIELD_CHARS, the longest field a form accepts)
and once took several seconds to minutes, growing with the square of its length. A fixed time
limit fails on a busy machine, so each test checks growth instead: four times the text may
cost at most nine times the CPU (linear work costs four times, quadratic sixteen), plus a
generous absolute cap. bench/bench_pathological.py times many more shapes at larger sizes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from app.core.diffing import diff_snapshots, merge_snapshots
from app.core.markdown import render_markdown

#: CPU seconds no input may reach even on a slow machine (the worst once took minutes).
LIMIT_SECONDS = 10.0
#: Largest cost ratio between SIZE and SIZE / 4 characters (linear is 4, quadratic 16).
MAX_GROWTH = 9.0
#: Below this, a time is too small to compare (it counts as this much).
FLOOR_SECONDS = 0.05
SIZE = 100_000


def _repeat(unit: str, size: int = SIZE) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _cpu_seconds(work: Callable[[], object], runs: int = 3) -> float:
    """The least CPU time of a few runs (a loaded machine's cache misses inflate single runs;
    what grows with the input shows in every run)."""
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
        if best > LIMIT_SECONDS:
            break
    return best


def assert_linear(work: Callable[[int], object]) -> None:
    """`work(size)` costs at most about linearly more at SIZE than at SIZE / 4."""
    small = max(_cpu_seconds(lambda: work(SIZE // 4)), FLOOR_SECONDS)
    big = _cpu_seconds(lambda: work(SIZE))
    assert big < LIMIT_SECONDS and big <= MAX_GROWTH * small, (small, big)


RENDER_INPUTS: dict[str, Callable[[int], str]] = {
    # quadratic in the sanitiser's walker
    "table rows": lambda n: ("|a|b|\n|-|-|\n" + _repeat("|x|y|\n", n))[:n],
    "task items": lambda n: _repeat("- [ ] x\n", n),  # quadratic in the task-list plugin
    # 2.6 MB of HTML to sanitise at full size
    "footnote refs": lambda n: _repeat("[^a] ", n - 10) + "\n\n[^a]: x\n",
    "angle brackets": lambda n: "<" * n,  # 100,000 character references to sanitise
    "wiki links": lambda n: _repeat("[[x]]", n),
    "inline maths": lambda n: _repeat("$a", n),
}


@pytest.mark.parametrize("name", RENDER_INPUTS)
def test_render_is_bounded(name: str) -> None:
    make = RENDER_INPUTS[name]
    assert len(make(SIZE)) <= SIZE  # within the field limit: the markup budget must do the work
    assert_linear(lambda n: render_markdown(make(n)))


DIFF_INPUTS = {
    "display maths fences": "$$\n",
    "table rows": "|x|y|\n",
    "horizontal rules": "***\n",
}


@pytest.mark.parametrize("name", DIFF_INPUTS)
def test_diff_of_a_small_edit_to_repeated_lines_is_bounded(name: str) -> None:
    fields = [("f", "F")]

    def diff(size: int):
        text = _repeat(DIFF_INPUTS[name], size)
        edited = text[: size // 2] + "Z" + text[size // 2 :]
        return diff_snapshots({"f": text}, {"f": edited}, fields)

    assert_linear(diff)
    # Still a precise diff: only the edited line differs.
    assert str(diff(SIZE)[0].inline_html).count("<ins>") == 1


@pytest.mark.parametrize("name", DIFF_INPUTS)
def test_merge_of_repeated_lines_is_bounded(name: str) -> None:
    def merge(size: int):
        text = _repeat(DIFF_INPUTS[name], size)
        return merge_snapshots({"f": text}, {"f": "A\n" + text}, {"f": text[::-1]})

    assert_linear(merge)
