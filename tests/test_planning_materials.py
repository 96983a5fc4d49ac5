"""PD materials linked into plans: part of the revision, shown in diffs, backlinked."""

from __future__ import annotations

from app.extensions import db
from tests.planning_helpers import lesson_form, make_plan


def _material(app, title: str = "Times tables: 2, 4 and 8", segment: str = "2.7") -> int:
    from app.materials.models import Material

    with app.app_context():
        material = Material(title=title, source="ncetm_primary_pd", spine="2", segment=segment,
                            kind="teacher_guide", url="https://www.ncetm.org.uk/x",
                            url_key="https://www.ncetm.org.uk/x", description="",
                            description_html="", year_groups=["Y3"], tags=[],
                            status="published")
        db.session.add(material)
        db.session.commit()
        return material.id


def test_linking_a_material_is_a_revision_with_a_diff_and_a_backlink(app, client, login,
                                                                      make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=1)
    material_id = _material(app)
    login(user)
    lesson_id = plan.lesson_ids[0]
    response = client.post(f"/lessons/{lesson_id}/edit", data={
        **lesson_form(body="See [[pd:2.7]]."), "material_id": [str(material_id), ""],
        "material_note": ["teacher subject knowledge before step 3", ""],
        "material_position": ["1", "2"]})
    assert response.status_code == 302
    page = client.get(f"/lessons/{lesson_id}").get_data(as_text=True)
    assert "teacher subject knowledge before step 3" in page
    assert f'href="/materials/{material_id}">2.7 Times tables: 2, 4 and 8</a>' in page
    compare = client.get(f"/lessons/{lesson_id}/compare?a=1&b=2").get_data(as_text=True)
    assert "PD materials" in compare and "2.7 Times tables" in compare
    backlinks = client.get(f"/materials/{material_id}").get_data(as_text=True)
    assert f"/lessons/{lesson_id}" in backlinks
    # Removing the link is a new revision too, and the backlink goes.
    client.post(f"/lessons/{lesson_id}/edit", data={
        **lesson_form(base=2, body="See [[pd:2.7]]."), "material_id": [""],
        "material_note": [""], "material_position": ["1"]})
    assert f"/lessons/{lesson_id}" not in client.get(f"/materials/{material_id}").get_data(
        as_text=True)


def test_backlinks_hide_plans_the_reader_cannot_see(app, client, login, make_work_group,
                                                    make_user):
    mine, other = make_work_group(), make_work_group()
    author = make_user(group=other)
    plan = make_plan(app, author, other, lessons=1)
    material_id = _material(app)
    other_client = app.test_client()
    login(author, other_client)
    other_client.post(f"/lessons/{plan.lesson_ids[0]}/edit", data={
        **lesson_form(), "material_id": [str(material_id)], "material_note": ["used"],
        "material_position": ["1"]})
    assert f"/lessons/{plan.lesson_ids[0]}" in other_client.get(
        f"/materials/{material_id}").get_data(as_text=True)
    login(make_user(group=mine))
    assert f"/lessons/{plan.lesson_ids[0]}" not in client.get(
        f"/materials/{material_id}").get_data(as_text=True)


def test_unknown_material_is_a_field_error_with_text_kept(app, client, login, make_work_group,
                                                          make_user):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=1)
    login(user)
    response = client.post(f"/lessons/{plan.lesson_ids[0]}/edit", data={
        **lesson_form(body="keep this"), "material_id": ["999999"], "material_note": ["x"],
        "material_position": ["1"]})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "no longer exists" in page and "keep this" in page


def test_pd_link_in_text_renders_with_the_segment_title(app, client, login, make_work_group,
                                                       make_user):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=1)
    material_id = _material(app)
    login(user)
    client.post(f"/lessons/{plan.lesson_ids[0]}/edit",
                data=lesson_form(body="Read [[pd:2.7]] and [[pd:9.99]] first."))
    page = client.get(f"/lessons/{plan.lesson_ids[0]}").get_data(as_text=True)
    assert f'href="/materials/{material_id}">2.7 Times tables: 2, 4 and 8</a>' in page
    assert "unknown material" in page


def test_print_view_writes_out_each_linked_material(app, client, login, make_work_group,
                                                    make_user):
    """On paper a link cannot be followed: the print view names each material of the sequence
    and of each lesson, with its segment, the note and the address written out."""
    from app.materials.models import Material

    group = make_work_group()
    user = make_user(group=group)
    guide = _material(app)
    other = _material(app, title="Unit fractions", segment="3.2")
    plan = make_plan(app, user, group, lessons=2,
                     materials=[{"material_id": str(guide), "note": "read before the sequence"}])
    login(user)
    client.post(f"/lessons/{plan.lesson_ids[1]}/edit", data={
        **lesson_form(title="Lesson 2"), "material_id": [str(other)],
        "material_note": ["step 3"], "material_position": ["1"]})
    html = client.get(f"/sequences/{plan.id}/print").get_data(as_text=True)
    sequence_part, lessons_part = html.split('<article class="print-lesson"', 1)
    assert '<h2 id="seq-materials">Linked PD materials</h2>' in sequence_part
    assert (f'<a href="/materials/{guide}">2.7 Times tables: 2, 4 and 8</a></bdi> — '
            '<bdi>read before the sequence</bdi>') in sequence_part
    assert ('<span class="print-url"><a href="https://www.ncetm.org.uk/x" '
            'rel="noopener noreferrer">https://www.ncetm.org.uk/x</a></span>') in sequence_part
    first, second = lessons_part.split('<article class="print-lesson"', 1)
    assert "Linked PD materials" not in first
    assert f'<h3 id="l{plan.lesson_ids[1]}-materials">Linked PD materials</h3>' in second
    assert f'<a href="/materials/{other}">3.2 Unit fractions</a></bdi> — <bdi>step 3</bdi>' \
        in second
    # A material withdrawn to a suggestion since: its title as linked, and no address.
    with app.app_context():
        db.session.get(Material, other).status = "suggested"
        db.session.commit()
    html = client.get(f"/sequences/{plan.id}/print").get_data(as_text=True)
    second = html.split('<article class="print-lesson"')[2]
    assert "<li><bdi>3.2 Unit fractions</bdi> — <bdi>step 3</bdi>" in second
    assert f"/materials/{other}" not in second and "print-url" not in second
