"""README.md points only at files and folders the repository has, and its `make run` advice
works."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: Made on the machine, never committed: the README says when each appears.
MADE_LOCALLY = ("instance/", ".cache/", ".venv/")


def tracked() -> set[str]:
    """Every file git tracks, and every folder that holds one."""
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("git is needed to list the repository's files")
    files = set(out.split())
    folders = {"/".join(f.split("/")[:n]) for f in files for n in range(1, f.count("/") + 1)}
    return files | folders


def referenced_paths(text: str) -> list[str]:
    """Markdown link targets, and path-like words in `code`, that are relative to the checkout
    (not web addresses, site paths such as /lessons/1, wiki links, or placeholders with …)."""
    links = [target for target in re.findall(r"\]\(([^)\s]+)\)", text)
             if not re.match(r"[a-z][a-z0-9+.-]*:|#|/", target)]
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.M | re.S)
    prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    spans = blocks + re.findall(r"`([^`\n]+)`", prose)
    words = [word.lstrip("('\"").rstrip(".,;:)'\"") for span in spans if "[[" not in span
             for word in span.split()]
    paths = [word for word in words if "/" in word and not re.match(r"[a-z][a-z0-9+.-]*:|/", word)
             and not any(mark in word for mark in ("…", "*", "<", "=", "://"))]
    return [target.split("#")[0] for target in links] + paths


def test_every_relative_link_and_path_in_the_readme_exists():
    known = tracked()
    missing = sorted({path for path in referenced_paths(README)
                      if not path.startswith(MADE_LOCALLY)
                      and path.rstrip("/") not in known})
    assert missing == []


def test_the_checker_notices_a_missing_folder_and_a_link_out_of_the_repository():
    found = referenced_paths("See [the design](../shared/architecture.md), `docs/`, "
                             "`app/core/`, [issue](https://example.org/x) and `/lessons/1`.")
    assert found == ["../shared/architecture.md", "docs/", "app/core/"]
    assert "docs" not in tracked() and "../shared/architecture.md" not in tracked()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_serves_on_the_host_and_port_the_readme_says():
    assert "`make run HOST=0.0.0.0 PORT=8000`" in README
    plan = subprocess.run(["make", "-n", "run", "HOST=0.0.0.0", "PORT=8000"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout
    assert "flask run --host 0.0.0.0 --port 8000" in plan
    # make reads HOST and PORT from the environment too: the defaults only without them.
    clean = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT")}
    default = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True,
                             check=True, env=clean).stdout
    assert "flask run --host 127.0.0.1 --port 5000" in default
