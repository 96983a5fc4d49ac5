"""Pictures in Markdown (issue 15, item 1): only Coplan's own uploads become <img>, never an
address elsewhere (a tracking pixel) or anything that could carry script."""

from __future__ import annotations

import pytest

from app.core import markdown as md
from app.core.markdown import SafeHtml, mark_mentions, render_markdown
from tests.core.test_markdown import hrefs, tags


def images(html: str) -> list[dict[str, str | None]]:
    return [attrs for tag, attrs in tags(html) if tag == "img"]


def test_a_coplan_picture_is_an_image_linking_to_its_larger_view() -> None:
    out = render_markdown("A bar model: ![Bar model of 3/4](/files/12/bar-model.png)")
    assert images(out) == [{"src": "/files/12/bar-model.png", "alt": "Bar model of 3/4",
                            "loading": "lazy", "class": "picture"}]
    assert [(t, a) for t, a in tags(out) if t == "a"] == [
        ("a", {"href": "/files/12/bar-model.png", "class": "picture-link"})]


def test_a_picture_without_description_still_has_a_name() -> None:
    out = render_markdown("![](/files/3/x.jpg)")
    assert images(out)[0]["alt"] == md.PICTURE_NO_ALT


def test_the_title_is_dropped_and_nested_brackets_stay_in_the_description() -> None:
    out = render_markdown('![a [part] whole](/files/4/pw.png "ignored")')
    (image,) = images(out)
    assert image["alt"] == "a [part] whole"
    assert "title" not in image and "ignored" not in out


def test_markup_in_the_description_is_text() -> None:
    out = render_markdown('![<b onmouseover="x">*hi*](/files/5/a.png)')
    assert images(out)[0]["alt"] == '<b onmouseover="x">hi'
    assert {t for t, _ in tags(out)} == {"p", "a", "img"}


@pytest.mark.parametrize(
    "source",
    [
        "![x](javascript:alert(1))",
        "![x](JaVaScRiPt:alert(1))",
        "![x](data:image/png;base64,iVBORw0KGgo=)",
        "![x](//evil.example/files/1/x.png)",
        '![x](/files/1/x" onerror=alert(1))',
        "![x](/files/1/x.png onerror=alert(1))",
        "![x](vbscript:msgbox)",
    ],
)
def test_hostile_addresses_never_become_images_or_links(source: str) -> None:
    out = render_markdown(source)
    assert images(out) == []
    assert hrefs(out) == []
    assert "<img" not in out


@pytest.mark.parametrize(
    ("source", "href"),
    [
        ("![pixel](https://tracker.example/p.gif)", "https://tracker.example/p.gif"),
        ("![pixel](http://tracker.example/p.gif)", "http://tracker.example/p.gif"),
        # Coplan addresses of any other shape are links, not pictures.
        ("![x](/files/1/x.png?width=1)", "/files/1/x.png?width=1"),
        ("![x](/files/01/x.png)", "/files/01/x.png"),
        ("![x](/files/1/a%20b.png)", "/files/1/a%20b.png"),
        ("![x](/lessons/1)", "/lessons/1"),
        ("![x](/files/1/../../x.png)", "/files/1/../../x.png"),
        # A backslash is percent-encoded: a path on this site, never another host.
        ("![x](/\\evil.example/files/1/x.png)", "/%5Cevil.example/files/1/x.png"),
    ],
)
def test_other_addresses_are_plain_links(source: str, href: str) -> None:
    out = render_markdown(source)
    assert images(out) == []
    assert hrefs(out) == [href]


def test_external_picture_link_is_marked_external() -> None:
    out = render_markdown("![pixel](https://tracker.example/p.gif)")
    assert [a.get("rel") for t, a in tags(out) if t == "a"] == ["nofollow noopener"]


def test_a_picture_inside_a_link_does_not_nest_links() -> None:
    out = render_markdown("[![slide](/files/7/s.png)](https://example.org/deck)")
    assert [t for t, _ in tags(out)] == ["p", "a", "img"]
    assert hrefs(out) == ["https://example.org/deck"]
    # And an outside address inside a link is its description only.
    out = render_markdown("[![px](https://tracker.example/p.gif)](/lessons/1)")
    assert images(out) == [] and hrefs(out) == ["/lessons/1"]
    assert "px" in out


def test_sanitiser_keeps_exactly_the_picture_attributes() -> None:
    dirty = ('<a href="/files/1/a.png" class="picture-link"><img src="/files/1/a.png" alt="a" '
             'loading="lazy" class="picture" onerror="x" width="1" style="x" '
             'srcset="https://evil.example/x 1x"></a>')
    assert md._sanitize(dirty) == ('<a href="/files/1/a.png" class="picture-link">'
                                   '<img src="/files/1/a.png" alt="a" loading="lazy" '
                                   'class="picture"></a>')
    for src in ("https://evil.example/x.png", "//evil/files/1/x", "data:image/png;base64,AA",
                "/files/1/x.png?x", "javascript:alert(1)"):
        assert md._sanitize(f'<img src="{src}" alt="a">') == '<img alt="a">'
    assert md._sanitize('<img src="/files/1/a.png" class="evil" loading="eager">') == \
        '<img src="/files/1/a.png">'


def test_mentions_after_a_picture_are_still_marked() -> None:
    out = mark_mentions(render_markdown("![a](/files/1/a.png) over to @Sam Iqbal"),
                        ["@Sam Iqbal"])
    assert '<mark class="mention">@Sam Iqbal</mark>' in out
    assert isinstance(out, SafeHtml)


def test_rendered_diff_treats_a_picture_as_part_of_its_block() -> None:
    old = render_markdown("Intro\n\n![a](/files/1/a.png)")
    new = render_markdown("Intro\n\n![a](/files/2/a.png)")
    marked_old, marked_new = md.mark_changed_blocks(old, new)
    assert "diff-block-changed" in marked_new and "/files/2/a.png" in marked_new
    assert "/files/1/a.png" in marked_old
