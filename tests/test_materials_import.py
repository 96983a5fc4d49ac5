"""Importing materials from CSV or JSON: reports, re-imports, refused files, no half-writes."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.materials import importer
from app.materials.importer import ImportRefused, import_file
from app.materials.models import Material
from tests.test_materials import count_materials, make_material

HEADER = "title,source,url,segment,year_groups,strand,kind,description,teaching_points,tags\n"
GOOD_AND_BAD = HEADER + (
    '"Times tables: 2, 4 and 8",ncetm_primary_pd,https://www.ncetm.org.uk/resources/53130,2.7,'
    'Y3,md,teacher_guide,Doubling **twice**,"Count in fours\nDouble the twos","times tables"\n'
    "Bad address,ncetm_primary_pd,javascript:alert(1),2.8,Y3,md,,,,\n"
    "Unit fractions,NCETM Primary PD,http://www.ncetm.org.uk/fractions/,3.2,Year 3,fractions,"
    ",,,\n"
    "No source,,https://example.org/x,,,,,,,\n"
    "Wrong year,other,https://example.org/y,,Y14,,,,,\n"
    "Mastering Number overview,Mastering Number,https://ncetm.org.uk/mastering-number/,,"
    "R; Y1; Y2,,article,,,\n"
)


def run_cli(app, tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return app.test_cli_runner().invoke(args=["materials", "import", str(path)])


def titles(app) -> dict[str, Material]:
    with app.app_context():
        return {m.title: (m.segment, m.url, m.year_groups, m.status)
                for m in db.session.scalars(select(Material))}


def test_good_rows_saved_and_bad_rows_reported(app, tmp_path):
    result = run_cli(app, tmp_path, "materials.csv", GOOD_AND_BAD)
    assert result.exit_code == 0, result.output
    assert "3 added, 0 updated, 0 unchanged, 3 refused." in result.output
    assert "row 3: url: Enter a full web address" in result.output
    assert "row 5: source: Choose a source" in result.output
    assert "row 6: year_groups: “Y14” is not a year group" in result.output
    saved = titles(app)
    assert set(saved) == {"Times tables: 2, 4 and 8", "Unit fractions",
                          "Mastering Number overview"}
    assert saved["Unit fractions"][2] == ["Y3"]
    assert saved["Mastering Number overview"][2] == ["R", "Y1", "Y2"]
    assert all(status == "published" for *_rest, status in saved.values())
    with app.app_context():
        tables = db.session.scalar(select(Material).where(Material.segment == "2.7"))
        assert tables.spine == "2" and tables.teaching_points == ["Count in fours",
                                                                 "Double the twos"]
        assert "<strong>twice</strong>" in tables.description_html


def test_reimport_updates_instead_of_duplicating(app, tmp_path):
    assert run_cli(app, tmp_path, "first.csv", GOOD_AND_BAD).exit_code == 0
    changed = GOOD_AND_BAD.replace('"Times tables: 2, 4 and 8"',
                                   '"Times tables: 2, 4 and 8 (v2)"')
    changed = changed.replace("https://ncetm.org.uk/mastering-number/",
                              "HTTPS://NCETM.org.uk/mastering-number#top")
    result = run_cli(app, tmp_path, "second.csv", changed)
    assert result.exit_code == 0, result.output
    assert "0 added, 2 updated, 1 unchanged, 3 refused." in result.output
    assert count_materials(app) == 3
    saved = titles(app)
    assert "Times tables: 2, 4 and 8 (v2)" in saved and "Times tables: 2, 4 and 8" not in saved
    # Matched on the normalised address (it has no segment); the file's spelling is kept.
    assert saved["Mastering Number overview"][1] == "HTTPS://NCETM.org.uk/mastering-number#top"


def test_reimport_matches_titles_when_nothing_else_does(app, tmp_path):
    csv_text = "title,source,url\nRTP guidance,dfe_guidance,https://example.org/old\n"
    assert run_cli(app, tmp_path, "a.csv", csv_text).exit_code == 0
    result = run_cli(app, tmp_path, "b.csv", csv_text.replace("/old", "/new"))
    assert "0 added, 1 updated" in result.output
    assert titles(app)["RTP guidance"][1] == "https://example.org/new"


def test_a_row_repeating_an_earlier_one_is_refused(app, tmp_path):
    text = HEADER + ("A,ncetm_primary_pd,https://e.org/a,2.7,,,,,,\n"
                     "B,ncetm_primary_pd,https://e.org/b,2.7,,,,,,\n")
    result = run_cli(app, tmp_path, "dup.csv", text)
    assert "row 3: It repeats row 2" in result.output
    assert set(titles(app)) == {"A"}


def test_json_import(app, tmp_path):
    data = {"materials": [
        {"title": "Equivalent fractions", "source": "ncetm_primary_pd", "spine": 3,
         "segment": "3.7", "url": "https://e.org/37", "year_groups": ["Y5"],
         "teaching_points": ["Same value", "Same point on the number line"]},
        {"title": "Properties of number", "source": "ncetm_secondary_pd", "theme": "1",
         "core_concept": "1.2", "url": "https://e.org/sec", "year_groups": ["Y7", "Y8"]},
        "not an object",
        {"title": "No address", "source": "other"},
    ]}
    result = run_cli(app, tmp_path, "materials.json", json.dumps(data))
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output and "2 refused" in result.output
    assert "row 3: The row is not an object" in result.output
    assert "row 4: url: Enter the web address" in result.output
    with app.app_context():
        sec = db.session.scalar(select(Material).where(Material.core_concept == "1.2"))
        assert sec.segment is None and sec.year_groups == ["Y7", "Y8"]
    again = run_cli(app, tmp_path, "again.json", json.dumps(data["materials"][:2]))
    assert "0 added, 0 updated, 2 unchanged" in again.output


@pytest.mark.parametrize("name, content, message", [
    ("materials.xlsx", b"PK\x03\x04 spreadsheet", "cannot be imported"),
    ("materials.csv", b"PK\x03\x04\x14\x00\x06\x00 zipped spreadsheet", "not a CSV or JSON"),
    ("materials.pdf", b"%PDF-1.7", "cannot be imported"),
    ("materials.csv", "title,source,url\nCaf\xe9,other,https://e.org\n".encode("latin-1"),
     "not UTF-8"),
    ("materials.json", b'[{"title": "x", ', "JSON could not be read"),
    ("materials.csv", b"title,source,url\nA,other,https://e.org/a\nB\x00,other,https://e.org\n",
     "not a CSV or JSON"),
    ("materials.json", b'{"title": "not a list"}', "must be a list"),
    ("materials.csv", b"", "empty"),
    ("materials.csv", b"title,source,url\n", "no rows"),
    ("materials.csv", b"title,source,segmnet,url\nA,other,1,https://e.org\n",
     "unknown column “segmnet”"),
    ("materials.csv", b"title,source,address\nA,other,https://e.org\n",
     "missing column “url”"),
    ("materials.json", b'[{"title": "A", "source": "other", "url": "https://e.org/a"},'
                       b' {"title": "B", "source": "other", "url": "https://e.org/b",'
                       b' "colour": "red"}]', "unknown column “colour”"),
])
def test_unusable_files_are_refused_and_write_nothing(app, tmp_path, name, content, message):
    make_material(app, title="Already here")
    result = run_cli(app, tmp_path, name, content)
    assert result.exit_code == 1
    assert message in result.output and "Nothing was imported" in result.output
    assert set(titles(app)) == {"Already here"}


def test_control_characters_never_reach_the_database(app, tmp_path):
    data = [{"title": "Nul\u0000title", "source": "other", "url": "https://e.org/n",
             "segment": "Unit\u00006", "theme": "T\u0000", "core_concept": "",
             "tags": ["a\u0000b"]}]
    result = run_cli(app, tmp_path, "nul.json", json.dumps(data))
    assert result.exit_code == 0 and "1 added" in result.output, result.output
    with app.app_context():
        material = db.session.scalar(select(Material))
        assert (material.title, material.segment, material.theme, material.tags) == \
            ("Nultitle", "Unit6", "T", ["ab"])


def test_files_over_the_size_limit_are_refused(app, tmp_path, monkeypatch):
    big = HEADER + "A,other,https://e.org/a,,,,,,,\n" + " " * (importer.MAX_IMPORT_BYTES + 1)
    result = run_cli(app, tmp_path, "big.csv", big)
    assert result.exit_code == 1 and "the limit is 5 MB" in result.output
    assert count_materials(app) == 0
    with app.app_context(), pytest.raises(ImportRefused, match="limit"):
        import_file(None, "big.csv", big.encode())


def test_a_failure_part_way_leaves_nothing_half_written(app, tmp_path, monkeypatch):
    real = importer.apply_fields
    calls = {"n": 0}

    def failing(material, fields):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("database went away")
        return real(material, fields)

    monkeypatch.setattr(importer, "apply_fields", failing)
    result = run_cli(app, tmp_path, "materials.csv", GOOD_AND_BAD)
    assert result.exit_code != 0 and calls["n"] == 3
    assert count_materials(app) == 0


def test_help_documents_the_columns(app):
    result = app.test_cli_runner().invoke(args=["materials", "import", "--help"])
    for column in ("title", "source", "url", "segment", "year_groups", "teaching_points",
                   "core_concept", "5 MB"):
        assert column in result.output


def test_import_page_for_curators(app, client, login, make_work_group, make_user):
    group = make_work_group()
    lead = make_user(group=group, roles=("work_group_lead",))
    login(make_user(group=group))
    upload = {"file": (io.BytesIO(GOOD_AND_BAD.encode()), "materials.csv")}
    assert client.post("/materials/import", data=upload,
                       content_type="multipart/form-data").status_code == 403
    assert count_materials(app) == 0
    login(lead)
    form = client.get("/materials/import").get_data(as_text=True)
    assert 'for="f-file"' in form and "teaching_points" in form
    response = client.post("/materials/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(GOOD_AND_BAD.encode()), "materials.csv")})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3 added, 0 updated, 0 unchanged, 3 refused." in page
    assert '<th scope="row">3</th>' in page and "Enter a full web address" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Material).where(
            Material.created_by_id == lead.id)) == 3
    refused = client.post("/materials/import", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(b"PK\x03\x04"), "materials.xlsx")})
    assert refused.status_code == 400 and "Nothing was imported" in refused.get_data(as_text=True)
    assert count_materials(app) == 3
