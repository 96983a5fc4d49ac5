"""Checks on what teachers type into plans: clear field errors, text always kept."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from app.core.markdown import clean_text
from app.core.text import is_whole_number, one_line
from app.extensions import db
from app.materials.models import Material
from app.planning.fields import (
    LESSON_FIELDS,
    MAX_DURATION,
    MAX_FIELD_CHARS,
    MAX_LINK_NOTE,
    MAX_PLAN_CHARS,
    MAX_TITLE_CHARS,
    MIN_DURATION,
)
from app.planning.reference_data import BIG_IDEAS, RTP_CODES, STRANDS, YEAR_GROUPS

RTP_BY_KEY = {code.replace("–", "-").upper(): code for code in RTP_CODES}
STRAND_CODES = {code for code, _name, _phase in STRANDS}
YEAR_CODES = {code for code, _label in YEAR_GROUPS}
BIG_IDEA_CODES = {code for code, _label in BIG_IDEAS}


def normalise_rtp(code: str) -> str | None:
    """`3NF-2`, `3nf–2` and `3NF—2` all mean the canonical `3NF–2`; None when unknown."""
    key = re.sub(r"\s+", "", code).replace("–", "-").replace("—", "-").upper()
    return RTP_BY_KEY.get(key)


def split_list(raw: str | list[str]) -> list[str]:
    """Comma- or newline-separated input as a list without blanks or repeats."""
    items = raw if isinstance(raw, list) else re.split(r"[,\n;]", raw)
    seen: list[str] = []
    for item in items:
        item = one_line(item)
        if item and item not in seen:
            seen.append(item)
    return seen


def check_title(value: str, errors: dict[str, str]) -> str:
    title = one_line(value)
    if not title:
        errors["title"] = "Enter a title."
    elif len(title) > MAX_TITLE_CHARS:
        errors["title"] = f"Keep the title to {MAX_TITLE_CHARS} characters (it has {len(title)})."
    return title


def check_duration(value: str, errors: dict[str, str]) -> str:
    """Minutes as typed digits ("" when not given); kept as text like every plan field, so
    the three-way merge treats it as one more line."""
    raw = str(value or "").strip()
    if raw and not (is_whole_number(raw) and MIN_DURATION <= int(raw) <= MAX_DURATION):
        errors["duration"] = (f"Enter the duration in whole minutes, from {MIN_DURATION} to "
                              f"{MAX_DURATION}, or leave it empty.")
        return raw
    return str(int(raw)) if raw else ""


#: Lessons one new sequence may start with (a term of daily lessons fits easily).
MAX_STARTING_LESSONS = 60


def lesson_titles(raw: str, errors: dict[str, str]) -> list[str]:
    """"One lesson title per line" from the new-sequence form; blank lines are skipped."""
    titles = [one_line(line) for line in str(raw or "").splitlines()]
    titles = [title for title in titles if title]
    if len(titles) > MAX_STARTING_LESSONS:
        errors["lesson_titles"] = (f"Start with at most {MAX_STARTING_LESSONS} lessons "
                                   f"(there are {len(titles)}); add more from the sequence page.")
    elif any(len(title) > MAX_TITLE_CHARS for title in titles):
        errors["lesson_titles"] = f"Keep each lesson title to {MAX_TITLE_CHARS} characters."
    return titles


def check_text(key: str, label: str, value: str, errors: dict[str, str]) -> str:
    text = clean_text(value)
    if len(text) > MAX_FIELD_CHARS:
        errors[key] = (f"{label} is too long: {len(text):,} characters, the limit is "
                       f"{MAX_FIELD_CHARS:,}. Your text is kept below; shorten it or split it.")
    return text


def lesson_fields(data: dict[str, Any], errors: dict[str, str],
                  current_size: int = 0) -> dict[str, Any]:
    """A lesson snapshot from form data, recording any field errors (`current_size`: the
    saved lesson's text, which a save may keep even when it is over the limit)."""
    fields: dict[str, Any] = {"title": check_title(data.get("title", ""), errors),
                              "duration": check_duration(data.get("duration", ""), errors)}
    for spec in LESSON_FIELDS:
        fields[spec.key] = check_text(spec.key, spec.label, data.get(spec.key, ""), errors)
    check_plan_size([fields[spec.key] for spec in LESSON_FIELDS], "lesson", errors, current_size)
    fields["materials"] = material_links(data.get("materials") or [], errors)
    return fields


def plan_size(fields: dict[str, Any], keys: list[str]) -> int:
    """How many characters of text a plan snapshot holds in its Markdown fields."""
    return sum(len(fields.get(key) or "") for key in keys)


def check_plan_size(texts: list[str], kind: str, errors: dict[str, str],
                    current_size: int = 0) -> None:
    """All of a plan's text together stays within MAX_PLAN_CHARS (a form error otherwise);
    a plan saved before the limit existed may stay as large as it is, but not grow."""
    total = sum(len(text) for text in texts)
    if total > max(MAX_PLAN_CHARS, current_size) and "form" not in errors:
        errors["form"] = (f"This {kind} holds {total:,} characters in all; the limit is "
                          f"{MAX_PLAN_CHARS:,}. Your text is kept below: move some detail into "
                          f"another {kind} or a linked document, then save.")


def material_links(rows: list[dict[str, Any]], errors: dict[str, str]) -> list[dict[str, Any]]:
    """Linked PD materials in the order given: [{material_id, title, note}, ...].

    Rows with no material chosen are dropped; the same material twice keeps the first.
    """
    chosen: list[tuple[int, str]] = []
    for row in rows:
        raw = str(row.get("material_id") or "").strip()
        if not raw:
            continue
        note = one_line(str(row.get("note") or ""))
        if not is_whole_number(raw) or int(raw) > 2**31 - 1:
            errors["materials"] = "Choose PD materials from the list."
            continue
        if len(note) > MAX_LINK_NOTE:
            errors["materials"] = f"Keep each note on a material to {MAX_LINK_NOTE} characters."
        if all(int(raw) != m for m, _ in chosen):
            chosen.append((int(raw), note[:MAX_LINK_NOTE]))
    if not chosen:
        return []
    found = {m.id: m for m in db.session.scalars(select(Material).where(
        Material.id.in_([m for m, _ in chosen]), Material.status == "published"))}
    if len(found) < len(chosen):
        errors["materials"] = "One of the chosen PD materials no longer exists. Choose again."
    return [{"material_id": m, "title": found[m].label, "note": note}
            for m, note in chosen if m in found]


def sequence_fields(data: dict[str, Any], errors: dict[str, str],
                    current_size: int = 0) -> dict[str, Any]:
    """A sequence snapshot (without its lesson list) from form data."""
    fields: dict[str, Any] = {"title": check_title(data.get("title", ""), errors)}
    if data.get("year_group") not in YEAR_CODES:
        errors["year_group"] = "Choose a year group from the list (Reception to Year 11)."
    if data.get("strand") not in STRAND_CODES:
        errors["strand"] = "Choose a curriculum strand from the list."
    fields["year_group"] = data.get("year_group", "")
    fields["strand"] = data.get("strand", "")
    codes: list[str] = []
    unknown: list[str] = []
    for raw in split_list(data.get("rtp_codes", "")):
        code = normalise_rtp(raw)
        (codes if code else unknown).append(code or raw)
    if unknown:
        errors["rtp_codes"] = (f"Not a ready-to-progress code: {', '.join(unknown)}. "
                               "Write codes like 3NF-2 or 5F–2.")
    fields["rtp_codes"] = list(dict.fromkeys(codes)) + unknown
    ideas = data.get("big_ideas") or []
    if any(i not in BIG_IDEA_CODES for i in ideas):
        errors["big_ideas"] = "Choose Big Ideas from the list."
    fields["big_ideas"] = [code for code, _ in BIG_IDEAS if code in ideas]
    tags = split_list(data.get("tags", ""))
    if len(tags) > 20 or any(len(t) > 40 for t in tags):
        errors["tags"] = "Use up to 20 tags of up to 40 characters each."
    fields["tags"] = tags
    fields["small_steps"] = check_text("small_steps", "Small-step summary",
                                       data.get("small_steps", ""), errors)
    fields["overview"] = check_text("overview", "Overview", data.get("overview", ""), errors)
    check_plan_size([fields["small_steps"], fields["overview"]], "sequence", errors,
                    current_size)
    fields["materials"] = material_links(data.get("materials") or [], errors)
    return fields
