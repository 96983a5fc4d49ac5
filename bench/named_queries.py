"""The queries issue 12 names as failing: result count and top result on this tree's engine.

Run on HEAD:     .venv/bin/python bench/named_queries.py
Run on a commit: git worktree add ../before a982945
                 PYTHONPATH=../before .venv/bin/python bench/named_queries.py
(PYTHONPATH comes before this checkout on sys.path, so the engine measured is that tree's.)

Documents are the relevance benchmark's (bench/relevance_corpus.py); "grade" is the top
result's grade under bench/relevance_judged.py's rule (0 = not relevant, "-" = no result).
Prints a Markdown table.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
for _path in (str(BENCH), str(BENCH.parent)):
    if _path not in sys.path:
        sys.path.append(_path)

from relevance import Coplan, coplan_takes_today  # noqa: E402  (bench/ is not a package)
from relevance_corpus import documents  # noqa: E402
from relevance_judged import QUERIES, Judged, judgements  # noqa: E402

#: Issue 12's named queries, plus the dashed code that already worked and an en-dash form.
NAMED: tuple[Judged, ...] = (
    *(q for q in QUERIES if q.named),
    Judged("3NF-2", "named", rtp="3NF-2"),
    Judged("3NF\u20132", "named", rtp="3NF-2"),
)


def main() -> int:
    import app

    docs = documents()
    titles = {str(d["key"]): str(d["title"]) for d in docs}
    judged = judgements(docs, NAMED)
    print(f"engine: {Path(app.__file__).resolve().parent.parent}; {len(docs)} documents; "
          f"today= {'passed' if coplan_takes_today() else 'not supported'}\n")
    print("| query | results | top result | grade |")
    print("|---|---:|---|---:|")
    with tempfile.TemporaryDirectory(prefix="named-queries-") as tmp:
        engine = Coplan(docs, Path(tmp))
        for q in NAMED:
            keys, total = engine.search(q.text)
            top = titles[keys[0]] if keys else "-"
            top_grade = str(judged[q.text].get(keys[0], 0)) if keys else "-"
            print(f"| {q.text} | {total} | {top} | {top_grade} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
