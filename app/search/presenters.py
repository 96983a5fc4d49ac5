"""What the results page shows for the index's raw values: facet options as names in a sensible
order, year groups as "Year 4", and links that keep the chosen filters.

A checkbox's value stays the raw index value (filters keep working and addresses stay
bookmarkable); only its label is a name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import url_for
from sqlalchemy import select

from app.accounts.models import School
from app.core.search import DOCUMENT_TYPES, STRANDS
from app.extensions import db
from app.planning.models import STATUSES
from app.planning.reference_data import STRANDS as CURRICULUM_STRANDS
from app.planning.reference_data import YEAR_GROUPS
from app.search import sources
from app.search.services import SearchPage, SearchRequest

#: Facets in the order the page shows them: (facet name, form control, heading).
FACETS: tuple[tuple[str, str, str], ...] = (
    ("type", "type", "Type"),
    ("year_group", "year", "Year group"),
    ("strand", "strand", "Strand"),
    ("school", "school", "School"),
    ("academic_year", "ay", "Academic year"),
    ("status", "status", "Status"),
)

YEAR_LABELS: dict[str, str] = dict(YEAR_GROUPS)

#: Strand names by the index's strand values (upper case): the ready-to-progress codes the
#: plans are indexed under, then the curriculum strands with no such code (observations and
#: materials carry these as written, e.g. "FRACTIONS", "MEASUREMENT").
STRAND_NAMES: dict[str, str] = {
    **{code.upper(): name for code, name, _phase in CURRICULUM_STRANDS}, **STRANDS,
}
#: Curriculum order: number before geometry, the ready-to-progress strands first in their own
#: order; "G" (geometry, how shape and position plans are indexed) sits with shape.
_STRAND_ORDER: list[str] = [*STRANDS]
_STRAND_ORDER.remove("G")
for _code, _name, _phase in CURRICULUM_STRANDS:
    if _code == "shape":
        _STRAND_ORDER.append("G")
    _STRAND_ORDER.append(_code.upper())


@dataclass(frozen=True)
class Option:
    """One checkbox: the raw value it sends and what it is called."""

    value: str
    label: str
    count: int
    chosen: bool


@dataclass(frozen=True)
class Facet:
    name: str
    param: str
    title: str
    options: list[Option]

    @property
    def chosen(self) -> int:
        return sum(option.chosen for option in self.options)


def year_label(value: str) -> str:
    """"Y4" -> "Year 4", "R" -> "Reception"; anything else as it is."""
    return YEAR_LABELS.get(value, value)


def _humane(value: str) -> str:
    return value.replace("_", " ").capitalize()


def _ordered(values: Iterable[str], order: Iterable[str]) -> list[str]:
    """``values`` in the fixed ``order``; any others after them, alphabetically."""
    rank: dict[str, int] = {}
    for n, value in enumerate(order):
        rank.setdefault(value, n)
    return sorted(values, key=lambda v: (rank.get(v, len(rank)), v.casefold()))


def _school_names(ids: Iterable[str]) -> dict[str, str]:
    """Names of the schools with these ids, in one query."""
    wanted = {int(i) for i in ids if i.isdigit()}
    if not wanted:
        return {}
    rows = db.session.execute(select(School.id, School.name).where(School.id.in_(wanted)))
    return {str(row.id): row.name for row in rows}


def _labels(name: str, values: list[str], found: set[str]) -> tuple[list[str], dict[str, str]]:
    """The values of one facet in display order, and their labels."""
    if name == "type":
        return _ordered(values, DOCUMENT_TYPES), {v: sources.label_for(v) for v in values}
    if name == "year_group":
        return _ordered(values, YEAR_LABELS), {v: year_label(v) for v in values}
    if name == "strand":
        labels = {v: STRAND_NAMES.get(v.upper(), v) for v in values}
        return _ordered(values, _STRAND_ORDER), labels
    if name == "status":
        ordered = _ordered(values, STATUSES)
        return ordered, {v: STATUSES.get(v.lower(), _humane(v)) for v in values}
    if name == "school":
        # Names only for schools the reader's own results hold: an id typed into the address
        # must not reveal the name of a school whose plans they cannot see.
        names = _school_names(v for v in values if v in found)
        labels = {v: names.get(v, "A school you chose") for v in values}
        return sorted(values, key=lambda v: (v not in names, labels[v].casefold())), labels
    if name == "academic_year":
        return sorted(values, reverse=True), {v: v for v in values}
    return sorted(values), {v: v for v in values}


def facets(page: SearchPage) -> list[Facet]:
    """The filters to offer: every facet value the results hold, plus any chosen value they no
    longer hold (so it can be unticked), named and in a sensible order."""
    res = page.results
    counts_by_facet = res.facets if res is not None else {}
    shown: list[Facet] = []
    for name, param, title in FACETS:
        counts = dict(counts_by_facet.get(name, []))
        chosen = page.request.filters.get(param, [])
        values = list(counts) + [v for v in dict.fromkeys(chosen) if v not in counts]
        if not values:
            continue
        ordered, labels = _labels(name, values, set(counts))
        shown.append(Facet(name, param, title, [
            Option(v, labels[v], counts.get(v, 0), v in chosen) for v in ordered]))
    return shown


def search_url(wanted: SearchRequest) -> Callable[[str], str]:
    """The address of a search for other words with the same filters, archive choice and sort
    (first page): for "did you mean" links."""
    keep: dict[str, Any] = {param: values for param, values in wanted.filters.items() if values}
    if wanted.include_archived:
        keep["archived"] = "1"
    if wanted.sort == "newest":
        keep["sort"] = "newest"

    def url(text: str) -> str:
        return url_for("search.search", q=text, **keep)

    return url
