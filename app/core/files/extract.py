"""The text inside PDF, DOCX and PPTX attachments, for search (issue 15, item 6).

Readers of these formats parse untrusted, compressed, deeply nested input in C and Python; a
crafted file can make them loop, or unpack gigabytes. So the reading happens in a separate,
short-lived Python process (`_extract_worker.py`, run with `-I` and an environment of PATH only)
with an address-space limit (RLIMIT_AS) and a CPU limit, and the parent kills it at a
wall-clock timeout. Whatever goes wrong ends as empty text and a note, never an exception:
the file is still stored and downloadable, it is only not searchable.

A fresh interpreter per file costs ~0.2 s; extraction runs outside the request, so that buys
isolation (no state shared with the app, nothing inherited from a threaded parent) cheaply.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from app.core.files.inspect import DOCX, PDF, PPTX, Refused, detect_type

#: Sensible settings for the app to pass (the parameters have no defaults on purpose).
DEFAULT_MAX_CHARS: Final = 200_000
DEFAULT_TIMEOUT_S: Final = 20.0
DEFAULT_MAX_MEMORY_MB: Final = 512

NOTE_UNREADABLE: Final = "could not read the text of this file"
NOTE_TIMEOUT: Final = f"{NOTE_UNREADABLE}: it took too long"
NOTE_MEMORY: Final = f"{NOTE_UNREADABLE}: it needs too much memory"
NOTE_NO_TEXT: Final = "no text found in this file (a scanned page is a picture, not text)"
NOTE_TRUNCATED: Final = "only the beginning of this file's text is searchable"
NOTE_NOT_COVERED: Final = "text search does not cover this type of file"

_WORKER: Final = Path(__file__).with_name("_extract_worker.py")
_EXIT_OUT_OF_MEMORY: Final = 3
_FORMATS: Final = {PDF: "pdf", DOCX: "docx", PPTX: "pptx"}


@dataclass(frozen=True)
class Extracted:
    """Text to index (possibly empty) and, when it is not the whole text, why."""

    text: str
    note: str | None = None


def extract_text(data: bytes, kind: str, *, max_chars: int, timeout_s: float,
                 max_memory_mb: int) -> Extracted:
    """The text of a PDF, DOCX or PPTX file, at most `max_chars` characters.

    `kind` is the file's `Inspected.kind`; the reader is chosen from the content (a "document"
    may be DOCX or ODT). `max_memory_mb` bounds the child's whole address space, interpreter
    included (~60 MB of it); `timeout_s` is wall-clock time.
    """
    if kind not in {"pdf", "document", "slides"}:
        # Pictures and spreadsheets have no reader: not even their ZIP directory is parsed.
        return Extracted("", NOTE_NOT_COVERED)
    # The same content checks as on upload (a ZIP's size and ratio bounds included): a blob
    # stored before a rule changed is judged by today's rules.
    decided = detect_type(data)
    if isinstance(decided, Refused):
        return Extracted("", NOTE_UNREADABLE)
    fmt = _FORMATS.get(decided)
    if fmt is None:
        return Extracted("", NOTE_NOT_COVERED)
    return run_worker(fmt, data, max_chars=max_chars, timeout_s=timeout_s,
                      max_memory_mb=max_memory_mb)


def run_worker(fmt: str, data: bytes, *, max_chars: int, timeout_s: float,
               max_memory_mb: int) -> Extracted:
    """Read `data` as `fmt` ("pdf", "docx", "pptx") in a limited child process."""
    command = worker_command(fmt, max_chars=max_chars, max_memory_mb=max_memory_mb,
                             cpu_seconds=math.ceil(timeout_s) + 1)
    try:
        finished = subprocess.run(command, input=data, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, timeout=timeout_s, check=False,
                                  env=worker_env())
    except subprocess.TimeoutExpired:
        return Extracted("", NOTE_TIMEOUT)  # run() has killed and reaped the child.
    except OSError:
        return Extracted("", NOTE_UNREADABLE)
    if finished.returncode == _EXIT_OUT_OF_MEMORY:
        return Extracted("", NOTE_MEMORY)
    if finished.returncode != 0:
        return Extracted("", NOTE_UNREADABLE)
    text = finished.stdout.decode("utf-8", "replace")
    if len(text) > max_chars:
        return Extracted(text[:max_chars], NOTE_TRUNCATED)
    return Extracted(text, None if text else NOTE_NO_TEXT)


def worker_command(fmt: str, *, max_chars: int, max_memory_mb: int,
                   cpu_seconds: int) -> list[str]:
    """The child's command line: this Python, isolated (-I) and writing no bytecode (-B).

    -I also keeps the script's folder off `sys.path` (3.11's -P), so this package's
    `inspect.py` cannot shadow the standard library's `inspect` in the child.
    """
    return [sys.executable, "-I", "-B", str(_WORKER), fmt, str(max_chars), str(max_memory_mb),
            str(cpu_seconds)]


def worker_env() -> dict[str, str]:
    """The child's whole environment: PATH only.

    -I makes Python ignore PYTHON* variables but still hands the rest of the app's environment
    (secret keys, database URLs) to `os.environ`; a reader that can be made to run code must
    find none of it. The readers need no locale: the text goes out as bytes.
    """
    return {"PATH": os.environ.get("PATH", os.defpath)}
