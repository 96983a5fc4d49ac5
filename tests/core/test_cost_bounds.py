"""Rendering and diffing any one field of pathological text must stay cheap.

Each input is at most 100,000 characters (MAX_FIELD_CHARS, the longest field a form accepts)
and once took several seconds to minutes; the bounds here are generous so a busy test machine
does not fail them. bench/bench_pathological.py times many more shapes at larger sizes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from app.core.diffing import diff_snapshots, merge_snapshots
from app.core.markdown import render_markdown

LIMIT_SECONDS = 2.0
SIZE = 100_000


def _repeat(unit: str, size: int = SIZE) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _cpu_seconds(work: Callable[[], object]) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


RENDER_INPUTS = {
    # quadratic in the sanitiser's walker
    "table rows": ("|a|b|\n|-|-|\n" + _repeat("|x|y|\n"))[:SIZE],
    "task items": _repeat("- [ ] x\n"),  # quadratic in the task-list plugin
    "footnote refs": _repeat("[^a] ", SIZE - 10) + "\n\n[^a]: x\n",  # 2.6 MB of HTML to sanitise
    "angle brackets": "<" * SIZE,  # 100,000 character references to sanitise
    "wiki links": _repeat("[[x]]"),
    "inline maths": _repeat("$a"),
}


@pytest.mark.parametrize("name", RENDER_INPUTS)
def test_render_is_bounded(name: str) -> None:
    text = RENDER_INPUTS[name]
    assert len(text) <= SIZE  # within the field limit: the markup budget must do the work
    assert _cpu_seconds(lambda: render_markdown(text)) < LIMIT_SECONDS


DIFF_INPUTS = {
    "display maths fences": _repeat("$$\n"),
    "table rows": _repeat("|x|y|\n"),
    "horizontal rules": _repeat("***\n"),
}


@pytest.mark.parametrize("name", DIFF_INPUTS)
def test_diff_of_a_small_edit_to_repeated_lines_is_bounded(name: str) -> None:
    text = DIFF_INPUTS[name]
    edited = text[: SIZE // 2] + "Z" + text[SIZE // 2 :]
    fields = [("f", "F")]
    assert _cpu_seconds(lambda: diff_snapshots({"f": text}, {"f": edited}, fields)) < LIMIT_SECONDS
    changes = diff_snapshots({"f": text}, {"f": edited}, fields)
    # Still a precise diff: only the edited line differs.
    assert str(changes[0].inline_html).count("<ins>") == 1


@pytest.mark.parametrize("name", DIFF_INPUTS)
def test_merge_of_repeated_lines_is_bounded(name: str) -> None:
    text = DIFF_INPUTS[name]
    mine, theirs = "A\n" + text, text[::-1]
    assert _cpu_seconds(lambda: merge_snapshots({"f": text}, {"f": mine}, {"f": theirs})) \
        < LIMIT_SECONDS
