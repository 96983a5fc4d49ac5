"""PD materials library: curation, URLs, duplicates, ordering, suggestions, backlinks, search,
`[[pd:…]]` links and the subject-knowledge log with its visibility rules."""

from __future__ import annotations

import re
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from app.accounts.models import School, User
from app.extensions import db
from app.materials.links import material_link, sync_links
from app.materials.models import Material, PlanMaterialLink, StudyLogEntry, segment_sort_key
from app.materials.services import apply_fields
from app.materials.validation import normalise_url
from tests.planning_helpers import make_plan

SPINE_2 = "https://www.ncetm.org.uk/resources/53130"


def material_data(**extra: Any) -> dict[str, Any]:
    return {"title": "Times tables: 2, 4 and 8, and the relationship between them",
            "source": "ncetm_primary_pd", "url": SPINE_2, "kind": "teacher_guide",
            "segment": "2.7", "spine": "", "theme": "", "core_concept": "",
            "year_groups": ["Y3"], "strand": "md",
            "description": "Doubling the **2 times table** gives the 4 times table.",
            "teaching_points": "Count in fours\nDouble the twos", "tags": "times tables",
            **extra}


def make_material(app, **fields: Any) -> SimpleNamespace:
    """A material saved directly (status published unless given); returns id and title."""
    status = fields.pop("status", "published")
    suggested_by = fields.pop("suggested_by_id", None)
    data = {"title": "Unit fractions", "source": "ncetm_primary_pd", "kind": "teacher_guide",
            "url": "https://www.ncetm.org.uk/fractions", "spine": "3", "segment": "3.2",
            "theme": None, "core_concept": None, "year_groups": ["Y3"], "strand": "fractions",
            "description": "", "teaching_points": [], "tags": [], **fields}
    with app.app_context():
        material = Material(status=status, suggested_by_id=suggested_by)
        apply_fields(material, data)
        db.session.add(material)
        db.session.commit()
        return SimpleNamespace(id=material.id, title=material.title)


def count_materials(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Material))


def link(app, plan: SimpleNamespace, material_id: int, note: str = "", lesson: int | None = None):
    with app.app_context():
        sync_links(plan.id, lesson, [{"material_id": material_id, "note": note}])
        db.session.commit()


@pytest.fixture
def curator(make_work_group, make_user):
    group = make_work_group()
    return make_user(group=group, roles=("work_group_lead",))


# --- URLs and duplicates ----------------------------------------------------------------------


@pytest.mark.parametrize("bad", [
    "javascript:alert(1)", "JaVaScRiPt:alert(document.cookie)", "data:text/html,<b>x</b>",
    "/materials/1", "www.ncetm.org.uk/resources/1", "ftp://files.example.org/guide.pdf",
    "https://", "https:///no-host", "https://exa mple.org/", "java\tscript:alert(1)",
    "https://user:secret@example.org/", "",
])
def test_unsafe_or_incomplete_urls_are_field_errors(app, client, login, curator, bad):
    login(curator)
    response = client.post("/materials/new", data=material_data(url=bad))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="f-url-error"' in page
    assert count_materials(app) == 0


def test_http_and_https_urls_are_accepted(app, client, login, curator):
    login(curator)
    for n, url in enumerate(["http://ncetm.org.uk/a", "HTTPS://www.NCETM.org.uk/b?x=1"]):
        response = client.post("/materials/new", data=material_data(url=url, segment=f"2.{n}"))
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert count_materials(app) == 2


def test_normalised_url():
    assert normalise_url("HTTPS://Www.NCETM.org.uk:443/Resources/53130/#teaching-points") == \
        "https://www.ncetm.org.uk/Resources/53130"
    assert normalise_url("http://example.org/") == "http://example.org"
    assert normalise_url("http://example.org:8080/a?b=1") == "http://example.org:8080/a?b=1"


def test_duplicate_url_is_saved_but_flagged(app, client, login, curator):
    first = make_material(app, title="Composition of numbers", segment=None, spine=None,
                          source="other", url="https://example.org/guide")
    login(curator)
    response = client.post("/materials/new", data=material_data(
        title="Same guide again", source="other", segment="",
        url="HTTPS://EXAMPLE.org/guide/#part-2"), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert count_materials(app) == 2
    assert "Possible duplicate" in page and f'href="/materials/{first.id}"' in page
    with app.app_context():
        second = db.session.scalar(select(Material).where(Material.title == "Same guide again"))
        second_id = second.id
    form = client.get(f"/materials/{second_id}/edit").get_data(as_text=True)
    assert "Possible duplicate" in form
    # The first record is flagged too, from its side.
    assert "Possible duplicate" in client.get(f"/materials/{first.id}").get_data(as_text=True)


def test_different_segments_sharing_a_spine_page_are_not_duplicates(app, client, login, curator):
    make_material(app, segment="3.2", url="http://www.ncetm.org.uk/fractions/")
    other = make_material(app, segment="3.3", title="Non-unit fractions",
                          url="http://www.ncetm.org.uk/fractions")
    login(curator)
    assert "Possible duplicate" not in client.get(f"/materials/{other.id}").get_data(as_text=True)


# --- ordering and the library -----------------------------------------------------------------


def test_segment_sort_key_is_numeric():
    assert segment_sort_key("3.9") < segment_sort_key("3.10")
    assert segment_sort_key("1.5") < segment_sort_key("1.10") < segment_sort_key("2.1")
    assert segment_sort_key("3.0") < segment_sort_key("3.1")
    assert segment_sort_key("3.10") < segment_sort_key("Y3 Unit 6") < segment_sort_key(None)


def test_library_lists_segments_in_numeric_order(app, client, login, make_user):
    for segment in ("3.10", "3.9", "3.2", "3.1"):
        make_material(app, segment=segment, title=f"Fractions segment {segment}",
                      url=f"https://example.org/{segment}")
    login(make_user())
    page = client.get("/materials").get_data(as_text=True)
    positions = [page.index(f"Fractions segment {s}<") for s in ("3.1", "3.2", "3.9", "3.10")]
    assert positions == sorted(positions)


def test_library_filters(app, client, login, make_user):
    make_material(app, segment="2.7", spine="2", title="Twos fours eights", year_groups=["Y3"],
                  strand="md", url="https://example.org/27")
    make_material(app, segment="3.7", title="Equivalent fractions", year_groups=["Y5"],
                  url="https://example.org/37")
    make_material(app, segment=None, spine=None, source="dfe_guidance", title="RTP guidance",
                  year_groups=["Y1", "Y2"], strand=None, url="https://example.org/dfe")
    login(make_user())

    def shown(query: str) -> set[str]:
        page = client.get("/materials" + query).get_data(as_text=True)
        return {t for t in ("Twos fours eights", "Equivalent fractions", "RTP guidance")
                if t in page}

    assert shown("") == {"Twos fours eights", "Equivalent fractions", "RTP guidance"}
    assert shown("?spine=2") == {"Twos fours eights"}
    assert shown("?year=Y5") == {"Equivalent fractions"}
    assert shown("?strand=fractions") == {"Equivalent fractions"}
    assert shown("?source=dfe_guidance&year=Y2") == {"RTP guidance"}
    assert shown("?spine=nonsense") == shown("")  # an unknown value is ignored, not an error


def test_material_page_renders_markdown_safely_and_links_out(app, client, login, make_user):
    item = make_material(app, description="**Doubling** <script>alert(1)</script> "
                                          "[bad](javascript:alert(2))")
    login(make_user())
    page = client.get(f"/materials/{item.id}").get_data(as_text=True)
    assert "<strong>Doubling</strong>" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert 'href="javascript' not in page.lower()
    anchor = re.search(r'<a class="external-link" href="([^"]+)"([^>]*)>', page)
    assert anchor.group(1) == "https://www.ncetm.org.uk/fractions"
    assert 'rel="noopener noreferrer"' in anchor.group(2)
    assert "target=" not in anchor.group(2)  # opens normally
    assert "style=" not in page and not re.search(r"<script>(?!</script>)", page)


# --- who curates ------------------------------------------------------------------------------


def test_teacher_cannot_curate(app, client, login, make_work_group, make_user):
    group = make_work_group()
    teacher = make_user(group=group)
    item = make_material(app)
    login(teacher)
    assert client.get("/materials/new").status_code == 403
    assert client.post("/materials/new", data=material_data()).status_code == 403
    assert client.get(f"/materials/{item.id}/edit").status_code == 403
    assert client.post(f"/materials/{item.id}/edit",
                       data=material_data(title="Hijacked")).status_code == 403
    assert client.post(f"/materials/{item.id}/archive").status_code == 403
    assert client.get("/materials/import").status_code == 403
    with app.app_context():
        material = db.session.get(Material, item.id)
        assert material.title == "Unit fractions" and material.archived_at is None
    assert count_materials(app) == 1


@pytest.mark.parametrize("role", ["site_admin", "hub_admin", "work_group_lead"])
def test_admins_and_leads_curate(app, client, login, make_work_group, make_user, make_hub, role):
    if role == "work_group_lead":
        user = make_user(group=make_work_group(), roles=("work_group_lead",))
    else:
        user = make_user(site_role=role, admin_hub_id=make_hub().id if role == "hub_admin"
                         else None)
    login(user)
    assert client.post("/materials/new", data=material_data()).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Material.status)) == "published"


def test_a_suggestion_waits_for_approval(app, client, login, make_work_group, make_user):
    group = make_work_group()
    teacher, colleague = make_user(group=group), make_user(group=group)
    lead = make_user(group=group, roles=("work_group_lead",))
    login(teacher)
    response = client.post("/materials/suggest", data=material_data(
        title="A lovely suggested video", source="other", segment="", kind="video",
        url="https://video.example.org/v/1"))
    assert response.status_code == 302
    with app.app_context():
        suggestion = db.session.scalar(select(Material))
        assert suggestion.status == "suggested" and suggestion.suggested_by_id == teacher.id
        suggestion_id = suggestion.id
    # The suggester sees it (marked as waiting); other teachers do not, not even by id.
    assert "A lovely suggested video" in client.get("/materials").get_data(as_text=True)
    assert "not in the library" in client.get(f"/materials/{suggestion_id}").get_data(
        as_text=True)
    login(colleague)
    assert "A lovely suggested video" not in client.get("/materials").get_data(as_text=True)
    assert client.get(f"/materials/{suggestion_id}").status_code == 404
    assert client.post(f"/materials/{suggestion_id}/approve").status_code == 404
    # A curator sees it with an Approve button, and approving publishes it.
    login(lead)
    library = client.get("/materials").get_data(as_text=True)
    assert "Suggestions awaiting approval" in library
    assert f'action="/materials/{suggestion_id}/approve"' in library
    assert client.post(f"/materials/{suggestion_id}/approve").status_code == 302
    login(colleague)
    assert "A lovely suggested video" in client.get("/materials").get_data(as_text=True)


def test_archive_and_restore(app, client, login, curator, make_user):
    item = make_material(app, title="Soon archived")
    login(curator)
    page = client.post(f"/materials/{item.id}/archive", follow_redirects=True)
    assert "it has left the library and search" in page.get_data(as_text=True)
    assert "Soon archived" not in client.get("/materials").get_data(as_text=True)
    assert "Soon archived" in client.get("/materials?archived=1").get_data(as_text=True)
    assert "archived" in client.get(f"/materials/{item.id}").get_data(as_text=True)
    assert count_materials(app) == 1  # archived, never deleted
    assert client.post(f"/materials/{item.id}/restore", follow_redirects=True).status_code == 200
    assert "Soon archived" in client.get("/materials").get_data(as_text=True)


# --- links from plans -------------------------------------------------------------------------


def test_sync_links_replaces_one_plans_rows(app, make_work_group, make_user):
    group = make_work_group()
    author = make_user(group=group)
    plan = make_plan(app, author, group, lessons=2)
    a = make_material(app, segment="2.6", url="https://example.org/26")
    b = make_material(app, segment="2.7", url="https://example.org/27")
    with app.app_context():
        sync_links(plan.id, None, [{"material_id": a.id, "note": "before step 3"},
                                   {"material_id": str(b.id)}, {"material_id": 999_999},
                                   {"material_id": a.id}, {"note": "no id"}])
        note = "  teacher   subject knowledge"
        sync_links(plan.id, plan.lesson_ids[0], [{"material_id": b.id, "note": note}])
        db.session.commit()
        rows = db.session.execute(select(
            PlanMaterialLink.lesson_id, PlanMaterialLink.material_id, PlanMaterialLink.position,
            PlanMaterialLink.note).order_by(PlanMaterialLink.id)).all()
        assert rows == [(None, a.id, 1, "before step 3"), (None, b.id, 2, ""),
                        (plan.lesson_ids[0], b.id, 1, "teacher subject knowledge")]
        # A second sync of the sequence replaces only the sequence's own rows.
        sync_links(plan.id, None, [{"material_id": b.id, "note": "x" * 900}])
        db.session.commit()
        rows = db.session.execute(select(PlanMaterialLink.lesson_id, PlanMaterialLink.note)
                                  .order_by(PlanMaterialLink.id)).all()
        assert [r[0] for r in rows] == [plan.lesson_ids[0], None]
        assert len(rows[1][1]) == 500
        sync_links(plan.id, plan.lesson_ids[0], [])
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(PlanMaterialLink)) == 1


def test_backlinks_list_only_plans_the_reader_may_see(app, client, login, make_work_group,
                                                     make_user):
    group, other_group = make_work_group(), make_work_group()
    author = make_user(group=group, school_id=group.school_ids[0])
    same_school = make_user(group=group, school_id=group.school_ids[0])
    other_school = make_user(group=group, school_id=group.school_ids[1])
    outsider = make_user(group=other_group)
    item = make_material(app, segment="2.7", spine="2", url=SPINE_2)
    shared = make_plan(app, author, group, title="Shared Y3 doubling plan", year_group="Y3")
    school_only = make_plan(app, author, group, title="Our school's private plan",
                            visibility="school", year_group="Y4")
    elsewhere = make_plan(app, outsider, other_group, title="Another group's plan")
    link(app, shared, item.id, "subject knowledge before step 3", lesson=shared.lesson_ids[1])
    link(app, school_only, item.id, "private note")
    link(app, elsewhere, item.id, "their note")

    def backlinks_for(user) -> str:
        login(user)
        page = client.get(f"/materials/{item.id}").get_data(as_text=True)
        return page[page.index('id="backlinks-heading"'):]

    seen = backlinks_for(same_school)
    assert "Shared Y3 doubling plan" in seen and "subject knowledge before step 3" in seen
    assert "Our school&#39;s private plan" in seen and "private note" in seen
    assert "Another group" not in seen and "their note" not in seen
    assert seen.index("Year 3") < seen.index("Year 4")  # grouped by year group, in order
    seen = backlinks_for(other_school)
    assert "Shared Y3 doubling plan" in seen
    assert "private plan" not in seen and "private note" not in seen
    seen = backlinks_for(outsider)
    assert "Another group&#39;s plan" in seen
    assert "Shared Y3" not in seen and "private" not in seen


def test_most_used_counts_only_my_groups_visible_plans(app, client, login, make_work_group,
                                                      make_user):
    group, other_group = make_work_group(), make_work_group()
    author = make_user(group=group, school_id=group.school_ids[0])
    reader = make_user(group=group, school_id=group.school_ids[1])
    outsider = make_user(group=other_group)
    popular = make_material(app, segment="2.7", title="Popular segment", url="https://e.org/1")
    hidden = make_material(app, segment="2.8", title="Hidden favourite", url="https://e.org/2")
    foreign = make_material(app, segment="2.6", title="Foreign favourite", url="https://e.org/3")
    for _ in range(2):
        link(app, make_plan(app, author, group), popular.id)
    for _ in range(3):  # school-only plans at a school the reader is not in
        link(app, make_plan(app, author, group, visibility="school"), hidden.id)
    for _ in range(4):  # another Work Group's plans, even though visible to all
        link(app, make_plan(app, outsider, other_group, visibility="all"), foreign.id)
    login(reader)
    page = client.get("/materials").get_data(as_text=True)
    panel = page[page.index("Most used in my Work Group"):]
    assert "Popular segment" in panel and "(2 uses)" in panel
    assert "Hidden favourite" not in panel and "Foreign favourite" not in panel


# --- search -----------------------------------------------------------------------------------


def _search(app, user_id: int, text: str) -> list[str]:
    from app.search import indexer, services

    with app.app_context():
        indexer.catch_up()  # what the host's indexer does after each change
        user = db.session.get(User, user_id)
        page = services.search(user, services.SearchRequest(text=text))
        return [hit.title for hit in page.results.hits]


def test_published_materials_are_searchable_and_suggestions_are_not(app, client, login,
                                                                    make_work_group, make_user):
    from app.search import indexer

    group = make_work_group()
    teacher = make_user(group=group)
    lead = make_user(group=group, roles=("work_group_lead",))
    make_material(app, segment="2.7", spine="2", title="Times tables: 2, 4 and 8",
                  description="Doubling and halving with arrays.", url=SPINE_2)
    make_material(app, segment="3.7", title="Equivalent fractions", url="https://e.org/37")
    with app.app_context():
        indexer.rebuild()
    assert _search(app, teacher.id, "doubling arrays") == ["Times tables: 2, 4 and 8"]
    assert _search(app, teacher.id, "segment:2.7") == ["Times tables: 2, 4 and 8"]
    assert _search(app, teacher.id, "spine:2") == ["Times tables: 2, 4 and 8"]
    assert _search(app, teacher.id, "segment:3.7") == ["Equivalent fractions"]

    login(teacher)
    client.post("/materials/suggest", data=material_data(
        title="Zebra crossing counting video", source="other", segment="",
        url="https://video.example.org/zebra"))
    assert _search(app, teacher.id, "zebra") == []
    assert _search(app, lead.id, "zebra") == []
    with app.app_context():
        suggestion_id = db.session.scalar(select(Material.id).where(
            Material.status == "suggested"))
    login(lead)
    client.post(f"/materials/{suggestion_id}/approve")
    assert _search(app, teacher.id, "zebra") == ["Zebra crossing counting video"]
    client.post(f"/materials/{suggestion_id}/archive")
    assert _search(app, teacher.id, "zebra") == []


# --- [[pd:…]] links ---------------------------------------------------------------------------


def test_pd_link_resolution(app):
    secondary = make_material(app, source="other", segment="2.7", spine=None,
                              title="Someone else's 2.7", url="https://e.org/other")
    primary = make_material(app, segment="2.7", spine="2", title="Times tables: 2, 4 and 8",
                            url=SPINE_2)
    suggested = make_material(app, segment="2.9", title="Times tables: 7", status="suggested",
                              url="https://e.org/29")
    with app.test_request_context():
        target = material_link("2.7")
        assert target is not None
        assert target.url == f"/materials/{primary.id}"
        assert target.title == "2.7 Times tables: 2, 4 and 8"
        assert material_link(f"id:{secondary.id}").url == f"/materials/{secondary.id}"
        assert material_link("9.99") is None
        assert material_link("2.9") is None  # a suggestion is not a link target
        assert material_link(f"id:{suggested.id}") is None
        assert material_link("id:99999999999999") is None
        assert material_link("id:abc") is None
        assert material_link("") is None


def test_pd_links_render_in_plans(app, client, login, make_work_group, make_user):
    group = make_work_group()
    author = make_user(group=group)
    item = make_material(app, segment="2.7", spine="2", title="Times tables: 2, 4 and 8",
                         url=SPINE_2)
    plan = make_plan(app, author, group, overview="Read [[pd:2.7]] and [[pd:9.99]] first.")
    login(author)
    page = client.get(f"/sequences/{plan.id}").get_data(as_text=True)
    assert f'<a class="wikilink" href="/materials/{item.id}">2.7 Times tables: 2, 4 and 8</a>' \
        in page
    assert "pd:9.99 (unknown material)" in page


# --- subject-knowledge log --------------------------------------------------------------------


def test_record_study_and_validation(app, client, login, make_work_group, make_user):
    group = make_work_group()
    teacher = make_user(group=group)
    item = make_material(app)
    plan = make_plan(app, teacher, group, title="My fractions plan")
    elsewhere = make_work_group()
    hidden = make_plan(app, make_user(group=elsewhere), elsewhere, title="Secret plan")
    login(teacher)
    page = client.get("/my/learning").get_data(as_text=True)
    assert "My fractions plan" in page and "Secret plan" not in page
    for bad_date, message in [("31/02/2025", "Enter a real date"), ("2025-02-30", "real date"),
                              ((date.today() + timedelta(days=2)).isoformat(), "future"),
                              ("", "Enter the date")]:
        response = client.post("/my/learning", data={
            "material_id": str(item.id), "studied_on": bad_date, "reflection": "Kept text"})
        assert response.status_code == 400
        body = response.get_data(as_text=True)
        assert message in body and "Kept text" in body and f'value="{bad_date}"' in body
    response = client.post("/my/learning", data={
        "material_id": str(item.id), "studied_on": "2025-01-10", "sequence_id": str(hidden.id)})
    assert response.status_code == 400 and "plans you can see" in response.get_data(as_text=True)
    response = client.post("/my/learning", data={"material_id": "999999",
                                                 "studied_on": "2025-01-10"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StudyLogEntry)) == 0
    response = client.post("/my/learning", data={
        "material_id": str(item.id), "studied_on": date.today().isoformat(),
        "reflection": "Unit fractions <b>line one</b>\nline two", "sequence_id": str(plan.id)})
    assert response.status_code == 302
    page = client.get("/my/learning").get_data(as_text=True)
    assert "Unit fractions &lt;b&gt;line one&lt;/b&gt;\nline two" in page
    assert f'href="/sequences/{plan.id}">My fractions plan' in page


@pytest.fixture
def log_people(app, make_work_group, make_user):
    """A teacher with a log entry, and everyone who may or may not read it."""
    group, other_group = make_work_group(), make_work_group()
    home, other = group.school_ids
    people = SimpleNamespace(
        owner=make_user(group=group, school_id=home),
        subject_leader=make_user(group=group, roles=("subject_leader",), school_id=home),
        headteacher=make_user(group=group, roles=("headteacher",), school_id=home),
        lead=make_user(group=group, roles=("work_group_lead",)),
        colleague=make_user(group=group, school_id=home),
        other_subject_leader=make_user(group=group, roles=("subject_leader",), school_id=other),
        other_lead=make_user(group=other_group, roles=("work_group_lead",)),
        site_admin=make_user(site_role="site_admin"),
        group=group, home=home, other=other)
    item = make_material(app, segment="3.2", title="Unit fractions")
    with app.app_context():
        db.session.add(StudyLogEntry(user_id=people.owner.id, material_id=item.id,
                                     studied_on=date(2025, 1, 9),
                                     reflection="Private reflection on unit fractions"))
        db.session.commit()
    return people


@pytest.mark.parametrize("viewer, allowed", [
    ("owner", True), ("subject_leader", True), ("headteacher", True), ("lead", True),
    ("colleague", False), ("other_subject_leader", False), ("other_lead", False),
    ("site_admin", False),
])
def test_study_log_visibility(client, login, log_people, viewer, allowed):
    login(getattr(log_people, viewer))
    response = client.get(f"/people/{log_people.owner.id}/learning", follow_redirects=True)
    if allowed:
        assert response.status_code == 200
        assert "Private reflection on unit fractions" in response.get_data(as_text=True)
    else:
        assert response.status_code == 404  # not 403: the log's existence is not revealed
        assert "Private reflection" not in response.get_data(as_text=True)


def test_unknown_person_log_is_404(client, login, make_user):
    login(make_user())
    assert client.get("/people/999999/learning").status_code == 404


def test_only_the_owner_removes_an_entry(app, client, login, log_people):
    with app.app_context():
        entry_id = db.session.scalar(select(StudyLogEntry.id))
    login(log_people.subject_leader)
    assert client.post(f"/my/learning/{entry_id}/delete").status_code == 404
    login(log_people.owner)
    assert client.post(f"/my/learning/{entry_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(StudyLogEntry, entry_id) is None


@pytest.mark.parametrize("viewer, allowed", [
    ("subject_leader", True), ("headteacher", True), ("colleague", False), ("owner", False),
    ("other_subject_leader", False), ("lead", False), ("site_admin", False),
])
def test_school_coverage_grid(app, client, login, log_people, viewer, allowed):
    make_material(app, segment="3.10", title="Linking fractions", url="https://e.org/310")
    login(getattr(log_people, viewer))
    response = client.get(f"/schools/{log_people.home}/learning")
    if not allowed:
        assert response.status_code == 404
        return
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<caption>" in page and 'scope="col"' in page and 'scope="row"' in page
    row = re.search(r"3\.2</span> Unit fractions</a></th>(.*?)</tr>", page, re.S).group(1)
    # Four people at the school (owner, subject leader, headteacher, colleague): one studied it.
    assert row.count('class="count"') == 1 and row.count('class="gap"') == 3
    assert "1 of 4" in row
    gap_row = re.search(r"3\.10</span> Linking fractions</a></th>(.*?)</tr>", page, re.S).group(1)
    assert gap_row.count('class="gap"') == 4 and "0 of 4" in gap_row
    assert page.index(">3.2<") < page.index(">3.10<")


def test_work_group_coverage_for_the_lead(app, client, login, log_people):
    login(log_people.lead)
    page = client.get(f"/work-groups/{log_people.group.id}/learning").get_data(as_text=True)
    header = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    columns = re.findall(r'<th scope="col"(?: dir="auto")?>([^<]*)</th>', header)
    row = re.search(r"3\.2</span> Unit fractions</a></th>(.*?)</tr>", page, re.S).group(1)
    cells = dict(zip(columns[1:], re.findall(r">(\d+ of \d+)<", row), strict=True))
    with app.app_context():
        home, other = (db.session.get(School, i).name for i in (log_people.home, log_people.other))
    # Home school: owner, subject leader, headteacher and colleague; the other: its leader.
    assert cells == {home: "1 of 4", other: "0 of 1", "All schools": "1 of 5"}
    assert f'href="/people/{log_people.owner.id}/learning"' in page
    for viewer in ("subject_leader", "other_lead", "site_admin", "owner"):
        login(getattr(log_people, viewer))
        assert client.get(f"/work-groups/{log_people.group.id}/learning").status_code == 404


# --- demo catalogue ---------------------------------------------------------------------------


def test_demo_materials_load_once_and_map_seed_ids(app):
    from app.demo.loader import read_seed
    from app.demo.materials_loader import SEGMENTS, load_materials

    seed = read_seed()
    with app.app_context():
        ids: dict[str, Any] = {}
        load_materials(seed, ids)
        db.session.commit()
        first = db.session.scalar(select(func.count()).select_from(Material))
        assert first == len(SEGMENTS) + 2  # plus the secondary concept and the CP unit
        assert {m["id"] for m in seed["pd_materials"]} <= set(ids)
        assert ids["pd-2-07"].segment == "2.7" and ids["pd-2-07"].url == SPINE_2
        assert ids["pd-sec-1-2"].core_concept == "1.2" and ids["pd-sec-1-2"].segment is None
        again: dict[str, Any] = {}
        load_materials(seed, again)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Material)) == first
        assert {k: v.id for k, v in again.items()} == {k: v.id for k, v in ids.items()}
        segments = [m.segment for m in db.session.scalars(select(Material).where(
            Material.spine == "3"))]
        assert sorted(segments, key=segment_sort_key)[-2:] == ["3.9", "3.10"]
        assert all(m.url.startswith(("http://", "https://"))
                   for m in db.session.scalars(select(Material)))


# --- accessibility basics ---------------------------------------------------------------------


def test_pages_label_every_control_and_use_no_inline_code(app, client, login, log_people):
    item = make_material(app, segment="2.7", spine="2", url=SPINE_2)
    suggestion = make_material(app, segment=None, title="Suggested", status="suggested",
                               url="https://e.org/s")
    plan = make_plan(app, log_people.owner, SimpleNamespace(
        id=log_people.group.id, school_ids=[log_people.home, log_people.other]))
    link(app, plan, item.id, "note")
    pages = [
        (log_people.lead, ["/materials", f"/materials/{item.id}", "/materials/new",
                          f"/materials/{item.id}/edit", f"/materials/{suggestion.id}",
                          "/materials/import", f"/work-groups/{log_people.group.id}/learning",
                           f"/people/{log_people.owner.id}/learning"]),
        (log_people.owner, ["/materials/suggest", "/my/learning"]),
        (log_people.subject_leader, [f"/schools/{log_people.home}/learning"]),
    ]
    for user, urls in pages:
        login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            page = response.get_data(as_text=True)
            assert "style=" not in page, url
            assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
            labels = set(re.findall(r'<label for="([^"]+)"', page))
            for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
                if 'type="hidden"' in tag or 'name="q"' in tag:  # header search has its own
                    continue
                control = re.search(r'\bid="([^"]+)"', tag)
                assert control and control.group(1) in labels, (url, tag)
            levels = [int(n) for n in re.findall(r"<h([1-6])\b", page)]
            steps = zip(levels, levels[1:], strict=False)
            assert levels[0] == 1 and all(b - a <= 1 for a, b in steps), url
            for table in re.findall(r"<table\b.*?</table>", page, re.S):
                assert "<caption" in table and 'scope="' in table, url


def test_fractions_materials_and_plans_share_one_strand_filter(app, make_work_group, make_user):
    """A material filed under "fractions" and a fractions sequence's lessons count under one
    strand value, so the search page's strand filter lists Fractions once."""
    from app.search import indexer, services
    from tests.planning_helpers import make_plan

    group = make_work_group()
    teacher = make_user(group=group)
    make_material(app, strand="fractions", title="Unit fractions on a fraction wall")
    make_plan(app, teacher, group, lessons=1, strand="fractions", title="Fraction walls")
    with app.app_context():
        indexer.rebuild()
        user = db.session.get(User, teacher.id)
        page = services.search(user, services.SearchRequest(text="fraction"))
        assert page.results is not None
        assert dict(page.results.facets["strand"]) == {"F": 3}  # material, sequence, lesson
