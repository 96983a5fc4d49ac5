"""Documents: validate the app's plain dicts and turn them into Whoosh field values.

Documents (``DOCUMENT_FIELDS``; ``REQUIRED_FIELDS`` are key, type, title, access)::

    key "lesson:12" (unique)   type lesson|sequence|material|observation|comment
    title, body, sequence_title (searched; title x3)        url, school_name, author (text)
    year_group "Y3"/"3"/"Year 3"/"R"   strand "F"   rtp ["3NF-2", "3NF–2"]   segment ["2.7"]
    spine, work_group, school (ids)    project_code "NCP 24-11"   academic_year "2024/25"
    status   updated (datetime; aware ones are stored as naive UTC)   archived (bool)
    access ["all", "hub:3", "wg:5", "school:7"] (visibility tokens; at least one)
    version (int, a content checksum)   seq (int, the change-log position it was built for)
    extra (dict, stored as JSON and returned on Hit.extra)
    files [{"name": "slides.pptx", "text": "..."}] (text of the plan's attached files)

A document's files are searched as part of its body (so both backends, the ranking and the
access tokens treat them exactly as the plan's own text), each after a mark that keeps it apart:
``join_files`` writes them, ``split_files`` reads them back so a snippet can say which file
matched ("in slides.pptx: ...").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from app.core.search import understanding
from app.core.search.analysis import normalise_code, normalise_project_code, normalise_year_group
from app.core.search.vocabulary import DOCUMENT_FIELDS, REQUIRED_FIELDS

#: Where a file starts in a body, and where its name ends: C0 controls that saved text never
#: holds (app.core.markdown's clean_text drops them, and ``join_files`` removes any it finds).
FILE_START: Final = "\x1d"
FILE_NAME_END: Final = "\x1f"
#: Most characters of file text one document carries, all its files together: a plan with many
#: long files keeps a bounded document (PostgreSQL's tsvector holds at most 1 MB, and Whoosh
#: stores the text for snippets). Files past it are searchable by name only.
MAX_FILE_TEXT_CHARS: Final = 200_000
_MARKS = str.maketrans({FILE_START: " ", FILE_NAME_END: " "})


def _unmarked(text: str) -> str:
    return text.translate(_MARKS) if FILE_START in text or FILE_NAME_END in text else text


def join_files(body: str, files: Iterable[Mapping[str, Any]] | None) -> str:
    """The body followed by each file's name and text, each file after FILE_START."""
    body = _unmarked(body)
    if not files:
        return body
    parts = [body]
    room = MAX_FILE_TEXT_CHARS
    for item in files:
        name = " ".join(_unmarked(str(item.get("name") or "")).split()) or "file"
        text = _unmarked(str(item.get("text") or ""))[:room]
        room -= len(text)
        parts.append(f"\n{FILE_START}{name}{FILE_NAME_END}\n{text}")
    return "".join(parts)


def split_files(body: str) -> tuple[str, list[tuple[str, str]]]:
    """A stored body as (the document's own text, [(file name, file text), ...])."""
    if FILE_START not in body:
        return body, []
    own, *rest = body.split(f"\n{FILE_START}")
    files = []
    for part in rest:
        name, _, text = part.partition(FILE_NAME_END)
        files.append((name, text.removeprefix("\n")))
    return own, files


def _tokens(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in re.split(r"[\s,]+", value) if v]
    return [str(v).strip() for v in value if str(v).strip()]


def _naive_utc(value: datetime) -> datetime:
    # Whoosh compares naive datetimes; store UTC so aware and naive inputs sort together.
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def to_fields(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and normalise one document dict into Whoosh field values."""
    unknown = set(doc) - set(DOCUMENT_FIELDS)
    if unknown:
        raise ValueError(f"unknown search document fields: {sorted(unknown)}")
    missing = [f for f in REQUIRED_FIELDS if not doc.get(f)]
    if missing:
        raise ValueError(f"search document {doc.get('key')!r} lacks {missing}")
    access = _tokens(doc["access"])
    if not access:
        raise ValueError(f"search document {doc['key']!r} has no access tokens")

    def text(name: str) -> str:
        v = doc.get(name)
        return "" if v is None else str(v)

    out: dict[str, Any] = {
        "key": str(doc["key"]),
        "type": str(doc["type"]).lower(),
        "title": text("title"),
        "body": join_files(text("body"), doc.get("files")),
        "sequence_title": text("sequence_title"),
        "access": " ".join(access),
        "archived": bool(doc.get("archived", False)),
        "version": int(doc.get("version") or 0),
        "seq": int(doc.get("seq") or 0),
        "url": text("url"),
        "school_name": text("school_name"),
        "author": text("author"),
    }
    codes: list[str] = []
    if doc.get("year_group"):
        out["year_group"] = normalise_year_group(str(doc["year_group"]))
        codes.append(out["year_group"])
    if doc.get("strand"):
        out["strand"] = normalise_code(str(doc["strand"]))
        codes.append(out["strand"])
    rtp = [understanding.rtp_code(c) or re.sub(r"\s+", "", normalise_code(c))
           for c in _tokens(doc.get("rtp"))]
    if rtp:
        out["rtp"] = " ".join(rtp)
        codes.extend(rtp)
    segments = _tokens(doc.get("segment"))
    if segments:
        out["segment"] = " ".join(segments)
        codes.extend(segments)
    for name in ("spine", "work_group", "school", "academic_year", "sequence"):
        if doc.get(name) not in (None, ""):
            out[name] = str(doc[name]).strip().replace(" ", "_")
    if out.get("spine"):
        codes.append(out["spine"])
    if doc.get("status"):
        out["status"] = str(doc["status"]).strip().lower()
    if doc.get("project_code"):
        code = normalise_project_code(str(doc["project_code"]))
        out["project_code"] = code
        # Both "NCP24-11" and "NCP 24-11" typed as words should find it.
        codes.extend([code, re.sub(r"^([A-Z]+)(\d)", r"\1 \2", code)])
    if codes:
        out["codes"] = " ".join(codes)
    if isinstance(doc.get("updated"), datetime):
        out["updated"] = _naive_utc(doc["updated"])
    extra = doc.get("extra")
    if extra is not None:
        out["extra"] = extra if isinstance(extra, str) else json.dumps(extra, default=str)
    return out
