"""Import materials from CSV or JSON: good rows saved, bad rows reported and left out.

Used by `flask materials import` and the curators' import page. The caller commits once, so a
refused file writes nothing, and a file with some bad rows writes only the good ones.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from app import policy
from app.accounts.models import User
from app.errors import Forbidden
from app.extensions import db
from app.materials.models import Material
from app.materials.services import apply_fields
from app.materials.validation import MATERIAL_KEYS, material_fields, normalise_url

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
REQUIRED_COLUMNS = ("title", "source", "url")
#: Shown by `flask materials import --help` and on the import page.
COLUMNS_HELP = """\
Columns (CSV header row, or keys of JSON objects):
  title          required, up to 200 characters
  source         required: ncetm_primary_pd, ncetm_secondary_pd, mastering_number,
                 dfe_guidance, textbook_guidance or other (or their labels,
                 e.g. "NCETM Primary PD")
  url            required: a full http:// or https:// address
  kind           video, teacher_guide, slides, article or other (default teacher_guide)
  spine          1, 2 or 3 (NCETM primary; worked out from the segment if empty)
  segment        e.g. 2.7 or 3.10 for NCETM primary; a unit name otherwise
  theme          secondary theme, e.g. "1 The structure of the number system"
  core_concept   secondary core concept, e.g. 1.2
  year_groups    e.g. "Y3; Y4" (R, Y1 ... Y11; "Year 3" and "3" work too)
  strand         a strand code, e.g. md, fractions, as, npv
  description    Markdown
  teaching_points  one per line, or separated by " | "
  tags           separated by commas
A row updates the existing material with the same source and segment (or core concept);
without either, the one with the same web address, else the same title. Otherwise it is new.
JSON may be a list of objects or {"materials": [...]}; lists are accepted for year_groups,
teaching_points and tags. Files over 5 MB are refused."""

_BINARY_MAGIC = (b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"GIF8", b"\xff\xd8")


class ImportRefused(Exception):
    """The whole file is refused: nothing is written."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: (row number, reason): CSV rows count the header as row 1; JSON items count from 1.
    refused: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.refused)

    def summary(self) -> str:
        return (f"{self.created} added, {self.updated} updated, {self.unchanged} unchanged, "
                f"{len(self.refused)} refused.")


def read_rows(filename: str, content: bytes) -> list[tuple[int, dict[str, Any]]]:
    """Parse CSV or JSON bytes into numbered rows; ImportRefused for a file we cannot use."""
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportRefused(f"The file is {len(content) / 1_048_576:.1f} MB; the limit is "
                            f"{MAX_IMPORT_BYTES // 1_048_576} MB. Split it into smaller files.")
    extension = os.path.splitext(filename or "")[1].lower()
    if extension not in ("", ".csv", ".json", ".txt"):
        raise ImportRefused(f"“{extension}” files cannot be imported: save the data as CSV "
                            "(comma-separated values) or JSON.")
    if content.startswith(_BINARY_MAGIC) or b"\x00" in content:
        raise ImportRefused("This is not a CSV or JSON text file (it looks like a spreadsheet, "
                            "document or image). Save it as CSV UTF-8 and try again.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused("The file is not UTF-8 text. Save it as “CSV UTF-8” (or JSON) and "
                            f"try again (first bad byte at position {error.start}).") from error
    if not text.strip():
        raise ImportRefused("The file is empty.")
    if extension == ".json" or text.lstrip()[:1] in ("[", "{"):
        rows = _json_rows(text)
    else:
        rows = _csv_rows(text)
    if not rows:
        raise ImportRefused("The file has no rows to import.")
    if len(rows) > MAX_ROWS:
        raise ImportRefused(f"The file has {len(rows)} rows; import at most {MAX_ROWS} at once.")
    return rows


def _check_columns(columns: list[str], *, require: bool) -> None:
    unknown = [c for c in columns if c not in MATERIAL_KEYS]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns] if require else []
    problems = []
    if unknown:
        problems.append("unknown column" + ("s " if len(unknown) > 1 else " ")
                        + ", ".join(f"“{c}”" for c in unknown))
    if missing:
        problems.append("missing column" + ("s " if len(missing) > 1 else " ")
                        + ", ".join(f"“{c}”" for c in missing))
    if problems:
        raise ImportRefused("The file has the wrong columns: " + "; ".join(problems)
                            + ". Expected columns: " + ", ".join(MATERIAL_KEYS)
                            + f" (required: {', '.join(REQUIRED_COLUMNS)}).")


def _csv_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    # The header row decides the delimiter (spreadsheets in some locales save with ";"); a
    # sniffer guessing from the data can be misled by punctuation inside descriptions.
    first_line = text.lstrip("\n").split("\n", 1)[0]
    delimiter = next((d for d in (",", ";", "\t") if d in first_line), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise ImportRefused("The file has no header row.")
        columns = [h.strip().lower().replace(" ", "_") for h in header]
        if len(set(columns)) != len(columns):
            raise ImportRefused("The header row names a column twice.")
        _check_columns(columns, require=True)
        rows: list[tuple[int, dict[str, Any]]] = []
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue  # blank lines, e.g. at the end of a spreadsheet export
            if len(values) > len(columns):
                rows.append((number, {"__error__": f"has {len(values)} values but the header "
                                                   f"has {len(columns)} columns"}))
                continue
            rows.append((number, dict(zip(columns, values, strict=False))))
    except csv.Error as error:
        raise ImportRefused(f"The CSV could not be read: {error}.") from error
    return rows


def _json_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportRefused(f"The JSON could not be read: {error.msg} at line {error.lineno}, "
                            f"column {error.colno}.") from error
    if isinstance(data, dict) and isinstance(data.get("materials"), list):
        data = data["materials"]
    if not isinstance(data, list):
        raise ImportRefused("The JSON must be a list of materials, or {\"materials\": [...]}.")
    columns = sorted({k for item in data if isinstance(item, dict) for k in item})
    _check_columns(columns, require=False)
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            rows.append((number, {"__error__": "is not an object with named fields"}))
            continue
        rows.append((number, {k: _json_value(v) for k, v in item.items()}))
    return rows


def _json_value(value: Any) -> Any:
    if isinstance(value, list):
        return [str(v) for v in value]
    return "" if value is None else str(value)


def _match_key(fields: dict[str, Any]) -> tuple[str, str]:
    """What identifies a row's material: source and segment or core concept, else address."""
    if fields["segment"]:
        return ("segment", f"{fields['source']}|{fields['segment']}")
    if fields["core_concept"]:
        return ("core_concept", f"{fields['source']}|{fields['core_concept']}")
    return ("url", normalise_url(fields["url"]))


def _existing(fields: dict[str, Any]) -> tuple[Material | None, str | None]:
    """The material a row updates (or None for a new one), or an error when it is ambiguous."""
    kind, _key = _match_key(fields)
    if kind in ("segment", "core_concept"):
        column = Material.segment if kind == "segment" else Material.core_concept
        found = list(db.session.scalars(select(Material).where(
            Material.source == fields["source"], column == fields[kind]).order_by(Material.id)))
        return (found[0] if found else None), None
    by_url = list(db.session.scalars(select(Material).where(
        Material.url_key == normalise_url(fields["url"]),
        Material.segment.is_(None), Material.core_concept.is_(None))))
    if len(by_url) > 1:
        by_url = [m for m in by_url if m.title.lower() == fields["title"].lower()]
    if len(by_url) == 1:
        return by_url[0], None
    if len(by_url) > 1:
        return None, "matches several materials with this web address and title"
    by_title = list(db.session.scalars(select(Material).where(
        func.lower(Material.title) == fields["title"].lower(),
        Material.source == fields["source"],
        Material.segment.is_(None), Material.core_concept.is_(None))))
    if len(by_title) > 1:
        return None, "matches several materials with this title"
    return (by_title[0] if by_title else None), None


def import_rows(rows: list[tuple[int, dict[str, Any]]], user: User | None,
                progress: Callable[[int], None] = lambda _n: None) -> ImportReport:
    """Create or update a material per good row; bad rows go in the report, unchanged."""
    report = ImportReport()
    seen: dict[tuple[str, str], int] = {}
    for number, row in rows:
        progress(1)
        if "__error__" in row:
            report.refused.append((number, f"The row {row['__error__']}."))
            continue
        errors: dict[str, str] = {}
        fields = material_fields(row, errors)
        if errors:
            report.refused.append((number, " ".join(f"{k}: {v}" for k, v in errors.items())))
            continue
        key = _match_key(fields)
        if key in seen:
            report.refused.append((number, f"It repeats row {seen[key]} (same "
                                           f"{key[0].replace('_', ' ')}); nothing changed."))
            continue
        material, problem = _existing(fields)
        if problem:
            report.refused.append((number, f"It {problem}; edit that material by hand."))
            continue
        seen[key] = number
        if material is None:
            material = Material(status="published", created_by_id=user.id if user else None)
            apply_fields(material, fields)
            db.session.add(material)
            db.session.flush()
            report.created += 1
        elif apply_fields(material, fields):
            db.session.flush()
            report.updated += 1
        else:
            report.unchanged += 1
    return report


def import_file(user: User | None, filename: str, content: bytes,
                progress: Callable[[int], None] = lambda _n: None,
                on_rows: Callable[[int], None] = lambda _n: None) -> ImportReport:
    """Check permission (None = the command line), parse, then import. The caller commits."""
    if user is not None and not policy.can_curate_materials(user):
        raise Forbidden("Only hub admins, site admins and Work Group Leads import materials.")
    rows = read_rows(filename, content)
    on_rows(len(rows))
    return import_rows(rows, user, progress)
