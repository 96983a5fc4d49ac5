"""Unit tests for the Flask-free search backends: the Whoosh index (on disk under tmp_path) and,
when TEST_DATABASE_URL is set, PostgreSQL (``PostgresSearch`` in the session's test schema).

Tests using the ``index`` fixture run on both backends unless marked ``@whoosh_only`` (they
reach into Whoosh's files, locks or internals)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from whoosh.index import open_dir

from app.core.markdown import SafeHtml
from app.core.search import FACET_FIELDS, SCHEMA, SearchIndex, SearchResults, analyse, ranking
from app.core.search.postgres import PostgresSearch
from tests.conftest import PG_URL

ALICE = ["all", "school:1", "wg:1"]  # teacher at school 1, work group 1
BOB = ["all", "school:2", "wg:2"]  # teacher at school 2, work group 2
BASE = datetime(2025, 1, 1, 9, 0)


def doc(key: str, **fields: Any) -> dict[str, Any]:
    """A search document with sensible defaults (visible to everyone)."""
    out: dict[str, Any] = {
        "key": key,
        "type": "lesson",
        "title": f"Lesson {key}",
        "body": "",
        "access": ["all"],
        "version": 1,
        "url": f"/x/{key}",
        "updated": BASE,
    }
    out.update(fields)
    return out


DOCS = [
    doc(
        "lesson:1",
        title="Equivalent fractions on a number line",
        body=(
            "Pupils show 3/4 = 6/8 on a number line and find 10% of 40. "
            "The 2x table helps. Links to 3NF\u20132 and 6AS/MD-3, segment 3.7. "
            "<script>alert('x')</script> Fractions are parts of a whole."
        ),
        sequence_title="Y5 Fractions",
        year_group="Year 5",
        strand="F",
        rtp=["5F\u20132"],
        segment="3.7",
        spine="3",
        school="1",
        school_name="Kestrelgate Primary",
        work_group="1",
        academic_year="2024/25",
        status="approved",
        project_code="NCP 24-11",
        author="Amira Iqbal",
        updated=BASE + timedelta(days=1),
        extra={"lessons": 5},
    ),
    doc(
        "lesson:2",
        title="Times tables: 2, 4 and 8",
        body="Doubling the 2 times table gives the 4 times table. Segment 2.7. zebrafinch",
        year_group="3",
        strand="MD",
        rtp="3NF-2",
        segment="2.7",
        school="2",
        school_name="Wrenfield Academy",
        status="approved",
        access=["school:2"],  # Bob's school only
        updated=BASE + timedelta(days=2),
    ),
    doc(
        "lesson:3",
        title="Counting to five",
        body="Reception children count objects to five. A single fraction of a cake.",
        year_group="Reception",
        strand="NF",
        school="1",
        status="draft",
        academic_year="2023/24",
        access=["school:1"],  # Alice's school only
        updated=BASE + timedelta(days=3),
    ),
    doc(
        "sequence:4",
        type="sequence",
        title="Old fractions sequence",
        body="Archived fractions plan.",
        year_group="Y5",
        strand="F",
        archived=True,
        updated=BASE + timedelta(days=4),
    ),
    doc(
        "observation:5",
        type="observation",
        title="Research lesson observation",
        body="Pupils explained 3.10 linking fractions, decimals and percentages with a bar model.",
        school="1",
        project_code="NCP24-11",
        access=["wg:1"],
        updated=BASE + timedelta(days=5),
    ),
] + [
    doc(
        f"lesson:p{i}",
        title=f"Practice lesson {i}",
        body="Intelligent practice with a chain of questions. " + "practice " * (i % 7),
        year_group="Y4",
        strand="AS",
        updated=BASE - timedelta(days=i),
    )
    for i in range(45)
]


_F = TypeVar("_F", bound=Callable[..., Any])


def whoosh_only(fn: _F) -> _F:
    """Run a test that uses ``index`` on the Whoosh backend only."""
    fn.whoosh_only = True  # type: ignore[attr-defined]
    return fn


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # As tests/conftest.py's BACKENDS: without TEST_DATABASE_URL there is no postgres variant
    # (the report header says PostgreSQL runs are skipped).
    if "index" in metafunc.fixturenames:
        backends: list[Any] = ["whoosh"]
        if PG_URL and not getattr(metafunc.function, "whoosh_only", False):
            backends.append(pytest.param("postgres", marks=pytest.mark.postgres))
        metafunc.parametrize("backend", backends)


@pytest.fixture
def index(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A search backend holding DOCS (``rebuild`` replaces any earlier test's documents)."""
    if backend == "postgres":
        ix: Any = PostgresSearch(request.getfixturevalue("pg_engine"))
    else:
        ix = SearchIndex(tmp_path / "search")
    assert ix.rebuild(DOCS, total=len(DOCS)) == len(DOCS)
    yield ix
    ix.close()


def keys(results: SearchResults) -> list[str]:
    return [h.key for h in results.hits]


def all_keys(ix: SearchIndex, text: str, access: list[str], **kw: Any) -> set[str]:
    """Keys over every page."""
    out: set[str] = set()
    page = 1
    while True:
        r = ix.search(text, access=access, page=page, pagelen=100, **kw)
        out.update(keys(r))
        if page >= r.pages:
            return out
        page += 1


def visible(access: list[str], include_archived: bool = False) -> set[str]:
    return {
        d["key"]
        for d in DOCS
        if set(d["access"]) & set(access) and (include_archived or not d.get("archived"))
    }


# --------------------------------------------------------------------------------------------
# Analysis and maths tokens
# --------------------------------------------------------------------------------------------


def test_analyser_keeps_maths_tokens_whole_and_stems_words() -> None:
    assert analyse("Fractions 3/4 10% 2x 3NF\u20132 6AS/MD-3 2.7 3.10 part-whole") == [
        "fraction", "3/4", "10%", "2x", "3nf-2", "6as/md-3", "2.7", "3.10", "part", "whole",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    ["3/4", "10%", "2x", "3NF-2", "3NF\u20132", "3nf-2", "6AS/MD-3", "6AS/MD\u20133", "3.7"],
)
def test_maths_tokens_are_findable(index: SearchIndex, text: str) -> None:
    assert "lesson:1" in keys(index.search(text, access=ALICE))


@pytest.mark.parametrize(("text", "key"), [("2.7", "lesson:2"), ("3.10", "observation:5")])
def test_segment_numbers_are_findable(index: SearchIndex, text: str, key: str) -> None:
    access = BOB if key == "lesson:2" else ALICE
    assert keys(index.search(text, access=access)) == [key]


def test_segment_number_is_not_a_prefix_match(index: SearchIndex) -> None:
    assert "observation:5" not in keys(index.search("3.1", access=ALICE))


def test_stemming_matches_singular_and_plural(index: SearchIndex) -> None:
    # lesson:3 only says "fraction"; lesson:1 says "fractions".
    assert {"lesson:1", "lesson:3"} <= set(keys(index.search("fractions", access=ALICE)))
    assert {"lesson:1", "lesson:3"} <= set(keys(index.search("fraction", access=ALICE)))


# --------------------------------------------------------------------------------------------
# Query syntax
# --------------------------------------------------------------------------------------------


def test_all_words_must_match(index: SearchIndex) -> None:
    assert keys(index.search("equivalent fractions", access=ALICE)) == ["lesson:1"]
    r = index.search("equivalent AND doubling", access=BOB)
    assert r.total == 0  # AND, OR and brackets are kept exactly as written: never relaxed


def test_words_that_never_meet_show_the_documents_with_most_of_them(index: SearchIndex) -> None:
    # No document holds both words: the ones holding one of them come, with a note.
    r = index.search("equivalent doubling", access=BOB)
    assert r.total > 0 and r.message and "all of" in r.message
    for hit in r.hits:
        text = f"{hit.title} {hit.snippet}".lower()
        assert "equivalent" in text or "doubl" in text


def test_title_matches_rank_above_body_matches(index: SearchIndex) -> None:
    r = index.search("fractions", access=ALICE)
    assert keys(r)[0] == "lesson:1"  # in the title and the body


def test_exact_phrase(index: SearchIndex) -> None:
    assert keys(index.search('"number line"', access=ALICE)) == ["lesson:1"]
    assert index.search('"line number"', access=ALICE).total == 0


def test_exclude_with_minus(index: SearchIndex) -> None:
    found = set(keys(index.search("fractions -equivalent", access=ALICE)))
    assert "lesson:1" not in found
    assert "lesson:3" in found


def test_or_and_brackets(index: SearchIndex) -> None:
    assert set(keys(index.search("zebrafinch OR cake", access=BOB))) == {"lesson:2"}
    assert set(keys(index.search("doubling OR cake", access=ALICE + BOB))) == {
        "lesson:2",
        "lesson:3",
    }
    found = set(keys(index.search("(equivalent OR cake) fraction", access=ALICE)))
    assert found == {"lesson:1", "lesson:3"}


def test_trailing_prefix(index: SearchIndex) -> None:
    assert "lesson:1" in keys(index.search("equiv*", access=ALICE))
    assert index.search("zebra*", access=BOB).total == 1


def test_one_letter_prefix_is_refused_with_a_message(index: SearchIndex) -> None:
    r = index.search("e*", access=ALICE)
    assert r.message and "Wildcards" in r.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("year:5", {"lesson:1"}),
        ("year:Y5", {"lesson:1"}),
        ("year:y5", {"lesson:1"}),
        ('year:"Year 5"', {"lesson:1"}),
        ("year:R", {"lesson:3"}),
        ("year:reception", {"lesson:3"}),
        ("year:2024/25", {"lesson:1"}),
        ("strand:fractions", {"lesson:1"}),
        ("strand:F", {"lesson:1"}),
        ("strand:NF", {"lesson:3"}),
        ("type:observation", {"observation:5"}),
        ("type:observations", {"observation:5"}),
        ("school:1", {"lesson:1", "lesson:3", "observation:5"}),
        ("school:kestrelgate", {"lesson:1"}),
        ("rtp:5F-2", {"lesson:1"}),
        ("rtp:5f\u20132", {"lesson:1"}),
        ("rtp:5F", {"lesson:1"}),
        ("segment:3.7", {"lesson:1"}),
        ("project:NCP24-11", {"lesson:1", "observation:5"}),
        ('project:"NCP 24-11"', {"lesson:1", "observation:5"}),
        ("status:draft", {"lesson:3"}),
        ("author:iqbal", {"lesson:1"}),
        ("fraction year:R", {"lesson:3"}),
        ("year:5,R", {"lesson:1", "lesson:3"}),
        ("fractions -year:5", {"lesson:3", "observation:5"}),
    ],
)
def test_typed_filters(index: SearchIndex, text: str, expected: set[str]) -> None:
    assert all_keys(index, text, ALICE) == expected


def test_typed_filters_for_bob(index: SearchIndex) -> None:
    assert all_keys(index, "year:3", BOB) == {"lesson:2"}
    assert all_keys(index, "year:Y3 rtp:3NF-2 segment:2.7 strand:MD", BOB) == {"lesson:2"}
    assert all_keys(index, "school:wrenfield", BOB) == {"lesson:2"}


def test_filters_argument(index: SearchIndex) -> None:
    r = index.search("", access=ALICE, filters={"year_group": ["Y5", "R"], "type": ["lesson"]})
    assert set(keys(r)) == {"lesson:1", "lesson:3"}
    r = index.search("", access=ALICE, filters={"nonsense": ["x"]})
    assert r.message and "nonsense" in r.message


@pytest.mark.parametrize("text", ["NCP24-11", "NCP 24-11", "ncp24\u201311"])
def test_project_code_as_free_text(index: SearchIndex, text: str) -> None:
    assert {"lesson:1", "observation:5"} <= set(keys(index.search(text, access=ALICE)))


def test_unknown_filter_is_reported(index: SearchIndex) -> None:
    r = index.search("fractions colour:red", access=ALICE)
    assert r.message and "colour:" in r.message
    assert r.total > 0


# --------------------------------------------------------------------------------------------
# Permissions
# --------------------------------------------------------------------------------------------


def test_hits_and_totals_respect_access(index: SearchIndex) -> None:
    assert index.search("zebrafinch", access=BOB).total == 1
    alice = index.search("zebrafinch", access=ALICE)
    assert alice.total == 0 and alice.hits == []
    assert alice.facets == {name: [] for name in FACET_FIELDS}
    assert all_keys(index, "", ALICE) == visible(ALICE)
    assert all_keys(index, "", BOB) == visible(BOB)
    assert index.search("", access=ALICE).total == len(visible(ALICE))


def test_facets_reflect_only_allowed_documents(index: SearchIndex) -> None:
    alice = index.search("", access=ALICE)
    bob = index.search("", access=BOB)
    assert ("2", 1) not in alice.facets["school"]
    assert ("2", 1) in bob.facets["school"]
    assert dict(alice.facets["type"]) == {"lesson": 47, "observation": 1}
    assert dict(bob.facets["type"]) == {"lesson": 47}
    assert dict(alice.facets["year_group"])["R"] == 1 and "R" not in dict(bob.facets["year_group"])
    assert sum(c for _, c in alice.facets["type"]) == alice.total
    assert all(value for counts in alice.facets.values() for value, _ in counts)  # no "" value


def test_suggestion_only_from_visible_documents(index: SearchIndex) -> None:
    # "zebrafinch" exists only in a document Bob may see.
    assert index.search("zebrafinh", access=BOB).suggestion == "zebrafinch"
    alice = index.search("zebrafinh", access=ALICE)
    assert alice.suggestion is None and alice.total == 0
    # Nor may the fuzzy fallback reveal it.
    assert alice.hits == []


def test_no_access_tokens_sees_nothing(index: SearchIndex) -> None:
    assert index.search("fractions", access=[]).total == 0
    assert index.search("", access=["hub:99"]).total == 0


@pytest.mark.parametrize(
    "text",
    [
        "doubling OR school:2",
        "doubling OR access:school:2",
        "access:all doubling",
        "access:school:2",
        "zebrafinch OR access:*",
        "zebrafinch) OR (access:school:2",
        'school:"2" zebrafinch',
        "school:2",
        "key:lesson:2",
        "title:zebrafinch",
        "body:zebrafinch OR zebrafinch",
        "year:3 OR year:5",
        "zebrafinch include_archived:true",
        "type:lesson OR type:sequence",
    ],
)
def test_query_text_cannot_widen_access(index: SearchIndex, text: str) -> None:
    found = all_keys(index, text, ALICE)
    assert found <= visible(ALICE)
    assert "lesson:2" not in found and "sequence:4" not in found
    r = index.search(text, access=ALICE)
    assert all(v != "2" for v, _ in r.facets.get("school", []))
    # A suggestion may echo what was typed, never offer a hidden word.
    assert r.suggestion is None or r.suggestion.count("zebrafinch") <= text.count("zebrafinch")
    assert all(c.replacement != "zebrafinch" for c in r.corrections)


# --------------------------------------------------------------------------------------------
# Malformed input
# --------------------------------------------------------------------------------------------

MALFORMED = [
    "", " ", "*", "**", "?", '"', '""', '"unbalanced', 'fractions "number line',
    "(", ")", "(fractions", "fractions)", ")(", "(()", "()", "-", "- -", "--fractions",
    "OR", "AND", "NOT", "OR OR", "fractions OR", "OR fractions", "NOT NOT", "fractions NOT",
    "AND OR NOT", ":", "year:", ":5", "a:b:c", "\x00", "\\", "~", "^2", "[a TO b]", "{x}",
    "title:x", "fract**", "*fract", "fr*ct", "x" * 2000, "fractions " * 300, "((((((((",
    "\u2603 \U0001f600", "'", "%", "/", "3/", "-(fractions)", "NOT (fractions OR cake)",
]  # fmt: skip


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_queries_never_raise(index: SearchIndex, text: str) -> None:
    r = index.search(text, access=ALICE)
    assert isinstance(r, SearchResults)
    assert r.total >= 0 and len(r.hits) <= 20
    assert {h.key for h in r.hits} <= visible(ALICE)


# Characters that mean something to SQL, to tsquery syntax or to Whoosh's parser.
METACHARACTERS = [
    "'", "''", "\\", "\\'", "fract:*", "fractions:*", "fractions & line", "fractions | cake",
    "!fractions", "fractions <-> line", "fractions <2> line", "(fractions", "fractions:A",
    "'fractions':*B", "'; DROP TABLE search_documents; --", "fractions' OR '1'='1",
    "fractions & !", "a:* & b:*", "&&", "||", "!!", "<->", ":*", "%_", "$1", "E'\\x00'",
]  # fmt: skip


@pytest.mark.parametrize("text", METACHARACTERS)
def test_query_metacharacters_never_error(index: SearchIndex, text: str) -> None:
    r = index.search(text, access=ALICE)
    assert r.available and r.total >= 0
    assert {h.key for h in r.hits} <= visible(ALICE)
    filtered = index.search("", access=ALICE, filters={n: [text] for n in ("rtp", "school", "ay")})
    assert filtered.available and {h.key for h in filtered.hits} <= visible(ALICE)
    assert index.search("zebrafinch", access=BOB).total == 1  # nothing was dropped


def test_metacharacters_in_words_still_find_them(index: SearchIndex) -> None:
    assert "lesson:1" in keys(index.search("fractions & line", access=ALICE))
    assert "lesson:1" in keys(index.search("'equivalent'", access=ALICE))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('"number line', "quote"),
        ("(fractions", "bracket"),
        ("fractions)", "bracket"),
        ("OR", "AND, OR and NOT"),
        ("fractions OR", "AND, OR and NOT"),
        ("*", "Wildcards"),
        ("x" * 2000, "500 characters"),
        (" ".join(f"w{i}" for i in range(40)), "30 words"),
    ],
)
def test_malformed_queries_explain_what_was_ignored(
    index: SearchIndex, text: str, fragment: str
) -> None:
    message = index.search(text, access=ALICE).message
    assert message is not None and fragment in message


def test_unbalanced_quote_still_searches_the_words(index: SearchIndex) -> None:
    assert "lesson:1" in keys(index.search('"number line', access=ALICE))


def test_search_args_are_clamped(index: SearchIndex) -> None:
    r = index.search("practice", access=ALICE, page=-3, pagelen=0, sort="bogus")  # type: ignore[arg-type]
    assert r.page == 1 and len(r.hits) == 1


# --------------------------------------------------------------------------------------------
# Results: snippets, archive, sorting, paging
# --------------------------------------------------------------------------------------------


def test_snippet_escapes_html_and_marks_matches(index: SearchIndex) -> None:
    hit = index.search("script", access=ALICE).hits[0]
    assert isinstance(hit.snippet, SafeHtml)
    assert "<script" not in hit.snippet
    assert "&lt;<mark>script</mark>&gt;" in hit.snippet
    assert str(hit.snippet).replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_snippet_marks_inflected_forms(index: SearchIndex) -> None:
    snippet = index.search("fraction", access=ALICE, filters={"year": ["5"]}).hits[0].snippet
    assert "<mark>fractions</mark>" in snippet.lower()


def test_snippet_without_body_match_is_the_opening(index: SearchIndex) -> None:
    hit = index.search("equivalent", access=ALICE).hits[0]
    assert hit.snippet.startswith("Pupils show 3/4")


def test_hit_fields(index: SearchIndex) -> None:
    hit = index.search("equivalent", access=ALICE).hits[0]
    assert hit.key == "lesson:1" and hit.type == "lesson" and hit.url == "/x/lesson:1"
    assert hit.sequence_title == "Y5 Fractions" and hit.school_name == "Kestrelgate Primary"
    assert hit.year_group == "Y5" and hit.updated == BASE + timedelta(days=1)
    assert hit.extra == {"lessons": 5}


def test_archived_excluded_unless_asked(index: SearchIndex) -> None:
    assert "sequence:4" not in all_keys(index, "fractions", ALICE)
    found = all_keys(index, "fractions", ALICE, include_archived=True)
    assert "sequence:4" in found


def test_sort_newest(index: SearchIndex) -> None:
    r = index.search("practice", access=ALICE, sort="newest", pagelen=5)
    assert keys(r) == [f"lesson:p{i}" for i in range(5)]
    # Empty text lists everything allowed, newest first.
    assert keys(index.search("", access=ALICE, pagelen=3)) == [
        "observation:5",
        "lesson:3",
        "lesson:1",
    ]


def test_relevance_prefers_more_occurrences(index: SearchIndex) -> None:
    r = index.search("practice", access=ALICE, pagelen=5)
    assert keys(r)[0] in {f"lesson:p{i}" for i in range(45) if i % 7 == 6}


def test_pagination_totals(index: SearchIndex) -> None:
    pages = [index.search("practice", access=ALICE, page=p, pagelen=20) for p in (1, 2, 3)]
    assert [r.total for r in pages] == [45, 45, 45]
    assert [r.pages for r in pages] == [3, 3, 3]
    assert [len(r.hits) for r in pages] == [20, 20, 5]
    seen = [k for r in pages for k in keys(r)]
    assert len(seen) == len(set(seen)) == 45
    assert pages[0].facets == pages[2].facets  # counts ignore pagination
    last = index.search("practice", access=ALICE, page=99, pagelen=20)
    assert last.page == 3 and keys(last) == keys(pages[2])


@whoosh_only
@pytest.mark.parametrize("text", ["practice", "intelligent practice", "practice OR chain"])
def test_threshold_walk_ranks_like_scoring_everything(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setattr(ranking, "_EXHAUSTIVE", 10**9)
    everything = [keys(index.search(text, access=ALICE, page=p, pagelen=7)) for p in (1, 2, 3)]
    monkeypatch.setattr(ranking, "_EXHAUSTIVE", 0)
    walked = [keys(index.search(text, access=ALICE, page=p, pagelen=7)) for p in (1, 2, 3)]
    assert walked == everything


def test_typo_suggestion_and_fuzzy_fallback(index: SearchIndex) -> None:
    r = index.search("equivelent", access=ALICE)
    assert r.suggestion == "equivalent"
    assert "lesson:1" in keys(r)  # fuzzy fallback
    assert r.message and "close spellings" in r.message
    r = index.search("fractoins year:5", access=ALICE)
    assert r.suggestion == "fractions year:5"


def test_no_suggestion_when_results_are_plenty(index: SearchIndex) -> None:
    assert index.search("practice", access=ALICE).suggestion is None


# --------------------------------------------------------------------------------------------
# Lifecycle: apply, versions, locks, rebuild, health
# --------------------------------------------------------------------------------------------


def test_apply_upserts_and_deletes(index: SearchIndex) -> None:
    assert index.count() == len(DOCS)
    assert index.apply([doc("lesson:new", title="Kangaroo counting", version=1)], [])
    assert keys(index.search("kangaroo", access=ALICE)) == ["lesson:new"]
    assert index.apply([doc("lesson:new", title="Wallaby counting", version=2)], [])
    assert index.search("kangaroo", access=ALICE).total == 0
    assert keys(index.search("wallaby", access=ALICE)) == ["lesson:new"]
    assert index.versions()["lesson:new"] == 2
    assert index.apply([], ["lesson:new", "lesson:3"])
    assert index.search("wallaby", access=ALICE).total == 0
    assert "lesson:3" not in all_keys(index, "", ALICE)
    assert index.count() == len(DOCS) - 1
    assert set(index.versions()) == {d["key"] for d in DOCS} - {"lesson:3"}


@whoosh_only
def test_apply_is_seen_by_another_instance(index: SearchIndex) -> None:
    other = SearchIndex(index.path)  # as another worker process would
    assert other.search("kangaroo", access=ALICE).total == 0
    assert index.apply([doc("lesson:k", title="Kangaroo")], [])
    assert other.search("kangaroo", access=ALICE).total == 1
    other.close()


@whoosh_only
def test_apply_returns_false_while_another_writer_holds_the_lock(index: SearchIndex) -> None:
    writer = open_dir(str(index.path), schema=SCHEMA).writer()
    try:
        assert index.apply([doc("lesson:k", title="Kangaroo")], [], timeout=0.2) is False
    finally:
        writer.cancel()
    assert index.apply([doc("lesson:k", title="Kangaroo")], [], timeout=0.2) is True


def test_apply_rejects_bad_documents(index: SearchIndex) -> None:
    with pytest.raises(ValueError, match="unknown"):
        index.apply([doc("lesson:x", colour="red")], [])
    with pytest.raises(ValueError, match="access"):
        index.apply([doc("lesson:x", access=[])], [])


def test_apply_without_an_index_returns_false(tmp_path: Path) -> None:
    assert SearchIndex(tmp_path / "missing").apply([doc("lesson:x")], []) is False


def test_nul_characters_in_documents_are_accepted(index: SearchIndex) -> None:
    assert index.apply([doc("lesson:nul", title="Nul\x00byte", body="bad\x00 input")], [])
    assert "lesson:nul" in index.versions()


def test_aware_datetimes_are_stored_as_utc(index: SearchIndex) -> None:
    when = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    index.apply([doc("lesson:tz", title="Timezone", updated=when)], [])
    assert index.search("timezone", access=ALICE).hits[0].updated == datetime(2026, 1, 1, 12)


def test_create_exists_and_empty_search(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "fresh")
    assert not ix.exists() and not ix.is_healthy()
    missing = ix.search("fractions", access=ALICE)
    assert missing.available is False and missing.message
    ix.create()
    assert ix.exists() and ix.is_healthy() and ix.count() == 0
    assert ix.search("fractions", access=ALICE).total == 0


@whoosh_only
def test_rebuild_swaps_in_a_whole_index(index: SearchIndex) -> None:
    reader = SearchIndex(index.path)
    assert reader.search("practice", access=ALICE).total == 45
    seen_during: list[int] = []
    accepted_during: list[bool] = []

    def progress(n: int) -> None:
        # Mid-rebuild: other processes still see the old, complete index, and it still takes
        # their writes (search is never frozen; the log re-applies them after the swap).
        seen_during.append(reader.search("practice", access=ALICE).total)
        accepted_during.append(reader.apply([doc("lesson:z", title="Zither")], [], timeout=0.05))

    new_docs = [doc(f"lesson:n{i}", title=f"Number bonds {i}") for i in range(1200)]
    assert index.rebuild(new_docs, total=1200, progress=progress, procs=1, position=77) == 1200
    assert seen_during and set(seen_during) == {45}
    assert accepted_during and all(accepted_during)
    assert index.position() == 77  # where the change log must be read from again
    assert reader.search("practice", access=ALICE).total == 0
    assert reader.search("bonds", access=ALICE).total == 1200
    assert index.count() == 1200
    leftovers = [p.name for p in index.path.parent.iterdir() if p.name != index.path.name]
    assert leftovers == []
    reader.close()


@whoosh_only
def test_update_builds_under_the_lock_and_moves_the_position(index: SearchIndex) -> None:
    start = index.position()
    assert start is not None
    built_while_locked: list[bool] = []

    def build() -> tuple[list[dict[str, Any]], list[str]]:
        other = SearchIndex(index.path)  # a second applier cannot write meanwhile
        built_while_locked.append(not other.apply([doc("lesson:x")], [], timeout=0.05))
        return [doc("lesson:new", title="Quotitive division", seq=start + 3)], ["lesson:1"]

    assert index.update(build, from_position=start, position=start + 3) == "applied"
    assert built_while_locked == [True]
    assert index.position() == start + 3
    assert index.search("quotitive", access=ALICE).total == 1
    assert "lesson:1" not in index.versions()


@whoosh_only
def test_a_rebuild_swapped_in_after_an_update_keeps_its_own_position(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An update commits, then a rebuild swaps in before the update records its position:
    the position lands in the directory the update wrote (now swapped out), so the new
    index keeps the position its snapshot stands for and re-reads the log from there."""
    from app.core.search import index as index_module

    start = index.position() or 0
    record = index_module._write_position

    def swap_first(directory: Any, position: int) -> None:
        monkeypatch.setattr(index_module, "_write_position", record)
        SearchIndex(index.path).rebuild([doc("lesson:fresh")], position=start + 1)
        record(directory, position)

    monkeypatch.setattr(index_module, "_write_position", swap_first)
    assert index.update(lambda: ([doc("lesson:u", seq=start + 5)], []),
                        from_position=start, position=start + 5) == "applied"
    assert index.position() == start + 1


@whoosh_only
def test_update_refuses_a_moved_index(index: SearchIndex) -> None:
    """A rebuild swapped in between reading the position and writing: nothing is written,
    so no log entry between the two positions is skipped."""
    start = index.position() or 0
    calls: list[int] = []

    def build() -> tuple[list[dict[str, Any]], list[str]]:
        calls.append(1)
        return [doc("lesson:late", title="Late")], []

    assert index.update(build, from_position=start + 5, position=start + 9) == "moved"
    assert calls == [] and index.position() == start
    assert "lesson:late" not in index.versions()


def test_an_older_document_never_replaces_a_newer_one(index: SearchIndex) -> None:
    """Two interleaved appliers: the one holding the document built for the later log
    entry wins, whichever writes last."""
    newer = doc("lesson:race", title="Partitioning with place value counters", seq=12)
    older = doc("lesson:race", title="Partitioning with straws", seq=11)
    assert index.apply([newer], [])
    assert index.apply([older], [])
    assert index.search("counters", access=ALICE).total == 1
    assert index.search("straws", access=ALICE).total == 0
    newest = doc("lesson:race", title="Partitioning with a bead string", seq=13)
    assert index.apply([newest], [])
    assert index.search("bead", access=ALICE).total == 1


def test_rebuild_with_two_processes(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "mp")
    docs = [doc(f"lesson:{i}", title=f"Lesson about arrays {i}") for i in range(300)]
    assert ix.rebuild(docs, total=300, procs=2) == 300
    assert ix.search("arrays", access=ALICE).total == 300
    assert ix.is_healthy()


@whoosh_only
def test_failed_rebuild_leaves_the_old_index(index: SearchIndex) -> None:
    def docs() -> Iterator[dict[str, Any]]:
        yield doc("lesson:ok")
        yield doc("lesson:bad", access=[])

    with pytest.raises(ValueError):
        index.rebuild(docs())
    assert index.search("practice", access=ALICE).total == 45
    assert [p.name for p in index.path.parent.iterdir()] == [index.path.name]


def _corrupt_toc(path: Path) -> None:
    for toc in path.glob("_MAIN_*.toc"):
        toc.write_bytes(b"\x00garbage" * 64)


def _corrupt_segments(path: Path) -> None:
    for seg in path.glob("*.seg"):
        seg.write_bytes(os.urandom(4096))


@whoosh_only
@pytest.mark.parametrize(
    "damage",
    [_corrupt_toc, _corrupt_segments, lambda p: __import__("shutil").rmtree(p)],
    ids=["toc", "segments", "deleted"],
)
def test_damaged_index_is_unhealthy_not_fatal(
    index: SearchIndex, damage: Callable[[Path], None]
) -> None:
    assert index.is_healthy()
    index.close()
    damage(index.path)
    assert index.is_healthy() is False
    r = index.search("fractions", access=ALICE)
    assert isinstance(r, SearchResults) and r.total == 0
    assert index.apply([doc("lesson:x")], []) is False
    # A rebuild repairs it.
    index.rebuild(DOCS)
    assert index.is_healthy() and index.search("zebrafinch", access=BOB).total == 1


def test_warm_then_search(index: SearchIndex) -> None:
    index.warm()
    assert index.search("fractions", access=ALICE).total >= 2


def test_prefix_count_is_capped(index: SearchIndex) -> None:
    r = index.search("pr* in* ch* qu* wi* ob*", access=ALICE)
    assert r.message and "5 at most" in r.message


@whoosh_only
def test_many_small_commits_merge_without_duplicates(index: SearchIndex) -> None:
    # Whoosh merges small segments as commits pile up; a searcher kept across them must not
    # see merged-away segments again (whoosh-reloaded's own refresh() does).
    other = SearchIndex(index.path)
    for i in range(15):
        assert index.apply([doc(f"lesson:m{i}", title=f"Merge check {i}", version=i)], [])
        assert other.search("merge", access=ALICE).total == i + 1
    assert index.apply([doc("lesson:m0", title="Merge check again", version=99)], [])
    assert other.search("merge", access=ALICE).total == 15
    assert other.count() == len(DOCS) + 15
    assert other.versions()["lesson:m0"] == 99
    other.close()
