"""The import-linter contracts in pyproject.toml hold, and break on a real violation."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(),
                                reason="import-linter not installed (pip install -e '.[dev]')")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def _copy(tmp_path: Path) -> Path:
    """The app's Python files and pyproject.toml, to break without touching the real tree."""
    shutil.copytree(ROOT / "app", tmp_path / "app",
                    ignore=shutil.ignore_patterns("static", "templates", "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_contracts_hold():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("core/text.py", "import flask", "app.core is plain Python"),
    ("core/diffing.py", "from app import errors", "app.core is plain Python"),
    ("reviews/permissions.py", "from app.planning import routes",
     "never import the planning feature's"),
    ("search/services.py", "import whoosh", "Only app.core.search imports Whoosh"),
    ("core/search/analysis.py", "import sqlalchemy", "app.core is plain Python"),
])
def test_a_violation_breaks_the_build(tmp_path, module, line, contract):
    root = _copy(tmp_path)
    with open(root / "app" / module, "a") as handle:
        handle.write(f"\n{line}  # noqa\n")
    result = _lint(root)
    assert result.returncode == 1
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout
