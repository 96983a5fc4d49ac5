"""The search vocabulary: document types and fields, filter and facet names, query limits.

Plain data (no Whoosh): the app builds documents and filters from these names, and every module
of the engine reads them.
"""

from __future__ import annotations

#: Document types the app indexes (``type`` field, ``type:`` filter).
DOCUMENT_TYPES: tuple[str, ...] = ("lesson", "sequence", "material", "observation", "comment")

#: Ready-to-progress strands (DfE 2020 KS1/2 guidance) and the words a ``strand:`` filter accepts.
STRANDS: dict[str, str] = {
    "NPV": "Number and place value",
    "NF": "Number facts",
    "AS": "Addition and subtraction",
    "MD": "Multiplication and division",
    "AS/MD": "Addition, subtraction, multiplication and division",
    "F": "Fractions",
    "G": "Geometry",
}

#: Fields a document dict may carry. Lists are accepted for rtp, segment and access; ``files``
#: is a list of {"name", "text"} (the text of a plan's attached files, searched as its body).
DOCUMENT_FIELDS: tuple[str, ...] = (
    "key", "type", "title", "body", "sequence_title", "year_group", "strand", "rtp", "segment",
    "spine", "work_group", "project_code", "school", "school_name", "academic_year", "status",
    "author", "updated", "archived", "access", "version", "url", "extra", "sequence",
    "seq", "files",
)  # fmt: skip
#: Fields every document must have (``access`` must hold at least one token).
REQUIRED_FIELDS: tuple[str, ...] = ("key", "type", "title", "access")

#: Facets returned with every search: facet name -> indexed field.
FACET_FIELDS: dict[str, str] = {
    "type": "type",
    "year_group": "year_group",
    "strand": "strand",
    "school": "school",
    "academic_year": "academic_year",
    "status": "status",
}

#: Filter names accepted as ``name:value`` in the query text and as keys of ``filters=``.
FILTER_NAMES: dict[str, str] = {
    "type": "type",
    "year": "year_group",
    "year_group": "year_group",
    "strand": "strand",
    "school": "school",
    "rtp": "rtp",
    "segment": "segment",
    "spine": "spine",
    "project": "project_code",
    "project_code": "project_code",
    "status": "status",
    "author": "author",
    "wg": "work_group",
    "work_group": "work_group",
    "ay": "academic_year",
    "academic_year": "academic_year",
    #: The sequence a lesson belongs to (or the sequence itself): "search in this sequence".
    "sequence": "sequence",
}

MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 30
#: Below this many hits we look for a "did you mean" suggestion.
SUGGEST_BELOW = 3
#: Free-text fields and their query-time boosts (title x3, sequence title a little).
TEXT_FIELD_BOOSTS: dict[str, float] = {
    "title": 3.0,
    "body": 1.0,
    "sequence_title": 1.5,
    "codes": 1.0,
}
