"""The search page's GET form: the words, the facet filters, archived, sort and page.

It only reads the address: a filter value the index does not know finds nothing, and a page
that is not a whole number from 1 to 9,999 reads as the first page, so a search address never
fails (it is shared and bookmarked).
"""

from __future__ import annotations

from typing import Any

from wtforms import Field, StringField

from app.core.text import is_whole_number
from app.forms import CoplanForm

#: At most this many values per filter are used (the page never offers more).
MAX_VALUES = 20


class FilterField(Field):
    """A repeated ?name=value filter: the non-empty values, in order."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = [v for v in valuelist if v][:MAX_VALUES]


class PageField(Field):
    """?page=: a whole number from 1 to 9,999, else the first page."""

    def process_formdata(self, valuelist: list[str]) -> None:
        value = valuelist[0] if valuelist else ""
        self.data = int(value) if is_whole_number(value) and 0 < int(value) < 10_000 else 1


class SearchForm(CoplanForm):
    """What /search?… asks for."""

    q = StringField(default="")
    archived = StringField(default="")
    sort = StringField(default="relevance")
    page = PageField(default=1)
    type = FilterField(default=list)
    year = FilterField(default=list)
    strand = FilterField(default=list)
    school = FilterField(default=list)
    ay = FilterField(default=list)
    status = FilterField(default=list)
    sequence = FilterField(default=list)

    def filters(self, names: Any) -> dict[str, list[str]]:
        """The chosen values of the named filters that have any."""
        return {name: self[name].data for name in names if self[name].data}
