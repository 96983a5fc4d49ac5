"""mark_changed_blocks: two rendered versions of a field with the differing blocks marked, built
only from the renderer's own HTML; and render_markdown's line_breaks option for short notes."""

from __future__ import annotations

import re

from app.core.markdown import SafeHtml, mark_changed_blocks, render_markdown


def marks(html: str) -> list[tuple[str, str]]:
    """(mark, block text) for each marked block, in order."""
    return [(kind, re.sub(r"<[^>]+>", "", body).strip()) for kind, body in re.findall(
        r'<div class="diff-block diff-block-(\w+)"><span class="diff-block-label">\w+</span>'
        r"(.*?)</div>", html, re.S)]


def test_only_the_blocks_that_differ_are_marked() -> None:
    old = render_markdown("Intro\n\n- one\n- two\n\nGone\n\nEnd")
    new = render_markdown("Intro\n\n- one\n- three\n\nEnd\n\n$$x^2$$")
    old_marked, new_marked = mark_changed_blocks(old, new)
    assert type(old_marked) is SafeHtml and type(new_marked) is SafeHtml
    assert marks(old_marked) == [("changed", "one\ntwo"), ("changed", "Gone")]
    assert marks(new_marked) == [("changed", "one\nthree"), ("added", "x^2")]
    # Unmarked blocks are the renderer's HTML unchanged.
    assert old_marked.startswith("<p>Intro</p>\n") and "<p>End</p>" in new_marked


def test_a_block_only_the_old_version_has_is_marked_removed() -> None:
    old_marked, new_marked = mark_changed_blocks(render_markdown("a\n\nb\n\nc"),
                                                 render_markdown("a\n\nc"))
    assert marks(old_marked) == [("removed", "b")]
    assert marks(new_marked) == []


def test_identical_versions_and_empty_ones() -> None:
    same = render_markdown("**x** $\\frac{1}{2}$")
    assert mark_changed_blocks(same, same) == (same.strip(), same.strip())
    old_marked, new_marked = mark_changed_blocks(SafeHtml(""), render_markdown("new"))
    assert old_marked == "" and marks(new_marked) == [("added", "new")]


def test_text_stays_escaped_when_blocks_are_split() -> None:
    hostile = render_markdown("<script>alert(1)</script> &amp; <img src=x onerror=alert(1)>")
    _, new_marked = mark_changed_blocks(SafeHtml(""), hostile)
    assert "<script" not in new_marked and "<img" not in new_marked
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in new_marked


def test_unbalanced_input_is_closed_inside_its_block() -> None:
    """The renderer never emits it, but a stray tag cannot swallow the marks around it."""
    _, new_marked = mark_changed_blocks(SafeHtml(""), SafeHtml("<p>a <em>b</p></span><ul><li>c"))
    assert new_marked.count("<div") == new_marked.count("</div>") == 2
    assert "</em></p>" in new_marked and new_marked.endswith("</li></ul></div>")


def test_line_breaks_keep_typed_newlines_for_short_notes() -> None:
    assert render_markdown("one\ntwo") == "<p>one\ntwo</p>\n"
    assert render_markdown("one\ntwo", line_breaks=True) == "<p>one<br>\ntwo</p>\n"
    assert '<span class="math-inline">x^2</span>' in render_markdown("$x^2$", line_breaks=True)
