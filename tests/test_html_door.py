"""One HTML door: only app.core.markdown (and the search snippet builder) makes SafeHtml.

ruff's banned-api rule (pyproject.toml) stops `Markup` imports in Python; templates are not
linted by ruff, so this file scans them, and scans app/ for SafeHtml built outside the door.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.core import markdown as md
from app.core.diffing import inline_diff_html, side_by_side_html
from app.core.markdown import LinkTarget, SafeHtml, render_markdown

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
#: The modules allowed to construct SafeHtml: the renderer family and the snippet builder.
DOOR_MODULES = frozenset({"app/core/markdown.py", "app/core/search/snippets.py"})

_TEMPLATE_BYPASS_RE = re.compile(r"\|\s*safe\b|autoescape\s+(?i:false)|\bMarkup\b")


def template_bypasses(templates: Path) -> list[str]:
    """'file:line: text' for every way a template could print unescaped HTML by itself."""
    found = []
    for path in sorted(p for p in templates.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            if _TEMPLATE_BYPASS_RE.search(line):
                found.append(f"{path.relative_to(templates.parent)}:{number}: {line.strip()}")
    return found


def door_bypasses(root: Path, door: frozenset[str] = DOOR_MODULES) -> list[str]:
    """'file:line: what' for SafeHtml built, subclassed or `__html__` defined outside the door."""
    found = []
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root.parent).as_posix()
        if name in door:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=name)
        here: list[tuple[int, str]] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _names_safe_html(node.func):
                here.append((node.lineno, "SafeHtml(...) outside the HTML door"))
            elif isinstance(node, ast.ClassDef) and any(map(_names_safe_html, node.bases)):
                here.append((node.lineno, "subclass of SafeHtml"))
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
                    and node.name == "__html__":
                here.append((node.lineno, "__html__ makes Jinja skip escaping"))
            elif isinstance(node, ast.ImportFrom) and any(
                    a.name == "SafeHtml" and a.asname not in (None, "SafeHtml")
                    for a in node.names):
                here.append((node.lineno, "SafeHtml imported under another name"))
        found += [f"{name}:{line}: {what}" for line, what in sorted(here)]
    return found


def _names_safe_html(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "SafeHtml") or (
        isinstance(node, ast.Attribute) and node.attr == "SafeHtml")


def test_no_template_prints_html_unescaped() -> None:
    assert template_bypasses(APP / "templates") == []


def test_no_code_outside_the_door_builds_safe_html() -> None:
    assert door_bypasses(APP) == []


def test_every_door_module_builds_safe_html() -> None:
    """A door entry left behind by a move or rename would exempt a file that no longer exists."""
    builders = {found.split(":")[0] for found in door_bypasses(APP, frozenset())}
    assert builders == DOOR_MODULES


def test_the_template_scan_names_file_and_line(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    (templates / "x").mkdir(parents=True)
    (templates / "x" / "a.html").write_text("<p>{{ a }}</p>\n<p>{{ b|safe }}</p>\n")
    (templates / "b.html").write_text("{% autoescape false %}{{ c }}{% endautoescape %}\n")
    (templates / "c.html").write_text("{{ d | safe }}\n{{ Markup(e) }}\n")
    assert template_bypasses(templates) == [
        "templates/b.html:1: {% autoescape false %}{{ c }}{% endautoescape %}",
        "templates/c.html:1: {{ d | safe }}",
        "templates/c.html:2: {{ Markup(e) }}",
        "templates/x/a.html:2: <p>{{ b|safe }}</p>",
    ]


def test_the_code_scan_names_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "app"
    (root / "core").mkdir(parents=True)
    (root / "core" / "markdown.py").write_text("x = SafeHtml('<b>')\n")
    (root / "views.py").write_text(
        "from app.core import markdown\n"
        "a = markdown.SafeHtml('<b>')\n"
        "class Sneaky(SafeHtml):\n    pass\n"
        "class Html:\n    def __html__(self):\n        return '<b>'\n"
        "from app.core.markdown import SafeHtml as S\n"
    )
    assert door_bypasses(root, frozenset({"app/core/markdown.py"})) == [
        "app/views.py:2: SafeHtml(...) outside the HTML door",
        "app/views.py:3: subclass of SafeHtml",
        "app/views.py:6: __html__ makes Jinja skip escaping",
        "app/views.py:8: SafeHtml imported under another name",
    ]


@pytest.mark.skipif(shutil.which("ruff", path=str(Path(sys.executable).parent)) is None,
                    reason="ruff is not installed next to this Python")
@pytest.mark.parametrize("source", [
    "from markupsafe import Markup\n",
    "import markupsafe\nx = markupsafe.Markup('<b>')\n",
    "from jinja2.utils import markupsafe\n",
])
def test_ruff_bans_markup_outside_the_door(source: str) -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff is not None

    def check(filename: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ruff, "check", "--no-cache", "--select", "TID251", "--stdin-filename", filename, "-"],
            input=source, capture_output=True, text=True, cwd=ROOT, check=False)

    outside = check("app/planning/views.py")
    assert outside.returncode == 1 and "TID251" in outside.stdout
    assert check("app/core/markdown.py").returncode == 0


def test_every_producer_returns_the_door_type() -> None:
    """Templates print these as-is, so each must be the door's own type, not a bare Markup.

    (Search snippets: tests/core/test_search_index.py checks hit.snippet is SafeHtml.)
    """
    produced = [
        render_markdown("**bold** [[Fractions]]"),
        render_markdown("x" * (md.MAX_RENDER_CHARS + 1)),
        md.resolve_links(render_markdown("[[Fractions]]"), lambda kind, t: LinkTarget("/p/1")),
        md.rewrap_stored("<p>stored</p>"),
        md.mark_mentions(render_markdown("hi @Jo"), ["@Jo"]),
        md.diff_html([("=", "a"), ("-", "b"), ("+", "c")]),
        inline_diff_html("a b", "a c"),
        side_by_side_html("a\n", "b\n")[0].old_html,
    ]
    assert [type(value) for value in produced] == [SafeHtml] * len(produced)


def test_derived_values_stay_escaped() -> None:
    """Joining text onto door HTML escapes the text (Markup's rules carry over)."""
    joined = render_markdown("a") + "<script>"
    assert type(joined) is SafeHtml
    assert "<script>" not in joined and "&lt;script&gt;" in joined
