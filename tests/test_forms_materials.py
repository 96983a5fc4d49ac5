"""Materials forms as a user meets them: the import page without a file says so, the log
keeps what was typed beside the right field, filters from old addresses never fail, and the
curation buttons need their form."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.materials.models import Material, StudyLogEntry
from tests.test_materials import make_material, material_data


@pytest.fixture
def curator(make_work_group, make_user):
    return make_user(group=make_work_group(), roles=("work_group_lead",))


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_importing_without_choosing_a_file_says_so(app, client, login, make_work_group,
                                                   make_user):
    group = make_work_group()
    login(make_user(group=group, roles=("work_group_lead",)))
    for data in ({}, {"file": (b"", "")}):
        response = client.post("/materials/import", data=data,
                               content_type="multipart/form-data")
        assert response.status_code == 400
        assert "Choose a CSV or JSON file to import." in response.get_data(as_text=True)
    assert _count(app, Material) == 0


def test_a_log_entry_for_a_material_in_other_digits_keeps_the_reflection(app, client, login,
                                                                        make_work_group,
                                                                        make_user):
    group = make_work_group()
    login(make_user(group=group))
    make_material(app)
    response = client.post("/my/learning", data={
        "material_id": "\u0661", "studied_on": "2025-01-10", "reflection": "Kept reflection"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="f-material_id-error">.*Choose the material you studied', page)
    assert "Kept reflection</textarea>" in page and 'value="2025-01-10"' in page
    assert _count(app, StudyLogEntry) == 0


def test_a_material_form_error_keeps_the_ticked_year_groups(app, client, login, curator):
    login(curator)
    response = client.post("/materials/new", data=material_data(
        title="", year_groups=["Y3", "Y5"]))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="f-title-error">.*Enter a title', page)
    assert re.search(r'value="Y3" checked', page) and re.search(r'value="Y5" checked', page)


def test_library_filters_the_page_does_not_offer_are_no_filter(app, client, login, curator):
    login(curator)
    item = make_material(app, title="Unit fractions")
    for query in ("year=\u0663", "spine=9", "strand=<b>", "source=x&year=Y3"):
        response = client.get(f"/materials?{query}")
        assert response.status_code == 200, query
        assert "Unit fractions" in response.get_data(as_text=True), query
    assert item.id


def test_archiving_without_the_form_token_is_refused(app, client, login, curator):
    login(curator)
    item = make_material(app)
    assert client.post(f"/materials/{item.id}/archive", csrf=False).status_code == 400
    with app.app_context():
        assert db.session.get(Material, item.id).status == "published"
