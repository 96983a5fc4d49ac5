"""Attack and behaviour tests for app.core.markdown (no Flask app needed)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import quote

import pytest

from app.core import markdown as md
from app.core.markdown import (
    LinkTarget,
    clean_text,
    extract_links,
    render_markdown,
    resolve_links,
)


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag in `html` with its (entity-decoded) attributes, as a browser sees them."""
    collector = _TagCollector()
    collector.feed(str(html))
    collector.close()
    return collector.tags


def hrefs(html: str) -> list[str | None]:
    return [attrs.get("href") for tag, attrs in tags(html) if tag == "a"]


def nothing_resolves(kind: str, target: str) -> LinkTarget | None:
    return None


# --- raw HTML and scripts ----------------------------------------------------------------------


def test_returns_markup() -> None:
    assert isinstance(render_markdown("hi"), md.SafeHtml)


def test_script_tag_is_escaped_not_rendered() -> None:
    out = render_markdown("<script>alert(1)</script>")
    assert "<script" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out


def test_img_onerror_is_escaped() -> None:
    out = render_markdown('hello <img src=x onerror="alert(1)"> there')
    assert [t for t, _ in tags(out)] == ["p"]
    assert "&lt;img" in out


@pytest.mark.parametrize(
    "source",
    [
        '<div onclick="alert(1)">block html</div>',
        "<!-- comment --> text",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=//evil.example></iframe>",
        "<svg><script>alert(1)</script></svg>",
        "<style>body{display:none}</style>",
    ],
)
def test_raw_html_is_shown_as_text(source: str) -> None:
    out = render_markdown(source)
    assert {t for t, _ in tags(out)} <= {"p"}
    assert "&lt;" in out


def test_images_are_not_rendered() -> None:
    out = render_markdown("![alt](https://example.org/x.png)")
    assert "<img" not in out
    assert hrefs(out) == ["https://example.org/x.png"]


def test_code_block_language_class_kept_but_hostile_info_dropped() -> None:
    good = render_markdown("```python\nx = 1\n```")
    assert '<code class="language-python">' in good
    bad = render_markdown('```py"><script>alert(1)</script>\nx\n```')
    assert "<script" not in bad
    assert tags(bad) == [("pre", {}), ("code", {})]


def test_only_allowlisted_tags_and_attributes_ever_appear() -> None:
    source = (
        "# H1\n\n## H2\n\n###### H6\n\n*em* **strong** ~~del~~ `code`  \nline\n\n"
        "> quote\n\n---\n\n1. one\n2. two\n\n- [ ] todo\n- [x] done\n\n"
        "| a | b |\n|:-:|--:|\n| 1 | 2 |\n\n"
        '[ext](https://example.org "T") [int](/x) [frag](#y) [mail](mailto:a@b.org)\n\n'
        "$x$ and [[Page]] and [[pd:1.2]] note[^n]\n\n$$\ny\n$$\n\n[^n]: foot\n\n"
        "```py\ncode\n```\n"
    )
    allowed = {
        "a": {"href", "title", "rel", "class", "id"},
        "code": {"class"},
        "ol": {"start", "class"},
        "ul": {"class"},
        "li": {"class", "id"},
        "input": {"type", "class", "disabled", "checked"},
        "th": {"class"},
        "td": {"class"},
        "sup": {"class"},
        "hr": {"class"},
        "section": {"class"},
        "span": {"class", "data-kind", "data-target"},
        "div": {"class"},
    }
    plain = {"p", "h1", "h2", "h6", "em", "strong", "s", "br", "blockquote", "pre",
             "table", "thead", "tbody", "tr"}  # fmt: skip
    seen = tags(render_markdown(source))
    assert {t for t, _ in seen} == plain | set(allowed)
    for tag, attrs in seen:
        assert set(attrs) <= allowed.get(tag, set()), (tag, attrs)


# --- links -------------------------------------------------------------------------------------

_BAD_LINKS = [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;&#x61;vascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](<java\tscript:alert(1)>)",
    "[x](<java script:alert(1)>)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](DATA:text/html,<script>alert(1)</script>)",
    "[x](vbscript:msgbox(1))",
    "[x](VbScRiPt:msgbox(1))",
    "[x](file:///etc/passwd)",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<data:text/html,hi>",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "[x](//evil.example/path)",
    "[x](relative/path)",
]


@pytest.mark.parametrize("source", _BAD_LINKS)
def test_dangerous_links_lose_their_href(source: str) -> None:
    out = render_markdown(source)
    assert hrefs(out) == []
    assert "href" not in out


def test_backslash_after_slash_is_not_protocol_relative() -> None:
    # Browsers read "/\\host" as "//host"; markdown-it percent-encodes the backslash.
    assert hrefs(render_markdown("[x](/\\evil.example)")) == ["/%5Cevil.example"]


@pytest.mark.parametrize(
    ("source", "href"),
    [
        ("[x](http://example.org)", "http://example.org"),
        ("[x](HTTPS://example.org/a?b=1&c=2)", "HTTPS://example.org/a?b=1&c=2"),
        ("[x](mailto:head@school.example)", "mailto:head@school.example"),
        ("<https://example.org>", "https://example.org"),
        ("[x](/sequences/3)", "/sequences/3"),
        ("[x](#starter)", "#starter"),
    ],
)
def test_allowed_links_keep_their_href(source: str, href: str) -> None:
    assert hrefs(render_markdown(source)) == [href]


def test_external_links_get_rel_and_internal_do_not() -> None:
    out = render_markdown("[a](https://example.org) [b](/x) [c](#y) [d](mailto:a@b.org)")
    rels = {attrs["href"]: attrs.get("rel") for tag, attrs in tags(out) if tag == "a"}
    assert rels == {
        "https://example.org": "nofollow noopener",
        "/x": None,
        "#y": None,
        "mailto:a@b.org": "nofollow noopener",
    }


def test_link_title_cannot_inject_attributes() -> None:
    out = render_markdown('[x](/a "t\\" onmouseover=\\"alert(1)\\" x=\\"<b>")')
    links = [attrs for tag, attrs in tags(out) if tag == "a"]
    assert links == [{"href": "/a", "title": 't" onmouseover="alert(1)" x="<b>'}]


def test_link_text_html_is_escaped() -> None:
    out = render_markdown("[<b onclick=x>bold</b>](/a)")
    assert tags(out) == [("p", {}), ("a", {"href": "/a"})]


# --- the sanitiser on its own (defence in depth behind markdown-it) ----------------------------


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<script>alert(1)</script>", "alert(1)"),
        ('<p onclick="x" style="color:red">a</p>', "<p>a</p>"),
        ('<a href="javascript:alert(1)">a</a>', "<a>a</a>"),
        ('<a href="//evil.example">a</a>', "<a>a</a>"),
        ('<a href="/ok" rel="opener">a</a>', '<a href="/ok">a</a>'),
        (
            '<span class="evil" data-kind="x" data-target="t">a</span>',
            '<span data-target="t">a</span>',
        ),
        ('<div class="math-block" id="x">a</div>', '<div class="math-block">a</div>'),
        ('<li id="main">a</li>', "<li>a</li>"),
        ('<input type="text" value="x">', "<input>"),
        # A picture is allowed only from Coplan's own download address (see
        # tests/core/test_markdown_pictures.py); any other source and every handler go.
        ('<img src="x" onerror="alert(1)">', "<img>"),
        (
            '<table><tr><td style="text-align:left">a</td></tr></table>',
            "<table><tbody><tr><td>a</td></tr></tbody></table>",
        ),
    ],
)
def test_sanitizer_allowlist(dirty: str, clean: str) -> None:
    assert md._sanitize(dirty) == clean


# --- tables, strikethrough, task lists, footnotes ----------------------------------------------


def test_table_alignment_becomes_class_not_style() -> None:
    out = render_markdown("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |")
    cells = [(tag, attrs.get("class")) for tag, attrs in tags(out) if tag in ("th", "td")]
    assert cells == [
        ("th", "align-left"), ("th", "align-center"), ("th", "align-right"),
        ("td", "align-left"), ("td", "align-center"), ("td", "align-right"),
    ]  # fmt: skip
    assert "style" not in out


def test_strikethrough() -> None:
    assert render_markdown("~~old~~ new") == "<p><s>old</s> new</p>\n"


def test_task_list_checkboxes_are_disabled() -> None:
    out = render_markdown("- [ ] plan starter\n- [x] print sheets")
    boxes = [attrs for tag, attrs in tags(out) if tag == "input"]
    assert boxes == [
        {"class": "task-list-item-checkbox", "disabled": None, "type": "checkbox"},
        {"class": "task-list-item-checkbox", "checked": None, "disabled": None, "type": "checkbox"},
    ]
    assert '<ul class="contains-task-list">' in out


def test_footnotes() -> None:
    out = render_markdown("Claim[^1].\n\n[^1]: Source.")
    assert '<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup>' in out
    assert '<section class="footnotes">' in out
    assert '<li id="fn1" class="footnote-item"><p>Source.' in out
    assert '<a href="#fnref1" class="footnote-backref">' in out


# --- maths -------------------------------------------------------------------------------------


def test_inline_maths() -> None:
    assert render_markdown("Area $\\pi r^2$ here") == (
        '<p>Area <span class="math-inline">\\pi r^2</span> here</p>\n'
    )


def test_block_maths() -> None:
    assert render_markdown("$$\n\\frac{a}{b} < c\n$$") == (
        '<div class="math-block">\\frac{a}{b} &lt; c</div>\n'
    )


def test_maths_source_cannot_break_out() -> None:
    out = render_markdown("$</span><script>alert(1)</script>$")
    assert "<script" not in out
    assert [t for t, _ in tags(out)] == ["p", "span"]


def test_maths_keeps_markdown_characters_literally() -> None:
    out = render_markdown("$a_1 * b_2 * c$")
    assert '<span class="math-inline">a_1 * b_2 * c</span>' in out


@pytest.mark.parametrize(
    "source",
    ["$5 and $6", "It costs £5 and $3.", "between $5-$10 each", "$ x $", "\\$x$"],
)
def test_currency_is_not_maths(source: str) -> None:
    assert "math-inline" not in render_markdown(source)


# --- wiki links: rendering ---------------------------------------------------------------------


def _placeholders(html: str) -> list[dict[str, str | None]]:
    return [attrs for tag, attrs in tags(html) if tag == "span"]


def test_wikilink_placeholder_shape() -> None:
    assert render_markdown("See [[Fractions]].") == (
        '<p>See <span class="wikilink" data-kind="page" data-target="Fractions">'
        "Fractions</span>.</p>\n"
    )


@pytest.mark.parametrize(
    ("source", "kind", "target", "label"),
    [
        ("[[Fractions]]", "page", "Fractions", "Fractions"),
        ("[[  Ratio   and proportion ]]", "page", "Ratio and proportion", "Ratio and proportion"),
        ("[[Fractions/Adding fractions]]", "page", "Fractions/Adding fractions",
         "Fractions/Adding fractions"),
        ("[[Fractions|the fractions unit]]", "page", "Fractions", "the fractions unit"),
        ("[[pd:2.7]]", "pd", "2.7", "pd:2.7"),
        ("[[PD: 2.7 |questioning]]", "pd", "2.7", "questioning"),
        ("[[pd:Mastery/Variation theory]]", "pd", "Mastery/Variation theory",
         "pd:Mastery/Variation theory"),
    ],
)  # fmt: skip
def test_wikilink_forms(source: str, kind: str, target: str, label: str) -> None:
    out = render_markdown(source)
    assert _placeholders(out) == [{"class": "wikilink", "data-kind": kind, "data-target": target}]
    assert f">{label}</span>" in out


@pytest.mark.parametrize(
    "source",
    ["[[]]", "[[  ]]", "[[pd:]]", "[[|label]]", "[[a\nb]]", "[[a[b]]", "`[[Code]]`",
     "[[" + "x" * 400 + "]]", "\\[[Escaped]]"],
)  # fmt: skip
def test_not_wikilinks(source: str) -> None:
    assert "wikilink" not in render_markdown(source)


def test_wikilink_inside_link_text_is_not_nested() -> None:
    # As with CommonMark's nested links, the inner link wins and the outer stays text.
    out = resolve_links(render_markdown("[see [[Fractions]]](/x)"), lambda k, t: LinkTarget("/f"))
    assert out == '<p>[see <a class="wikilink" href="/f">Fractions</a>](/x)</p>\n'


def test_wikilink_in_table_with_escaped_pipe() -> None:
    out = render_markdown("| a |\n|---|\n| [[Fractions\\|fr]] |")
    assert _placeholders(out) == [
        {"class": "wikilink", "data-kind": "page", "data-target": "Fractions"}
    ]
    assert ">fr</span>" in out


def test_wikilink_label_and_target_are_escaped() -> None:
    nasty = "A & <b>B</b> \"q\" 'r'"
    out = render_markdown(f"[[{nasty}|<i>{nasty}</i>]]")
    assert "<b>" not in out and "<i>" not in out
    assert _placeholders(out) == [{"class": "wikilink", "data-kind": "page", "data-target": nasty}]


def test_wikilink_cannot_forge_attributes() -> None:
    out = render_markdown('[[x" onclick="alert(1)]]')
    spans = _placeholders(out)
    assert spans == [
        {"class": "wikilink", "data-kind": "page", "data-target": 'x" onclick="alert(1)'}
    ]
    resolved = resolve_links(out, lambda kind, target: LinkTarget(url="/p/1", title=None))
    assert [attrs for tag, attrs in tags(resolved) if tag == "a"] == [
        {"class": "wikilink", "href": "/p/1"}
    ]


def test_wikilink_to_javascript_never_becomes_href() -> None:
    out = render_markdown("[[javascript:alert(1)]]")
    assert "href" not in out
    # Even a careless resolver that echoes the target as a URL cannot produce a script link.
    naive = resolve_links(out, lambda kind, target: LinkTarget(url=target, title=target))
    assert "href" not in naive
    assert naive == '<p><span class="wikilink missing">javascript:alert(1)</span></p>\n'


def test_author_cannot_forge_a_placeholder() -> None:
    forged = '<span class="wikilink" data-kind="page" data-target="Secret">x</span>'
    for source in (forged, f"`{forged}`", f"    {forged}"):
        out = render_markdown(source)
        resolved = resolve_links(out, lambda kind, target: LinkTarget(url="/secret", title="S"))
        assert "/secret" not in resolved
        assert "<a" not in resolved


# --- wiki links: resolving at view time --------------------------------------------------------


def test_resolved_link_uses_title_when_author_gave_no_label() -> None:
    html = render_markdown("[[fractions]]")
    out = resolve_links(html, lambda kind, target: LinkTarget(url="/s/7", title="Fractions"))
    assert out == '<p><a class="wikilink" href="/s/7">Fractions</a></p>\n'
    assert isinstance(out, md.SafeHtml)


def test_resolved_link_keeps_author_label() -> None:
    html = render_markdown("[[Fractions|this unit]]")
    out = resolve_links(html, lambda kind, target: LinkTarget(url="/s/7", title="Fractions"))
    assert out == '<p><a class="wikilink" href="/s/7">this unit</a></p>\n'


def test_resolved_link_without_title_uses_label() -> None:
    out = resolve_links(render_markdown("[[pd:2.7]]"), lambda k, t: LinkTarget(url="/pd/2.7"))
    assert out == '<p><a class="wikilink" href="/pd/2.7">pd:2.7</a></p>\n'


def test_resolver_gets_unescaped_kind_and_target() -> None:
    calls: list[tuple[str, str]] = []

    def resolver(kind: str, target: str) -> LinkTarget | None:
        calls.append((kind, target))
        return None

    resolve_links(render_markdown('[[A & <B> "c"/L\'s]] [[pd:2.7]]'), resolver)
    assert calls == [("page", 'A & <B> "c"/L\'s'), ("pd", "2.7")]


def test_resolver_called_once_per_distinct_target() -> None:
    calls: list[tuple[str, str]] = []

    def resolver(kind: str, target: str) -> LinkTarget | None:
        calls.append((kind, target))
        return LinkTarget(url="/x")

    resolve_links(render_markdown("[[A]] [[A|again]] [[B]] [[A]]"), resolver)
    assert calls == [("page", "A"), ("page", "B")]


def test_resolved_url_and_title_are_escaped() -> None:
    html = render_markdown("[[A]]")
    out = resolve_links(html, lambda k, t: LinkTarget(url='/a?x="><script>', title="<b>T</b>"))
    assert "<script" not in out and "<b>" not in out
    assert [attrs for tag, attrs in tags(out) if tag == "a"] == [
        {"class": "wikilink", "href": '/a?x="><script>'}
    ]


def test_unresolved_page_link_shows_only_the_label() -> None:
    html = render_markdown("[[Secret sequence/Hidden lesson|see here]]")
    out = resolve_links(html, nothing_resolves)
    assert out == '<p><span class="wikilink missing">see here</span></p>\n'


def test_unresolved_page_link_can_offer_create() -> None:
    html = render_markdown("[[New lesson]]")
    out = resolve_links(html, nothing_resolves, create_url=lambda t: f"/new?title={quote(t)}")
    assert out == (
        '<p><span class="wikilink missing">New lesson</span> '
        '<a class="wikilink-create" href="/new?title=New%20lesson">create</a></p>\n'
    )


@pytest.mark.parametrize(
    "url", [None, "", "javascript:alert(1)", "//evil.example/new", "/new?title=not encoded"]
)
def test_create_link_omitted_when_none_or_unsafe(url: str | None) -> None:
    out = resolve_links(render_markdown("[[X]]"), nothing_resolves, create_url=lambda t: url)
    assert out == '<p><span class="wikilink missing">X</span></p>\n'


def test_unresolved_pd_link_says_unknown_material() -> None:
    out = resolve_links(render_markdown("[[pd:9.9|secret module]]"), nothing_resolves,
                        create_url=lambda t: "/new")  # fmt: skip
    assert out == (
        '<p><span class="wikilink missing" title="unknown material">'
        "secret module (unknown material)</span></p>\n"
    )


def test_resolve_leaves_other_html_alone() -> None:
    html = render_markdown("**bold** $x$ [[A]] [link](/l)")
    out = resolve_links(html, lambda k, t: LinkTarget(url="/a"))
    assert out == (
        '<p><strong>bold</strong> <span class="math-inline">x</span> '
        '<a class="wikilink" href="/a">A</a> <a href="/l">link</a></p>\n'
    )


# --- input hygiene -----------------------------------------------------------------------------


def test_clean_text_removes_controls_keeps_whitespace() -> None:
    assert clean_text("a\x00b\x01c\x08d\x0be\x0cf\x1bg\x1fh\ti\nj") == "abcdefgh\ti\nj"


def test_clean_text_normalises_line_endings() -> None:
    assert clean_text("a\r\nb\rc\n") == "a\nb\nc\n"


def test_render_removes_nul_bytes() -> None:
    out = render_markdown("fra\x00ctions [[Ra\x00tio]]")
    assert "\x00" not in out and "\ufffd" not in out
    assert "fractions" in out and 'data-target="Ratio"' in out


def test_render_handles_crlf() -> None:
    out = render_markdown("# Title\r\n\r\n- one\r\n- two\r\n")
    assert out == "<h1>Title</h1>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
    assert "\r" not in render_markdown("a\r\nb")


# --- extract_links -----------------------------------------------------------------------------


def test_extract_links() -> None:
    source = (
        "Start with [[Fractions/Equivalent fractions|equivalence]] and [[pd:2.7]].\r\n\r\n"
        "| a |\n|---|\n| [[Ratio\\|r]] |\n\n"
        "`[[Not a link]]` [[Fractions/Equivalent fractions]] [[ ]]\n\n"
        "    [[Indented code]]\n\n"
        "Note[^1].\n\n[^1]: see [[PD:3.1]]\n"
    )
    assert extract_links(source) == [
        ("page", "Fractions/Equivalent fractions"),
        ("pd", "2.7"),
        ("page", "Ratio"),
        ("pd", "3.1"),
    ]


def test_extract_links_empty() -> None:
    assert extract_links("No links, just $x$ and [a](/b).") == []


# --- maths too complex for KaTeX ----------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "$" + "{" * 5000 + "x" + "}" * 5000 + "$",
        "$" + "{" * (md.MAX_MATH_DEPTH + 1) + "x" + "}" * (md.MAX_MATH_DEPTH + 1) + "$",
        "$" + "\\left(" * 30 + "x" + "\\right)" * 30 + "$",
        "$" + "x+" * md.MAX_MATH_CHARS + "x$",
        "$$\n" + "(" * 60 + "\n$$",
    ],
)
def test_over_complex_maths_is_never_given_to_katex(source: str) -> None:
    out = render_markdown(source)
    assert "math-inline" not in out and "math-block" not in out
    assert 'class="math-error" title="This formula is too complex to display"' in out
    assert "too complex to display)" in out
    assert "<code>" + source.strip("$\n")[:20] in out


def test_maths_within_the_bounds_still_goes_to_katex() -> None:
    depth = md.MAX_MATH_DEPTH // 2  # \left( counts twice: once for \left, once for "("
    source = "\\left(" * depth + "x" + "\\right)" * depth
    assert render_markdown(f"${source}$ and $y$").count('class="math-inline"') == 2


def test_one_bad_formula_does_not_affect_its_neighbours() -> None:
    out = render_markdown("$a$ then $" + "{" * 100 + "}" * 100 + "$ then $b$")
    assert out.count('class="math-inline"') == 2
    assert out.count('class="math-error"') == 1


# --- template-looking text ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{{7*7}}",
        "{{ a*b }} and {{ c*d }}",
        "{% if x*y %}",
        "{{ _a_ }} {% *b* %}",
        "{{ [[Fractions]] }}",
    ],
)
def test_template_looking_text_comes_out_as_written(source: str) -> None:
    assert render_markdown(source) == f"<p>{source}</p>\n"


def test_template_looking_text_is_still_escaped() -> None:
    assert render_markdown("{{ '<b>' & x*y }}") == "<p>{{ '&lt;b&gt;' &amp; x*y }}</p>\n"


def test_template_span_stays_on_one_line_and_markdown_around_it_works() -> None:
    assert render_markdown("*a* {{ b*c }} *d*") == "<p><em>a</em> {{ b*c }} <em>d</em></p>\n"
    # Not closed on the same line: ordinary Markdown.
    assert render_markdown("{{ *b*\n}}") == "<p>{{ <em>b</em>\n}}</p>\n"
    assert render_markdown("{{ *b*") == "<p>{{ <em>b</em></p>\n"


# --- cost bounds ----------------------------------------------------------------------------------


def test_task_lists_in_nested_and_mixed_lists() -> None:
    out = render_markdown("1. [x] one\n   - [ ] inner\n   - plain\n2. two")
    assert "<ol>" in out  # the class is set, but bleach allows it on <ul> only
    assert '<ul class="contains-task-list">' in out
    assert out.count('class="task-list-item"') == 2
    assert "<li>plain</li>" in out and "<li>two</li>" in out


def test_text_over_the_length_limit_is_shown_as_written() -> None:
    text = "*a* <b>" + "x" * md.MAX_RENDER_CHARS
    out = render_markdown(text)
    assert "<em>" not in out and "<b>" not in out
    assert "<pre>*a* &lt;b&gt;xxx" in out
    assert "shown as written" in out


def test_text_too_dense_in_markup_is_shown_as_written() -> None:
    out = render_markdown("<" * (md.MAX_RENDER_MARKUP + 1))
    assert out.startswith("<p>This text is too long or too complex to format")
    assert "<pre>&lt;&lt;" in out
    # Ordinary text of the same length is formatted as usual.
    assert "<pre>" not in render_markdown("a < b. " * (md.MAX_RENDER_MARKUP // 4))
