"""Checking what people type about research lessons: limits, pupil codes, no pupil names."""

from __future__ import annotations

import re
from typing import Any

from app.core.markdown import clean_text

#: Longest text any free-text field may hold; longer gets a field error with the text kept.
MAX_TEXT = 10_000
#: An agreed change or a reason for declining one is a sentence or two, not an essay.
MAX_CHANGE = 2_000
#: Rows a form may post: far more than any lesson has, few enough to bound the work.
MAX_PUPILS = 12
MAX_NOTICINGS = 60

CODE_RE = re.compile(r"[A-Z0-9]{1,3}")
CODE_MESSAGE = ("Pupils are recorded by code only (A, B, C), never by name: use 1 to 3 capital "
                "letters or digits, such as A, B2 or C.")
NAME_MESSAGE = ("Pupils are recorded by code only (A, B, C), never by name: this looks like it "
                "names a pupil. Use their code instead.")
#: Phrases that introduce a child's name ("a girl called Maya", "the pupil's name is …"). A
#: heuristic, deliberately narrow so ordinary maths text is never refused.
_NAMING_RE = re.compile(
    r"\b(?i:pupil|child|student|boy|girl)s?\s+(?i:called|named)\s+[A-Z]"
    r"|\b(?i:pupil|child|student|boy|girl)(?:'s|s'|s)?\s+(?i:names?)\s+(?i:is|are|was|were)\b")
#: Minute into the lesson ("12") or a clock time ("10:15").
AT_RE = re.compile(r"\d{1,3}|(?:[01]?\d|2[0-3]):[0-5]\d")


def text(data: dict[str, Any], key: str, label: str, errors: dict[str, str], *,
         limit: int = MAX_TEXT, required: str = "", pupils: bool = False) -> str:
    """A cleaned text field; adds a field error when missing, too long or naming a pupil.

    The value is returned even when it is wrong, so the form can show it again.
    """
    value = clean_text(str(data.get(key) or "")).strip()
    if required and not value:
        errors[key] = required
    elif len(value) > limit:
        errors[key] = (f"{label} is too long: {len(value):,} characters; the limit is "
                       f"{limit:,}. Shorten it and save again.")
    elif pupils and names_a_pupil(value):
        errors[key] = NAME_MESSAGE
    return value


def names_a_pupil(value: str) -> bool:
    return bool(_NAMING_RE.search(value))


def pupil_code(value: str) -> bool:
    """True for a code such as A, B2 or C (1–3 capital letters or digits, nothing else)."""
    return bool(CODE_RE.fullmatch(value))


def pupil_rows(rows: list[dict[str, Any]], errors: dict[str, str],
               fields: tuple[tuple[str, str], ...], too_many: str,
               limit: int = MAX_TEXT) -> list[dict[str, str]]:
    """Focus-pupil rows (pupils-<i>-code and `fields`): codes only, each once, notes that name
    nobody; blank rows dropped. Shared by the teacher's planned pupils and each observer's."""
    if len(rows) > MAX_PUPILS:
        errors["pupils"] = f"{too_many} at most {MAX_PUPILS} focus pupils."
        return []
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        prefix = f"pupils-{index}-"
        row_errors: dict[str, str] = {}
        values = {key: text(row, key, label, row_errors, limit=limit, pupils=True)
                  for key, label in fields}
        code = str(row.get("code") or "").strip()
        if not code and not any(values.values()):
            continue  # a blank row
        errors.update({prefix + k: v for k, v in row_errors.items()})
        if not pupil_code(code):
            errors[prefix + "code"] = CODE_MESSAGE if code else \
                "Give this focus pupil a code such as A, B or C (never a name)."
        elif code in seen:
            errors[prefix + "code"] = f"Code {code} is used twice: give each pupil their own."
        seen.add(code)
        out.append({"code": code, **values})
    return out
