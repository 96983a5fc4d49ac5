"""Checks on material fields, shared by the forms and the importer: clear messages, text kept."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from app.core.markdown import clean_text
from app.core.text import is_whole_number, one_line
from app.materials.models import (
    KINDS,
    MAX_TITLE,
    MAX_URL,
    SOURCES,
    SPINES,
)
from app.planning.reference_data import STRANDS, YEAR_GROUPS

MAX_DESCRIPTION = 20_000
MAX_TEACHING_POINTS = 30
MAX_POINT = 500
MAX_TAGS = 20
MAX_TAG = 40

YEAR_CODES = [code for code, _label in YEAR_GROUPS]
STRAND_CODES = {code for code, _name, _phase in STRANDS}
#: Field names a material form or import row may carry.
MATERIAL_KEYS = ("title", "source", "url", "kind", "spine", "segment", "theme", "core_concept",
                 "year_groups", "strand", "description", "teaching_points", "tags")

_PRIMARY_SEGMENT_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})$")
# Browsers drop or reinterpret whitespace and controls inside URLs; refuse rather than guess.
_URL_BAD_CHARS_RE = re.compile(r"[\x00-\x20\x7f\\]")


def check_url(raw: str) -> tuple[str, str | None]:
    """(cleaned url, error): only absolute http(s) addresses with a host are accepted."""
    value = (raw or "").strip()
    if not value:
        return value, "Enter the web address of the material, starting with https://."
    if len(value) > MAX_URL:
        return value, f"Keep the web address to {MAX_URL} characters (it has {len(value)})."
    if _URL_BAD_CHARS_RE.search(value):
        return value, "The web address has spaces or other characters a link cannot contain."
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        return value, "That is not a valid web address."
    if parts.scheme.lower() not in ("http", "https") or not hostname:
        return value, ("Enter a full web address starting with https:// or http://, "
                       "for example https://www.ncetm.org.uk/…")
    if parts.username is not None or parts.password is not None:
        return value, "The web address must not contain a user name or password."
    return value, None


def normalise_url(url: str) -> str:
    """The form duplicates are compared in: lower-case scheme and host, default port,
    trailing slash and fragment dropped."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port if parts.port not in (None, 80 if scheme == "http" else 443) else None
    netloc = f"{host}:{port}" if port else host
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def split_items(raw: str | list[Any] | None, pattern: str = r"[,\n;]") -> list[str]:
    """Separated text (or a list) as distinct, tidied items."""
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else re.split(pattern, str(raw))
    seen: list[str] = []
    for item in items:
        text = one_line(str(item))
        if text and text not in seen:
            seen.append(text)
    return seen


def _year_code(value: str) -> str | None:
    """"Y3", "y3", "Year 3", "3", "R" and "Reception" all mean the codes of YEAR_GROUPS."""
    key = value.strip().lower().replace("year", "y").replace(" ", "")
    if key in ("r", "reception", "rec"):
        return "R"
    if is_whole_number(key):
        key = "y" + key
    code = key.upper()
    return code if code in YEAR_CODES else None


def _choice(value: str, choices: dict[str, str]) -> str | None:
    """A code, or its label typed in any case."""
    text = value.strip()
    if text in choices:
        return text
    lowered = {label.lower(): code for code, label in choices.items()}
    lowered.update({code.lower(): code for code in choices})
    return lowered.get(text.lower())


def material_fields(data: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """Clean material fields from a form or an import row, recording any field errors."""
    # Control characters (NUL above all, which PostgreSQL refuses) never reach a column.
    text = {k: clean_text(v) if isinstance(v, str) else v
            for k, v in ((k, data.get(k)) for k in MATERIAL_KEYS)}
    fields: dict[str, Any] = {}

    title = one_line(str(text["title"] or ""))
    if not title:
        errors["title"] = "Enter a title."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Keep the title to {MAX_TITLE} characters (it has {len(title)})."
    fields["title"] = title

    source = _choice(str(text["source"] or ""), SOURCES)
    if source is None:
        errors["source"] = "Choose a source from the list: " + ", ".join(SOURCES.values()) + "."
    fields["source"] = source or str(text["source"] or "")

    kind_raw = str(text["kind"] or "").strip()
    kind = _choice(kind_raw, KINDS) if kind_raw else "teacher_guide"
    if kind is None:
        errors["kind"] = "Choose a kind from the list: " + ", ".join(KINDS.values()) + "."
    fields["kind"] = kind or kind_raw

    url, url_error = check_url(str(text["url"] or ""))
    if url_error:
        errors["url"] = url_error
    fields["url"] = url

    segment = " ".join(str(text["segment"] or "").split())
    spine = str(text["spine"] or "").strip()
    if spine.lower().startswith("spine"):
        spine = spine[5:].strip()
    if source == "ncetm_primary_pd" and segment:
        match = _PRIMARY_SEGMENT_RE.match(segment)
        if match is None:
            errors["segment"] = "Write an NCETM primary segment as spine.number, e.g. 2.7 or 3.10."
        elif spine and spine != match.group(1):
            errors["spine"] = f"Segment {segment} belongs to spine {match.group(1)}."
        else:
            spine = match.group(1)  # a segment number says which spine it is in
    elif len(segment) > 40:
        errors["segment"] = "Keep the segment or unit to 40 characters."
    if spine and spine not in SPINES:
        errors["spine"] = "Choose spine 1, 2 or 3, or leave it empty."
    fields["segment"] = segment or None
    fields["spine"] = spine or None

    theme = " ".join(str(text["theme"] or "").split())
    if len(theme) > 100:
        errors["theme"] = "Keep the theme to 100 characters."
    concept = " ".join(str(text["core_concept"] or "").split())
    if len(concept) > 20:
        errors["core_concept"] = "Keep the core concept number to 20 characters, e.g. 1.2."
    fields["theme"], fields["core_concept"] = theme or None, concept or None

    years: list[str] = []
    for item in split_items(text["year_groups"]):
        code = _year_code(item)
        if code is None:
            errors["year_groups"] = f"“{item}” is not a year group (use R, Y1 … Y11)."
        elif code not in years:
            years.append(code)
    fields["year_groups"] = sorted(years, key=YEAR_CODES.index)

    strand_raw = str(text["strand"] or "").strip()
    strand = None
    if strand_raw:
        strand = strand_raw if strand_raw in STRAND_CODES else next(
            (code for code, name, _p in STRANDS if name.lower() == strand_raw.lower()), None)
        if strand is None:
            errors["strand"] = "Choose a curriculum strand from the list."
    fields["strand"] = strand

    description = clean_text(str(text["description"] or "")).strip()
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = (f"The description is too long: {len(description):,} characters, "
                                 f"the limit is {MAX_DESCRIPTION:,}. Your text is kept below.")
    fields["description"] = description

    points = split_items(text["teaching_points"], r"\n|\s\|\s")
    if len(points) > MAX_TEACHING_POINTS or any(len(p) > MAX_POINT for p in points):
        errors["teaching_points"] = (f"Up to {MAX_TEACHING_POINTS} teaching points, each up to "
                                     f"{MAX_POINT} characters.")
    fields["teaching_points"] = points

    tags = split_items(text["tags"])
    if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG for t in tags):
        errors["tags"] = f"Up to {MAX_TAGS} tags, each up to {MAX_TAG} characters."
    fields["tags"] = tags
    return fields
