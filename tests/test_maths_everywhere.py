"""Maths in author text reaches the browser as a KaTeX placeholder on every kind of page that
shows author text, hostile markup in the same places stays inert, and comparison pages offer a
rendered view beside the source diff (issue 14, item 5)."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from tests.maths_helpers import HOSTILE, LEAD, MATHS, MATHS_SPAN, seed


@pytest.fixture
def demo(app):
    from app.demo.loader import DEMO_PASSWORD, load_demo

    with app.app_context():
        load_demo()
        db.session.commit()
    return DEMO_PASSWORD


def log_in(client, password: str, email: str = LEAD) -> None:
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302


def text_of(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_every_page_kind_hands_its_maths_to_katex(app, client, demo):
    with app.app_context():
        seeded = seed(MATHS)
    log_in(client, demo)
    for kind, path in seeded.pages.items():
        html = text_of(client, path)
        assert MATHS_SPAN in html, kind
        # Typed dollars never reach the page as text: the formula went through the renderer
        # (source diffs show the source, as a review's list of its lessons' changes does).
        outside_diffs = re.sub(r'<div class="diff[ "].*?</div>', "", html, flags=re.S)
        assert r"$\frac" not in outside_diffs, kind
        # base.html loads math.js, which fetches KaTeX itself when the page holds maths.
        assert 'src="/static/js/math.js" data-katex-js="/static/vendor/katex/katex.min.js"' \
            in html, kind


def test_hostile_text_stays_inert_on_every_page_kind(app, client, demo):
    with app.app_context():
        seeded = seed(HOSTILE)
    log_in(client, demo)
    for kind, path in seeded.pages.items():
        html = text_of(client, path)
        assert "<script>alert" not in html, kind
        assert "<img" not in html, kind
        assert not re.search(r"<[^>]+\sonerror\s*=", html), kind
        assert "javascript:" not in re.sub(r"&[a-z]+;|&#\d+;", "", " ".join(
            re.findall(r'href="([^"]*)"', html))), kind
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, kind


def _preview(client, path: str, field: str, text: str) -> str:
    form = text_of(client, path)
    base = re.search(r'name="base_number" value="(\d+)"', form)
    assert base is not None
    response = client.post(path, data={"title": "Fractions", field: text, "action": "preview",
                                       "base_number": base.group(1)})
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("text", [MATHS, HOSTILE])
def test_editor_previews_render_maths_and_keep_markup_inert(app, client, demo, text):
    with app.app_context():
        seeded = seed("x")
    log_in(client, demo)
    for path, field in ((f"/lessons/{seeded.lesson_id}/edit", "key_learning_point"),
                        (f"/sequences/{seeded.sequence_id}/edit", "overview")):
        html = _preview(client, path, field, text)
        start = html.index('id="preview-heading"')
        preview = html[start:html.index("</section>", start)]
        if text == MATHS:
            assert MATHS_SPAN in preview, path
        else:
            assert "<script>alert" not in html and "<img" not in html
            assert 'href="javascript' not in html
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in preview, path


def test_rendered_comparison_shows_each_version_as_readers_saw_it(app, client, demo):
    with app.app_context():
        seeded = seed(MATHS + "\n\nA second paragraph.")
    log_in(client, demo)
    path = seeded.pages["lesson compare (rendered)"]
    html = text_of(client, path)
    # The view switch: links to the two source views, the current one marked.
    assert '<span aria-current="true">Rendered</span>' in html
    assert re.search(r'<a href="[^"]*view=inline[^"]*">Source, inline</a>', html)
    assert re.search(r'<a href="[^"]*view=side[^"]*">Source, side by side</a>', html)
    field = html[html.index('id="change-key_learning_point"'):]
    field = field[:field.index("<h2>Unchanged</h2>")]
    after = field[field.index("(after)"):]
    # The newer version: its stored HTML, the new blocks marked (not <ins> from a text diff).
    assert MATHS_SPAN in after
    assert '<div class="diff-block diff-block-' in after
    assert "<ins>" not in field and "<del>" not in field
    # The source views still show the Markdown source with the maths as typed.
    source = text_of(client, path.replace("view=rendered", "view=inline"))
    assert r"\frac{3}{4}" in source and MATHS_SPAN not in source


def test_rendered_comparison_keeps_hostile_text_inert(app, client, demo):
    with app.app_context():
        seeded = seed(HOSTILE)
    log_in(client, demo)
    for kind in ("lesson compare (rendered)", "session notes compare (rendered)"):
        html = text_of(client, seeded.pages[kind])
        assert "<script>alert" not in html and "<img" not in html, kind
        assert 'href="javascript' not in html, kind
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, kind


def test_unknown_comparison_view_falls_back_to_the_inline_source(app, client, demo):
    with app.app_context():
        seeded = seed(MATHS)
    log_in(client, demo)
    html = text_of(client, seeded.pages["lesson compare (rendered)"].replace(
        "view=rendered", "view=nonsense"))
    assert '<span aria-current="true">Source, inline</span>' in html
    assert '<div class="diff diff-inline">' in html
