"""The searches issue 12 names, run over HTTP on the demo data as a demo teacher would.

    .venv/bin/python bench/demo_queries.py            # this tree
    # before/after: the same script against an older tree (its app package first on the path)
    git worktree add ../before <commit> && PYTHONPATH=../before \\
        .venv/bin/python bench/demo_queries.py --label before

Builds a fresh instance in a temporary folder (SQLite, a Whoosh index on disk), loads the demo
Work Group through the app's own loader, rebuilds the index, signs in as a demo teacher and GETs
/search?q=… for each query. Prints a Markdown table: results, the first result's title, and
the page's note. Nothing here is asserted: tests/core/test_query_understanding.py does that.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import tempfile
from pathlib import Path

#: The issue's named failing searches, then a few more of the same kinds.
QUERIES = (
    "what did we do for equivalent fractions last year?",
    "angles in polygons",
    "number bonds to 10",
    "area of rectilinear shapes",
    "telling the time analogue clock",
    "Counting in fours is the 4 times table",
    "3NF2",
    "3NF-2",
    "3nf–2",
    "dividing",
    "partitioning 2-digit numbers",
    "year 4",
    "year 4 times tables",
    "three quarters",
    "equivalent fractions this year",
    "how do I teach simplifying fractions",
    "equivelant fractions",
    "colour:red fractions",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="this tree")
    parser.add_argument("--email", default="r.kettlewell@wrenfield.example.org",
                        help="the demo account to search as")
    args = parser.parse_args()
    sys.path.append(str(Path(__file__).resolve().parent.parent))  # after PYTHONPATH
    from app import create_app
    from app.demo.loader import DEMO_PASSWORD

    with tempfile.TemporaryDirectory(prefix="coplan-demo-") as tmp:
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/demo.sqlite",
            "SEARCH_INDEX_DIR": f"{tmp}/search-index", "SEARCH_INDEXER": "off",
            "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "SECRET_KEY": "bench",
            "SERVER_NAME": "localhost",
        })
        runner = app.test_cli_runner()
        for command in (["db", "upgrade"], ["demo", "load"], ["search", "rebuild"]):
            result = runner.invoke(args=command)
            if result.exit_code:
                raise SystemExit(f"flask {' '.join(command)} failed:\n{result.output}")
        client = app.test_client()
        client.get("/login")  # a browser has the login page's session cookie before it posts
        page = client.post("/login", data={"email": args.email, "password": DEMO_PASSWORD})
        if page.status_code >= 400:
            raise SystemExit(f"could not sign in as {args.email}: {page.status_code}")
        print(f"Searches on the demo data as {args.email} ({args.label})\n")
        print("| search | results | first result | note |")
        print("|---|---:|---|---|")
        for text in QUERIES:
            body = client.get("/search", query_string={"q": text}).get_data(as_text=True)
            total = _first(r'<h2 id="results-heading">\s*(?:About )?(\d+) result', body) or "0"
            title = _first(r'<h3[^>]*><a [^>]*>(.*?)</a>', body) or "-"
            note = _first(r'<p class="panel" role="status">(.*?)</p>', body) or ""
            print(f"| {text} | {total} | {title} | {note} |")


def _first(pattern: str, body: str) -> str | None:
    m = re.search(pattern, body, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip() if m else None


if __name__ == "__main__":
    main()
