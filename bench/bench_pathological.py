"""Time the per-field work of a save on pathological inputs (rendering, diffing, merging).

Re-run with:  .venv/bin/python bench/bench_pathological.py [--sizes 100000,1000000]
                                                           [--only NAME] [--timeout 60]

Each input is a single field's text, built to stress one corner of the Markdown parser, the
sanitiser, wiki-link extraction or the diff engine. Every (input, operation) pair runs in its
own child process with a timeout, so a super-linear case is reported as "> N s" instead of
hanging the script (the timeout counts the child's start and imports too, several seconds on a
busy machine: a ">" cell is only a finding if it stays with a longer --timeout).

Target (issue 16 item 6): every save and every page render of any input the size limits allow
(MAX_FIELD_CHARS = MAX_PLAN_CHARS = 100,000 characters, app/planning/fields.py) finishes in
at most 2 s of CPU. Sizes above 100,000 show growth only: render_markdown shows longer text as
written. tests/test_pathological_input.py checks the same families through HTTP saves and pages.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _repeat(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


# name -> builder(size) -> text of about `size` characters
INPUTS: dict[str, Callable[[int], str]] = {
    "nested >": lambda n: ">" * (n - 2) + " x",
    "nested > lines": lambda n: "".join(">" * i + " x\n" for i in range(1, 2000))[:n],
    "nested lists": lambda n: _repeat("- ", n - 1) + "x",
    "nested list+quote": lambda n: "".join("  " * (i % 300) + "> - x\n"
                                           for i in range(n // 250))[:n],
    "10,000 list items": lambda n: "".join(f"- item {i}\n" for i in range(n // 9))[:n],
    "list indent": lambda n: "".join(" " * (2 * i) + "- x\n" for i in range(400))[:n],
    "[ * N": lambda n: "[" * n,
    "[x]( * N": lambda n: _repeat("[x](", n),
    "* * N": lambda n: "*" * n,
    "*a * N": lambda n: _repeat("*a", n),
    "_a * N": lambda n: _repeat("_a", n),
    "a_ * N": lambda n: _repeat("a_ ", n),
    "** a * N": lambda n: _repeat("**a ", n),
    "~~ * N": lambda n: _repeat("~~a", n),
    "` * N": lambda n: "`" * n,
    "`a * N": lambda n: _repeat("`a", n),
    "``a` * N": lambda n: _repeat("``a`", n),
    "$ * N": lambda n: "$" * n,
    "$a * N": lambda n: _repeat("$a", n),
    "$x^2$ * N": lambda n: _repeat("$x^2$ ", n),
    "$$ * N": lambda n: _repeat("$$\n", n),
    "{ nest $": lambda n: "$" + "{" * (n // 2 - 1) + "}" * (n // 2 - 1) + "$",
    "[[x]] * N": lambda n: _repeat("[[x]]", n),
    "[[ * N": lambda n: _repeat("[[", n),
    "[^ * N": lambda n: _repeat("[^", n),
    "[[x] * N": lambda n: _repeat("[[x]", n),
    "[ * N then ]": lambda n: "[" * (n - 1) + "]",
    "[ * N/2 ] * N/2": lambda n: "[" * (n // 2) + "]" * (n // 2),
    "[[S n]] distinct": lambda n: "".join(f"[[Sequence {i}]] " for i in range(n // 17))[:n],
    "[[pd:x|y]] * N": lambda n: _repeat("[[pd:x|y]] ", n),
    "< * N": lambda n: "<" * n,
    "<a * N": lambda n: _repeat("<a ", n),
    "&# * N": lambda n: _repeat("&#", n),
    "&#1; * N": lambda n: _repeat("&#123;", n),
    "&amp * N": lambda n: _repeat("&amp", n),
    "long word": lambda n: "a" * n,
    "long words line": lambda n: _repeat("abcdefghij ", n),
    "\\ * N": lambda n: "\\" * n,
    "\\* * N": lambda n: _repeat("\\*", n),
    "table cols": lambda n: "|" + "a|" * (n // 6) + "\n|" + "-|" * (n // 6) + "\n",
    # Within n characters (the header counts): over 100,000 would be shown as written.
    "table rows": lambda n: "|a|b|\n|-|-|\n" + _repeat("|x|y|\n", n - 12),
    "table 100 cols": lambda n: ("|" + "a|" * 100 + "\n|" + "-|" * 100 + "\n")
    + _repeat("|" + "x|" * 100 + "\n", n - 404),
    "footnote refs": lambda n: _repeat("[^a] ", n - 10) + "\n\n[^a]: x\n",
    "footnote defs": lambda n: _repeat("[^a]: x\n", n),
    "link refs": lambda n: "".join(f"[a{i}]: /x\n" for i in range(n // 10))[:n],
    "ref uses": lambda n: "[a]: /x\n\n" + _repeat("[a] ", n - 9),
    "headings": lambda n: _repeat("# x\n", n),
    "hr": lambda n: _repeat("***\n", n),
    "blank lines": lambda n: "\n" * n,
    "task items": lambda n: _repeat("- [ ] x\n", n),
    "{{ * N": lambda n: _repeat("{{", n),
    "{{a*b}} * N": lambda n: _repeat("{{a*b}} ", n),
    "{% * N": lambda n: _repeat("{%", n),
    "numbered list": lambda n: "".join(f"{i}. x\n" for i in range(n // 5))[:n],
    "prose": lambda n: _repeat("The pupils *compare* fractions with a **bar model**. ", n),
}


def _render(text: str) -> None:
    from app.core.markdown import render_markdown

    render_markdown(text)


def _links(text: str) -> None:
    from app.core.markdown import extract_links

    extract_links(text)


def _diff_from_empty(text: str) -> None:
    from app.core.diffing import diff_snapshots

    diff_snapshots({"f": ""}, {"f": text}, [("f", "F")])


def _diff_edit(text: str) -> None:
    # A small edit in the middle: the realistic compare-two-versions case.
    from app.core.diffing import diff_snapshots

    middle = len(text) // 2
    diff_snapshots({"f": text}, {"f": text[:middle] + "Z" + text[middle:]}, [("f", "F")])


def _diff_rewrite(text: str) -> None:
    # Same characters in a different order: every line replaced.
    from app.core.diffing import diff_snapshots

    diff_snapshots({"f": text}, {"f": text[::-1]}, [("f", "F")])


def _merge(text: str) -> None:
    from app.core.diffing import merge_snapshots

    merge_snapshots({"f": text}, {"f": "A" + text}, {"f": text[::-1]})


OPERATIONS: dict[str, Callable[[str], None]] = {
    "render": _render,
    "links": _links,
    "diff+": _diff_from_empty,
    "diff~": _diff_edit,
    "diffR": _diff_rewrite,
    "merge": _merge,
}


def _child(name: str, size: int, op: str, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    sys.setrecursionlimit(10_000)
    text = INPUTS[name](size)
    OPERATIONS[op]("warm *up* $x$")  # import and build the parser outside the timing
    start = time.process_time()
    try:
        OPERATIONS[op](text)
        queue.put(("ok", time.process_time() - start))
    except BaseException as exc:  # noqa: BLE001 - report, do not crash the bench
        queue.put(("error", f"{type(exc).__name__}: {str(exc)[:60]}"))


def time_one(name: str, size: int, op: str, timeout: float) -> str:
    queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    process = mp.Process(target=_child, args=(name, size, op, queue))
    process.start()
    process.join(timeout)
    if process.is_alive():
        process.kill()
        process.join()
        return f">{timeout:.0f}s"
    if queue.empty():
        return f"died({process.exitcode})"
    status, value = queue.get()
    return f"{value:.2f}s" if status == "ok" else f"ERR {value}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--only", default="", help="substring of input names to run")
    parser.add_argument("--ops", default=",".join(OPERATIONS))
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    ops = args.ops.split(",")
    print(f"{'input':<18}{'size':>9}  " + "".join(f"{op:>10}" for op in ops), flush=True)
    for name in INPUTS:
        if args.only and args.only not in name:
            continue
        for size in sizes:
            cells = [time_one(name, size, op, args.timeout) for op in ops]
            print(f"{name:<18}{size:>9}  " + "".join(f"{c:>10}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
