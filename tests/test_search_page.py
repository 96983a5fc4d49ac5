"""The search results page as a teacher reads it: facet values as names in a sensible order,
what each result is (sequence, school, year group, date), notes about missing words and
corrections, and snippets that are plain readable text with maths typeset and no markup from
the plan itself."""

from __future__ import annotations

import re
import statistics
import time
from datetime import datetime

import pytest
from whoosh import query

from app.core.markdown import SafeHtml
from app.core.search import Correction, Hit, SearchResults
from app.core.search.analysis import analyse_word
from app.core.search.snippets import highlight_terms, readable_text, to_hit
from tests.planning_helpers import lesson_form, make_plan
from tests.test_search import _search, indexed  # noqa: F401 - fixture


def _terms(*words: str):
    """Highlight terms for words as the index analyses them."""
    return highlight_terms(query.Or([query.Term("body", form) for word in words
                                     for form in analyse_word(word)]), [])


def _snippet(body: str, *words: str) -> str:
    hit = to_hit({"key": "lesson:1", "body": body}, _terms(*words))
    assert isinstance(hit.snippet, SafeHtml)
    return str(hit.snippet)


def _markup_tags(html: str) -> set[str]:
    return set(re.findall(r"<[^>]*>", html))


ALLOWED_TAGS = {"<mark>", "</mark>", '<span class="math-inline">', "</span>"}


# --- snippets: readable text ----------------------------------------------------------------


def test_markdown_syntax_is_removed_from_snippets() -> None:
    body = ("## Starter\n\nPupils **compare** _unit_ fractions with ~~cubes~~ `bar models`.\n\n"
            "- Fold a strip\n  1. into thirds\n* [x] label it\n> Ask: which is bigger?\n\n"
            "| Step | Time |\n|------|-----:|\n| Count | 5 min |\n\n"
            "See [the guidance](https://example.org/g \"Guidance\") and ![a bar](x.png). ---\n"
            "***\nFish &amp; chips\\*[^1]")
    text = readable_text(body).text
    assert text == ("Starter · Pupils compare unit fractions with cubes bar models. "
                    "Fold a strip · into thirds · label it · Ask: which is bigger? "
                    "Step · Time · Count · 5 min · See the guidance and a bar. --- · "
                    "Fish & chips*")


def test_arithmetic_and_words_with_underscores_keep_their_symbols() -> None:
    assert readable_text("5 * 4 = 20, 2*3 = 6 and in_review").text == \
        "5 * 4 = 20, 2*3 = 6 and in_review"


def test_wiki_links_show_the_label_the_author_typed_never_a_title() -> None:
    text = readable_text("Read [[pd:3.2]], [[lesson:12|the last lesson]] and [[Number bonds]].")
    assert text.text == "Read pd:3.2, the last lesson and Number bonds."


def test_maths_is_kept_as_tex_and_marked_for_katex() -> None:
    body = r"Show $\frac{3}{4} = \frac{6}{8}$ and $$x^2$$ but $5 and $6 stay money."
    readable = readable_text(body)
    assert [readable.text[s:e] for s, e in readable.maths] == [r"\frac{3}{4} = \frac{6}{8}",
                                                               "x^2"]
    snippet = _snippet(body, "money")
    assert r'<span class="math-inline">\frac{3}{4} = \frac{6}{8}</span>' in snippet
    assert '<span class="math-inline">x^2</span>' in snippet
    assert "$5 and $6 stay <mark>money</mark>" in snippet


def test_a_formula_too_complex_to_typeset_is_not_handed_to_katex() -> None:
    deep = "{" * 60 + "x" + "}" * 60
    snippet = _snippet(f"Nested ${deep}$ here and ${'y+' * 200}y$ there.", "nested")
    assert "math-inline" not in snippet
    assert snippet == "<mark>Nested</mark> [formula] here and [formula] there."


def test_a_match_inside_a_formula_marks_the_whole_formula() -> None:
    snippet = _snippet(r"Pupils find $\frac{3}{4}$ of twelve.", "frac")
    assert snippet == (r'Pupils find <mark><span class="math-inline">\frac{3}{4}</span></mark>'
                       " of twelve.")


def test_a_fragment_never_cuts_a_formula_in_half() -> None:
    short = r"\frac{1}{2} + \frac{1}{4} = \frac{3}{4}"
    long = r"\frac{1}{2} + \frac{1}{4} + \frac{1}{8} + \frac{1}{16} + \frac{1}{32} = \frac{31}{32}"
    cut = 0
    for formula in (short, long):
        for gap in range(0, 60, 2):
            body = ("tail " * 60 + f"${formula}$ " + "ab " * (gap // 2) + "quokka "
                    + "ab " * (gap // 2) + f"${formula}$ " + "tail " * 60)
            snippet = _snippet(body, "quokka")
            assert "<mark>quokka</mark>" in snippet
            whole = f'<span class="math-inline">{formula}</span>'
            opened = snippet.count('<span class="math-inline">')
            assert snippet.count("</span>") == opened
            # Each span holds the whole formula, and no piece of one shows outside a span.
            assert snippet.count(whole) == opened, (gap, snippet)
            assert snippet.replace(whole, "").count("frac") == 0, (gap, snippet)
            cut += opened < 2
    assert cut  # some fragments did reach into a formula and left it out


def test_a_match_deep_in_a_long_plan_is_found_and_cheap(monkeypatch) -> None:
    from app.core.search import snippets

    converted: list[int] = []

    def spy(source: str):
        converted.append(len(source))
        return readable_text(source)

    monkeypatch.setattr(snippets, "readable_text", spy)
    body = ("Pupils **count** in steps of $\\frac{1}{2}$. " * 4000) + "The walrus sleeps."
    # CPU time for the bound (other processes on a loaded machine do not count), and a
    # loose wall-clock bound so a snippet can never stall a page.
    started, cpu = time.perf_counter(), time.process_time()
    snippet = _snippet(body, "walrus")
    assert time.process_time() - cpu < 0.05
    assert time.perf_counter() - started < 0.5
    assert "<mark>walrus</mark>" in snippet and snippet.startswith("\u2026 ")
    # Only a window of the plan around the match is turned into text.
    assert converted and max(converted) <= 20_000 < len(body)


def test_six_hundred_words_cost_well_under_a_millisecond() -> None:
    paragraph = ("### Starter\n\nPupils **compare** unit fractions using a bar model and "
                 "explain which is greater. They notice that the more equal parts a whole is "
                 "split into, the smaller each part is. Some think $\\frac{1}{5}$ is bigger "
                 "than $\\frac{1}{3}$ because 5 is bigger than 3; see [[pd:3.2]] and use "
                 "_paper strips_.\n\n- Fold a strip into thirds.\n- Compare it with fifths.\n\n")
    body = paragraph * 10
    assert 600 <= len(body.split()) <= 640
    terms = _terms("misconception", "strips")
    to_hit({"key": "lesson:1", "body": body}, terms)  # warm the analysis cache
    timings = []
    for _ in range(50):
        started = time.perf_counter()
        to_hit({"key": "lesson:1", "body": body}, terms)
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.001


@pytest.mark.parametrize("body", [
    "Quokka <script>alert(1)</script>",
    'Quokka "><img src=x onerror=alert(1)>',
    "Quokka $<img src=x onerror=alert(1)>$ and $</span><script>x</script>$",
    "Quokka [[pd:<b>x</b>]] and [[lesson:1|<i onclick=x>label</i>]]",
    "Quokka [<img src=x>](javascript:alert(1)) `<script>` &lt;b&gt; &#60;i&#62;",
    "Quokka **<b>bold</b>** ## <h1>x</h1>\n# <em>heading</em>",
])
def test_hostile_text_never_becomes_markup(body: str) -> None:
    for words in (("quokka",), ("img", "script", "span", "quokka"), ("zzz",)):
        snippet = _snippet(body, *words)
        assert _markup_tags(snippet) <= ALLOWED_TAGS, (body, snippet)
        # Spans open only as maths spans, and tags pair up.
        assert snippet.count("<mark>") == snippet.count("</mark>")
        assert snippet.count("<span") == snippet.count("</span>")


# --- facet names and order (presenters) -----------------------------------------------------


def _page(results: SearchResults | None, text: str = "x", **filters: list[str]):
    from app.search.services import SearchPage, SearchRequest

    return SearchPage(SearchRequest(text=text, filters=filters), results)


def _results(**facets: list[tuple[str, int]]) -> SearchResults:
    return SearchResults([], 1, 1, 1, facets)


def _options(found, name: str) -> list[tuple[str, str, int, bool]]:
    facet = next(f for f in found if f.name == name)
    return [(o.value, o.label, o.count, o.chosen) for o in facet.options]


def test_facet_values_are_names_in_curriculum_and_workflow_order(app) -> None:
    from app.search.presenters import facets

    results = _results(
        type=[("material", 1), ("lesson", 9), ("sequence", 2)],
        year_group=[("Y4", 5), ("Y10", 1), ("R", 2), ("Y1", 1)],
        strand=[("G", 1), ("F", 9), ("NPV", 2), ("MEASUREMENT", 1), ("AS/MD", 1),
                ("ODD", 1)],
        academic_year=[("2023/24", 1), ("2025/26", 3), ("2024/25", 2)],
        status=[("approved", 3), ("draft", 4), ("in_review", 2)],
    )
    with app.test_request_context():
        found = facets(_page(results, status=["draft"]))
    assert [f.name for f in found] == ["type", "year_group", "strand", "academic_year",
                                       "status"]
    assert _options(found, "type") == [("lesson", "Lesson", 9, False),
                                       ("sequence", "Sequence", 2, False),
                                       ("material", "PD material", 1, False)]
    assert [label for _v, label, _c, _s in _options(found, "year_group")] == \
        ["Reception", "Year 1", "Year 4", "Year 10"]
    assert _options(found, "strand") == [
        ("NPV", "Number and place value", 2, False),
        ("AS/MD", "Addition, subtraction, multiplication and division", 1, False),
        ("F", "Fractions", 9, False),
        ("MEASUREMENT", "Measurement", 1, False),
        ("G", "Geometry", 1, False),
        ("ODD", "ODD", 1, False),
    ]
    assert [v for v, *_ in _options(found, "academic_year")] == ["2025/26", "2024/25",
                                                                  "2023/24"]
    assert _options(found, "status") == [("draft", "Draft", 4, True),
                                         ("in_review", "In review", 2, False),
                                         ("approved", "Approved", 3, False)]


def test_a_chosen_filter_with_no_results_stays_chosen(app) -> None:
    from app.search.presenters import facets

    with app.test_request_context():
        found = facets(_page(_results(year_group=[("Y3", 2)]), year=["Y6"], strand=["F"]))
    assert _options(found, "year_group") == [("Y3", "Year 3", 2, False),
                                             ("Y6", "Year 6", 0, True)]
    assert _options(found, "strand") == [("F", "Fractions", 0, True)]


# --- the page -------------------------------------------------------------------------------


def _two_school_plans(app, make_work_group, make_user, make_school):
    group = make_work_group()
    with app.app_context():
        from app.accounts.models import School
        from app.extensions import db

        db.session.get(School, group.school_ids[0]).name = "Zetland Primary"
        db.session.get(School, group.school_ids[1]).name = "Ashby Juniors"
        db.session.commit()
    here = make_user(group=group)
    there = make_user(group=group, school_id=group.school_ids[1])
    first = make_plan(app, here, group, lessons=1, title="Quokka fractions", year_group="Y4",
                      strand="fractions")
    second = make_plan(app, there, group, lessons=1, title="Quokka bonds", year_group="R",
                       strand="npv", school_id=str(group.school_ids[1]))
    with app.app_context():
        from app.search.indexer import catch_up

        catch_up()
    return group, here, first, second


def test_the_page_names_facet_values_and_keeps_raw_values(indexed, client, login,  # noqa: F811
                                                          make_work_group, make_user,
                                                          make_school):
    group, here, first, second = _two_school_plans(indexed, make_work_group, make_user,
                                                   make_school)
    login(here)
    page = _search(client, "quokka")
    # Names, with the raw value still what the checkbox sends.
    assert re.search(r'value="R"[^>]*>\s*<label[^>]*><bdi>Reception</bdi>', page)
    assert re.search(r'value="Y4"[^>]*>\s*<label[^>]*><bdi>Year 4</bdi>', page)
    assert re.search(r'value="F"[^>]*>\s*<label[^>]*><bdi>Fractions</bdi>', page)
    assert re.search(rf'value="{group.school_ids[1]}"[^>]*>\s*<label[^>]*><bdi>Ashby Juniors',
                     page)
    assert re.search(r'value="draft"[^>]*>\s*<label[^>]*><bdi>Draft</bdi>', page)
    assert "Strand F" not in page and ">F<" not in page
    # Year groups in curriculum order, schools alphabetically.
    assert page.index("<bdi>Reception</bdi>") < page.index("<bdi>Year 4</bdi>")
    assert page.index("<bdi>Ashby Juniors</bdi> <span") < \
        page.index("<bdi>Zetland Primary</bdi> <span")
    # Each result says where it sits: sequence, school, year group, date.
    lesson_meta = page[page.index(f'href="/lessons/{first.lesson_ids[0]}"'):]
    lesson_meta = lesson_meta[:lesson_meta.index("</p>")]
    assert "In <bdi>Quokka fractions</bdi>" in lesson_meta
    assert "<bdi>Zetland Primary</bdi>" in lesson_meta and "Year 4" in lesson_meta
    assert "Updated " in lesson_meta
    # The filters join the search form and come after the results.
    assert page.index('class="results"') < page.index('id="search-filters"')
    assert 'form="search-form"' in page and 'id="search-form"' in page
    # The page loads KaTeX for the snippets' maths.
    assert "katex.min.js" in page and "js/math.js" in page
    # Ticking a filter works with its raw value.
    only_reception = _search(client, "quokka", year="R")
    assert f"/sequences/{second.id}" in only_reception
    assert f"/sequences/{first.id}" not in only_reception
    assert re.search(r'value="R" checked>', only_reception)


def test_a_chosen_filter_that_finds_nothing_can_be_unticked(indexed, client, login,  # noqa: F811
                                                            make_work_group, make_user,
                                                            make_school):
    _group, here, _first, _second = _two_school_plans(indexed, make_work_group, make_user,
                                                      make_school)
    login(here)
    page = _search(client, "quokka", year="Y6", status="in_review")
    assert re.search(r'name="year" value="Y6" checked>\s*<label[^>]*><bdi>Year 6</bdi>', page)
    assert re.search(r'name="status" value="in_review" checked>\s*<label[^>]*>'
                     r'<bdi>In review</bdi>', page)


def test_a_school_id_in_the_address_never_reveals_its_name(indexed, client, login,  # noqa: F811
                                                           make_work_group, make_user,
                                                           make_school):
    _group, here, _first, _second = _two_school_plans(indexed, make_work_group, make_user,
                                                      make_school)
    hidden = make_school(name="Hidden Hollow Academy")
    login(here)
    page = _search(client, "quokka", school=str(hidden.id))
    assert "Hidden Hollow" not in page
    assert re.search(rf'value="{hidden.id}" checked>\s*<label[^>]*><bdi>A school you chose', page)


def test_snippets_on_the_page_are_plain_text_with_maths(indexed, client, login,  # noqa: F811
                                                        make_work_group, make_user,
                                                        make_school):
    _group, here, first, _second = _two_school_plans(indexed, make_work_group, make_user,
                                                     make_school)
    login(here)
    response = client.post(f"/lessons/{first.lesson_ids[0]}/edit", data=lesson_form(
        key_learning_point="Pupils **see** that $\\frac{3}{4}$ equals [[pd:3.2]] "
                           "<img src=x onerror=alert(1)>: the platypus rule."))
    assert response.status_code in (200, 302)
    page = _search(client, "platypus")
    assert ('Pupils see that <span class="math-inline">\\frac{3}{4}</span> equals pd:3.2 '
            "&lt;img src=x onerror=alert(1)&gt;: the <mark>platypus</mark> rule.") in page


def _fake_search(monkeypatch, results: SearchResults) -> None:
    from app.search import services

    def fake(user, wanted, *, retry=True):
        return services.SearchPage(wanted, results)

    monkeypatch.setattr(services, "search", fake)


def test_missing_words_and_corrections_are_shown(app, client, login, make_user,
                                                 monkeypatch) -> None:
    hit = Hit(key="lesson:1", type="lesson", title="Fractions", url="", sequence_title="",
              school_name="", year_group="Y4", updated=datetime(2026, 3, 4),
              snippet=SafeHtml(""))
    _fake_search(monkeypatch, SearchResults(
        [hit], 1, 1, 1, {}, suggestion="ignored when corrections exist",
        missing=["walrus", "<b>x</b>"],
        corrections=[Correction("fractoins", "fractions", "fractions walrus")]))
    login(make_user())
    page = client.get("/search", query_string={"q": "fractoins walrus", "year": "Y4",
                                               "archived": "1", "page": "3"}
                      ).get_data(as_text=True)
    assert ("No results had every word; showing results without: "
            "“<bdi>walrus</bdi>”, “<bdi>&lt;b&gt;x&lt;/b&gt;</bdi>”.") in page
    link = re.search(r'Did you mean <a href="([^"]+)"><bdi>fractions</bdi></a> for '
                     r"“<bdi>fractoins</bdi>”\?", page)
    assert link is not None
    href = link.group(1).replace("&amp;", "&")
    assert "q=fractions+walrus" in href and "year=Y4" in href and "archived=1" in href
    assert "page=" not in href
    assert "ignored when corrections exist" not in page
    assert "Year 4" in page and "4 Mar 2026" in page


def test_the_suggestion_shows_when_there_are_no_corrections(app, client, login, make_user,
                                                            monkeypatch) -> None:
    _fake_search(monkeypatch, SearchResults([], 0, 1, 0, {}, suggestion="fractions"))
    login(make_user())
    page = client.get("/search", query_string={"q": "fractoins"}).get_data(as_text=True)
    assert 'Did you mean <bdi><a href="/search?q=fractions">fractions</a></bdi>?' in page

